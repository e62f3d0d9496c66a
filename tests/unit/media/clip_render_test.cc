// Shared clips: FaceBlur and the watermark on pictures, and ClipRenderer end to end on
// fragmented MP4s made by ffmpeg, judged by ffprobe and by the `faces` tool (which counts
// faces with the hub's detector and with a plain default OpenCV one).
#include "media/clip_render.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "media/face_blur.h"
#include "media/fmp4_writer.h"
#include "media/gst.h"
#include "../support/synthetic_face.h"

namespace hearth::media {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

using hearth::testing::synthetic_face;

std::vector<cv::Rect> plain_detect(const cv::Mat& bgr) {
    cv::CascadeClassifier plain;
    EXPECT_TRUE(plain.load(kDefaultFaceCascade));
    cv::Mat grey;
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    std::vector<cv::Rect> found;
    plain.detectMultiScale(grey, found);
    return found;
}

// The bounding box of the pixels where `a` and `b` differ (empty: none).
cv::Rect changed(const cv::Mat& a, const cv::Mat& b) {
    cv::Mat diff;
    cv::absdiff(a, b, diff);
    cv::Mat grey;
    cv::cvtColor(diff, grey, cv::COLOR_BGR2GRAY);
    std::vector<cv::Point> points;
    cv::findNonZero(grey > 0, points);
    return points.empty() ? cv::Rect() : cv::boundingRect(points);
}

cv::Rect grown(const cv::Rect& r, double fraction) {
    const int gx = static_cast<int>(std::lround(r.width * fraction / 2)) + 1;
    const int gy = static_cast<int>(std::lround(r.height * fraction / 2)) + 1;
    return {r.x - gx, r.y - gy, r.width + 2 * gx, r.height + 2 * gy};
}

bool contains(const cv::Rect& outer, const cv::Rect& inner) { return (outer & inner) == inner; }

TEST(FaceBlurTest, AMissingCascadeNamesThePackage) {
    auto blur = FaceBlur::open("/nonexistent/haarcascade_frontalface_default.xml");
    ASSERT_FALSE(blur);
    EXPECT_EQ(blur.error().code, core::ErrorCode::kFailedPrecondition);
    EXPECT_NE(blur.error().message.find("opencv-data"), std::string::npos);
}

TEST(FaceBlurTest, BlursTheFaceAndNothingFarFromIt) {
    for (const auto& size : {cv::Size(640, 360), cv::Size(1280, 720), cv::Size(1920, 1080)}) {
        SCOPED_TRACE(size);
        auto blur = FaceBlur::open();
        ASSERT_TRUE(blur) << blur.error().describe();
        const cv::Mat original = synthetic_face(size.width, size.height);
        const auto before = blur->detect(original);
        ASSERT_EQ(before.size(), 1u);
        ASSERT_EQ(plain_detect(original).size(), 1u);

        cv::Mat img = original.clone();
        EXPECT_EQ(blur->blur(img), 1);
        EXPECT_TRUE(blur->detect(img).empty());
        EXPECT_TRUE(plain_detect(img).empty());
        // Only the face, grown by 30%, changed.
        const cv::Rect diff = changed(original, img);
        EXPECT_GT(diff.area(), before[0].area());
        EXPECT_TRUE(contains(grown(before[0], 0.3), diff)) << diff << " vs " << before[0];
    }
}

TEST(FaceBlurTest, AFaceStaysBlurredWhileDetectionFlickersOff) {
    auto blur = FaceBlur::open();
    ASSERT_TRUE(blur);
    cv::Mat face = synthetic_face();
    EXPECT_EQ(blur->blur(face, 0ms), 1);
    // The next frames lose the face (as if the detector missed it): its region is still
    // obscured for 0.5 s, then no longer.
    const cv::Mat empty(360, 640, CV_8UC3, cv::Scalar(40, 200, 90));
    cv::Mat noise(360, 640, CV_8UC3);
    cv::randu(noise, 0, 255);
    cv::Mat frame = noise.clone();
    EXPECT_EQ(blur->blur(frame, 300ms), 1);
    EXPECT_GT(changed(noise, frame).area(), 100 * 100);
    frame = noise.clone();
    EXPECT_EQ(blur->blur(frame, 900ms), 0);
    EXPECT_EQ(changed(noise, frame).area(), 0);
    // Time going back forgets what was held.
    face = synthetic_face();
    EXPECT_EQ(blur->blur(face, 1000ms), 1);
    frame = noise.clone();
    EXPECT_EQ(blur->blur(frame, 100ms), 0);
}

TEST(WatermarkTest, ChangesOnlyABandAtTheBottomLeft) {
    for (const auto& background :
         {cv::Scalar(128, 128, 128), cv::Scalar(255, 255, 255), cv::Scalar(0, 0, 0)}) {
        for (const auto& size : {cv::Size(640, 360), cv::Size(1920, 1080)}) {
            SCOPED_TRACE(size);
            const cv::Mat original(size, CV_8UC3, background);
            cv::Mat img = original.clone();
            draw_watermark(img, "Shared with Alice");
            const cv::Rect diff = changed(original, img);
            ASSERT_GT(diff.area(), 0);
            EXPECT_GE(diff.y, size.height * 85 / 100) << diff;
            EXPECT_LE(diff.x + diff.width, size.width / 2) << diff;
            EXPECT_LE(diff.x, size.width / 20) << diff;
            EXPECT_EQ(diff.y + diff.height >= size.height, false) << "a margin below";
            // Readable on any background: white letters and dark outline/band both there.
            cv::Mat grey;
            cv::cvtColor(img(diff), grey, cv::COLOR_BGR2GRAY);
            EXPECT_GT(cv::countNonZero(grey > 230), 20);
            EXPECT_GT(cv::countNonZero(grey < 60), 20);
        }
    }
}

TEST(WatermarkTest, NonAsciiIsReplaced) {
    EXPECT_EQ(printable_ascii("Shared with Zo\xc3\xab \xf0\x9f\x98\x80\n"), "Shared with Zo? ??");
    EXPECT_EQ(printable_ascii(std::string(500, 'a')).size(), 120u);
    EXPECT_EQ(printable_ascii("\xff\xfe"), "??");
    cv::Mat a(360, 640, CV_8UC3, cv::Scalar(128, 128, 128));
    cv::Mat b = a.clone();
    draw_watermark(a, "Zo\xc3\xab");
    draw_watermark(b, "Zo?");
    EXPECT_EQ(changed(a, b).area(), 0);
    cv::Mat c = b.clone();
    draw_watermark(c, "\x01\x02");  // becomes "??", still drawn, no crash
    EXPECT_GT(changed(b, c).area(), 0);
}

// --- ClipRenderer end to end -------------------------------------------------------------

struct Command {
    int status = -1;
    std::string out;
};

Command run(const std::string& command) {
    Command c;
    FILE* p = ::popen((command + " 2>/dev/null").c_str(), "r");
    if (p == nullptr) return c;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) c.out.append(buf, n);
    const int status = ::pclose(p);
    c.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return c;
}

