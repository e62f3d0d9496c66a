#include "media/fmp4_reader.h"

#include <algorithm>
#include <limits>
#include <string>

#include "media/fmp4_writer.h"

namespace hearth::media::fmp4 {
namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr int kMaxDepth = 8;
constexpr std::uint32_t kMaxSamplesPerTrun = 1'000'000;
constexpr std::uint32_t kMaxTrackId = 256;  // far more than any camera has

constexpr std::uint32_t kTfhdBaseDataOffset = 0x000001;
constexpr std::uint32_t kTfhdSampleDescriptionIndex = 0x000002;
constexpr std::uint32_t kTfhdDefaultDuration = 0x000008;
constexpr std::uint32_t kTfhdDefaultSize = 0x000010;
constexpr std::uint32_t kTfhdDefaultFlags = 0x000020;
constexpr std::uint32_t kTfhdDefaultBaseIsMoof = 0x020000;
constexpr std::uint32_t kTrunDataOffset = 0x000001;
constexpr std::uint32_t kTrunFirstSampleFlags = 0x000004;
constexpr std::uint32_t kTrunDuration = 0x000100;
constexpr std::uint32_t kTrunSize = 0x000200;
constexpr std::uint32_t kTrunFlags = 0x000400;
constexpr std::uint32_t kTrunCompositionOffset = 0x000800;
constexpr std::uint32_t kSampleIsNonSync = 0x00010000;

constexpr std::uint32_t fourcc(const char (&s)[5]) {
    return std::uint32_t(std::uint8_t(s[0])) << 24 | std::uint32_t(std::uint8_t(s[1])) << 16 |
           std::uint32_t(std::uint8_t(s[2])) << 8 | std::uint32_t(std::uint8_t(s[3]));
}

std::string type_name(std::uint32_t type) {
    std::string s;
    for (int shift = 24; shift >= 0; shift -= 8) {
        char c = char((type >> shift) & 0xFF);
        s += (c >= 0x20 && c < 0x7F) ? c : '?';
    }
    return s;
}

core::Error invalid(std::string message) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "fmp4: " + std::move(message));
}

struct Box {
    std::uint32_t type = 0;
    std::uint64_t offset = 0;  // of the header, within the buffer
    std::uint64_t header = 0;
    std::uint64_t size = 0;  // header included

    std::uint64_t payload() const { return offset + header; }
    std::uint64_t end() const { return offset + size; }
    std::string name() const {
        return "'" + type_name(type) + "' at offset " + std::to_string(offset);
    }
};

core::Error malformed(const Box& box, const std::string& what) {
    return invalid("box " + box.name() + ": " + what);
}

std::uint32_t be32(Bytes b, std::uint64_t pos) {
    return std::uint32_t(b[pos]) << 24 | std::uint32_t(b[pos + 1]) << 16 |
           std::uint32_t(b[pos + 2]) << 8 | std::uint32_t(b[pos + 3]);
}

std::uint64_t be64(Bytes b, std::uint64_t pos) {
    return std::uint64_t(be32(b, pos)) << 32 | be32(b, pos + 4);
}

enum class HeaderResult : std::uint8_t { kInvalid = 0, kOk, kTruncated, kMalformed };

// Reads the box header at `pos`; the enclosing box (or the buffer) ends at `end`.
// kTruncated: the header or the box runs past `end`. kMalformed: a size smaller than its header.
HeaderResult read_box_header(Bytes bytes, std::uint64_t pos, std::uint64_t end, Box* box) {
    if (pos > end || end - pos < 8) {
        return HeaderResult::kTruncated;
    }
    box->offset = pos;
    box->type = be32(bytes, pos + 4);
    std::uint32_t size32 = be32(bytes, pos);
    if (size32 == 1) {
        if (end - pos < 16) {
            return HeaderResult::kTruncated;
        }
        box->header = 16;
        box->size = be64(bytes, pos + 8);
    } else if (size32 == 0) {
        box->header = 8;
        box->size = end - pos;  // extends to the end of its container
    } else {
        box->header = 8;
        box->size = size32;
    }
    if (box->size < box->header) {
        return HeaderResult::kMalformed;
    }
    return box->size > end - pos ? HeaderResult::kTruncated : HeaderResult::kOk;
}

