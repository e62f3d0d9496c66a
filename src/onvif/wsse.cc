#include "onvif/wsse.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <vector>

#include "core/time_text.h"
#include "onvif/soap.h"
#include "onvif/xml.h"

namespace hearth::onvif::wsse {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr const char* kDigestType =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordDigest";
constexpr const char* kBase64Type =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
    "#Base64Binary";
constexpr std::size_t kNonceBytes = 16;
constexpr std::size_t kMaxNonceBytes = 64;  // clients send 16-20
constexpr std::size_t kMaxUsernameBytes = 256;

std::string base64(std::span<const std::uint8_t> bytes) {
    std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1);  // the terminating NUL
    return out;
}

std::optional<std::vector<std::uint8_t>> unbase64(std::string_view text, std::size_t max) {
    std::vector<std::uint8_t> out(max);
    std::size_t len = 0;
    // Whitespace inside the value is tolerated: some clients wrap long Base64 lines.
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), " \t\r\n", &len,
                          nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
        return std::nullopt;
    }
    out.resize(len);
    return out;
}

}  // namespace

std::string password_digest(std::span<const std::uint8_t> nonce, std::string_view created,
                            const crypto::SecretBytes& password) {
    // SHA-1 because the UsernameToken profile fixes it; libsodium has none, OpenSSL does.
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int md_len = 0;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
    EVP_DigestUpdate(ctx, nonce.data(), nonce.size());
    EVP_DigestUpdate(ctx, created.data(), created.size());
    EVP_DigestUpdate(ctx, password.data(), password.size());
    EVP_DigestFinal_ex(ctx, md.data(), &md_len);
    EVP_MD_CTX_free(ctx);
    return base64({md.data(), md_len});
}

core::Result<UsernameToken> make_token(std::string_view username,
                                       const crypto::SecretBytes& password, TimePoint created) {
    HEARTH_TRY(crypto::init_sodium());
    std::array<std::uint8_t, kNonceBytes> nonce{};
    randombytes_buf(nonce.data(), nonce.size());
    UsernameToken t;
    t.username = std::string(username);
    t.created = format_datetime(created);
    t.nonce = base64(nonce);
    t.password_digest = password_digest(nonce, t.created, password);
    return t;
}

void add_security_header(pugi::xml_node header, const UsernameToken& token) {
    pugi::xml_node sec = header.append_child("wsse:Security");
    sec.append_attribute("xmlns:wsse") = ns::kWsse;
    sec.append_attribute("xmlns:wsu") = ns::kWsu;
    sec.append_attribute("s:mustUnderstand") = "1";
    pugi::xml_node ut = sec.append_child("wsse:UsernameToken");
    xml::add(ut, "wsse:Username", token.username);
    xml::add(ut, "wsse:Password", token.password_digest).append_attribute("Type") = kDigestType;
    xml::add(ut, "wsse:Nonce", token.nonce).append_attribute("EncodingType") = kBase64Type;
    xml::add(ut, "wsu:Created", token.created);
}

std::string format_datetime(TimePoint t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
    auto secs = static_cast<std::time_t>(ms.count() / 1000);
    long long frac = ms.count() % 1000;
    if (frac < 0) {
        frac += 1000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return buf;
}

core::Result<TimePoint> parse_datetime(std::string_view s) {
    const auto bad = [&] {
        return make_error(ErrorCode::kInvalidArgument,
                          "bad xsd:dateTime '" + xml::printable(s, 40) +
                              "' (expected YYYY-MM-DDThh:mm:ss[.fff][Z|+hh:mm])");
    };
    if (s.size() < 19 || s.size() > 40 || s[4] != '-' || s[10] != 'T') {
        return bad();  // also keeps out the Unix seconds core::parse_time accepts
    }
    // xsd:dateTime may leave out the zone; cameras mean UTC then.
    std::string text(s);
    const auto n = text.size();
    const bool zoned =
        text.back() == 'Z' ||
        (n >= 25 && (text[n - 6] == '+' || text[n - 6] == '-') && text[n - 3] == ':');
    if (!zoned) {
        text += 'Z';
    }
    auto us = core::parse_time(text);
    // Years past 2200 would overflow system_clock's nanoseconds (and no camera means them).
    constexpr std::int64_t kYear2200Us = 7'258'118'400LL * 1'000'000;
    if (!us || *us < 0 || *us >= kYear2200Us) {
        return bad();
    }
    return TimePoint(
        std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(*us)));
}

