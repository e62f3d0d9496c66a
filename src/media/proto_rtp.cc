#include "media/proto_rtp.h"

#include <algorithm>

#include "media/proto_bits.h"
#include "media/proto_h26x.h"

namespace hearth::media::rtp {
namespace {

using core::ErrorCode;
using core::make_error;

// One sample's bytes: one allocation for the vector and its control block, one for the bytes.
std::shared_ptr<const std::vector<std::uint8_t>> copy_bytes(std::span<const std::uint8_t> b) {
    return std::make_shared<const std::vector<std::uint8_t>>(b.begin(), b.end());
}

// RFC 3640 AAC (mode AAC-hbr / AAC-lbr): AU headers, several AUs per packet, or one AU
// fragmented over packets with the same timestamp.
class AacDepacketizer final : public Depacketizer {
public:
    AacDepacketizer(const sdp::MediaDescription& m, int track_index)
        : Depacketizer(m, track_index),
          size_length_(m.size_length),
          index_length_(m.index_length),
          index_delta_length_(m.index_delta_length),
          frame_ticks_(m.constant_duration > 0 ? m.constant_duration : 1024) {
        TrackInfo t;
        t.codec = Codec::kAac;
        t.codec_data = m.aac_config;
        auto asc = sdp::parse_aac_config(m.aac_config);
        t.sample_rate = asc ? asc->sample_rate : m.clock_rate;
        t.channels = asc && asc->channels > 0 ? asc->channels : std::max(1, m.channels);
        set_track(std::move(t));
    }

    bool ready() const override { return true; }

    void push(const Packet& p, std::vector<EncodedSample>* out) override {
        if (p.payload_type != payload_type_) {
            return;
        }
        if (note_sequence(p)) {
            fragment_.clear();
            fragment_size_ = 0;
        }
        const auto payload = p.payload;
        if (payload.size() < 2) {
            return;
        }
        const std::size_t header_bits = (std::size_t{payload[0]} << 8) | payload[1];
        const std::size_t header_bytes = (header_bits + 7) / 8;
        if (2 + header_bytes > payload.size()) {
            stats_.dropped_units++;
            return;
        }
        bits::BitReader r(payload.subspan(2, header_bytes));
        auto data = payload.subspan(2 + header_bytes);
        const std::int64_t base = timeline_.ticks(p.timestamp);

        if (!fragment_.empty()) {
            // A continuation of a fragmented AU: the header repeats the full size.
            if (p.timestamp != fragment_timestamp_) {
                stats_.dropped_units++;
                fragment_.clear();
            } else {
                fragment_.insert(fragment_.end(), data.begin(), data.end());
                if (fragment_.size() >= fragment_size_) {
                    fragment_.resize(fragment_size_);
                    emit(fragment_, base, out);
                    fragment_.clear();
                } else if (p.marker) {
                    stats_.dropped_units++;  // ended short
                    fragment_.clear();
                }
                return;
            }
        }

        int index = 0;
        std::size_t used_bits = 0;
        while (used_bits + static_cast<std::size_t>(size_length_) <= header_bits) {
            const int index_bits = index == 0 ? index_length_ : index_delta_length_;
            const std::size_t au_size = r.read(size_length_);
            r.skip(static_cast<std::size_t>(index_bits));
            used_bits += static_cast<std::size_t>(size_length_ + index_bits);
            if (!r.ok() || au_size == 0) {
                break;
            }
            const std::int64_t ticks = base + std::int64_t{index} * frame_ticks_;
            if (au_size > data.size()) {
                if (index == 0 &&
                    used_bits + static_cast<std::size_t>(size_length_) > header_bits) {
                    // The only AU, larger than this packet: collect fragments.
                    fragment_.assign(data.begin(), data.end());
                    fragment_size_ = au_size;
                    fragment_timestamp_ = p.timestamp;
                } else {
                    stats_.dropped_units++;
                }
                return;
            }
            emit(data.first(au_size), ticks, out);
            data = data.subspan(au_size);
            ++index;
            if (index > 64) {
                break;
            }
        }
    }

private:
    void emit(std::span<const std::uint8_t> au, std::int64_t ticks,
              std::vector<EncodedSample>* out) {
        EncodedSample s;
        s.track = track_index_;
        s.data = copy_bytes(au);
        s.pts_us = s.dts_us = std::max<std::int64_t>(0, timeline_.to_us(ticks));
        s.duration_us = timeline_.to_us(frame_ticks_) - timeline_.to_us(0);
        s.keyframe = true;
        out->push_back(std::move(s));
    }

