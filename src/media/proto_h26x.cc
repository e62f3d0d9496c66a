#include "media/proto_h26x.h"

#include <algorithm>

#include "media/proto_bits.h"

namespace hearth::media::rtp {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr int kMaxDimension = 16384;
// A camera that never sends an IDR (intra refresh only) would otherwise record nothing.
constexpr int kMaxUnitsWithoutKeyframe = 600;

core::Error bad_sps(const char* codec) {
    return make_error(ErrorCode::kInvalidArgument, std::string("malformed ") + codec + " SPS");
}

void put_u16(std::vector<std::uint8_t>& out, std::size_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

void put_u32(std::uint8_t* at, std::size_t v) {
    at[0] = static_cast<std::uint8_t>(v >> 24);
    at[1] = static_cast<std::uint8_t>(v >> 16);
    at[2] = static_cast<std::uint8_t>(v >> 8);
    at[3] = static_cast<std::uint8_t>(v);
}

// 7.3.2.1.1.1; false for a delta_scale outside -128..127 (malformed).
bool skip_scaling_list(bits::BitReader& r, int size) {
    int last = 8;
    int next = 8;
    for (int j = 0; j < size && r.ok(); ++j) {
        if (next != 0) {
            const std::int32_t delta = r.read_se();
            if (delta < -128 || delta > 127) {
                return false;
            }
            next = (last + delta + 256) % 256;
        }
        last = next == 0 ? last : next;
    }
    return r.ok();
}

// H.265 profile_tier_level (7.3.3) with profilePresentFlag = 1.
void read_profile_tier_level(bits::BitReader& r, int max_sub_layers_minus1, H265Sps* s) {
    s->profile_space = static_cast<int>(r.read(2));
    s->tier_flag = static_cast<int>(r.read(1));
    s->profile_idc = static_cast<int>(r.read(5));
    s->compatibility_flags = r.read(32);
    s->constraint_flags = (std::uint64_t{r.read(16)} << 32) | r.read(32);
    s->level_idc = static_cast<int>(r.read(8));
    bool profile_present[8] = {};
    bool level_present[8] = {};
    for (int i = 0; i < max_sub_layers_minus1; ++i) {
        profile_present[i] = r.read_bit() != 0;
        level_present[i] = r.read_bit() != 0;
    }
    if (max_sub_layers_minus1 > 0) {
        r.skip(static_cast<std::size_t>(2 * (8 - max_sub_layers_minus1)));
    }
    for (int i = 0; i < max_sub_layers_minus1; ++i) {
        if (profile_present[i]) {
            r.skip(88);
        }
        if (level_present[i]) {
            r.skip(8);
        }
    }
}

// Depacketizes RFC 6184 (H.264) or RFC 7798 (H.265) into length-prefixed access units.
class NalDepacketizer final : public Depacketizer {
public:
    NalDepacketizer(const sdp::MediaDescription& m, int track_index)
        : Depacketizer(m, track_index), hevc_(m.codec == Codec::kH265) {
        for (const auto& ps : m.parameter_sets) {
            remember_parameter_set(ps);
        }
        update_track();
    }

    bool ready() const override { return ready_; }

    void push(const Packet& p, std::vector<EncodedSample>* out) override {
        if (p.payload_type != payload_type_) {
            return;
        }
        const bool gap = note_sequence(p);
        const std::int64_t ticks = timeline_.ticks(p.timestamp);  // every packet: no wrap is missed
        if (gap && active_) {
            broken_ = true;
        }
        if (active_ && p.timestamp != timestamp_) {
            finish(out);
        }
        if (!active_) {
            active_ = true;
            timestamp_ = p.timestamp;
            ticks_ = ticks;
        }
        if (gap) {
            broken_ = true;  // the lost packets may have been this unit's first ones
            fu_start_ = kNoFragment;
        }
        add_payload(p.payload);
        if (au_.size() > kMaxAccessUnitBytes) {
            broken_ = true;
            au_.clear();
            fu_start_ = kNoFragment;
        }
        if (p.marker) {
            finish(out);
        }
    }

private:
    static constexpr std::size_t kNoFragment = static_cast<std::size_t>(-1);

    int nal_type(std::span<const std::uint8_t> nal) const {
        return hevc_ ? (nal[0] >> 1) & 0x3f : nal[0] & 0x1f;
    }
    std::size_t header_size() const { return hevc_ ? 2 : 1; }

    void add_payload(std::span<const std::uint8_t> payload) {
        if (payload.size() < header_size()) {
            return;
        }
        const int type = nal_type(payload);
        if (!hevc_ && type >= 1 && type <= 23) {
            add_nal(payload);
        } else if (hevc_ && type < 48) {
            add_nal(payload);
        } else if ((!hevc_ && type == 24) || (hevc_ && type == 48)) {
            add_aggregate(payload.subspan(header_size()));
        } else if ((!hevc_ && type == 28) || (hevc_ && type == 49)) {
            add_fragment(payload);
        } else if (!hevc_ && (type == 25 || type == 26 || type == 27 || type == 29)) {
            broken_ = true;  // STAP-B/MTAP/FU-B belong to interleaved mode, refused in the SDP
        }
        // Others (H.264 0, 30, 31; H.265 PACI 50 and reserved) carry nothing we record.
    }

    void add_aggregate(std::span<const std::uint8_t> data) {
        while (data.size() >= 2) {
            const std::size_t size = std::size_t{data[0]} << 8 | data[1];
            if (size == 0 || size + 2 > data.size()) {
                broken_ = true;
                return;
            }
            add_nal(data.subspan(2, size));
            data = data.subspan(2 + size);
        }
    }

    void add_fragment(std::span<const std::uint8_t> payload) {
        const std::size_t fu_header_at = hevc_ ? 2 : 1;
        if (payload.size() <= fu_header_at) {
            return;
        }
        const std::uint8_t fu = payload[fu_header_at];
        const bool start = (fu & 0x80) != 0;
        const bool end = (fu & 0x40) != 0;
        const auto data = payload.subspan(fu_header_at + 1);
        if (start) {
            if (fu_start_ != kNoFragment) {
                broken_ = true;  // the previous fragmented NAL never ended
                au_.resize(fu_start_);
            }
            fu_start_ = au_.size();
            au_.resize(au_.size() + 4);
            if (hevc_) {
                au_.push_back(static_cast<std::uint8_t>((payload[0] & 0x81) | ((fu & 0x3f) << 1)));
                au_.push_back(payload[1]);
            } else {
                au_.push_back(static_cast<std::uint8_t>((payload[0] & 0xe0) | (fu & 0x1f)));
            }
        } else if (fu_start_ == kNoFragment) {
            broken_ = true;  // a middle or end without its start
            return;
        }
        au_.insert(au_.end(), data.begin(), data.end());
        if (end) {
            const std::size_t nal_at = fu_start_ + 4;
            put_u32(au_.data() + fu_start_, au_.size() - nal_at);
            fu_start_ = kNoFragment;
            note_nal(std::span<const std::uint8_t>(au_).subspan(nal_at));
        }
    }

    void add_nal(std::span<const std::uint8_t> nal) {
        if (nal.size() < header_size()) {
            return;
        }
        if (fu_start_ != kNoFragment) {
            broken_ = true;  // a fragmented NAL was cut short
            au_.resize(fu_start_);
            fu_start_ = kNoFragment;
        }
        const std::size_t at = au_.size();
        au_.resize(at + 4);
        put_u32(au_.data() + at, nal.size());
        au_.insert(au_.end(), nal.begin(), nal.end());
        note_nal(std::span<const std::uint8_t>(au_).subspan(at + 4));
    }

    // Bookkeeping for one complete NAL unit that now sits in au_.
    void note_nal(std::span<const std::uint8_t> nal) {
        if (nal.size() < header_size()) {
            return;
        }
        const int type = nal_type(nal);
        if (hevc_) {
            if (type <= 31) {
                has_vcl_ = true;
                has_key_ |= type >= 16 && type <= 21;
            } else if (type >= 32 && type <= 34) {
                if (remember_parameter_set(nal)) {
                    update_track();
                }
            }
        } else {
            if (type >= 1 && type <= 5) {
                has_vcl_ = true;
                has_key_ |= type == 5;
            } else if (type == 7 || type == 8) {
                if (remember_parameter_set(nal)) {
                    update_track();
                }
            }
        }
    }

    // Stores a VPS/SPS/PPS; true when it differs from the one held.
    bool remember_parameter_set(std::span<const std::uint8_t> nal) {
        if (nal.size() < header_size() + 1 || nal.size() > kMaxParameterSetBytes) {
            return false;
        }
        std::vector<std::uint8_t>* slot = nullptr;
        const int type = nal_type(nal);
        if (hevc_) {
            slot = type == 32 ? &vps_ : type == 33 ? &sps_ : type == 34 ? &pps_ : nullptr;
        } else {
            slot = type == 7 ? &sps_ : type == 8 ? &pps_ : nullptr;
        }
        if (slot == nullptr || std::equal(slot->begin(), slot->end(), nal.begin(), nal.end())) {
            return false;
        }
        slot->assign(nal.begin(), nal.end());
        return true;
    }

    void update_track() {
        if (sps_.empty() || pps_.empty() || (hevc_ && vps_.empty())) {
            return;
        }
        TrackInfo t;
        if (hevc_) {
            auto sps = parse_h265_sps(sps_);
            if (!sps) {
                return;
            }
            t.codec = Codec::kH265;
            t.width = sps->width;
            t.height = sps->height;
            t.codec_data = build_hvcc(vps_, sps_, pps_, *sps);
        } else {
            auto sps = parse_h264_sps(sps_);
            if (!sps) {
                return;
            }
            t.codec = Codec::kH264;
            t.width = sps->width;
            t.height = sps->height;
            t.codec_data = build_avcc(sps_, pps_, *sps);
        }
        set_track(std::move(t));
        ready_ = true;
    }

    void finish(std::vector<EncodedSample>* out) {
        active_ = false;
        if (fu_start_ != kNoFragment) {
            broken_ = true;  // the unit ended inside a fragmented NAL
            au_.resize(fu_start_);
            fu_start_ = kNoFragment;
        }
        if (au_.empty()) {
            reset_unit();
            return;
        }
        if (!has_vcl_ && !broken_) {
            // Parameter sets (or SEI) alone: carry them into the next unit.
            if (au_.size() > kMaxParameterSetBytes * 4) {
                reset_unit();
            }
            return;
        }
        if (broken_) {
            waiting_for_key_ = true;
        }
        const bool usable = !broken_ && (has_key_ || !waiting_for_key_ ||
                                         units_without_key_ >= kMaxUnitsWithoutKeyframe);
        if (!usable) {
            stats_.dropped_units++;
            units_without_key_++;
            reset_unit();
            return;
        }
        waiting_for_key_ = false;
        units_without_key_ = 0;
        EncodedSample s;
        s.track = track_index_;
        s.data = std::make_shared<const std::vector<std::uint8_t>>(au_.begin(), au_.end());
        // Never below zero (the recorder anchors on the first sample) and always growing.
        std::int64_t t = std::max<std::int64_t>(0, timeline_.to_us(ticks_));
        if (have_last_ && t <= last_dts_us_) {
            t = last_dts_us_ + 1;  // reordered (B-frames) or repeated: keep decode time growing
        }
        have_last_ = true;
        last_dts_us_ = t;
        s.pts_us = s.dts_us = t;
        s.keyframe = has_key_;
        out->push_back(std::move(s));
        reset_unit();
    }

    void reset_unit() {
        au_.clear();  // keeps its capacity for the next unit
        has_vcl_ = false;
        has_key_ = false;
        broken_ = false;
    }

    const bool hevc_;
    std::vector<std::uint8_t> au_;  // the unit being built, length-prefixed
    std::uint32_t timestamp_ = 0;
    std::int64_t ticks_ = 0;  // timestamp_ on the track's timeline
    bool active_ = false;
    bool broken_ = false;
    bool has_vcl_ = false;
    bool has_key_ = false;
    bool waiting_for_key_ = true;  // nothing before the first keyframe decodes
    int units_without_key_ = 0;
    std::size_t fu_start_ = kNoFragment;  // offset of the length prefix of an open FU
    bool have_last_ = false;
    std::int64_t last_dts_us_ = 0;
    bool ready_ = false;
    std::vector<std::uint8_t> vps_;
    std::vector<std::uint8_t> sps_;
    std::vector<std::uint8_t> pps_;
};

}  // namespace

std::vector<std::uint8_t> unescape_rbsp(std::span<const std::uint8_t> nal) {
    std::vector<std::uint8_t> out;
    out.reserve(nal.size());
    int zeros = 0;
    for (std::uint8_t b : nal) {
        if (zeros >= 2 && b == 3) {
            zeros = 0;
            continue;
        }
        zeros = b == 0 ? zeros + 1 : 0;
        out.push_back(b);
    }
    return out;
}

core::Result<H264Sps> parse_h264_sps(std::span<const std::uint8_t> nal) {
    if (nal.size() < 4 || (nal[0] & 0x1f) != 7) {
        return bad_sps("H.264");
    }
    const auto rbsp = unescape_rbsp(nal.subspan(1));
    bits::BitReader r(rbsp);
    H264Sps s;
    s.profile_idc = static_cast<int>(r.read(8));
    s.constraint_flags = static_cast<int>(r.read(8));
    s.level_idc = static_cast<int>(r.read(8));
    r.read_ue();  // seq_parameter_set_id
    bool separate_colour_plane = false;
    switch (s.profile_idc) {
        case 100:
        case 110:
        case 122:
        case 244:
        case 44:
        case 83:
        case 86:
        case 118:
        case 128:
        case 138:
        case 139:
        case 134:
        case 135: {
            s.chroma_format_idc = static_cast<int>(r.read_ue());
            if (s.chroma_format_idc > 3) {
                return bad_sps("H.264");
            }
            if (s.chroma_format_idc == 3) {
                separate_colour_plane = r.read_bit() != 0;
            }
            s.bit_depth_luma = 8 + static_cast<int>(std::min(r.read_ue(), 8u));
            s.bit_depth_chroma = 8 + static_cast<int>(std::min(r.read_ue(), 8u));
            r.read_bit();             // qpprime_y_zero_transform_bypass_flag
            if (r.read_bit() != 0) {  // seq_scaling_matrix_present_flag
                const int lists = s.chroma_format_idc == 3 ? 12 : 8;
                for (int i = 0; i < lists && r.ok(); ++i) {
                    if (r.read_bit() != 0 && !skip_scaling_list(r, i < 6 ? 16 : 64)) {
                        return bad_sps("H.264");
                    }
                }
            }
            break;
        }
        default:
            break;
    }
    r.read_ue();  // log2_max_frame_num_minus4
    const auto poc_type = r.read_ue();
    if (poc_type == 0) {
        r.read_ue();  // log2_max_pic_order_cnt_lsb_minus4
    } else if (poc_type == 1) {
        r.read_bit();  // delta_pic_order_always_zero_flag
        r.read_se();   // offset_for_non_ref_pic
        r.read_se();   // offset_for_top_to_bottom_field
        const auto cycle = r.read_ue();
        if (cycle > 255) {
            return bad_sps("H.264");
        }
        for (std::uint32_t i = 0; i < cycle && r.ok(); ++i) {
            r.read_se();
        }
    } else if (poc_type != 2) {
        return bad_sps("H.264");
    }
    r.read_ue();   // max_num_ref_frames
    r.read_bit();  // gaps_in_frame_num_value_allowed_flag
    const auto width_mbs = std::uint64_t{r.read_ue()} + 1;
    const auto height_map_units = std::uint64_t{r.read_ue()} + 1;
    const bool frame_mbs_only = r.read_bit() != 0;
    if (!frame_mbs_only) {
        r.read_bit();  // mb_adaptive_frame_field_flag
    }
    r.read_bit();  // direct_8x8_inference_flag
    std::uint64_t crop_left = 0;
    std::uint64_t crop_right = 0;
    std::uint64_t crop_top = 0;
    std::uint64_t crop_bottom = 0;
    if (r.read_bit() != 0) {
        crop_left = r.read_ue();
        crop_right = r.read_ue();
        crop_top = r.read_ue();
        crop_bottom = r.read_ue();
    }
    if (!r.ok()) {
        return bad_sps("H.264");
    }
    const std::uint64_t field_factor = frame_mbs_only ? 1 : 2;
    const bool mono = s.chroma_format_idc == 0 || separate_colour_plane;
    const std::uint64_t crop_x = mono ? 1 : (s.chroma_format_idc == 3 ? 1 : 2);
    const std::uint64_t crop_y = (mono ? 1 : (s.chroma_format_idc == 1 ? 2 : 1)) * field_factor;
    const std::uint64_t full_w = width_mbs * 16;
    const std::uint64_t full_h = height_map_units * 16 * field_factor;
    const std::uint64_t cut_w = (crop_left + crop_right) * crop_x;
    const std::uint64_t cut_h = (crop_top + crop_bottom) * crop_y;
    if (full_w > kMaxDimension || full_h > kMaxDimension || cut_w >= full_w || cut_h >= full_h) {
        return bad_sps("H.264");
    }
    s.width = static_cast<int>(full_w - cut_w);
    s.height = static_cast<int>(full_h - cut_h);
    return s;
}

std::vector<std::uint8_t> build_avcc(std::span<const std::uint8_t> sps,
                                     std::span<const std::uint8_t> pps, const H264Sps& parsed) {
    std::vector<std::uint8_t> out;
    out.reserve(16 + sps.size() + pps.size());
    out.push_back(1);  // configurationVersion
    out.push_back(static_cast<std::uint8_t>(parsed.profile_idc));
    out.push_back(static_cast<std::uint8_t>(parsed.constraint_flags));
    out.push_back(static_cast<std::uint8_t>(parsed.level_idc));
    out.push_back(0xff);  // 4-byte NAL lengths
    out.push_back(0xe1);  // one SPS
    put_u16(out, sps.size());
    out.insert(out.end(), sps.begin(), sps.end());
    out.push_back(1);  // one PPS
    put_u16(out, pps.size());
    out.insert(out.end(), pps.begin(), pps.end());
    const int p = parsed.profile_idc;
    if (p == 100 || p == 110 || p == 122 || p == 144) {
        out.push_back(static_cast<std::uint8_t>(0xfc | (parsed.chroma_format_idc & 3)));
        out.push_back(static_cast<std::uint8_t>(0xf8 | ((parsed.bit_depth_luma - 8) & 7)));
        out.push_back(static_cast<std::uint8_t>(0xf8 | ((parsed.bit_depth_chroma - 8) & 7)));
        out.push_back(0);  // no SPS extensions
    }
    return out;
}

core::Result<H265Sps> parse_h265_sps(std::span<const std::uint8_t> nal) {
    if (nal.size() < 4 || ((nal[0] >> 1) & 0x3f) != 33) {
        return bad_sps("H.265");
    }
    const auto rbsp = unescape_rbsp(nal.subspan(2));
    bits::BitReader r(rbsp);
    H265Sps s;
    r.read(4);  // sps_video_parameter_set_id
    const int max_sub_layers_minus1 = static_cast<int>(r.read(3));
    if (max_sub_layers_minus1 > 6) {
        return bad_sps("H.265");
    }
    s.max_sub_layers = max_sub_layers_minus1 + 1;
    s.temporal_id_nesting = r.read_bit() != 0;
    read_profile_tier_level(r, max_sub_layers_minus1, &s);
    r.read_ue();  // sps_seq_parameter_set_id
    s.chroma_format_idc = static_cast<int>(r.read_ue());
    if (s.chroma_format_idc > 3) {
        return bad_sps("H.265");
    }
    bool separate_colour_plane = false;
    if (s.chroma_format_idc == 3) {
        separate_colour_plane = r.read_bit() != 0;
    }
    const std::uint64_t width = r.read_ue();
    const std::uint64_t height = r.read_ue();
    std::uint64_t left = 0;
    std::uint64_t right = 0;
    std::uint64_t top = 0;
    std::uint64_t bottom = 0;
    if (r.read_bit() != 0) {  // conformance_window_flag
        left = r.read_ue();
        right = r.read_ue();
        top = r.read_ue();
        bottom = r.read_ue();
    }
    s.bit_depth_luma = 8 + static_cast<int>(std::min(r.read_ue(), 8u));
    s.bit_depth_chroma = 8 + static_cast<int>(std::min(r.read_ue(), 8u));
    if (!r.ok()) {
        return bad_sps("H.265");
    }
    const bool mono = s.chroma_format_idc == 0 || separate_colour_plane;
    const std::uint64_t sub_w = mono ? 1 : (s.chroma_format_idc == 3 ? 1 : 2);
    const std::uint64_t sub_h = mono ? 1 : (s.chroma_format_idc == 1 ? 2 : 1);
    const std::uint64_t cut_w = (left + right) * sub_w;
    const std::uint64_t cut_h = (top + bottom) * sub_h;
    if (width == 0 || height == 0 || width > kMaxDimension || height > kMaxDimension ||
        cut_w >= width || cut_h >= height) {
        return bad_sps("H.265");
    }
    s.width = static_cast<int>(width - cut_w);
    s.height = static_cast<int>(height - cut_h);
    return s;
}

std::vector<std::uint8_t> build_hvcc(std::span<const std::uint8_t> vps,
                                     std::span<const std::uint8_t> sps,
                                     std::span<const std::uint8_t> pps, const H265Sps& p) {
    std::vector<std::uint8_t> out;
    out.reserve(32 + vps.size() + sps.size() + pps.size());
    out.push_back(1);  // configurationVersion
    out.push_back(static_cast<std::uint8_t>((p.profile_space << 6) | (p.tier_flag << 5) |
                                            (p.profile_idc & 0x1f)));
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<std::uint8_t>(p.compatibility_flags >> shift));
    }
    for (int shift = 40; shift >= 0; shift -= 8) {
        out.push_back(static_cast<std::uint8_t>(p.constraint_flags >> shift));
    }
    out.push_back(static_cast<std::uint8_t>(p.level_idc));
    put_u16(out, 0xf000);  // reserved, min_spatial_segmentation_idc 0
    out.push_back(0xfc);   // reserved, parallelismType 0 (unknown)
    out.push_back(static_cast<std::uint8_t>(0xfc | (p.chroma_format_idc & 3)));
    out.push_back(static_cast<std::uint8_t>(0xf8 | ((p.bit_depth_luma - 8) & 7)));
    out.push_back(static_cast<std::uint8_t>(0xf8 | ((p.bit_depth_chroma - 8) & 7)));
    put_u16(out, 0);  // avgFrameRate unknown
    out.push_back(static_cast<std::uint8_t>(((p.max_sub_layers & 7) << 3) |
                                            (p.temporal_id_nesting ? 4 : 0) | 3));
    out.push_back(3);  // arrays: VPS, SPS, PPS
    const std::span<const std::uint8_t> sets[] = {vps, sps, pps};
    const int types[] = {32, 33, 34};
    for (int i = 0; i < 3; ++i) {
        out.push_back(static_cast<std::uint8_t>(0x80 | types[i]));  // array_completeness = 1
        put_u16(out, 1);
        put_u16(out, sets[i].size());
        out.insert(out.end(), sets[i].begin(), sets[i].end());
    }
    return out;
}

std::unique_ptr<Depacketizer> make_nal_depacketizer(const sdp::MediaDescription& media,
                                                    int track_index) {
    return std::make_unique<NalDepacketizer>(media, track_index);
}

}  // namespace hearth::media::rtp
