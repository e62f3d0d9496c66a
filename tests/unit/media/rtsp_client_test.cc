// RtspClientSource against the real fake camera (gst-rtsp-server) in-process, plus an
// env-gated benchmark against an external `hearth simcam --file`.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "media/fmp4_writer.h"
#include "media/rtsp_client_source.h"
#include "simcam/simcam.h"
#include "simcam_fixture.h"

namespace hearth::media {
namespace {

using namespace std::chrono_literals;
using simcam::Simcam;
using simcam::SimcamOptions;
using testing::random_secret;
using testing::small_camera;

class CollectingSink final : public SourceSink {
public:
    void on_tracks(const std::vector<TrackInfo>& tracks) noexcept override {
        std::lock_guard lock(mu_);
        tracks_ = tracks;
        track_calls_++;
        cv_.notify_all();
    }
    void on_sample(const EncodedSample& sample) noexcept override {
        std::lock_guard lock(mu_);
        samples_.push_back(sample);
        cv_.notify_all();
    }
    void on_state(SourceState state, const std::string& detail) noexcept override {
        std::lock_guard lock(mu_);
        states_.emplace_back(state, detail);
        cv_.notify_all();
    }

    bool wait_for(std::chrono::milliseconds timeout, const std::function<bool()>& done) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, done);
    }
    std::size_t count(int track) const {
        std::size_t n = 0;
        for (const auto& s : samples_) {
            n += s.track == track ? 1 : 0;
        }
        return n;
    }
    bool has_state(SourceState state) const {
        for (const auto& [s, d] : states_) {
            if (s == state) {
                return true;
            }
        }
        return false;
    }
    std::string first_detail(SourceState state) const {
        for (const auto& [s, d] : states_) {
            if (s == state) {
                return d;
            }
        }
        return {};
    }

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<TrackInfo> tracks_;                            // GUARDED_BY(mu_)
    int track_calls_ = 0;                                      // GUARDED_BY(mu_)
    std::vector<EncodedSample> samples_;                       // GUARDED_BY(mu_)
    std::vector<std::pair<SourceState, std::string>> states_;  // GUARDED_BY(mu_)
};

BackoffPolicy fast_backoff() {
    BackoffPolicy b;
    b.initial = 100ms;
    b.max = 500ms;
    return b;
}

std::string run(const std::string& command) {
    std::string out;
    FILE* f = ::popen(command.c_str(), "r");
    if (f == nullptr) {
        return out;
    }
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        out.append(buf, n);
    }
    ::pclose(f);
    return out;
}

