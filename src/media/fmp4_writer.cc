// Hand-written: the recorder indexes each fragment's exact offset/timing, far cheaper than mp4mux.
#include "media/fmp4_writer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>

namespace hearth::media::fmp4 {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
// trun sample_flags: sample_depends_on = 2 (an I-frame) / 1 plus sample_is_non_sync_sample.
constexpr std::uint32_t kSyncSampleFlags = 0x02000000;
constexpr std::uint32_t kNonSyncSampleFlags = 0x01010000;
constexpr std::uint32_t kTfhdDefaultBaseIsMoof = 0x020000;
constexpr std::uint32_t kTrunDataOffset = 0x000001;
constexpr std::uint32_t kTrunDuration = 0x000100;
constexpr std::uint32_t kTrunSize = 0x000200;
constexpr std::uint32_t kTrunFlags = 0x000400;
constexpr std::uint32_t kTrunCompositionOffset = 0x000800;
constexpr std::uint16_t kLanguageUnd = 0x55C4;  // ISO-639-2 "und", packed 5 bits per letter
constexpr std::uint16_t kOpusDefaultPreSkip = 312;
constexpr std::array<std::uint32_t, 9> kUnityMatrix = {0x00010000, 0, 0, 0,         0x00010000,
                                                       0,          0, 0, 0x40000000};

// Big-endian byte sink with box nesting; sizes are patched when a box ends.
class Buffer {
public:
    void u8(std::uint8_t v) { bytes_.push_back(v); }
    void u16(std::uint16_t v) {
        u8(std::uint8_t(v >> 8));
        u8(std::uint8_t(v));
    }
    void u24(std::uint32_t v) {
        u8(std::uint8_t(v >> 16));
        u16(std::uint16_t(v));
    }
    void u32(std::uint32_t v) {
        u16(std::uint16_t(v >> 16));
        u16(std::uint16_t(v));
    }
    void u64(std::uint64_t v) {
        u32(std::uint32_t(v >> 32));
        u32(std::uint32_t(v));
    }
    void fourcc(const char* type) {
        for (int i = 0; i < 4; ++i) {
            u8(std::uint8_t(type[i]));
        }
    }
    void zeros(std::size_t n) { bytes_.insert(bytes_.end(), n, 0); }
    void append(const std::vector<std::uint8_t>& v) {
        bytes_.insert(bytes_.end(), v.begin(), v.end());
    }
    void matrix() {
        for (std::uint32_t v : kUnityMatrix) {
            u32(v);
        }
    }

    std::size_t begin_box(const char* type) {
        std::size_t start = bytes_.size();
        u32(0);
        fourcc(type);
        return start;
    }
    std::size_t begin_full_box(const char* type, std::uint8_t version, std::uint32_t flags) {
        std::size_t start = begin_box(type);
        u8(version);
        u24(flags);
        return start;
    }
    void end_box(std::size_t start) { put_u32_at(start, std::uint32_t(bytes_.size() - start)); }

    void put_u32_at(std::size_t pos, std::uint32_t v) {
        bytes_[pos] = std::uint8_t(v >> 24);
        bytes_[pos + 1] = std::uint8_t(v >> 16);
        bytes_[pos + 2] = std::uint8_t(v >> 8);
        bytes_[pos + 3] = std::uint8_t(v);
    }

