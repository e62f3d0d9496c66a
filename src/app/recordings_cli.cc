#include "app/recordings_cli.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <limits>

#include "api/playback.h"
#include "app/cli_support.h"
#include "core/time_text.h"
#include "crypto/password.h"
#include "crypto/recovery_words.h"
#include "media/fmp4_reader.h"
#include "media/recorder.h"

namespace hearth::app {
namespace {

using core::ErrorCode;
using core::make_error;

core::Result<crypto::SecretBytes> read_secret(const char* prompt, bool from_pipe) {
    if (::isatty(STDIN_FILENO) == 0 && !from_pipe) {
        return make_error(ErrorCode::kInvalidArgument,
                          "standard input is not a terminal: pass --stdin to read from it");
    }
    return read_line_secret(prompt);
}

// Proves `name`'s passphrase and opens the household key with it.
core::Result<store::User> unlock(Opened& o, const std::string& name, bool from_pipe) {
    HEARTH_ASSIGN_OR_RETURN(auto user, o.store->find_user(name));
    HEARTH_ASSIGN_OR_RETURN(auto pw, read_secret("Passphrase: ", from_pipe));
    HEARTH_ASSIGN_OR_RETURN(const bool ok, crypto::verify_password(user.password_hash, pw));
    if (!ok) {
        return make_error(ErrorCode::kPermissionDenied, "wrong passphrase");
    }
    HEARTH_TRY(o.household->on_passphrase_proven(user.id, user.role == "owner", pw));
    return user;
}

media::KeyOpener opener_of(const Opened& o) {
    return [keys = o.household.get()](std::span<const std::uint8_t> sealed) {
        return keys->open_sealed(sealed);
    };
}

int run_recover(const RecordingCommands& c, Opened& o) {
    auto words = read_secret("Recovery key (24 words): ", c.stdin_secrets);
    if (!words) {
        return fail(words.error());
    }
    auto key = crypto::recovery_key_from_words(
        std::string_view(reinterpret_cast<const char*>(words->data()), words->size()));
    if (!key) {
        return fail(key.error());
    }
    auto pw = read_new_passphrase(c.stdin_secrets);
    if (!pw) {
        return fail(pw.error());
    }
    if (auto r = o.accounts->recover(c.user, *key, *pw, kLocal); !r) {
        return fail(r.error());
    }
    std::printf("new passphrase set for %s; the recordings open with it\n", c.user.c_str());
    return 0;
}

int run_verify(const RecordingCommands& c, Opened& o) {
    auto user = unlock(o, c.user, c.stdin_secrets);
    if (!user) {
        return fail(user.error());
    }
    auto cameras = o.index->list_cameras();
    if (!cameras) {
        return fail(cameras.error());
    }
    const auto opener = opener_of(o);
    long long segments = 0, encrypted = 0, fragments = 0, damaged = 0;
    for (const auto& cam : *cameras) {
        auto segs = o.index->segments(cam.id, 0, INT64_MAX, INT32_MAX);
        if (!segs) {
            return fail(segs.error());
        }
        for (const auto& seg : *segs) {
            ++segments;
            encrypted += seg.sealed_key.empty() ? 0 : 1;
            auto frags = o.index->fragments(seg.id);
            auto reader = media::SegmentReader::open(o.index_dir / seg.path, seg.sealed_key,
                                                     opener);
            auto init = reader ? reader->read(0, seg.init_bytes)
                               : core::Result<std::vector<std::uint8_t>>(reader.error());
            if (!frags || !init || !media::fmp4::parse_init_segment(*init)) {
                std::printf("DAMAGED %s: %s\n", seg.path.c_str(),
                            !frags ? frags.error().message.c_str()
                            : !init ? init.error().message.c_str()
                                    : "the init segment does not parse");
                ++damaged;
                continue;
            }
            for (const auto& f : *frags) {
                ++fragments;
                auto bytes = reader->read(f.offset, f.bytes);
                std::vector<std::uint8_t> whole;
                if (bytes) {
                    whole = *init;
                    whole.insert(whole.end(), bytes->begin(), bytes->end());
                }
                auto scanned = bytes ? media::fmp4::scan_fragments(whole)
                                     : core::Result<std::vector<media::fmp4::FragmentLocation>>(
                                           bytes.error());
                if (!scanned || scanned->size() != 1) {
                    ++damaged;
                    std::printf("DAMAGED %s fragment %lld at %s: %s\n", seg.path.c_str(),
                                static_cast<long long>(f.seq),
                                core::format_time(f.start_us).c_str(),
                                scanned ? "not one whole fragment"
                                        : scanned.error().message.c_str());
                }
            }
        }
    }
    std::printf("%lld segments (%lld encrypted), %lld fragments, %lld damaged\n", segments,
                encrypted, fragments, damaged);
    return damaged == 0 ? 0 : 1;
}

int run_export(const RecordingCommands& c, Opened& o) {
    auto camera = o.index->find_camera(c.camera);
    auto start = core::parse_time(c.start);
    auto end = core::parse_time(c.end);
    if (!camera || !start || !end) {
        return fail(!camera ? camera.error() : !start ? start.error() : end.error());
    }
    if (*end <= *start || *end - *start > 24LL * 3600 * 1'000'000) {
        return fail(make_error(ErrorCode::kInvalidArgument,
                               "--end must be after --start, at most 24 hours later"));
    }
    auto user = unlock(o, c.user, c.stdin_secrets);
    if (!user) {
        return fail(user.error());
    }
    auto pieces = o.index->playback(camera->id, *start, *end);
    if (!pieces) {
        return fail(pieces.error());
    }
    auto body = api::PlaybackBody::open(o.index_dir, std::move(*pieces), opener_of(o));
    if (!body) {
        return fail(body.error());
    }
    // Logged before a byte leaves, like a download through the app.
    store::AuditEntry entry;
    entry.at_us = o.clock.now_us();
    entry.actor = user->name;
    entry.action = "recording.export";
    entry.target = "camera " + std::to_string(camera->id.value()) + " " +
                   core::format_time(*start) + " to " + core::format_time(*end);
    entry.source = cli_actor();
    if (auto r = o.audit->append(std::move(entry)); !r) {
        return fail(r.error());
    }
    const int fd = ::open(c.out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return fail(make_error(ErrorCode::kUnavailable,
                               "cannot create " + c.out + " (it must not exist yet)"));
    }
    std::uint64_t written = 0;
    try {
        for (auto chunk = (*body)->next(); !chunk.empty(); chunk = (*body)->next()) {
            if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) {
                throw std::runtime_error("cannot write " + c.out);
            }
            written += chunk.size();
        }
    } catch (const std::exception& e) {
        ::close(fd);
        ::unlink(c.out.c_str());
        return fail(make_error(ErrorCode::kUnavailable, e.what()));
    }
    ::close(fd);
    std::printf("exported %llu bytes of %s from %s to %s\n",
                static_cast<unsigned long long>(written), camera->name.c_str(),
                core::format_time((*body)->start_us()).c_str(), c.out.c_str());
    return 0;
}

bool confirmed(const RecordingCommands& c, const std::string& what) {
    if (c.yes) {
        return true;
    }
    if (::isatty(STDIN_FILENO) == 0) {
        std::fprintf(stderr, "hearth: this destroys %s for good; pass --yes to confirm\n",
                     what.c_str());
        return false;
    }
    std::fprintf(stderr, "This destroys %s for good. Type yes to go on: ", what.c_str());
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "yes";
}

int run_delete(const RecordingCommands& c, Opened& o) {
    std::optional<core::CameraId> camera;
    if (!c.camera.empty()) {
        auto found = o.index->find_camera(c.camera);
        if (!found) {
            return fail(found.error());
        }
        camera = found->id;
    }
    core::WallMicros from = std::numeric_limits<std::int64_t>::min();
    core::WallMicros to = std::numeric_limits<std::int64_t>::max();
    if (!c.all) {
        auto start = core::parse_time(c.start);
        auto end = core::parse_time(c.end);
        if (c.start.empty() || c.end.empty() || !start || !end || *end <= *start) {
            return fail(make_error(ErrorCode::kInvalidArgument,
                                   "give --start and --end (end after start), or --all"));
        }
        from = *start;
        to = *end;
    }
    const std::string what =
        (camera ? "the recordings of " + c.camera : std::string("the recordings of every camera")) +
        (c.all ? "" : " from " + core::format_time(from) + " to " + core::format_time(to));
    if (!confirmed(c, what)) {
        return 1;
    }
    auto report = media::shred_recordings(*o.index, o.index_dir, camera, from, to);
    if (!report) {
        return fail(report.error());
    }
    store::AuditEntry entry;
    entry.at_us = o.clock.now_us();
    entry.actor = cli_actor();
    entry.action = "recording.delete";
    entry.target = camera ? "camera " + std::to_string(camera->value()) : "all cameras";
    entry.source = "local";
    entry.detail = what + ": " + report->describe() + "; keys destroyed";
    if (auto r = o.audit->append(std::move(entry)); !r) {
        return fail(r.error());
    }
    std::printf("deleted %s: keys destroyed first, then the files%s\n",
                report->describe().c_str(),
                report->files_left ? " (some files could not be removed; they cannot be read)"
                                   : "");
    return 0;
}

// Overwrites a file's bytes before unlinking it: keys and wraps must not survive in free
// blocks (best effort: flash storage may keep old copies, which is why keys are small).
void shred_file(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            const std::vector<std::uint8_t> zeros(64 * 1024, 0);
            for (std::uintmax_t done = 0; done < size;) {
                const auto n = std::min<std::uintmax_t>(zeros.size(), size - done);
                if (::write(fd, zeros.data(), n) <= 0) {
                    break;
                }
                done += n;
            }
            ::fdatasync(fd);
            ::close(fd);
        }
    }
    std::filesystem::remove(path, ec);
}

