#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <regex>
#include <sstream>

#include "media/fmp4_reader.h"
#include "media/fmp4_writer.h"
#include "test_media.h"

namespace hearth::media::fmp4 {
namespace {

using core::ErrorCode;
using testmedia::CommandResult;
using testmedia::make_data;
using testmedia::read_file;
using testmedia::run_command;
using testmedia::Stream;
using testmedia::TempDir;
using testmedia::write_file;
using Bytes = std::vector<std::uint8_t>;
using Fragments = std::vector<std::vector<EncodedSample>>;

constexpr std::int64_t kFrameUs = 1'000'000 / 15;

// ---------------------------------------------------------------------------------------------
// Synthetic streams: structurally valid, not decodable; for tests that need no ffmpeg.

TrackInfo fake_h264() {
    TrackInfo t;
    t.codec = Codec::kH264;
    t.codec_data = {1,    0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0,    4,    0x67, 0x42,
                    0xC0, 0x1E, 1,    0,    4,    0x68, 0xCE, 0x3C, 0x80};
    t.width = 320;
    t.height = 240;
    return t;
}

TrackInfo fake_aac() {
    TrackInfo t;
    t.codec = Codec::kAac;
    t.codec_data = {0x11, 0x90};  // AAC-LC, 48 kHz, mono
    t.sample_rate = 48000;
    t.channels = 1;
    return t;
}

EncodedSample sample(int track, std::int64_t dts_us, std::size_t size, bool keyframe,
                     std::int64_t pts_us = -1) {
    EncodedSample s;
    s.track = track;
    s.dts_us = dts_us;
    s.pts_us = pts_us < 0 ? dts_us : pts_us;
    s.keyframe = keyframe;
    s.data = make_data(Bytes(size, std::uint8_t(dts_us & 0xFF)));
    return s;
}

// `seconds` of 15 fps video (a keyframe each second) and 48 kHz AAC frames.
std::pair<Stream, Stream> fake_streams(int seconds, std::size_t frame_size = 20) {
    Stream video{fake_h264(), {}};
    for (int i = 0; i < seconds * 15; ++i) {
        video.samples.push_back(sample(0, std::int64_t(i) * 1'000'000 / 15,
                                       frame_size + std::size_t(i % 7), i % 15 == 0));
    }
    Stream audio{fake_aac(), {}};
    for (int i = 0; std::int64_t(i) * 1024 * 1'000'000 / 48000 < seconds * 1'000'000; ++i) {
        audio.samples.push_back(sample(1, std::int64_t(i) * 1024 * 1'000'000 / 48000, 6, true));
    }
    return {video, audio};
}

// Cuts at video keyframes as the recorder does; audio goes to the fragment whose keyframe
// precedes it. The last video sample of each fragment but the last lasts until the next
// keyframe. Samples inside a fragment are interleaved by decode time.
Fragments cut_at_keyframes(const Stream& video, const Stream* audio) {
    Fragments fragments;
    std::vector<std::int64_t> starts;
    for (const EncodedSample& s : video.samples) {
        if (s.keyframe || fragments.empty()) {
            if (!fragments.empty()) {
                fragments.back().back().duration_us = s.dts_us - fragments.back().back().dts_us;
            }
            fragments.emplace_back();
            starts.push_back(s.dts_us);
        }
        fragments.back().push_back(s);
        fragments.back().back().track = 0;
    }
    if (audio != nullptr) {
        for (const EncodedSample& s : audio->samples) {
            auto it = std::upper_bound(starts.begin(), starts.end(), s.dts_us);
            std::size_t index = it == starts.begin() ? 0 : std::size_t(it - starts.begin() - 1);
            fragments[index].push_back(s);
            fragments[index].back().track = 1;
        }
    }
    for (auto& f : fragments) {
        std::stable_sort(f.begin(), f.end(), [](const EncodedSample& a, const EncodedSample& b) {
            return a.dts_us < b.dts_us;
        });
    }
    return fragments;
}

struct Recording {
    Bytes file;
    std::uint64_t init_size = 0;
    std::vector<std::uint64_t> offsets;
    std::vector<FragmentInfo> infos;
    std::vector<Bytes> fragments;
};

Recording record(const std::vector<TrackInfo>& tracks, const Fragments& fragments,
                 std::uint32_t first_sequence = 1) {
    Recording r;
    auto init = build_init_segment(tracks);
    EXPECT_TRUE(init) << init.error().describe();
    if (!init) {
        return r;
    }
    r.file = *init;
    r.init_size = r.file.size();
    for (std::size_t i = 0; i < fragments.size(); ++i) {
        FragmentInfo info;
        auto frag = build_fragment(first_sequence + std::uint32_t(i), tracks, fragments[i], &info);
        EXPECT_TRUE(frag) << frag.error().describe();
        if (!frag) {
            return r;
        }
        EXPECT_EQ(info.size, frag->size());
        r.offsets.push_back(r.file.size());
        r.infos.push_back(info);
        r.fragments.push_back(*frag);
        r.file.insert(r.file.end(), frag->begin(), frag->end());
    }
    return r;
}

Recording fake_recording(int seconds) {
    auto [video, audio] = fake_streams(seconds);
    return record({video.track, audio.track}, cut_at_keyframes(video, &audio));
}

bool contains(const Bytes& haystack, const std::string& text) {
    Bytes needle(text.begin(), text.end());  // compared as unsigned bytes
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
           haystack.end();
}

std::uint32_t be32_at(const Bytes& b, std::size_t pos) {
    return std::uint32_t(b[pos]) << 24 | std::uint32_t(b[pos + 1]) << 16 |
           std::uint32_t(b[pos + 2]) << 8 | b[pos + 3];
}

std::size_t find_box(const Bytes& b, const std::string& type, std::size_t from = 0) {
    auto it = std::search(b.begin() + std::ptrdiff_t(from), b.end(), type.begin(), type.end());
    return it == b.end() ? std::string::npos : std::size_t(it - b.begin()) - 4;
}

// ---------------------------------------------------------------------------------------------
// Init segment

TEST(Fmp4InitTest, RejectsBadTracks) {
    auto code_of = [](const std::vector<TrackInfo>& tracks) {
        auto r = build_init_segment(tracks);
        return r ? ErrorCode::kInvalid : r.error().code;
    };
    EXPECT_EQ(code_of({}), ErrorCode::kInvalidArgument);
    EXPECT_EQ(code_of({TrackInfo{}}), ErrorCode::kInvalidArgument);

    TrackInfo no_config = fake_h264();
    no_config.codec_data.clear();
    EXPECT_EQ(code_of({no_config}), ErrorCode::kInvalidArgument);
    TrackInfo no_size = fake_h264();
    no_size.height = 0;
    EXPECT_EQ(code_of({no_size}), ErrorCode::kInvalidArgument);
    TrackInfo no_rate = fake_aac();
    no_rate.sample_rate = 0;
    EXPECT_EQ(code_of({fake_h264(), no_rate}), ErrorCode::kInvalidArgument);
    TrackInfo bad_opus{Codec::kOpus, {'O', 'p', 'u', 's'}, 0, 0, 48000, 2};
    EXPECT_EQ(code_of({bad_opus}), ErrorCode::kInvalidArgument);

    auto r = build_init_segment({fake_h264(), no_rate});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("track 1 (aac) has no sample rate"), std::string::npos)
        << r.error().message;
}

TEST(Fmp4InitTest, HasTheExpectedBoxesAndParsesBack) {
    auto init = build_init_segment({fake_h264(), fake_aac()});
    ASSERT_TRUE(init) << init.error().describe();
    const Bytes& b = *init;
    // ftyp: major iso6, minor 0, then the compatible brands.
    ASSERT_GE(b.size(), 36u);
    EXPECT_EQ(be32_at(b, 0), 36u);
    EXPECT_EQ(std::string(b.begin() + 4, b.begin() + 36),
              std::string("ftypiso6\0\0\0\0iso6iso5mp41avc1cmfc", 32));
    for (const char* type : {"moov", "mvhd", "trak", "tkhd", "mdhd", "hdlr", "vide", "soun",
                             "vmhd", "smhd", "dref", "url ", "stsd", "avc1", "avcC", "mp4a",
                             "esds", "stts", "stsc", "stsz", "stco", "mvex", "trex"}) {
        EXPECT_TRUE(contains(b, type)) << type;
    }
    // esds carries the AudioSpecificConfig after a DecoderSpecificInfo tag.
    EXPECT_TRUE(contains(b, std::string("\x05\x80\x80\x80\x02\x11\x90", 7)));

    auto info = parse_init_segment(b);
    ASSERT_TRUE(info) << info.error().describe();
    EXPECT_EQ(info->size, b.size());
    EXPECT_EQ(info->timescales, (std::vector<std::uint32_t>{90000, 48000}));
    EXPECT_EQ(info->kinds, (std::vector<TrackKind>{TrackKind::kVideo, TrackKind::kAudio}));
}

TEST(Fmp4InitTest, AudioOnlyEntries) {
    struct Case {
        TrackInfo track;
        const char* entry;
    };
    std::vector<Case> cases = {
        {{Codec::kPcmu, {}, 0, 0, 8000, 1}, "ulaw"},
        {{Codec::kPcma, {}, 0, 0, 8000, 1}, "alaw"},
        {{Codec::kOpus, {}, 0, 0, 48000, 2}, "dOps"},
        {{Codec::kAac, {}, 0, 0, 16000, 1}, "esds"},  // config synthesized from rate/channels
    };
    for (const Case& c : cases) {
        auto init = build_init_segment({c.track});
        ASSERT_TRUE(init) << c.entry << ": " << init.error().describe();
        EXPECT_TRUE(contains(*init, c.entry)) << c.entry;
        EXPECT_FALSE(contains(*init, "avc1")) << c.entry;
        auto info = parse_init_segment(*init);
        ASSERT_TRUE(info) << info.error().describe();
        EXPECT_EQ(info->timescales, std::vector<std::uint32_t>{std::uint32_t(c.track.sample_rate)});
        EXPECT_EQ(info->kinds, std::vector<TrackKind>{TrackKind::kAudio});
    }
    // Synthesized AAC-LC config for 16 kHz mono: 00010 1000 0001 000.
    auto init = build_init_segment({cases[3].track});
    ASSERT_TRUE(init);
    EXPECT_TRUE(contains(*init, std::string("\x05\x80\x80\x80\x02\x14\x08", 7)));
    // dOps without OpusHead: version 0, 2 channels, pre-skip 312, 48000 Hz, gain 0, family 0.
    init = build_init_segment({cases[2].track});
    ASSERT_TRUE(init);
    EXPECT_TRUE(
        contains(*init, std::string("dOps\x00\x02\x01\x38\x00\x00\xBB\x80\x00\x00\x00", 15)));
}

TEST(Fmp4InitTest, OpusHeadBecomesBigEndianDops) {
    // OpusHead: version 1, 1 channel, pre-skip 0x0138 (LE), 16000 Hz (LE), gain -1 (LE), family 0.
    TrackInfo opus{
        Codec::kOpus,
        {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 1, 0x38, 0x01, 0x80, 0x3E, 0, 0, 0xFF, 0xFF, 0},
        0,
        0,
        48000,
        1};
    auto init = build_init_segment({opus});
    ASSERT_TRUE(init) << init.error().describe();
    EXPECT_TRUE(
        contains(*init, std::string("dOps\x00\x01\x01\x38\x00\x00\x3E\x80\xFF\xFF\x00", 15)));
}

// ---------------------------------------------------------------------------------------------
// Timing

TEST(Fmp4TimingTest, ConversionsRoundAndRoundTrip) {
    EXPECT_EQ(*to_track_units(1'000'000, 90000), 90000);
    EXPECT_EQ(*to_track_units(33'333, 90000), 3000);  // 2999.97
    EXPECT_EQ(*to_track_units(-1, 90000), 0);         // -0.09
    EXPECT_EQ(*to_track_units(-12, 90000), -1);       // -1.08
    EXPECT_EQ(*to_microseconds(3003, 90000), 33367);  // 33366.67
    EXPECT_EQ(*to_microseconds(-1, 48000), -21);      // -20.83
    EXPECT_FALSE(to_track_units(1, 0));
    EXPECT_FALSE(to_track_units(std::numeric_limits<std::int64_t>::max(), 10'000'000));
    EXPECT_FALSE(to_microseconds(std::numeric_limits<std::int64_t>::max() / 2, 1000));

    std::mt19937_64 random(7);
    for (std::uint32_t timescale : {1000u, 8000u, 48000u, 90000u, 1'000'000u}) {
        for (int i = 0; i < 10000; ++i) {
            std::int64_t units = std::int64_t(random() % (1ull << 40)) - (1ll << 39);
            auto us = to_microseconds(units, timescale);
            ASSERT_TRUE(us);
            ASSERT_EQ(*to_track_units(*us, timescale), units) << timescale << " " << units;
        }
    }
}

TEST(Fmp4TimingTest, DurationsDoNotDrift) {
    // 29.97 fps: 33366.67 us frames, given as rounded microseconds, over ten minutes.
    TrackInfo video = fake_h264();
    std::vector<EncodedSample> samples;
    constexpr int kFrames = 18000;
    for (int i = 0; i < kFrames; ++i) {
        std::int64_t us = (std::int64_t(i) * 1'001'000 * 2 + 30) / 60;  // round(i * 1001000 / 30)
        samples.push_back(sample(0, us, 1, i == 0));
    }
    FragmentInfo info;
    auto frag = build_fragment(1, {video}, samples, &info);
    ASSERT_TRUE(frag) << frag.error().describe();
    // Every frame is exactly 3003 units, so the total is exact.
    EXPECT_EQ(info.start_us, 0);
    EXPECT_EQ(info.duration_us, *to_microseconds(std::int64_t(kFrames) * 3003, 90000));
    EXPECT_TRUE(info.starts_with_keyframe);
}

TEST(Fmp4TimingTest, LastSampleDurationFallbacks) {
    auto duration_of = [](const TrackInfo& track, std::vector<EncodedSample> samples) {
        FragmentInfo info;
        auto frag = build_fragment(1, {track}, samples, &info);
        EXPECT_TRUE(frag) << frag.error().describe();
        return info.duration_us;
    };
    TrackInfo video = fake_h264();
    // Explicit duration on the last sample.
    auto with_duration = sample(0, 0, 10, true);
    with_duration.duration_us = 50'000;
    EXPECT_EQ(duration_of(video, {with_duration}), 50'000);
    // Previous sample's duration.
    EXPECT_EQ(duration_of(video, {sample(0, 0, 10, true), sample(0, 40'000, 10, false)}), 80'000);
    // Nothing known: 1/15 s (6000 units).
    EXPECT_EQ(duration_of(video, {sample(0, 0, 10, true)}), 66'667);
    // Audio: one codec frame.
    EXPECT_EQ(duration_of(fake_aac(), {sample(0, 0, 10, true)}), 21333);
    EXPECT_EQ(duration_of({Codec::kOpus, {}, 0, 0, 48000, 1}, {sample(0, 0, 10, true)}), 20'000);
    EXPECT_EQ(duration_of({Codec::kPcmu, {}, 0, 0, 8000, 1}, {sample(0, 0, 160, true)}), 20'000);
}

TEST(Fmp4FragmentTest, RejectsBadSamples) {
    std::vector<TrackInfo> tracks = {fake_h264(), fake_aac()};
    auto code_of = [&](std::vector<EncodedSample> samples) {
        auto r = build_fragment(1, tracks, samples);
        return r ? ErrorCode::kInvalid : r.error().code;
    };
    EXPECT_EQ(code_of({}), ErrorCode::kInvalidArgument);
    EXPECT_EQ(code_of({sample(2, 0, 10, true)}), ErrorCode::kInvalidArgument);
    EXPECT_EQ(code_of({sample(-1, 0, 10, true)}), ErrorCode::kInvalidArgument);
    EXPECT_EQ(code_of({sample(0, -5, 10, true)}), ErrorCode::kInvalidArgument);
    EXPECT_EQ(code_of({sample(0, 100'000, 10, true), sample(0, 50'000, 10, false)}),
              ErrorCode::kInvalidArgument);
    auto no_data = sample(0, 0, 10, true);
    no_data.data.reset();
    EXPECT_EQ(code_of({no_data}), ErrorCode::kInvalidArgument);
    // Decode times may go backwards across tracks: only each track must be ordered.
    EXPECT_EQ(code_of({sample(0, 100'000, 10, true), sample(1, 50'000, 10, true)}),
              ErrorCode::kInvalid);
}

TEST(Fmp4FragmentTest, LayoutAndInfo) {
    std::vector<TrackInfo> tracks = {fake_h264(), fake_aac()};
    // Interleaved input; audio starts before the keyframe.
    std::vector<EncodedSample> samples = {
        sample(1, 990'000, 5, true), sample(0, 1'000'000, 30, true), sample(1, 1'011'333, 6, true),
        sample(0, 1'000'000 + kFrameUs, 20, false)};
    FragmentInfo info;
    auto frag = build_fragment(7, tracks, samples, &info);
    ASSERT_TRUE(frag) << frag.error().describe();
    const Bytes& b = *frag;
    EXPECT_EQ(info.size, b.size());
    EXPECT_EQ(info.start_us, 1'000'000);
    EXPECT_EQ(info.duration_us, 2 * kFrameUs + 1);  // 12000 units: 133333.3 us, rounded
    EXPECT_TRUE(info.starts_with_keyframe);
    EXPECT_EQ(info.earliest_us, 990'000);

    ASSERT_EQ(std::string(b.begin() + 4, b.begin() + 8), "moof");
    std::size_t moof_size = be32_at(b, 0);
    ASSERT_EQ(std::string(b.begin() + std::ptrdiff_t(moof_size) + 4,
                          b.begin() + std::ptrdiff_t(moof_size) + 8),
              "mdat");
    EXPECT_EQ(be32_at(b, moof_size), 8u + 30 + 20 + 5 + 6);
    EXPECT_EQ(be32_at(b, find_box(b, "mfhd") + 12), 7u);
    // mdat holds video then audio; each trun's data_offset points at its track's bytes.
    std::size_t trun_video = find_box(b, "trun");
    std::size_t trun_audio = find_box(b, "trun", trun_video + 8);
    ASSERT_NE(trun_audio, std::string::npos);
    EXPECT_EQ(b[trun_video + 8], 0);             // version 0: pts == dts
    EXPECT_EQ(be32_at(b, trun_video + 12), 2u);  // sample_count
    EXPECT_EQ(be32_at(b, trun_video + 16), moof_size + 8);
    EXPECT_EQ(be32_at(b, trun_audio + 16), moof_size + 8 + 50);
    // Video sample flags: sync then non-sync.
    EXPECT_EQ(be32_at(b, trun_video + 20 + 8), 0x02000000u);
    EXPECT_EQ(be32_at(b, trun_video + 32 + 8), 0x01010000u);
    // tfdt version 1: 1 s in 90 kHz units, and 990 ms in 48 kHz units.
    std::size_t tfdt_video = find_box(b, "tfdt");
    std::size_t tfdt_audio = find_box(b, "tfdt", tfdt_video + 8);
    EXPECT_EQ(b[tfdt_video + 8], 1);
    EXPECT_EQ(be32_at(b, tfdt_video + 16), 90000u);
    EXPECT_EQ(be32_at(b, tfdt_audio + 16), 47520u);
}

TEST(Fmp4FragmentTest, CompositionOffsetsAreSignedVersion1) {
    // Decode order I P B with pts - dts = +1, +2, -1 frames.
    std::vector<EncodedSample> samples = {sample(0, 0, 10, true, kFrameUs),
                                          sample(0, kFrameUs, 10, false, 3 * kFrameUs),
                                          sample(0, 2 * kFrameUs, 10, false, kFrameUs)};
    auto frag = build_fragment(1, {fake_h264()}, samples);
    ASSERT_TRUE(frag) << frag.error().describe();
    std::size_t trun = find_box(*frag, "trun");
    EXPECT_EQ((*frag)[trun + 8], 1);  // version 1
    EXPECT_EQ(be32_at(*frag, trun + 8) & 0xFFFFFF, 0x000F01u);
    EXPECT_EQ(be32_at(*frag, trun + 20 + 12), 6000u);
    EXPECT_EQ(be32_at(*frag, trun + 36 + 12), 12000u);
    EXPECT_EQ(std::int32_t(be32_at(*frag, trun + 52 + 12)), -6000);
}

// ---------------------------------------------------------------------------------------------
// Reader

TEST(Fmp4ReaderTest, ScanFindsEveryFragmentWritten) {
    Recording r = fake_recording(4);
    ASSERT_EQ(r.infos.size(), 4u);
    std::uint64_t valid = 0;
    auto found = scan_fragments(r.file, &valid);
    ASSERT_TRUE(found) << found.error().describe();
    EXPECT_EQ(valid, r.file.size());
    ASSERT_EQ(found->size(), r.infos.size());
    for (std::size_t i = 0; i < found->size(); ++i) {
        const FragmentLocation& loc = (*found)[i];
        const FragmentInfo& info = r.infos[i];
        EXPECT_EQ(loc.offset, r.offsets[i]);
        EXPECT_EQ(loc.size, info.size);
        EXPECT_EQ(loc.sequence, i + 1);
        EXPECT_EQ(loc.start_us, info.start_us);
        EXPECT_EQ(loc.duration_us, info.duration_us);
        EXPECT_EQ(loc.starts_with_keyframe, info.starts_with_keyframe);
        EXPECT_TRUE(loc.starts_with_keyframe);
        EXPECT_EQ(loc.earliest_us, info.earliest_us);
        EXPECT_EQ(loc.start_us, std::int64_t(i) * 1'000'000);
        if (i > 0) {  // fragments tile
            EXPECT_EQ((*found)[i - 1].start_us + (*found)[i - 1].duration_us, loc.start_us);
        }
    }
}

TEST(Fmp4ReaderTest, ScanStopsAtATornFragmentAtEveryCut) {
    Recording r = fake_recording(3);
    ASSERT_EQ(r.infos.size(), 3u);
    for (std::size_t cut = 0; cut <= r.file.size(); ++cut) {
        std::span<const std::uint8_t> head(r.file.data(), cut);
        std::uint64_t valid = 12345;
        auto found = scan_fragments(head, &valid);
        if (cut < r.init_size) {
            ASSERT_FALSE(found) << cut;
            EXPECT_EQ(found.error().code, ErrorCode::kInvalidArgument);
            continue;
        }
        ASSERT_TRUE(found) << cut << ": " << found.error().describe();
        std::size_t complete = 0;
        std::uint64_t end = r.init_size;
        while (complete < r.offsets.size() && r.offsets[complete] + r.infos[complete].size <= cut) {
            end = r.offsets[complete] + r.infos[complete].size;
            ++complete;
        }
        ASSERT_EQ(found->size(), complete) << cut;
        ASSERT_EQ(valid, end) << cut;
    }
}

TEST(Fmp4ReaderTest, ZeroTailIsTornButGarbageBetweenFragmentsIsAnError) {
    Recording r = fake_recording(2);
    Bytes zeros = r.file;
    zeros.resize(zeros.size() + 4096, 0);
    std::uint64_t valid = 0;
    auto found = scan_fragments(zeros, &valid);
    ASSERT_TRUE(found) << found.error().describe();
    EXPECT_EQ(found->size(), 2u);
    EXPECT_EQ(valid, r.file.size());

    // Zeros over the start of the second fragment (its tail never reached the disk).
    Bytes holed = r.file;
    std::fill(holed.begin() + std::ptrdiff_t(r.offsets[1]), holed.end(), 0);
    found = scan_fragments(holed, &valid);
    ASSERT_TRUE(found) << found.error().describe();
    EXPECT_EQ(found->size(), 1u);
    EXPECT_EQ(valid, r.offsets[1]);

    // A complete box that is not a fragment, then a fragment: corruption, not a torn write.
    Bytes bad = r.file;
    Bytes junk = {0, 0, 0, 4, 'x', 'x', 'x', 'x'};
    bad.insert(bad.begin() + std::ptrdiff_t(r.offsets[1]), junk.begin(), junk.end());
    found = scan_fragments(bad, &valid);
    ASSERT_FALSE(found);
    EXPECT_NE(found.error().message.find("invalid header"), std::string::npos)
        << found.error().message;
}

TEST(Fmp4ReaderTest, SkipsOtherBoxesIncludingLargesize) {
    Recording r = fake_recording(2);
    // A 'free' box with a 64-bit size between the fragments and between ftyp and moov.
    Bytes free_box = {0, 0, 0, 1, 'f', 'r', 'e', 'e', 0, 0, 0, 0, 0, 0, 0, 20, 1, 2, 3, 4};
    Bytes file(r.file.begin(), r.file.begin() + std::ptrdiff_t(r.offsets[1]));
    file.insert(file.end(), free_box.begin(), free_box.end());
    file.insert(file.end(), r.file.begin() + std::ptrdiff_t(r.offsets[1]), r.file.end());
    std::size_t ftyp_size = be32_at(file, 0);
    file.insert(file.begin() + std::ptrdiff_t(ftyp_size), free_box.begin(), free_box.end());

    auto init = parse_init_segment(file);
    ASSERT_TRUE(init) << init.error().describe();
    EXPECT_EQ(init->size, r.init_size + 20);
    std::uint64_t valid = 0;
    auto found = scan_fragments(file, &valid);
    ASSERT_TRUE(found) << found.error().describe();
    ASSERT_EQ(found->size(), 2u);
    EXPECT_EQ((*found)[1].offset, r.offsets[1] + 40);
    EXPECT_EQ(valid, file.size());

    // A largesize box that runs past the end is a torn tail.
    Bytes torn = file;
    Bytes huge = {0, 0, 0, 1, 'm', 'o', 'o', 'f', 0, 0, 1, 0, 0, 0, 0, 0};
    torn.insert(torn.end(), huge.begin(), huge.end());
    found = scan_fragments(torn, &valid);
    ASSERT_TRUE(found) << found.error().describe();
    EXPECT_EQ(found->size(), 2u);
    EXPECT_EQ(valid, file.size());
}

TEST(Fmp4ReaderTest, GarbageGivesErrorsNotCrashes) {
    EXPECT_FALSE(parse_init_segment({}));
    EXPECT_FALSE(scan_fragments({}));
    Bytes text(100, 'a');
    auto r = parse_init_segment(text);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("not an ISO BMFF file"), std::string::npos)
        << r.error().message;

    std::mt19937 random(42);
    for (int i = 0; i < 2000; ++i) {
        Bytes junk(random() % 512);
        for (auto& byte : junk) {
            byte = std::uint8_t(random());
        }
        EXPECT_FALSE(parse_init_segment(junk));
        EXPECT_FALSE(scan_fragments(junk));
        EXPECT_FALSE(shift_decode_times(junk, {90000}, 0));
    }
}

TEST(Fmp4ReaderTest, MutatedFilesNeverCrash) {
    Recording r = fake_recording(2);
    std::mt19937 random(1);
    int parsed = 0;
    for (int i = 0; i < 3000; ++i) {
        Bytes file = r.file;
        int flips = 1 + int(random() % 4);
        for (int f = 0; f < flips; ++f) {
            file[random() % file.size()] = std::uint8_t(random());
        }
        std::uint64_t valid = 0;
        auto found = scan_fragments(file, &valid);
        if (found) {
            ++parsed;
            EXPECT_LE(valid, file.size());
            auto init = parse_init_segment(file);
            ASSERT_TRUE(init);
            for (const FragmentLocation& loc : *found) {
                ASSERT_LE(loc.offset + loc.size, file.size());
                std::span<std::uint8_t> frag(file.data() + loc.offset, loc.size);
                (void)shift_decode_times(frag, init->timescales, loc.earliest_us);
            }
        }
    }
    EXPECT_GT(parsed, 0);  // most flips land in sample bytes
}

TEST(Fmp4ReaderTest, RefusesHugeSampleCounts) {
    Recording r = fake_recording(1);
    Bytes file = r.file;
    std::size_t trun = find_box(file, "trun", r.init_size);
    ASSERT_NE(trun, std::string::npos);
    for (std::uint32_t count : {1'000'001u, 0xFFFFFFFFu}) {
        for (int b = 0; b < 4; ++b) {
            file[trun + 12 + std::size_t(b)] = std::uint8_t(count >> (24 - 8 * b));
        }
        auto found = scan_fragments(file);
        ASSERT_FALSE(found);
        EXPECT_NE(found.error().message.find("exceed the limit of 1000000"), std::string::npos)
            << found.error().message;
    }
    // A sample count that fits the limit but not the box.
    file[trun + 12] = 0;
    file[trun + 13] = 0;
    file[trun + 14] = 0x10;
    file[trun + 15] = 0;
    auto found = scan_fragments(file);
    ASSERT_FALSE(found);
    EXPECT_NE(found.error().message.find("remain"), std::string::npos) << found.error().message;
}

TEST(Fmp4ReaderTest, RefusesSampleDataOutsideTheMdat) {
    Recording r = fake_recording(1);
    Bytes file = r.file;
    std::size_t trun = find_box(file, "trun", r.init_size);
    file[trun + 16] = 0x7F;  // data_offset far past the mdat
    auto found = scan_fragments(file);
    ASSERT_FALSE(found);
    EXPECT_NE(found.error().message.find("outside the mdat"), std::string::npos)
        << found.error().message;
}

TEST(Fmp4ShiftTest, ShiftStartsAtZeroAndOtherTracksFollow) {
    Recording r = fake_recording(3);
    Bytes frag = r.fragments[1];
    ASSERT_EQ(r.infos[1].start_us, 1'000'000);
    ASSERT_TRUE(shift_decode_times(frag, {90000, 48000}, r.infos[1].earliest_us));
    Bytes file(r.file.begin(), r.file.begin() + std::ptrdiff_t(r.init_size));
    file.insert(file.end(), frag.begin(), frag.end());
    auto found = scan_fragments(file);
    ASSERT_TRUE(found) << found.error().describe();
    ASSERT_EQ(found->size(), 1u);
    EXPECT_EQ((*found)[0].earliest_us, 0);
    EXPECT_EQ((*found)[0].start_us, r.infos[1].start_us - r.infos[1].earliest_us);
    EXPECT_EQ((*found)[0].duration_us, r.infos[1].duration_us);
}

TEST(Fmp4ShiftTest, ErrorsLeaveTheBytesUntouched) {
    Recording r = fake_recording(2);
    Bytes frag = r.fragments[1];
    // Unknown track 2.
    auto status = shift_decode_times(frag, {90000}, 1000);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(status.error().message.find("unknown track_ID 2"), std::string::npos)
        << status.error().message;
    EXPECT_EQ(frag, r.fragments[1]);
    // Past the earliest decode time: the first traf is fine, the second would go negative.
    status = shift_decode_times(frag, {90000, 48000}, r.infos[1].earliest_us + 1000);
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().message.find("negative"), std::string::npos) << status.error().message;
    EXPECT_EQ(frag, r.fragments[1]);
    // Not a fragment, or a fragment without its mdat.
    std::span<std::uint8_t> init(r.file.data(), r.init_size);
    EXPECT_FALSE(shift_decode_times(init, {90000, 48000}, 0));
    std::span<std::uint8_t> moof_only(frag.data(), be32_at(frag, 0));
    EXPECT_FALSE(shift_decode_times(moof_only, {90000, 48000}, 0));
    EXPECT_EQ(frag, r.fragments[1]);
}

// ---------------------------------------------------------------------------------------------
// Against ffmpeg: real streams, and what ffprobe/ffmpeg make of the files we write.

struct Packet {
    int stream = -1;
    double pts = 0;
    double dts = 0;
};

std::vector<Packet> probe_packets(const std::filesystem::path& file) {
    CommandResult r = run_command(
        "ffprobe -v error -show_entries packet=stream_index,pts_time,dts_time -of compact=p=0 '" +
        file.string() + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    std::vector<Packet> packets;
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
        Packet p;
        std::istringstream fields(line);
        std::string field;
        while (std::getline(fields, field, '|')) {
            auto eq = field.find('=');
            std::string key = field.substr(0, eq);
            std::string value = field.substr(eq + 1);
            if (key == "stream_index") {
                p.stream = std::stoi(value);
            } else if (key == "pts_time") {
                p.pts = std::stod(value);
            } else if (key == "dts_time") {
                p.dts = std::stod(value);
            }
        }
        packets.push_back(p);
    }
    return packets;
}

struct Probe {
    std::vector<std::string> codecs;
    std::vector<int> widths;
    std::vector<int> heights;
    double duration = -1;
    double start_time = -1;
};

Probe probe(const std::filesystem::path& file) {
    CommandResult r = run_command(
        "ffprobe -v error -show_entries stream=codec_name,width,height:format=duration,"
        "start_time -of json '" +
        file.string() + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    Probe p;
    auto each = [&](const char* pattern, auto fn) {
        std::regex re(pattern);
        for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), re);
             it != std::sregex_iterator(); ++it) {
            fn((*it)[1].str());
        }
    };
    each(R"re("codec_name": "(\w+)")re", [&](const std::string& v) { p.codecs.push_back(v); });
    each(R"re("width": (\d+))re", [&](const std::string& v) { p.widths.push_back(std::stoi(v)); });
    each(R"re("height": (\d+))re",
         [&](const std::string& v) { p.heights.push_back(std::stoi(v)); });
    each(R"re("duration": "([-\d.]+)")re",
         [&](const std::string& v) { p.duration = std::stod(v); });
    each(R"re("start_time": "([-\d.]+)")re",
         [&](const std::string& v) { p.start_time = std::stod(v); });
    return p;
}

void expect_decodes_cleanly(const std::filesystem::path& file) {
    CommandResult r = run_command("ffmpeg -nostdin -v error -i '" + file.string() + "' -f null -");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "") << file;
}

// Per stream: decode times strictly increase and never jump by more than one frame.
void expect_continuous(const std::vector<Packet>& packets, int stream, double frame_s,
                       double first_dts_s) {
    std::vector<double> dts;
    for (const Packet& p : packets) {
        if (p.stream == stream) {
            dts.push_back(p.dts);
        }
    }
    ASSERT_GT(dts.size(), 10u) << "stream " << stream;
    EXPECT_NEAR(dts.front(), first_dts_s, 0.001) << "stream " << stream;
    for (std::size_t i = 1; i < dts.size(); ++i) {
        double step = dts[i] - dts[i - 1];
        EXPECT_GT(step, 0) << "stream " << stream << " packet " << i;
        EXPECT_LE(step, frame_s + 0.0005) << "stream " << stream << " packet " << i;
    }
}

class Fmp4FfmpegTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!testmedia::have_ffmpeg()) {
            return;
        }
        dir_ = new TempDir();
        auto make = [](const std::string& args, const std::string& name) {
            auto path = *dir_ / name;
            CommandResult r =
                run_command("ffmpeg -nostdin -v error -y " + args + " '" + path.string() + "'");
            EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
            return read_file(path);
        };
        Bytes h264 = make(
            "-f lavfi -i testsrc=size=320x240:rate=15 -t 3 -c:v libx264 -g 15 -bf 0 "
            "-pix_fmt yuv420p -bsf:v h264_metadata=aud=insert -f h264",
            "video.h264");
        Bytes aac = make("-f lavfi -i sine=frequency=440:sample_rate=48000 -t 3 -c:a aac -f adts",
                         "audio.aac");
        video_ = new Stream(testmedia::h264_from_annex_b(h264, 320, 240, 15));
        audio_ = new Stream(testmedia::aac_from_adts(aac));
    }
    static void TearDownTestSuite() {
        delete video_;
        delete audio_;
        delete dir_;
        video_ = audio_ = nullptr;
        dir_ = nullptr;
    }
    void SetUp() override {
        if (dir_ == nullptr) {
            GTEST_SKIP() << "ffmpeg/ffprobe not found on PATH";
        }
        ASSERT_EQ(video_->track.codec, Codec::kH264) << "could not parse ffmpeg's H.264";
        ASSERT_EQ(video_->samples.size(), 45u);
        ASSERT_EQ(audio_->track.codec, Codec::kAac) << "could not parse ffmpeg's ADTS";
        ASSERT_GT(audio_->samples.size(), 130u);
    }

    std::filesystem::path write(const std::string& name, const Bytes& bytes) {
        auto path = *dir_ / name;
        write_file(path, bytes);
        return path;
    }
    Recording av_recording() {
        return record({video_->track, audio_->track}, cut_at_keyframes(*video_, audio_));
    }

    static TempDir* dir_;
    static Stream* video_;
    static Stream* audio_;
};

TempDir* Fmp4FfmpegTest::dir_ = nullptr;
Stream* Fmp4FfmpegTest::video_ = nullptr;
Stream* Fmp4FfmpegTest::audio_ = nullptr;

TEST_F(Fmp4FfmpegTest, H264AndAacPlayInFfmpeg) {
    Recording r = av_recording();
    ASSERT_EQ(r.infos.size(), 3u);
    auto path = write("av.mp4", r.file);

    Probe p = probe(path);
    EXPECT_EQ(p.codecs, (std::vector<std::string>{"h264", "aac"}));
    EXPECT_EQ(p.widths, std::vector<int>{320});
    EXPECT_EQ(p.heights, std::vector<int>{240});
    EXPECT_NEAR(p.duration, 3.0, 0.2);
    expect_decodes_cleanly(path);

    std::vector<Packet> packets = probe_packets(path);
    expect_continuous(packets, 0, 1.0 / 15, 0.0);
    expect_continuous(packets, 1, 1024.0 / 48000, 0.0);
    EXPECT_EQ(std::count_if(packets.begin(), packets.end(), [](auto& p) { return p.stream == 0; }),
              45);

    std::uint64_t valid = 0;
    auto found = scan_fragments(r.file, &valid);
    ASSERT_TRUE(found) << found.error().describe();
    EXPECT_EQ(valid, r.file.size());
    ASSERT_EQ(found->size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ((*found)[i].offset, r.offsets[i]);
        EXPECT_EQ((*found)[i].size, r.infos[i].size);
        EXPECT_EQ((*found)[i].start_us, r.infos[i].start_us);
        EXPECT_EQ((*found)[i].duration_us, r.infos[i].duration_us);
        EXPECT_EQ((*found)[i].start_us, std::int64_t(i) * 1'000'000);
        EXPECT_EQ((*found)[i].duration_us, 1'000'000);
        EXPECT_TRUE((*found)[i].starts_with_keyframe);
    }
}

TEST_F(Fmp4FfmpegTest, TruncatedFileKeepsCompleteFragmentsAndStillPlays) {
    Recording r = av_recording();
    ASSERT_EQ(r.infos.size(), 3u);
    // Crash in the middle of the third fragment's mdat.
    Bytes torn(r.file.begin(), r.file.begin() + std::ptrdiff_t(r.offsets[2] + r.infos[2].size / 2));
    std::uint64_t valid = 0;
    auto found = scan_fragments(torn, &valid);
    ASSERT_TRUE(found) << found.error().describe();
    EXPECT_EQ(found->size(), 2u);
    EXPECT_EQ(valid, r.offsets[2]);
    torn.resize(valid);
    auto path = write("recovered.mp4", torn);
    EXPECT_NEAR(probe(path).duration, 2.0, 0.2);
    expect_decodes_cleanly(path);
}

TEST_F(Fmp4FfmpegTest, ShiftedRangeStartsAtZero) {
    Recording r = av_recording();
    ASSERT_EQ(r.infos.size(), 3u);
    auto init = parse_init_segment(r.file);
    ASSERT_TRUE(init) << init.error().describe();
    // Play back the last two seconds: shift both fragments by the range's start.
    std::int64_t shift = r.infos[1].earliest_us;
    EXPECT_EQ(shift, 1'000'000);  // the keyframe; that fragment's first audio frame is later
    Bytes file(r.file.begin(), r.file.begin() + std::ptrdiff_t(r.init_size));
    for (std::size_t i = 1; i < 3; ++i) {
        Bytes frag = r.fragments[i];
        auto status = shift_decode_times(frag, init->timescales, shift);
        ASSERT_TRUE(status) << status.error().describe();
        file.insert(file.end(), frag.begin(), frag.end());
    }
    auto path = write("shifted.mp4", file);
    Probe p = probe(path);
    EXPECT_NEAR(p.start_time, 0.0, 0.03);
    EXPECT_NEAR(p.duration, 2.0, 0.2);
    expect_decodes_cleanly(path);
    std::vector<Packet> packets = probe_packets(path);
    expect_continuous(packets, 0, 1.0 / 15, 0.0);
}

TEST_F(Fmp4FfmpegTest, CompositionOffsetsReachFfprobe) {
    // Real frames with a hand-made B-frame timing: decode order I0 P3 B1 B2 P6 B4 B5 ...
    // (display index), pts = display index * frame, so offsets are +0, +2, -1, -1 frames...
    std::vector<EncodedSample> samples;
    std::vector<double> expected_pts;
    for (std::size_t i = 0; i < 15; ++i) {
        EncodedSample s = video_->samples[i];
        std::size_t display = i == 0 ? 0 : (i % 3 == 1 ? i + 2 : i - 1);
        s.pts_us = std::int64_t(display) * kFrameUs;
        expected_pts.push_back(double(*to_microseconds(*to_track_units(s.pts_us, 90000), 90000)) /
                               1e6);
        samples.push_back(s);
    }
    auto init = build_init_segment({video_->track});
    auto frag = build_fragment(1, {video_->track}, samples);
    ASSERT_TRUE(init && frag);
    Bytes file = *init;
    file.insert(file.end(), frag->begin(), frag->end());
    auto path = write("reordered.mp4", file);
    std::vector<Packet> packets = probe_packets(path);
    ASSERT_EQ(packets.size(), 15u);
    // ffmpeg may shift all timestamps by one constant to keep dts <= pts; the offsets remain.
    double base = packets[0].pts - expected_pts[0];
    for (std::size_t i = 0; i < packets.size(); ++i) {
        EXPECT_NEAR(packets[i].pts - base, expected_pts[i], 1e-4) << i;
        EXPECT_NEAR(packets[i].dts - packets[0].dts, double(i) / 15, 1e-4) << i;
    }
}

TEST_F(Fmp4FfmpegTest, H265PlaysInFfmpeg) {
    auto path = *dir_ / "video.h265";
    CommandResult made = run_command(
        "ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=320x240:rate=15 -t 2 -c:v libx265 "
        "-x265-params log-level=error -g 15 -bf 0 -pix_fmt yuv420p "
        "-bsf:v hevc_metadata=aud=insert -f hevc '" +
        path.string() + "'");
    if (made.exit_code != 0) {
        GTEST_SKIP() << "ffmpeg cannot encode H.265 here: " << made.err;
    }
    Stream hevc = testmedia::h265_from_annex_b(read_file(path), 320, 240, 15);
    ASSERT_EQ(hevc.track.codec, Codec::kH265);
    ASSERT_EQ(hevc.samples.size(), 30u);
    Recording r = record({hevc.track}, cut_at_keyframes(hevc, nullptr));
    ASSERT_EQ(r.infos.size(), 2u);
    EXPECT_TRUE(contains(r.file, "hvc1"));
    EXPECT_TRUE(contains(r.file, "hvcC"));
    auto out = write("hevc.mp4", r.file);
    Probe p = probe(out);
    EXPECT_EQ(p.codecs, std::vector<std::string>{"hevc"});
    EXPECT_EQ(p.widths, std::vector<int>{320});
    EXPECT_NEAR(p.duration, 2.0, 0.2);
    expect_decodes_cleanly(out);
}

TEST_F(Fmp4FfmpegTest, OpusPlaysInFfmpeg) {
    auto path = *dir_ / "audio.ogg";
    CommandResult made = run_command(
        "ffmpeg -nostdin -v error -y -f lavfi -i sine=frequency=440:sample_rate=48000 -t 1 "
        "-c:a libopus -f ogg '" +
        path.string() + "'");
    if (made.exit_code != 0) {
        GTEST_SKIP() << "ffmpeg cannot encode Opus here: " << made.err;
    }
    Stream opus = testmedia::opus_from_ogg(read_file(path));
    ASSERT_EQ(opus.track.codec, Codec::kOpus);
    ASSERT_GE(opus.samples.size(), 50u);
    Recording r = record({opus.track}, {opus.samples});
    auto out = write("opus.mp4", r.file);
    Probe p = probe(out);
    EXPECT_EQ(p.codecs, std::vector<std::string>{"opus"});
    EXPECT_NEAR(p.duration, 1.0, 0.1);
    expect_decodes_cleanly(out);
    auto found = scan_fragments(r.file);
    ASSERT_TRUE(found) << found.error().describe();
    ASSERT_EQ(found->size(), 1u);
    EXPECT_TRUE((*found)[0].starts_with_keyframe);  // no video track
}

TEST_F(Fmp4FfmpegTest, SynthesizedOpusAndG711InitSegments) {
    // Opus without OpusHead: one second of 1-byte packets (TOC only: CELT 20 ms, empty frame).
    TrackInfo opus{Codec::kOpus, {}, 0, 0, 48000, 1};
    // G.711: any byte is a valid sample; 20 ms packets of 160 bytes at 8 kHz.
    TrackInfo pcmu{Codec::kPcmu, {}, 0, 0, 8000, 1};
    TrackInfo pcma{Codec::kPcma, {}, 0, 0, 8000, 1};
    struct Case {
        TrackInfo track;
        std::size_t packet_size;
        const char* codec_name;
    };
    for (const Case& c :
         {Case{opus, 1, "opus"}, Case{pcmu, 160, "pcm_mulaw"}, Case{pcma, 160, "pcm_alaw"}}) {
        std::vector<EncodedSample> samples;
        for (int i = 0; i < 50; ++i) {
            EncodedSample s = sample(0, i * 20'000, c.packet_size, true);
            if (c.track.codec == Codec::kOpus) {
                s.data = make_data({0xF8});
            }
            samples.push_back(s);
        }
        Recording r = record({c.track}, {samples});
        auto init = parse_init_segment(r.file);
        ASSERT_TRUE(init) << init.error().describe();
        EXPECT_EQ(init->timescales, std::vector<std::uint32_t>{std::uint32_t(c.track.sample_rate)});
        auto out = write(std::string(c.codec_name) + ".mp4", r.file);
        Probe p = probe(out);
        EXPECT_EQ(p.codecs, std::vector<std::string>{c.codec_name});
        EXPECT_NEAR(p.duration, 1.0, 0.05) << c.codec_name;
        if (c.track.codec != Codec::kOpus) {
            expect_decodes_cleanly(out);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Seed corpus for tests/fuzz/fmp4_reader_fuzz: HEARTH_WRITE_FMP4_CORPUS=<dir> ./fmp4_test
// --gtest_filter='*SeedCorpus*' rewrites it.

TEST(Fmp4FuzzCorpus, WriteSeedCorpus) {
    const char* dir = std::getenv("HEARTH_WRITE_FMP4_CORPUS");
    if (dir == nullptr) {
        GTEST_SKIP() << "set HEARTH_WRITE_FMP4_CORPUS to a directory to write the seed corpus";
    }
    std::filesystem::path out(dir);
    std::filesystem::create_directories(out);
    auto [video, audio] = fake_streams(2, 8);
    Recording av = record({video.track, audio.track}, cut_at_keyframes(video, &audio));
    write_file(out / "av_2s.mp4", av.file);
    write_file(out / "av_torn_mdat.mp4",
               Bytes(av.file.begin(), av.file.end() - std::ptrdiff_t(av.infos[1].size / 3)));
    write_file(out / "av_torn_moof.mp4",
               Bytes(av.file.begin(), av.file.begin() + std::ptrdiff_t(av.offsets[1] + 40)));
    write_file(out / "init_only.mp4",
               Bytes(av.file.begin(), av.file.begin() + std::ptrdiff_t(av.init_size)));

    // B-frame style composition offsets (trun version 1).
    std::vector<EncodedSample> reordered = {sample(0, 0, 8, true, kFrameUs),
                                            sample(0, kFrameUs, 8, false, 3 * kFrameUs),
                                            sample(0, 2 * kFrameUs, 8, false, kFrameUs)};
    write_file(out / "video_bframes.mp4", record({video.track}, {reordered}).file);

    std::vector<EncodedSample> g711;
    for (int i = 0; i < 10; ++i) {
        g711.push_back(sample(0, i * 20'000, 16, true));
    }
    write_file(out / "pcmu.mp4", record({{Codec::kPcmu, {}, 0, 0, 8000, 1}}, {g711}).file);
    std::vector<EncodedSample> opus;
    for (int i = 0; i < 10; ++i) {
        opus.push_back(sample(0, i * 20'000, 3, true));
    }
    write_file(out / "opus.mp4", record({{Codec::kOpus, {}, 0, 0, 48000, 2}}, {opus}).file);
}

}  // namespace
}  // namespace hearth::media::fmp4