    std::size_t size() const { return bytes_.size(); }
    std::vector<std::uint8_t>& bytes() { return bytes_; }

private:
    std::vector<std::uint8_t> bytes_;
};

core::Error invalid(std::string message) {
    return make_error(ErrorCode::kInvalidArgument, "fmp4: " + std::move(message));
}

bool is_known_codec(Codec codec) {
    switch (codec) {
        case Codec::kH264:
        case Codec::kH265:
        case Codec::kAac:
        case Codec::kOpus:
        case Codec::kPcmu:
        case Codec::kPcma:
            return true;
        case Codec::kInvalid:
            break;
    }
    return false;
}

std::string track_name(std::size_t index, const TrackInfo& track) {
    return "track " + std::to_string(index) + " (" + to_string(track.codec) + ")";
}

core::Status validate_track(std::size_t index, const TrackInfo& track) {
    if (!is_known_codec(track.codec)) {
        return invalid("track " + std::to_string(index) + " has an invalid codec");
    }
    if (is_video(track.codec)) {
        if (track.codec_data.empty()) {
            return invalid(track_name(index, track) + " has no codec_data (avcC/hvcC)");
        }
        if (track.width <= 0 || track.height <= 0 || track.width > 0xFFFF ||
            track.height > 0xFFFF) {
            return invalid(track_name(index, track) + " has an invalid size " +
                           std::to_string(track.width) + "x" + std::to_string(track.height));
        }
    } else {
        if (track.sample_rate <= 0) {
            return invalid(track_name(index, track) + " has no sample rate");
        }
        if (track.channels < 0 || track.channels > 255) {
            return invalid(track_name(index, track) + " has an invalid channel count");
        }
    }
    return {};
}

void write_ftyp(Buffer& b, const std::vector<TrackInfo>& tracks) {
    std::size_t box = b.begin_box("ftyp");
    b.fourcc("iso6");
    b.u32(0);  // minor_version
    b.fourcc("iso6");
    b.fourcc("iso5");
    b.fourcc("mp41");
    bool has_h264 = std::any_of(tracks.begin(), tracks.end(),
                                [](const TrackInfo& t) { return t.codec == Codec::kH264; });
    bool has_h265 = std::any_of(tracks.begin(), tracks.end(),
                                [](const TrackInfo& t) { return t.codec == Codec::kH265; });
    if (has_h264) {
        b.fourcc("avc1");
    }
    if (has_h265) {
        b.fourcc("hvc1");
    }
    b.fourcc("cmfc");
    b.end_box(box);
}

void write_mvhd(Buffer& b, std::size_t track_count) {
    std::size_t box = b.begin_full_box("mvhd", 0, 0);
    b.u32(0);           // creation_time
    b.u32(0);           // modification_time
    b.u32(1000);        // timescale
    b.u32(0);           // duration: unknown, the fragments carry it
    b.u32(0x00010000);  // rate 1.0
    b.u16(0x0100);      // volume 1.0
    b.zeros(2 + 8);     // reserved
    b.matrix();
    b.zeros(6 * 4);                         // pre_defined
    b.u32(std::uint32_t(track_count + 1));  // next_track_ID
    b.end_box(box);
}

void write_tkhd(Buffer& b, std::uint32_t track_id, const TrackInfo& track) {
    std::size_t box = b.begin_full_box("tkhd", 0, 0x000003);  // enabled | in_movie
    b.u32(0);                                                 // creation_time
    b.u32(0);                                                 // modification_time
    b.u32(track_id);
    b.u32(0);  // reserved
    b.u32(0);  // duration
    b.zeros(8);
    b.u16(0);                                   // layer
    b.u16(0);                                   // alternate_group
    b.u16(is_video(track.codec) ? 0 : 0x0100);  // volume
    b.u16(0);
    b.matrix();
    b.u32(std::uint32_t(track.width) << 16);  // 16.16 fixed point
    b.u32(std::uint32_t(track.height) << 16);
    b.end_box(box);
}

void write_descriptor_header(Buffer& b, std::uint8_t tag, std::uint32_t length) {
    // The 4-byte length form, as ffmpeg and most muxers write it.
    b.u8(tag);
    b.u8(std::uint8_t(0x80 | ((length >> 21) & 0x7F)));
    b.u8(std::uint8_t(0x80 | ((length >> 14) & 0x7F)));
    b.u8(std::uint8_t(0x80 | ((length >> 7) & 0x7F)));
    b.u8(std::uint8_t(length & 0x7F));
}

int aac_frequency_index(int sample_rate) {
    constexpr std::array<int, 13> kRates = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                            22050, 16000, 12000, 11025, 8000,  7350};
    for (std::size_t i = 0; i < kRates.size(); ++i) {
        if (kRates[i] == sample_rate) {
            return int(i);
        }
    }
    return 15;  // explicit 24-bit frequency follows
}