bool have(const char* program) {
    return run(std::string("command -v ") + program + " >/dev/null").status == 0;
}

std::string faces_tool() {
    if (const char* env = std::getenv("HEARTH_FACES_TOOL"); env && *env) return env;
#ifdef HEARTH_FACES_TOOL_PATH
    return HEARTH_FACES_TOOL_PATH;
#else
    return {};
#endif
}

struct FaceCount {
    long frames = -1;
    long with_faces = -1;
    long default_with_faces = -1;
};

// Faces in `video`; with `near`, only those where the same frame of `near` had one.
FaceCount count_faces(const fs::path& video, const fs::path& near = {}) {
    FaceCount f;
    const auto c = run(faces_tool() + " count " + video.string() +
                       (near.empty() ? "" : " --near " + near.string()));
    std::smatch m;
    static const std::regex line(
        R"(frames=(\d+) frames_with_faces=(\d+) max_faces=\d+ default_frames_with_faces=(\d+))");
    if (c.status == 0 && std::regex_search(c.out, m, line)) {
        f.frames = std::stol(m[1]);
        f.with_faces = std::stol(m[2]);
        f.default_with_faces = std::stol(m[3]);
    }
    return f;
}

class ClipRenderTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!have("ffmpeg") || !have("ffprobe")) {
            GTEST_SKIP() << "ffmpeg/ffprobe not installed (Debian package ffmpeg)";
        }
        if (faces_tool().empty() || !fs::exists(faces_tool())) {
            GTEST_SKIP() << "the faces tool was not built (needs OpenCV videoio/imgcodecs)";
        }
        char tmpl[] = "/tmp/hearth-clip-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        if (dir_.empty()) return;
        if (std::getenv("HEARTH_KEEP_TEST_FILES")) {  // for looking at the clips
            std::printf("[ files    ] kept in %s\n", dir_.c_str());
            return;
        }
        fs::remove_all(dir_);
    }

    // A fragmented MP4 like the ones playback serves: the synthetic face (drawn by the
    // tool) as H.264 or H.265, a keyframe a second, optional AAC.
    enum class Audio { kNone, kAac, kOpus };
    fs::path make_clip(const std::string& name, int width, int height, int seconds,
                       const std::string& codec = "libx264", Audio audio = Audio::kNone) {
        const fs::path png = dir_ / (name + ".png");
        EXPECT_EQ(run(faces_tool() + " draw " + png.string() + " --width " + std::to_string(width) +
                      " --height " + std::to_string(height))
                      .status,
                  0);
        const fs::path out = dir_ / (name + ".mp4");
        std::string cmd = "ffmpeg -v error -y -loop 1 -framerate 15 -i " + png.string();
        if (audio != Audio::kNone) cmd += " -f lavfi -i sine=frequency=440:sample_rate=48000";
        cmd += " -t " + std::to_string(seconds) + " -c:v " + codec + " -pix_fmt yuv420p -g 15";
        if (codec == "libx265") cmd += " -tag:v hvc1 -x265-params log-level=error";
        if (audio == Audio::kAac) cmd += " -c:a aac -b:a 64k";
        if (audio == Audio::kOpus) cmd += " -c:a libopus -b:a 32k";
        cmd += " -movflags frag_keyframe+empty_moov+default_base_moof " + out.string();
        EXPECT_EQ(run(cmd).status, 0) << cmd;
        return out;
    }

    // The synthetic face at half the frame's size moving across a changing picture (ffmpeg's
    // testsrc, in which neither detector sees faces), `seconds` at 15 fps, H.264.
    fs::path make_moving_clip(const std::string& name, int width, int height, int seconds) {
        const fs::path png = dir_ / (name + ".png");
        EXPECT_EQ(run(faces_tool() + " draw " + png.string() + " --width " +
                      std::to_string(width / 2) + " --height " + std::to_string(height / 2))
                      .status,
                  0);
        const fs::path out = dir_ / (name + ".mp4");
        const std::string speed = std::to_string(width / 20);  // px per second
        const std::string cmd =
            "ffmpeg -v error -y -f lavfi -i testsrc=rate=15:size=" + std::to_string(width) + "x" +
            std::to_string(height) + " -loop 1 -framerate 15 -i " + png.string() +
            " -filter_complex \"[0][1]overlay=x='" + std::to_string(width / 32) + "+t*" + speed +
            "':y=" + std::to_string(height / 4) + ":shortest=1\" -t " + std::to_string(seconds) +
            " -c:v libx264 -pix_fmt yuv420p -g 15 -movflags "
            "frag_keyframe+empty_moov+default_base_moof " +
            out.string();
        EXPECT_EQ(run(cmd).status, 0) << cmd;
        return out;
    }

    // Frame `n` of a video as BGR pixels.
    static cv::Mat frame_of(const fs::path& video, int n, int width, int height) {
        const auto c = run("ffmpeg -v error -i " + video.string() + " -vf 'select=eq(n\\," +
                           std::to_string(n) + ")' -vframes 1 -f rawvideo -pix_fmt bgr24 -");
        cv::Mat img(height, width, CV_8UC3);
        if (c.out.size() != img.total() * 3) return {};
        std::memcpy(img.data, c.out.data(), c.out.size());
        return img;
    }

    // A pull function over a file in 64 KiB chunks.
    static ClipRenderer::Input reader(const fs::path& file) {
        auto in = std::make_shared<std::ifstream>(file, std::ios::binary);
        return [in]() -> core::Result<std::vector<std::uint8_t>> {
            std::vector<std::uint8_t> chunk(64 * 1024);
            in->read(reinterpret_cast<char*>(chunk.data()),
                     static_cast<std::streamsize>(chunk.size()));
            chunk.resize(static_cast<std::size_t>(in->gcount()));
            return chunk;
        };
    }

    struct Rendered {
        core::Status status;
        fs::path file;
        ClipRenderStats stats;
        double seconds = 0;
        std::vector<std::uint8_t> first_chunk;
    };

    // Renders to a file; a watchdog cancels after `limit` so a hang fails instead.
    Rendered render(const fs::path& input, ClipRenderOptions options, const std::string& name,
                    std::chrono::seconds limit = 120s) {
        Rendered r;
        r.file = dir_ / (name + ".out.mp4");
        const auto started = std::chrono::steady_clock::now();
        ClipRenderer renderer(std::move(options), reader(input));
        if (auto s = renderer.start(); !s) {
            r.status = s;
            return r;
        }
        std::atomic<bool> done{false};
        std::thread watchdog([&] {
            const auto until = std::chrono::steady_clock::now() + limit;
            while (!done && std::chrono::steady_clock::now() < until) {
                std::this_thread::sleep_for(20ms);
            }
            if (!done) renderer.cancel();
        });
        std::ofstream out(r.file, std::ios::binary);
        for (;;) {
            auto chunk = renderer.next();
            if (!chunk) {
                r.status = chunk.error();
                break;
            }
            if (chunk->empty()) break;
            if (r.first_chunk.empty()) r.first_chunk = *chunk;
            out.write(reinterpret_cast<const char*>(chunk->data()),
                      static_cast<std::streamsize>(chunk->size()));
        }
        done = true;
        watchdog.join();
        r.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        r.stats = renderer.stats();
        return r;
    }

    // codec names and the duration of the video stream, from ffprobe.
    static std::string probe(const fs::path& file, const std::string& entries) {
        return run("ffprobe -v error -show_entries " + entries + " -of csv=p=0 " + file.string())
            .out;
    }
    static double video_seconds(const fs::path& file) {
        const auto out = run("ffprobe -v error -select_streams v:0 -show_entries packet=pts_time "
                             "-of csv=p=0 " +
                             file.string())
                             .out;
        double last = -1;
        std::istringstream lines(out);
        for (std::string l; std::getline(lines, l);) {
            if (!l.empty()) last = std::max(last, std::stod(l));
        }
        return last;
    }

    // Decode times of the video's keyframes.
    static std::vector<double> keyframes(const fs::path& file) {
        const auto out = run("ffprobe -v error -select_streams v:0 -show_entries "
                             "packet=dts_time,flags -of csv=p=0 " +
                             file.string())
                             .out;
        std::vector<double> times;
        std::istringstream lines(out);
        for (std::string l; std::getline(lines, l);) {
            const auto comma = l.find(',');
            if (comma != std::string::npos && l.find('K', comma) != std::string::npos) {
                times.push_back(std::stod(l.substr(0, comma)));
            }
        }
        return times;
    }

    fs::path dir_;
};

