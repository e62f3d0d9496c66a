// Encryption at rest, what it costs: the CPU of recording and of playback with the
// recordings encrypted to the household, against the same work on plaintext files, in one
// invocation (targets: at most 1.10x each; see bench/README.md).
//
// Component rows. The stream is real H.264 + AAC: an MP4 made once with ffmpeg (testsrc2,
// x264, ~4 Mbit/s, cached under /tmp/hearth-bench-cache like record_bench.py's), demuxed by
// GStreamer into the samples a camera source delivers, then looped to the length asked for.
// Each run feeds those samples to a fresh media::Recorder (fresh index and folder, a
// FakeClock) and each playback streams the whole recorded range through api::PlaybackBody.
// Runs of the two kinds alternate (ABBA...), and the CPU is this process's user + system
// time (CLOCK_PROCESS_CPUTIME_ID), so it includes the recorder's writer thread and the
// kernel's work for write(), fdatasync() and read(). Their plaintext side runs at memcpy
// speed, so their ratios show the cipher's raw cost.
//
// End-to-end rows: the whole path as the product runs it, what the targets are about.
// - Recording: N cameras in the clear and N encrypted at once, each what the hub makes of
//   an RTSP camera (RtspClientSource -> SinkTee of Recorder and LiveFeed, one Index, the
//   system clock), pulling the same stream in real time from a loopback RTSP server that
//   is this binary run as a child (`--rtsp-serve FILE`, gst-rtsp-server), so the camera's
//   CPU is not counted. Each camera's CPU is that of the two threads it starts; both kinds
//   run in the same window of a shared machine.
// - Playback: the real hub (`hearth serve`, started once to make its household key, then
//   again with the same recording written into its index twice, sealed to that key and in
//   the clear, its owner set up with the printed code and logged in) serving whole-range
//   downloads over HTTPS to curl; the hub's CPU from /proc/PID/stat per download.
//
// A measurement, not a test: it exits 0 whatever the ratios, 1 only when something
// could not run. Not part of `make test`.
#include <fcntl.h>
#include <glib-unix.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "api/playback.h"
#include "core/clock.h"
#include "crypto/chunk_cipher.h"
#include "crypto/household_key.h"
#include "crypto/secret.h"
#include "media/gst.h"
#include "media/gst_source.h"
#include "media/live_feed.h"
#include "media/recorder.h"
#include "media/rtsp_client_source.h"
#include "media/rtsp_source.h"
#include "store/accounts.h"
#include "store/index.h"

extern char** environ;

namespace hearth::bench {
namespace {

namespace fs = std::filesystem;
using media::EncodedSample;
using media::TrackInfo;

constexpr std::int64_t kT0 = 1'790'000'000LL * 1'000'000;  // the FakeClock's start
constexpr double kTarget = 1.10;

struct Options {
    double minutes = 5;  // of recording per run
    int runs = 7;        // timed runs of each kind
    int kbps = 4000;
    int width = 1280;
    int height = 720;
    int fps = 25;
    std::string media;  // an MP4 (H.264 + AAC) to use instead of the generated one
    bool ffmpeg_peer = true;
    bool keep = false;
    // End to end (see the file comment).
    bool e2e = true;
    std::string hearth;     // the hub; default: src/app/hearth of this build
    int streams = 8;        // RTSP cameras of each kind recorded at once
    double window = 15;     // s of CPU measured per live recording run
    int live_runs = 3;      // live recording runs (both kinds at once in each)
    int play_samples = 5;   // hub CPU samples of each kind, alternating
    int downloads = 3;      // downloads of the whole range per sample
};

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double wall_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double median(std::vector<double> v) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Runs argv to completion; returns its exit status and adds its CPU seconds to *cpu.
int run_process(const std::vector<std::string>& argv, double* cpu = nullptr) {
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) {
        return -1;
    }
    int status = 0;
    rusage ru{};
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    if (cpu) {
        *cpu += static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---------------------------------------------------------------- the stream

std::string ensure_media(const Options& o) {
    if (!o.media.empty()) {
        return o.media;
    }
    const fs::path cache = "/tmp/hearth-bench-cache";
    fs::create_directories(cache);
    const std::string name = "testsrc2_" + std::to_string(o.width) + "x" +
                             std::to_string(o.height) + "_" + std::to_string(o.fps) + "fps_" +
                             std::to_string(o.kbps) + "k_g" + std::to_string(o.fps) +
                             "_30s_aac.mp4";
    const fs::path path = cache / name;
    if (fs::exists(path)) {
        return path;
    }
    std::printf("encoding %s once (cached in %s) ...\n", name.c_str(), cache.c_str());
    std::fflush(stdout);
    const fs::path tmp = path.string() + "." + std::to_string(getpid()) + ".part.mp4";
    const int rc = run_process(
        {"ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=" + std::to_string(o.width) + "x" + std::to_string(o.height) +
             ":rate=" + std::to_string(o.fps),
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "30", "-c:v",
         "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", std::to_string(o.fps),
         "-b:v", std::to_string(o.kbps) + "k", "-maxrate", std::to_string(o.kbps) + "k",
         "-bufsize", std::to_string(o.kbps / 2) + "k", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-b:a", "64k", "-ac", "1", tmp.string()});
    if (rc != 0) {
        std::error_code ec;
        fs::remove(tmp, ec);
        fail("ffmpeg could not encode the test stream (exit " + std::to_string(rc) + ")");
    }
    fs::rename(tmp, path);
    return path;
}

// An MP4 file demuxed by GStreamer as fast as it goes: the samples and tracks a camera
// source would deliver (the same appsink and caps code as every camera).
class FileSource final : public media::GstSource {
public:
    explicit FileSource(std::string path) : path_(std::move(path)) {}
    ~FileSource() override { stop(); }
    std::string describe() const override { return "file:" + path_; }

protected:
    core::Result<media::gst::ElementPtr> build_pipeline() override {
        HEARTH_ASSIGN_OR_RETURN(
            auto pipeline,
            media::gst::parse_pipeline(
                "filesrc name=file ! qtdemux name=demux "
                "demux.video_0 ! queue ! h264parse ! video/x-h264,stream-format=avc,alignment=au "
                "! appsink name=vsink "
                "demux.audio_0 ! queue ! aacparse ! audio/mpeg,stream-format=raw "
                "! appsink name=asink"));
        g_object_set(media::gst::by_name(pipeline.get(), "file").get(), "location",
                     path_.c_str(), nullptr);
        attach_appsink(media::gst::by_name(pipeline.get(), "vsink").get(), 0);
        attach_appsink(media::gst::by_name(pipeline.get(), "asink").get(), 1);
        set_expected_tracks(2);
        return pipeline;
    }

private:
    std::string path_;
};

// Keeps the first run of a source: its tracks and every sample until it goes offline
// (the file's end).
class Collector final : public media::SourceSink {
public:
    void on_tracks(const std::vector<TrackInfo>& tracks) noexcept override {
        std::lock_guard lock(mu_);
        if (!done_ && tracks_.empty()) {
            tracks_ = tracks;
        }
    }
    void on_sample(const EncodedSample& sample) noexcept override {
        std::lock_guard lock(mu_);
        if (!done_) {
            samples_.push_back(sample);
        }
    }
    void on_state(media::SourceState state, const std::string& detail) noexcept override {
        if (state == media::SourceState::kOffline || state == media::SourceState::kStopped) {
            std::lock_guard lock(mu_);
            if (!done_) {
                detail_ = detail;
            }
            done_ = true;
            cv_.notify_all();
        }
    }
    bool wait(std::chrono::seconds timeout) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, [this] { return done_; });
    }
    std::vector<TrackInfo> tracks_;
    std::vector<EncodedSample> samples_;
    std::string detail_;

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
};

struct Stream {
    std::vector<TrackInfo> tracks;
    std::vector<EncodedSample> samples;  // the looped feed, in decode order
    double seconds = 0;                  // of video in the feed
    std::uint64_t bytes = 0;             // sample payload bytes in the feed
    std::string desc;
};

Stream load_stream(const std::string& path, double minutes) {
    Collector sink;
    {
        FileSource source(path);
        source.start(&sink);
        if (!sink.wait(std::chrono::seconds(120))) {
            fail("demuxing " + path + " did not finish in 120 s");
        }
        source.stop();
    }
    if (sink.detail_ != "stream ended") {
        fail("demuxing " + path + " failed: " + sink.detail_);
    }
    Stream s;
    s.tracks = sink.tracks_;
    if (s.tracks.size() != 2 || s.tracks[0].codec != media::Codec::kH264 ||
        s.tracks[1].codec != media::Codec::kAac) {
        fail(path + " must hold one H.264 and one AAC track");
    }
    auto clip = std::move(sink.samples_);
    std::stable_sort(clip.begin(), clip.end(), [](const auto& a, const auto& b) {
        return a.dts_us < b.dts_us;
    });
    std::int64_t v_first = -1, v_last = -1, v_count = 0;
    for (const auto& x : clip) {
        if (x.track == 0) {
            v_first = v_first < 0 ? x.dts_us : v_first;
            v_last = x.dts_us;
            ++v_count;
        }
    }
    if (v_count < 2 || !clip.front().keyframe) {
        fail(path + ": too few video frames, or it does not start with a keyframe");
    }
    const std::int64_t frame_us = (v_last - v_first) / (v_count - 1);
    const std::int64_t clip_us = v_last - v_first + frame_us;
    const auto loops = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(minutes * 60e6 / static_cast<double>(clip_us) + 0.5));
    std::uint64_t clip_bytes = 0;
    for (const auto& x : clip) {
        clip_bytes += x.data->size();
    }
    for (std::int64_t l = 0; l < loops; ++l) {
        for (const auto& x : clip) {
            if (x.dts_us < v_first || x.dts_us >= v_first + clip_us) {
                continue;  // audio beyond the video's ends would overlap the next loop
            }
            EncodedSample y = x;  // the payload is shared, not copied
            y.dts_us += l * clip_us;
            y.pts_us += l * clip_us;
            s.samples.push_back(std::move(y));
            s.bytes += x.data->size();
        }
    }
    s.seconds = static_cast<double>(loops * clip_us) / 1e6;
    char desc[256];
    std::snprintf(desc, sizeof desc,
                  "H.264 %dx%d %.0f fps + AAC %d Hz, %.2f Mbit/s (samples), a %.0f s clip "
                  "looped to %.0f s",
                  s.tracks[0].width, s.tracks[0].height, 1e6 / static_cast<double>(frame_us),
                  s.tracks[1].sample_rate,
                  static_cast<double>(clip_bytes) * 8 / (static_cast<double>(clip_us) / 1e6) / 1e6,
                  static_cast<double>(clip_us) / 1e6, s.seconds);
    s.desc = desc;
    return s;
}

// ---------------------------------------------------------------- recording

struct Recording {
    fs::path dir;
    std::unique_ptr<store::Index> index;
    core::CameraId camera;
    double cpu = 0;
    double wall = 0;
    std::uint64_t disk_bytes = 0;
    std::uint64_t fragments = 0;
    std::uint64_t segments = 0;
};

std::uint64_t bytes_under(const fs::path& dir) {
    std::uint64_t total = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) {
            total += e.file_size();
        }
    }
    return total;
}

