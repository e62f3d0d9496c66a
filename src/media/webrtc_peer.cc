#include "media/webrtc_peer.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/pbutils/codec-utils.h>
#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <arpa/inet.h>
#include <gst/webrtc/webrtc.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#include "core/text.h"
#include "media/gst.h"
#include "media/proto_sdp.h"

namespace hearth::media {

namespace {

constexpr int kVideoPayload = 96;
constexpr int kOpusPayload = 111;
constexpr std::size_t kMaxSdpBytes = 64u << 10;

struct CapsDeleter {
    void operator()(GstCaps* c) const { gst_caps_unref(c); }
};
using Caps = std::unique_ptr<GstCaps, CapsDeleter>;

// profile-level-id for SDP from the avcC record (bytes 1..3: profile, constraints, level).
std::string profile_level_id(const std::vector<std::uint8_t>& avcc) {
    if (avcc.size() < 4) {
        return "42e01f";
    }
    char text[8];
    std::snprintf(text, sizeof text, "%02x%02x%02x", avcc[1], avcc[2], avcc[3]);
    return text;
}

Caps video_input_caps(const TrackInfo& t) {
    GstBuffer* cd = gst_buffer_new_memdup(t.codec_data.data(), t.codec_data.size());
    Caps caps(gst_caps_new_simple("video/x-h264", "stream-format", G_TYPE_STRING, "avc",
                                  "alignment", G_TYPE_STRING, "au", "codec_data", GST_TYPE_BUFFER,
                                  cd, "width", G_TYPE_INT, t.width, "height", G_TYPE_INT, t.height,
                                  nullptr));
    gst_buffer_unref(cd);
    // Profile and level as the payloader's peers ask for them (avcC bytes 1-3 are laid out
    // as the SPS's), so no parser has to run per frame to find them.
    if (t.codec_data.size() >= 4) {
        gst_codec_utils_h264_caps_set_level_and_profile(caps.get(), &t.codec_data[1], 3);
    }
    return caps;
}

Caps video_rtp_caps(const TrackInfo& t) {
    const std::string plid = profile_level_id(t.codec_data);
    return Caps(gst_caps_new_simple(
        "application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name", G_TYPE_STRING,
        "H264", "payload", G_TYPE_INT, kVideoPayload, "clock-rate", G_TYPE_INT, 90000,
        "packetization-mode", G_TYPE_STRING, "1", "profile-level-id", G_TYPE_STRING, plid.c_str(),
        "level-asymmetry-allowed", G_TYPE_STRING, "1", nullptr));
}

// The camera's microphone as the browser can take it without a transcode, or null.
struct AudioPath {
    std::string input_caps;  // appsrc caps
    std::string payloader;   // gst-launch fragment
    int payload = 0;
    const char* encoding = "";
    int clock_rate = 0;
};

std::optional<AudioPath> camera_audio_path(const TrackInfo& t) {
    switch (t.codec) {
        case Codec::kOpus:
            return AudioPath{"audio/x-opus,channel-mapping-family=0,rate=48000,channels=" +
                                 std::to_string(t.channels > 0 ? t.channels : 1),
                             "rtpopuspay pt=111", kOpusPayload, "OPUS", 48000};
        case Codec::kPcmu:
            return AudioPath{"audio/x-mulaw,rate=8000,channels=1", "rtppcmupay pt=0", 0, "PCMU",
                             8000};
        case Codec::kPcma:
            return AudioPath{"audio/x-alaw,rate=8000,channels=1", "rtppcmapay pt=8", 8, "PCMA",
                             8000};
        default:
            return std::nullopt;  // AAC needs a transcode: not offered (the MSE path plays it)
    }
}

Caps audio_rtp_caps(const char* encoding, int payload, int clock_rate) {
    Caps caps(gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio",
                                  "encoding-name", G_TYPE_STRING, encoding, "payload", G_TYPE_INT,
                                  payload, "clock-rate", G_TYPE_INT, clock_rate, nullptr));
    if (std::string_view(encoding) == "OPUS") {
        gst_caps_set_simple(caps.get(), "encoding-params", G_TYPE_STRING, "2", nullptr);
    }
    return caps;
}

// The host's interface addresses the filter allows: ICE gathers on these only, so the hub
// never even opens a port on an address the household did not choose.
std::vector<std::string> allowed_local_addresses(
    const std::function<bool(std::string_view)>& allowed) {
    std::vector<std::string> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        return out;
    }
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr) {
            continue;
        }
        char text[INET6_ADDRSTRLEN] = {};
        if (i->ifa_addr->sa_family == AF_INET) {
            ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text,
                        sizeof text);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const auto* a6 = reinterpret_cast<sockaddr_in6*>(i->ifa_addr);
            if (IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr)) {
                continue;  // needs a scope the browser cannot use
            }
            ::inet_ntop(AF_INET6, &a6->sin6_addr, text, sizeof text);
        } else {
            continue;
        }
        if (!allowed || allowed(text)) {
            out.emplace_back(text);
        }
    }
    ::freeifaddrs(list);
    return out;
}

