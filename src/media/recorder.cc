#include "media/recorder.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>

#include "core/time_text.h"
#include "crypto/chunk_cipher.h"
#include "media/fmp4_reader.h"
#include "media/fmp4_writer.h"

namespace hearth::media {
namespace {

std::string day_folder(core::WallMicros us) {
    const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

bool write_all(int fd, const std::uint8_t* data, std::size_t size, int* err) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            *err = errno;
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

Recorder::Recorder(core::CameraId camera, store::Index& index, std::filesystem::path data_dir,
                   const core::Clock& clock, RecorderOptions options, EventCallback events)
    : camera_(camera),
      index_(index),
      data_dir_(std::move(data_dir)),
      clock_(clock),
      options_(options),
      events_(std::move(events)) {}

Recorder::~Recorder() { stop(); }

void Recorder::start() {
    {
        std::lock_guard lock(mu_);
        stopping_ = false;
    }
    writer_ = std::thread([this] { run(); });
}

void Recorder::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) {
        writer_.join();
    }
}

void Recorder::on_tracks(const std::vector<TrackInfo>& tracks) noexcept {
    {
        std::lock_guard lock(mu_);
        queue_.emplace_back(tracks);
        dropping_ = false;
        queue_video_track_ = -1;
        for (std::size_t i = 0; i < tracks.size(); ++i) {
            if (is_video(tracks[i].codec)) {
                queue_video_track_ = static_cast<int>(i);
                break;
            }
        }
    }
    cv_.notify_one();
}

void Recorder::on_sample(const EncodedSample& sample) noexcept {
    {
        std::lock_guard lock(mu_);
        // A slow disk must never grow memory without bound: drop, then resume at a keyframe.
        const bool video_key = sample.keyframe && sample.track == queue_video_track_;
        if (dropping_ && !video_key) {
            stats_.dropped_samples++;
            return;
        }
        if (queue_.size() >= options_.queue_capacity) {
            dropping_ = true;
            stats_.dropped_samples++;
            return;
        }
        dropping_ = false;
        queue_.emplace_back(sample);
    }
    cv_.notify_one();
}

void Recorder::on_state(SourceState state, const std::string& detail) noexcept {
    {
        std::lock_guard lock(mu_);
        queue_.emplace_back(StateChange{state, detail});
    }
    cv_.notify_one();
}

void Recorder::run() {
    for (;;) {
        std::deque<Item> batch;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty() && stopping_) {
                break;
            }
            batch.swap(queue_);
        }
        for (auto& item : batch) {
            if (auto* tracks = std::get_if<std::vector<TrackInfo>>(&item)) {
                handle_tracks(std::move(*tracks));
            } else if (auto* sample = std::get_if<EncodedSample>(&item)) {
                handle_sample(std::move(*sample));
            } else {
                const auto& change = std::get<StateChange>(item);
                if (change.state == SourceState::kOnline) {
                    stats_.online = true;
                    offline_reported_ = false;
                    emit("camera.online", change.detail);
                } else if (change.state == SourceState::kOffline) {
                    // Whatever is pending still goes to disk; the next connection starts a new file.
                    flush_fragment();
                    close_segment();
                    // Once per outage: retries while offline are not news.
                    if (stats_.online.exchange(false) || !offline_reported_) {
                        emit("camera.offline", change.detail);
                    }
                    offline_reported_ = true;
                }
            }
        }
    }
    flush_fragment();
    close_segment();
}

void Recorder::handle_tracks(std::vector<TrackInfo> tracks) {
    flush_fragment();
    close_segment();
    tracks_ = std::move(tracks);
    video_track_ = -1;
    for (std::size_t i = 0; i < tracks_.size(); ++i) {
        if (is_video(tracks_[i].codec) && video_track_ < 0) {
            video_track_ = static_cast<int>(i);
        }
    }
    last_dts_.assign(tracks_.size(), -1);
    anchor_source_us_ = -1;
    sequence_ = 0;
}

