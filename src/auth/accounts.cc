#include "auth/accounts.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <cctype>

#include "auth/household_keys.h"
#include "auth/passphrase.h"
#include "crypto/totp.h"

namespace hearth::auth {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr const char* kSetupCodeKey = "setup.code_sha256";
constexpr const char* kSetupExpiresKey = "setup.expires_us";
constexpr const char* kDeviceKeyKey = "auth.device_key";
constexpr std::size_t kDeviceKeyBytes = 32;
constexpr std::size_t kSessionTokenBytes = 32;  // 256 bits
constexpr std::size_t kMaxUserAgentBytes = 160;
constexpr std::size_t kSetupCodeChars = 20;  // 100 bits of base32

std::string hex_of(std::span<const std::uint8_t> bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const auto b : bytes) {
        out += kHex[b >> 4];
        out += kHex[b & 0xf];
    }
    return out;
}

core::Result<crypto::SecretBytes> secret_from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        return make_error(ErrorCode::kInvalidArgument, "odd hex length");
    }
    HEARTH_ASSIGN_OR_RETURN(auto out, crypto::SecretBytes::allocate(hex.size() / 2));
    for (std::size_t i = 0; i < out.size(); ++i) {
        int v = 0;
        for (int k = 0; k < 2; ++k) {
            const char c = hex[i * 2 + static_cast<std::size_t>(k)];
            int d = -1;
            if (c >= '0' && c <= '9') d = c - '0';
            if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
            if (d < 0) {
                return make_error(ErrorCode::kInvalidArgument, "bad hex digit");
            }
            v = v * 16 + d;
        }
        out.data()[i] = static_cast<std::uint8_t>(v);
    }
    return out;
}