TokenVerifier::TokenVerifier(std::string username, crypto::SecretBytes password, Options options)
    : username_(std::move(username)), password_(std::move(password)), options_(options) {}

core::Status TokenVerifier::verify(pugi::xml_node header, TimePoint now, Repeat repeat) {
    pugi::xml_node ut = xml::child(xml::child(header, "Security"), "UsernameToken");
    if (!ut) {
        return make_error(ErrorCode::kUnauthenticated, "the request carries no UsernameToken");
    }
    const std::string user = xml::text(xml::child(ut, "Username"));
    pugi::xml_node pw = xml::child(ut, "Password");
    const std::string digest = xml::text(pw);
    const std::string type = xml::attribute(pw, "Type");
    const std::string nonce_text = xml::text(xml::child(ut, "Nonce"));
    const std::string created_text = xml::text(xml::child(ut, "Created"));
    if (user.size() > kMaxUsernameBytes || digest.size() > 64) {
        return make_error(ErrorCode::kInvalidArgument, "the UsernameToken is malformed");
    }
    if (!type.empty() && !type.ends_with("#PasswordDigest")) {
        // A plain-text password would cross the network readable; refuse it outright.
        return make_error(ErrorCode::kPermissionDenied,
                          "the UsernameToken is not a PasswordDigest (plain text is refused)");
    }
    auto nonce = unbase64(nonce_text, kMaxNonceBytes);
    if (nonce_text.empty() || !nonce || nonce->empty() || created_text.empty()) {
        return make_error(ErrorCode::kPermissionDenied,
                          "the UsernameToken lacks a usable Nonce or Created");
    }
    auto created = parse_datetime(created_text);
    if (!created) {
        return make_error(ErrorCode::kPermissionDenied,
                          "the UsernameToken's Created is not a time: " + created.error().message);
    }
    const auto skew = *created > now ? *created - now : now - *created;
    if (skew > options_.window) {
        return make_error(
            ErrorCode::kPermissionDenied,
            "the UsernameToken's Created is " +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::seconds>(*created - now).count()) +
                " s from the device's clock (at most " + std::to_string(options_.window.count()) +
                " s allowed)");
    }
    // Both compared in full, in constant time, before either result is looked at, so the
    // timing reveals neither which one was wrong nor how much of it matched.
    const bool user_ok = crypto::constant_time_equal(user, username_);
    const std::string expected = password_digest(*nonce, created_text, password_);
    const bool digest_ok = crypto::constant_time_equal(digest, expected);
    if (!user_ok || !digest_ok) {
        return make_error(ErrorCode::kPermissionDenied, "wrong user name or password");
    }
    std::string key_input = nonce_text;
    key_input += '|';
    key_input += created_text;
    const std::string key = crypto::sha256_hex(key_input);
    std::lock_guard lock(mu_);
    return check_replay(key, *created, now, repeat);
}

core::Status TokenVerifier::check_replay(const std::string& key, TimePoint created, TimePoint now,
                                         Repeat repeat) {
    if (created <= floor_) {
        return make_error(ErrorCode::kPermissionDenied,
                          "the UsernameToken is older than the replay cache remembers");
    }
    if (seen_.contains(key)) {
        if (repeat == Repeat::kAllow) {
            return {};
        }
        return make_error(ErrorCode::kPermissionDenied, "the UsernameToken was used before");
    }
    // Entries whose Created has left the window can go: such a token is refused as stale.
    while (!order_.empty() && order_.front().first + options_.window < now) {
        seen_.erase(order_.front().second);
        order_.pop_front();
    }
    while (order_.size() >= options_.replay_capacity && !order_.empty()) {
        if (order_.front().first > floor_) {
            floor_ = order_.front().first;
        }
        seen_.erase(order_.front().second);
        order_.pop_front();
    }
    if (created <= floor_) {
        return make_error(ErrorCode::kPermissionDenied,
                          "the UsernameToken is older than the replay cache remembers");
    }
    seen_.emplace(key, Entry{created});
    order_.emplace_back(created, key);
    return {};
}

}  // namespace hearth::onvif::wsse