void Recorder::handle_sample(EncodedSample s) {
    if (s.track < 0 || s.track >= static_cast<int>(tracks_.size()) || !s.data) {
        return;
    }
    // Map the source's running time onto the wall clock, anchored at the first sample.
    if (anchor_source_us_ < 0) {
        anchor_source_us_ = s.dts_us;
        anchor_wall_us_ = clock_.now_us();
    }
    const std::int64_t offset = anchor_wall_us_ - anchor_source_us_;
    s.dts_us += offset;
    s.pts_us += offset;
    auto& last = last_dts_[s.track];
    if (s.dts_us <= last) {
        const auto bump = last + 1 - s.dts_us;  // decode time must grow within a track
        s.dts_us += bump;
        s.pts_us += bump;
    }
    last = s.dts_us;

    const bool is_video_sample = s.track == video_track_;
    if (is_video_sample || video_track_ < 0) {
        const std::int64_t pending_us =
            pending_.empty() ? 0 : s.dts_us - pending_.front().dts_us;
        const bool key = s.keyframe;
        // 5% slack: a 1 s GOP at 15 fps adds up to 999,990 us after rounding.
        const std::int64_t target_us = options_.fragment_target.count() * 95 / 100;
        if ((key && pending_us >= target_us) ||
            pending_us >= options_.fragment_max.count()) {
            flush_fragment();
            if (key && fd_ >= 0 &&
                s.dts_us - segment_start_us_ >= options_.segment_target.count()) {
                close_segment();
            }
        }
        if (fd_ < 0 && pending_.empty()) {
            // A file starts with a keyframe; after an error wait before trying again.
            if (!key) {
                return;
            }
            if (failed_at_us_ != 0 &&
                clock_.now_us() - failed_at_us_ <
                    std::chrono::duration_cast<std::chrono::microseconds>(
                        options_.retry_after_error)
                        .count()) {
                return;
            }
            if (!open_segment(s.dts_us)) {
                return;
            }
        }
    } else if (fd_ < 0 && pending_.empty()) {
        return;  // audio before the first video keyframe of a file has nothing to lean on
    }
    pending_.push_back(std::move(s));
}

void Recorder::flush_fragment() {
    if (pending_.empty()) {
        return;
    }
    std::vector<EncodedSample> samples;
    samples.swap(pending_);
    if (fd_ < 0) {
        return;
    }
    fmp4::FragmentInfo info;
    auto built = fmp4::build_fragment(++sequence_, tracks_, samples, &info);
    if (!built) {
        spdlog::error("camera={} cannot build fragment: {}", camera_.value(),
                      built.error().message);
        return;
    }
    auto bytes = seal_chunk(std::move(*built), file_bytes_);
    if (!bytes) {
        fail("cannot encrypt recording: " + bytes.error().message);
        return;
    }
    int err = 0;
    if (!write_all(fd_, bytes->data(), bytes->size(), &err)) {
        // Leave the file as it was indexed: a torn fragment must not stay behind.
        (void)::ftruncate(fd_, file_bytes_);
        fail(std::string("cannot write recording: ") + std::strerror(err));
        return;
    }
    store::Fragment f;
    f.seq = sequence_;
    f.start_us = info.start_us;
    f.duration_us = info.duration_us;
    f.offset = file_bytes_;
    f.bytes = static_cast<std::int64_t>(bytes->size());
    f.keyframe = info.starts_with_keyframe;
    file_bytes_ += f.bytes;
    if (auto r = index_.add_fragment(segment_, f); !r) {
        if (r.error().code == core::ErrorCode::kNotFound) {
            // Deleted by the household while being written: its key is gone, so is the file;
            // recording goes on in a new file from the next keyframe.
            ::close(fd_);
            fd_ = -1;
            file_key_ = {};
            std::error_code ec;
            std::filesystem::remove(data_dir_ / segment_path_, ec);
            return;
        }
        fail("cannot index recording: " + r.error().message);
        return;
    }
    stats_.fragments++;
    stats_.bytes += f.bytes;
    stats_.last_written_us = f.start_us + f.duration_us;
    if (failed_at_us_ != 0) {
        failed_at_us_ = 0;
        emit("recording.resumed", "");
    }
}