// Feeds the whole stream to a Recorder for `camera` of `index`, files under `dir`, its
// clock starting at `t0_us`; returns the recorder's CPU and wall time.
struct Fed {
    double cpu = 0;
    double wall = 0;
    std::uint64_t fragments = 0;
    std::uint64_t segments = 0;
};

Fed feed(store::Index& index, core::CameraId camera, const fs::path& dir, const Stream& stream,
         const std::optional<crypto::PublicKey>& household, std::int64_t t0_us) {
    core::FakeClock clock(t0_us);
    media::RecorderOptions o;
    o.household = household;
    // Everything is queued at once (far faster than real time): room for all of it.
    o.queue_capacity = stream.samples.size() + 16;
    media::Recorder r(camera, index, dir, clock, o);
    r.start();
    Fed f;
    const double c0 = cpu_now(), w0 = wall_now();
    r.on_tracks(stream.tracks);
    r.on_state(media::SourceState::kOnline, "bench");
    for (const auto& s : stream.samples) {
        r.on_sample(s);
    }
    r.stop();
    f.cpu = cpu_now() - c0;
    f.wall = wall_now() - w0;
    const auto& st = r.stats();
    if (st.dropped_samples != 0 || st.write_errors != 0) {
        fail("recorder dropped " + std::to_string(st.dropped_samples.load()) + " samples, " +
             std::to_string(st.write_errors.load()) + " write errors");
    }
    f.fragments = st.fragments;
    f.segments = st.segments;
    return f;
}

Recording record(const fs::path& dir, const Stream& stream,
                 const std::optional<crypto::PublicKey>& household) {
    Recording rec;
    rec.dir = dir;
    fs::create_directories(dir);
    auto index = store::Index::open(dir / "hearth.db");
    if (!index) {
        fail("index: " + index.error().message);
    }
    rec.index = std::move(*index);
    store::Camera c;
    c.name = "bench";
    c.kind = store::CameraKind::kSim;
    auto cam = rec.index->add_camera(c);
    if (!cam) {
        fail("index: " + cam.error().message);
    }
    rec.camera = *cam;
    const Fed f = feed(*rec.index, rec.camera, dir, stream, household, kT0);
    rec.cpu = f.cpu;
    rec.wall = f.wall;
    rec.fragments = f.fragments;
    rec.segments = f.segments;
    rec.disk_bytes = bytes_under(dir / "recordings");
    return rec;
}

// ---------------------------------------------------------------- playback

struct Played {
    double cpu = 0;
    double wall = 0;
    std::uint64_t bytes = 0;
};

std::vector<store::PlaybackPiece> whole_range(const Recording& rec) {
    auto pieces = rec.index->playback(rec.camera, kT0 - 1, std::numeric_limits<std::int64_t>::max() / 2);
    if (!pieces || pieces->empty()) {
        fail("no playback pieces: " + (pieces ? std::string("empty") : pieces.error().message));
    }
    return std::move(*pieces);
}

// Streams the recording's whole range as the playback route does: open, then next() until
// the body is drained. `out`, when given, receives the stream (untimed check runs only).
Played play(const Recording& rec, const media::KeyOpener& opener,
            std::vector<std::uint8_t>* out = nullptr) {
    auto pieces = whole_range(rec);
    Played p;
    std::uint64_t damaged = 0;
    const double c0 = cpu_now(), w0 = wall_now();
    auto body = api::PlaybackBody::open(rec.dir, std::move(pieces), opener,
                                        [&](const auto&, const auto&) { ++damaged; });
    if (!body) {
        fail("playback: " + body.error().message);
    }
    for (;;) {
        auto chunk = (*body)->next();
        if (chunk.empty()) {
            break;
        }
        p.bytes += chunk.size();
        if (out) {
            out->insert(out->end(), chunk.begin(), chunk.end());
        }
    }
    p.cpu = cpu_now() - c0;
    p.wall = wall_now() - w0;
    if (damaged != 0) {
        fail("playback left out " + std::to_string(damaged) + " damaged fragments");
    }
    if (p.bytes != *(*body)->size()) {
        fail("playback streamed " + std::to_string(p.bytes) + " bytes of " +
             std::to_string(*(*body)->size()) + " announced");
    }
    return p;
}

std::vector<fs::path> segment_files(const Recording& rec) {
    auto segs = rec.index->segments(rec.camera, 0, std::numeric_limits<std::int64_t>::max() / 2);
    if (!segs) {
        fail("index: " + segs.error().message);
    }
    std::vector<fs::path> files;
    for (const auto& s : *segs) {
        files.push_back(rec.dir / s.path);
    }
    return files;
}