    int size_length_;
    int index_length_;
    int index_delta_length_;
    int frame_ticks_;
    std::vector<std::uint8_t> fragment_;
    std::size_t fragment_size_ = 0;
    std::uint32_t fragment_timestamp_ = 0;
};

// Opus and G.711: one packet is one sample.
class FrameDepacketizer final : public Depacketizer {
public:
    FrameDepacketizer(const sdp::MediaDescription& m, int track_index)
        : Depacketizer(m, track_index) {
        TrackInfo t;
        t.codec = m.codec;
        if (m.codec == Codec::kOpus) {
            t.sample_rate = 48000;
            t.channels = m.stereo ? 2 : 1;
        } else {
            t.sample_rate = 8000;
            t.channels = 1;
        }
        set_track(std::move(t));
    }

    bool ready() const override { return true; }

    void push(const Packet& p, std::vector<EncodedSample>* out) override {
        if (p.payload_type != payload_type_ || p.payload.empty()) {
            return;
        }
        note_sequence(p);
        EncodedSample s;
        s.track = track_index_;
        s.data = copy_bytes(p.payload);
        s.pts_us = s.dts_us =
            std::max<std::int64_t>(0, timeline_.to_us(timeline_.ticks(p.timestamp)));
        const std::int64_t samples = track().codec == Codec::kOpus
                                         ? opus_samples(p.payload)
                                         : static_cast<std::int64_t>(p.payload.size());
        s.duration_us = samples * 1'000'000 / track().sample_rate;
        s.keyframe = true;
        out->push_back(std::move(s));
    }

private:
    // Samples at 48 kHz in an Opus packet, from its TOC byte (RFC 6716 3.1); 0 if malformed.
    static std::int64_t opus_samples(std::span<const std::uint8_t> packet) {
        const int config = packet[0] >> 3;
        int frame = 0;  // samples at 48 kHz
        if (config < 12) {
            static constexpr int kSilk[] = {480, 960, 1920, 2880};
            frame = kSilk[config & 3];
        } else if (config < 16) {
            frame = (config & 1) ? 960 : 480;
        } else {
            static constexpr int kCelt[] = {120, 240, 480, 960};
            frame = kCelt[config & 3];
        }
        int frames = 1;
        switch (packet[0] & 3) {
            case 0:
                frames = 1;
                break;
            case 1:
            case 2:
                frames = 2;
                break;
            default:
                frames = packet.size() > 1 ? (packet[1] & 0x3f) : 0;
                break;
        }
        return std::int64_t{frame} * frames;
    }
};

}  // namespace

core::Result<Packet> parse_packet(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 12) {
        return make_error(ErrorCode::kInvalidArgument, "RTP packet shorter than its header");
    }
    if ((bytes[0] >> 6) != 2) {
        return make_error(ErrorCode::kInvalidArgument, "not RTP version 2");
    }
    Packet p;
    const bool padding = (bytes[0] & 0x20) != 0;
    const bool extension = (bytes[0] & 0x10) != 0;
    const std::size_t csrc_count = bytes[0] & 0x0f;
    p.marker = (bytes[1] & 0x80) != 0;
    p.payload_type = bytes[1] & 0x7f;
    p.sequence = static_cast<std::uint16_t>(bytes[2] << 8 | bytes[3]);
    p.timestamp = std::uint32_t{bytes[4]} << 24 | std::uint32_t{bytes[5]} << 16 |
                  std::uint32_t{bytes[6]} << 8 | bytes[7];
    p.ssrc = std::uint32_t{bytes[8]} << 24 | std::uint32_t{bytes[9]} << 16 |
             std::uint32_t{bytes[10]} << 8 | bytes[11];
    std::size_t offset = 12 + 4 * csrc_count;
    if (offset > bytes.size()) {
        return make_error(ErrorCode::kInvalidArgument, "RTP CSRC list overruns the packet");
    }
    if (extension) {
        if (offset + 4 > bytes.size()) {
            return make_error(ErrorCode::kInvalidArgument, "RTP extension overruns the packet");
        }
        const std::size_t words = std::size_t{bytes[offset + 2]} << 8 | bytes[offset + 3];
        offset += 4 + 4 * words;
        if (offset > bytes.size()) {
            return make_error(ErrorCode::kInvalidArgument, "RTP extension overruns the packet");
        }
    }
    std::size_t end = bytes.size();
    if (padding) {
        const std::size_t pad = bytes.back();
        if (pad == 0 || pad > end - offset) {
            return make_error(ErrorCode::kInvalidArgument, "RTP padding overruns the packet");
        }
        end -= pad;
    }
    p.payload = bytes.subspan(offset, end - offset);
    return p;
}

