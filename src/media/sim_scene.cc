#include "media/sim_scene.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace hearth::media {
namespace {

// 5x7 glyphs for "0123456789:." as bit rows (MSB = left column).
constexpr std::uint8_t kGlyphs[12][7] = {
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}, {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}, {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}, {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}, {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}, {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}, {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C},
};

constexpr std::int64_t kSoundPeriodMs = 10'000;
constexpr std::int64_t kSoundLengthMs = 300;

std::uint32_t next_random(std::uint32_t& state) {
    state = state * 1664525u + 1013904223u;  // LCG: deterministic scenery per seed
    return state >> 8;
}

}  // namespace

SimScene::SimScene(const SimSceneOptions& options)
    : opt_(options),
      pano_w_(panorama_width_for(options)),
      pano_h_(panorama_height_for(options)),
      view_{(pano_w_ - options.width) / 2, (pano_h_ - options.height) / 2, options.width,
            options.height} {
    // Scenery: sky gradient, ground, and houses with windows at seeded places.
    pano_.assign(static_cast<std::size_t>(pano_w_) * pano_h_ * 3 / 2, 128);
    std::uint8_t* y_plane = pano_.data();
    const int horizon = pano_h_ * 6 / 10;
    for (int y = 0; y < pano_h_; ++y) {
        const std::uint8_t luma =
            y < horizon ? static_cast<std::uint8_t>(170 + 60 * y / horizon)
                        : static_cast<std::uint8_t>(90 + ((y / 24) % 2) * 8);
        std::memset(y_plane + static_cast<std::size_t>(y) * pano_w_, luma, pano_w_);
    }
    std::uint8_t* u_plane = y_plane + static_cast<std::size_t>(pano_w_) * pano_h_;
    std::uint8_t* v_plane = u_plane + static_cast<std::size_t>(pano_w_ / 2) * (pano_h_ / 2);
    for (int y = 0; y < pano_h_ / 2; ++y) {
        const bool sky = y * 2 < horizon;
        std::memset(u_plane + static_cast<std::size_t>(y) * (pano_w_ / 2), sky ? 160 : 110,
                    pano_w_ / 2);
        std::memset(v_plane + static_cast<std::size_t>(y) * (pano_w_ / 2), sky ? 110 : 120,
                    pano_w_ / 2);
    }
    std::uint32_t rnd = options.seed * 2654435761u + 7;
    std::span<std::uint8_t> pano(pano_);
    // draw_rect works on the output geometry; temporarily treat the panorama as the frame.
    const int saved_w = opt_.width, saved_h = opt_.height;
    opt_.width = pano_w_;
    opt_.height = pano_h_;
    for (int x = 40; x < pano_w_ - 200; x += 180 + static_cast<int>(next_random(rnd) % 160)) {
        const int w = 120 + static_cast<int>(next_random(rnd) % 120);
        const int h = 120 + static_cast<int>(next_random(rnd) % 220);
        const auto shade = static_cast<std::uint8_t>(60 + next_random(rnd) % 140);
        draw_rect(pano, x, horizon - h, w, h, shade, static_cast<std::uint8_t>(100 + next_random(rnd) % 60),
                  static_cast<std::uint8_t>(110 + next_random(rnd) % 60));
        for (int wy = horizon - h + 20; wy < horizon - 40; wy += 50) {
            for (int wx = x + 16; wx < x + w - 30; wx += 40) {
                draw_rect(pano, wx, wy, 20, 26, 230, 110, 150);
            }
        }
    }
    opt_.width = saved_w;
    opt_.height = saved_h;
}

void SimScene::set_view(const SimView& v) {
    view_.width = std::clamp(v.width, 16, pano_w_) & ~1;
    view_.height = std::clamp(v.height, 16, pano_h_) & ~1;
    view_.x = std::clamp(v.x, 0, pano_w_ - view_.width) & ~1;
    view_.y = std::clamp(v.y, 0, pano_h_ - view_.height) & ~1;
}

std::size_t SimScene::frame_bytes() const {
    return static_cast<std::size_t>(opt_.width) * opt_.height * 3 / 2;
}