// Calls fn(child) for each box inside `parent` starting at `begin`. Children must fit exactly.
template <typename Fn>
core::Status for_each_child(Bytes bytes, const Box& parent, std::uint64_t begin, int depth,
                            Fn&& fn) {
    if (depth > kMaxDepth) {
        return malformed(parent, "boxes nested deeper than " + std::to_string(kMaxDepth));
    }
    std::uint64_t pos = begin;
    while (pos < parent.end()) {
        Box child;
        switch (read_box_header(bytes, pos, parent.end(), &child)) {
            case HeaderResult::kOk:
                break;
            case HeaderResult::kTruncated:
                return malformed(parent, "child box at offset " + std::to_string(pos) +
                                             " runs past the end of its parent");
            default:
                return malformed(
                    parent, "child box at offset " + std::to_string(pos) + " has an invalid size");
        }
        HEARTH_TRY(fn(child));
        pos = child.end();
    }
    return {};
}

// Bounds-checked big-endian field reader over one box's payload.
class Cursor {
public:
    Cursor(Bytes bytes, const Box& box) : bytes_(bytes), box_(box), pos_(box.payload()) {}

    bool u8(std::uint8_t* v) {
        if (remaining() < 1) {
            return false;
        }
        *v = bytes_[pos_++];
        return true;
    }
    bool u32(std::uint32_t* v) {
        if (remaining() < 4) {
            return false;
        }
        *v = be32(bytes_, pos_);
        pos_ += 4;
        return true;
    }
    bool u64(std::uint64_t* v) {
        if (remaining() < 8) {
            return false;
        }
        *v = be64(bytes_, pos_);
        pos_ += 8;
        return true;
    }
    bool skip(std::uint64_t n) {
        if (remaining() < n) {
            return false;
        }
        pos_ += n;
        return true;
    }
    bool full_box(std::uint8_t* version, std::uint32_t* flags) {
        std::uint32_t v = 0;
        if (!u32(&v)) {
            return false;
        }
        *version = std::uint8_t(v >> 24);
        *flags = v & 0xFFFFFF;
        return true;
    }
    std::uint64_t pos() const { return pos_; }
    std::uint64_t remaining() const { return box_.end() - pos_; }
    core::Error truncated() const { return malformed(box_, "too short for its fields"); }

private:
    Bytes bytes_;
    const Box& box_;
    std::uint64_t pos_;
};

struct TrackDefaults {  // from trex
    std::uint32_t duration = 0;
    std::uint32_t size = 0;
    std::uint32_t flags = 0;
};

struct Init {
    InitInfo info;
    std::vector<TrackDefaults> defaults;  // per track_ID - 1
};

core::Status check_track_id(const Box& box, std::uint32_t track_id) {
    if (track_id == 0 || track_id > kMaxTrackId) {
        return malformed(box, "track_ID " + std::to_string(track_id) + " is out of range 1.." +
                                  std::to_string(kMaxTrackId));
    }
    return {};
}

struct TrakInfo {
    std::uint32_t track_id = 0;
    std::uint32_t timescale = 0;
    TrackKind kind = TrackKind::kInvalid;
};

core::Status parse_mdia(Bytes bytes, const Box& mdia, int depth, TrakInfo* trak) {
    return for_each_child(bytes, mdia, mdia.payload(), depth, [&](const Box& box) -> core::Status {
        Cursor c(bytes, box);
        std::uint8_t version = 0;
        std::uint32_t flags = 0;
        if (box.type == fourcc("mdhd")) {
            if (!c.full_box(&version, &flags) || !c.skip(version == 1 ? 16 : 8) ||
                !c.u32(&trak->timescale)) {
                return c.truncated();
            }
            if (trak->timescale == 0) {
                return malformed(box, "timescale is zero");
            }
        } else if (box.type == fourcc("hdlr")) {
            std::uint32_t handler = 0;
            if (!c.full_box(&version, &flags) || !c.skip(4) || !c.u32(&handler)) {
                return c.truncated();
            }
            trak->kind = handler == fourcc("vide")   ? TrackKind::kVideo
                         : handler == fourcc("soun") ? TrackKind::kAudio
                                                     : TrackKind::kOther;
        }
        return {};
    });
}