TEST(RtspClientTest, StreamsH264AndAacFromSimcam) {
    const std::string user = "viewer";
    const std::string password = random_secret();
    Simcam cam(small_camera(user, password));
    auto url = cam.start();
    ASSERT_TRUE(url) << url.error().message;

    RtspOptions o;
    o.url = *url;
    o.username = user;
    o.password = password;
    RtspClientSource source("door", o, fast_backoff());
    EXPECT_EQ(source.describe(), "rtsp:door " + *url);
    CollectingSink sink;
    source.start(&sink);

    // Three seconds of video at 15 fps.
    ASSERT_TRUE(sink.wait_for(20s, [&] { return sink.count(0) >= 45 && sink.count(1) >= 20; }))
        << "video " << sink.count(0) << " audio " << sink.count(1) << " state "
        << sink.first_detail(SourceState::kOffline);

    const auto stop_started = std::chrono::steady_clock::now();
    source.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - stop_started, 2s);

    std::lock_guard lock(sink.mu_);
    ASSERT_EQ(sink.states_.front().first, SourceState::kConnecting);
    EXPECT_TRUE(sink.has_state(SourceState::kOnline));
    EXPECT_FALSE(sink.has_state(SourceState::kOffline)) << sink.first_detail(SourceState::kOffline);
    EXPECT_EQ(sink.states_.back().first, SourceState::kStopped);
    for (const auto& [state, detail] : sink.states_) {
        EXPECT_EQ(detail.find(password), std::string::npos);
    }

    ASSERT_EQ(sink.tracks_.size(), 2u);
    const TrackInfo& video = sink.tracks_[0];
    EXPECT_EQ(video.codec, Codec::kH264);
    EXPECT_EQ(video.width, 320);
    EXPECT_EQ(video.height, 180);
    EXPECT_FALSE(video.codec_data.empty());
    const TrackInfo& audio = sink.tracks_[1];
    EXPECT_EQ(audio.codec, Codec::kAac);
    EXPECT_EQ(audio.sample_rate, 48000);
    EXPECT_EQ(audio.channels, 1);
    EXPECT_FALSE(audio.codec_data.empty());

    std::vector<EncodedSample> video_samples;
    for (const auto& s : sink.samples_) {
        if (s.track == 0) {
            video_samples.push_back(s);
        }
    }
    EXPECT_TRUE(video_samples.front().keyframe);
    std::int64_t last_key = video_samples.front().dts_us;
    for (std::size_t i = 1; i < video_samples.size(); ++i) {
        EXPECT_GT(video_samples[i].dts_us, video_samples[i - 1].dts_us);
        if (video_samples[i].keyframe) {
            EXPECT_LE(video_samples[i].dts_us - last_key, 1'100'000);
            last_key = video_samples[i].dts_us;
        }
        // Length-prefixed NAL units that fill the sample exactly.
        const auto& d = *video_samples[i].data;
        std::size_t at = 0;
        while (at + 4 <= d.size()) {
            at += 4 + (std::size_t{d[at]} << 24 | std::size_t{d[at + 1]} << 16 |
                       std::size_t{d[at + 2]} << 8 | d[at + 3]);
        }
        EXPECT_EQ(at, d.size());
    }
    EXPECT_LE(video_samples.back().dts_us - last_key, 1'100'000);
    // About 15 frames per second of stream time.
    const double seconds =
        static_cast<double>(video_samples.back().dts_us - video_samples.front().dts_us) / 1e6;
    const double fps = static_cast<double>(video_samples.size() - 1) / seconds;
    EXPECT_NEAR(fps, 15.0, 2.0);
    EXPECT_EQ(source.stats().frames.load(), sink.count(0));
    EXPECT_GT(source.stats().bytes.load(), 0u);

    // What the recorder would write: ffprobe must read it as 320x180 H.264 plus AAC.
    if (std::system("ffprobe -version >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "ffprobe not installed";
    }
    auto init = fmp4::build_init_segment(sink.tracks_);
    ASSERT_TRUE(init) << init.error().message;
    std::vector<EncodedSample> from_key;
    const std::int64_t start = video_samples.front().dts_us;
    for (const auto& s : sink.samples_) {
        if (s.dts_us >= start) {
            from_key.push_back(s);
        }
    }
    auto frag = fmp4::build_fragment(1, sink.tracks_, from_key);
    ASSERT_TRUE(frag) << frag.error().message;
    const auto path = std::filesystem::temp_directory_path() /
                      ("hearth_rtsp_client_" + std::to_string(::getpid()) + ".mp4");
    {
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(init->data()),
                  static_cast<std::streamsize>(init->size()));
        out.write(reinterpret_cast<const char*>(frag->data()),
                  static_cast<std::streamsize>(frag->size()));
    }
    const auto probe =
        run("ffprobe -v error -show_entries stream=codec_name,width,height "
            "-of csv=p=0 " +
            path.string() + " 2>&1");
    std::filesystem::remove(path);
    EXPECT_EQ(probe.substr(0, probe.find('\n')), "h264,320,180") << probe;
    EXPECT_NE(probe.find("aac"), std::string::npos) << probe;
}

TEST(RtspClientTest, WrongPasswordIsReportedWithoutTheSecret) {
    const std::string password = random_secret();
    Simcam cam(small_camera("viewer", password));
    auto url = cam.start();
    ASSERT_TRUE(url) << url.error().message;
    RtspOptions o;
    o.url = *url;
    o.username = "viewer";
    o.password = "wrong-" + random_secret();
    RtspClientSource source("door", o, fast_backoff());
    CollectingSink sink;
    source.start(&sink);
    ASSERT_TRUE(sink.wait_for(10s, [&] { return sink.has_state(SourceState::kOffline); }));
    source.stop();
    std::lock_guard lock(sink.mu_);
    const auto detail = sink.first_detail(SourceState::kOffline);
    EXPECT_NE(detail.find("401"), std::string::npos) << detail;
    EXPECT_NE(detail.find("credentials"), std::string::npos) << detail;
    for (const auto& [state, d] : sink.states_) {
        EXPECT_EQ(d.find(o.password), std::string::npos);
        EXPECT_EQ(d.find(password), std::string::npos);
    }
    EXPECT_TRUE(sink.tracks_.empty());
    EXPECT_EQ(sink.states_.back().first, SourceState::kStopped);
}