void SimScene::draw_rect(std::span<std::uint8_t> f, int x, int y, int w, int h, std::uint8_t Y,
                         std::uint8_t U, std::uint8_t V) {
    const int W = opt_.width, H = opt_.height;
    const int x0 = std::max(0, x) & ~1, y0 = std::max(0, y) & ~1;
    const int x1 = std::min(W, x + w), y1 = std::min(H, y + h);
    if (x0 >= x1 || y0 >= y1) {
        return;
    }
    for (int r = y0; r < y1; ++r) {
        std::memset(&f[static_cast<std::size_t>(r) * W + x0], Y, x1 - x0);
    }
    auto* u = &f[static_cast<std::size_t>(W) * H];
    auto* v = u + static_cast<std::size_t>(W / 2) * (H / 2);
    for (int r = y0 / 2; r < (y1 + 1) / 2; ++r) {
        std::memset(u + static_cast<std::size_t>(r) * (W / 2) + x0 / 2, U, (x1 - x0 + 1) / 2);
        std::memset(v + static_cast<std::size_t>(r) * (W / 2) + x0 / 2, V, (x1 - x0 + 1) / 2);
    }
}

void SimScene::draw_clock(std::span<std::uint8_t> f, std::int64_t wall_ms) {
    const std::time_t secs = static_cast<std::time_t>(wall_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char text[16];
    std::snprintf(text, sizeof text, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(wall_ms % 1000));
    const int scale = std::max(2, opt_.height / 180);
    const int x0 = 16, y0 = 16;
    const int len = static_cast<int>(std::strlen(text));
    draw_rect(f, x0 - 8, y0 - 8, len * 6 * scale + 16, 7 * scale + 16, 16, 128, 128);
    for (int i = 0; i < len; ++i) {
        const char c = text[i];
        const int g = c == ':' ? 10 : c == '.' ? 11 : c - '0';
        for (int row = 0; row < 7; ++row) {
            for (int col = 0; col < 5; ++col) {
                if (kGlyphs[g][row] & (0x10 >> col)) {
                    const int px = x0 + (i * 6 + col) * scale, py = y0 + row * scale;
                    for (int dy = 0; dy < scale; ++dy) {
                        std::memset(&f[static_cast<std::size_t>(py + dy) * opt_.width + px], 235,
                                    scale);
                    }
                }
            }
        }
    }
}

void SimScene::render_video(std::int64_t scene_ms, std::int64_t wall_ms,
                            std::span<std::uint8_t> f) {
    const int W = opt_.width, H = opt_.height;
    // Copy the view window (nearest-neighbour scaled when zoomed) out of the panorama.
    const std::uint8_t* py = pano_.data();
    const std::uint8_t* pu = py + static_cast<std::size_t>(pano_w_) * pano_h_;
    const std::uint8_t* pv = pu + static_cast<std::size_t>(pano_w_ / 2) * (pano_h_ / 2);
    std::uint8_t* fu = &f[static_cast<std::size_t>(W) * H];
    std::uint8_t* fv = fu + static_cast<std::size_t>(W / 2) * (H / 2);
    const bool unscaled = view_.width == W && view_.height == H;
    for (int r = 0; r < H; ++r) {
        const int sr = view_.y + r * view_.height / H;
        const std::uint8_t* src = py + static_cast<std::size_t>(sr) * pano_w_ + view_.x;
        std::uint8_t* dst = &f[static_cast<std::size_t>(r) * W];
        if (unscaled) {
            std::memcpy(dst, src, W);
        } else {
            for (int c = 0; c < W; ++c) {
                dst[c] = src[c * view_.width / W];
            }
        }
    }
    for (int r = 0; r < H / 2; ++r) {
        const int sr = (view_.y / 2) + r * view_.height / H;
        const std::size_t so = static_cast<std::size_t>(sr) * (pano_w_ / 2) + view_.x / 2;
        const std::size_t dof = static_cast<std::size_t>(r) * (W / 2);
        if (unscaled) {
            std::memcpy(fu + dof, pu + so, W / 2);
            std::memcpy(fv + dof, pv + so, W / 2);
        } else {
            for (int c = 0; c < W / 2; ++c) {
                fu[dof + c] = pu[so + c * view_.width / W];
                fv[dof + c] = pv[so + c * view_.width / W];
            }
        }
    }
    // Moving objects live in panorama coordinates; map them into the view.
    auto to_view_x = [&](int x) { return (x - view_.x) * W / view_.width; };
    auto to_view_y = [&](int y) { return (y - view_.y) * H / view_.height; };
    auto to_view_len = [&](int l) { return std::max(1, l * W / view_.width); };
    const double t = static_cast<double>(scene_ms) / 1000.0;
    const int horizon = pano_h_ * 6 / 10;
    // A car driving along the road, a ball bouncing, a bird crossing the sky.
    if (opt_.traffic) {
    const int car_x = static_cast<int>(std::fmod(t * 160.0, pano_w_ + 300.0)) - 300;
    draw_rect(f, to_view_x(car_x), to_view_y(horizon + 60), to_view_len(220), to_view_len(70), 70,
              90, 200);
    const int ball_x = pano_w_ / 3 + static_cast<int>(std::sin(t * 0.7) * pano_w_ / 5);
    const int ball_y = horizon + 150 - static_cast<int>(std::fabs(std::sin(t * 2.0)) * 120);
    draw_rect(f, to_view_x(ball_x), to_view_y(ball_y), to_view_len(40), to_view_len(40), 200, 60,
              200);
    const int bird_x = pano_w_ - static_cast<int>(std::fmod(t * 90.0, pano_w_ + 100.0));
    draw_rect(f, to_view_x(bird_x), to_view_y(pano_h_ / 6), to_view_len(30), to_view_len(10), 30,
              128, 128);
    }
    if (person_present(wall_ms, opt_.person_period_ms)) {
        draw_person(f, wall_ms);
    }
    draw_clock(f, wall_ms);
    draw_timecode(f, wall_ms);
}

void SimScene::draw_person(std::span<std::uint8_t> f, std::int64_t wall_ms) {
    // A walking silhouette (head, shoulders, swinging arms and legs) rather than boxes, so
    // that a people detector trained on real photographs finds it, as it would a person.
    const int W = opt_.width, H = opt_.height;
    const double into = static_cast<double>(wall_ms % opt_.person_period_ms) / kPersonWalkMs;
    const double height = pano_h_ * 0.24;  // panorama pixels, head to feet
    // It steps into view at the script's time (out of a doorway at the left) and walks to
    // the right edge, so tests can date its entry exactly.
    const double px = view_.x + height * 0.16 + into * (view_.width - height * 0.32);
    const double feet = pano_h_ * 0.80;
    const double sx = static_cast<double>(W) / view_.width, sy = static_cast<double>(H) / view_.height;
    auto at = [&](double x, double y) {
        return cv::Point(static_cast<int>((x - view_.x) * sx), static_cast<int>((y - view_.y) * sy));
    };
    const auto len = [&](double l) { return std::max(1, static_cast<int>(l * sx)); };
    cv::Mat y_plane(H, W, CV_8UC1, f.data());
    cv::Mat u_plane(H / 2, W / 2, CV_8UC1, f.data() + static_cast<std::size_t>(W) * H);
    cv::Mat v_plane(H / 2, W / 2, CV_8UC1,
                    f.data() + static_cast<std::size_t>(W) * H + static_cast<std::size_t>(W / 2) * (H / 2));
    // Draws one shape on all three planes (chroma at half size).
    auto paint = [&](auto&& shape, int Y, int U, int V) {
        shape(y_plane, 1.0, Y);
        shape(u_plane, 0.5, U);
        shape(v_plane, 0.5, V);
    };
    const double swing = std::sin(static_cast<double>(wall_ms) / 1000.0 * 2.0 * M_PI * 0.9) * 0.45;
    const double hip_y = feet - height * 0.47, shoulder_y = feet - height * 0.82;
    const double leg = height * 0.47, arm = height * 0.38;
    auto limb = [&](double x0, double y0, double angle, double length, double width) {
        return [=, &at, &len](cv::Mat& m, double s, int value) {
            const cv::Point a = at(x0, y0), b = at(x0 + std::sin(angle) * length, y0 + std::cos(angle) * length);
            cv::line(m, cv::Point(static_cast<int>(a.x * s), static_cast<int>(a.y * s)),
                     cv::Point(static_cast<int>(b.x * s), static_cast<int>(b.y * s)), cv::Scalar(value),
                     std::max(1, static_cast<int>(len(width) * s)), cv::LINE_AA);
        };
    };
    paint(limb(px - height * 0.04, hip_y, swing, leg, height * 0.09), 35, 130, 120);   // legs
    paint(limb(px + height * 0.04, hip_y, -swing, leg, height * 0.09), 35, 130, 120);
    paint([&](cv::Mat& m, double s, int value) {  // torso: shoulders wider than hips
        std::vector<cv::Point> pts;
        for (auto p : {at(px - height * 0.11, shoulder_y), at(px + height * 0.11, shoulder_y),
                       at(px + height * 0.08, hip_y + height * 0.03), at(px - height * 0.08, hip_y + height * 0.03)}) {
            pts.emplace_back(static_cast<int>(p.x * s), static_cast<int>(p.y * s));
        }
        cv::fillConvexPoly(m, pts, cv::Scalar(value), cv::LINE_AA);
    }, 50, 150, 100);
    paint(limb(px - height * 0.10, shoulder_y + height * 0.02, -swing * 0.8, arm, height * 0.06), 50, 150, 100);
    paint(limb(px + height * 0.10, shoulder_y + height * 0.02, swing * 0.8, arm, height * 0.06), 50, 150, 100);
    paint([&](cv::Mat& m, double s, int value) {  // head
        const cv::Point c = at(px, shoulder_y - height * 0.09);
        cv::ellipse(m, cv::Point(static_cast<int>(c.x * s), static_cast<int>(c.y * s)),
                    cv::Size(std::max(1, static_cast<int>(len(height * 0.06) * s)),
                             std::max(1, static_cast<int>(len(height * 0.075) * s * sy / sx))),
                    0, 0, 360, cv::Scalar(value), cv::FILLED, cv::LINE_AA);
    }, 125, 110, 150);
}

SimTimecodeLayout sim_timecode_layout(int width, int height) {
    SimTimecodeLayout l;
    const int clock_scale = std::max(2, height / 180);
    l.x = 16;
    l.y = 16 + 7 * clock_scale + 16;  // below the printed clock's box
    // Blocks of at least 8 px survive H.264 at low bit rates; the row must fit the width.
    l.block = std::max(8, height / 45);
    const int bits = SimTimecodeLayout::kPreambleBits + SimTimecodeLayout::kClockBits;
    l.block = std::min(l.block, std::max(2, (width - 2 * l.x) / bits));
    return l;
}

void SimScene::draw_timecode(std::span<std::uint8_t> f, std::int64_t wall_ms) {
    const auto l = sim_timecode_layout(opt_.width, opt_.height);
    constexpr int kBits = SimTimecodeLayout::kPreambleBits + SimTimecodeLayout::kClockBits;
    if (l.y + l.block > opt_.height) {
        return;
    }
    for (int i = 0; i < kBits; ++i) {
        bool one = false;
        if (i < SimTimecodeLayout::kPreambleBits) {
            one = i % 2 == 0;
        } else {
            const int bit = SimTimecodeLayout::kClockBits - 1 - (i - SimTimecodeLayout::kPreambleBits);
            one = ((static_cast<std::uint64_t>(wall_ms) >> bit) & 1u) != 0;
        }
        draw_rect(f, l.x + i * l.block, l.y, l.block, l.block, one ? 235 : 16, 128, 128);
    }
}

void SimScene::render_audio(std::int64_t first_sample, std::int64_t wall_ms,
                            std::span<std::int16_t> out) const {
    const double rate = opt_.sample_rate;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const std::int64_t n = first_sample + static_cast<std::int64_t>(i);
        const double t = static_cast<double>(n) / rate;
        const std::int64_t ms = wall_ms + static_cast<std::int64_t>(i) * 1000 / opt_.sample_rate;
        double s = 0.05 * std::sin(2.0 * M_PI * 440.0 * t);
        if (sound_event(ms)) {
            const double since = static_cast<double>(ms % kSoundPeriodMs) / 1000.0;
            s += 0.6 * std::sin(2.0 * M_PI * (800.0 + 4000.0 * since) * t);
        }
        out[i] = static_cast<std::int16_t>(std::clamp(s, -1.0, 1.0) * 32000.0);
    }
}

bool SimScene::person_present(std::int64_t wall_ms, std::int64_t period_ms) {
    return wall_ms >= 0 && period_ms > 0 && (wall_ms % period_ms) < kPersonWalkMs;
}

bool SimScene::sound_event(std::int64_t wall_ms) {
    return wall_ms >= 0 && (wall_ms % kSoundPeriodMs) < kSoundLengthMs;
}

}  // namespace hearth::media
