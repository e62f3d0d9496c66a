#include "simcam/simcam.h"

#include <gst/app/gstappsink.h>
#include <gst/rtsp-server/rtsp-server.h>
// GStreamer 1.22's ONVIF headers lack G_BEGIN_DECLS: without this, C++ mangles their names.
extern "C" {
#include <gst/rtsp-server/rtsp-onvif-media-factory.h>
#include <gst/rtsp-server/rtsp-onvif-media.h>
#include <gst/rtsp-server/rtsp-onvif-server.h>
}
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "simcam/onvif_backend.h"
#include "simcam/onvif_server.h"

namespace hearth::simcam {
namespace {

// What the backchannel accepts (each caps structure becomes one sendonly SDP section) and
// turns into 48 kHz mono PCM for the speaker. gst-rtsp-server looks the bin's entry up by the
// name depay_backchannel. The payload type picks the decoder; not decodebin, whose
// asynchronous preroll would hold the backchannel in PAUSED for good (the sinks of this part
// must not preroll).
std::string backchannel_launch(const std::vector<media::Codec>& codecs) {
    std::string caps;
    for (const auto codec : codecs) {
        if (codec != media::Codec::kPcmu && codec != media::Codec::kPcma) {
            continue;
        }
        const bool mulaw = codec == media::Codec::kPcmu;
        caps += std::string(caps.empty() ? "" : ";") +
                "application/x-rtp,media=(string)audio,payload=(int)" + (mulaw ? "0" : "8") +
                ",clock-rate=(int)8000,encoding-name=(string)" + (mulaw ? "PCMU" : "PCMA");
    }
    if (caps.empty()) {
        return {};  // nothing it can hear: no backchannel
    }
    return "( capsfilter name=depay_backchannel caps=\"" + caps +
           "\" ! rtpptdemux name=pt "
           "pt.src_0 ! rtppcmudepay ! mulawdec ! funnel name=decoded ! audioconvert ! "
           "audioresample ! audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=1 ! "
           "appsink name=backchannel_sink async=false sync=false max-buffers=200 drop=true "
           "pt.src_8 ! rtppcmadepay ! alawdec ! decoded. )";
}

constexpr std::int64_t kTalkGapMs = 1000;  // this long without audio ends a talk

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

using media::SimOutput;
using media::SimProducer;
namespace gst = media::gst;

struct Simcam::Impl {
    // One backchannel media's tap on the speaker. Shared with its appsink's callback, which
    // may outlive the camera (a client's media is freed when the client goes): stop() clears
    // `speaker` under `mu` so that a late callback does nothing.
    struct Tap {
        std::mutex mu;
        media::Speaker* speaker = nullptr;  // GUARDED_BY(mu)
        std::uint64_t id = 0;
        bool talking = false;             // GUARDED_BY(mu)
        std::int64_t last_audio_ms = 0;   // GUARDED_BY(mu)
        double peak_dbfs = -100.0;        // GUARDED_BY(mu)
        std::atomic<bool> played{false};  // PLAY has set the media going
    };

    // What a probe on one of the camera's own streams in a backchannel media needs.
    struct Gate {
        std::shared_ptr<Tap> tap;
        GstRTSPStream* stream;  // a reference
        static void free(gpointer gate) noexcept {
            auto* g = static_cast<Gate*>(gate);
            g_object_unref(g->stream);
            delete g;
        }
    };

    SimcamOptions options;
    GMainContext* context = nullptr;
    GMainLoop* loop = nullptr;
    GstRTSPServer* server = nullptr;
    guint source_id = 0;
    std::thread thread;
    std::mutex mu;
    std::map<GstRTSPMedia*, std::unique_ptr<SimProducer>> producers;  // GUARDED_BY(mu)
    std::shared_ptr<media::VirtualPtz> ptz;  // shared by every producer and the ONVIF PTZ
    std::unique_ptr<OnvifFace> onvif;
    std::string onvif_url;
    core::SystemClock clock;
    std::unique_ptr<media::Speaker> speaker;             // the backchannel's loudspeaker
    std::map<GstRTSPMedia*, std::shared_ptr<Tap>> taps;  // GUARDED_BY(mu)
    std::uint64_t next_tap_id = 1;                       // GUARDED_BY(mu)