core::Status parse_trak(Bytes bytes, const Box& trak_box, int depth, TrakInfo* trak) {
    HEARTH_TRY(for_each_child(
        bytes, trak_box, trak_box.payload(), depth, [&](const Box& box) -> core::Status {
            if (box.type == fourcc("tkhd")) {
                Cursor c(bytes, box);
                std::uint8_t version = 0;
                std::uint32_t flags = 0;
                if (!c.full_box(&version, &flags) || !c.skip(version == 1 ? 16 : 8) ||
                    !c.u32(&trak->track_id)) {
                    return c.truncated();
                }
                return check_track_id(box, trak->track_id);
            }
            if (box.type == fourcc("mdia")) {
                return parse_mdia(bytes, box, depth + 1, trak);
            }
            return {};
        }));
    if (trak->track_id == 0) {
        return malformed(trak_box, "trak without tkhd");
    }
    if (trak->timescale == 0) {
        return malformed(trak_box, "trak without mdhd");
    }
    return {};
}

core::Status parse_moov(Bytes bytes, const Box& moov, Init* init) {
    std::vector<TrakInfo> traks;
    std::vector<std::pair<std::uint32_t, TrackDefaults>> trexes;
    HEARTH_TRY(for_each_child(bytes, moov, moov.payload(), 2, [&](const Box& box) -> core::Status {
        if (box.type == fourcc("trak")) {
            if (traks.size() >= kMaxTrackId) {
                return malformed(moov, "too many tracks");
            }
            TrakInfo trak;
            HEARTH_TRY(parse_trak(bytes, box, 3, &trak));
            traks.push_back(trak);
        } else if (box.type == fourcc("mvex")) {
            return for_each_child(bytes, box, box.payload(), 3,
                                  [&](const Box& trex) -> core::Status {
                                      if (trex.type != fourcc("trex")) {
                                          return {};
                                      }
                                      Cursor c(bytes, trex);
                                      std::uint8_t version = 0;
                                      std::uint32_t flags = 0;
                                      std::uint32_t track_id = 0;
                                      std::uint32_t description = 0;
                                      TrackDefaults d;
                                      if (!c.full_box(&version, &flags) || !c.u32(&track_id) ||
                                          !c.u32(&description) || !c.u32(&d.duration) ||
                                          !c.u32(&d.size) || !c.u32(&d.flags)) {
                                          return c.truncated();
                                      }
                                      HEARTH_TRY(check_track_id(trex, track_id));
                                      if (trexes.size() >= kMaxTrackId) {
                                          return malformed(box, "too many trex boxes");
                                      }
                                      trexes.emplace_back(track_id, d);
                                      return {};
                                  });
        }
        return {};
    }));
    if (traks.empty()) {
        return malformed(moov, "no tracks");
    }
    std::uint32_t max_id = 0;
    for (const TrakInfo& t : traks) {
        max_id = std::max(max_id, t.track_id);
    }
    InitInfo& info = init->info;
    info.timescales.assign(max_id, 0);
    info.kinds.assign(max_id, TrackKind::kInvalid);
    init->defaults.assign(max_id, TrackDefaults{});
    for (const TrakInfo& t : traks) {
        if (info.timescales[t.track_id - 1] != 0) {
            return malformed(moov, "two tracks with track_ID " + std::to_string(t.track_id));
        }
        info.timescales[t.track_id - 1] = t.timescale;
        info.kinds[t.track_id - 1] = t.kind == TrackKind::kInvalid ? TrackKind::kOther : t.kind;
    }
    for (const auto& [track_id, d] : trexes) {
        if (track_id <= max_id) {
            init->defaults[track_id - 1] = d;
        }
    }
    return {};
}