// The floor: the same files read with plain read() calls, nothing else.
Played read_floor(const std::vector<fs::path>& files) {
    Played p;
    std::vector<char> buf(256 * 1024);
    const double c0 = cpu_now(), w0 = wall_now();
    for (const auto& f : files) {
        const int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fail("cannot open " + f.string());
        }
        for (;;) {
            const ssize_t n = ::read(fd, buf.data(), buf.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            p.bytes += static_cast<std::uint64_t>(n);
        }
        ::close(fd);
    }
    p.cpu = cpu_now() - c0;
    p.wall = wall_now() - w0;
    return p;
}

// The external peer: ffmpeg remuxing each file to nowhere (one process per file).
Played ffmpeg_copy(const std::vector<fs::path>& files) {
    Played p;
    const double w0 = wall_now();
    for (const auto& f : files) {
        const int rc = run_process(
            {"ffmpeg", "-nostdin", "-v", "error", "-i", f.string(), "-c", "copy", "-f", "null", "-"},
            &p.cpu);
        if (rc != 0) {
            fail("ffmpeg -c copy failed on " + f.string());
        }
        p.bytes += fs::file_size(f);
    }
    p.wall = wall_now() - w0;
    return p;
}

// The cipher alone: the recording's fragments (plaintext, in memory) through
// crypto::encrypt_chunk, and back through decrypt_chunk, with no file or index.
struct CipherPeer {
    crypto::SecretBytes key;
    std::vector<std::vector<std::uint8_t>> plain, sealed;
    std::vector<std::int64_t> offsets;
};

CipherPeer load_fragments(const Recording& rec) {
    CipherPeer c;
    auto key = crypto::SecretBytes::random(crypto::kChunkKeyBytes);
    if (!key) {
        fail("key: " + key.error().message);
    }
    c.key = std::move(*key);
    for (const auto& piece : whole_range(rec)) {
        std::ifstream in(rec.dir / piece.path, std::ios::binary);
        std::vector<std::uint8_t> bytes(static_cast<std::size_t>(piece.fragment.bytes));
        in.seekg(piece.fragment.offset);
        in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (!in) {
            fail("cannot read a fragment of " + piece.path);
        }
        c.plain.push_back(std::move(bytes));
        c.offsets.push_back(piece.fragment.offset);
    }
    return c;
}

// Like the recorder, one chunk at a time: each sealed chunk is dropped once made (`keep`
// fills c.sealed for cipher_decrypt instead; untimed).
Played cipher_encrypt(CipherPeer& c, bool keep = false) {
    Played p;
    const double c0 = cpu_now(), w0 = wall_now();
    for (std::size_t i = 0; i < c.plain.size(); ++i) {
        auto sealed = crypto::encrypt_chunk(c.key, static_cast<std::uint64_t>(c.offsets[i]),
                                            c.plain[i]);
        if (!sealed) {
            fail("encrypt_chunk: " + sealed.error().message);
        }
        p.bytes += c.plain[i].size();
        if (keep) {
            c.sealed.push_back(std::move(*sealed));
        }
    }
    p.cpu = cpu_now() - c0;
    p.wall = wall_now() - w0;
    return p;
}

Played cipher_decrypt(const CipherPeer& c) {
    Played p;
    const double c0 = cpu_now(), w0 = wall_now();
    for (std::size_t i = 0; i < c.sealed.size(); ++i) {
        auto plain = crypto::decrypt_chunk(c.key, static_cast<std::uint64_t>(c.offsets[i]),
                                           c.sealed[i]);
        if (!plain || plain->size() != c.plain[i].size()) {
            fail("decrypt_chunk failed on its own output");
        }
        p.bytes += plain->size();
    }
    p.cpu = cpu_now() - c0;
    p.wall = wall_now() - w0;
    return p;
}

// ---------------------------------------------------------------- end to end: processes

