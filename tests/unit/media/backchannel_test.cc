// The hub's audio backchannel (BackchannelSpeaker, probe_backchannel) against the fake camera's
// ONVIF backchannel (Simcam, gst-rtsp-server) in-process on 127.0.0.1, port 0.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "media/backchannel_speaker.h"
#include "media/rtsp_client_source.h"
#include "simcam/simcam.h"
#include "simcam_fixture.h"

namespace hearth::media {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using simcam::Simcam;
using simcam::SimcamOptions;
using testing::random_secret;
using testing::small_camera;

constexpr int kRate = 48000;
constexpr double kAmplitude = 0.5;  // a sine's RMS is A/sqrt(2): about -9 dBFS
constexpr double kToneHz = 1000.0;

// How the hub reaches `cam` at `url`: with its credentials.
RtspOptions reach(const std::string& url, const SimcamOptions& cam) {
    RtspOptions o;
    o.url = url;
    o.username = cam.username;
    o.password = cam.password;
    return o;
}

double expected_dbfs() { return 20 * std::log10(kAmplitude / std::sqrt(2.0)); }

// `count` samples of the test tone, continuing the phase from sample `from`.
std::vector<std::int16_t> tone(std::size_t from, std::size_t count) {
    std::vector<std::int16_t> out(count);
    for (std::size_t i = 0; i < count; ++i) {
        out[i] = static_cast<std::int16_t>(kAmplitude * 32767 *
                                           std::sin(2 * M_PI * kToneHz * double(from + i) / kRate));
    }
    return out;
}

bool wait_until(std::chrono::milliseconds timeout, const std::function<bool()>& done) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(5ms);
    }
    return done();
}

RemoteSpeakerStatus remote(const Speaker& s) {
    return s.status().remote.value_or(RemoteSpeakerStatus{});
}

// The samples of a 48 kHz mono 16-bit WAV file written by WavSpeaker.
std::vector<std::int16_t> read_wav(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 44) {
        return {};
    }
    std::uint32_t data_bytes = 0;
    std::memcpy(&data_bytes, &bytes[40], 4);
    EXPECT_EQ(std::string(&bytes[0], 4), "RIFF");
    EXPECT_EQ(data_bytes, bytes.size() - 44) << "header not finished";
    std::vector<std::int16_t> out((bytes.size() - 44) / 2);
    std::memcpy(out.data(), &bytes[44], out.size() * 2);
    return out;
}

// Level (dBFS) and pitch (Hz, from zero crossings) of what the camera heard, away from the
// resampler's edges.
struct Heard {
    double level_dbfs = -100;
    double hz = 0;
};
Heard analyse(const std::vector<std::int16_t>& pcm) {
    const std::size_t skip = kRate / 10;
    if (pcm.size() < 3 * skip) {
        return {};
    }
    double squares = 0;
    int crossings = 0;
    for (std::size_t i = skip; i + skip < pcm.size(); ++i) {
        squares += double(pcm[i]) * pcm[i];
        if ((pcm[i - 1] < 0) != (pcm[i] < 0)) {
            ++crossings;
        }
    }
    const double n = double(pcm.size() - 2 * skip);
    return {20 * std::log10(std::sqrt(squares / n) / 32768.0), crossings / 2.0 / (n / kRate)};
}

// Pushes `seconds` of tone in 20 ms chunks at real-time pace, as a WebRTC talker does.
void talk(Speaker& speaker, std::uint64_t id, double seconds, std::size_t* phase) {
    const std::size_t chunk = kRate / 50;
    const auto start = Clock::now();
    const int chunks = static_cast<int>(seconds * 50);
    for (int i = 0; i < chunks; ++i) {
        speaker.write(id, tone(*phase, chunk));
        *phase += chunk;
        std::this_thread::sleep_until(start + (i + 1) * 20ms);
    }
}