core::Result<Init> parse_init(Bytes bytes) {
    Box box;
    switch (read_box_header(bytes, 0, bytes.size(), &box)) {
        case HeaderResult::kOk:
            break;
        case HeaderResult::kTruncated:
            if (bytes.size() >= 8 && be32(bytes, 4) != fourcc("ftyp")) {
                break;  // report the wrong type below rather than a truncation
            }
            return invalid("init segment is truncated (" + std::to_string(bytes.size()) +
                           " bytes, no complete ftyp)");
        default:
            return invalid("not an ISO BMFF file: first box has an invalid size");
    }
    if (bytes.size() >= 8 && be32(bytes, 4) != fourcc("ftyp")) {
        return invalid("not an ISO BMFF file: first box is '" + type_name(be32(bytes, 4)) +
                       "', not 'ftyp'");
    }
    std::uint64_t pos = box.end();
    while (true) {
        switch (read_box_header(bytes, pos, bytes.size(), &box)) {
            case HeaderResult::kOk:
                break;
            case HeaderResult::kTruncated:
                return invalid("init segment is truncated: no complete moov (" +
                               std::to_string(bytes.size()) + " bytes)");
            default:
                return invalid("box at offset " + std::to_string(pos) + " has an invalid size");
        }
        if (box.type == fourcc("moov")) {
            Init init;
            HEARTH_TRY(parse_moov(bytes, box, &init));
            init.info.size = box.end();
            return init;
        }
        if (box.type == fourcc("moof") || box.type == fourcc("mdat")) {
            return invalid("box " + box.name() + " comes before any moov");
        }
        pos = box.end();
    }
}

struct TrafSummary {
    std::uint32_t track_id = 0;
    bool has_tfdt = false;
    std::uint8_t tfdt_version = 0;
    std::uint64_t tfdt_pos = 0;  // of the time field
    std::uint64_t decode_time = 0;
    std::uint64_t duration = 0;  // track units
    std::uint64_t sample_count = 0;
    std::uint32_t first_sample_flags = 0;
};

struct MoofSummary {
    std::uint32_t sequence = 0;
    std::vector<TrafSummary> trafs;
};

bool add_checked(std::uint64_t* sum, std::uint64_t v) {
    return !__builtin_add_overflow(*sum, v, sum);
}

// What parse_traf needs besides the bytes. `defaults` may be empty (trex unknown).
struct MoofContext {
    const Box* moof = nullptr;
    const Box* mdat = nullptr;
    const std::vector<TrackDefaults>* defaults = nullptr;
    // False when `bytes` is not the whole file, so tfhd base_data_offset cannot be checked.
    bool absolute_offsets = true;
};