std::int64_t Timeline::ticks(std::uint32_t timestamp) {
    if (!started_) {
        started_ = true;
        last_ = timestamp;
        last_ticks_ = 0;
        return 0;
    }
    const auto delta = static_cast<std::int32_t>(timestamp - last_);
    last_ = timestamp;
    last_ticks_ += delta;
    return last_ticks_;
}

void Timeline::set_origin(std::uint32_t timestamp) {
    // Packets that came before the PLAY response are re-based onto the same origin.
    last_ticks_ = started_ ? static_cast<std::int32_t>(last_ - timestamp) : 0;
    last_ = started_ ? last_ : timestamp;
    started_ = true;
}

std::int64_t Timeline::to_us(std::int64_t ticks) const {
    // Split to keep ticks * 1e6 from overflowing for long sessions.
    const std::int64_t seconds = ticks / clock_rate_;
    const std::int64_t rest = ticks % clock_rate_;
    return seconds * 1'000'000 + rest * 1'000'000 / clock_rate_;
}

Depacketizer::Depacketizer(const sdp::MediaDescription& media, int track_index)
    : track_index_(track_index), payload_type_(media.payload_type), timeline_(media.clock_rate) {}

bool Depacketizer::note_sequence(const Packet& packet) {
    stats_.packets++;
    const bool gap = have_sequence_ && packet.sequence != next_sequence_;
    if (gap) {
        stats_.lost_packets += static_cast<std::uint16_t>(packet.sequence - next_sequence_);
    }
    have_sequence_ = true;
    next_sequence_ = static_cast<std::uint16_t>(packet.sequence + 1);
    return gap;
}

void Depacketizer::set_track(TrackInfo track) {
    if (track != track_) {
        track_ = std::move(track);
        ++track_version_;
    }
}

core::Result<std::unique_ptr<Depacketizer>> make_depacketizer(const sdp::MediaDescription& media,
                                                              int track_index) {
    switch (media.codec) {
        case Codec::kH264:
        case Codec::kH265:
            return make_nal_depacketizer(media, track_index);
        case Codec::kAac:
            if (media.size_length <= 0) {
                break;
            }
            return std::unique_ptr<Depacketizer>(new AacDepacketizer(media, track_index));
        case Codec::kOpus:
        case Codec::kPcmu:
        case Codec::kPcma:
            return std::unique_ptr<Depacketizer>(new FrameDepacketizer(media, track_index));
        case Codec::kInvalid:
            break;
    }
    return make_error(ErrorCode::kInvalidArgument,
                      "no depacketizer for " + media.encoding.substr(0, 32));
}

}  // namespace hearth::media::rtp