int run_factory_reset(const RecordingCommands& c, const core::Config& config) {
    const auto& dir = config.data_dir;
    if (!std::filesystem::exists(dir / "hearth.db")) {
        return fail(make_error(ErrorCode::kNotFound, "no hub data in " + dir.string()));
    }
    if (!confirmed(c, "every key, account and recording in " + dir.string() +
                          " (stop the hub first)")) {
        return 1;
    }
    // Keys first: once they are gone, nothing left behind can be read.
    int keys = 0;
    for (const char* name : {"setup.key", "hub.key"}) {
        if (std::filesystem::exists(dir / name)) {
            shred_file(dir / name);
            ++keys;
        }
    }
    // The database holds the household key's wraps, the sealed segment keys and accounts.
    for (const char* name : {"hearth.db", "hearth.db-wal", "hearth.db-shm"}) {
        if (std::filesystem::exists(dir / name)) {
            shred_file(dir / name);
        }
    }
    std::error_code ec;
    const auto recordings = std::filesystem::remove_all(dir / "recordings", ec);
    std::error_code snap_ec;
    std::filesystem::remove_all(dir / "snapshots", snap_ec);  // event pictures: their keys went with the database
    std::printf("factory reset: %d key files and the database (accounts, household key, "
                "recording keys) overwritten and removed, %llu recording files and folders "
                "deleted. The next start makes new keys and a new setup code.\n",
                keys, static_cast<unsigned long long>(ec ? 0 : recordings));
    return ec ? 1 : 0;
}

}  // namespace