const char* state_name(GstWebRTCPeerConnectionState s) {
    switch (s) {
        case GST_WEBRTC_PEER_CONNECTION_STATE_NEW:
        case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING:
            return "connecting";
        case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
            return "connected";
        case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED:
            return "disconnected";
        case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
            return "failed";
        default:
            return "closed";
    }
}

}  // namespace

struct WebRtcPeer::Impl {
    WebRtcOptions options;
    WebRtcOffer offer;
    gst::ElementPtr pipeline;
    gst::ElementPtr webrtc;
    gst::ElementPtr vsrc;
    gst::ElementPtr asrc;  // null without camera audio
    int video_track = -1;
    int audio_track = -1;
    std::int64_t last_video_ns = -1;
    std::int64_t last_audio_ns = -1;
    std::atomic<bool> talking{false};
    bool latency_known = false;

    // Guards the callbacks against the destructor: GStreamer threads call in through here.
    std::mutex mu;
    bool alive = true;          // GUARDED_BY(mu)
    WebRtcCallbacks callbacks;  // GUARDED_BY(mu)

    template <typename F>
    void call(F&& f) {
        std::lock_guard lock(mu);
        if (alive) {
            f(callbacks);
        }
    }

    void fail(std::string message) {
        call([&](WebRtcCallbacks& cb) {
            if (cb.on_error) cb.on_error(std::move(message));
        });
    }

    std::int64_t restamp(std::int64_t& last_ns) {
        GstClockTime now = gst_element_get_current_running_time(pipeline.get());
        std::int64_t t = GST_CLOCK_TIME_IS_VALID(now) ? static_cast<std::int64_t>(now) : 0;
        // At least 1 ms after the previous one: the GOP cache arrives as a quick burst.
        if (last_ns >= 0 && t < last_ns + 1'000'000) {
            t = last_ns + 1'000'000;
        }
        last_ns = t;
        return t;
    }
};

