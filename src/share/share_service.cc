#include "share/share_service.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "auth/passphrase.h"
#include "core/time_text.h"
#include "crypto/password.h"

namespace hearth::share {

using core::ErrorCode;
using core::make_error;

namespace {

constexpr std::size_t kTokenBytes = 32;  // 256 bits
constexpr std::size_t kMaxTickets = 10'000;

std::string describe(const store::Share& s) {
    std::string d = s.kind == "clip" ? "clip " + core::format_time(s.start_us) + " to " +
                                           core::format_time(s.end_us)
                                     : std::string("live view");
    d += " for \"" + s.label + "\", until " + core::format_time(s.expires_us);
    d += s.passcode_hash.empty() ? ", no passcode" : ", passcode";
    d += s.max_views > 0 ? ", at most " + std::to_string(s.max_views) + " views" : "";
    d += s.blur_faces ? ", faces blurred" : "";
    return d;
}

core::Status check_label(std::string_view label) {
    if (label.empty() || label.size() > kMaxLabelBytes) {
        return make_error(ErrorCode::kInvalidArgument,
                          "say who the link is for (1 to 64 characters): it is written on the "
                          "video");
    }
    for (const unsigned char c : label) {
        if (c < 0x20 || c == 0x7f) {
            return make_error(ErrorCode::kInvalidArgument, "the label has control characters");
        }
    }
    return {};
}

}  // namespace

core::Result<crypto::SecretBytes> share_key_from_token(std::string_view token) {
    HEARTH_ASSIGN_OR_RETURN(auto raw, crypto::base64url_decode(token));
    if (raw.size() != kTokenBytes) {
        sodium_memzero(raw.data(), raw.size());
        return make_error(ErrorCode::kNotFound, "no such link");
    }
    HEARTH_ASSIGN_OR_RETURN(auto key, crypto::SecretBytes::allocate(crypto_secretbox_KEYBYTES));
    crypto_kdf_derive_from_key(key.data(), key.size(), 1, "hshare01", raw.data());
    sodium_memzero(raw.data(), raw.size());
    return key;
}

std::string why_closed(const store::Share& share, core::WallMicros now_us) {
    switch (store::state_of(share, now_us)) {
        case store::ShareState::kRevoked:
            return "This link was withdrawn by the person who shared it.";
        case store::ShareState::kExpired:
            return "This link has expired.";
        case store::ShareState::kExhausted:
            return "This link has been used as many times as it allows.";
        default:
            return "";
    }
}

ShareService::ShareService(store::ShareStore& shares, store::Index& index,
                           auth::HouseholdKeys& household, store::AuditLog* audit,
                           const core::Clock& clock, crypto::PasswordCost cost)
    : shares_(shares),
      index_(index),
      household_(household),
      audit_(audit),
      clock_(clock),
      cost_(cost),
      throttle_(clock) {}

void ShareService::audit(std::string_view actor, std::string_view action,
                         const store::Share& share, const auth::Origin& origin,
                         std::string detail) {
    if (audit_ == nullptr) {
        return;
    }
    store::AuditEntry e;
    e.at_us = clock_.now_us();
    e.actor = actor;
    e.action = action;
    e.target = "camera " + std::to_string(share.camera.value()) + " link " +
               std::to_string(share.id);
    e.source = origin.address;
    e.detail = std::move(detail);
    if (auto r = audit_->append(std::move(e)); !r) {
        spdlog::error("audit log append failed: {}", r.error().message);
    }
}

core::Result<Created> ShareService::create(const auth::Principal& who, NewShare req,
                                           const auth::Origin& origin) {
    const auto now = clock_.now_us();
    HEARTH_TRY(check_label(req.label));
    if (req.kind != "clip" && req.kind != "live") {
        return make_error(ErrorCode::kInvalidArgument, "a link shares a 'clip' or 'live' view");
    }
    if (req.lifetime_us <= 0 || req.lifetime_us > kMaxLifetimeUs) {
        return make_error(ErrorCode::kInvalidArgument,
                          "a link lasts at most 7 days (and more than no time at all)");
    }
    if (req.max_views < 0 || req.max_views > kMaxViews) {
        return make_error(ErrorCode::kInvalidArgument, "views: 0 (no limit) to 1000");
    }
    if (!req.passcode.empty() && req.passcode.size() < 4) {
        return make_error(ErrorCode::kInvalidArgument, "a passcode has at least 4 characters");
    }
    HEARTH_ASSIGN_OR_RETURN(auto camera, index_.get_camera(req.camera));
    store::Share s;
    s.kind = req.kind;
    s.camera = camera.id;
    s.label = req.label;
    s.created_by = who.user;
    s.created_by_name = who.name;
    s.created_us = now;
    s.expires_us = now + req.lifetime_us;
    s.max_views = req.max_views;
    std::map<std::int64_t, std::string> keys;
    const std::string token = crypto::random_token_base64url(kTokenBytes);
    if (req.kind == "clip") {
        s.blur_faces = req.blur_faces;
        if (req.end_us <= req.start_us || req.end_us - req.start_us > kMaxClipUs) {
            return make_error(ErrorCode::kInvalidArgument,
                              "a shared clip is 1 second to 30 minutes long");
        }
        if (req.end_us > now) {
            return make_error(ErrorCode::kInvalidArgument,
                              "a clip must be recorded already; share the live view instead");
        }
        s.start_us = req.start_us;
        s.end_us = req.end_us;
        HEARTH_ASSIGN_OR_RETURN(auto segments, index_.segments(camera.id, s.start_us, s.end_us));
        if (segments.empty()) {
            return make_error(ErrorCode::kNotFound, "nothing was recorded in that range");
        }
        // Re-sealed under the token's key: the link plays without anyone logged in.
        HEARTH_ASSIGN_OR_RETURN(auto share_key, share_key_from_token(token));
        const crypto::SecretBox box(std::move(share_key));
        for (const auto& seg : segments) {
            if (seg.sealed_key.empty()) {
                keys.emplace(seg.id.value(), "clear");  // recorded before encryption existed
                continue;
            }
            HEARTH_ASSIGN_OR_RETURN(auto key, household_.open_sealed(seg.sealed_key));
            keys.emplace(seg.id.value(), box.seal(key.view()));
        }
    }
    if (!req.passcode.empty()) {
        HEARTH_ASSIGN_OR_RETURN(s.passcode_hash, crypto::hash_password(req.passcode, cost_));
    }
    if (s.kind == "clip") {
        // Kept while the link lives: retention must not pull the clip from under it. Last,
        // so a refused request pins nothing.
        HEARTH_TRY(index_.pin(camera.id, s.start_us, s.end_us, s.expires_us));
    }
    s.token_hash = crypto::sha256_hex(token);
    HEARTH_ASSIGN_OR_RETURN(s.id, shares_.add(s, keys));
    audit(who.name, "share.create", s, origin, describe(s));
    return Created{s, token};
}

core::Result<std::vector<store::Share>> ShareService::list(const auth::Principal& who) {
    return shares_.list(who.is_owner() ? std::nullopt : std::optional(who.user), 500);
}

core::Status ShareService::revoke(const auth::Principal& who, std::int64_t id,
                                  const auth::Origin& origin) {
    auto share = shares_.get(id);
    if (!share || (!who.is_owner() && share->created_by != who.user)) {
        return make_error(ErrorCode::kNotFound, "no such link of yours");
    }
    HEARTH_TRY(shares_.revoke(id, clock_.now_us()));
    {
        // The tickets stay (a late request learns the link was withdrawn: 410); their keys go.
        std::lock_guard lock(mu_);
        for (auto& [hash, t] : tickets_) {
            if (t.share_id == id) {
                t.keys.reset();
            }
        }
    }
    audit(who.name, "share.revoke", *share, origin, describe(*share));
    return {};
}

core::Result<Opened> ShareService::open(std::string_view token, const crypto::SecretBytes& passcode,
                                        const auth::Origin& origin) {
    // Tokens cannot be guessed, but a flood of tries is still slowed, per address.
    auto ticket = throttle_.admit({"(share)", origin.address, {}});
    if (!ticket.admitted) {
        return make_error(ErrorCode::kResourceExhausted,
                          "too many tries; wait " +
                              std::to_string(ticket.retry_after_us / 1'000'000 + 1) + " s");
    }
    auto share = token.size() < 80 ? shares_.find(crypto::sha256_hex(token))
                                   : core::Result<store::Share>(make_error(ErrorCode::kNotFound, ""));
    if (!share) {
        throttle_.finish(ticket, false);
        if (share.error().code != ErrorCode::kNotFound) {
            return share.error();
        }
        return make_error(ErrorCode::kNotFound, "There is no such link. Check that it was copied "
                                                "whole.");
    }
    const auto now = clock_.now_us();
    if (const auto why = why_closed(*share, now); !why.empty()) {
        throttle_.finish(ticket, true);
        audit("link " + std::to_string(share->id), "share.refused", *share, origin, why);
        return make_error(ErrorCode::kFailedPrecondition, why);
    }
    if (!share->passcode_hash.empty()) {
        if (passcode.empty()) {
            throttle_.release(ticket);
            return make_error(ErrorCode::kUnauthenticated, "This link needs its passcode.");
        }
        HEARTH_ASSIGN_OR_RETURN(const bool ok, crypto::verify_password(share->passcode_hash, passcode));
        if (!ok) {
            throttle_.finish(ticket, false);
            audit("link " + std::to_string(share->id), "share.refused", *share, origin,
                  "wrong passcode");
            return make_error(ErrorCode::kUnauthenticated, "That passcode is not right.");
        }
    }
    throttle_.finish(ticket, true);
    auto counted = shares_.count_view(share->id, now);
    if (!counted) {
        if (counted.error().code == ErrorCode::kFailedPrecondition) {
            auto after = shares_.get(share->id);
            return make_error(ErrorCode::kFailedPrecondition,
                              after ? why_closed(*after, now) : counted.error().message);
        }
        return counted.error();
    }
    Opened out;
    out.share = *counted;
    if (auto cam = index_.get_camera(out.share.camera)) {
        out.camera_name = cam->name;
    }
    Ticket t;
    t.share_id = out.share.id;
    t.expires_us = std::min(now + kTicketLifetimeUs, out.share.expires_us);
    if (out.share.kind == "clip") {
        HEARTH_ASSIGN_OR_RETURN(auto key, share_key_from_token(token));
        t.keys = std::make_shared<const crypto::SecretBox>(std::move(key));
    }
    out.ticket = crypto::random_token_base64url(32);
    out.ticket_expires_us = t.expires_us;
    {
        std::lock_guard lock(mu_);
        std::erase_if(tickets_, [now](const auto& e) { return e.second.expires_us <= now; });
        if (tickets_.size() >= kMaxTickets) {
            return make_error(ErrorCode::kResourceExhausted, "too many open viewings; try later");
        }
        tickets_.emplace(crypto::sha256_hex(out.ticket), std::move(t));
    }
    const std::string views =
        out.share.max_views > 0
            ? "view " + std::to_string(out.share.views) + " of " + std::to_string(out.share.max_views)
            : "view " + std::to_string(out.share.views);
    audit("link " + std::to_string(out.share.id) + " (" + out.share.label + ")", "share.open",
          out.share, origin, views);
    // The sharer hears of it: the event shows in their app's event list.
    store::Event e;
    e.camera = out.share.camera;
    e.kind = "share.opened";
    e.at_us = now;
    e.detail = "The link " + out.share.created_by_name + " shared with \"" + out.share.label +
               "\" was opened from " + origin.address + " (" + views + ")";
    (void)index_.add_event(e);
    return out;
}

core::Result<TicketView> ShareService::use_ticket(std::string_view ticket) {
    Ticket t;
    {
        std::lock_guard lock(mu_);
        const auto it = tickets_.find(crypto::sha256_hex(ticket));
        if (it == tickets_.end() || it->second.expires_us <= clock_.now_us()) {
            return make_error(ErrorCode::kNotFound,
                              "this viewing has timed out; open the link again");
        }
        t = it->second;
    }
    HEARTH_ASSIGN_OR_RETURN(auto share, shares_.get(t.share_id));
    // Views were counted at opening; here only revocation and expiry matter.
    if (share.revoked_us != 0 || share.expires_us <= clock_.now_us()) {
        return make_error(ErrorCode::kFailedPrecondition, why_closed(share, clock_.now_us()));
    }
    TicketView view;
    view.share = share;
    if (t.keys) {
        view.opener = [box = t.keys](std::span<const std::uint8_t> sealed) {
            return box->open(std::string_view(reinterpret_cast<const char*>(sealed.data()),
                                              sealed.size()));
        };
    }
    return view;
}

bool ShareService::still_open(std::int64_t share_id) {
    auto share = shares_.get(share_id);
    return share && share->revoked_us == 0 && share->expires_us > clock_.now_us();
}

void ShareService::shred_expired() {
    if (auto r = shares_.shred_expired(clock_.now_us()); !r) {
        spdlog::warn("shares: cannot destroy expired links' keys: {}", r.error().message);
    }
    std::lock_guard lock(mu_);
    const auto now = clock_.now_us();
    std::erase_if(tickets_, [now](const auto& e) { return e.second.expires_us <= now; });
}

}  // namespace hearth::share
