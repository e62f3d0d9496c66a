// Streams recorded fragments of a time range as one fragmented MP4: the init
// segment, then each fragment read from its file with decode times shifted so
// the range starts at zero. Ready for browser MSE, and plays in ffmpeg/VLC.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "api/http.h"
#include "core/result.h"
#include "store/index.h"

namespace hearth::api {

// Thread: net (one request). Reads files as it is pulled.
class PlaybackBody final : public BodySource {
public:
    // Stops before the first fragment whose file has a different init segment
    // (the camera changed codec or size); the client asks again from there.
    static core::Result<std::unique_ptr<PlaybackBody>> open(
        std::filesystem::path data_dir, std::vector<store::PlaybackPiece> pieces);

    std::optional<std::uint64_t> size() const override { return size_; }
    std::vector<std::uint8_t> next() override;
    core::WallMicros start_us() const { return base_us_; }

private:
    PlaybackBody() = default;

    std::filesystem::path data_dir_;
    std::vector<store::PlaybackPiece> pieces_;
    std::vector<std::uint8_t> init_;
    std::vector<std::uint32_t> timescales_;
    core::WallMicros base_us_ = 0;
    std::uint64_t size_ = 0;
    std::size_t next_piece_ = 0;
    bool init_sent_ = false;
    std::string open_path_;
    std::ifstream file_;
};

}  // namespace hearth::api
