#include "api/playback.h"

#include <spdlog/spdlog.h>

#include "media/fmp4_reader.h"

namespace hearth::api {

core::Result<const media::SegmentReader*> PlaybackBody::reader_for(
    const store::PlaybackPiece& piece) {
    const auto id = piece.segment.value();
    if (auto it = readers_.find(id); it != readers_.end()) {
        return &it->second;
    }
    // One file open (and one sealed key opened) per segment, not per fragment.
    if (readers_.size() >= 16) {
        readers_.erase(readers_.begin());
    }
    HEARTH_ASSIGN_OR_RETURN(auto reader, media::SegmentReader::open(data_dir_ / piece.path,
                                                                    piece.sealed_key, opener_));
    return &readers_.emplace(id, std::move(reader)).first->second;
}

core::Result<std::unique_ptr<PlaybackBody>> PlaybackBody::open(
    std::filesystem::path data_dir, std::vector<store::PlaybackPiece> pieces,
    media::KeyOpener opener, DamageReport on_damage) {
    if (pieces.empty()) {
        return core::make_error(core::ErrorCode::kNotFound, "no recording in this range");
    }
    std::unique_ptr<PlaybackBody> body(new PlaybackBody());
    body->data_dir_ = std::move(data_dir);
    body->opener_ = std::move(opener);
    body->on_damage_ = std::move(on_damage);
    const auto& first = pieces.front();
    HEARTH_ASSIGN_OR_RETURN(const auto* reader, body->reader_for(first));
    HEARTH_ASSIGN_OR_RETURN(body->init_, reader->read(0, first.init_bytes));
    HEARTH_ASSIGN_OR_RETURN(auto info, media::fmp4::parse_init_segment(body->init_));
    body->timescales_ = info.timescales;
    // The range starts at the earliest decode time in its first fragment (audio may lead video).
    HEARTH_ASSIGN_OR_RETURN(auto first_fragment,
                            reader->read(first.fragment.offset, first.fragment.bytes));
    std::vector<std::uint8_t> probe = body->init_;
    probe.insert(probe.end(), first_fragment.begin(), first_fragment.end());
    HEARTH_ASSIGN_OR_RETURN(auto located, media::fmp4::scan_fragments(probe));
    if (located.empty()) {
        return core::make_error(core::ErrorCode::kDataLoss, "recording fragment is damaged");
    }
    body->base_us_ = located.front().earliest_us;

    // Keep pieces up to the first file whose init segment differs.
    core::SegmentId checked = first.segment;
    body->size_ = body->init_.size();
    for (auto& p : pieces) {
        auto r = body->reader_for(p);
        if (!r) {
            break;
        }
        if (p.segment != checked) {
            auto other = (*r)->read(0, p.init_bytes);
            if (!other || *other != body->init_) {
                break;
            }
            checked = p.segment;
        }
        auto plain = (*r)->plain_size(p.fragment.bytes);
        if (!plain) {
            break;
        }
        body->size_ += static_cast<std::uint64_t>(*plain);
        body->plain_sizes_.push_back(*plain);
        body->pieces_.push_back(std::move(p));
    }
    return body;
}

std::vector<std::uint8_t> PlaybackBody::fragment(const store::PlaybackPiece& p) {
    auto reader = reader_for(p);
    if (!reader) {
        throw std::runtime_error("recording cannot be read: " + reader.error().message);
    }
    auto bytes = (*reader)->read(p.fragment.offset, p.fragment.bytes);
    core::Error why;
    if (bytes) {
        auto shifted = media::fmp4::shift_decode_times(*bytes, timescales_, base_us_);
        if (shifted) {
            return std::move(*bytes);
        }
        why = shifted.error();
    } else {
        why = bytes.error();
    }
    // This fragment only: the stream keeps its length and the rest still plays.
    spdlog::warn("playback: {} fragment {} left out: {}", p.path, p.fragment.seq, why.message);
    if (on_damage_) {
        on_damage_(p, why);
    }
    return media::filler_box(static_cast<std::size_t>(plain_sizes_[next_piece_ - 1]));
}

std::vector<std::uint8_t> PlaybackBody::next() {
    if (!init_sent_) {
        init_sent_ = true;
        return init_;
    }
    if (next_piece_ >= pieces_.size()) {
        return {};
    }
    const auto& p = pieces_[next_piece_++];
    return fragment(p);
}

}  // namespace hearth::api