TEST(RtspClientTest, MissingCredentialsAreReported) {
    Simcam cam(small_camera("viewer", random_secret()));
    auto url = cam.start();
    ASSERT_TRUE(url) << url.error().message;
    RtspOptions o;
    o.url = *url;
    RtspClientSource source("door", o, fast_backoff());
    CollectingSink sink;
    source.start(&sink);
    ASSERT_TRUE(sink.wait_for(10s, [&] { return sink.has_state(SourceState::kOffline); }));
    source.stop();
    std::lock_guard lock(sink.mu_);
    EXPECT_EQ(sink.first_detail(SourceState::kOffline), "camera requires credentials (401)");
}

TEST(RtspClientTest, RefusedPortIsReportedAndRetried) {
    const int port = testing::closed_port();
    ASSERT_GT(port, 0);

    RtspOptions o;
    o.url = "rtsp://127.0.0.1:" + std::to_string(port) + "/stream";
    RtspClientSource source("gate", o, fast_backoff());
    CollectingSink sink;
    source.start(&sink);
    ASSERT_TRUE(sink.wait_for(5s, [&] { return source.stats().reconnects.load() >= 2; }));
    const auto stop_started = std::chrono::steady_clock::now();
    source.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - stop_started, 2s);
    std::lock_guard lock(sink.mu_);
    EXPECT_EQ(sink.first_detail(SourceState::kOffline), "connection refused");
    EXPECT_EQ(sink.states_.front().first, SourceState::kConnecting);
    EXPECT_EQ(sink.states_.back().first, SourceState::kStopped);
}

TEST(RtspClientTest, RtspsIsRefusedClearly) {
    RtspOptions o;
    o.url = "rtsps://127.0.0.1:1/stream";
    RtspClientSource source("tls", o, fast_backoff());
    CollectingSink sink;
    source.start(&sink);
    ASSERT_TRUE(sink.wait_for(5s, [&] { return sink.has_state(SourceState::kOffline); }));
    source.stop();
    std::lock_guard lock(sink.mu_);
    EXPECT_NE(sink.first_detail(SourceState::kOffline).find("rtsps://"), std::string::npos);
}

struct CodecPair {
    Codec video;
    Codec audio;
};

class RtspClientCodecTest : public ::testing::TestWithParam<CodecPair> {};

// Every codec pair simcam serves comes out with the right track descriptions.
TEST_P(RtspClientCodecTest, TracksAndSamples) {
    auto o = small_camera("", "");
    o.camera.video_codec = GetParam().video;
    o.camera.audio_codec = GetParam().audio;
    Simcam cam(o);
    auto url = cam.start();
    ASSERT_TRUE(url) << url.error().message;
    RtspOptions ro;
    ro.url = *url;
    RtspClientSource source("pair", ro, fast_backoff());
    CollectingSink sink;
    source.start(&sink);
    const bool got = sink.wait_for(20s, [&] { return sink.count(0) >= 20 && sink.count(1) >= 10; });
    source.stop();
    ASSERT_TRUE(got) << "video " << sink.count(0) << " audio " << sink.count(1) << " "
                     << sink.first_detail(SourceState::kOffline);
    std::lock_guard lock(sink.mu_);
    ASSERT_EQ(sink.tracks_.size(), 2u);
    EXPECT_EQ(sink.tracks_[0].codec, GetParam().video);
    EXPECT_EQ(sink.tracks_[0].width, 320);
    EXPECT_EQ(sink.tracks_[0].height, 180);
    EXPECT_FALSE(sink.tracks_[0].codec_data.empty());
    EXPECT_EQ(sink.tracks_[1].codec, GetParam().audio);
    EXPECT_EQ(sink.tracks_[1].sample_rate, GetParam().audio == Codec::kOpus ? 48000 : 8000);
    for (const auto& s : sink.samples_) {
        if (s.track == 0) {
            EXPECT_TRUE(s.keyframe);  // the first video sample starts decoding
            break;
        }
    }
    auto init = fmp4::build_init_segment(sink.tracks_);
    EXPECT_TRUE(init) << init.error().message;
}