namespace {

void on_offer_created(GstPromise* promise, gpointer data) {
    auto* impl = static_cast<WebRtcPeer::Impl*>(data);
    const GstStructure* reply = gst_promise_get_reply(promise);
    GstWebRTCSessionDescription* offer = nullptr;
    if (reply != nullptr) {
        gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
    }
    gst_promise_unref(promise);
    if (offer == nullptr) {
        impl->fail("could not make a WebRTC offer");
        return;
    }
    g_signal_emit_by_name(impl->webrtc.get(), "set-local-description", offer, nullptr);
    gchar* text = gst_sdp_message_as_text(offer->sdp);
    std::string sdp = text;
    g_free(text);
    gst_webrtc_session_description_free(offer);
    impl->call([&](WebRtcCallbacks& cb) {
        if (cb.on_offer) cb.on_offer(std::move(sdp));
    });
}

void on_negotiation_needed(GstElement* webrtc, gpointer data) {
    GstPromise* promise = gst_promise_new_with_change_func(on_offer_created, data, nullptr);
    g_signal_emit_by_name(webrtc, "create-offer", nullptr, promise);
}

void on_ice_candidate(GstElement*, guint mline, gchar* candidate, gpointer data) {
    auto* impl = static_cast<WebRtcPeer::Impl*>(data);
    std::string_view line = candidate;
    if (impl->options.offer_candidate &&
        !impl->options.offer_candidate(sdp::ice_candidate_address(line))) {
        return;  // an address the household did not allow for live view
    }
    impl->call([&](WebRtcCallbacks& cb) {
        if (cb.on_ice_candidate) cb.on_ice_candidate(mline, std::string(line));
    });
}

void on_connection_state(GObject* webrtc, GParamSpec*, gpointer data) {
    auto* impl = static_cast<WebRtcPeer::Impl*>(data);
    GstWebRTCPeerConnectionState state{};
    g_object_get(webrtc, "connection-state", &state, nullptr);
    impl->call([&](WebRtcCallbacks& cb) {
        if (cb.on_state) cb.on_state(state_name(state));
    });
}

GstFlowReturn on_talk_sample(GstAppSink* sink, gpointer data) {
    auto* impl = static_cast<WebRtcPeer::Impl*>(data);
    gst::SamplePtr sample(gst_app_sink_pull_sample(sink));
    if (!sample || !impl->talking.load()) {
        return GST_FLOW_OK;  // not talking: the voice goes nowhere
    }
    GstBuffer* buffer = gst_sample_get_buffer(sample.get());
    GstMapInfo map;
    if (buffer == nullptr || !gst_buffer_map(buffer, &map, GST_MAP_READ)) {
        return GST_FLOW_OK;
    }
    std::span<const std::int16_t> pcm(reinterpret_cast<const std::int16_t*>(map.data),
                                      map.size / sizeof(std::int16_t));
    impl->call([&](WebRtcCallbacks& cb) {
        if (cb.on_talk_audio) cb.on_talk_audio(pcm);
    });
    gst_buffer_unmap(buffer, &map);
    return GST_FLOW_OK;
}

// The viewer's voice: depayload and decode to 48 kHz mono PCM for the camera's speaker.
void on_pad_added(GstElement*, GstPad* pad, gpointer data) {
    auto* impl = static_cast<WebRtcPeer::Impl*>(data);
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) {
        return;
    }
    gst::CapsPtr caps(gst_pad_get_current_caps(pad));
    if (!caps) {
        caps.reset(gst_pad_query_caps(pad, nullptr));
    }
    const GstStructure* s = caps ? gst_caps_get_structure(caps.get(), 0) : nullptr;
    const char* media = s ? gst_structure_get_string(s, "media") : nullptr;
    const char* encoding = s ? gst_structure_get_string(s, "encoding-name") : nullptr;
    std::string decode;
    if (media != nullptr && std::string_view(media) == "audio" && encoding != nullptr) {
        const std::string_view e = encoding;
        decode = e == "OPUS"   ? "rtpopusdepay ! opusdec plc=true"
                 : e == "PCMU" ? "rtppcmudepay ! mulawdec"
                 : e == "PCMA" ? "rtppcmadepay ! alawdec"
                               : "";
    }
    std::string description =
        decode.empty() ? std::string("fakesink sync=false async=false")
                       : "queue max-size-time=200000000 leaky=downstream ! " + decode +
                             " ! audioconvert ! audioresample ! "
                             "audio/x-raw,format=S16LE,rate=48000,channels=1 ! "
                             "appsink name=talk sync=false async=false max-buffers=50 drop=true";
    GError* error = nullptr;
    GstElement* bin = gst_parse_bin_from_description(description.c_str(), TRUE, &error);
    if (bin == nullptr) {
        impl->fail(std::string("cannot receive talk audio: ") + (error ? error->message : "?"));
        g_clear_error(&error);
        return;
    }
    g_clear_error(&error);
    if (!decode.empty()) {
        gst::ElementPtr sink(gst_bin_get_by_name(GST_BIN(bin), "talk"));
        GstAppSinkCallbacks callbacks{};
        callbacks.new_sample = on_talk_sample;
        gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks, impl, nullptr);
    }
    gst_bin_add(GST_BIN(impl->pipeline.get()), bin);
    gst_element_sync_state_with_parent(bin);
    gst::PadPtr sinkpad(gst_element_get_static_pad(bin, "sink"));
    if (gst_pad_link(pad, sinkpad.get()) != GST_PAD_LINK_OK) {
        impl->fail("cannot link the viewer's audio");
    }
}