// AAC-LC AudioSpecificConfig for cameras that announce only rate and channels.
core::Result<std::vector<std::uint8_t>> make_aac_config(const TrackInfo& track) {
    int channels = track.channels > 0 ? track.channels : 1;
    int channel_config = channels <= 6 ? channels : (channels == 8 ? 7 : -1);
    if (channel_config < 0) {
        return invalid("AAC with " + std::to_string(channels) +
                       " channels needs an AudioSpecificConfig in codec_data");
    }
    constexpr std::uint64_t kAacLc = 2;
    int index = aac_frequency_index(track.sample_rate);
    if (index != 15) {
        std::uint32_t bits = std::uint32_t((kAacLc << 11) | (std::uint32_t(index) << 7) |
                                           (std::uint32_t(channel_config) << 3));
        return std::vector<std::uint8_t>{std::uint8_t(bits >> 8), std::uint8_t(bits)};
    }
    std::uint64_t bits = (kAacLc << 35) | (std::uint64_t(15) << 31) |
                         (std::uint64_t(track.sample_rate & 0xFFFFFF) << 7) |
                         (std::uint64_t(channel_config) << 3);
    std::vector<std::uint8_t> out;
    for (int shift = 32; shift >= 0; shift -= 8) {
        out.push_back(std::uint8_t(bits >> shift));
    }
    return out;
}

// channelConfiguration from an AudioSpecificConfig, 0 when it cannot be read.
int aac_config_channels(const std::vector<std::uint8_t>& asc) {
    if (asc.size() < 2) {
        return 0;
    }
    int index = (asc[0] & 0x07) << 1 | asc[1] >> 7;
    if (index != 15) {
        return (asc[1] >> 3) & 0x0F;
    }
    if (asc.size() < 5) {
        return 0;
    }
    return (asc[4] >> 3) & 0x0F;
}

void write_audio_entry_header(Buffer& b, int channels, int sample_rate) {
    b.zeros(6);
    b.u16(1);    // data_reference_index
    b.zeros(8);  // reserved (QuickTime: version 0 sound description)
    b.u16(std::uint16_t(channels));
    b.u16(16);  // samplesize
    b.u16(0);   // pre_defined
    b.u16(0);   // reserved
    // 16.16 fixed point; rates that do not fit are left to the track timescale.
    b.u32(sample_rate <= 0xFFFF ? std::uint32_t(sample_rate) << 16 : 0);
}

core::Status write_mp4a(Buffer& b, const TrackInfo& track) {
    std::vector<std::uint8_t> asc = track.codec_data;
    if (asc.empty()) {
        HEARTH_ASSIGN_OR_RETURN(asc, make_aac_config(track));
    }
    if (asc.size() > 0xFFFF) {
        return invalid("AAC AudioSpecificConfig is too large");
    }
    int channels = track.channels > 0 ? track.channels : aac_config_channels(asc);
    std::size_t entry = b.begin_box("mp4a");
    write_audio_entry_header(b, channels > 0 ? channels : 2, track.sample_rate);

    std::uint32_t dsi_length = std::uint32_t(asc.size());
    std::uint32_t dcd_length = 13 + 5 + dsi_length;
    std::uint32_t es_length = 3 + 5 + dcd_length + 5 + 1;
    std::size_t esds = b.begin_full_box("esds", 0, 0);
    write_descriptor_header(b, 0x03, es_length);   // ES_Descriptor
    b.u16(0);                                      // ES_ID
    b.u8(0);                                       // no stream dependence, URL or OCR stream
    write_descriptor_header(b, 0x04, dcd_length);  // DecoderConfigDescriptor
    b.u8(0x40);                                    // objectTypeIndication: MPEG-4 Audio
    b.u8(0x15);                                    // streamType 5 (audio) << 2 | reserved 1
    b.u24(0);                                      // bufferSizeDB
    b.u32(0);                                      // maxBitrate
    b.u32(0);                                      // avgBitrate
    write_descriptor_header(b, 0x05, dsi_length);  // DecoderSpecificInfo
    b.append(asc);
    write_descriptor_header(b, 0x06, 1);  // SLConfigDescriptor
    b.u8(0x02);                           // predefined: MP4 file
    b.end_box(esds);
    b.end_box(entry);
    return {};
}

