// Streams recorded fragments of a time range as one fragmented MP4: the init
// segment, then each fragment read from its file (decrypted when the file is
// encrypted) with decode times shifted so the range starts at zero. Ready for
// browser MSE, and plays in ffmpeg/VLC.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "api/http.h"
#include "core/result.h"
#include "media/clip_render.h"
#include "media/segment_reader.h"
#include "store/index.h"

namespace hearth::api {

// Called (from the net thread) for a fragment that failed its integrity check and was
// left out of the stream.
using DamageReport = std::function<void(const store::PlaybackPiece& piece, const core::Error& why)>;

// Thread: net (one request). Reads files as it is pulled.
class PlaybackBody final : public BodySource {
public:
    // Stops before the first fragment whose file has a different init segment
    // (the camera changed codec or size); the client asks again from there.
    // Errors: kNotFound (no recording), kFailedPrecondition (the household key is locked),
    // kDataLoss (the range's first file is damaged).
    static core::Result<std::unique_ptr<PlaybackBody>> open(
        std::filesystem::path data_dir, std::vector<store::PlaybackPiece> pieces,
        media::KeyOpener opener, DamageReport on_damage = {});

    // Known up front: a damaged fragment is replaced by a 'free' box of its size.
    std::optional<std::uint64_t> size() const override { return size_; }
    std::vector<std::uint8_t> next() override;
    core::WallMicros start_us() const { return base_us_; }

private:
    PlaybackBody() = default;
    core::Result<const media::SegmentReader*> reader_for(const store::PlaybackPiece& piece);
    // The fragment's plaintext with its times shifted, or a filler of its size when damaged.
    std::vector<std::uint8_t> fragment(const store::PlaybackPiece& piece);

    std::filesystem::path data_dir_;
    media::KeyOpener opener_;
    DamageReport on_damage_;
    std::vector<store::PlaybackPiece> pieces_;
    std::vector<std::int64_t> plain_sizes_;  // per piece
    std::vector<std::uint8_t> init_;
    std::vector<std::uint32_t> timescales_;
    core::WallMicros base_us_ = 0;
    std::uint64_t size_ = 0;
    std::size_t next_piece_ = 0;
    bool init_sent_ = false;
    std::map<std::int64_t, media::SegmentReader> readers_;  // by segment id; a few per range
};

// A recorded range re-encoded as it streams (media/clip_render.h): the watermark burned in,
// faces blurred when asked. Chunked (the length is known only at the end); a failure cuts
// the response rather than sending a clip without its watermark or blur.
// Thread: net (one request); the renderer works on threads of its own.
class RenderedClipBody final : public BodySource {
public:
    static core::Result<std::unique_ptr<RenderedClipBody>> open(
        std::unique_ptr<PlaybackBody> source, media::ClipRenderOptions options);
    ~RenderedClipBody() override;

    std::optional<std::uint64_t> size() const override { return std::nullopt; }
    std::vector<std::uint8_t> next() override;
    void cancel() { renderer_->cancel(); }

private:
    RenderedClipBody() = default;
    std::shared_ptr<PlaybackBody> source_;  // pulled by the renderer's feeder thread
    std::unique_ptr<media::ClipRenderer> renderer_;
};

}  // namespace hearth::api
