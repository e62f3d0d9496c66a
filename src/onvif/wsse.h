// WS-Security UsernameToken with PasswordDigest, as ONVIF requires:
//     Digest = Base64(SHA1(nonce + created + password))
// where nonce is the raw random bytes (sent Base64) and created the xsd:dateTime text.
//
// Client side: make a token with a fresh libsodium nonce and a Created adjusted by the
// camera's clock offset, and add it to an envelope's Header.
// Device side: TokenVerifier checks user name and digest in constant time, Created
// within a window (+-5 min by default) and nonces against a bounded replay cache.
//
// Thread-safety: free functions are pure; TokenVerifier is safe to call from any thread
// (one internal mutex around the replay cache).
// Errors: kUnauthenticated when no token is present; kPermissionDenied for a wrong user,
// password, stale or replayed token (the message says which, for the device's log; the
// SOAP fault sent to the client says only "not authorized"); kInvalidArgument for a
// malformed token.
//
// Example:
//     HEARTH_ASSIGN_OR_RETURN(auto token, wsse::make_token(user, password, now + offset));
//     wsse::add_security_header(envelope.header(), token);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <pugixml.hpp>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"
#include "crypto/secret.h"

namespace hearth::onvif::wsse {

using TimePoint = std::chrono::system_clock::time_point;

struct UsernameToken {
    std::string username;
    std::string password_digest;  // Base64
    std::string nonce;            // Base64
    std::string created;          // xsd:dateTime, UTC, milliseconds
};

// Base64(SHA1(nonce + created + password)).
std::string password_digest(std::span<const std::uint8_t> nonce, std::string_view created,
                            const crypto::SecretBytes& password);

// A token with a 16-byte nonce from randombytes and Created = `created`.
// Errors: kInternal when libsodium cannot initialise.
core::Result<UsernameToken> make_token(std::string_view username,
                                       const crypto::SecretBytes& password, TimePoint created);

// Appends wsse:Security (mustUnderstand) with the token to a SOAP Header. The envelope
// must declare the s, wsse and wsu prefixes (soap::Envelope declares s; this adds the
// others on the Security element).
void add_security_header(pugi::xml_node header, const UsernameToken& token);

// xsd:dateTime in UTC with milliseconds: "2026-11-29T03:00:00.250Z".
std::string format_datetime(TimePoint t);
// xsd:dateTime as cameras and clients write it: optional fraction, "Z" or +hh:mm, or no
// zone (taken as UTC). Errors: kInvalidArgument.
core::Result<TimePoint> parse_datetime(std::string_view text);

// Whether a request may repeat a token seen before (see TokenVerifier::verify).
enum class Repeat : std::uint8_t { kInvalid = 0, kRefuse, kAllow };

class TokenVerifier {
public:
    struct Options {
        std::chrono::seconds window{300};  // |Created - now| allowed
        std::size_t replay_capacity = 8192;
    };

    TokenVerifier(std::string username, crypto::SecretBytes password, Options options);
    TokenVerifier(std::string username, crypto::SecretBytes password)
        : TokenVerifier(std::move(username), std::move(password), Options{}) {}

    // Verifies the UsernameToken in `header` (a SOAP Header; may be empty) at `now`.
    // `repeat` says what a token seen before means: kRefuse for operations that change
    // state, kAllow for reads. Reads may repeat because libonvif (Debian's onvif-tools)
    // seeds rand() with time() for every request, so its nonces repeat within a second
    // and its millisecond Created values repeat for requests sent in the same
    // millisecond; an eavesdropper replaying a read learns only what the plain-HTTP
    // exchange showed anyway. A token a read used is still remembered, so it cannot be
    // replayed for a state change.
    core::Status verify(pugi::xml_node header, TimePoint now, Repeat repeat);

private:
    struct Entry {
        TimePoint created;
    };
    core::Status check_replay(const std::string& key, TimePoint created, TimePoint now,
                              Repeat repeat);  // REQUIRES(mu_)

    std::string username_;
    crypto::SecretBytes password_;
    Options options_;
    std::mutex mu_;
    std::unordered_map<std::string, Entry> seen_;  // GUARDED_BY(mu_); key: SHA-256(nonce|created)
    std::deque<std::pair<TimePoint, std::string>> order_;  // GUARDED_BY(mu_); insertion order
    // Tokens created at or before the floor are refused: it rises when the cache is full
    // and the oldest entry is dropped, so a dropped nonce can never be replayed.
    TimePoint floor_{};  // GUARDED_BY(mu_)
};

}  // namespace hearth::onvif::wsse