std::uint16_t le16(const std::vector<std::uint8_t>& v, std::size_t pos) {
    return std::uint16_t(v[pos] | v[pos + 1] << 8);
}

core::Status write_opus(Buffer& b, const TrackInfo& track) {
    // dOps is OpusHead with big-endian fields and version 0 (ISO/IEC 23003-5 style, "Opus in
    // ISOBMFF"); without OpusHead we assume what a mono/stereo camera stream needs.
    int channels = track.channels > 0 ? track.channels : 1;
    std::uint16_t pre_skip = kOpusDefaultPreSkip;
    std::uint32_t input_rate = std::uint32_t(track.sample_rate);
    std::uint16_t gain = 0;
    std::uint8_t family = 0;
    std::vector<std::uint8_t> mapping;  // stream count, coupled count, channel mapping
    const std::vector<std::uint8_t>& head = track.codec_data;
    if (!head.empty()) {
        constexpr std::size_t kHeadSize = 19;
        if (head.size() < kHeadSize || std::memcmp(head.data(), "OpusHead", 8) != 0 ||
            (head[8] & 0xF0) != 0) {
            return invalid("Opus codec_data is not an OpusHead");
        }
        channels = head[9];
        pre_skip = le16(head, 10);
        input_rate = std::uint32_t(head[12] | head[13] << 8 | head[14] << 16) |
                     std::uint32_t(head[15]) << 24;
        gain = le16(head, 16);
        family = head[18];
        if (family != 0) {
            if (head.size() < kHeadSize + 2 + std::size_t(channels)) {
                return invalid("Opus codec_data: OpusHead channel mapping is truncated");
            }
            mapping.assign(head.begin() + kHeadSize,
                           head.begin() + std::ptrdiff_t(kHeadSize + 2 + channels));
        }
        if (channels == 0) {
            return invalid("Opus codec_data: OpusHead has zero channels");
        }
    } else if (channels > 2) {
        return invalid("Opus with more than 2 channels needs an OpusHead in codec_data");
    }

    std::size_t entry = b.begin_box("Opus");
    write_audio_entry_header(b, channels, 48000);  // Opus always decodes at 48 kHz
    std::size_t dops = b.begin_box("dOps");
    b.u8(0);  // version
    b.u8(std::uint8_t(channels));
    b.u16(pre_skip);
    b.u32(input_rate);
    b.u16(gain);
    b.u8(family);
    b.append(mapping);
    b.end_box(dops);
    b.end_box(entry);
    return {};
}

void write_visual_entry(Buffer& b, const TrackInfo& track) {
    bool h264 = track.codec == Codec::kH264;
    std::size_t entry = b.begin_box(h264 ? "avc1" : "hvc1");
    b.zeros(6);
    b.u16(1);             // data_reference_index
    b.zeros(2 + 2 + 12);  // pre_defined, reserved, pre_defined
    b.u16(std::uint16_t(track.width));
    b.u16(std::uint16_t(track.height));
    b.u32(0x00480000);  // 72 dpi
    b.u32(0x00480000);
    b.u32(0);       // reserved
    b.u16(1);       // frame_count
    b.zeros(32);    // compressorname
    b.u16(0x0018);  // depth
    b.u16(0xFFFF);  // pre_defined = -1
    std::size_t config = b.begin_box(h264 ? "avcC" : "hvcC");
    b.append(track.codec_data);
    b.end_box(config);
    b.end_box(entry);
}