// The setup code as typed: upper case, dashes and spaces dropped.
std::string normalize_setup_code(std::string_view typed) {
    std::string out;
    for (const char c : typed.substr(0, 64)) {
        if (c == '-' || c == ' ') {
            continue;
        }
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

bool looks_like_recovery_code(std::string_view code) { return code.size() > 6; }

// A view of a passphrase for the policy check, so no unguarded copy is made.
std::string_view as_text(const crypto::SecretBytes& secret) {
    return {reinterpret_cast<const char*>(secret.data()), secret.size()};
}

std::string describe_rights(const store::CameraRights& rights) {
    std::string detail;
    for (const auto& [camera, bits] : rights) {
        detail += (detail.empty() ? "" : "; ") +
                  (camera == 0 ? std::string("all cameras") : "camera " + std::to_string(camera)) +
                  ":";
        for (const auto& name : right_names(bits)) {
            detail += " " + name;
        }
    }
    return detail.empty() ? "no rights" : detail;
}

}  // namespace

std::string account_key(std::string_view username) {
    std::string out(username.substr(0, store::kMaxUserNameBytes + 1));
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

core::Status check_user_name(std::string_view name) {
    if (name.empty() || name.size() > store::kMaxUserNameBytes) {
        return make_error(ErrorCode::kInvalidArgument, "a user name has 1 to 64 characters");
    }
    for (const char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
            return make_error(ErrorCode::kInvalidArgument,
                              "a user name may use letters, digits, '.', '-' and '_' only");
        }
    }
    return {};
}

core::Result<std::unique_ptr<AccountService>> AccountService::open(store::AccountStore& store,
                                                                   store::AuditLog& audit,
                                                                   store::Index* events,
                                                                   const core::Clock& clock,
                                                                   AccountPolicy policy) {
    HEARTH_ASSIGN_OR_RETURN(auto stored_key, store.setting(kDeviceKeyKey));
    crypto::SecretBytes key;
    if (stored_key && stored_key->size() == kDeviceKeyBytes * 2) {
        HEARTH_ASSIGN_OR_RETURN(key, secret_from_hex(*stored_key));
        crypto::wipe(*stored_key);
    } else {
        HEARTH_ASSIGN_OR_RETURN(key, crypto::SecretBytes::random(kDeviceKeyBytes));
        std::string hex = hex_of(key.view());
        HEARTH_TRY(store.set_setting(kDeviceKeyKey, hex));
        crypto::wipe(hex);
    }
    HEARTH_ASSIGN_OR_RETURN(auto dummy_password,
                            crypto::SecretBytes::random(16));
    HEARTH_ASSIGN_OR_RETURN(auto dummy_hash, crypto::hash_password(dummy_password, policy.cost));
    return std::unique_ptr<AccountService>(new AccountService(
        store, audit, events, clock, policy, std::move(key), std::move(dummy_hash)));
}

void AccountService::audit(std::string_view actor, std::string_view action,
                           std::string_view target, const Origin& origin,
                           std::string_view detail) {
    store::AuditEntry e;
    e.at_us = clock_.now_us();
    e.actor = std::string(actor.substr(0, store::kMaxAuditFieldBytes));
    e.action = std::string(action);
    e.target = std::string(target.substr(0, store::kMaxAuditFieldBytes));
    e.source = std::string(origin.address.substr(0, store::kMaxAuditFieldBytes));
    e.detail = std::string(detail.substr(0, store::kMaxAuditFieldBytes));
    if (auto r = audit_.append(std::move(e)); !r) {
        spdlog::error("audit log append failed: {}", r.error().message);
    }
}

void AccountService::note_burst(const LoginThrottle::Outcome& outcome, const Origin& origin) {
    if (!outcome.burst) {
        return;
    }
    const std::string detail = "repeated failed logins (" + outcome.burst_key + ") from " +
                               origin.address + "; further attempts are slowed down";
    spdlog::warn("{}", detail);
    audit("system", "login.burst", outcome.burst_key, origin, detail);
    if (events_ != nullptr) {
        (void)events_->add_event({0, core::CameraId(), "auth.login_burst", clock_.now_us(), detail});
    }
}

// ---- first run ----

core::Result<bool> AccountService::needs_setup() {
    HEARTH_ASSIGN_OR_RETURN(const auto n, store_.count_users());
    return n == 0;
}

core::Result<std::optional<std::string>> AccountService::issue_setup_code() {
    HEARTH_ASSIGN_OR_RETURN(const bool needed, needs_setup());
    if (!needed) {
        (void)store_.delete_setting(kSetupCodeKey);
        (void)store_.delete_setting(kSetupExpiresKey);
        return std::optional<std::string>();
    }
    HEARTH_ASSIGN_OR_RETURN(auto raw, crypto::SecretBytes::random(13));
    const std::string code = crypto::base32_encode(raw.view()).substr(0, kSetupCodeChars);
    HEARTH_TRY(store_.set_setting(kSetupCodeKey, crypto::sha256_hex(code)));
    HEARTH_TRY(store_.set_setting(
        kSetupExpiresKey, std::to_string(clock_.now_us() + policy_.setup_code_lifetime_us)));
    std::string shown;
    for (std::size_t i = 0; i < code.size(); i += 5) {
        shown += (shown.empty() ? "" : "-") + code.substr(i, 5);
    }
    return std::optional<std::string>(shown);
}

core::Result<Principal> AccountService::complete_setup(std::string_view code,
                                                       std::string_view username,
                                                       const crypto::SecretBytes& password,
                                                       const Origin& origin,
                                                       crypto::SecretBytes* recovery_key) {
    // The code is guessed like a password, so it is throttled like one.
    // Keyed by address only: a shared key would let any host delay everyone's setup.
    auto ticket = throttle_.admit({"(setup) " + origin.address, origin.address, {}});
    if (!ticket.admitted) {
        return make_error(ErrorCode::kResourceExhausted,
                          "too many wrong setup codes; try again in " +
                              std::to_string(ticket.retry_after_us / 1'000'000 + 1) + " s");
    }
    HEARTH_ASSIGN_OR_RETURN(const bool needed, needs_setup());
    if (!needed) {
        throttle_.finish(ticket, true);
        return make_error(ErrorCode::kAlreadyExists, "the hub is already set up; log in instead");
    }
    HEARTH_ASSIGN_OR_RETURN(auto stored, store_.setting(kSetupCodeKey));
    HEARTH_ASSIGN_OR_RETURN(auto expires, store_.setting(kSetupExpiresKey));
    const std::string typed_hash = crypto::sha256_hex(normalize_setup_code(code));
    const bool matches = stored && crypto::constant_time_equal(*stored, typed_hash);
    std::int64_t expires_us = 0;
    if (expires) {
        expires_us = std::strtoll(expires->c_str(), nullptr, 10);
    }
    if (!matches || clock_.now_us() > expires_us) {
        note_burst(throttle_.finish(ticket, false), origin);
        audit("anonymous", "setup.failed", std::string(username), origin,
              matches ? "setup code expired" : "wrong setup code");
        return make_error(ErrorCode::kPermissionDenied,
                          matches ? "this setup code has expired; restart the hub for a new one"
                                  : "wrong setup code; use the one the hub printed at start");
    }
    throttle_.finish(ticket, true);
    HEARTH_TRY(check_user_name(username));
    const auto verdict = check_passphrase(as_text(password), username);
    if (!verdict.ok) {
        return make_error(ErrorCode::kInvalidArgument, verdict.reason + " " + verdict.advice);
    }
    if (keys_ != nullptr && !std::filesystem::exists(keys_->setup_key_path())) {
        return make_error(ErrorCode::kFailedPrecondition,
                          "the setup key file " + keys_->setup_key_path().string() +
                              " is missing, so the recordings made so far could never be "
                              "opened; reset the hub (hearth factory-reset) to start afresh");
    }
    HEARTH_ASSIGN_OR_RETURN(auto hash, crypto::hash_password(password, policy_.cost));
    store::User u;
    u.name = std::string(username);
    u.role = "owner";
    u.password_hash = std::move(hash);
    u.created_us = clock_.now_us();
    HEARTH_ASSIGN_OR_RETURN(const auto id, store_.add_first_user(u));
    (void)store_.delete_setting(kSetupCodeKey);
    (void)store_.delete_setting(kSetupExpiresKey);
    audit(username, "setup.owner_created", username, origin);
    if (keys_ != nullptr) {
        auto recovery = keys_->hand_over(id, password);
        if (!recovery) {
            spdlog::error("setup: household key not handed over: {}", recovery.error().message);
            audit(username, "household.key_handover_failed", username, origin,
                  recovery.error().message);
        } else {
            audit(username, "household.key_handed_over", username, origin,
                  "wrapped for the owner and under a new recovery key; setup key destroyed");
            if (recovery_key != nullptr) {
                *recovery_key = std::move(*recovery);
            }
        }
    }
    HEARTH_ASSIGN_OR_RETURN(auto user, store_.get_user(id));
    return principal_for(user);
}

// ---- login ----

core::Result<Principal> AccountService::principal_for(const store::User& user) {
    Principal p;
    p.user = user.id;
    p.name = user.name;
    HEARTH_ASSIGN_OR_RETURN(p.role, parse_role(user.role));
    HEARTH_ASSIGN_OR_RETURN(p.rights, store_.rights(user.id));
    p.totp_enabled = user.totp_enabled;
    return p;
}

core::Result<bool> AccountService::verify(const store::User* user,
                                          const crypto::SecretBytes& password) {
    // An unknown user costs one Argon2id run too, and then fails.
    auto ok = crypto::verify_password(user ? user->password_hash : dummy_hash_, password);
    if (!ok) {
        return ok.error();
    }
    return *ok && user != nullptr;
}

core::Status AccountService::check_second_factor(const store::User& user, std::string_view code) {
    const auto now = clock_.now_us();
    if (looks_like_recovery_code(code)) {
        auto normal = crypto::normalize_recovery_code(code);
        if (!normal) {
            return make_error(ErrorCode::kUnauthenticated, "wrong two-factor code");
        }
        HEARTH_ASSIGN_OR_RETURN(const bool used,
                                store_.use_recovery_code(user.id, crypto::sha256_hex(*normal), now));
        if (!used) {
            return make_error(ErrorCode::kUnauthenticated, "wrong two-factor code");
        }
        return {};
    }
    HEARTH_ASSIGN_OR_RETURN(auto secret, store_.totp_secret(user.id));
    auto step = crypto::verify_totp(secret, code, now / 1'000'000, user.totp_last_step);
    if (!step) {
        return make_error(ErrorCode::kUnauthenticated, "wrong two-factor code");
    }
    // The step is claimed atomically: a code raced in twice (a phishing proxy) works once.
    HEARTH_ASSIGN_OR_RETURN(const bool first_use, store_.advance_totp_step(user.id, *step));
    if (!first_use) {
        return make_error(ErrorCode::kUnauthenticated, "wrong two-factor code");
    }
    return {};
}

LoginOutcome AccountService::login(LoginRequest req) {
    using Status = LoginOutcome::Status;
    LoginOutcome out;
    const std::string key = account_key(req.username);
    std::string device;
    if (!req.device_cookie.empty()) {
        device = devices_.verify(req.device_cookie, key).value_or("");
    }
    auto ticket = throttle_.admit({key, req.origin.address, device});
    if (!ticket.admitted) {
        out.status = Status::kThrottled;
        out.retry_after_us = ticket.retry_after_us;
        return out;
    }
    std::unique_ptr<store::User> user;
    if (auto u = store_.find_user(req.username); u) {
        user = std::make_unique<store::User>(std::move(*u));
    } else if (u.error().code != ErrorCode::kNotFound) {
        throttle_.finish(ticket, true);
        out.status = Status::kError;
        return out;
    }
    {
        std::lock_guard lock(counts_mu_);
        if (user || evaluations_.size() < 10'000) {
            ++evaluations_[key];
        }
    }
    auto ok = verify(user.get(), req.password);
    if (!ok || !*ok) {
        note_burst(throttle_.finish(ticket, false), req.origin);
        // An unknown name is not recorded: people paste passphrases into the name field.
        audit(user ? user->name : "(unknown user)", "login.failed", {}, req.origin,
              !ok ? "stored hash unreadable" : (user ? "wrong passphrase" : "unknown user name"));
        out.status = Status::kRejected;
        return out;
    }
    if (user->totp_enabled) {
        if (req.second_factor.empty()) {
            // Neither a failure nor a success: clearing the account's count here would let
            // someone with the passphrase guess codes without ever being slowed down.
            throttle_.release(ticket);
            out.status = Status::kSecondFactorNeeded;
            return out;
        }
        if (auto r = check_second_factor(*user, req.second_factor); !r) {
            note_burst(throttle_.finish(ticket, false), req.origin);
            audit(user->name, "login.failed", {}, req.origin, "wrong two-factor code");
            out.status = Status::kSecondFactorWrong;
            return out;
        }
    }
    throttle_.finish(ticket, true);
    if (crypto::needs_rehash(user->password_hash, policy_.cost)) {
        if (auto h = crypto::hash_password(req.password, policy_.cost); h) {
            if (store_.rehash_password(user->id, *h)) {
                audit(user->name, "password.rehashed", user->name, req.origin,
                      "stored with the current Argon2id cost");
            }
        }
    }
    auto who = principal_for(*user);
    if (!who) {
        out.status = Status::kError;
        return out;
    }
    open_household_key(*who, req.password, req.origin);
    auto token = start_session(*who, req.origin, &out.principal);
    if (!token) {
        out.status = Status::kError;
        return out;
    }
    audit(user->name, "login.success", {}, req.origin,
          device.empty() ? "new device" : "known device");
    out.status = Status::kOk;
    out.token = std::move(*token);
    out.device_cookie = devices_.issue(key);
    return out;
}

core::Result<std::string> AccountService::start_session(const Principal& who,
                                                        const Origin& origin, Principal* filled) {
    std::string token = crypto::random_token_base64url(kSessionTokenBytes);
    store::SessionRecord r;
    r.user = who.user;
    r.token_hash = crypto::sha256_hex(token);
    r.csrf_token = crypto::random_token_base64url(32);
    r.created_us = r.last_seen_us = r.reauth_us = clock_.now_us();
    r.source = origin.address;
    // Printable ASCII only: the CLI shows it in a terminal.
    for (const char c : origin.user_agent.substr(0, kMaxUserAgentBytes)) {
        r.user_agent += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    HEARTH_ASSIGN_OR_RETURN(r.id, store_.add_session(r));
    if (filled != nullptr) {
        *filled = who;
        filled->session = r.id;
        filled->csrf_token = r.csrf_token;
        filled->reauth_us = r.reauth_us;
    }
    return token;
}

core::Result<Principal> AccountService::authenticate(std::string_view token, bool touch) {
    if (token.empty() || token.size() > 128) {
        return make_error(ErrorCode::kUnauthenticated, "not logged in");
    }
    auto session = store_.find_session(crypto::sha256_hex(token));
    if (!session) {
        if (session.error().code == ErrorCode::kNotFound) {
            return make_error(ErrorCode::kUnauthenticated, "not logged in");
        }
        return session.error();
    }
    const auto now = clock_.now_us();
    const bool idle = now - session->last_seen_us > policy_.session_idle_us;
    const bool old = now - session->created_us > policy_.session_absolute_us;
    if (idle || old) {
        (void)store_.remove_session(session->id, std::nullopt);
        auto user = store_.get_user(session->user);
        audit(user ? user->name : "unknown", "session.end", {}, {session->source, {}},
              idle ? "idle timeout" : "absolute timeout");
        lock_if_nobody_logged_in();
        return make_error(ErrorCode::kUnauthenticated, "your session has expired; log in again");
    }
    if (touch && now - session->last_seen_us > policy_.touch_every_us) {
        (void)store_.touch_session(session->id, now);
    }
    HEARTH_ASSIGN_OR_RETURN(auto user, store_.get_user(session->user));
    HEARTH_ASSIGN_OR_RETURN(auto who, principal_for(user));
    who.session = session->id;
    who.csrf_token = session->csrf_token;
    who.reauth_us = session->reauth_us;
    return who;
}

core::Status AccountService::logout(const Principal& who, const Origin& origin) {
    HEARTH_TRY(store_.remove_session(who.session, who.user));
    audit(who.name, "session.end", {}, origin, "logout");
    lock_if_nobody_logged_in();
    return {};
}

core::Result<std::vector<SessionInfo>> AccountService::sessions(const Principal& who) {
    HEARTH_ASSIGN_OR_RETURN(auto records, store_.sessions(who.user));
    std::vector<SessionInfo> out;
    for (auto& r : records) {
        SessionInfo info;
        info.current = r.id == who.session;
        r.token_hash.clear();  // nobody needs it outside the store
        r.csrf_token.clear();
        info.record = std::move(r);
        out.push_back(std::move(info));
    }
    return out;
}

core::Status AccountService::revoke_session(const Principal& who, core::SessionId id,
                                            const Origin& origin) {
    HEARTH_ASSIGN_OR_RETURN(const int removed, store_.remove_session(id, who.user));
    if (removed == 0) {
        return make_error(ErrorCode::kNotFound, "no such session of yours");
    }
    audit(who.name, "session.end", "session " + std::to_string(id.value()), origin, "revoked");
    lock_if_nobody_logged_in();
    return {};
}

core::Result<int> AccountService::expire_sessions() {
    const auto now = clock_.now_us();
    HEARTH_ASSIGN_OR_RETURN(auto gone,
                            store_.remove_expired_sessions(now - policy_.session_idle_us,
                                                           now - policy_.session_absolute_us));
    for (const auto& s : gone) {
        auto user = store_.get_user(s.user);
        audit(user ? user->name : "unknown", "session.end", {}, {s.source, {}}, "timed out");
    }
    lock_if_nobody_logged_in();
    return static_cast<int>(gone.size());
}

// ---- re-authentication and passphrases ----

bool AccountService::recently_authenticated(const Principal& who) const {
    return clock_.now_us() - who.reauth_us <= policy_.reauth_window_us;
}

core::Status AccountService::reauthenticate(Principal& who, const crypto::SecretBytes& password,
                                            std::string_view second_factor,
                                            const Origin& origin) {
    // Judged per session: someone holding a stolen session cookie gets a few tries, and
    // an attack on the account elsewhere never blocks the owner's own session.
    // Keyed by the session's random CSRF token, unlike its id never reused by a later session.
    auto ticket = throttle_.admit({account_key(who.name), origin.address, "session " + who.csrf_token});
    if (!ticket.admitted) {
        return make_error(ErrorCode::kResourceExhausted,
                          "too many wrong attempts; try again in " +
                              std::to_string(ticket.retry_after_us / 1'000'000 + 1) + " s");
    }
    HEARTH_ASSIGN_OR_RETURN(auto user, store_.get_user(who.user));
    bool ok = false;
    if (!password.empty()) {
        HEARTH_ASSIGN_OR_RETURN(ok, verify(&user, password));
    } else if (!second_factor.empty() && user.totp_enabled) {
        ok = static_cast<bool>(check_second_factor(user, second_factor));
    }
    note_burst(throttle_.finish(ticket, ok), origin);
    if (!ok) {
        audit(who.name, "reauth.failed", {}, origin);
        return make_error(ErrorCode::kUnauthenticated, "that was not right; try again");
    }
    who.reauth_us = clock_.now_us();
    HEARTH_TRY(store_.set_reauth(who.session, who.reauth_us));
    if (!password.empty()) {
        open_household_key(who, password, origin);  // how a hub restarted while logged in unlocks
    }
    audit(who.name, "reauth.success", {}, origin);
    return {};
}

core::Status AccountService::change_password(const Principal& who,
                                             const crypto::SecretBytes& old_password,
                                             const crypto::SecretBytes& new_password,
                                             const Origin& origin) {
    Principal copy = who;
    HEARTH_TRY(reauthenticate(copy, old_password, {}, origin));
    const auto verdict = check_passphrase(as_text(new_password), who.name);
    if (!verdict.ok) {
        return make_error(ErrorCode::kInvalidArgument, verdict.reason + " " + verdict.advice);
    }
    HEARTH_ASSIGN_OR_RETURN(auto hash, crypto::hash_password(new_password, policy_.cost));
    HEARTH_ASSIGN_OR_RETURN(const int ended,
                            store_.set_password_hash(who.user, hash, clock_.now_us(), who.session));
    if (keys_ != nullptr) {
        if (auto r = keys_->rewrap(who.user, old_password, new_password); !r) {
            // A wrap under the old passphrase must not linger: a fresh one comes at a login.
            (void)keys_->forget(who.user);
            audit(who.name, "household.key_unwrapped", who.name, origin, r.error().message);
        }
    }
    audit(who.name, "password.changed", who.name, origin,
          std::to_string(ended) + " other sessions ended");
    return {};
}

core::Status AccountService::reset_password(std::string_view actor, core::UserId id,
                                            const crypto::SecretBytes& password,
                                            const Origin& origin) {
    HEARTH_ASSIGN_OR_RETURN(auto user, store_.get_user(id));
    const auto verdict = check_passphrase(as_text(password), user.name);
    if (!verdict.ok) {
        return make_error(ErrorCode::kInvalidArgument, verdict.reason + " " + verdict.advice);
    }
    HEARTH_ASSIGN_OR_RETURN(auto hash, crypto::hash_password(password, policy_.cost));
    HEARTH_ASSIGN_OR_RETURN(const int ended,
                            store_.set_password_hash(id, hash, clock_.now_us(), core::SessionId()));
    if (keys_ != nullptr) {
        HEARTH_TRY(keys_->forget(id));  // the administrator does not know the old passphrase
    }
    lock_if_nobody_logged_in();
    audit(actor, "password.reset", user.name, origin,
          std::to_string(ended) + " sessions ended");
    return {};
}

// ---- second factor ----

core::Result<TotpEnrolment> AccountService::begin_totp(const Principal& who) {
    HEARTH_ASSIGN_OR_RETURN(auto secret, crypto::SecretBytes::random(crypto::kTotpSecretBytes));
    HEARTH_TRY(store_.set_totp_pending(who.user, secret.view()));
    TotpEnrolment e;
    e.secret_base32 = crypto::base32_encode(secret.view());
    e.otpauth_uri = crypto::otpauth_uri("Hearth", who.name, secret);
    return e;
}

core::Result<std::vector<std::string>> AccountService::confirm_totp(const Principal& who,
                                                                    std::string_view code,
                                                                    const Origin& origin) {
    HEARTH_ASSIGN_OR_RETURN(auto pending, store_.totp_pending(who.user));
    auto step = crypto::verify_totp(pending, code, clock_.now_us() / 1'000'000, -1);
    if (!step) {
        return make_error(ErrorCode::kInvalidArgument,
                          "that code does not match; check the authenticator app's clock and "
                          "enter the current six digits");
    }
    auto codes = crypto::make_recovery_codes(policy_.recovery_codes);
    std::vector<std::string> hashes;
    for (const auto& c : codes) {
        hashes.push_back(crypto::sha256_hex(c));
    }
    HEARTH_TRY(store_.enable_totp(who.user, *step, hashes));
    audit(who.name, "totp.enabled", who.name, origin);
    return codes;
}

core::Status AccountService::disable_totp(const Principal& who, const Origin& origin) {
    HEARTH_TRY(store_.disable_totp(who.user));
    audit(who.name, "totp.disabled", who.name, origin);
    return {};
}

// ---- users ----

core::Result<core::UserId> AccountService::add_user(std::string_view actor, const NewUser& nu,
                                                    const Origin& origin) {
    HEARTH_TRY(check_user_name(nu.name));
    if (nu.role == Role::kInvalid) {
        return make_error(ErrorCode::kInvalidArgument, "role must be owner, member or guest");
    }
    HEARTH_TRY(check_grant(nu.role, nu.rights));
    HEARTH_ASSIGN_OR_RETURN(const bool needed, needs_setup());
    if (needed) {
        return make_error(ErrorCode::kFailedPrecondition,
                          "the hub has no owner yet: create one with the setup code first");
    }
    const auto verdict = check_passphrase(as_text(nu.password), nu.name);
    if (!verdict.ok) {
        return make_error(ErrorCode::kInvalidArgument, verdict.reason + " " + verdict.advice);
    }
    store::User u;
    u.name = nu.name;
    u.role = to_string(nu.role);
    HEARTH_ASSIGN_OR_RETURN(u.password_hash, crypto::hash_password(nu.password, policy_.cost));
    u.created_us = clock_.now_us();
    HEARTH_ASSIGN_OR_RETURN(const auto id, store_.add_user(u, nu.rights));
    audit(actor, "user.add", nu.name, origin,
          std::string("role ") + to_string(nu.role) + "; " + describe_rights(nu.rights));
    return id;
}

core::Result<std::vector<store::User>> AccountService::users() { return store_.list_users(); }

core::Status AccountService::update_user(std::string_view actor, core::UserId id,
                                         std::optional<Role> role,
                                         std::optional<store::CameraRights> rights,
                                         const Origin& origin) {
    if (role && *role == Role::kInvalid) {
        return make_error(ErrorCode::kInvalidArgument, "role must be owner, member or guest");
    }
    HEARTH_ASSIGN_OR_RETURN(auto user, store_.get_user(id));
    // The state after the change must be valid as a whole (a guest with ptz is not, however
    // the request orders role and rights).
    HEARTH_ASSIGN_OR_RETURN(const Role current_role, parse_role(user.role));
    HEARTH_ASSIGN_OR_RETURN(const auto current_rights, store_.rights(id));
    HEARTH_TRY(check_grant(role.value_or(current_role), rights.value_or(current_rights)));
    std::optional<std::string> role_text;
    if (role) {
        role_text = to_string(*role);
    }
    HEARTH_TRY(store_.update_user(id, role_text, rights));
    if (role) {
        audit(actor, "user.role", user.name, origin, user.role + " -> " + to_string(*role));
    }
    if (rights) {
        audit(actor, "user.rights", user.name, origin, describe_rights(*rights));
    }
    return {};
}

core::Status AccountService::set_role(std::string_view actor, core::UserId id, Role role,
                                      const Origin& origin) {
    return update_user(actor, id, role, std::nullopt, origin);
}

core::Status AccountService::set_rights(std::string_view actor, core::UserId id,
                                        const store::CameraRights& rights, const Origin& origin) {
    return update_user(actor, id, std::nullopt, rights, origin);
}

core::Status AccountService::remove_user(std::string_view actor, core::UserId id,
                                         const Origin& origin) {
    HEARTH_ASSIGN_OR_RETURN(auto user, store_.get_user(id));
    HEARTH_TRY(store_.remove_user(id));  // refuses the last owner, atomically
    audit(actor, "user.remove", user.name, origin);  // the user's key wrap went with the row
    lock_if_nobody_logged_in();
    return {};
}

core::Result<int> AccountService::end_sessions_of(std::string_view actor, core::UserId id,
                                                  const Origin& origin) {
    HEARTH_ASSIGN_OR_RETURN(auto user, store_.get_user(id));
    HEARTH_ASSIGN_OR_RETURN(const int ended, store_.remove_sessions_of(id, core::SessionId()));
    audit(actor, "session.end", user.name, origin,
          "logged out everywhere: " + std::to_string(ended) + " sessions");
    lock_if_nobody_logged_in();
    return ended;
}

// ---- the household key ----

void AccountService::open_household_key(const Principal& who, const crypto::SecretBytes& password,
                                        const Origin& origin) {
    if (keys_ == nullptr) {
        return;
    }
    const bool was_locked = !keys_->unlocked();
    if (auto r = keys_->on_passphrase_proven(who.user, who.role == Role::kOwner, password); !r) {
        // Logging in still works; recordings stay locked until a holder of the key logs in.
        spdlog::warn("household key not opened for {}: {}", who.name, r.error().message);
        return;
    }
    if (was_locked && keys_->unlocked()) {
        audit(who.name, "household.unlocked", {}, origin, "recordings can be played");
    }
}

void AccountService::lock_if_nobody_logged_in() {
    if (keys_ == nullptr || !keys_->unlocked()) {
        return;
    }
    if (auto n = store_.count_sessions(); n && *n == 0) {
        keys_->lock();
        audit("hub", "household.locked", {}, {"local", {}}, "the last session ended");
    }
}

core::Status AccountService::recover(std::string_view username,
                                     const crypto::SecretBytes& recovery_key,
                                     const crypto::SecretBytes& new_password,
                                     const Origin& origin) {
    if (keys_ == nullptr) {
        return make_error(ErrorCode::kFailedPrecondition, "this hub has no household key");
    }
    // A 256-bit key cannot be guessed, but the endpoint is anonymous: throttle it anyway.
    auto ticket = throttle_.admit({"(recover) " + origin.address, origin.address, {}});
    if (!ticket.admitted) {
        return make_error(ErrorCode::kResourceExhausted,
                          "too many attempts; try again in " +
                              std::to_string(ticket.retry_after_us / 1'000'000 + 1) + " s");
    }
    auto user = store_.find_user(username);
    if (!user || user->role != "owner") {
        note_burst(throttle_.finish(ticket, false), origin);
        audit("anonymous", "recovery.failed", std::string(username.substr(0, 64)), origin,
              "not an owner");
        return make_error(ErrorCode::kPermissionDenied,
                          "the recovery key resets an owner's passphrase: no owner has this name");
    }
    const auto verdict = check_passphrase(as_text(new_password), user->name);
    if (!verdict.ok) {
        throttle_.release(ticket);
        return make_error(ErrorCode::kInvalidArgument, verdict.reason + " " + verdict.advice);
    }
    if (auto r = keys_->recover(recovery_key, user->id, new_password); !r) {
        note_burst(throttle_.finish(ticket, false), origin);
        audit("anonymous", "recovery.failed", user->name, origin, r.error().message);
        return make_error(ErrorCode::kPermissionDenied,
                          "this recovery key does not open this hub's household key");
    }
    throttle_.finish(ticket, true);
    HEARTH_ASSIGN_OR_RETURN(auto hash, crypto::hash_password(new_password, policy_.cost));
    HEARTH_ASSIGN_OR_RETURN(const int ended, store_.set_password_hash(user->id, hash, clock_.now_us(),
                                                                      core::SessionId()));
    audit(user->name, "recovery.used", user->name, origin,
          "new passphrase set with the recovery key; " + std::to_string(ended) + " sessions ended");
    lock_if_nobody_logged_in();
    return {};
}

core::Result<crypto::SecretBytes> AccountService::new_recovery_key(const Principal& who,
                                                                   const Origin& origin) {
    if (keys_ == nullptr) {
        return make_error(ErrorCode::kFailedPrecondition, "this hub has no household key");
    }
    HEARTH_ASSIGN_OR_RETURN(auto key, keys_->new_recovery_key());
    audit(who.name, "recovery.new_key", {}, origin, "the earlier recovery key no longer works");
    return key;
}

std::string AccountService::device_cookie_for(std::string_view username) const {
    return devices_.issue(account_key(username));
}

std::int64_t AccountService::evaluations(const std::string& account) {
    std::lock_guard lock(counts_mu_);
    const auto it = evaluations_.find(account);
    return it == evaluations_.end() ? 0 : it->second;
}

}  // namespace hearth::auth