    // Thread: a streaming thread of the backchannel media.
    static GstFlowReturn on_backchannel_sample(GstAppSink* sink, gpointer data) noexcept {
        auto& tap = **static_cast<std::shared_ptr<Tap>*>(data);
        gst::SamplePtr sample(gst_app_sink_pull_sample(sink));
        GstBuffer* buffer = sample ? gst_sample_get_buffer(sample.get()) : nullptr;
        GstMapInfo map;
        if (buffer == nullptr || !gst_buffer_map(buffer, &map, GST_MAP_READ)) {
            return GST_FLOW_OK;
        }
        const std::span<const std::int16_t> pcm(reinterpret_cast<const std::int16_t*>(map.data),
                                                map.size / sizeof(std::int16_t));
        {
            std::lock_guard lock(tap.mu);
            if (tap.speaker != nullptr) {
                const std::int64_t now = steady_ms();
                if (!tap.talking) {
                    if (auto holder = tap.speaker->begin(tap.id, "rtsp backchannel")) {
                        spdlog::info(
                            "simcam: a second backchannel talks while one already does: "
                            "not heard");
                    } else {
                        spdlog::info("simcam: backchannel talk started");
                    }
                    tap.talking = true;
                    tap.peak_dbfs = -100.0;
                }
                tap.last_audio_ms = now;
                tap.speaker->write(tap.id, pcm);
                tap.peak_dbfs = std::max(tap.peak_dbfs, tap.speaker->status().level_dbfs);
            }
        }
        gst_buffer_unmap(buffer, &map);
        return GST_FLOW_OK;
    }

    static void delete_tap(gpointer data) noexcept {
        delete static_cast<std::shared_ptr<Tap>*>(data);
    }

    // With tap.mu held.
    static void end_talk(Tap& tap) {
        if (!tap.talking || tap.speaker == nullptr) {
            return;
        }
        const auto samples = tap.speaker->status().samples;
        tap.speaker->end(tap.id);
        tap.talking = false;
        spdlog::info("simcam: backchannel talk ended: {:.1f} s of audio, peak {:.1f} dBFS",
                     static_cast<double>(samples) / 48000.0, tap.peak_dbfs);
    }

    std::vector<std::shared_ptr<Tap>> all_taps() {
        std::lock_guard lock(mu);
        std::vector<std::shared_ptr<Tap>> out;
        for (auto& [media, tap] : taps) {
            out.push_back(tap);
        }
        return out;
    }

    // Thread: the main loop, every 200 ms.
    static gboolean on_talk_timer(gpointer data) noexcept {
        auto* self = static_cast<Impl*>(data);
        const std::int64_t now = steady_ms();
        for (auto& tap : self->all_taps()) {
            std::lock_guard lock(tap->mu);
            if (tap->talking && now - tap->last_audio_ms >= kTalkGapMs) {
                end_talk(*tap);
            }
        }
        return G_SOURCE_CONTINUE;
    }

    void attach_backchannel(GstRTSPMedia* media, GstElement* element) {
        auto sink = gst::by_name(element, "backchannel_sink");
        if (!sink) {
            return;  // a client that did not ask for the backchannel
        }
        auto tap = std::make_shared<Tap>();
        tap->speaker = speaker.get();
        {
            std::lock_guard lock(mu);
            tap->id = next_tap_id++;
            taps[media] = tap;
        }
        GstAppSinkCallbacks callbacks{};
        callbacks.new_sample = &Impl::on_backchannel_sample;
        gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks,
                                   new std::shared_ptr<Tap>(tap), &Impl::delete_tap);
        // A talker sets up the backchannel alone: the camera's own streams stay without a
        // sender, and gst-rtsp-server (1.22) unblocks them at PLAY anyway, where their first
        // packet fails the whole media as not-linked. Drop their packets until set up.
        for (guint i = 0; i < gst_rtsp_media_n_streams(media); ++i) {
            GstRTSPStream* stream = gst_rtsp_media_get_stream(media, i);
            if (GstPad* pad = gst_rtsp_stream_get_srcpad(stream)) {
                gst_pad_add_probe(pad,
                                  static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                               GST_PAD_PROBE_TYPE_BUFFER_LIST),
                                  &Impl::drop_unless_set_up,
                                  new Gate{tap, GST_RTSP_STREAM(g_object_ref(stream))},
                                  &Gate::free);
                gst_object_unref(pad);
            }
        }
        g_signal_connect_data(
            media, "target-state", G_CALLBACK(&Impl::on_target_state),
            new std::shared_ptr<Tap>(tap), [](gpointer tap, GClosure*) { delete_tap(tap); },
            GConnectFlags{});
    }