core::Status write_stsd(Buffer& b, const TrackInfo& track) {
    std::size_t stsd = b.begin_full_box("stsd", 0, 0);
    b.u32(1);  // entry_count
    switch (track.codec) {
        case Codec::kH264:
        case Codec::kH265:
            write_visual_entry(b, track);
            break;
        case Codec::kAac:
            HEARTH_TRY(write_mp4a(b, track));
            break;
        case Codec::kOpus:
            HEARTH_TRY(write_opus(b, track));
            break;
        case Codec::kPcmu:
        case Codec::kPcma: {
            // QuickTime's G.711 entries: what ffmpeg and QuickTime read back.
            std::size_t entry = b.begin_box(track.codec == Codec::kPcmu ? "ulaw" : "alaw");
            write_audio_entry_header(b, track.channels > 0 ? track.channels : 1, track.sample_rate);
            b.end_box(entry);
            break;
        }
        case Codec::kInvalid:
            return invalid("invalid codec");
    }
    b.end_box(stsd);
    return {};
}

core::Status write_trak(Buffer& b, std::uint32_t track_id, const TrackInfo& track) {
    bool video = is_video(track.codec);
    std::size_t trak = b.begin_box("trak");
    write_tkhd(b, track_id, track);
    std::size_t mdia = b.begin_box("mdia");

    std::size_t mdhd = b.begin_full_box("mdhd", 0, 0);
    b.u32(0);  // creation_time
    b.u32(0);  // modification_time
    b.u32(track.timescale());
    b.u32(0);  // duration
    b.u16(kLanguageUnd);
    b.u16(0);  // pre_defined
    b.end_box(mdhd);

    std::size_t hdlr = b.begin_full_box("hdlr", 0, 0);
    b.u32(0);  // pre_defined
    b.fourcc(video ? "vide" : "soun");
    b.zeros(12);
    const char* name = video ? "VideoHandler" : "SoundHandler";
    b.append(std::vector<std::uint8_t>(name, name + std::strlen(name) + 1));
    b.end_box(hdlr);

    std::size_t minf = b.begin_box("minf");
    if (video) {
        std::size_t vmhd = b.begin_full_box("vmhd", 0, 1);
        b.zeros(2 + 6);  // graphicsmode, opcolor
        b.end_box(vmhd);
    } else {
        std::size_t smhd = b.begin_full_box("smhd", 0, 0);
        b.zeros(4);  // balance, reserved
        b.end_box(smhd);
    }
    std::size_t dinf = b.begin_box("dinf");
    std::size_t dref = b.begin_full_box("dref", 0, 0);
    b.u32(1);
    b.end_box(b.begin_full_box("url ", 0, 1));  // media is in this file
    b.end_box(dref);
    b.end_box(dinf);

    std::size_t stbl = b.begin_box("stbl");
    HEARTH_TRY(write_stsd(b, track));
    for (const char* type : {"stts", "stsc", "stco"}) {
        std::size_t box = b.begin_full_box(type, 0, 0);
        b.u32(0);  // entry_count
        b.end_box(box);
    }
    std::size_t stsz = b.begin_full_box("stsz", 0, 0);
    b.u32(0);  // sample_size
    b.u32(0);  // sample_count
    b.end_box(stsz);
    b.end_box(stbl);
    b.end_box(minf);
    b.end_box(mdia);
    b.end_box(trak);
    return {};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// One track's samples in this fragment, converted to track units.
struct Run {
    std::size_t track = 0;
    std::vector<const EncodedSample*> samples;
    std::vector<std::int64_t> dts;  // track units
    std::vector<std::uint32_t> durations;
    std::vector<std::int32_t> composition_offsets;
    bool has_composition_offsets = false;
    std::uint64_t data_size = 0;
    std::int64_t end = 0;  // dts + duration of the last sample, track units
};

// Last-sample duration when nothing later in the track says how long it lasts.
std::int64_t fallback_duration(const TrackInfo& track, const EncodedSample& sample) {
    std::int64_t timescale = track.timescale();
    switch (track.codec) {
        case Codec::kAac:
            return 1024;  // audio timescale is the sample rate
        case Codec::kOpus:
            return timescale / 50;
        case Codec::kPcmu:
        case Codec::kPcma: {
            std::int64_t channels = track.channels > 0 ? track.channels : 1;
            std::int64_t n = std::int64_t(sample.data->size()) / channels;
            if (n > 0) {
                return n;
            }
            break;
        }
        default:
            break;
    }
    return std::max<std::int64_t>(1, timescale / 15);
}

core::Status convert_run(const TrackInfo& track, Run& run) {
    std::uint32_t timescale = track.timescale();
    std::string name = track_name(run.track, track);
    for (const EncodedSample* s : run.samples) {
        if (s->dts_us < 0) {
            return invalid(name + ": negative decode time " + std::to_string(s->dts_us) +
                           " us (map timestamps onto the recording's timeline first)");
        }
        HEARTH_ASSIGN_OR_RETURN(std::int64_t dts, to_track_units(s->dts_us, timescale));
        if (!run.dts.empty() && dts < run.dts.back()) {
            return invalid(name + ": decode time goes backwards at " + std::to_string(s->dts_us) +
                           " us");
        }
        run.dts.push_back(dts);
        run.data_size += s->data->size();
        if (is_video(track.codec)) {
            HEARTH_ASSIGN_OR_RETURN(std::int64_t pts, to_track_units(s->pts_us, timescale));
            std::int64_t offset = pts - dts;
            if (offset < std::numeric_limits<std::int32_t>::min() ||
                offset > std::numeric_limits<std::int32_t>::max()) {
                return invalid(name + ": pts - dts out of range at " + std::to_string(s->dts_us) +
                               " us");
            }
            run.composition_offsets.push_back(std::int32_t(offset));
            run.has_composition_offsets |= offset != 0;
        }
    }
    std::size_t n = run.dts.size();
    for (std::size_t i = 0; i < n; ++i) {
        std::int64_t duration = 0;
        if (i + 1 < n) {
            duration = run.dts[i + 1] - run.dts[i];
        } else if (run.samples[i]->duration_us > 0) {
            const EncodedSample& s = *run.samples[i];
            if (s.duration_us > std::numeric_limits<std::int64_t>::max() - s.dts_us) {
                return invalid(name + ": sample duration out of range");
            }
            HEARTH_ASSIGN_OR_RETURN(std::int64_t end,
                                    to_track_units(s.dts_us + s.duration_us, timescale));
            duration = end - run.dts[i];
        } else if (i > 0) {
            duration = run.durations.back();
        } else {
            duration = fallback_duration(track, *run.samples[i]);
        }
        if (duration > std::numeric_limits<std::uint32_t>::max()) {
            return invalid(name + ": sample duration too long at " +
                           std::to_string(run.samples[i]->dts_us) + " us");
        }
        run.durations.push_back(std::uint32_t(duration));
    }
    run.end = run.dts.back() + run.durations.back();
    return {};
}

void write_traf(Buffer& b, const Run& run, bool video, std::size_t* data_offset_pos) {
    std::size_t traf = b.begin_box("traf");
    std::size_t tfhd = b.begin_full_box("tfhd", 0, kTfhdDefaultBaseIsMoof);
    b.u32(std::uint32_t(run.track + 1));
    b.end_box(tfhd);

    std::size_t tfdt = b.begin_full_box("tfdt", 1, 0);
    b.u64(std::uint64_t(run.dts.front()));
    b.end_box(tfdt);

    std::uint32_t flags = kTrunDataOffset | kTrunDuration | kTrunSize | kTrunFlags;
    if (run.has_composition_offsets) {
        flags |= kTrunCompositionOffset;
    }
    std::size_t trun = b.begin_full_box("trun", run.has_composition_offsets ? 1 : 0, flags);
    b.u32(std::uint32_t(run.samples.size()));
    *data_offset_pos = b.size();
    b.u32(0);  // data_offset, patched once the moof size is known
    for (std::size_t i = 0; i < run.samples.size(); ++i) {
        const EncodedSample& s = *run.samples[i];
        b.u32(run.durations[i]);
        b.u32(std::uint32_t(s.data->size()));
        b.u32(!video || s.keyframe ? kSyncSampleFlags : kNonSyncSampleFlags);
        if (run.has_composition_offsets) {
            b.u32(std::uint32_t(run.composition_offsets[i]));
        }
    }
    b.end_box(trun);
    b.end_box(traf);
}

}  // namespace