GstBusSyncReply on_bus(GstBus*, GstMessage* message, gpointer data) {
    auto* impl = static_cast<WebRtcPeer::Impl*>(data);
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        impl->fail(gst::describe_error_message(message));
    }
    return GST_BUS_DROP;
}

void on_answer_applied(GstPromise* promise, gpointer data) {
    auto* impl = static_cast<WebRtcPeer::Impl*>(data);
    const GstStructure* reply = gst_promise_get_reply(promise);
    if (reply != nullptr && gst_structure_has_field(reply, "error")) {
        GError* e = nullptr;
        gst_structure_get(reply, "error", G_TYPE_ERROR, &e, nullptr);
        impl->fail(std::string("the browser's answer was refused: ") + (e ? e->message : "?"));
        g_clear_error(&e);
    }
    gst_promise_unref(promise);
}

// libnice would ask the home router over UPnP IGD to open ports to the hub (and sends SSDP
// searches to every network it finds): never. The hub is reached inside `ice_networks`.
void on_element_added(GstBin*, GstBin*, GstElement* element, gpointer) {
    GstElementFactory* factory = gst_element_get_factory(element);
    const char* name = factory ? GST_OBJECT_NAME(factory) : "";
    if (std::string_view(name) != "nicesrc" && std::string_view(name) != "nicesink") {
        return;
    }
    GObject* agent = nullptr;
    g_object_get(element, "agent", &agent, nullptr);
    if (agent != nullptr) {
        g_object_set(agent, "upnp", FALSE, nullptr);
        g_object_unref(agent);
    }
}

GstWebRTCRTPTransceiver* transceiver(GstElement* webrtc, int index) {
    GstWebRTCRTPTransceiver* t = nullptr;
    g_signal_emit_by_name(webrtc, "get-transceiver", index, &t);
    return t;
}

}  // namespace