    // Thread: a streaming thread of a backchannel media.
    static GstPadProbeReturn drop_unless_set_up(GstPad*, GstPadProbeInfo*, gpointer gate) noexcept {
        // Before PLAY packets pass: the media is prepared once every stream holds one at
        // its block.
        const auto* g = static_cast<Gate*>(gate);
        return !g->tap->played || gst_rtsp_stream_is_complete(g->stream) ? GST_PAD_PROBE_OK
                                                                         : GST_PAD_PROBE_DROP;
    }

    // gst-rtsp-server (1.22) adds the backchannel's receiving appsrc at SETUP into a live
    // pipeline that is already PLAYING and leaves it in NULL: it never delivers. Bring it up
    // when PLAY sets the media's target state.
    static void on_target_state(GstRTSPMedia* media, gint state, gpointer tap) noexcept {
        if (state != GST_STATE_PLAYING) {
            return;
        }
        (*static_cast<std::shared_ptr<Tap>*>(tap))->played = true;
        GstElement* element = gst_rtsp_media_get_element(media);
        GstElement* pipeline = GST_ELEMENT(gst_object_get_parent(GST_OBJECT(element)));
        gst_object_unref(element);
        if (pipeline == nullptr) {
            return;
        }
        GstIterator* it = gst_bin_iterate_recurse(GST_BIN(pipeline));
        GValue item = G_VALUE_INIT;
        while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
            auto* e = GST_ELEMENT(g_value_get_object(&item));
            if (GST_STATE(e) == GST_STATE_NULL && GST_STATE_TARGET(e) == GST_STATE_NULL &&
                !gst_element_is_locked_state(e)) {
                gst_element_sync_state_with_parent(e);
            }
            g_value_reset(&item);
        }
        g_value_unset(&item);
        gst_iterator_free(it);
        gst_object_unref(pipeline);
    }

    static void on_media_configure(GstRTSPMediaFactory*, GstRTSPMedia* media,
                                   gpointer data) noexcept {
        auto* self = static_cast<Impl*>(data);
        GstElement* element = gst_rtsp_media_get_element(media);
        self->attach_backchannel(media, element);
        if (!self->options.file.empty()) {
            // Set as a property: a path is never spliced into a launch line.
            g_object_set(gst::by_name(element, "file").get(), "location",
                         self->options.file.c_str(), nullptr);
            gst_object_unref(element);
            g_signal_connect(media, "unprepared", G_CALLBACK(&Impl::on_unprepared), self);
            return;
        }
        auto vsrc = gst::by_name(element, "vsrc");
        auto asrc = self->options.camera.audio ? gst::by_name(element, "asrc") : gst::ElementPtr();
        gst_object_unref(element);
        auto producer = std::make_unique<SimProducer>(self->options.camera, vsrc.get(), asrc.get());
        producer->set_ptz(self->ptz);
        producer->start();
        {
            std::lock_guard lock(self->mu);
            self->producers[media] = std::move(producer);
        }
        g_signal_connect(media, "unprepared", G_CALLBACK(&Impl::on_unprepared), self);
    }

    static void on_unprepared(GstRTSPMedia* media, gpointer data) noexcept {
        auto* self = static_cast<Impl*>(data);
        std::unique_ptr<SimProducer> producer;
        std::shared_ptr<Tap> tap;
        {
            std::lock_guard lock(self->mu);
            auto it = self->producers.find(media);
            if (it != self->producers.end()) {
                producer = std::move(it->second);
                self->producers.erase(it);
            }
            if (auto t = self->taps.find(media); t != self->taps.end()) {
                tap = std::move(t->second);
                self->taps.erase(t);
            }
        }
        if (producer) {
            producer->stop();
        }
        if (tap) {
            std::lock_guard lock(tap->mu);
            end_talk(*tap);
            tap->speaker = nullptr;
        }
    }
};