TEST(BackchannelTest, ToneArrivesInSimcamWavAtItsLevelAndPitch) {
    const auto wav = std::filesystem::temp_directory_path() /
                     ("hearth_backchannel_" + std::to_string(::getpid()) + ".wav");
    std::filesystem::remove(wav);
    auto o = small_camera("viewer", random_secret());
    o.camera.audio = false;  // the camera's own microphone is not under test
    o.backchannel_wav = wav;
    Simcam cam(o);
    auto url = cam.start();
    ASSERT_TRUE(url) << url.error().message;

    const RtspOptions camera = reach(*url, o);
    // The capability, asked the way the app's camera page would.
    auto offer = probe_backchannel(camera, 5s);
    ASSERT_TRUE(offer) << offer.error().message;
    EXPECT_EQ(offer->codec, Codec::kPcmu);
    EXPECT_EQ(offer->payload_type, 0);
    EXPECT_EQ(offer->clock_rate, 8000);

    core::SystemClock clock;
    BackchannelOptions bo;
    bo.linger = 5s;
    BackchannelSpeaker speaker(&clock, "porch", camera, bo);
    ASSERT_TRUE(wait_until(
        5s, [&] { return remote(speaker).capability == BackchannelCapability::kOffered; }));
    EXPECT_EQ(remote(speaker).codec, "PCMU");
    EXPECT_TRUE(speaker.offers_talk());

    // First talk: the session opens while the tone is already queued.
    std::size_t phase = 0;
    const auto began = Clock::now();
    ASSERT_FALSE(speaker.begin(1, "ana"));
    std::thread probe_first([&] {
        ASSERT_TRUE(wait_until(5s, [&] { return cam.backchannel_status().samples > 0; }));
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began);
        std::printf("[ figures  ] begin -> first audio at the camera: %lld ms\n",
                    static_cast<long long>(ms.count()));
    });
    talk(speaker, 1, 1.5, &phase);
    probe_first.join();
    // The camera's meter, while it hears the tone.
    const double live_level = cam.backchannel_level_dbfs();
    EXPECT_NEAR(live_level, expected_dbfs(), 2.0);
    speaker.end(1);
    EXPECT_EQ(remote(speaker).link, BackchannelLink::kOpen);  // lingers for the next press

    // The camera ends its talk after 1 s without audio and finishes the WAV.
    ASSERT_TRUE(wait_until(5s, [&] {
        const auto s = cam.backchannel_status();
        return s.sessions >= 1 && s.talker.empty();
    }));
    const auto pcm = read_wav(wav);
    // At least the 1 s the queue keeps while the session sets up, of the 1.5 s sent.
    ASSERT_GT(pcm.size(), std::size_t{kRate * 9 / 10});
    const Heard heard = analyse(pcm);
    std::printf("[ figures  ] WAV: %zu samples, %.2f dBFS (sent %.2f), %.1f Hz; live meter %.2f\n",
                pcm.size(), heard.level_dbfs, expected_dbfs(), heard.hz, live_level);
    EXPECT_NEAR(heard.level_dbfs, expected_dbfs(), 2.0);
    EXPECT_NEAR(heard.hz, kToneHz, 20.0);
    const auto r = remote(speaker);
    std::printf("[ figures  ] %llu packets sent, %llu samples dropped while setting up\n",
                static_cast<unsigned long long>(r.sent_packets),
                static_cast<unsigned long long>(r.dropped_samples));
    EXPECT_GE(r.sent_packets, 50u);  // 20 ms packets
    EXPECT_TRUE(r.error.empty()) << r.error;

    // A second press within the linger reuses the session: push to the camera's ear is quick.
    ASSERT_FALSE(speaker.begin(2, "ana"));
    const auto second = Clock::now();
    const auto before = cam.backchannel_status().sessions;
    std::thread probe_second([&] {
        ASSERT_TRUE(wait_until(3s, [&] { return cam.backchannel_status().sessions > before; }));
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - second);
        std::printf("[ figures  ] open session: push -> audio at the camera: %lld ms\n",
                    static_cast<long long>(ms.count()));
        EXPECT_LT(ms, 1000ms);
    });
    talk(speaker, 2, 0.5, &phase);
    probe_second.join();
    speaker.end(2);
    std::filesystem::remove(wav);
}

TEST(BackchannelTest, PcmaWhenTheCameraTakesOnlyThat) {
    const auto wav = std::filesystem::temp_directory_path() /
                     ("hearth_backchannel_pcma_" + std::to_string(::getpid()) + ".wav");
    std::filesystem::remove(wav);
    auto o = small_camera("viewer", random_secret());
    o.camera.audio = false;
    o.backchannel_codecs = {Codec::kPcma};
    o.backchannel_wav = wav;
    Simcam cam(o);
    auto url = cam.start();
    ASSERT_TRUE(url) << url.error().message;
    const RtspOptions camera = reach(*url, o);

    core::SystemClock clock;
    BackchannelOptions bo;
    bo.linger = 200ms;
    BackchannelSpeaker speaker(&clock, "porch", camera, bo);
    ASSERT_FALSE(speaker.begin(1, "ana"));
    std::size_t phase = 0;
    talk(speaker, 1, 1.0, &phase);
    speaker.end(1);
    EXPECT_EQ(remote(speaker).codec, "PCMA");
    ASSERT_TRUE(wait_until(5s, [&] {
        const auto s = cam.backchannel_status();
        return s.sessions >= 1 && s.talker.empty();
    }));
    const auto pcm = read_wav(wav);
    ASSERT_GT(pcm.size(), std::size_t{kRate / 2});
    const Heard heard = analyse(pcm);
    std::printf("[ figures  ] PCMA WAV: %zu samples, %.2f dBFS, %.1f Hz\n", pcm.size(),
                heard.level_dbfs, heard.hz);
    EXPECT_NEAR(heard.level_dbfs, expected_dbfs(), 2.0);
    EXPECT_NEAR(heard.hz, kToneHz, 20.0);
    // After the linger the session is torn down, and the link says so.
    ASSERT_TRUE(wait_until(3s, [&] { return remote(speaker).link == BackchannelLink::kIdle; }));
    std::filesystem::remove(wav);
}