void add_recording_commands(CLI::App& cli, RecordingCommands& c,
                            const std::function<void(CLI::App*)>& add_common) {
    c.recover = cli.add_subcommand(
        "recover", "Set a new owner passphrase with the recovery key shown at setup");
    add_common(c.recover);
    c.recover->add_option("--username", c.user, "The owner's user name")->required();
    c.recover->add_flag("--stdin", c.stdin_secrets,
                        "Read the recovery words, then the new passphrase, as lines from "
                        "standard input");

    auto* rec = cli.add_subcommand("recordings", "Check or export encrypted recordings");
    rec->require_subcommand(1);
    c.verify = rec->add_subcommand(
        "verify", "Decrypt every recorded fragment and report any that was altered on disk");
    add_common(c.verify);
    c.export_range = rec->add_subcommand("export", "Write a time range as a plain MP4 file");
    add_common(c.export_range);
    c.export_range->add_option("camera", c.camera, "Camera id or name")->required();
    c.export_range->add_option("--start", c.start, "Start: ISO 8601 time or Unix seconds")
        ->required();
    c.export_range->add_option("--end", c.end, "End: ISO 8601 time or Unix seconds")->required();
    c.export_range->add_option("--out", c.out, "The MP4 file to create")->required();
    c.remove = rec->add_subcommand(
        "delete", "Destroy recordings: keys first, then files (a range, a camera, or --all)");
    add_common(c.remove);
    c.remove->add_option("camera", c.camera, "Camera id or name (all cameras when omitted)");
    c.remove->add_option("--start", c.start, "Start: ISO 8601 time or Unix seconds");
    c.remove->add_option("--end", c.end, "End: ISO 8601 time or Unix seconds");
    c.remove->add_flag("--all", c.all, "Every recording (of the camera, or of all cameras)");
    c.remove->add_flag("--yes", c.yes, "Do not ask for confirmation");
    c.factory_reset = cli.add_subcommand(
        "factory-reset", "Wipe keys, accounts and recordings of a stopped hub");
    add_common(c.factory_reset);
    c.factory_reset->add_flag("--yes", c.yes, "Do not ask for confirmation");
    for (auto* cmd : {c.verify, c.export_range}) {
        cmd->add_option("--user", c.user, "Whose passphrase opens the recordings")->required();
        cmd->add_flag("--stdin", c.stdin_secrets,
                      "Read the passphrase as one line from standard input");
    }
}

std::optional<int> run_recording_commands(const RecordingCommands& c,
                                          const core::Config& config) {
    if (c.factory_reset->parsed()) {
        return run_factory_reset(c, config);
    }
    if (!c.recover->parsed() && !c.verify->parsed() && !c.export_range->parsed() &&
        !c.remove->parsed()) {
        return std::nullopt;
    }
    auto opened = open_accounts(config);
    if (!opened) {
        return fail(opened.error());
    }
    if (c.recover->parsed()) {
        return run_recover(c, **opened);
    }
    if (c.verify->parsed()) {
        return run_verify(c, **opened);
    }
    if (c.remove->parsed()) {
        return run_delete(c, **opened);
    }
    return run_export(c, **opened);
}

}  // namespace hearth::app