Simcam::Simcam(SimcamOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    impl_->ptz = media::VirtualPtz::for_scene(impl_->options.camera.scene);
    gst::ensure_init();
    if (impl_->options.backchannel_wav.empty()) {
        impl_->speaker = std::make_unique<media::Speaker>(&impl_->clock);
    } else {
        impl_->speaker =
            std::make_unique<media::WavSpeaker>(&impl_->clock, impl_->options.backchannel_wav);
    }
}

double Simcam::backchannel_level_dbfs() const { return impl_->speaker->status().level_dbfs; }

media::SpeakerStatus Simcam::backchannel_status() const { return impl_->speaker->status(); }

Simcam::~Simcam() { stop(); }

std::string Simcam::onvif_url() const { return impl_->onvif_url; }

std::uint16_t Simcam::discovery_port() const {
    return impl_->onvif ? impl_->onvif->discovery_port() : 0;
}

std::shared_ptr<media::VirtualPtz> Simcam::ptz() const { return impl_->ptz; }

// The ONVIF services and the discovery responder, with the RTSP credentials.
core::Status Simcam::start_onvif(Impl& impl, std::uint16_t rtsp_port) {
    const auto& o = impl.options;
    onvif::DeviceServiceOptions service;
    service.username = o.username;
    HEARTH_ASSIGN_OR_RETURN(service.password, crypto::SecretBytes::copy_of(o.password));
    service.scopes = {"onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/type/ptz",
                      "onvif://www.onvif.org/Profile/Streaming",
                      "onvif://www.onvif.org/name/Hearth", "onvif://www.onvif.org/hardware/Simcam"};
    OnvifFaceOptions face;
    face.listen = *o.onvif_listen;
    face.discovery_port = o.discovery_port;
    face.scopes = service.scopes;
    auto backend = std::make_shared<SimOnvifBackend>(o, impl.ptz, rtsp_port);
    auto device = std::make_shared<onvif::DeviceService>(std::move(backend), std::move(service));
    impl.onvif = std::make_unique<OnvifFace>(std::move(device), std::move(face));
    HEARTH_ASSIGN_OR_RETURN(impl.onvif_url, impl.onvif->start());
    return {};
}

