#include "api/playback.h"

#include "media/fmp4_reader.h"

namespace hearth::api {
namespace {

core::Result<std::vector<std::uint8_t>> read_range(std::ifstream& in, std::int64_t offset,
                                                   std::int64_t bytes) {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(bytes));
    in.clear();
    in.seekg(offset);
    in.read(reinterpret_cast<char*>(out.data()), bytes);
    if (in.gcount() != bytes) {
        return core::make_error(core::ErrorCode::kInternal, "recording file is shorter than its index");
    }
    return out;
}

core::Result<std::vector<std::uint8_t>> read_file_range(const std::filesystem::path& path,
                                                        std::int64_t offset, std::int64_t bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return core::make_error(core::ErrorCode::kNotFound, "recording file is missing");
    }
    return read_range(in, offset, bytes);
}

}  // namespace

core::Result<std::unique_ptr<PlaybackBody>> PlaybackBody::open(
    std::filesystem::path data_dir, std::vector<store::PlaybackPiece> pieces) {
    if (pieces.empty()) {
        return core::make_error(core::ErrorCode::kNotFound, "no recording in this range");
    }
    std::unique_ptr<PlaybackBody> body(new PlaybackBody());
    body->data_dir_ = std::move(data_dir);
    const auto& first = pieces.front();
    HEARTH_ASSIGN_OR_RETURN(body->init_,
                            read_file_range(body->data_dir_ / first.path, 0, first.init_bytes));
    HEARTH_ASSIGN_OR_RETURN(auto info, media::fmp4::parse_init_segment(body->init_));
    body->timescales_ = info.timescales;
    // The range starts at the earliest decode time in its first fragment (audio may lead video).
    HEARTH_ASSIGN_OR_RETURN(auto first_fragment,
                            read_file_range(body->data_dir_ / first.path, first.fragment.offset,
                                            first.fragment.bytes));
    std::vector<std::uint8_t> probe = body->init_;
    probe.insert(probe.end(), first_fragment.begin(), first_fragment.end());
    HEARTH_ASSIGN_OR_RETURN(auto located, media::fmp4::scan_fragments(probe));
    if (located.empty()) {
        return core::make_error(core::ErrorCode::kInternal, "recording fragment is damaged");
    }
    body->base_us_ = located.front().earliest_us;

    // Keep pieces up to the first file whose init segment differs.
    core::SegmentId checked = first.segment;
    body->size_ = body->init_.size();
    for (auto& p : pieces) {
        if (p.segment != checked) {
            auto other = read_file_range(body->data_dir_ / p.path, 0, p.init_bytes);
            if (!other || *other != body->init_) {
                break;
            }
            checked = p.segment;
        }
        body->size_ += static_cast<std::uint64_t>(p.fragment.bytes);
        body->pieces_.push_back(std::move(p));
    }
    return body;
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
    if (open_path_ != p.path) {
        file_ = std::ifstream(data_dir_ / p.path, std::ios::binary);
        open_path_ = p.path;
        if (!file_) {
            throw std::runtime_error("recording file is missing");
        }
    }
    auto bytes = read_range(file_, p.fragment.offset, p.fragment.bytes);
    if (!bytes) {
        throw std::runtime_error(bytes.error().message);
    }
    // A damaged fragment fails the response rather than sending broken media.
    auto shifted = media::fmp4::shift_decode_times(*bytes, timescales_, base_us_);
    if (!shifted) {
        throw std::runtime_error("recording fragment is damaged: " + shifted.error().message);
    }
    return std::move(*bytes);
}

}  // namespace hearth::api