core::Result<std::vector<std::uint8_t>> Recorder::seal_chunk(std::vector<std::uint8_t> plain,
                                                               std::int64_t offset) const {
    if (file_key_.empty()) {
        return plain;
    }
    return crypto::encrypt_chunk(file_key_, static_cast<std::uint64_t>(offset), plain);
}

bool Recorder::open_segment(core::WallMicros start_us) {
    auto built = fmp4::build_init_segment(tracks_);
    if (!built) {
        fail("cannot record this stream: " + built.error().message);
        return false;
    }
    std::vector<std::uint8_t> sealed_key;
    file_key_ = {};
    if (options_.household) {
        auto key = crypto::SecretBytes::random(crypto::kChunkKeyBytes);
        if (!key) {
            fail("cannot make a recording key: " + key.error().message);
            return false;
        }
        file_key_ = std::move(*key);
        sealed_key = crypto::seal_to(*options_.household, file_key_.view());
    }
    auto init = seal_chunk(std::move(*built), 0);
    if (!init) {
        fail("cannot encrypt recording: " + init.error().message);
        return false;
    }
    // O_EXCL: never truncate a file that may already be indexed; pick the next name instead.
    std::string rel;
    std::filesystem::path path;
    int fd = -1;
    for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
        rel = "recordings/" + std::to_string(camera_.value()) + "/" + day_folder(start_us) + "/" +
              std::to_string(start_us) + (attempt ? "-" + std::to_string(attempt) : "") +
              (file_key_.empty() ? ".mp4" : ".mp4.enc");
        path = data_dir_ / rel;
        std::error_code ec;
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) {
            fail("cannot create recording folder: " + ec.message());
            return false;
        }
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) {
            break;
        }
    }
    if (fd < 0) {
        fail(std::string("cannot create recording file: ") + std::strerror(errno));
        return false;
    }
    std::error_code ec;
    int err = 0;
    if (!write_all(fd, init->data(), init->size(), &err)) {
        ::close(fd);
        std::filesystem::remove(path, ec);
        fail(std::string("cannot write recording: ") + std::strerror(err));
        return false;
    }
    std::string codecs;
    for (const auto& t : tracks_) {
        codecs += (codecs.empty() ? "" : ",") + std::string(to_string(t.codec));
    }
    auto seg = index_.begin_segment(camera_, rel, start_us,
                                    static_cast<std::int64_t>(init->size()), codecs, sealed_key);
    if (!seg) {
        ::close(fd);
        std::filesystem::remove(path, ec);
        fail("cannot index recording: " + seg.error().message);
        return false;
    }
    fd_ = fd;
    segment_ = *seg;
    segment_path_ = rel;
    segment_start_us_ = start_us;
    file_bytes_ = static_cast<std::int64_t>(init->size());
    sequence_ = 0;
    stats_.segments++;
    return true;
}

void Recorder::close_segment() {
    if (fd_ < 0) {
        return;
    }
    ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
    file_key_ = {};  // wiped: only the household can open this file now
    if (auto r = index_.finish_segment(segment_); !r) {
        spdlog::warn("camera={} cannot close segment: {}", camera_.value(), r.error().message);
    }
}

void Recorder::fail(const std::string& what) {
    stats_.write_errors++;
    if (failed_at_us_ == 0) {
        // Log and report once per outage, not once per fragment.
        spdlog::error("camera={} recording paused: {}", camera_.value(), what);
        emit("recording.error", what);
    }
    failed_at_us_ = clock_.now_us();
    pending_.clear();
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
        file_key_ = {};
        (void)index_.truncate_segment(segment_, file_bytes_);
    }
}

