// RTP (RFC 3550) packets and depacketizers that turn them into the EncodedSamples a recorder
// stores: H.264 (RFC 6184), H.265 (RFC 7798), AAC (RFC 3640 MPEG4-GENERIC), Opus (RFC 7587) and
// G.711. Video leaves as one access unit per sample in 4-byte length-prefixed form with an
// avcC/hvcC built from the parameter sets (from the SDP or in-band).
//
// Pure code on byte buffers, bounded and fuzzed (tests/fuzz/proto_rtp_fuzz.cc).
//
// Timestamps: each track unwraps its 32-bit RTP clock to 64 bits and counts microseconds from
// its own first packet, so audio and video share a zero only approximately (the recorder
// anchors at the first sample); times before that first packet are clamped to 0. RTP timestamps
// are presentation times; when a stream reorders frames (B-frames) we do not reconstruct decode
// times: video dts is pts clamped to grow by at least 1 us, and pts is set equal to it.
// H.264/H.265 specifics are in proto_h26x.h.
//
// Thread-safety: one depacketizer per track, used by one thread.
//
// Example:
//   auto d = rtp::make_depacketizer(sdp_media, /*track=*/0);
//   auto packet = rtp::parse_packet(frame_payload);
//   samples.clear();
//   (*d)->push(*packet, &samples);
//   if ((*d)->ready()) publish((*d)->track());
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/result.h"
#include "media/proto_sdp.h"
#include "media/sample.h"

namespace hearth::media::rtp {

inline constexpr std::size_t kMaxAccessUnitBytes = 16 * 1024 * 1024;

struct Packet {
    std::uint8_t payload_type = 0;
    bool marker = false;
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
    std::span<const std::uint8_t> payload;  // points into the parsed bytes
};

// Parses version 2 RTP: skips CSRCs and the header extension, removes padding. Errors:
// kInvalidArgument for a short packet, another version, or lengths that overrun it.
core::Result<Packet> parse_packet(std::span<const std::uint8_t> bytes);

// Unwraps 32-bit RTP timestamps to 64-bit ticks counted from the first one seen. A timestamp
// is placed at the nearest distance (signed 32-bit difference) from the previous one.
class Timeline {
public:
    explicit Timeline(int clock_rate) : clock_rate_(clock_rate > 0 ? clock_rate : 90000) {}
    std::int64_t ticks(std::uint32_t timestamp);
    // Counts ticks from `timestamp` (the RTP-Info rtptime of the PLAY response), so that
    // every track of a session shares the same zero and audio stays in sync with video.
    void set_origin(std::uint32_t timestamp);
    std::int64_t to_us(std::int64_t ticks) const;
    int clock_rate() const { return clock_rate_; }

private:
    int clock_rate_;
    bool started_ = false;
    std::uint32_t last_ = 0;
    std::int64_t last_ticks_ = 0;
};

struct DepacketizerStats {
    std::uint64_t packets = 0;
    std::uint64_t lost_packets = 0;   // sequence gaps
    std::uint64_t dropped_units = 0;  // access units dropped (broken, or waiting for a keyframe)
};

class Depacketizer {
public:
    virtual ~Depacketizer() = default;

    // Feeds one packet of this track (others' payload types are ignored). Completed samples
    // are appended to `out` with track = the index given at creation.
    virtual void push(const Packet& packet, std::vector<EncodedSample>* out) = 0;

    // Whether track() is complete (video: parameter sets seen and parsed).
    virtual bool ready() const = 0;

    // See Timeline::set_origin.
    void set_rtp_origin(std::uint32_t rtptime) { timeline_.set_origin(rtptime); }
    const TrackInfo& track() const { return track_; }
    // Changes whenever track() changes (e.g. a new SPS with another resolution).
    std::uint32_t track_version() const { return track_version_; }
    const DepacketizerStats& stats() const { return stats_; }

protected:
    Depacketizer(const sdp::MediaDescription& media, int track_index);
    // Counts a sequence gap; true when packets were lost before `packet`.
    bool note_sequence(const Packet& packet);
    void set_track(TrackInfo track);

    int track_index_;
    int payload_type_;
    Timeline timeline_;
    DepacketizerStats stats_;

private:
    TrackInfo track_;
    std::uint32_t track_version_ = 0;
    bool have_sequence_ = false;
    std::uint16_t next_sequence_ = 0;
};

// Errors: kInvalidArgument for a media description whose codec we do not depacketize.
core::Result<std::unique_ptr<Depacketizer>> make_depacketizer(const sdp::MediaDescription& media,
                                                              int track_index);

}  // namespace hearth::media::rtp