// Sums one trun; its data starts at base + data_offset, or at *data_pos (the end of the previous
// run's data, or the base for the first run) when it has no data_offset. *data_pos is set to the
// end of this run's data.
core::Status parse_trun(Bytes bytes, const Box& box, const TrackDefaults& d, std::int64_t base,
                        bool check_data, const MoofContext& ctx, TrafSummary* traf,
                        std::int64_t* data_pos) {
    Cursor c(bytes, box);
    std::uint8_t version = 0;
    std::uint32_t flags = 0;
    std::uint32_t count = 0;
    if (!c.full_box(&version, &flags) || !c.u32(&count)) {
        return c.truncated();
    }
    if (count > kMaxSamplesPerTrun) {
        return malformed(box, std::to_string(count) + " samples exceed the limit of " +
                                  std::to_string(kMaxSamplesPerTrun));
    }
    std::uint32_t data_offset = 0;
    std::uint32_t first_flags = d.flags;
    if ((flags & kTrunDataOffset) != 0 && !c.u32(&data_offset)) {
        return c.truncated();
    }
    bool has_first_flags = (flags & kTrunFirstSampleFlags) != 0;
    if (has_first_flags && !c.u32(&first_flags)) {
        return c.truncated();
    }
    std::uint64_t entry_size = 0;
    for (std::uint32_t f : {kTrunDuration, kTrunSize, kTrunFlags, kTrunCompositionOffset}) {
        entry_size += (flags & f) != 0 ? 4 : 0;
    }
    if (entry_size * count > c.remaining()) {
        return malformed(box, std::to_string(count) + " samples need " +
                                  std::to_string(entry_size * count) + " bytes but only " +
                                  std::to_string(c.remaining()) + " remain");
    }

    std::uint64_t duration = 0;
    std::uint64_t data_size = 0;
    if (entry_size == 0) {
        // Everything comes from defaults: no need to walk up to a million empty entries.
        duration = std::uint64_t(d.duration) * count;
        data_size = std::uint64_t(d.size) * count;
    } else {
        for (std::uint32_t i = 0; i < count; ++i) {
            std::uint32_t v = 0;
            std::uint32_t sample_duration = d.duration;
            std::uint32_t sample_size = d.size;
            std::uint32_t sample_flags = d.flags;
            if ((flags & kTrunDuration) != 0) {
                c.u32(&sample_duration);  // lengths were checked above
            }
            if ((flags & kTrunSize) != 0) {
                c.u32(&sample_size);
            }
            if ((flags & kTrunFlags) != 0) {
                c.u32(&sample_flags);
            }
            if ((flags & kTrunCompositionOffset) != 0) {
                c.u32(&v);
            }
            if (i == 0 && !has_first_flags) {
                first_flags = sample_flags;
            }
            duration += sample_duration;  // at most 1e6 * 2^32: cannot overflow
            data_size += sample_size;
        }
    }
    if (count > 0 && traf->sample_count == 0) {
        traf->first_sample_flags = first_flags;
    }
    traf->sample_count += count;
    if (!add_checked(&traf->duration, duration)) {
        return malformed(box, "total duration overflows");
    }

    std::int64_t start =
        (flags & kTrunDataOffset) != 0 ? base + std::int32_t(data_offset) : *data_pos;
    if (start < 0) {
        return malformed(box, "sample data starts before the file");
    }
    if (check_data && ctx.mdat != nullptr) {
        const Box& mdat = *ctx.mdat;
        if (std::uint64_t(start) < mdat.payload() || std::uint64_t(start) > mdat.end() ||
            data_size > mdat.end() - std::uint64_t(start)) {
            return malformed(box, "sample data [" + std::to_string(start) + ", +" +
                                      std::to_string(data_size) + ") is outside the mdat " +
                                      mdat.name());
        }
    }
    if (data_size > std::uint64_t(std::numeric_limits<std::int64_t>::max() - start)) {
        return malformed(box, "sample data size overflows");
    }
    *data_pos = start + std::int64_t(data_size);
    return {};
}

