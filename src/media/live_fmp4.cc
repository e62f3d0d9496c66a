#include "media/live_fmp4.h"

#include <cstdio>

#include "media/fmp4_writer.h"

namespace hearth::media {

std::string rfc6381_codec(const TrackInfo& t) {
    char buf[32];
    switch (t.codec) {
        case Codec::kH264:
            // avcC: version, profile, compatibility, level.
            if (t.codec_data.size() >= 4) {
                std::snprintf(buf, sizeof buf, "avc1.%02x%02x%02x", t.codec_data[1],
                              t.codec_data[2], t.codec_data[3]);
                return buf;
            }
            return "avc1";
        case Codec::kH265:
            // hvcC byte 1: profile space/tier/profile idc; byte 12: level idc.
            if (t.codec_data.size() >= 13) {
                std::snprintf(buf, sizeof buf, "hvc1.%d.6.L%d.B0", t.codec_data[1] & 0x1f,
                              t.codec_data[12]);
                return buf;
            }
            return "hvc1";
        case Codec::kAac: return "mp4a.40.2";
        case Codec::kOpus: return "opus";
        case Codec::kPcmu: return "ulaw";
        case Codec::kPcma: return "alaw";
        case Codec::kInvalid: break;
    }
    return {};
}

core::Result<std::vector<LiveMessage>> LiveFmp4Muxer::push(const LiveItem& item) {
    std::vector<LiveMessage> out;
    if (const auto* tracks = std::get_if<LiveTracks>(&item)) {
        HEARTH_ASSIGN_OR_RETURN(auto init, fmp4::build_init_segment(tracks->tracks));
        tracks_ = tracks->tracks;
        video_track_ = -1;
        std::string codecs;
        for (std::size_t i = 0; i < tracks_.size(); ++i) {
            if (video_track_ < 0 && is_video(tracks_[i].codec)) {
                video_track_ = static_cast<int>(i);
            }
            const auto c = rfc6381_codec(tracks_[i]);
            codecs += (codecs.empty() || c.empty() ? "" : ",") + c;
        }
        mime_ = "video/mp4; codecs=\"" + codecs + "\"";
        base_us_.reset();  // a new stream: the next keyframe starts time again
        pending_audio_.clear();
        out.push_back({LiveMessage::Kind::kInit, std::move(init)});
        return out;
    }
    const auto& sample = std::get<EncodedSample>(item);
    if (tracks_.empty() || sample.track < 0 ||
        static_cast<std::size_t>(sample.track) >= tracks_.size()) {
        return out;
    }
    const bool video = sample.track == video_track_;
    if (!base_us_) {
        if (!video || !sample.keyframe) {
            return out;  // nothing to show before the first keyframe
        }
        base_us_ = sample.dts_us;
    }
    if (sample.dts_us < *base_us_) {
        return out;
    }
    EncodedSample shifted = sample;
    shifted.dts_us -= *base_us_;
    shifted.pts_us = std::max<std::int64_t>(0, shifted.pts_us - *base_us_);
    if (!video && video_track_ >= 0) {
        pending_audio_.push_back(std::move(shifted));
        return out;
    }
    std::vector<EncodedSample> samples = std::move(pending_audio_);
    pending_audio_.clear();
    samples.push_back(std::move(shifted));
    HEARTH_ASSIGN_OR_RETURN(auto fragment, fmp4::build_fragment(sequence_++, tracks_, samples));
    out.push_back({LiveMessage::Kind::kFragment, std::move(fragment)});
    return out;
}

}  // namespace hearth::media