// Top-level MP4 box types in order.
std::vector<std::string> boxes(const std::vector<std::uint8_t>& b) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at + 8 <= b.size()) {
        const std::uint64_t size =
            (std::uint64_t{b[at]} << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
        out.emplace_back(reinterpret_cast<const char*>(&b[at + 4]), 4);
        if (size < 8) break;
        at += size;
    }
    return out;
}

std::vector<std::uint8_t> read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// `mp4` (H.264 and AAC) re-muxed by the hub's own fMP4 writer, as playback serves a
// recording: one fragment a keyframe, decode times from `base_us` (playback: zero; the
// files on disk: wall-clock microseconds).
std::vector<std::uint8_t> as_recording(const fs::path& mp4, std::int64_t base_us = 0) {
    auto pipeline = gst::parse_pipeline(
        "filesrc location=" + mp4.string() +
        " ! qtdemux name=d d.video_0 ! queue ! h264parse ! "
        "video/x-h264,stream-format=avc,alignment=au ! appsink name=v sync=false "
        "d.audio_0 ! queue ! aacparse ! audio/mpeg,stream-format=raw ! appsink name=a sync=false");
    if (!pipeline) return {};
    gst_element_set_state(pipeline->get(), GST_STATE_PLAYING);
    std::vector<TrackInfo> tracks(2);
    std::vector<EncodedSample> samples;
    for (int track = 0; track < 2; ++track) {
        auto sink = gst::by_name(pipeline->get(), track == 0 ? "v" : "a");
        while (gst::SamplePtr s{gst_app_sink_pull_sample(GST_APP_SINK(sink.get()))}) {
            if (tracks[track].codec == Codec::kInvalid) {
                auto t = gst::track_from_caps(gst_sample_get_caps(s.get()));
                if (!t) return {};
                tracks[track] = *t;
            }
            samples.push_back(gst::sample_from_gst(s.get(), track, track == 0));
        }
    }
    gst_element_set_state(pipeline->get(), GST_STATE_NULL);
    std::int64_t origin = INT64_MAX;
    for (const auto& s : samples) origin = std::min({origin, s.dts_us, s.pts_us});
    for (auto& s : samples) {
        s.dts_us += base_us - origin;
        s.pts_us += base_us - origin;
    }
    auto out = fmp4::build_init_segment(tracks);
    if (!out) return {};
    std::vector<std::int64_t> starts;  // keyframe decode times
    for (const auto& s : samples) {
        if (s.track == 0 && s.keyframe) starts.push_back(s.dts_us);
    }
    starts.push_back(INT64_MAX);
    for (std::size_t i = 0; i + 1 < starts.size(); ++i) {
        std::vector<EncodedSample> fragment;
        for (const auto& s : samples) {
            const std::int64_t from = i == 0 ? INT64_MIN : starts[i];
            if (s.dts_us >= from && s.dts_us < starts[i + 1]) fragment.push_back(s);
        }
        auto bytes = fmp4::build_fragment(static_cast<std::uint32_t>(i + 1), tracks, fragment);
        if (!bytes) return {};
        out->insert(out->end(), bytes->begin(), bytes->end());
    }
    return *out;
}