// A child process (the hub, the RTSP server, the CLI, curl) with stdin from `in` and stdout
// and stderr to `out`. It gets SIGTERM if this process dies first (PR_SET_PDEATHSIG), and
// the destructor stops it (SIGTERM, then SIGKILL): no child outlives the bench.
class Child {
public:
    Child(const std::vector<std::string>& argv, const fs::path& out,
          const fs::path& in = "/dev/null")
        : out_(out) {
        std::vector<char*> args;
        for (const auto& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));
        }
        args.push_back(nullptr);
        const std::string path = resolve(argv.at(0));
        const std::string in_s = in.string(), out_s = out.string();
        const pid_t parent = getpid();
        pid_ = fork();
        if (pid_ < 0) {
            fail("fork failed");
        }
        if (pid_ == 0) {  // async-signal-safe calls only until exec
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent) {
                _exit(127);
            }
            const int i = ::open(in_s.c_str(), O_RDONLY);
            const int o = ::open(out_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (i < 0 || o < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(o, 2) < 0) {
                _exit(127);
            }
            close_range(3, ~0u, 0);  // nothing else of the bench's (files, sockets) goes along
            execve(path.c_str(), args.data(), environ);
            _exit(127);
        }
    }
    ~Child() { stop(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    const fs::path& log() const { return out_; }
    bool running() {
        reap(WNOHANG);
        return !done_;
    }
    // Waits for the exit; returns the exit status (-1: killed) and adds its CPU to *cpu.
    int wait(double* cpu = nullptr) {
        reap(0);
        if (cpu) {
            *cpu += cpu_;
        }
        return status_;
    }
    int stop(double timeout_s = 20) {
        if (running()) {
            ::kill(pid_, SIGTERM);
            const double end = wall_now() + timeout_s;
            while (running() && wall_now() < end) {
                usleep(20'000);
            }
            if (running()) {
                ::kill(pid_, SIGKILL);
                reap(0);
            }
        }
        return status_;
    }
    std::string tail(std::size_t n = 2000) const {
        std::ifstream f(out_);
        std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        return text.size() > n ? text.substr(text.size() - n) : text;
    }
    // The first capture of `pattern` in a line of the output, waiting up to `timeout_s`.
    std::string wait_for(const std::string& pattern, double timeout_s, const std::string& what) {
        const std::regex rx(pattern);
        const double end = wall_now() + timeout_s;
        for (;;) {
            std::ifstream f(out_);
            for (std::string line; std::getline(f, line);) {
                std::smatch m;
                if (std::regex_search(line, m, rx)) {
                    return m[1];
                }
            }
            if (!running() || wall_now() > end) {
                fail(what + " did not start (exit " + std::to_string(status_) + "):\n" + tail());
            }
            usleep(50'000);
        }
    }

private:
    // argv[0] as execvp would find it (looked up here: the child only calls execve).
    static std::string resolve(const std::string& name) {
        if (name.find('/') != std::string::npos) {
            return name;
        }
        const char* path = std::getenv("PATH");
        std::istringstream dirs(path ? path : "/usr/bin:/bin");
        for (std::string dir; std::getline(dirs, dir, ':');) {
            const fs::path p = fs::path(dir.empty() ? "." : dir) / name;
            if (access(p.c_str(), X_OK) == 0) {
                return p;
            }
        }
        fail(name + " is needed and was not found on PATH");
    }

    void reap(int flags) {
        if (done_ || pid_ <= 0) {
            return;
        }
        int status = 0;
        rusage ru{};
        pid_t r;
        while ((r = wait4(pid_, &status, flags, &ru)) < 0 && errno == EINTR) {
        }
        if (r == pid_) {
            done_ = true;
            status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            cpu_ = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                   static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
        }
    }

    fs::path out_;
    pid_t pid_ = -1;
    bool done_ = false;
    int status_ = -1;
    double cpu_ = 0;
};

// Runs argv to completion (output to `out`); fails with its output unless it exits 0.
double run_checked(const std::vector<std::string>& argv, const fs::path& out,
                   const fs::path& in = "/dev/null") {
    Child c(argv, out, in);
    double cpu = 0;
    if (const int rc = c.wait(&cpu); rc != 0) {
        fail(argv[0] + " " + (argv.size() > 1 ? argv[1] : "") + " failed (exit " +
             std::to_string(rc) + "):\n" + c.tail());
    }
    return cpu;
}

// Fields 10 (minor faults), 14 (utime) and 15 (stime) of /proc/PID/stat: all its threads.
struct ProcStat {
    double cpu = 0;  // user + system s
    std::uint64_t minor_faults = 0;
};

ProcStat process_stat(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto paren = text.rfind(')');
    if (paren == std::string::npos) {
        fail("cannot read /proc/" + std::to_string(pid) + "/stat");
    }
    std::istringstream in(text.substr(paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    ProcStat st;
    for (int i = 3; i <= 15 && in >> field; ++i) {  // state is field 3
        if (i == 10) {
            st.minor_faults = std::stoull(field);
        } else if (i == 14) {
            utime = std::stoull(field);
        } else if (i == 15) {
            stime = std::stoull(field);
        }
    }
    st.cpu = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    return st;
}

void write_private(const fs::path& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        fail("cannot write " + path.string());
    }
    ::close(fd);
}

fs::path self_exe() { return fs::read_symlink("/proc/self/exe"); }

// ---------------------------------------------------------------- end to end: the camera

// The clip looped (stream copy) to a file long enough for any one recording run: the RTSP
// server plays it from the start to each client.
std::string long_media(const std::string& clip, int seconds) {
    const fs::path cache = "/tmp/hearth-bench-cache";
    fs::create_directories(cache);
    const fs::path path =
        cache / (fs::path(clip).stem().string() + "_loop" + std::to_string(seconds) + "s.mp4");
    if (fs::exists(path)) {
        return path;
    }
    const fs::path tmp = path.string() + "." + std::to_string(getpid()) + ".part.mp4";
    const int rc = run_process({"ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-stream_loop",
                                "-1", "-i", clip, "-t", std::to_string(seconds), "-c", "copy",
                                tmp.string()});
    if (rc != 0) {
        std::error_code ec;
        fs::remove(tmp, ec);
        fail("ffmpeg could not loop " + clip + " (exit " + std::to_string(rc) + ")");
    }
    fs::rename(tmp, path);
    return path;
}

GMainLoop* g_rtsp_loop = nullptr;

// `encryption_bench --rtsp-serve FILE`, run as a child process so that its CPU is not
// counted: an RTSP server (gst-rtsp-server, as `hearth simcam` is) serving FILE's H.264 and
// AAC as they are, in real time, to every client on 127.0.0.1 (from the start for each). Prints
// "rtsp listening on URL" and runs until SIGTERM.
int rtsp_serve(const std::string& file) {
    media::gst::ensure_init();
    g_rtsp_loop = g_main_loop_new(nullptr, FALSE);
    GstRTSPServer* server = gst_rtsp_server_new();
    gst_rtsp_server_set_address(server, "127.0.0.1");
    gst_rtsp_server_set_service(server, "0");
    gst_rtsp_server_set_backlog(server, 128);
    GstRTSPThreadPool* pool = gst_rtsp_server_get_thread_pool(server);
    gst_rtsp_thread_pool_set_max_threads(pool, 16);
    g_object_unref(pool);
    GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
    gst_rtsp_media_factory_set_launch(
        factory,
        "( filesrc name=file ! qtdemux name=demux "
        "demux.video_0 ! queue ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 "
        "demux.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97 )");
    // A media per client: a shared one made from a file trips gst-rtsp-server (1.22) when
    // clients come and go (DESCRIBE stalls, or an assertion in gst_rtsp_media_get_rates).
    gst_rtsp_media_factory_set_shared(factory, FALSE);
    static std::string location;
    location = file;
    g_signal_connect(factory, "media-configure",
                     G_CALLBACK(+[](GstRTSPMediaFactory*, GstRTSPMedia* m, gpointer) {
                         GstElement* e = gst_rtsp_media_get_element(m);
                         g_object_set(media::gst::by_name(e, "file").get(), "location",
                                      location.c_str(), nullptr);
                         gst_object_unref(e);
                     }),
                     nullptr);
    GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server);
    gst_rtsp_mount_points_add_factory(mounts, "/stream", factory);
    g_object_unref(mounts);
    if (gst_rtsp_server_attach(server, nullptr) == 0) {
        std::fprintf(stderr, "rtsp server cannot listen\n");
        return 1;
    }
    std::printf("rtsp listening on rtsp://127.0.0.1:%d/stream\n",
                gst_rtsp_server_get_bound_port(server));
    std::fflush(stdout);
    g_unix_signal_add(SIGTERM, +[](gpointer) -> gboolean {
        g_main_loop_quit(g_rtsp_loop);
        return G_SOURCE_REMOVE;
    }, nullptr);
    g_main_loop_run(g_rtsp_loop);
    return 0;
}

// ---------------------------------------------------------------- end to end: recording

std::vector<pid_t> own_threads() {
    std::vector<pid_t> tids;
    for (const auto& e : fs::directory_iterator("/proc/self/task")) {
        tids.push_back(static_cast<pid_t>(std::stol(e.path().filename().string())));
    }
    std::sort(tids.begin(), tids.end());
    return tids;
}

// CPU seconds (user + system, ns precision) of one thread of this process: the clock
// pthread_getcpuclockid() gives, made from the thread id (Linux's MAKE_THREAD_CPUCLOCK).
double thread_cpu(pid_t tid) {
    const auto id = static_cast<clockid_t>((~static_cast<unsigned>(tid) << 3) | 6u);
    timespec ts{};
    if (clock_gettime(id, &ts) != 0) {
        fail("thread " + std::to_string(tid) + " has no CPU clock");
    }
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct LiveRun {
    double cpu[2] = {0, 0};          // [plaintext, encrypted]: the cameras' threads, the window
    std::uint64_t bytes[2] = {0, 0};  // written by those recorders over the window
    double process_cpu = 0;          // the whole process over the window
    double wall = 0;                 // the window
};

// What the hub does per RTSP camera (Hub::reconcile_cameras): an RtspClientSource (the
// client make_source picks for rtsp:// over TCP) into a SinkTee of the Recorder and the
// LiveFeed, one shared Index, the system clock. `n` cameras recording in the clear and `n`
// encrypted, interleaved, all at once on `url`: both kinds see the same moment of a shared
// machine. Each camera's CPU is that of the two threads it brings (the source's, which also
// runs the tee and the live feed, and the recorder's writer, which also writes the index),
// over `window_s` once every recorder has written fragments.
LiveRun record_live(const fs::path& dir, const std::string& url, int n, double window_s,
                    const crypto::PublicKey& household) {
    fs::create_directories(dir);
    auto index = store::Index::open(dir / "hearth.db");
    if (!index) {
        fail("index: " + index.error().message);
    }
    core::SystemClock clock;
    // The tee, keeping the source's last state detail for the error message.
    struct Watch final : media::SourceSink {
        explicit Watch(std::vector<media::SourceSink*> sinks) : tee(std::move(sinks)) {}
        void on_tracks(const std::vector<TrackInfo>& tracks) noexcept override {
            tee.on_tracks(tracks);
        }
        void on_sample(const EncodedSample& sample) noexcept override { tee.on_sample(sample); }
        void on_state(media::SourceState state, const std::string& detail) noexcept override {
            {
                std::lock_guard lock(mu);
                last = detail;
            }
            tee.on_state(state, detail);
        }
        std::string detail() {
            std::lock_guard lock(mu);
            return last;
        }
        media::SinkTee tee;
        std::mutex mu;
        std::string last;
    };
    struct Cam {
        bool encrypted = false;
        std::unique_ptr<media::Recorder> recorder;
        std::unique_ptr<media::LiveFeed> live;
        std::unique_ptr<Watch> tee;
        std::unique_ptr<media::RtspClientSource> source;
        std::vector<pid_t> threads;  // the ones its recorder and source started
    };
    std::vector<Cam> cams(static_cast<std::size_t>(2 * n));
    auto stop_all = [&] {
        for (auto& cam : cams) {
            if (cam.source) {
                cam.source->stop();
            }
        }
        for (auto& cam : cams) {
            if (cam.recorder) {
                cam.recorder->stop();
            }
        }
    };
    struct StopAll {
        std::function<void()> f;
        ~StopAll() { f(); }
    } stop_guard{stop_all};
    for (int i = 0; i < 2 * n; ++i) {
        auto& cam = cams[static_cast<std::size_t>(i)];
        cam.encrypted = i % 2 == 1;
        store::Camera c;
        c.name = "live" + std::to_string(i + 1);
        c.kind = store::CameraKind::kRtsp;
        c.url = url;
        auto id = (*index)->add_camera(c);
        if (!id) {
            fail("index: " + id.error().message);
        }
        auto options = media::parse_rtsp_url(url);
        if (!options) {
            fail("rtsp url: " + options.error().message);
        }
        media::RecorderOptions ro;
        ro.segment_target = std::chrono::seconds(60);  // the hub's default segment_length
        if (cam.encrypted) {
            ro.household = household;
        }
        const auto before = own_threads();
        cam.recorder = std::make_unique<media::Recorder>(*id, **index, dir, clock, ro);
        cam.recorder->start();
        cam.live = std::make_unique<media::LiveFeed>();
        cam.tee = std::make_unique<Watch>(
            std::vector<media::SourceSink*>{cam.recorder.get(), cam.live.get()});
        cam.source = std::make_unique<media::RtspClientSource>(c.name, std::move(*options));
        cam.source->start(cam.tee.get());
        const auto after = own_threads();
        std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                            std::back_inserter(cam.threads));
        if (cam.threads.size() != 2) {
            fail("a camera started " + std::to_string(cam.threads.size()) +
                 " threads, not 2 (its source's and its recorder's)");
        }
    }
    // Settled: every recorder has written two fragments (the stream reaches it, ~2 s).
    const double deadline = wall_now() + 30;
    for (;;) {
        bool all = true;
        for (const auto& cam : cams) {
            all = all && cam.recorder->stats().fragments >= 2;
        }
        if (all) {
            break;
        }
        if (wall_now() > deadline) {
            std::string got;
            for (const auto& cam : cams) {
                got += " " + std::to_string(cam.recorder->stats().fragments.load()) + "/" +
                       std::to_string(cam.source->stats().frames.load()) + "/" +
                       std::to_string(cam.source->stats().reconnects.load()) + " (" +
                       cam.tee->detail() + ")";
            }
            fail("the RTSP cameras did not all record within 30 s from " + url +
                 " (fragments/frames/reconnects per camera:" + got + ")");
        }
        usleep(50'000);
    }
    struct Mark {
        double cpu[2] = {0, 0};
        std::uint64_t bytes[2] = {0, 0};
    };
    auto mark = [&] {
        Mark m;
        for (const auto& cam : cams) {
            for (const pid_t t : cam.threads) {
                m.cpu[cam.encrypted] += thread_cpu(t);
            }
            m.bytes[cam.encrypted] += cam.recorder->stats().bytes;
        }
        return m;
    };
    LiveRun run;
    const double p0 = cpu_now(), w0 = wall_now();
    const Mark m0 = mark();
    usleep(static_cast<useconds_t>(window_s * 1e6));
    const Mark m1 = mark();
    run.process_cpu = cpu_now() - p0;
    run.wall = wall_now() - w0;
    for (int k = 0; k < 2; ++k) {
        run.cpu[k] = m1.cpu[k] - m0.cpu[k];
        run.bytes[k] = m1.bytes[k] - m0.bytes[k];
    }
    stop_all();
    for (const auto& cam : cams) {
        const auto& st = cam.recorder->stats();
        if (st.dropped_samples != 0 || st.write_errors != 0 ||
            cam.source->stats().reconnects != 0) {
            fail("live recording: " + std::to_string(st.dropped_samples.load()) +
                 " dropped samples, " + std::to_string(st.write_errors.load()) +
                 " write errors, " + std::to_string(cam.source->stats().reconnects.load()) +
                 " reconnects (" + cam.tee->detail() + ")");
        }
    }
    return run;
}

// ---------------------------------------------------------------- end to end: playback

// The real hub (`hearth serve`) serving the same recording twice over HTTPS: camera 1
// encrypted to the hub's household key, camera 2 in the clear.
struct HubPlayback {
    std::uint64_t bytes = 0;  // body of one download
    double stream_seconds = 0;
    int downloads_per_sample = 0;
    std::vector<double> hub_plain, hub_enc;        // hub CPU s per download, per sample
    std::vector<double> wall_plain, wall_enc;      // s per download
    std::vector<double> client_plain, client_enc;  // curl CPU s per download
    std::vector<double> faults_plain, faults_enc;  // hub minor page faults per download
};

std::string hub_url(Child& hub) {
    return hub.wait_for(R"(listening on (https://127\.0\.0\.1:\d+/))", 60, "hearth serve");
}

bool same_files(const fs::path& a, const fs::path& b) {
    std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
    std::vector<char> ba(1 << 20), bb(1 << 20);
    for (;;) {
        fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
        fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
        if (fa.gcount() != fb.gcount() ||
            std::memcmp(ba.data(), bb.data(), static_cast<std::size_t>(fa.gcount())) != 0) {
            return false;
        }
        if (!fa || !fb) {
            return !fa && !fb;
        }
    }
}

HubPlayback hub_playback(const std::string& hearth, const fs::path& work, const Stream& stream,
                         int samples, int per_sample, std::string* tls) {
    const fs::path data = work / "hub";
    fs::create_directories(data);
    const std::vector<std::string> serve = {hearth, "serve", "--data-dir", data.string(),
                                            "--listen", "127.0.0.1:0"};
    // First start: the hub makes its household key (and its TLS identity).
    {
        Child hub(serve, work / "serve-1.log");
        hub_url(hub);
        if (hub.stop() != 0) {
            fail("hearth serve did not stop cleanly:\n" + hub.tail());
        }
    }
    // The same samples recorded twice into the hub's index, sealed to THAT key and in the
    // clear, ending ten minutes ago (retention keeps 30 days); the cameras are disabled so
    // the hub does not record over them.
    crypto::PublicKey pub{};
    {
        auto accounts = store::AccountStore::open(data / "hearth.db");
        if (!accounts) {
            fail("accounts: " + accounts.error().message);
        }
        auto stored = (*accounts)->setting("household_public_key");
        if (!stored || !*stored) {
            fail("the hub stored no household public key");
        }
        auto raw = crypto::base64url_decode(**stored);
        if (!raw || raw->size() != pub.size()) {
            fail("the hub's household public key does not decode");
        }
        std::copy(raw->begin(), raw->end(), pub.begin());
    }
    const std::int64_t t0_s =
        static_cast<std::int64_t>(std::time(nullptr)) - static_cast<std::int64_t>(stream.seconds) - 600;
    core::CameraId enc_cam, plain_cam;
    {
        auto index = store::Index::open(data / "hearth.db");
        if (!index) {
            fail("index: " + index.error().message);
        }
        auto add = [&](const char* name) {
            store::Camera c;
            c.name = name;
            c.kind = store::CameraKind::kSim;
            c.enabled = false;
            auto id = (*index)->add_camera(c);
            if (!id) {
                fail("index: " + id.error().message);
            }
            return *id;
        };
        enc_cam = add("bench-encrypted");
        plain_cam = add("bench-plaintext");
        feed(**index, enc_cam, data, stream, pub, t0_s * 1'000'000);
        feed(**index, plain_cam, data, stream, std::nullopt, t0_s * 1'000'000);
    }
    // Second start: the owner is made with the printed setup code (the key is handed over
    // to their passphrase) and logs in, which opens the key in the hub.
    Child hub(serve, work / "serve-2.log");
    const std::string base = hub_url(hub);
    const std::string code = hub.wait_for(R"(^\s+setup code: (\S+)$)", 10, "the setup code");
    std::string passphrase;
    for (int i = 0; i < 4; ++i) {
        passphrase += (i ? "-" : "") + crypto::random_token_base64url(6);
    }
    write_private(work / "passphrase", passphrase + "\n");
    run_checked({hearth, "setup", "--data-dir", data.string(), "--username", "bench", "--code",
                 code, "--passphrase-stdin"},
                work / "setup.log", work / "passphrase");
    fs::remove(work / "passphrase");
    write_private(work / "login.json",
                  R"({"username":"bench","password":")" + passphrase + "\"}");
    run_checked({"curl", "-sS", "-k", "--fail", "-D", (work / "login.headers").string(), "-o",
                 "/dev/null", "-H", "Content-Type: application/json", "--data-binary",
                 "@" + (work / "login.json").string(), base + "api/login"},
                work / "login.log");
    fs::remove(work / "login.json");
    std::string cookie;
    {
        std::ifstream h(work / "login.headers");
        const std::regex rx(R"(^set-cookie:\s*(__Host-hearth-session=[^;\s]+))",
                            std::regex::icase);
        for (std::string line; std::getline(h, line);) {
            std::smatch m;
            if (std::regex_search(line, m, rx)) {
                cookie = m[1];
            }
        }
    }
    if (cookie.empty()) {
        fail("the login gave no session cookie");
    }
    write_private(work / "cookie.header", "Cookie: " + cookie + "\n");
    auto url = [&](core::CameraId cam) {
        return base + "api/cameras/" + std::to_string(cam.value()) + "/download?start=" +
               std::to_string(t0_s - 1) + "&end=" +
               std::to_string(t0_s + static_cast<std::int64_t>(stream.seconds) + 2);
    };
    auto curl = [&](core::CameraId cam, const std::string& out, bool verbose) {
        std::vector<std::string> argv = {"curl", "-sS", "-k", "--fail", "-H",
                                         "@" + (work / "cookie.header").string(), "-o", out,
                                         url(cam)};
        if (verbose) {
            argv.insert(argv.begin() + 1, "-v");
        }
        return argv;
    };
    // Untimed: the decrypted download must be exactly the plaintext one.
    HubPlayback r;
    run_checked(curl(enc_cam, (work / "enc.mp4").string(), true), work / "curl-enc.log");
    run_checked(curl(plain_cam, (work / "plain.mp4").string(), false), work / "curl-plain.log");
    r.bytes = fs::file_size(work / "plain.mp4");
    if (r.bytes < 1'000'000 || !same_files(work / "enc.mp4", work / "plain.mp4")) {
        fail("the hub's downloads differ: encrypted " +
             std::to_string(fs::file_size(work / "enc.mp4")) + " bytes, plaintext " +
             std::to_string(r.bytes));
    }
    {
        std::ifstream v(work / "curl-enc.log");
        const std::regex rx(R"(SSL connection using (.*))");
        for (std::string line; std::getline(v, line);) {
            std::smatch m;
            if (std::regex_search(line, m, rx)) {
                *tls = m[1];
            }
        }
    }
    fs::remove(work / "enc.mp4");
    fs::remove(work / "plain.mp4");
    r.stream_seconds = stream.seconds;
    r.downloads_per_sample = per_sample;
    for (int i = 0; i < samples; ++i) {
        const bool enc_first = i % 2 == 1;
        for (int k = 0; k < 2; ++k) {
            const bool enc = (k == 0) == enc_first;
            double client = 0;
            const ProcStat h0 = process_stat(hub.pid());
            const double w0 = wall_now();
            for (int j = 0; j < per_sample; ++j) {
                Child c(curl(enc ? enc_cam : plain_cam, "/dev/null", false),
                        work / "curl.log");
                if (const int rc = c.wait(&client); rc != 0) {
                    fail("curl failed (exit " + std::to_string(rc) + "):\n" + c.tail());
                }
            }
            const ProcStat h1 = process_stat(hub.pid());
            const double wall = wall_now() - w0;
            (enc ? r.hub_enc : r.hub_plain).push_back((h1.cpu - h0.cpu) / per_sample);
            (enc ? r.faults_enc : r.faults_plain)
                .push_back(static_cast<double>(h1.minor_faults - h0.minor_faults) / per_sample);
            (enc ? r.wall_enc : r.wall_plain).push_back(wall / per_sample);
            (enc ? r.client_enc : r.client_plain).push_back(client / per_sample);
        }
        std::printf(" %d", i + 1);
        std::fflush(stdout);
    }
    if (const int rc = hub.stop(); rc != 0) {
        std::printf("\n(hearth serve exited %d on SIGTERM)", rc);
    }
    return r;
}

// ---------------------------------------------------------------- report

struct Series {
    std::vector<double> cpu, wall;
    std::uint64_t bytes = 0;
};

void row(const std::string& what, const Series& s, double stream_seconds) {
    const double c = median(s.cpu);
    std::printf("| %-50s | %8.3f | %8.3f | %8.3f | %7.2f | %9.1f | %9.1f | %8.1f |\n",
                what.c_str(), c, *std::min_element(s.cpu.begin(), s.cpu.end()),
                *std::max_element(s.cpu.begin(), s.cpu.end()), median(s.wall),
                static_cast<double>(s.bytes) / 1e6,
                c > 0 ? static_cast<double>(s.bytes) / 1e6 / c : 0.0,
                c * 1e3 / (stream_seconds / 60));
}

void ratio_row(const std::string& what, const Series& a, const Series& b) {
    std::vector<double> pair;
    for (std::size_t i = 0; i < std::min(a.cpu.size(), b.cpu.size()); ++i) {
        pair.push_back(b.cpu[i] / a.cpu[i]);
    }
    std::printf("| %-50s | %8.3f | %8.3f | %8.3f | %7s | %9s | %9s | %8s |\n", what.c_str(),
                median(b.cpu) / median(a.cpu), *std::min_element(pair.begin(), pair.end()),
                *std::max_element(pair.begin(), pair.end()), "", "", "", "");
}

void verdict(const char* what, double ratio) {
    std::printf("%s: %s (encrypted / plaintext = %.3f, target <= %.2f)\n", what,
                ratio <= kTarget ? "PASS" : "OVER", ratio, kTarget);
}

void usage() {
    std::printf(
        "usage: encryption_bench [--minutes M] [--runs N] [--kbps K] [--size WxH] [--fps F]\n"
        "                        [--media FILE.mp4] [--no-ffmpeg] [--keep] [--quick]\n"
        "                        [--hearth PATH] [--no-e2e] [--streams N] [--window S]\n"
        "                        [--live-runs N] [--play-samples N] [--downloads K]\n"
        "  --minutes M   recording length per run (default 5; a 30 s clip looped)\n"
        "  --runs N      timed runs of each kind, alternating (default 7)\n"
        "  --kbps/--size/--fps  the generated stream (default 4000, 1280x720, 25)\n"
        "  --media FILE  an H.264 + AAC MP4 to use instead (starting with a keyframe)\n"
        "  --no-ffmpeg   leave out the external ffmpeg -c copy peer\n"
        "  --keep        keep the recordings (their folder is printed)\n"
        "  --quick       --minutes 2 --runs 5 --window 8 --live-runs 2 --play-samples 3\n"
        "                --downloads 4\n"
        "End to end (the target's comparison):\n"
        "  --hearth PATH     the hub binary (default: src/app/hearth of this build)\n"
        "  --no-e2e          leave out both end-to-end measurements\n"
        "  --streams N       RTSP cameras of each kind recorded at once (default 8)\n"
        "  --window S        seconds measured per live recording run (default 15)\n"
        "  --live-runs N     live recording runs, both kinds at once in each (default 3)\n"
        "  --play-samples N  hub CPU samples of each kind, alternating (default 5)\n"
        "  --downloads K     downloads of the whole recording per sample (default 3)\n");
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                fail(a + " needs a value");
            }
            return argv[++i];
        };
        if (a == "--minutes") {
            o.minutes = std::stod(value());
        } else if (a == "--runs") {
            o.runs = std::stoi(value());
        } else if (a == "--kbps") {
            o.kbps = std::stoi(value());
        } else if (a == "--fps") {
            o.fps = std::stoi(value());
        } else if (a == "--size") {
            const auto v = value();
            if (std::sscanf(v.c_str(), "%dx%d", &o.width, &o.height) != 2) {
                fail("--size wants WxH");
            }
        } else if (a == "--media") {
            o.media = value();
        } else if (a == "--no-ffmpeg") {
            o.ffmpeg_peer = false;
        } else if (a == "--keep") {
            o.keep = true;
        } else if (a == "--quick") {
            o.minutes = 2;
            o.runs = 5;
            o.window = 8;
            o.live_runs = 2;
            o.play_samples = 3;
            o.downloads = 4;
        } else if (a == "--hearth") {
            o.hearth = value();
        } else if (a == "--no-e2e") {
            o.e2e = false;
        } else if (a == "--streams") {
            o.streams = std::stoi(value());
        } else if (a == "--window") {
            o.window = std::stod(value());
        } else if (a == "--live-runs") {
            o.live_runs = std::stoi(value());
        } else if (a == "--play-samples") {
            o.play_samples = std::stoi(value());
        } else if (a == "--downloads") {
            o.downloads = std::stoi(value());
        } else if (a == "-h" || a == "--help") {
            usage();
            std::exit(0);
        } else {
            usage();
            fail("unknown option " + a);
        }
    }
    if (o.runs < 1 || o.minutes <= 0) {
        fail("--runs and --minutes must be positive");
    }
    if (o.streams < 1 || o.window <= 0 || o.window > 240 || o.live_runs < 1 ||
        o.play_samples < 1 || o.downloads < 1) {
        fail("--streams, --window (at most 240), --live-runs, --play-samples and --downloads "
             "must be positive");
    }
    return o;
}