core::Status parse_traf(Bytes bytes, const Box& traf_box, const MoofContext& ctx,
                        std::int64_t* next_data, bool first_traf, TrafSummary* traf) {
    bool has_tfhd = false;
    std::uint32_t tfhd_flags = 0;
    std::uint64_t base_data_offset = 0;
    TrackDefaults d;
    std::vector<Box> truns;
    HEARTH_TRY(
        for_each_child(bytes, traf_box, traf_box.payload(), 3, [&](const Box& box) -> core::Status {
            Cursor c(bytes, box);
            std::uint8_t version = 0;
            std::uint32_t flags = 0;
            if (box.type == fourcc("tfhd")) {
                if (has_tfhd) {
                    return malformed(traf_box, "two tfhd boxes");
                }
                has_tfhd = true;
                if (!c.full_box(&version, &tfhd_flags) || !c.u32(&traf->track_id)) {
                    return c.truncated();
                }
                HEARTH_TRY(check_track_id(box, traf->track_id));
                std::size_t id = traf->track_id - 1;
                if (ctx.defaults != nullptr && id < ctx.defaults->size()) {
                    d = (*ctx.defaults)[id];
                }
                std::uint32_t unused = 0;
                if (((tfhd_flags & kTfhdBaseDataOffset) != 0 && !c.u64(&base_data_offset)) ||
                    ((tfhd_flags & kTfhdSampleDescriptionIndex) != 0 && !c.u32(&unused)) ||
                    ((tfhd_flags & kTfhdDefaultDuration) != 0 && !c.u32(&d.duration)) ||
                    ((tfhd_flags & kTfhdDefaultSize) != 0 && !c.u32(&d.size)) ||
                    ((tfhd_flags & kTfhdDefaultFlags) != 0 && !c.u32(&d.flags))) {
                    return c.truncated();
                }
            } else if (box.type == fourcc("tfdt")) {
                if (traf->has_tfdt) {
                    return malformed(traf_box, "two tfdt boxes");
                }
                if (!c.full_box(&version, &flags)) {
                    return c.truncated();
                }
                traf->has_tfdt = true;
                traf->tfdt_version = version;
                traf->tfdt_pos = c.pos();
                std::uint32_t t32 = 0;
                if (version == 1 ? !c.u64(&traf->decode_time) : !c.u32(&t32)) {
                    return c.truncated();
                }
                if (version != 1) {
                    traf->decode_time = t32;
                }
            } else if (box.type == fourcc("trun")) {
                truns.push_back(box);
            }
            return {};
        }));
    if (!has_tfhd) {
        return malformed(traf_box, "traf without tfhd");
    }

    // Where this traf's sample data starts (ISO/IEC 14496-12 8.8.7.1).
    bool check_data = true;
    std::int64_t base = 0;
    if ((tfhd_flags & kTfhdBaseDataOffset) != 0) {
        check_data = ctx.absolute_offsets;
        if (base_data_offset > std::uint64_t(std::numeric_limits<std::int64_t>::max() / 2)) {
            return malformed(traf_box, "base_data_offset is out of range");
        }
        base = std::int64_t(base_data_offset);
    } else if ((tfhd_flags & kTfhdDefaultBaseIsMoof) != 0 || first_traf) {
        base = std::int64_t(ctx.moof->offset);
    } else {
        base = *next_data;
    }
    std::int64_t data_pos = base;
    for (const Box& trun : truns) {
        HEARTH_TRY(parse_trun(bytes, trun, d, base, check_data, ctx, traf, &data_pos));
    }
    *next_data = data_pos;
    return {};
}

core::Result<MoofSummary> parse_moof(Bytes bytes, const MoofContext& ctx) {
    const Box& moof = *ctx.moof;
    MoofSummary summary;
    bool has_mfhd = false;
    std::int64_t next_data = std::int64_t(moof.offset);
    HEARTH_TRY(for_each_child(bytes, moof, moof.payload(), 2, [&](const Box& box) -> core::Status {
        if (box.type == fourcc("mfhd")) {
            Cursor c(bytes, box);
            std::uint8_t version = 0;
            std::uint32_t flags = 0;
            if (!c.full_box(&version, &flags) || !c.u32(&summary.sequence)) {
                return c.truncated();
            }
            has_mfhd = true;
        } else if (box.type == fourcc("traf")) {
            if (summary.trafs.size() >= kMaxTrackId) {
                return malformed(moof, "too many traf boxes");
            }
            TrafSummary traf;
            HEARTH_TRY(parse_traf(bytes, box, ctx, &next_data, summary.trafs.empty(), &traf));
            summary.trafs.push_back(traf);
        }
        return {};
    }));
    if (!has_mfhd) {
        return malformed(moof, "moof without mfhd");
    }
    if (summary.trafs.empty()) {
        return malformed(moof, "moof without traf");
    }
    return summary;
}

core::Result<std::int64_t> traf_time_us(const Box& moof, const TrafSummary& traf,
                                        std::uint32_t timescale, std::uint64_t units) {
    if (units > std::uint64_t(std::numeric_limits<std::int64_t>::max())) {
        return malformed(
            moof, "decode time of track " + std::to_string(traf.track_id) + " is out of range");
    }
    auto us = to_microseconds(std::int64_t(units), timescale);
    if (!us) {
        return malformed(
            moof, "decode time of track " + std::to_string(traf.track_id) + " is out of range");
    }
    return *us;
}