TEST_F(ClipRenderTest, BlursEveryFaceAndWatermarksA360pClip) {
    const auto input = make_clip("face360", 640, 360, 4, "libx264", Audio::kAac);
    const auto in_faces = count_faces(input);
    ASSERT_EQ(in_faces.frames, 60);
    ASSERT_GE(in_faces.with_faces, 54);
    ASSERT_GE(in_faces.default_with_faces, 54);

    auto r = render(input, {.watermark = "Shared with Alice", .blur_faces = true}, "blur360");
    ASSERT_TRUE(r.status) << r.status.error().describe();
    std::printf("[ timing   ] 640x360 15 fps 4 s, blur on: %.2f s, %.1fx realtime\n", r.seconds,
                4.0 / r.seconds);
    EXPECT_EQ(r.stats.frames, 60u);
    EXPECT_EQ(r.stats.frames_with_faces, 60u);
    EXPECT_TRUE(r.stats.audio);

    // A fragmented MP4 whose header comes first: playable while it streams.
    const auto b = boxes(read_all(r.file));
    ASSERT_GE(b.size(), 4u);
    EXPECT_EQ(b[0], "ftyp");
    EXPECT_EQ(b[1], "moov");
    const auto first_moof = std::find(b.begin(), b.end(), "moof");
    EXPECT_EQ(std::find(b.begin(), first_moof, "mdat"), first_moof) << "no media before moof";
    EXPECT_GE(std::count(b.begin(), b.end(), "moof"), 3);
    EXPECT_EQ(boxes(r.first_chunk).at(0), "ftyp");

    EXPECT_EQ(probe(r.file, "stream=codec_name,profile"), "h264,High\naac,LC\n");
    EXPECT_EQ(probe(r.file, "stream=pix_fmt").rfind("yuv420p\n", 0), 0u);  // 4:2:0 plays anywhere
    EXPECT_NEAR(video_seconds(r.file), 4.0, 0.5);

    // The watermark is in the picture: the bottom-left corner differs from the input, the
    // top-right corner (far from the face and the band) does not beyond coding noise.
    const cv::Mat in = frame_of(input, 30, 640, 360);
    const cv::Mat out = frame_of(r.file, 30, 640, 360);
    ASSERT_FALSE(in.empty());
    ASSERT_FALSE(out.empty());
    const cv::Rect corner(10, 330, 100, 20);
    const cv::Rect far(500, 20, 120, 80);
    cv::Mat d;
    cv::absdiff(in(corner), out(corner), d);
    EXPECT_GT(cv::mean(d)[0] + cv::mean(d)[1] + cv::mean(d)[2], 60);
    cv::absdiff(in(far), out(far), d);
    EXPECT_LT(cv::mean(d)[0] + cv::mean(d)[1] + cv::mean(d)[2], 12);

    const auto out_faces = count_faces(r.file);
    EXPECT_EQ(out_faces.frames, 60);
    EXPECT_EQ(out_faces.with_faces, 0);
    EXPECT_EQ(out_faces.default_with_faces, 0);
}