core::Result<std::string> Simcam::start() {
    auto& o = impl_->options;
    impl_->context = g_main_context_new();
    impl_->loop = g_main_loop_new(impl_->context, FALSE);
    // The ONVIF server understands "Require: www.onvif.org/ver20/backchannel"; for other
    // clients it is the plain server.
    impl_->server = gst_rtsp_onvif_server_new();
    gst_rtsp_server_set_address(impl_->server, o.listen.host.c_str());
    gst_rtsp_server_set_service(impl_->server, std::to_string(o.listen.port).c_str());
    // The default listen backlog of 5 refuses most of 32 clients that connect at once.
    gst_rtsp_server_set_backlog(impl_->server, 128);
    // The default pool serves every client on the main loop's one thread: while one waits
    // for the shared media to prepare, the others stall. Give clients threads of their own.
    GstRTSPThreadPool* pool = gst_rtsp_server_get_thread_pool(impl_->server);
    gst_rtsp_thread_pool_set_max_threads(pool, 16);
    g_object_unref(pool);

    GstRTSPMediaFactory* factory = gst_rtsp_onvif_media_factory_new();
    gst_rtsp_media_factory_set_media_gtype(factory, GST_TYPE_RTSP_ONVIF_MEDIA);
    const std::string backchannel = o.backchannel ? backchannel_launch(o.backchannel_codecs) : "";
    if (!backchannel.empty()) {
        // A client asking for it gets a media of its own (ONVIF medias with a backchannel are
        // never shared); the others still share one.
        gst_rtsp_onvif_media_factory_set_backchannel_launch(GST_RTSP_ONVIF_MEDIA_FACTORY(factory),
                                                            backchannel.c_str());
    }
    const std::string launch =
        o.file.empty()
            ? "( " + media::sim_pipeline_description(o.camera, SimOutput::kRtp) + " )"
            : "( filesrc name=file ! qtdemux name=demux demux.video_0 ! queue ! h264parse ! "
              "rtph264pay name=pay0 pt=96 config-interval=-1 )";
    gst_rtsp_media_factory_set_launch(factory, launch.c_str());
    gst_rtsp_media_factory_set_shared(factory, TRUE);  // one encoder however many clients
    g_signal_connect(factory, "media-configure", G_CALLBACK(&Impl::on_media_configure),
                     impl_.get());

    if (!o.username.empty()) {
        GstRTSPAuth* auth = gst_rtsp_auth_new();
        gst_rtsp_auth_set_supported_methods(auth, GST_RTSP_AUTH_DIGEST);
        GstRTSPToken* token =
            gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, "viewer", nullptr);
        gst_rtsp_auth_add_digest(auth, o.username.c_str(), o.password.c_str(), token);
        gst_rtsp_token_unref(token);
        gst_rtsp_server_set_auth(impl_->server, auth);
        g_object_unref(auth);
        gst_rtsp_media_factory_add_role(factory, "viewer", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS,
                                        G_TYPE_BOOLEAN, TRUE, GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT,
                                        G_TYPE_BOOLEAN, TRUE, nullptr);
    }
    GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(impl_->server);
    gst_rtsp_mount_points_add_factory(mounts, o.mount.c_str(), factory);
    g_object_unref(mounts);

    GError* error = nullptr;
    impl_->source_id = gst_rtsp_server_attach(impl_->server, impl_->context);
    if (impl_->source_id == 0) {
        // attach() does not report why; creating the socket ourselves does.
        GSocket* sock = gst_rtsp_server_create_socket(impl_->server, nullptr, &error);
        std::string why = error ? error->message : "unknown";
        if (error) g_error_free(error);
        if (sock) g_object_unref(sock);
        return core::make_error(core::ErrorCode::kUnavailable,
                                "simcam cannot listen on " + o.listen.to_string() + ": " + why);
    }
    const int port = gst_rtsp_server_get_bound_port(impl_->server);
    GSource* timer = g_timeout_source_new(200);
    g_source_set_callback(timer, &Impl::on_talk_timer, impl_.get(), nullptr);
    g_source_attach(timer, impl_->context);
    g_source_unref(timer);
    impl_->thread = std::thread([loop = impl_->loop, ctx = impl_->context] {
        g_main_context_push_thread_default(ctx);
        g_main_loop_run(loop);
        g_main_context_pop_thread_default(ctx);
    });
    core::ListenAddress bound = o.listen;
    bound.port = static_cast<std::uint16_t>(port);
    if (o.onvif_listen) {
        HEARTH_TRY(start_onvif(*impl_, bound.port));
    }
    return "rtsp://" + bound.to_string() + o.mount;
}

void Simcam::stop() {
    if (impl_->onvif) {
        impl_->onvif->stop();
        impl_->onvif.reset();
    }
    if (impl_->loop == nullptr) {
        return;
    }
    g_main_loop_quit(impl_->loop);
    if (impl_->thread.joinable()) {
        impl_->thread.join();
    }
    {
        std::lock_guard lock(impl_->mu);
        for (auto& [media, producer] : impl_->producers) {
            producer->stop();
        }
        impl_->producers.clear();
    }
    // Medias of clients still connected outlive the camera: detach their taps.
    for (auto& tap : impl_->all_taps()) {
        std::lock_guard lock(tap->mu);
        Impl::end_talk(*tap);
        tap->speaker = nullptr;
    }
    {
        std::lock_guard lock(impl_->mu);
        impl_->taps.clear();
    }
    if (impl_->source_id != 0) {
        if (GSource* source = g_main_context_find_source_by_id(impl_->context, impl_->source_id)) {
            g_source_destroy(source);
        }
    }
    g_object_unref(impl_->server);
    g_main_loop_unref(impl_->loop);
    g_main_context_unref(impl_->context);
    impl_->loop = nullptr;
}

}  // namespace hearth::simcam