core::Result<std::uint32_t> timescale_of(const Box& moof,
                                         const std::vector<std::uint32_t>& timescales,
                                         std::uint32_t track_id) {
    if (track_id == 0 || track_id > timescales.size() || timescales[track_id - 1] == 0) {
        return malformed(moof, "traf for unknown track_ID " + std::to_string(track_id));
    }
    return timescales[track_id - 1];
}

core::Result<FragmentLocation> locate(Bytes file, const Init& init, const Box& moof,
                                      const Box& mdat) {
    MoofContext ctx{&moof, &mdat, &init.defaults, true};
    HEARTH_ASSIGN_OR_RETURN(MoofSummary summary, parse_moof(file, ctx));
    const InitInfo& info = init.info;
    FragmentLocation loc;
    loc.offset = moof.offset;
    loc.size = mdat.end() - moof.offset;
    loc.sequence = summary.sequence;
    loc.earliest_us = std::numeric_limits<std::int64_t>::max();
    const TrafSummary* timing = nullptr;
    for (const TrafSummary& traf : summary.trafs) {
        HEARTH_ASSIGN_OR_RETURN(std::uint32_t timescale,
                                timescale_of(moof, info.timescales, traf.track_id));
        if (!traf.has_tfdt) {
            return malformed(moof,
                             "traf for track " + std::to_string(traf.track_id) + " has no tfdt");
        }
        HEARTH_ASSIGN_OR_RETURN(std::int64_t start,
                                traf_time_us(moof, traf, timescale, traf.decode_time));
        loc.earliest_us = std::min(loc.earliest_us, start);
        if (timing == nullptr && info.kinds[traf.track_id - 1] == TrackKind::kVideo) {
            timing = &traf;
        }
    }
    bool has_video_track =
        std::find(info.kinds.begin(), info.kinds.end(), TrackKind::kVideo) != info.kinds.end();
    loc.starts_with_keyframe =
        !has_video_track || (timing != nullptr && timing->sample_count > 0 &&
                             (timing->first_sample_flags & kSampleIsNonSync) == 0);
    if (timing == nullptr) {
        timing = &summary.trafs.front();
    }
    std::uint32_t timescale = info.timescales[timing->track_id - 1];
    std::uint64_t end = timing->decode_time;
    if (!add_checked(&end, timing->duration)) {
        return malformed(moof, "fragment end time overflows");
    }
    HEARTH_ASSIGN_OR_RETURN(loc.start_us,
                            traf_time_us(moof, *timing, timescale, timing->decode_time));
    HEARTH_ASSIGN_OR_RETURN(std::int64_t end_us, traf_time_us(moof, *timing, timescale, end));
    loc.duration_us = end_us - loc.start_us;
    return loc;
}

bool all_zero(Bytes bytes, std::uint64_t from) {
    return std::all_of(bytes.begin() + std::ptrdiff_t(from), bytes.end(),
                       [](std::uint8_t b) { return b == 0; });
}

}  // namespace

core::Result<InitInfo> parse_init_segment(std::span<const std::uint8_t> bytes) {
    HEARTH_ASSIGN_OR_RETURN(Init init, parse_init(bytes));
    return std::move(init.info);
}