INSTANTIATE_TEST_SUITE_P(RtspClient, RtspClientCodecTest,
                         ::testing::Values(CodecPair{Codec::kH265, Codec::kOpus},
                                           CodecPair{Codec::kH264, Codec::kPcmu},
                                           CodecPair{Codec::kH265, Codec::kPcma}));

TEST(RtspClientTest, ReconnectsWhenTheCameraComesBack) {
    auto o = small_camera("", "");
    auto cam = std::make_unique<Simcam>(o);
    auto url = cam->start();
    ASSERT_TRUE(url) << url.error().message;
    RtspOptions ro;
    ro.url = *url;
    RtspClientSource source("flaky", ro, fast_backoff());
    CollectingSink sink;
    source.start(&sink);
    ASSERT_TRUE(sink.wait_for(20s, [&] { return sink.count(0) >= 5; }));

    // The camera goes away and comes back on the same port.
    const auto port = static_cast<std::uint16_t>(std::stoi(url->substr(url->rfind(':') + 1)));
    cam.reset();
    ASSERT_TRUE(sink.wait_for(15s, [&] { return sink.has_state(SourceState::kOffline); }));
    o.listen.port = port;
    cam = std::make_unique<Simcam>(o);
    ASSERT_TRUE(cam->start());
    ASSERT_TRUE(sink.wait_for(20s, [&] { return sink.track_calls_ >= 2; }));
    std::size_t before = 0;
    {
        std::lock_guard lock(sink.mu_);
        before = sink.samples_.size();
    }
    EXPECT_TRUE(sink.wait_for(10s, [&] { return sink.samples_.size() > before + 5; }));
    source.stop();
    std::lock_guard lock(sink.mu_);
    int online = 0;
    for (const auto& [state, detail] : sink.states_) {
        online += state == SourceState::kOnline ? 1 : 0;
    }
    EXPECT_EQ(online, 2);
    EXPECT_GE(source.stats().reconnects.load(), 1u);
    const auto detail = sink.first_detail(SourceState::kOffline);
    EXPECT_TRUE(detail == "camera closed the connection" || detail == "no media for 10 s" ||
                detail == "connection reset by the camera")
        << detail;
}

