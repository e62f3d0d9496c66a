// The simulated camera's scene: a panorama larger than the visible frame with
// moving objects, a walking person-like figure on a known script (wall-clock aligned), a burnt-in wall clock
// with milliseconds, and a tone with a periodic sound event.
//
// Drawn by hand into I420 buffers because it is cheap (a row copy per line plus a
// few shapes, about 1% of a core at 720p15) and deterministic: tests know from the
// script when a person is in view, and PTZ later pans a window over the panorama.
//
// Thread: one SimScene per producing thread; not shared.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace hearth::media {

struct SimSceneOptions {
    int width = 1280;
    int height = 720;
    int fps = 15;
    int sample_rate = 48000;
    std::uint32_t seed = 1;  // different cameras draw different scenes
    bool traffic = true;     // the car, ball and bird that move all the time
    // The person-like figure enters every `person_period_ms` of the wall clock (at multiples
    // of it since the Unix epoch) and walks across for kPersonWalkMs.
    std::int64_t person_period_ms = 40'000;
};

inline constexpr std::int64_t kPersonWalkMs = 12'000;

// The machine-readable clock under the printed one, for glass-to-glass latency: a row of
// square blocks, `block` pixels each, from (x, y): the preamble 1,0,1,0 then the 40 low bits
// of the wall clock in ms, most significant first; white (Y 235) is 1, black (Y 16) is 0.
struct SimTimecodeLayout {
    int x = 0;
    int y = 0;
    int block = 0;
    static constexpr int kPreambleBits = 4;
    static constexpr int kClockBits = 40;
};
SimTimecodeLayout sim_timecode_layout(int width, int height);

// The view window over the panorama, in panorama pixels (VirtualPtz moves it).
struct SimView {
    int x = 0;
    int y = 0;
    int width = 0;   // == output width at zoom 1
    int height = 0;
};

class SimScene {
public:
    explicit SimScene(const SimSceneOptions& options);

    // The panorama for `options`: twice the frame's width, one and a half its height.
    static int panorama_width_for(const SimSceneOptions& o) { return (o.width * 2) & ~1; }
    static int panorama_height_for(const SimSceneOptions& o) { return (o.height * 3 / 2) & ~1; }

    int panorama_width() const { return pano_w_; }
    int panorama_height() const { return pano_h_; }
    SimView view() const { return view_; }
    void set_view(const SimView& view);  // clamped to the panorama

    // Draws the frame for `scene_ms` (time since the scene started) with the wall
    // clock `wall_ms` (ms since the Unix epoch) burnt in, into an I420 buffer of
    // width*height*3/2 bytes.
    void render_video(std::int64_t scene_ms, std::int64_t wall_ms, std::span<std::uint8_t> i420);
    std::size_t frame_bytes() const;

    // Fills mono S16 samples starting at sample index `first_sample`, whose wall time is
    // `wall_ms`: a quiet 440 Hz tone, and every 10 s of the wall clock a 300 ms loud chirp
    // (the periodic sound event).
    void render_audio(std::int64_t first_sample, std::int64_t wall_ms,
                      std::span<std::int16_t> out) const;

    // The scene script, on the wall clock (ms since the Unix epoch) so that a test watching
    // a camera knows when things happen: whether the person-like figure is in view (it
    // enters at every multiple of `period_ms` and walks across for kPersonWalkMs), and
    // whether the chirp sounds.
    static bool person_present(std::int64_t wall_ms, std::int64_t period_ms);
    static bool sound_event(std::int64_t wall_ms);

private:
    void draw_rect(std::span<std::uint8_t> f, int x, int y, int w, int h, std::uint8_t Y,
                   std::uint8_t U, std::uint8_t V);
    void draw_clock(std::span<std::uint8_t> f, std::int64_t wall_ms);
    void draw_timecode(std::span<std::uint8_t> f, std::int64_t wall_ms);
    void draw_person(std::span<std::uint8_t> f, std::int64_t wall_ms);

    SimSceneOptions opt_;
    int pano_w_;
    int pano_h_;
    SimView view_;
    std::vector<std::uint8_t> pano_;  // I420 panorama
};

}  // namespace hearth::media