core::Result<std::vector<FragmentLocation>> scan_fragments(std::span<const std::uint8_t> file,
                                                           std::uint64_t* valid_bytes) {
    HEARTH_ASSIGN_OR_RETURN(Init init, parse_init(file));
    std::vector<FragmentLocation> fragments;
    std::uint64_t pos = init.info.size;
    std::uint64_t valid = pos;
    while (pos < file.size()) {
        Box box;
        HeaderResult header = read_box_header(file, pos, file.size(), &box);
        if (header == HeaderResult::kTruncated) {
            break;  // torn write at the end
        }
        if (header == HeaderResult::kMalformed || box.type == 0) {
            if (all_zero(file, pos)) {
                break;  // space the file system allocated but the crash never filled
            }
            return invalid("box at offset " + std::to_string(pos) + " has an invalid header");
        }
        if (box.type == fourcc("moof")) {
            Box mdat;
            HeaderResult mdat_header = read_box_header(file, box.end(), file.size(), &mdat);
            if (mdat_header == HeaderResult::kTruncated) {
                break;
            }
            if (mdat_header != HeaderResult::kOk || mdat.type != fourcc("mdat")) {
                if (all_zero(file, box.end())) {
                    break;
                }
                return invalid("box " + box.name() + " is not followed by an mdat");
            }
            HEARTH_ASSIGN_OR_RETURN(FragmentLocation loc, locate(file, init, box, mdat));
            fragments.push_back(loc);
            pos = mdat.end();
            valid = pos;
        } else if (box.type == fourcc("mdat") || box.type == fourcc("moov") ||
                   box.type == fourcc("ftyp")) {
            return invalid("unexpected box " + box.name() + " between fragments");
        } else {
            pos = box.end();
        }
    }
    if (valid_bytes != nullptr) {
        *valid_bytes = valid;
    }
    return fragments;
}

core::Status shift_decode_times(std::span<std::uint8_t> fragment,
                                const std::vector<std::uint32_t>& timescales,
                                std::int64_t shift_us) {
    Bytes bytes(fragment.data(), fragment.size());
    Box moof;
    Box mdat;
    if (read_box_header(bytes, 0, bytes.size(), &moof) != HeaderResult::kOk ||
        moof.type != fourcc("moof")) {
        return invalid("fragment does not start with a complete moof box");
    }
    if (read_box_header(bytes, moof.end(), bytes.size(), &mdat) != HeaderResult::kOk ||
        mdat.type != fourcc("mdat")) {
        return invalid("moof is not followed by a complete mdat box");
    }
    MoofContext ctx{&moof, &mdat, nullptr, false};
    HEARTH_ASSIGN_OR_RETURN(MoofSummary summary, parse_moof(bytes, ctx));

    // Validate every traf before touching any byte.
    std::vector<std::uint64_t> new_times;
    for (const TrafSummary& traf : summary.trafs) {
        HEARTH_ASSIGN_OR_RETURN(std::uint32_t timescale,
                                timescale_of(moof, timescales, traf.track_id));
        if (!traf.has_tfdt) {
            return malformed(moof,
                             "traf for track " + std::to_string(traf.track_id) + " has no tfdt");
        }
        auto shift = to_track_units(shift_us, timescale);
        if (!shift) {
            return invalid("shift of " + std::to_string(shift_us) + " us is out of range");
        }
        std::string track = "track " + std::to_string(traf.track_id);
        if (traf.decode_time > std::uint64_t(std::numeric_limits<std::int64_t>::max())) {
            return malformed(moof, "decode time of " + track + " is out of range");
        }
        std::int64_t shifted = 0;
        if (__builtin_sub_overflow(std::int64_t(traf.decode_time), *shift, &shifted) ||
            shifted < 0) {
            return malformed(moof, "shifting " + track + " by " + std::to_string(shift_us) +
                                       " us would make its decode time negative or overflow");
        }
        if (traf.tfdt_version != 1 && shifted > std::numeric_limits<std::uint32_t>::max()) {
            return malformed(moof,
                             "shifted decode time of " + track + " does not fit a version 0 tfdt");
        }
        new_times.push_back(std::uint64_t(shifted));
    }
    for (std::size_t i = 0; i < summary.trafs.size(); ++i) {
        const TrafSummary& traf = summary.trafs[i];
        int bytes_to_write = traf.tfdt_version == 1 ? 8 : 4;
        for (int b = 0; b < bytes_to_write; ++b) {
            fragment[traf.tfdt_pos + std::uint64_t(b)] =
                std::uint8_t(new_times[i] >> (8 * (bytes_to_write - 1 - b)));
        }
    }
    return {};
}

}  // namespace hearth::media::fmp4
