#include "media/speaker.h"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "media/gst.h"

namespace hearth::media {
namespace {

using namespace std::chrono_literals;

std::vector<std::int16_t> tone(double amplitude, std::size_t samples) {
    std::vector<std::int16_t> out(samples);
    for (std::size_t i = 0; i < samples; ++i) {
        out[i] = static_cast<std::int16_t>(amplitude * 32767 * std::sin(2 * M_PI * 1000 * i / 48000.0));
    }
    return out;
}

TEST(SpeakerTest, OneTalkerAtATimeAndItsLevel) {
    core::FakeClock clock(1'800'000'000'000'000);
    Speaker speaker(&clock);
    EXPECT_EQ(speaker.status().level_dbfs, -100.0);
    EXPECT_FALSE(speaker.begin(1, "dad"));
    auto busy = speaker.begin(2, "mia");
    ASSERT_TRUE(busy);
    EXPECT_EQ(*busy, "dad");  // the second talker is told who holds the speaker
    speaker.write(2, tone(0.5, 4800));  // not the holder: ignored
    EXPECT_EQ(speaker.status().samples, 0u);
    speaker.write(1, tone(0.5, 4800));
    auto s = speaker.status();
    EXPECT_EQ(s.talker, "dad");
    EXPECT_NEAR(s.level_dbfs, 20 * std::log10(0.5 / std::sqrt(2.0)), 0.5);  // about -9 dBFS
    EXPECT_TRUE(s.above_threshold);
    clock.advance(1500ms);
    EXPECT_FALSE(speaker.status().above_threshold);  // nothing heard for a while: silence
    speaker.write(1, tone(0.001, 4800));
    EXPECT_FALSE(speaker.status().above_threshold);  // -63 dBFS is below the threshold
    speaker.end(2);  // not the holder: nothing happens
    EXPECT_EQ(speaker.status().talker, "dad");
    speaker.end(1);
    EXPECT_EQ(speaker.status().talker, "");
    EXPECT_FALSE(speaker.begin(2, "mia"));
    EXPECT_EQ(speaker.status().sessions, 2u);
}

TEST(SpeakerTest, SimCameraWritesAWavFile) {
    const auto dir = std::filesystem::temp_directory_path() / "hearth-speaker-test";
    std::filesystem::remove_all(dir);
    core::FakeClock clock(1'800'000'000'000'000);
    {
        WavSpeaker speaker(&clock, dir / "sim" / "camera-1-speaker.wav");
        ASSERT_FALSE(speaker.begin(7, "dad"));
        speaker.write(7, tone(0.25, 48000));
        speaker.end(7);
    }
    std::ifstream in(dir / "sim" / "camera-1-speaker.wav", std::ios::binary);
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), {});
    ASSERT_EQ(bytes.size(), 44u + 96000u);
    auto u32 = [&](std::size_t at) {
        return bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | std::uint32_t(bytes[at + 3]) << 24;
    };
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), "RIFF");
    EXPECT_EQ(u32(4), 36u + 96000u);
    EXPECT_EQ(std::string(bytes.begin() + 8, bytes.begin() + 16), "WAVEfmt ");
    EXPECT_EQ(u32(24), 48000u);
    EXPECT_EQ(u32(40), 96000u);
    std::filesystem::remove_all(dir);
}

// A local camera's speaker plays through ALSA; the "null" device takes sound without hardware.
TEST(SpeakerTest, LocalCameraPlaysThroughAlsa) {
    gst::ensure_init();
    GstElementFactory* alsa = gst_element_factory_find("alsasink");
    if (alsa == nullptr) {
        GTEST_SKIP() << "no alsasink (gstreamer1.0-alsa)";
    }
    gst_object_unref(alsa);
    core::FakeClock clock(1'800'000'000'000'000);
    AlsaSpeaker speaker(&clock, "null");
    ASSERT_FALSE(speaker.begin(3, "dad"));
    for (int i = 0; i < 10; ++i) {
        speaker.write(3, tone(0.3, 960));
    }
    EXPECT_TRUE(speaker.status().above_threshold);
    speaker.end(3);
    ASSERT_FALSE(speaker.begin(4, "mia"));  // the device was let go and opens again
    speaker.end(4);
}

}  // namespace
}  // namespace hearth::media