TEST(BackchannelTest, CameraWithoutBackchannelIsReportedClearly) {
    auto o = small_camera("viewer", random_secret());
    o.backchannel = false;
    o.camera.audio = false;
    Simcam cam(o);
    auto url = cam.start();
    ASSERT_TRUE(url) << url.error().message;
    const RtspOptions camera = reach(*url, o);

    auto offer = probe_backchannel(camera, 5s);
    ASSERT_FALSE(offer);
    EXPECT_EQ(offer.error().code, core::ErrorCode::kNotFound);
    EXPECT_NE(offer.error().message.find("no audio backchannel"), std::string::npos)
        << offer.error().message;

    core::SystemClock clock;
    BackchannelSpeaker speaker(&clock, "garage", camera);
    ASSERT_TRUE(wait_until(
        5s, [&] { return remote(speaker).capability == BackchannelCapability::kNotOffered; }));
    EXPECT_FALSE(speaker.offers_talk());  // the app shows no talk button
    // Talk anyway: the attempt fails clearly and the audio is dropped, never queued forever.
    ASSERT_FALSE(speaker.begin(1, "ana"));
    speaker.write(1, tone(0, 960));
    ASSERT_TRUE(wait_until(5s, [&] { return remote(speaker).link == BackchannelLink::kFailed; }));
    EXPECT_NE(remote(speaker).error.find("no audio backchannel"), std::string::npos)
        << remote(speaker).error;
    speaker.end(1);
}

TEST(BackchannelTest, WrongCredentialsAreReportedWithoutTheSecret) {
    const std::string password = random_secret();
    auto o = small_camera("viewer", password);
    o.camera.audio = false;
    Simcam cam(o);
    auto url = cam.start();
    ASSERT_TRUE(url) << url.error().message;
    RtspOptions camera;
    camera.url = *url;
    camera.username = "viewer";
    camera.password = "wrong-" + random_secret();

    auto offer = probe_backchannel(camera, 5s);
    ASSERT_FALSE(offer);
    EXPECT_EQ(offer.error().code, core::ErrorCode::kUnauthenticated);
    EXPECT_NE(offer.error().message.find("credentials"), std::string::npos);

    core::SystemClock clock;
    BackchannelSpeaker speaker(&clock, "porch", camera);
    ASSERT_FALSE(speaker.begin(1, "ana"));
    speaker.write(1, tone(0, 960));
    ASSERT_TRUE(wait_until(5s, [&] { return remote(speaker).link == BackchannelLink::kFailed; }));
    const auto r = remote(speaker);
    EXPECT_NE(r.error.find("rejected the credentials"), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find(camera.password), std::string::npos);
    EXPECT_EQ(r.error.find(password), std::string::npos);
    EXPECT_EQ(r.capability, BackchannelCapability::kUnknown);  // cannot tell without logging in
    EXPECT_TRUE(speaker.offers_talk());
    EXPECT_EQ(cam.backchannel_status().sessions, 0u);
    speaker.end(1);
}

TEST(BackchannelTest, NeverBlocksTheCallerWhenTheCameraIsAway) {
    const int port = testing::closed_port();
    ASSERT_GT(port, 0);
    RtspOptions camera;
    camera.url = "rtsp://127.0.0.1:" + std::to_string(port) + "/stream";

    core::SystemClock clock;
    BackchannelSpeaker speaker(&clock, "shed", camera);
    ASSERT_FALSE(speaker.begin(1, "ana"));
    const auto start = Clock::now();
    for (int i = 0; i < 150; ++i) {  // 3 s of audio, as fast as it comes
        speaker.write(1, tone(0, 960));
    }
    EXPECT_LT(Clock::now() - start, 500ms);
    ASSERT_TRUE(wait_until(5s, [&] { return remote(speaker).link == BackchannelLink::kFailed; }));
    const auto r = remote(speaker);
    EXPECT_NE(r.error.find("connection refused"), std::string::npos) << r.error;
    EXPECT_GE(r.dropped_samples, 150u * 960 - 48000);  // at most the 1 s queue was kept
    speaker.end(1);
    const auto stop = Clock::now();
    { BackchannelSpeaker gone(&clock, "shed", camera); }
    EXPECT_LT(Clock::now() - stop, 1s);  // destruction joins the worker promptly
}

