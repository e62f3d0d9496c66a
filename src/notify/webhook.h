// Webhooks: each alert POSTed as JSON to the addresses the owner configured, signed, retried.
//
// - Only configured targets: a delivery names its target by id and reads the target's
//   address when each attempt starts, so a target the owner removed or changed is never
//   sent the old address's deliveries. Redirects are not followed (a 3xx is a failure that
//   says so): a receiver cannot send the household's events somewhere the owner did not
//   choose.
// - Each POST carries `X-Hearth-Event` (the kind), `X-Hearth-Delivery` (random, the same on
//   every retry of one delivery, so a receiver can drop repeats), `X-Hearth-Timestamp`
//   (Unix seconds of this attempt) and `X-Hearth-Signature: sha256=<hex>`, the HMAC-SHA256
//   under the target's secret of `<timestamp>.<body>`. A receiver recomputes it and refuses
//   old timestamps, so a recorded delivery cannot be replayed.
// - https verifies the receiver's certificate and name against the system CAs, or against
//   the target's own CA file (a household's own receiver with its own certificate).
// - Bounded: connect timeout (5 s), whole-attempt timeout (10 s), response header 16 KiB and
//   body 64 KiB (read and discarded), queue per target (100; the oldest waiting delivery is
//   dropped with a warning when full).
// - Retries with exponential backoff (1, 2, 4, 8, 16 s) on network errors, timeouts, 408,
//   429 and 5xx; other answers are final. Each target has its own queue, sent in order one
//   delivery at a time: a receiver that hangs delays only its own deliveries.
// - Logs and reports name the target id and host only: webhook paths often carry secrets.
//
// Thread-safety: every public method is safe from any thread. The sender owns one thread
// (an io_context) where all deliveries run; the result callback is called there: post
// and return, do not block.
// Errors: set_targets refuses invalid targets as a whole (kInvalidArgument naming the target
// and what is wrong; kNotFound for a missing CA file); delivery failures are not errors of
// any call, they arrive as DeliveryReports with a plain reason.
//
// Example:
//     notify::WebhookSender webhooks(clock, {}, [&](const notify::DeliveryReport& r) {
//         post_to_control([r] { settings.record_health(r.target_id, r.outcome, r.reason); });
//     });
//     auto secret = crypto::SecretBytes::random(32);
//     std::vector<notify::WebhookTarget> targets;
//     targets.push_back({.id = "7", .url = "https://ha.home.arpa/api/webhook/x",
//                        .secret = std::move(secret).value()});
//     if (auto s = webhooks.set_targets(std::move(targets)); !s) {
//         return s.error();
//     }
//     webhooks.deliver(notice);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/secret.h"
#include "notify/notice.h"

namespace hearth::notify {

inline constexpr std::size_t kMaxWebhookUrlBytes = 2048;
inline constexpr std::size_t kMaxWebhookTargets = 16;
inline constexpr std::size_t kMaxWebhookIdBytes = 64;
inline constexpr std::size_t kMinWebhookSecretBytes = 16;

// A webhook address that passed parse_webhook_url.
struct WebhookUrl {
    bool https = false;
    std::string host;          // without brackets; a DNS name or an IP literal
    std::uint16_t port = 0;    // 80 or 443 when the address names none
    std::string target = "/";  // path and query, as written

    std::string host_header() const;  // host[:port], brackets around IPv6, port if not default
    std::string redacted() const;     // "https://host[:port]/..." without path or query: for logs
};

// http:// or https://, a host (DNS name, IPv4, or [IPv6]), an optional port, an optional path
// and query. Refused, each with a message that says why: other schemes, no host, a user name
// or password in the address, a #fragment, spaces and non-ASCII bytes (percent-encode them),
// more than kMaxWebhookUrlBytes. Messages never repeat the path or query.
// Error: kInvalidArgument.
core::Result<WebhookUrl> parse_webhook_url(std::string_view url);

// "sha256=" and the lower-case hex HMAC-SHA256 under `secret` of `timestamp + "." + body`:
// the X-Hearth-Signature value (exposed for receivers written against Hearth and tests).
std::string webhook_signature(const crypto::SecretBytes& secret, std::string_view timestamp,
                              std::string_view body);

struct WebhookTarget {
    std::string id;  // the hub's stable name for it (printable ASCII, at most 64 bytes)
    std::string url;
    crypto::SecretBytes secret;  // at least kMinWebhookSecretBytes
    std::string ca_file;         // optional PEM file trusted instead of the system CAs (https only)
};

struct WebhookOptions {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds attempt_timeout{10'000};  // resolve to the answer's end
    int max_attempts = 6;                               // the first try and 5 retries
    std::chrono::milliseconds first_backoff{1000};      // doubled after each failure...
    std::chrono::milliseconds max_backoff{16'000};      // ...up to this
    std::size_t max_queue_per_target = 100;
    std::size_t max_response_header_bytes = 16 * 1024;
    std::size_t max_response_body_bytes = 64 * 1024;
};

enum class DeliveryOutcome : std::uint8_t {
    kInvalid = 0,
    kDelivered,  // the receiver answered 2xx
    kGaveUp,     // a final failure, or the last attempt failed
    kDropped,    // never finished: the queue was full, or the target was removed
};
const char* to_string(DeliveryOutcome outcome);

struct DeliveryReport {
    std::string target_id;
    std::string delivery_id;  // the X-Hearth-Delivery value
    std::string kind;
    std::int64_t event_id = 0;
    DeliveryOutcome outcome = DeliveryOutcome::kInvalid;
    int attempts = 0;
    int http_status = 0;  // the last answer's status; 0 when there was none
    // Plain words for the app: "answered 204", "answered 404", "timed out after 10 s",
    // "answered 302 (a redirect, not followed)", "gave up after 6 attempts: answered 503".
    std::string reason;
};

using DeliveryCallback = std::function<void(const DeliveryReport&)>;

struct WebhookStats {
    std::uint64_t delivered = 0;
    std::uint64_t gave_up = 0;
    std::uint64_t dropped = 0;
    std::uint64_t attempts = 0;
};

class WebhookSender final : public NoticeChannel {
public:
    // Starts the sender's thread; no targets until set_targets.
    explicit WebhookSender(const core::Clock& clock, WebhookOptions options = {},
                           DeliveryCallback on_result = {});
    ~WebhookSender() override;  // stop()
    WebhookSender(const WebhookSender&) = delete;
    WebhookSender& operator=(const WebhookSender&) = delete;

    // Replaces every target (at most kMaxWebhookTargets, unique ids). All or nothing: on an
    // error nothing changes. Deliveries waiting for a removed target are reported kDropped;
    // one in flight to it is cancelled.
    core::Status set_targets(std::vector<WebhookTarget> targets);
    // Queues `notice` for every target; returns at once.
    void deliver(const Notice& notice);
    // Queues a "test" notice for one target, for the app's "Send test" button.
    // Error: kNotFound for an unknown id.
    core::Status send_test(std::string_view target_id);

    // NoticeChannel: alerts become deliveries.
    void alert(const Notice& notice) override { deliver(notice); }

    WebhookStats stats() const;

    // Cancels what is in flight and joins the thread; waiting deliveries are abandoned
    // without reports. Idempotent. Not from the result callback (it runs on that thread).
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;

    std::mutex ids_mu_;
    std::set<std::string, std::less<>> ids_;  // GUARDED_BY(ids_mu_): for send_test's answer
};

}  // namespace hearth::notify