TEST_F(ClipRenderTest, RendersARecordingWrittenByTheHub) {
    const auto clip = make_clip("recorded", 640, 360, 4, "libx264", Audio::kAac);
    // Decode times as in the segment files (wall clock), not rebased to zero.
    const auto recording = as_recording(clip, 1'760'000'000'000'000);
    ASSERT_FALSE(recording.empty());
    const fs::path input = dir_ / "recording.mp4";
    std::ofstream(input, std::ios::binary)
        .write(reinterpret_cast<const char*>(recording.data()),
               static_cast<std::streamsize>(recording.size()));
    auto r = render(input, {.watermark = "Shared with Frank", .blur_faces = true}, "recording");
    ASSERT_TRUE(r.status) << r.status.error().describe();
    EXPECT_EQ(r.stats.frames, 60u);
    EXPECT_TRUE(r.stats.audio);
    EXPECT_EQ(probe(r.file, "stream=codec_name"), "h264\naac\n");
    EXPECT_NEAR(video_seconds(r.file), 4.0, 0.5);
    // A keyframe every 2 s although a recording does not say its frame rate.
    const auto keys = keyframes(r.file);
    ASSERT_GE(keys.size(), 2u);
    EXPECT_NEAR(keys[0], 0.0, 0.01);
    for (std::size_t i = 1; i < keys.size(); ++i) EXPECT_LE(keys[i] - keys[i - 1], 2.05);
    const auto out_faces = count_faces(r.file);
    EXPECT_EQ(out_faces.frames, 60);
    EXPECT_EQ(out_faces.with_faces, 0);
    EXPECT_EQ(out_faces.default_with_faces, 0);
}

TEST_F(ClipRenderTest, WithoutBlurTheFacesRemain) {
    const auto input = make_clip("plain", 640, 360, 4);
    auto r = render(input, {.watermark = "Shared with Bob"}, "plain");
    ASSERT_TRUE(r.status) << r.status.error().describe();
    std::printf("[ timing   ] 640x360 15 fps 4 s, blur off: %.2f s, %.1fx realtime\n", r.seconds,
                4.0 / r.seconds);
    EXPECT_EQ(r.stats.frames, 60u);
    EXPECT_EQ(r.stats.faces_blurred, 0u);
    EXPECT_FALSE(r.stats.audio);
    EXPECT_EQ(probe(r.file, "stream=codec_name"), "h264\n");
    const auto out_faces = count_faces(r.file);
    EXPECT_EQ(out_faces.frames, 60);
    EXPECT_GE(out_faces.default_with_faces, 54);
}

TEST_F(ClipRenderTest, BlursAnH265ClipAt720pAndPassesOpusThrough) {
    const auto input = make_clip("face720", 1280, 720, 4, "libx265", Audio::kOpus);
    const auto in_faces = count_faces(input);
    ASSERT_GE(in_faces.default_with_faces, 54);
    auto r = render(input, {.watermark = "Shared with Carol", .blur_faces = true}, "blur720");
    ASSERT_TRUE(r.status) << r.status.error().describe();
    std::printf("[ timing   ] 1280x720 15 fps 4 s (H.265 in), blur on: %.2f s, %.1fx realtime\n",
                r.seconds, 4.0 / r.seconds);
    EXPECT_TRUE(r.stats.audio);
    EXPECT_EQ(probe(r.file, "stream=codec_name,width,height"), "h264,1280,720\nopus\n");
    const auto out_faces = count_faces(r.file);
    EXPECT_EQ(out_faces.frames, 60);
    EXPECT_EQ(out_faces.with_faces, 0);
    EXPECT_EQ(out_faces.default_with_faces, 0);
}

// A moving face on a changing picture, nearer the real case for speed: printed, not asserted.
TEST_F(ClipRenderTest, BlursAMovingFaceAndSaysHowFast) {
    constexpr int kSeconds = 6;
    for (const auto& size : {cv::Size(640, 360), cv::Size(1280, 720)}) {
        SCOPED_TRACE(size);
        const std::string name = "moving" + std::to_string(size.height);
        const auto input = make_moving_clip(name, size.width, size.height, kSeconds);
        const auto in_faces = count_faces(input);
        ASSERT_EQ(in_faces.frames, kSeconds * 15);
        ASSERT_GE(in_faces.default_with_faces, kSeconds * 15 * 9 / 10);
        auto plain = render(input, {.watermark = "Shared with Erin"}, name + "-plain");
        ASSERT_TRUE(plain.status) << plain.status.error().describe();
        auto blurred =
            render(input, {.watermark = "Shared with Erin", .blur_faces = true}, name + "-blur");
        ASSERT_TRUE(blurred.status) << blurred.status.error().describe();
        std::printf(
            "[ timing   ] %dx%d 15 fps %d s moving face: blur off %.2f s (%.1fx "
            "realtime), blur on %.2f s (%.1fx realtime)\n",
            size.width, size.height, kSeconds, plain.seconds, kSeconds / plain.seconds,
            blurred.seconds, kSeconds / blurred.seconds);
        // Judged where the input had a face, so that a false "face" the re-encoded pattern
        // might show does not count against the blur.
        const auto out_faces = count_faces(blurred.file, input);
        EXPECT_EQ(out_faces.frames, kSeconds * 15);
        EXPECT_EQ(out_faces.default_with_faces, 0);
        EXPECT_EQ(out_faces.with_faces, 0);
    }
}

TEST_F(ClipRenderTest, CancelEndsNextPromptlyAndASlowReaderBoundsMemory) {
    // 60 s of moving noise at ~4 Mbit/s: ~30 MB, far more than the pipeline may hold.
    const fs::path input = dir_ / "noise.mp4";
    ASSERT_EQ(run("ffmpeg -v error -y -f lavfi -i testsrc2=size=640x360:rate=15 -t 60 "
                  "-c:v libx264 -preset ultrafast -b:v 4M -g 15 -movflags "
                  "frag_keyframe+empty_moov+default_base_moof " +
                  input.string())
                  .status,
              0);
    const auto total = fs::file_size(input);
    ClipRenderer renderer({.watermark = "Shared with Dave"}, reader(input));
    ASSERT_TRUE(renderer.start());
    auto first = renderer.next();
    ASSERT_TRUE(first) << first.error().describe();
    ASSERT_FALSE(first->empty());
    // Nobody reads for 3 s: the pipeline stalls rather than swallowing the clip.
    std::this_thread::sleep_for(3s);
    const auto held = renderer.stats().input_bytes;
    std::printf("[ memory   ] input taken while the reader slept: %.1f MB of %.1f MB\n",
                static_cast<double>(held) / 1e6, static_cast<double>(total) / 1e6);
    EXPECT_LT(held, total / 2);

    std::chrono::steady_clock::time_point cancelled_at;
    std::thread canceller([&] {
        std::this_thread::sleep_for(300ms);
        cancelled_at = std::chrono::steady_clock::now();
        renderer.cancel();
    });
    core::Result<std::vector<std::uint8_t>> r = std::vector<std::uint8_t>{};
    do {
        r = renderer.next();
    } while (r && !r->empty());
    const auto ended_at = std::chrono::steady_clock::now();
    canceller.join();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::kUnavailable);
    EXPECT_LT(ended_at - cancelled_at, 1s);
    EXPECT_FALSE(renderer.next());  // stays failed
}