core::Result<std::unique_ptr<WebRtcPeer>> WebRtcPeer::start(WebRtcOptions options,
                                                            WebRtcCallbacks callbacks) {
    gst::ensure_init();
    auto impl = std::make_unique<Impl>();
    const TrackInfo* video = nullptr;
    const TrackInfo* audio = nullptr;
    for (std::size_t i = 0; i < options.tracks.size(); ++i) {
        const auto& t = options.tracks[i];
        if (is_video(t.codec) && video == nullptr) {
            video = &t;
            impl->video_track = static_cast<int>(i);
        } else if (!is_video(t.codec) && audio == nullptr && camera_audio_path(t)) {
            audio = &t;
            impl->audio_track = static_cast<int>(i);
        }
    }
    if (video == nullptr) {
        return core::make_error(core::ErrorCode::kUnavailable, "the camera has no video yet");
    }
    if (video->codec != Codec::kH264) {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "this camera sends H.265, which browsers do not take over "
                                "WebRTC (the hub's browser feed converts it)");
    }
    const auto audio_path = audio ? camera_audio_path(*audio) : std::nullopt;

    std::string description =
        "webrtcbin name=webrtc bundle-policy=max-bundle latency=0 "
        "appsrc name=vsrc is-live=true format=time max-bytes=8388608 ! "
        "rtph264pay config-interval=-1 aggregate-mode=zero-latency mtu=1200 ! "
        "capsfilter name=vcaps ! webrtc. ";
    if (audio_path) {
        description += "appsrc name=asrc is-live=true format=time max-bytes=1048576 caps=" +
                       audio_path->input_caps + " ! " + audio_path->payloader +
                       " ! capsfilter name=acaps ! webrtc. ";
    }
    auto pipeline = gst::parse_pipeline(description);
    if (!pipeline) {
        return pipeline.error();
    }
    impl->options = std::move(options);
    impl->callbacks = std::move(callbacks);
    impl->pipeline = std::move(*pipeline);
    impl->webrtc = gst::by_name(impl->pipeline.get(), "webrtc");
    impl->vsrc = gst::by_name(impl->pipeline.get(), "vsrc");
    auto vcaps = video_input_caps(*video);
    gst_app_src_set_caps(GST_APP_SRC(impl->vsrc.get()), vcaps.get());
    auto vrtp = video_rtp_caps(*video);
    g_object_set(gst::by_name(impl->pipeline.get(), "vcaps").get(), "caps", vrtp.get(), nullptr);

    GstWebRTCRTPTransceiver* vt = transceiver(impl->webrtc.get(), 0);
    g_object_set(vt, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                 "codec-preferences", vrtp.get(), nullptr);
    gst_object_unref(vt);
    impl->offer.video = true;

    const bool talk = impl->options.talk;
    if (audio_path) {
        impl->asrc = gst::by_name(impl->pipeline.get(), "asrc");
        auto artp =
            audio_rtp_caps(audio_path->encoding, audio_path->payload, audio_path->clock_rate);
        g_object_set(gst::by_name(impl->pipeline.get(), "acaps").get(), "caps", artp.get(),
                     nullptr);
        GstWebRTCRTPTransceiver* at = transceiver(impl->webrtc.get(), 1);
        g_object_set(at, "direction",
                     talk ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV
                          : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                     "codec-preferences", artp.get(), nullptr);
        gst_object_unref(at);
        impl->offer.camera_audio = true;
    } else if (talk) {
        auto artp = audio_rtp_caps("OPUS", kOpusPayload, 48000);
        GstWebRTCRTPTransceiver* at = nullptr;
        g_signal_emit_by_name(impl->webrtc.get(), "add-transceiver",
                              GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, artp.get(), &at);
        if (at != nullptr) {
            gst_object_unref(at);
        }
    }
    impl->offer.talk = talk;

    // No TCP candidates: the browser reaches the hub over UDP on the home network.
    GstWebRTCICE* ice = nullptr;
    g_object_get(impl->webrtc.get(), "ice-agent", &ice, nullptr);
    if (ice != nullptr) {
        g_object_set(ice, "ice-tcp", FALSE, nullptr);
        const auto addresses = allowed_local_addresses(impl->options.offer_candidate);
        if (addresses.empty()) {
            gst_object_unref(ice);
            return core::make_error(core::ErrorCode::kUnavailable,
                                    "the hub has no address in the networks allowed for "
                                    "WebRTC (config ice_networks)");
        }
        for (const auto& a : addresses) {
            gboolean added = FALSE;
            g_signal_emit_by_name(ice, "add-local-ip-address", a.c_str(), &added);
        }
        gst_object_unref(ice);
    }

    Impl* raw = impl.get();
    g_signal_connect(impl->webrtc.get(), "on-negotiation-needed", G_CALLBACK(on_negotiation_needed),
                     raw);
    g_signal_connect(impl->webrtc.get(), "on-ice-candidate", G_CALLBACK(on_ice_candidate), raw);
    g_signal_connect(impl->webrtc.get(), "notify::connection-state",
                     G_CALLBACK(on_connection_state), raw);
    g_signal_connect(impl->webrtc.get(), "pad-added", G_CALLBACK(on_pad_added), raw);
    g_signal_connect(impl->webrtc.get(), "deep-element-added", G_CALLBACK(on_element_added),
                     nullptr);
    gst::BusPtr bus(gst_element_get_bus(impl->pipeline.get()));
    gst_bus_set_sync_handler(bus.get(), on_bus, raw, nullptr);

    if (gst_element_set_state(impl->pipeline.get(), GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
        gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
        gst_element_set_state(impl->pipeline.get(), GST_STATE_NULL);
        return core::make_error(core::ErrorCode::kInternal, "cannot start the WebRTC pipeline");
    }
    return std::unique_ptr<WebRtcPeer>(new WebRtcPeer(std::move(impl)));
}

WebRtcPeer::WebRtcPeer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebRtcPeer::~WebRtcPeer() {
    {
        std::lock_guard lock(impl_->mu);
        impl_->alive = false;
    }
    g_signal_handlers_disconnect_by_data(impl_->webrtc.get(), impl_.get());
    gst_element_set_state(impl_->pipeline.get(), GST_STATE_NULL);
    gst::BusPtr bus(gst_element_get_bus(impl_->pipeline.get()));
    gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
}

const WebRtcOffer& WebRtcPeer::offer() const { return impl_->offer; }