// A scripted camera for what simcam does not do: Basic auth, its own channel numbers, a short
// session timeout (keep-alives), a request of its own, media before the PLAY response, and going
// silent (stall detection).
class FakeCamera {
public:
    // Sends media for `media_for_ms` after PLAY; `sdp` replaces the H.264 description; `greeting`
    // is sent instead of any answer (a server that is not RTSP).
    explicit FakeCamera(std::int64_t media_for_ms, std::string sdp = {}, std::string greeting = {})
        : media_for_ms_(media_for_ms), sdp_(std::move(sdp)), greeting_(std::move(greeting)) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(listen_fd_, 4);
        socklen_t len = sizeof addr;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeCamera() {
        stop_ = true;
        thread_.join();
        ::close(listen_fd_);
    }
    std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port_) + "/live"; }
    std::vector<std::string> received() const {
        std::lock_guard lock(mu_);
        return received_;
    }
    bool saw(const std::string& needle) const {
        for (const auto& r : received()) {
            if (r.find(needle) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

private:
    static std::int64_t now_ms() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }

    void send_all(int fd, const std::string& s) {
        std::size_t at = 0;
        while (at < s.size()) {
            const ssize_t n = ::send(fd, s.data() + at, s.size() - at, MSG_NOSIGNAL);
            if (n <= 0) {
                return;
            }
            at += static_cast<std::size_t>(n);
        }
    }

    std::string frame() {
        // One IDR per frame: a keyframe every sample, channel 6 as the SETUP answer said.
        std::string rtp = {'\x80',
                           '\xe0',
                           static_cast<char>(seq_ >> 8),
                           static_cast<char>(seq_),
                           static_cast<char>(ts_ >> 24),
                           static_cast<char>(ts_ >> 16),
                           static_cast<char>(ts_ >> 8),
                           static_cast<char>(ts_),
                           0,
                           0,
                           0,
                           9};
        rtp += '\x65';
        rtp += std::string(200, '\x42');
        ++seq_;
        ts_ += 3600;
        std::string out = {'$', 6, static_cast<char>(rtp.size() >> 8),
                           static_cast<char>(rtp.size())};
        return out + rtp;
    }

    std::string respond(const std::string& req) {
        const auto cseq_at = req.find("CSeq: ");
        const std::string cseq =
            cseq_at == std::string::npos
                ? "0"
                : req.substr(cseq_at + 6, req.find("\r\n", cseq_at) - cseq_at - 6);
        const std::string head = "RTSP/1.0 200 OK\r\nCSeq: " + cseq + "\r\n";
        // "user:pass" in base64.
        const bool authorized = req.find("Authorization: Basic dXNlcjpwYXNz") != std::string::npos;
        if (req.starts_with("OPTIONS")) {
            return head + "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n\r\n";
        }
        if (!authorized) {
            return "RTSP/1.0 401 Unauthorized\r\nCSeq: " + cseq +
                   "\r\nWWW-Authenticate: Basic realm=\"fake\"\r\n\r\n";
        }
        if (req.starts_with("DESCRIBE")) {
            const std::string sdp =
                !sdp_.empty()
                    ? sdp_
                    : "v=0\r\ns=fake\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                      "a=fmtp:96 packetization-mode=1;sprop-parameter-sets="
                      "Z2QAKKzZQHgCJ+XARAAAAwAEAAADAMg8YMZY,aOvjyyLA\r\na=control:trackID=1\r\n";
            return head + "Content-Type: application/sdp\r\nContent-Base: " + url() +
                   "/\r\nContent-Length: " + std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
        }
        if (req.starts_with("SETUP")) {
            return head +
                   "Transport: RTP/AVP/TCP;unicast;interleaved=6-7\r\n"
                   "Session: abc123;timeout=5\r\n\r\n";
        }
        if (req.starts_with("PLAY")) {
            playing_ = true;
            play_ms_ = now_ms();
            // Media first, then the server's own request, then the answer.
            return frame() + "GET_PARAMETER " + url() + " RTSP/1.0\r\nCSeq: 77\r\n\r\n" + head +
                   "Session: abc123\r\n\r\n";
        }
        return head + "Session: abc123\r\n\r\n";
    }

    void serve() {
        int fd = -1;
        std::string buf;
        std::int64_t next_frame = 0;
        while (!stop_) {
            if (fd < 0) {
                pollfd p{listen_fd_, POLLIN, 0};
                if (::poll(&p, 1, 50) > 0) {
                    fd = ::accept(listen_fd_, nullptr, nullptr);
                }
                continue;
            }
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 10) > 0) {
                char tmp[4096];
                const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
                if (n <= 0) {
                    ::close(fd);
                    fd = -1;
                    playing_ = false;
                    continue;
                }
                buf.append(tmp, static_cast<std::size_t>(n));
                std::size_t end = 0;
                while ((end = buf.find("\r\n\r\n")) != std::string::npos) {
                    const std::string req = buf.substr(0, end + 4);
                    buf.erase(0, end + 4);
                    {
                        std::lock_guard lock(mu_);
                        received_.push_back(req);
                    }
                    if (!greeting_.empty()) {
                        send_all(fd, greeting_);
                    } else if (!req.starts_with("RTSP/")) {
                        send_all(fd, respond(req));
                    }
                }
            }
            const std::int64_t now = now_ms();
            if (playing_ && now >= next_frame && now - play_ms_ < media_for_ms_) {
                send_all(fd, frame());
                next_frame = now + 40;
            }
        }
        if (fd >= 0) {
            ::close(fd);
        }
    }

    std::int64_t media_for_ms_;
    std::string sdp_;
    std::string greeting_;
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    bool playing_ = false;  // serve() thread only
    std::int64_t play_ms_ = 0;
    std::uint16_t seq_ = 1;
    std::uint32_t ts_ = 0x12345678;
    mutable std::mutex mu_;
    std::vector<std::string> received_;  // GUARDED_BY(mu_)
};

