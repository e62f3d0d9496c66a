#include "api/playback.h"

#include <spdlog/spdlog.h>

#include <map>
#include <optional>

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
    auto damaged = [&](const store::PlaybackPiece& p, const core::Error& why) {
        spdlog::warn("playback: {} left out: {}", p.path, why.message);
        if (body->on_damage_) {
            body->on_damage_(p, why);
        }
    };

    // Each file's init segment, once; a file whose init or key is damaged is left out whole
    // (and reported), like a damaged fragment, so the rest of the range still plays.
    std::map<std::int64_t, std::optional<std::vector<std::uint8_t>>> inits;
    std::optional<core::Error> locked;
    auto init_of = [&](const store::PlaybackPiece& p) -> const std::vector<std::uint8_t>* {
        auto [it, fresh] = inits.try_emplace(p.segment.value());
        if (fresh) {
            auto reader = body->reader_for(p);
            auto init = reader ? (*reader)->read(0, p.init_bytes)
                               : core::Result<std::vector<std::uint8_t>>(reader.error());
            if (init && !media::fmp4::parse_init_segment(*init)) {
                init = core::make_error(core::ErrorCode::kDataLoss, "its init segment is damaged");
            }
            if (!init && init.error().code == core::ErrorCode::kFailedPrecondition) {
                locked = init.error();  // the household key: nothing in range can be opened
            } else if (!init) {
                damaged(p, init.error());
            } else {
                it->second = std::move(*init);
            }
        }
        return it->second ? &*it->second : nullptr;
    };

    // The stream starts at the first keyframe fragment that opens; its earliest decode time
    // (audio may lead video) becomes zero.
    std::size_t start = 0;
    for (; start < pieces.size(); ++start) {
        const auto& p = pieces[start];
        const auto* init = init_of(p);
        if (locked) {
            return *locked;
        }
        if (init == nullptr || !p.fragment.keyframe) {
            continue;
        }
        auto reader = body->reader_for(p);
        auto bytes = reader ? (*reader)->read(p.fragment.offset, p.fragment.bytes)
                            : core::Result<std::vector<std::uint8_t>>(reader.error());
        std::vector<std::uint8_t> probe = *init;
        if (bytes) {
            probe.insert(probe.end(), bytes->begin(), bytes->end());
        }
        auto located = bytes ? media::fmp4::scan_fragments(probe)
                             : core::Result<std::vector<media::fmp4::FragmentLocation>>(bytes.error());
        if (located && located->size() == 1) {
            body->init_ = *init;
            body->base_us_ = located->front().earliest_us;
            HEARTH_ASSIGN_OR_RETURN(auto info, media::fmp4::parse_init_segment(body->init_));
            body->timescales_ = info.timescales;
            break;
        }
        damaged(p, located ? core::make_error(core::ErrorCode::kDataLoss, "not one whole fragment")
                           : located.error());
    }
    if (start == pieces.size()) {
        return core::make_error(core::ErrorCode::kDataLoss,
                                "no fragment of this range can be read: every file in it was "
                                "altered or is missing");
    }

    // Keep pieces up to the first file whose init segment differs (the camera changed codec
    // or size): the client asks again from there.
    body->size_ = body->init_.size();
    for (std::size_t i = start; i < pieces.size(); ++i) {
        auto& p = pieces[i];
        const auto* init = init_of(p);
        if (init == nullptr) {
            continue;  // reported once; its fragments are left out
        }
        if (*init != body->init_) {
            break;
        }
        auto r = body->reader_for(p);
        auto plain = r ? (*r)->plain_size(p.fragment.bytes) : core::Result<std::int64_t>(r.error());
        if (!plain) {
            damaged(p, plain.error());
            continue;
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

core::Result<std::unique_ptr<RenderedClipBody>> RenderedClipBody::open(
    std::unique_ptr<PlaybackBody> source, media::ClipRenderOptions options) {
    std::unique_ptr<RenderedClipBody> body(new RenderedClipBody());
    body->source_ = std::move(source);
    // The feeder pulls the decrypted range; a damaged file cuts it (PlaybackBody throws).
    body->renderer_ = std::make_unique<media::ClipRenderer>(
        std::move(options),
        [src = body->source_]() -> core::Result<std::vector<std::uint8_t>> {
            try {
                return src->next();
            } catch (const std::exception& e) {
                return core::make_error(core::ErrorCode::kDataLoss, e.what());
            }
        });
    HEARTH_TRY(body->renderer_->start());
    return body;
}

RenderedClipBody::~RenderedClipBody() {
    if (renderer_) {
        renderer_->cancel();
    }
}

std::vector<std::uint8_t> RenderedClipBody::next() {
    auto chunk = renderer_->next();
    if (!chunk) {
        throw std::runtime_error("the clip could not be rendered: " + chunk.error().message);
    }
    return std::move(*chunk);
}

}  // namespace hearth::api