void Recorder::emit(const std::string& kind, const std::string& detail) {
    store::Event e;
    e.camera = camera_;
    e.kind = kind;
    e.at_us = clock_.now_us();
    e.detail = detail;
    if (auto r = index_.add_event(e); !r) {
        spdlog::debug("camera={} event {} not stored: {}", camera_.value(), kind,
                      r.error().message);
    }
    if (events_) {
        events_(e);
    }
}

std::string ShredReport::describe() const {
    if (segments == 0) {
        return "nothing was recorded there";
    }
    char size[32];
    std::snprintf(size, sizeof size, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return std::to_string(segments) + (segments == 1 ? " file, " : " files, ") + size + ", " +
           core::format_time(first_us) + " to " + core::format_time(last_us) +
           (snapshots > 0 ? ", " + std::to_string(snapshots) + " event pictures" : "");
}

core::Result<ShredReport> shred_recordings(store::Index& index,
                                           const std::filesystem::path& data_dir,
                                           std::optional<core::CameraId> camera,
                                           core::WallMicros from_us, core::WallMicros to_us) {
    std::vector<std::string> snapshots;
    HEARTH_ASSIGN_OR_RETURN(auto gone, index.shred_segments(camera, from_us, to_us, &snapshots));
    ShredReport report;
    for (const auto& rel : snapshots) {
        std::error_code ec;
        if (rel.find("..") == std::string::npos && std::filesystem::remove(data_dir / rel, ec)) {
            ++report.snapshots;
        }
    }
    for (const auto& seg : gone) {
        report.first_us = report.segments == 0 ? seg.start_us : std::min(report.first_us, seg.start_us);
        report.last_us = std::max(report.last_us, seg.end_us);
        ++report.segments;
        report.bytes += seg.bytes;
        std::error_code ec;
        std::filesystem::remove(data_dir / seg.path, ec);
        if (ec) {
            ++report.files_left;
            spdlog::warn("deleted recording {}: its key is gone but the file stays: {}", seg.path,
                         ec.message());
        }
    }
    return report;
}

core::Result<std::vector<std::string>> recover_segments(store::Index& index,
                                                        const std::filesystem::path& data_dir) {
    HEARTH_ASSIGN_OR_RETURN(auto segments, index.incomplete_segments());
    std::vector<std::string> report;
    for (const auto& seg : segments) {
        const auto path = data_dir / seg.path;
        std::error_code ec;
        const auto size = std::filesystem::file_size(path, ec);
        std::uint64_t valid = 0;
        if (!ec && !seg.sealed_key.empty()) {
            // Encrypted: nothing can be parsed without the household key. Fragments are
            // written before they are indexed, so an indexed one is whole when the file
            // reaches its end; a torn one fails its authentication at playback.
            valid = size;
        } else if (!ec) {
            std::ifstream in(path, std::ios::binary);
            std::vector<std::uint8_t> bytes(size);
            in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
            bytes.resize(static_cast<std::size_t>(in.gcount()));
            auto scanned = fmp4::scan_fragments(bytes, &valid);
            if (!scanned) {
                valid = 0;
            }
        }
        // Keep what is both indexed and whole on disk; cut the rest from both.
        HEARTH_TRY(index.truncate_segment(seg.id, static_cast<std::int64_t>(valid)));
        auto frags = index.fragments(seg.id);
        std::int64_t keep = 0;
        if (frags && !frags->empty()) {
            keep = frags->back().offset + frags->back().bytes;
        }
        if (keep == 0) {
            std::filesystem::remove(path, ec);
            report.push_back(seg.path + ": nothing playable, removed");
        } else {
            std::filesystem::resize_file(path, static_cast<std::uintmax_t>(keep), ec);
            report.push_back(seg.path + ": kept " + std::to_string(frags->size()) +
                             " fragments (" + std::to_string(keep) + " of " +
                             std::to_string(ec ? 0 : size) + " bytes)");
        }
    }
    return report;
}

}  // namespace hearth::media