TEST_F(ClipRenderTest, GarbageIsAClearErrorNotAHang) {
    std::mt19937 rng(7);
    auto left = std::make_shared<int>(16);
    ClipRenderer renderer({.watermark = "x", .stall_timeout = 10s},
                          [&rng, left]() -> core::Result<std::vector<std::uint8_t>> {
                              if ((*left)-- <= 0) return std::vector<std::uint8_t>{};
                              std::vector<std::uint8_t> v(64 * 1024);
                              for (auto& b : v) b = static_cast<std::uint8_t>(rng());
                              return v;
                          });
    ASSERT_TRUE(renderer.start());
    const auto started = std::chrono::steady_clock::now();
    auto r = renderer.next();
    ASSERT_FALSE(r);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 12s);
    EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument) << r.error().describe();
    std::printf("[ error    ] %s\n", r.error().describe().c_str());
}

TEST_F(ClipRenderTest, TheInputsErrorEndsTheRender) {
    const auto input = make_clip("short", 320, 180, 2);
    auto bytes = std::make_shared<std::vector<std::uint8_t>>(read_all(input));
    auto calls = std::make_shared<int>(0);
    ClipRenderer renderer(
        {.watermark = "x"}, [bytes, calls]() -> core::Result<std::vector<std::uint8_t>> {
            if ((*calls)++ == 0) {
                return std::vector<std::uint8_t>(bytes->begin(), bytes->begin() + 2000);
            }
            return core::make_error(core::ErrorCode::kDataLoss, "recording altered on disk");
        });
    ASSERT_TRUE(renderer.start());
    core::Result<std::vector<std::uint8_t>> r = std::vector<std::uint8_t>{};
    do {
        r = renderer.next();
    } while (r && !r->empty());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::kDataLoss);
    EXPECT_EQ(r.error().message, "recording altered on disk");
}

TEST_F(ClipRenderTest, AMissingCascadeFailsAtStart) {
    ClipRenderer renderer({.blur_faces = true, .face_cascade = "/nonexistent.xml"}, [] {
        return core::Result<std::vector<std::uint8_t>>(std::vector<std::uint8_t>{});
    });
    auto s = renderer.start();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, core::ErrorCode::kFailedPrecondition);
    EXPECT_NE(s.error().message.find("opencv-data"), std::string::npos);
}

}  // namespace
}  // namespace hearth::media
