// A recorded clip as it leaves the household: re-encoded with the recipient's name burned
// into every frame and, when asked, every face blurred (media/face_blur.h).
//
// Input: a pull function returning successive chunks of a fragmented MP4 (the init segment,
// then moof+mdat fragments, as playback serves them), H.264 or H.265 video, optional AAC or
// Opus audio; an empty chunk ends it. Output: a fragmented MP4 (ftyp and a moov with mvex
// first, then a moof+mdat about every second), H.264 High 4:2:0 at `video_kbps`, a keyframe
// every 2 s of media time (asked of the encoder by time: recordings do not say their frame
// rate), playable while it streams (MSE, ffmpeg, VLC). The input's tags are not copied.
//
//   appsrc ! qtdemux ! h26Xparse ! avdec_h26X ! videoconvert ! BGR [FaceBlur, watermark:
//   a pad probe] ! videoconvert ! x264enc veryfast ! h264parse ! mp4mux fragmented ! appsink
//   qtdemux's AAC/Opus ! aacparse|opusparse ! mp4mux (passed through, not re-encoded)
//
// Audio: AAC and Opus pass through untouched; any other audio track (G.711 from a camera)
// is dropped, as is every video track after the first. A clip without video is an error.
// The muxer interleaves by time and waits for each track, so an audio track with a long
// hole (a camera that stopped sending audio for seconds) can stall the render: it then
// fails after stall_timeout instead of hanging; render such clips with keep_audio off.
//
// Privacy: with blur_faces, a frame whose processing fails is never output: the render
// fails instead. The watermark and blur cannot be turned off downstream: they are pixels.
//
// Memory: bounded whatever the reader does. The feeder stops pulling input while appsrc
// holds 4 MiB, each demuxed track's queue holds at most 5 s of encoded media, raw frames
// are never queued, and appsink holds at most 16 buffers; a slow reader of next() stalls
// the pipeline instead of buffering the clip (measured: ~4 MB of input taken in all).
//
// Speed, measured on the 2-core dev machine (shared with other builds, so rough), 15 fps
// clips, x264 veryfast, detection on every frame (clip_render_test prints its own):
//   640x360,  a face moving over ffmpeg's testsrc: blur on ~2.4x realtime, off ~18x
//   1280x720, the same:                            blur on ~1.9x realtime, off ~7x
//   1920x1080, the same:                           blur on ~1.1x realtime, off ~2x
// Detection dominates and grows with texture: on a busy high-contrast pattern (cellauto)
// the Haar cascade costs ~120 ms a frame, 0.5x realtime at 640x360 and 0.3x at 1280x720.
// A download of a long clip then arrives slower than it plays.
//
// Thread: start(), next() and the destructor from one thread (the owner); cancel() and
// stats() from any thread while the object lives (hold it in a shared_ptr when another
// thread may cancel it). Work runs on a feeder thread of its own (it calls `input`) and
// GStreamer's streaming threads (frames are processed on the video one).
//
// Example:
//     media::ClipRenderer r({.watermark = "Shared with Alice", .blur_faces = true}, pull);
//     if (auto s = r.start(); !s) return s.error();
//     for (;;) {
//         auto chunk = r.next();
//         if (!chunk) return chunk.error();
//         if (chunk->empty()) break;  // the whole clip
//         send(*chunk);
//     }
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"

namespace hearth::media {

struct ClipRenderOptions {
    std::string watermark;  // burned in bottom-left; printable ASCII only
    bool blur_faces = false;
    std::filesystem::path face_cascade;  // empty: FaceBlur's default (opencv-data)
    int video_kbps = 2000;
    // Pass AAC/Opus audio through. Off: the clip is silent (and the muxer never waits on
    // an audio track with gaps; see the stall note above).
    bool keep_audio = true;
    // next() fails with kUnavailable when the pipeline makes no progress (no input taken,
    // no frame, no output) for this long: a stuck decoder never hangs a download.
    std::chrono::milliseconds stall_timeout{30'000};
};

struct ClipRenderStats {
    std::uint64_t frames = 0;             // video frames processed
    std::uint64_t faces_blurred = 0;      // regions obscured, summed over frames
    std::uint64_t frames_with_faces = 0;  // frames where at least one region was obscured
    std::uint64_t input_bytes = 0;
    std::uint64_t output_bytes = 0;
    bool audio = false;  // an audio track is passed through
};

class ClipRenderer {
public:
    // Called on the feeder thread, one call at a time: the next chunk of the input, an
    // empty vector at its end, or an error (which ends the render with it). It should not
    // block for long: cancel() cannot interrupt it, and the destructor waits for it.
    using Input = std::function<core::Result<std::vector<std::uint8_t>>()>;

    ClipRenderer(ClipRenderOptions options, Input input);
    ~ClipRenderer();  // stops the pipeline and joins the feeder
    ClipRenderer(const ClipRenderer&) = delete;
    ClipRenderer& operator=(const ClipRenderer&) = delete;

    // Loads the face cascade (if blurring), builds and starts the pipeline and the feeder.
    // Errors: kFailedPrecondition (cascade missing: install opencv-data; start() twice),
    // kInternal (a GStreamer element missing or the pipeline does not start).
    core::Status start();

    // Blocks until the next chunk of output. An empty vector: the clip is complete. Errors:
    // kInvalidArgument (the input is not a clip we can read), kUnavailable (cancelled, or
    // stalled for stall_timeout), the input's own error, kInternal (the pipeline failed).
    // After an error or the end, every further call returns the same.
    core::Result<std::vector<std::uint8_t>> next();

    // Stops the render soon (the share was revoked): next() returns kUnavailable within
    // ~50 ms and the pipeline stops. Safe from any thread, any number of times.
    void cancel();

    ClipRenderStats stats() const;

    struct Impl;  // the GStreamer side (clip_render.cc)

private:
    void feed();                   // the feeder thread
    void fail(core::Error error);  // keeps the first error; any thread
    void stop_pipeline();          // to NULL: joins GStreamer's streaming threads

    const ClipRenderOptions options_;
    Input input_;
    std::unique_ptr<Impl> impl_;
    std::thread feeder_;

    std::mutex state_mu_;  // serializes pipeline state changes (cancel() vs start())
    std::mutex mu_;
    std::condition_variable cv_;
    bool room_ = true;                    // GUARDED_BY(mu_) appsrc wants more input
    bool stopping_ = false;               // GUARDED_BY(mu_)
    std::optional<core::Error> failure_;  // GUARDED_BY(mu_) the first error, final
    bool ended_ = false;                  // GUARDED_BY(mu_) next() returned the end
    bool started_ = false;                // GUARDED_BY(mu_)

    std::atomic<bool> cancelled_{false};
    std::atomic<std::int64_t> progress_ns_{0};  // steady clock of the last progress
};

}  // namespace hearth::media