TEST(RtspClientTest, BasicAuthKeepAliveAndServerRequests) {
    FakeCamera cam(60'000);
    RtspOptions o;
    o.url = cam.url();
    o.username = "user";
    o.password = "pass";
    RtspClientSource source("fake", o, fast_backoff());
    CollectingSink sink;
    source.start(&sink);
    ASSERT_TRUE(sink.wait_for(5s, [&] { return sink.count(0) >= 10; }));
    // Session timeout 5 s: a keep-alive every 2.5 s, with the session and credentials.
    std::this_thread::sleep_for(3s);
    EXPECT_TRUE(cam.saw("GET_PARAMETER " + cam.url() + "/ RTSP/1.0"));
    bool keepalive_ok = false;
    for (const auto& r : cam.received()) {
        if (r.starts_with("GET_PARAMETER") && r.find("Session: abc123") != std::string::npos &&
            r.find("Authorization: Basic dXNlcjpwYXNz") != std::string::npos) {
            keepalive_ok = true;
        }
    }
    EXPECT_TRUE(keepalive_ok);
    EXPECT_TRUE(cam.saw("RTSP/1.0 200 OK\r\nCSeq: 77\r\n"));  // answered the camera's request
    EXPECT_TRUE(cam.saw("SETUP " + cam.url() + "/trackID=1 RTSP/1.0"));
    source.stop();
    for (int i = 0; i < 50 && !cam.saw("TEARDOWN"); ++i) {
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(cam.saw("TEARDOWN " + cam.url() + "/ RTSP/1.0"));
    std::lock_guard lock(sink.mu_);
    EXPECT_FALSE(sink.has_state(SourceState::kOffline)) << sink.first_detail(SourceState::kOffline);
    ASSERT_EQ(sink.tracks_.size(), 1u);
    EXPECT_EQ(sink.tracks_[0].width, 1920);
    EXPECT_EQ(sink.tracks_[0].height, 1080);
    // 25 fps on the stream clock, starting at zero.
    EXPECT_EQ(sink.samples_[0].dts_us, 0);
    EXPECT_EQ(sink.samples_[1].dts_us, 40'000);
}

TEST(RtspClientTest, SilentCameraIsAStall) {
    FakeCamera cam(500);
    RtspOptions o;
    o.url = cam.url();
    o.username = "user";
    o.password = "pass";
    RtspClientSource source("quiet", o, fast_backoff());
    CollectingSink sink;
    source.start(&sink);
    ASSERT_TRUE(sink.wait_for(15s, [&] { return sink.has_state(SourceState::kOffline); }));
    source.stop();
    std::lock_guard lock(sink.mu_);
    EXPECT_TRUE(sink.has_state(SourceState::kOnline));
    EXPECT_EQ(sink.first_detail(SourceState::kOffline), "no media for 10 s");
}

// The first offline detail for a camera that fails the same way every time.
std::string first_failure(FakeCamera& cam) {
    RtspOptions o;
    o.url = cam.url();
    o.username = "user";
    o.password = "pass";
    RtspClientSource source("odd", o, fast_backoff());
    CollectingSink sink;
    source.start(&sink);
    EXPECT_TRUE(sink.wait_for(15s, [&] { return sink.has_state(SourceState::kOffline); }));
    source.stop();
    std::lock_guard lock(sink.mu_);
    return sink.first_detail(SourceState::kOffline);
}

TEST(RtspClientTest, ClearDetailsForOddCameras) {
    FakeCamera http(0, {}, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(first_failure(http), "camera sent a malformed RTSP response (not RTSP)");

    FakeCamera broken(0, {}, "RTSP/1.0 2000 OK\r\n\r\n");
    EXPECT_EQ(first_failure(broken).rfind("camera sent a malformed RTSP response", 0), 0u);

    FakeCamera audio_only(0,
                          "v=0\r\nm=audio 0 RTP/AVP 0\r\nm=video 0 RTP/AVP 26\r\n"
                          "a=rtpmap:26 JPEG/90000\r\n");
    EXPECT_EQ(first_failure(audio_only), "no supported video track (video JPEG is not supported)");

    // Parameter sets neither in the SDP nor in-band.
    FakeCamera no_sps(60'000,
                      "v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                      "a=control:trackID=1\r\n");
    EXPECT_EQ(first_failure(no_sps), "no H.264 parameter sets (SPS/PPS) within 10 s");
}

// Counts only: what the benchmark keeps per sample.
class CountingSink final : public SourceSink {
public:
    void on_tracks(const std::vector<TrackInfo>&) noexcept override {}
    void on_sample(const EncodedSample& s) noexcept override {
        samples++;
        bytes += s.data->size();
    }
    void on_state(SourceState, const std::string&) noexcept override {}
    std::atomic<std::uint64_t> samples{0};
    std::atomic<std::uint64_t> bytes{0};
};

long pss_kib() {
    std::ifstream in("/proc/self/smaps_rollup");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("Pss:")) {
            return std::atol(line.c_str() + 4);
        }
    }
    return -1;
}

double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Benchmark, off by default: HEARTH_RTSP_BENCH_URL=rtsp://... (an external `hearth simcam
// --file F.mp4`), HEARTH_RTSP_BENCH_STREAMS (8), HEARTH_RTSP_BENCH_SECONDS (30),
// HEARTH_RTSP_BENCH_GST=1 to measure the GStreamer RtspSource instead.
TEST(RtspClientTest, BenchmarkCpuPerStream) {
    const char* url = std::getenv("HEARTH_RTSP_BENCH_URL");
    if (url == nullptr) {
        GTEST_SKIP() << "set HEARTH_RTSP_BENCH_URL to run the benchmark";
    }
    const int streams = std::getenv("HEARTH_RTSP_BENCH_STREAMS")
                            ? std::atoi(std::getenv("HEARTH_RTSP_BENCH_STREAMS"))
                            : 8;
    const int seconds = std::getenv("HEARTH_RTSP_BENCH_SECONDS")
                            ? std::atoi(std::getenv("HEARTH_RTSP_BENCH_SECONDS"))
                            : 30;
    const bool gst = std::getenv("HEARTH_RTSP_BENCH_GST") != nullptr;
    std::vector<std::unique_ptr<Source>> sources;
    std::vector<std::unique_ptr<CountingSink>> sinks;
    const long pss_before = pss_kib();
    for (int i = 0; i < streams; ++i) {
        RtspOptions o;
        o.url = url;
        const std::string name = "bench" + std::to_string(i);
        if (gst) {
            sources.push_back(std::make_unique<RtspSource>(name, o));
        } else {
            sources.push_back(std::make_unique<RtspClientSource>(name, o));
        }
        sinks.push_back(std::make_unique<CountingSink>());
        sources.back()->start(sinks.back().get());
    }
    std::this_thread::sleep_for(3s);  // connected and warm
    const double cpu_start = cpu_seconds();
    std::uint64_t frames_start = 0;
    for (const auto& s : sources) {
        frames_start += s->stats().frames.load();
    }
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    const double cpu = cpu_seconds() - cpu_start;
    const long pss_after = pss_kib();
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    for (const auto& s : sources) {
        frames += s->stats().frames.load();
        bytes += s->stats().bytes.load();
    }
    for (auto& s : sources) {
        s->stop();
    }
    const double stream_minutes = streams * seconds / 60.0;
    std::printf(
        "BENCH %s streams=%d seconds=%d cpu_s=%.3f cpu_s_per_stream_minute=%.4f "
        "core_percent_per_stream=%.3f frames=%llu (%.1f fps/stream) MB=%.1f "
        "pss_delta_kib=%ld (%.0f KiB/stream)\n",
        gst ? "gst-rtspsrc" : "hearth-client", streams, seconds, cpu, cpu / stream_minutes,
        100.0 * cpu / (streams * seconds), static_cast<unsigned long long>(frames - frames_start),
        static_cast<double>(frames - frames_start) / (streams * seconds),
        static_cast<double>(bytes) / 1e6, pss_after - pss_before,
        static_cast<double>(pss_after - pss_before) / streams);
    EXPECT_GT(frames - frames_start, 0u);
}

}  // namespace
}  // namespace hearth::media