core::Status WebRtcPeer::set_answer(std::string_view sdp) {
    if (sdp.size() > kMaxSdpBytes) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "answer SDP is too large");
    }
    GstSDPMessage* message = nullptr;
    gst_sdp_message_new(&message);
    if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(sdp.data()),
                                     static_cast<guint>(sdp.size()), message) != GST_SDP_OK ||
        gst_sdp_message_medias_len(message) == 0) {
        gst_sdp_message_free(message);
        return core::make_error(core::ErrorCode::kInvalidArgument, "answer SDP does not parse");
    }
    GstWebRTCSessionDescription* answer =
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, message);
    // Not waited for: the signalling thread never blocks on the pipeline; a refusal comes
    // back through on_error.
    GstPromise* promise = gst_promise_new_with_change_func(on_answer_applied, impl_.get(), nullptr);
    g_signal_emit_by_name(impl_->webrtc.get(), "set-remote-description", answer, promise);
    gst_webrtc_session_description_free(answer);
    return {};
}

core::Status WebRtcPeer::add_remote_candidate(unsigned mline, std::string_view candidate) {
    if (candidate.size() > 512 || candidate.substr(0, 10) != "candidate:" ||
        candidate.find('\n') != std::string_view::npos ||
        candidate.find('\r') != std::string_view::npos || mline > 8) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "malformed ICE candidate");
    }
    const auto address = sdp::ice_candidate_address(candidate);
    if (address.empty()) {
        // A host name (browsers hide their addresses behind mDNS ".local" names unless the page
        // may use the microphone): never looked up. The browser's checks still reach us, and
        // ICE learns its address from them (peer-reflexive).
        return {};
    }
    if (impl_->options.offer_candidate && !impl_->options.offer_candidate(address)) {
        return {};  // not a network the household allowed: never contacted
    }
    const std::string line(candidate);
    g_signal_emit_by_name(impl_->webrtc.get(), "add-ice-candidate", mline, line.c_str());
    return {};
}

bool WebRtcPeer::push(const LiveItem& item) {
    if (const auto* tracks = std::get_if<LiveTracks>(&item)) {
        return tracks->tracks == impl_->options.tracks;
    }
    if (!impl_->latency_known) {
        // The transport was linked after the pipeline started: tell RTP what latency is.
        gst_bin_recalculate_latency(GST_BIN(impl_->pipeline.get()));
        impl_->latency_known = true;
    }
    const auto& s = std::get<EncodedSample>(item);
    const bool video = s.track == impl_->video_track;
    if (!video && (s.track != impl_->audio_track || !impl_->asrc)) {
        return true;
    }
    auto* holder = new std::shared_ptr<const std::vector<std::uint8_t>>(s.data);
    GstBuffer* buffer = gst_buffer_new_wrapped_full(
        GST_MEMORY_FLAG_READONLY, const_cast<std::uint8_t*>(s.data->data()), s.data->size(), 0,
        s.data->size(), holder, [](gpointer p) {
            delete static_cast<std::shared_ptr<const std::vector<std::uint8_t>>*>(p);
        });
    const std::int64_t at = impl_->restamp(video ? impl_->last_video_ns : impl_->last_audio_ns);
    GST_BUFFER_PTS(buffer) = static_cast<GstClockTime>(at);
    GST_BUFFER_DTS(buffer) = static_cast<GstClockTime>(at);
    if (s.duration_us > 0) {
        GST_BUFFER_DURATION(buffer) = static_cast<GstClockTime>(s.duration_us) * 1000;
    }
    if (video && !s.keyframe) {
        GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    }
    gst_app_src_push_buffer(GST_APP_SRC(video ? impl_->vsrc.get() : impl_->asrc.get()), buffer);
    return true;
}

std::size_t WebRtcPeer::queued_bytes() const {
    std::size_t bytes = gst_app_src_get_current_level_bytes(GST_APP_SRC(impl_->vsrc.get()));
    if (impl_->asrc) {
        bytes += gst_app_src_get_current_level_bytes(GST_APP_SRC(impl_->asrc.get()));
    }
    return bytes;
}

void WebRtcPeer::set_talking(bool on) { impl_->talking.store(on); }

}  // namespace hearth::media