TEST(BackchannelTest, RecorderAndOtherClientsAreUnaffected) {
    auto o = small_camera("viewer", random_secret());
    Simcam cam(o);
    auto url = cam.start();
    ASSERT_TRUE(url) << url.error().message;
    const RtspOptions camera = reach(*url, o);

    // A talk holds a backchannel session open meanwhile.
    core::SystemClock clock;
    BackchannelSpeaker speaker(&clock, "porch", camera);
    ASSERT_FALSE(speaker.begin(1, "ana"));
    std::size_t phase = 0;
    speaker.write(1, tone(phase, 960));
    ASSERT_TRUE(wait_until(10s, [&] { return remote(speaker).link == BackchannelLink::kOpen; }));

    // The recorder's client sees the camera's video and microphone, not the backchannel.
    struct Sink final : SourceSink {
        void on_tracks(const std::vector<TrackInfo>& t) noexcept override {
            std::lock_guard lock(mu);
            tracks = t;
        }
        void on_sample(const EncodedSample&) noexcept override {
            std::lock_guard lock(mu);
            ++samples;
        }
        void on_state(SourceState, const std::string&) noexcept override {}
        std::mutex mu;
        std::vector<TrackInfo> tracks;
        int samples = 0;
    } sink;
    RtspClientSource source("porch", camera);
    source.start(&sink);
    ASSERT_TRUE(wait_until(15s, [&] {
        std::lock_guard lock(sink.mu);
        return sink.samples > 30;
    }));
    source.stop();
    {
        std::lock_guard lock(sink.mu);
        ASSERT_EQ(sink.tracks.size(), 2u);
        EXPECT_EQ(sink.tracks[0].codec, Codec::kH264);
        EXPECT_EQ(sink.tracks[1].codec, Codec::kAac);
    }
    talk(speaker, 1, 0.2, &phase);
    speaker.end(1);

    // ffprobe, which never asks for the backchannel, sees the two streams it always saw.
    if (std::system("ffprobe -version >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "ffprobe not installed";
    }
    const std::string authed = "rtsp://" + o.username + ":" + o.password + "@" +
                               url->substr(std::string("rtsp://").size());
    std::string out;
    if (FILE* f = ::popen(("ffprobe -v error -rtsp_transport tcp -show_entries "
                           "stream=codec_name -of csv=p=0 '" +
                           authed + "' 2>&1")
                              .c_str(),
                          "r")) {
        char buf[512];
        while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) {
            out.append(buf, n);
        }
        ::pclose(f);
    }
    EXPECT_EQ(out, "h264\naac\n");
}

TEST(BackchannelTest, ChoosesPcmuThenPcmaFromSendonlySections) {
    auto sdp = [](const std::string& media) {
        return sdp::parse_sdp(
            "v=0\r\ns=x\r\na=control:*\r\n"
            "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
            "a=control:stream=0\r\na=recvonly\r\n" +
                media,
            "rtsp://cam/live");
    };
    auto both =
        sdp("m=audio 0 RTP/AVP 8\r\na=control:stream=1\r\na=sendonly\r\n"
            "m=audio 0 RTP/AVP 0\r\na=control:stream=2\r\na=sendonly\r\n");
    ASSERT_TRUE(both);
    auto offer = choose_backchannel(*both);
    ASSERT_TRUE(offer) << offer.error().message;
    EXPECT_EQ(offer->codec, Codec::kPcmu);
    EXPECT_EQ(offer->control, "rtsp://cam/live/stream=2");

    auto alaw = sdp("m=audio 0 RTP/AVP 8\r\na=control:stream=1\r\na=sendonly\r\n");
    offer = choose_backchannel(*alaw);
    ASSERT_TRUE(offer);
    EXPECT_EQ(offer->codec, Codec::kPcma);
    EXPECT_EQ(offer->payload_type, 8);

    // The camera's own microphone (recvonly) is no way to talk to it.
    auto mic = sdp("m=audio 0 RTP/AVP 0\r\na=control:stream=1\r\na=recvonly\r\n");
    offer = choose_backchannel(*mic);
    ASSERT_FALSE(offer);
    EXPECT_EQ(offer.error().code, core::ErrorCode::kNotFound);
    EXPECT_EQ(offer.error().message, "camera offers no audio backchannel");

    auto aac =
        sdp("m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/16000/1\r\n"
            "a=fmtp:97 streamtype=5;mode=AAC-hbr;config=1408;sizelength=13;indexlength=3;"
            "indexdeltalength=3\r\na=control:stream=1\r\na=sendonly\r\n");
    offer = choose_backchannel(*aac);
    ASSERT_FALSE(offer);
    EXPECT_NE(offer.error().message.find("only in MPEG4-GENERIC"), std::string::npos)
        << offer.error().message;
}

}  // namespace
}  // namespace hearth::media