core::Result<std::int64_t> to_track_units(std::int64_t us, std::uint32_t timescale) {
    if (timescale == 0) {
        return invalid("zero timescale");
    }
    std::int64_t seconds = floor_div(us, kMicrosPerSecond);
    std::int64_t rest = us - seconds * kMicrosPerSecond;  // [0, 1e6)
    std::int64_t units = 0;
    if (__builtin_mul_overflow(seconds, std::int64_t(timescale), &units) ||
        __builtin_add_overflow(units, (rest * timescale + kMicrosPerSecond / 2) / kMicrosPerSecond,
                               &units)) {
        return invalid("time " + std::to_string(us) + " us is out of range");
    }
    return units;
}

core::Result<std::int64_t> to_microseconds(std::int64_t units, std::uint32_t timescale) {
    if (timescale == 0) {
        return invalid("zero timescale");
    }
    std::int64_t seconds = floor_div(units, timescale);
    std::int64_t rest = units - seconds * std::int64_t(timescale);  // [0, timescale)
    std::int64_t us = 0;
    if (__builtin_mul_overflow(seconds, kMicrosPerSecond, &us) ||
        __builtin_add_overflow(us, (rest * kMicrosPerSecond + timescale / 2) / timescale, &us)) {
        return invalid("time " + std::to_string(units) + " units is out of range");
    }
    return us;
}

