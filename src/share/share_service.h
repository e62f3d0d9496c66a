// Share links: a member with the `share` right shows one recorded clip, or one camera's live
// view, to someone outside the household, through a link the family controls.
//
// - The link carries a 256-bit random token (in the URL's fragment, so it never reaches a
//   server log); the hub stores only its SHA-256.
// - Expiry (default 24 h, at most 7 days), an optional passcode (Argon2id, guesses
//   throttled), an optional number of views, a recipient label (the watermark), and for
//   clips optional face blur.
// - A clip's segment keys are re-sealed under a key derived from the token when the link is
//   made, so the clip plays after the sharer logs out, and only with the token.
// - Opening a link (the anonymous POST) counts a view, is audited and announced to the
//   sharer as a camera event, and hands out a short-lived ticket for the media requests.
//   An expired, revoked or used-up link releases nothing (kFailedPrecondition: 410).
// - Revoking destroys a clip's re-sealed keys at once; open streams stop within seconds.
//
// Thread-safety: every method is safe from any thread. open() and create() with a passcode
// run Argon2id: call them off the network threads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/accounts.h"
#include "auth/household_keys.h"
#include "auth/throttle.h"
#include "core/clock.h"
#include "crypto/secret_box.h"
#include "media/segment_reader.h"
#include "store/audit.h"
#include "store/index.h"
#include "store/shares.h"

namespace hearth::share {

inline constexpr std::int64_t kHourUs = 3600LL * 1'000'000;
inline constexpr std::int64_t kDefaultLifetimeUs = 24 * kHourUs;
inline constexpr std::int64_t kMaxLifetimeUs = 7 * 24 * kHourUs;
inline constexpr std::int64_t kMaxClipUs = kHourUs / 2;  // clips are re-encoded when opened
inline constexpr std::int64_t kTicketLifetimeUs = kHourUs / 2;
inline constexpr std::size_t kMaxLabelBytes = 64;
inline constexpr std::int64_t kMaxViews = 1000;

struct NewShare {
    std::string kind;  // "clip" or "live"
    core::CameraId camera;
    core::WallMicros start_us = 0;  // clip only
    core::WallMicros end_us = 0;
    std::int64_t lifetime_us = kDefaultLifetimeUs;
    crypto::SecretBytes passcode;   // empty: none
    std::int64_t max_views = 0;     // 0: no limit
    bool blur_faces = false;        // clip only
    std::string label;              // who it is for (required)
};

struct Created {
    store::Share share;
    std::string token;  // shown once; the hub keeps only its hash
};

struct Opened {
    store::Share share;
    std::string camera_name;
    std::string ticket;  // for the media requests of this viewing
    core::WallMicros ticket_expires_us = 0;
};

// What a media request may use: the share (still open) and, for a clip, how its keys open.
struct TicketView {
    store::Share share;
    media::KeyOpener opener;  // opens the re-sealed keys of store::ShareStore::keys()
};

class ShareService {
public:
    ShareService(store::ShareStore& shares, store::Index& index, auth::HouseholdKeys& household,
                 store::AuditLog* audit, const core::Clock& clock, crypto::PasswordCost cost);

    // Needs the `share` right on the camera (checked by the caller's gate) and, for a clip,
    // the household key open. Errors: kInvalidArgument (bad range, label, lifetime...),
    // kNotFound (no recording in the range), kFailedPrecondition (locked).
    core::Result<Created> create(const auth::Principal& who, NewShare request,
                                 const auth::Origin& origin);
    // Owners see every link; others their own.
    core::Result<std::vector<store::Share>> list(const auth::Principal& who);
    // The sharer or an owner. kNotFound (not theirs or no such link).
    core::Status revoke(const auth::Principal& who, std::int64_t id, const auth::Origin& origin);

    // Anonymous. kNotFound (no such link), kFailedPrecondition (expired, revoked, used up:
    // the message says which), kUnauthenticated (passcode needed or wrong),
    // kResourceExhausted (too many guesses).
    core::Result<Opened> open(std::string_view token, const crypto::SecretBytes& passcode,
                              const auth::Origin& origin);
    // A media request's ticket. kNotFound (unknown or timed out), kFailedPrecondition (the
    // link was revoked or expired since).
    core::Result<TicketView> use_ticket(std::string_view ticket);
    // A clip link's re-sealed segment keys (segment id -> sealed text, "clear" for a segment
    // recorded before encryption).
    core::Result<std::map<std::int64_t, std::string>> keys(std::int64_t share_id) {
        return shares_.keys(share_id);
    }
    // Whether a link still opens now (streams ask every second or so).
    bool still_open(std::int64_t share_id);
    // Destroys re-sealed keys of expired links (housekeeping).
    void shred_expired();

private:
    struct Ticket {
        std::int64_t share_id = 0;
        core::WallMicros expires_us = 0;
        std::shared_ptr<const crypto::SecretBox> keys;  // clip: opens the re-sealed keys
    };
    void audit(std::string_view actor, std::string_view action, const store::Share& share,
               const auth::Origin& origin, std::string detail);

    store::ShareStore& shares_;
    store::Index& index_;
    auth::HouseholdKeys& household_;
    store::AuditLog* audit_;
    const core::Clock& clock_;
    const crypto::PasswordCost cost_;
    auth::LoginThrottle throttle_;

    std::mutex mu_;
    std::map<std::string, Ticket> tickets_;  // GUARDED_BY(mu_), by the ticket's SHA-256
};

// The key a clip's segment keys are re-sealed under, derived from the link's token.
core::Result<crypto::SecretBytes> share_key_from_token(std::string_view token);
// "expired", "revoked" or "used up" as a sentence for the 410 page.
std::string why_closed(const store::Share& share, core::WallMicros now_us);

}  // namespace hearth::share