int run(int argc, char** argv) {
    Options o = parse(argc, argv);
    if (o.e2e && o.hearth.empty()) {
        o.hearth = (self_exe().parent_path().parent_path() / "src" / "app" / "hearth").string();
    }
    if (o.e2e && access(o.hearth.c_str(), X_OK) != 0) {
        fail("no hearth binary at " + o.hearth + " (--hearth PATH, or --no-e2e)");
    }
    spdlog::set_level(spdlog::level::err);  // the file's end reads as a camera going offline
    const auto household = crypto::HouseholdKey::generate();
    if (!household) {
        fail("household key: " + household.error().message);
    }
    const auto pub = household->public_key();
    const media::KeyOpener opener = [&](std::span<const std::uint8_t> sealed) {
        return household->open_sealed(sealed);
    };

    const std::string media_path = ensure_media(o);
    const Stream stream = load_stream(media_path, o.minutes);
    char tmpl[] = "/tmp/hearth-encbench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
        fail("mkdtemp failed");
    }
    const fs::path work = tmpl;
    struct Cleanup {
        const fs::path& dir;
        bool keep;
        ~Cleanup() {
            if (!keep) {
                std::error_code ec;
                fs::remove_all(dir, ec);
            }
        }
    } cleanup{work, o.keep};
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    std::printf("Encryption at rest: encrypted vs plaintext CPU, one process, one invocation\n");
    std::printf("stream: %s (%s)\n", stream.desc.c_str(), media_path.c_str());
    std::printf("work: %s; %d timed runs of each kind after one untimed, alternating; "
                "load average %.2f at start\n",
                work.c_str(), o.runs, load[0]);
    std::fflush(stdout);

    // Recording: ABBA... so a drift in the machine's speed falls on both alike.
    Series rec_plain, rec_enc;
    Recording keep_plain, keep_enc;
    int n = 0;
    auto one = [&](bool enc, bool timed) {
        auto r = record(work / ("rec-" + std::to_string(n++)), stream,
                        enc ? std::optional<crypto::PublicKey>(pub) : std::nullopt);
        auto& s = enc ? rec_enc : rec_plain;
        if (timed) {
            s.cpu.push_back(r.cpu);
            s.wall.push_back(r.wall);
        }
        s.bytes = r.disk_bytes;
        auto& kept = enc ? keep_enc : keep_plain;
        if (kept.index) {
            kept.index.reset();
            fs::remove_all(kept.dir);
        }
        kept = std::move(r);
    };
    std::printf("recording ...");
    std::fflush(stdout);
    one(false, false);
    one(true, false);
    for (int i = 0; i < o.runs; ++i) {
        const bool enc_first = i % 2 == 1;
        one(enc_first, true);
        one(!enc_first, true);
        std::printf(" %d", i + 1);
        std::fflush(stdout);
    }
    std::printf("\n");

    // Playback of the last recording of each kind (in the page cache, as a recent one is).
    // First, untimed: the decrypted stream must be exactly the plaintext one.
    std::printf("playback ...");
    std::fflush(stdout);
    {
        std::vector<std::uint8_t> plain, decrypted;
        play(keep_plain, {}, &plain);
        play(keep_enc, opener, &decrypted);
        if (plain != decrypted) {
            fail("the decrypted playback differs from the plaintext one (" +
                 std::to_string(decrypted.size()) + " vs " + std::to_string(plain.size()) +
                 " bytes)");
        }
    }
    Series play_plain, play_enc, floor, enc_alone, dec_alone;
    const auto files = segment_files(keep_plain);
    read_floor(files);
    auto cipher = load_fragments(keep_plain);
    cipher_encrypt(cipher, true);
    for (int i = 0; i < o.runs; ++i) {
        const bool enc_first = i % 2 == 1;
        for (int k = 0; k < 2; ++k) {
            const bool enc = (k == 0) == enc_first;
            const auto p = play(enc ? keep_enc : keep_plain, enc ? opener : media::KeyOpener{});
            auto& s = enc ? play_enc : play_plain;
            s.cpu.push_back(p.cpu);
            s.wall.push_back(p.wall);
            s.bytes = p.bytes;
        }
        const auto f = read_floor(files);
        floor.cpu.push_back(f.cpu);
        floor.wall.push_back(f.wall);
        floor.bytes = f.bytes;
        for (auto [series, played] : {std::pair{&enc_alone, cipher_encrypt(cipher)},
                                      std::pair{&dec_alone, cipher_decrypt(cipher)}}) {
            series->cpu.push_back(played.cpu);
            series->wall.push_back(played.wall);
            series->bytes = played.bytes;
        }
        std::printf(" %d", i + 1);
        std::fflush(stdout);
    }
    std::printf("\n");
    Series ff;
    if (o.ffmpeg_peer) {
        for (int i = 0; i < std::min(o.runs, 3); ++i) {
            const auto f = ffmpeg_copy(files);
            ff.cpu.push_back(f.cpu);
            ff.wall.push_back(f.wall);
            ff.bytes = f.bytes;
        }
    }

    // End to end: the whole path as the hub runs it.
    Series live_plain, live_enc, hub_plain, hub_enc, curl_plain, curl_enc;
    double live_seconds = 0, live_mbps = 0;
    std::vector<double> live_coverage;  // the cameras' threads' share of the process CPU
    HubPlayback hub;
    std::string tls = "?";
    if (o.e2e) {
        const std::string looped = long_media(media_path, 300);
        Child server({self_exe().string(), "--rtsp-serve", looped}, work / "rtsp-server.log");
        const std::string url =
            server.wait_for(R"(rtsp listening on (rtsp://\S+))", 30, "the RTSP server");
        std::printf("recording end to end (%d + %d RTSP cameras at once, %.0f s windows) ...",
                    o.streams, o.streams, o.window);
        std::fflush(stdout);
        for (int i = 0; i < o.live_runs; ++i) {
            const fs::path dir = work / ("live-" + std::to_string(i));
            const auto r = record_live(dir, url, o.streams, o.window, pub);
            fs::remove_all(dir);
            for (int k = 0; k < 2; ++k) {
                auto& s = k ? live_enc : live_plain;
                s.cpu.push_back(r.cpu[k]);
                s.wall.push_back(r.wall);
                s.bytes = r.bytes[k];
            }
            live_seconds = r.wall * o.streams;
            live_mbps = static_cast<double>(r.bytes[0] + r.bytes[1]) * 8 / r.wall /
                        (2 * o.streams) / 1e6;
            live_coverage.push_back((r.cpu[0] + r.cpu[1]) / r.process_cpu);
            std::printf(" %d", i + 1);
            std::fflush(stdout);
        }
        if (server.stop() != 0) {
            fail("the RTSP server did not stop cleanly:\n" + server.tail());
        }
        std::printf("\nplayback end to end (hearth serve, HTTPS downloads with curl) ...");
        std::fflush(stdout);
        hub = hub_playback(o.hearth, work / "e2e", stream, o.play_samples, o.downloads, &tls);
        std::printf("\n");
        auto series = [](const std::vector<double>& cpu, const std::vector<double>& wall,
                         std::uint64_t bytes) {
            Series s;
            s.cpu = cpu;
            s.wall = wall;
            s.bytes = bytes;
            return s;
        };
        hub_plain = series(hub.hub_plain, hub.wall_plain, hub.bytes);
        hub_enc = series(hub.hub_enc, hub.wall_enc, hub.bytes);
        curl_plain = series(hub.client_plain, hub.wall_plain, hub.bytes);
        curl_enc = series(hub.client_enc, hub.wall_enc, hub.bytes);
    }

    getloadavg(load, 3);
    std::printf("\n");
    std::printf("Component rows: %.0f s of stream per run: %llu files, %llu fragments. CPU = "
                "user + system s of this process (recorder thread and kernel included) per run;\n"
                "min/max over runs (for ratios: over the run pairs); MB = bytes on disk "
                "(recording) or streamed (playback); ms/min = CPU ms per minute of stream.\n",
                stream.seconds, static_cast<unsigned long long>(keep_plain.segments),
                static_cast<unsigned long long>(keep_plain.fragments));
    if (o.e2e) {
        std::printf(
            "End-to-end recording: %d cameras in the clear and %d encrypted at once, each an "
            "RtspClientSource -> SinkTee(Recorder, LiveFeed) as the hub runs an RTSP camera,\n"
            "on a loopback RTSP server in another process (the same %.2f Mbit/s H.264 + AAC "
            "stream to each); CPU = each camera's two threads (source, recorder writer)\n"
            "over a %.0f s window, %d runs (min/max: over runs); ms/min per camera-minute.\n"
            "End-to-end playback: `hearth serve` (its household key, owner set up, logged in) "
            "serving the same %.0f s recording encrypted (camera 1) and in the clear (camera 2);\n"
            "CPU = the hub's utime + stime (/proc/PID/stat, %ld Hz) per whole-range "
            "/api/cameras/ID/download over HTTPS (%s), %d samples of %d downloads of each kind;\n"
            "the curl client's CPU is shown apart, not in the ratio.\n",
            o.streams, o.streams, live_mbps, o.window, o.live_runs, hub.stream_seconds,
            sysconf(_SC_CLK_TCK), tls.c_str(), o.play_samples, o.downloads);
    }
    std::printf("\n");
    std::printf("| %-50s | %8s | %8s | %8s | %7s | %9s | %9s | %8s |\n", "", "CPU s", "min",
                "max", "wall s", "MB", "MB/CPU s", "ms/min");
    std::printf("|%s|---------:|---------:|---------:|--------:|----------:|----------:|---------:|\n",
                std::string(52, '-').c_str());
    row("recording, plaintext", rec_plain, stream.seconds);
    row("recording, encrypted", rec_enc, stream.seconds);
    ratio_row("**recording ratio** (component)", rec_plain, rec_enc);
    row("playback, plaintext (PlaybackBody)", play_plain, stream.seconds);
    row("playback, encrypted (PlaybackBody)", play_enc, stream.seconds);
    ratio_row("**playback ratio** (component)", play_plain, play_enc);
    row("peer: read() of the plaintext files (floor)", floor, stream.seconds);
    if (!ff.cpu.empty()) {
        row("peer: ffmpeg -c copy -f null, 1 per file", ff, stream.seconds);
    }
    row("cipher alone: encrypt_chunk, in memory", enc_alone, stream.seconds);
    row("cipher alone: decrypt_chunk, in memory", dec_alone, stream.seconds);
    if (o.e2e) {
        const std::string n = std::to_string(o.streams);
        row("e2e recording, plaintext (" + n + " RTSP cameras)", live_plain, live_seconds);
        row("e2e recording, encrypted (" + n + " other cameras)", live_enc, live_seconds);
        ratio_row("**e2e recording ratio** (target <= 1.10)", live_plain, live_enc);
        row("e2e playback, plaintext (hub, HTTPS download)", hub_plain, hub.stream_seconds);
        row("e2e playback, encrypted (hub, HTTPS download)", hub_enc, hub.stream_seconds);
        ratio_row("**e2e playback ratio** (target <= 1.10)", hub_plain, hub_enc);
        row("client: curl, plaintext download", curl_plain, hub.stream_seconds);
        row("client: curl, encrypted download", curl_enc, hub.stream_seconds);
    }
    std::printf("\n");
    std::printf("Note: the component rows compare against memcpy-speed reads and writes, so "
                "their ratios show the cipher's raw cost; the end-to-end (e2e) rows are the "
                "whole path as the product runs it, which is what the target is about.\n\n");
    const double per_min = 1e3 / (stream.seconds / 60);
    std::printf("Encryption adds %.1f CPU ms per stream-minute recorded (the cipher alone: %.1f) "
                "and %.1f per minute played back (the cipher alone: %.1f),\n"
                "i.e. %.3f %% of one core per camera recording this stream continuously.\n",
                (median(rec_enc.cpu) - median(rec_plain.cpu)) * per_min,
                median(enc_alone.cpu) * per_min,
                (median(play_enc.cpu) - median(play_plain.cpu)) * per_min,
                median(dec_alone.cpu) * per_min,
                (median(rec_enc.cpu) - median(rec_plain.cpu)) / stream.seconds * 100);
    if (o.e2e) {
        const double live_min = 1e3 / (live_seconds / 60), hub_min = 1e3 / (hub.stream_seconds / 60);
        std::printf("End to end, encryption adds %.1f CPU ms per camera-minute recorded (%.1f in "
                    "the clear; %.2f %% of one core per encrypted camera, all told) and %.1f hub "
                    "CPU ms\nper minute downloaded (%.1f in the clear); the hub's minor page "
                    "faults per download: %.0f in the clear, %.0f encrypted.\n",
                    (median(live_enc.cpu) - median(live_plain.cpu)) * live_min,
                    median(live_plain.cpu) * live_min,
                    median(live_enc.cpu) / live_seconds * 100,
                    (median(hub_enc.cpu) - median(hub_plain.cpu)) * hub_min,
                    median(hub_plain.cpu) * hub_min, median(hub.faults_plain),
                    median(hub.faults_enc));
        std::printf("The cameras' threads account for %.1f %% of this process's CPU over the "
                    "recording windows (median); the rest is the idle main thread and "
                    "housekeeping.\n",
                    median(live_coverage) * 100);
    }
    std::printf("\n");
    verdict("recording, component       ", median(rec_enc.cpu) / median(rec_plain.cpu));
    verdict("playback, component        ", median(play_enc.cpu) / median(play_plain.cpu));
    if (o.e2e) {
        verdict("recording, end to end      ", median(live_enc.cpu) / median(live_plain.cpu));
        verdict("playback, end to end (hub) ", median(hub_enc.cpu) / median(hub_plain.cpu));
    }
    std::printf("load average %.2f at the end. A measurement, not a test: ratios are reported, "
                "not asserted.\n",
                load[0]);

    keep_plain.index.reset();
    keep_enc.index.reset();
    if (o.keep) {
        std::printf("kept %s\n", work.c_str());
    }
    return 0;
}

}  // namespace
}  // namespace hearth::bench

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "--rtsp-serve") {
        return hearth::bench::rtsp_serve(argv[2]);  // the end-to-end bench's camera
    }
    try {
        return hearth::bench::run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "encryption bench could not run: %s\n", e.what());
        return 1;
    }
}