core::Result<std::vector<std::uint8_t>> build_init_segment(const std::vector<TrackInfo>& tracks) {
    if (tracks.empty()) {
        return invalid("an init segment needs at least one track");
    }
    for (std::size_t i = 0; i < tracks.size(); ++i) {
        HEARTH_TRY(validate_track(i, tracks[i]));
    }
    Buffer b;
    write_ftyp(b, tracks);
    std::size_t moov = b.begin_box("moov");
    write_mvhd(b, tracks.size());
    for (std::size_t i = 0; i < tracks.size(); ++i) {
        HEARTH_TRY(write_trak(b, std::uint32_t(i + 1), tracks[i]));
    }
    std::size_t mvex = b.begin_box("mvex");
    for (std::size_t i = 0; i < tracks.size(); ++i) {
        std::size_t trex = b.begin_full_box("trex", 0, 0);
        b.u32(std::uint32_t(i + 1));  // track_ID
        b.u32(1);                     // default_sample_description_index
        b.u32(0);                     // default_sample_duration
        b.u32(0);                     // default_sample_size
        b.u32(0);                     // default_sample_flags
        b.end_box(trex);
    }
    b.end_box(mvex);
    b.end_box(moov);
    return std::move(b.bytes());
}

core::Result<std::vector<std::uint8_t>> build_fragment(std::uint32_t sequence,
                                                       const std::vector<TrackInfo>& tracks,
                                                       const std::vector<EncodedSample>& samples,
                                                       FragmentInfo* info) {
    if (samples.empty()) {
        return invalid("a fragment needs at least one sample");
    }
    std::vector<Run> runs(tracks.size());
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const EncodedSample& s = samples[i];
        if (s.track < 0 || std::size_t(s.track) >= tracks.size()) {
            return invalid("sample " + std::to_string(i) + " has track index " +
                           std::to_string(s.track) + " but there are " +
                           std::to_string(tracks.size()) + " tracks");
        }
        if (!s.data) {
            return invalid("sample " + std::to_string(i) + " has no data");
        }
        runs[std::size_t(s.track)].samples.push_back(&s);
    }
    for (std::size_t t = 0; t < runs.size(); ++t) {
        runs[t].track = t;
    }
    std::erase_if(runs, [](const Run& r) { return r.samples.empty(); });
    for (Run& run : runs) {
        const TrackInfo& track = tracks[run.track];
        if (!is_known_codec(track.codec) || track.timescale() == 0) {
            return invalid(track_name(run.track, track) + " has no valid codec or timescale");
        }
        HEARTH_TRY(convert_run(track, run));
    }

    Buffer b;
    std::size_t moof = b.begin_box("moof");
    std::size_t mfhd = b.begin_full_box("mfhd", 0, 0);
    b.u32(sequence);
    b.end_box(mfhd);
    std::vector<std::size_t> data_offset_pos(runs.size());
    std::uint64_t payload = 0;
    for (std::size_t r = 0; r < runs.size(); ++r) {
        write_traf(b, runs[r], is_video(tracks[runs[r].track].codec), &data_offset_pos[r]);
        payload += runs[r].data_size;
    }
    b.end_box(moof);

    constexpr std::uint64_t kMdatHeader = 8;
    std::uint64_t total = b.size() + kMdatHeader + payload;
    // trun data_offset is a signed 32-bit offset from the moof.
    if (total > std::uint64_t(std::numeric_limits<std::int32_t>::max())) {
        return invalid("fragment of " + std::to_string(total) + " bytes exceeds 2 GiB");
    }
    std::uint64_t offset = b.size() + kMdatHeader;
    for (std::size_t r = 0; r < runs.size(); ++r) {
        b.put_u32_at(data_offset_pos[r], std::uint32_t(offset));
        offset += runs[r].data_size;
    }
    b.u32(std::uint32_t(kMdatHeader + payload));
    b.fourcc("mdat");
    std::vector<std::uint8_t>& out = b.bytes();
    out.reserve(std::size_t(total));
    for (const Run& run : runs) {
        for (const EncodedSample* s : run.samples) {
            out.insert(out.end(), s->data->begin(), s->data->end());
        }
    }

    if (info != nullptr) {
        bool has_video_track = std::any_of(tracks.begin(), tracks.end(),
                                           [](const TrackInfo& t) { return is_video(t.codec); });
        auto video_run = std::find_if(runs.begin(), runs.end(), [&](const Run& r) {
            return is_video(tracks[r.track].codec);
        });
        const Run& timing = video_run != runs.end() ? *video_run : runs.front();
        std::uint32_t timescale = tracks[timing.track].timescale();
        HEARTH_ASSIGN_OR_RETURN(std::int64_t start_us,
                                to_microseconds(timing.dts.front(), timescale));
        HEARTH_ASSIGN_OR_RETURN(std::int64_t end_us, to_microseconds(timing.end, timescale));
        std::int64_t earliest_us = std::numeric_limits<std::int64_t>::max();
        for (const Run& run : runs) {
            HEARTH_ASSIGN_OR_RETURN(
                std::int64_t us, to_microseconds(run.dts.front(), tracks[run.track].timescale()));
            earliest_us = std::min(earliest_us, us);
        }
        info->size = out.size();
        info->start_us = start_us;
        info->duration_us = end_us - start_us;
        info->starts_with_keyframe =
            !has_video_track || (video_run != runs.end() && video_run->samples.front()->keyframe);
        info->earliest_us = earliest_us;
    }
    return std::move(out);
}

}  // namespace hearth::media::fmp4
