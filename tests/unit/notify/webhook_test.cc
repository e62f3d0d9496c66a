// WebhookSender against receivers written here on 127.0.0.1 port 0: signatures and headers
// checked with OpenSSL's HMAC (not the sender's own code), retries with shortened backoff, a
// hanging receiver beside a healthy one, redirects, final answers, TLS, and address checks.
#include "notify/webhook.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "crypto/tls_identity.h"
#include "webhook_receiver.h"

namespace hearth::notify {
namespace {

using namespace std::chrono_literals;
using webhook_testing::Answer;
using webhook_testing::Receiver;
using SteadyClock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr core::WallMicros kNowUs = 1'764'385'200'000'000;  // 2025-11-29T03:00:00Z

// Collects DeliveryReports from the sender's thread.
class Reports {
public:
    DeliveryCallback callback() {
        return [this](const DeliveryReport& r) {
            {
                std::lock_guard lock(mu_);
                reports_.push_back(r);
            }
            cv_.notify_all();
        };
    }

    // The first report for `target` after `skip` earlier ones, or nullopt on timeout.
    std::optional<DeliveryReport> wait(const std::string& target, std::chrono::milliseconds timeout,
                                       std::size_t skip = 0) {
        std::unique_lock lock(mu_);
        std::optional<DeliveryReport> found;
        cv_.wait_for(lock, timeout, [&] {
            std::size_t seen = 0;
            for (const auto& r : reports_) {
                if (r.target_id == target && seen++ == skip) {
                    found = r;
                    return true;
                }
            }
            return false;
        });
        return found;
    }

    std::vector<DeliveryReport> all() {
        std::lock_guard lock(mu_);
        return reports_;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<DeliveryReport> reports_;
};

crypto::SecretBytes make_secret() {
    auto s = crypto::SecretBytes::random(32);
    EXPECT_TRUE(s.has_value());
    return std::move(*s);
}

WebhookTarget target(std::string id, std::string url, std::string ca_file = {}) {
    return WebhookTarget{std::move(id), std::move(url), make_secret(), std::move(ca_file)};
}

// The receiver's view of the signature, computed with OpenSSL rather than the sender's code.
std::string expected_signature(const crypto::SecretBytes& secret, const std::string& timestamp,
                               const std::string& body) {
    const std::string message = timestamp + "." + body;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
    static const char* hex = "0123456789abcdef";
    std::string out = "sha256=";
    for (unsigned i = 0; i < len; ++i) {
        out += hex[mac[i] >> 4];
        out += hex[mac[i] & 15];
    }
    return out;
}

Notice person_notice() {
    Notice n;
    n.kind = "person";
    n.camera = core::CameraId(3);
    n.camera_name = "Front door";
    n.start_us = kNowUs - 2'000'000;
    n.confidence = 0.91;
    n.event_id = 42;
    n.summary = "A person at the front door.";
    return n;
}

// Fast options for tests: the production values are 5 s, 10 s and 1..16 s backoff.
WebhookOptions fast_options() {
    WebhookOptions o;
    o.connect_timeout = 1000ms;
    o.attempt_timeout = 2000ms;
    o.first_backoff = 50ms;
    o.max_backoff = 200ms;
    o.max_attempts = 3;
    return o;
}

// Gives `sender` the one target "t" at `url` and hands it the person notice.
bool deliver_to_one(WebhookSender& sender, const std::string& url) {
    std::vector<WebhookTarget> targets;
    targets.push_back(target("t", url));
    if (!sender.set_targets(std::move(targets))) {
        return false;
    }
    sender.deliver(person_notice());
    return true;
}

TEST(WebhookSender, DeliversSignedJsonWithHeaders) {
    Receiver receiver([](int) { return Answer{204}; });
    core::FakeClock clock(kNowUs);
    Reports reports;
    WebhookSender sender(clock, fast_options(), reports.callback());
    auto secret = make_secret();
    auto copy = crypto::SecretBytes::copy_of(secret.view());
    ASSERT_TRUE(copy.has_value());
    std::vector<WebhookTarget> targets;
    targets.push_back({"home-assistant", receiver.url("/api/webhook/abc?x=1"), std::move(*copy)});
    ASSERT_TRUE(sender.set_targets(std::move(targets)));

    sender.deliver(person_notice());
    const auto report = reports.wait("home-assistant", 5s);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->outcome, DeliveryOutcome::kDelivered);
    EXPECT_EQ(report->attempts, 1);
    EXPECT_EQ(report->http_status, 204);
    EXPECT_EQ(report->reason, "answered 204");
    EXPECT_EQ(report->kind, "person");
    EXPECT_EQ(report->event_id, 42);

    const auto got = receiver.requests();
    ASSERT_EQ(got.size(), 1u);
    const auto& r = got[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/api/webhook/abc?x=1");
    EXPECT_EQ(r.header("host"), "127.0.0.1:" + std::to_string(receiver.port()));
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("x-hearth-event"), "person");
    EXPECT_EQ(r.header("x-hearth-timestamp"), std::to_string(kNowUs / 1'000'000));
    EXPECT_EQ(r.header("x-hearth-delivery"), report->delivery_id);
    EXPECT_FALSE(report->delivery_id.empty());
    EXPECT_EQ(r.header("x-hearth-signature"),
              expected_signature(secret, r.header("x-hearth-timestamp"), r.body));
    // A signature over anything else does not match.
    EXPECT_NE(r.header("x-hearth-signature"),
              expected_signature(secret, r.header("x-hearth-timestamp"), r.body + " "));

    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.body;
    EXPECT_EQ(j["kind"], "person");
    EXPECT_EQ(j["camera_id"], 3);
    EXPECT_EQ(j["camera_name"], "Front door");
    EXPECT_EQ(j["event_id"], 42);
    EXPECT_EQ(j["summary"], "A person at the front door.");
    EXPECT_EQ(j["start_us"], kNowUs - 2'000'000);
    EXPECT_EQ(j["start"], "2025-11-29T02:59:58.000Z");
    EXPECT_TRUE(j["end"].is_null());
    EXPECT_EQ(j["ongoing"], true);
    EXPECT_EQ(j["urgent"], false);
    EXPECT_DOUBLE_EQ(j["confidence"].get<double>(), 0.91);
    EXPECT_EQ(sender.stats().delivered, 1u);
}

TEST(WebhookSender, RetriesServerErrorsWithBackoffThenDelivers) {
    Receiver receiver([](int n) { return Answer{n < 2 ? 500 : 200}; });
    core::FakeClock clock(kNowUs);
    Reports reports;
    WebhookOptions o = fast_options();
    o.first_backoff = 100ms;
    o.max_attempts = 5;
    WebhookSender sender(clock, o, reports.callback());
    std::vector<WebhookTarget> targets;
    targets.push_back(target("t", receiver.url()));
    ASSERT_TRUE(sender.set_targets(std::move(targets)));

    sender.deliver(person_notice());
    const auto report = reports.wait("t", 5s);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->outcome, DeliveryOutcome::kDelivered);
    EXPECT_EQ(report->attempts, 3);
    EXPECT_EQ(report->http_status, 200);
    const auto got = receiver.requests();
    ASSERT_EQ(got.size(), 3u);
    // The same delivery id on every retry, so the receiver can drop repeats.
    EXPECT_EQ(got[0].header("x-hearth-delivery"), got[2].header("x-hearth-delivery"));
    // Exponential backoff: 100 ms, then 200 ms.
    EXPECT_GE(got[1].at - got[0].at, 90ms);
    EXPECT_GE(got[2].at - got[1].at, 190ms);
}

TEST(WebhookSender, GivesUpAfterMaxAttemptsOn503) {
    Receiver receiver([](int) { return Answer{503}; });
    core::FakeClock clock(kNowUs);
    Reports reports;
    WebhookSender sender(clock, fast_options(), reports.callback());
    ASSERT_TRUE(deliver_to_one(sender, receiver.url()));
    const auto report = reports.wait("t", 5s);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->outcome, DeliveryOutcome::kGaveUp);
    EXPECT_EQ(report->attempts, 3);
    EXPECT_EQ(report->http_status, 503);
    EXPECT_EQ(report->reason, "gave up after 3 attempts: answered 503");
    EXPECT_EQ(receiver.requests().size(), 3u);
}

TEST(WebhookSender, HangingReceiverTimesOutWithoutDelayingOthers) {
    Receiver hanging([](int) { return Answer{.hang = true}; });
    Receiver healthy([](int) { return Answer{200}; });
    core::FakeClock clock(kNowUs);
    Reports reports;
    WebhookOptions o = fast_options();
    o.attempt_timeout = 600ms;
    o.max_attempts = 2;
    WebhookSender sender(clock, o, reports.callback());
    std::vector<WebhookTarget> targets;
    targets.push_back(target("hangs", hanging.url()));
    targets.push_back(target("healthy", healthy.url()));
    ASSERT_TRUE(sender.set_targets(std::move(targets)));

    const auto t0 = SteadyClock::now();
    for (int i = 0; i < 3; ++i) {
        Notice n = person_notice();
        n.event_id = 100 + i;
        sender.deliver(n);
    }
    // All three reach the healthy receiver while the first one still hangs on the other.
    const auto third = reports.wait("healthy", 2s, 2);
    ASSERT_TRUE(third.has_value());
    EXPECT_EQ(third->outcome, DeliveryOutcome::kDelivered);
    EXPECT_LT(SteadyClock::now() - t0, 500ms);
    EXPECT_TRUE(hanging.wait_for(1, 1s));

    const auto gave_up = reports.wait("hangs", 3s);
    ASSERT_TRUE(gave_up.has_value());
    const auto elapsed = SteadyClock::now() - t0;
    EXPECT_EQ(gave_up->outcome, DeliveryOutcome::kGaveUp);
    EXPECT_EQ(gave_up->attempts, 2);
    EXPECT_EQ(gave_up->http_status, 0);
    EXPECT_EQ(gave_up->reason, "gave up after 2 attempts: timed out after 0.6 s");
    // Two attempts of 0.6 s and a 50 ms pause.
    EXPECT_GE(elapsed, 1200ms);
    EXPECT_LT(elapsed, 2500ms);

    // Stopping with deliveries still in flight to the hanging receiver is prompt.
    const auto s0 = SteadyClock::now();
    sender.stop();
    EXPECT_LT(SteadyClock::now() - s0, 500ms);
}

TEST(WebhookSender, RedirectIsNotFollowed) {
    Receiver elsewhere([](int) { return Answer{200}; });
    Receiver redirecting([&](int) { return Answer{302, elsewhere.url("/stolen")}; });
    core::FakeClock clock(kNowUs);
    Reports reports;
    WebhookSender sender(clock, fast_options(), reports.callback());
    ASSERT_TRUE(deliver_to_one(sender, redirecting.url()));
    const auto report = reports.wait("t", 5s);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->outcome, DeliveryOutcome::kGaveUp);
    EXPECT_EQ(report->attempts, 1);
    EXPECT_EQ(report->http_status, 302);
    EXPECT_EQ(report->reason,
              "answered 302 (a redirect, not followed: configure the final address)");
    std::this_thread::sleep_for(150ms);
    EXPECT_EQ(redirecting.requests().size(), 1u);
    EXPECT_TRUE(elsewhere.requests().empty());
}

TEST(WebhookSender, ClientErrorIsNotRetried) {
    Receiver receiver([](int) { return Answer{404}; });
    core::FakeClock clock(kNowUs);
    Reports reports;
    WebhookSender sender(clock, fast_options(), reports.callback());
    ASSERT_TRUE(deliver_to_one(sender, receiver.url()));
    const auto report = reports.wait("t", 5s);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->outcome, DeliveryOutcome::kGaveUp);
    EXPECT_EQ(report->attempts, 1);
    EXPECT_EQ(report->reason, "answered 404");
    std::this_thread::sleep_for(150ms);  // longer than the first backoff
    EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST(WebhookSender, RefusedConnectionIsRetriedThenReported) {
    std::uint16_t closed_port = 0;
    {
        Receiver gone([](int) { return Answer{200}; });
        closed_port = gone.port();
    }
    core::FakeClock clock(kNowUs);
    Reports reports;
    WebhookOptions o = fast_options();
    o.max_attempts = 2;
    WebhookSender sender(clock, o, reports.callback());
    std::vector<WebhookTarget> targets;
    targets.push_back(target("t", "http://127.0.0.1:" + std::to_string(closed_port) + "/hook"));
    ASSERT_TRUE(sender.set_targets(std::move(targets)));
    sender.deliver(person_notice());
    const auto report = reports.wait("t", 5s);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->outcome, DeliveryOutcome::kGaveUp);
    EXPECT_EQ(report->attempts, 2);
    EXPECT_NE(report->reason.find("could not connect to 127.0.0.1:"), std::string::npos)
        << report->reason;
    EXPECT_NE(report->reason.find("refused"), std::string::npos) << report->reason;
}

TEST(WebhookSender, SendTestAndUnknownTarget) {
    Receiver receiver([](int) { return Answer{200}; });
    core::FakeClock clock(kNowUs);
    Reports reports;
    WebhookSender sender(clock, fast_options(), reports.callback());
    std::vector<WebhookTarget> targets;
    targets.push_back(target("t", receiver.url()));
    ASSERT_TRUE(sender.set_targets(std::move(targets)));

    const auto unknown = sender.send_test("nope");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, core::ErrorCode::kNotFound);

    ASSERT_TRUE(sender.send_test("t"));
    const auto report = reports.wait("t", 5s);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->outcome, DeliveryOutcome::kDelivered);
    EXPECT_EQ(report->kind, "test");
    ASSERT_EQ(receiver.requests().size(), 1u);
    EXPECT_EQ(receiver.requests()[0].header("x-hearth-event"), "test");
}

TEST(WebhookSender, RemovedTargetGetsNothingMore) {
    Receiver hanging([](int) { return Answer{.hang = true}; });
    core::FakeClock clock(kNowUs);
    Reports reports;
    WebhookOptions o = fast_options();
    o.attempt_timeout = 5000ms;
    WebhookSender sender(clock, o, reports.callback());
    ASSERT_TRUE(deliver_to_one(sender, hanging.url()));
    sender.deliver(person_notice());
    ASSERT_TRUE(hanging.wait_for(1, 2s));

    ASSERT_TRUE(sender.set_targets({}));
    const auto first = reports.wait("t", 2s, 0);
    const auto second = reports.wait("t", 2s, 1);
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(first->outcome, DeliveryOutcome::kDropped);
    EXPECT_EQ(first->reason, "the target was removed");
    EXPECT_EQ(second->outcome, DeliveryOutcome::kDropped);
    sender.deliver(person_notice());
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(hanging.requests().size(), 1u);
    EXPECT_EQ(reports.all().size(), 2u);
    EXPECT_FALSE(sender.send_test("t"));
}

TEST(WebhookSender, FullQueueDropsTheOldestWaiting) {
    Receiver hanging([](int) { return Answer{.hang = true}; });
    core::FakeClock clock(kNowUs);
    Reports reports;
    WebhookOptions o = fast_options();
    o.attempt_timeout = 5000ms;
    o.max_queue_per_target = 2;
    WebhookSender sender(clock, o, reports.callback());
    std::vector<WebhookTarget> targets;
    targets.push_back(target("t", hanging.url()));
    ASSERT_TRUE(sender.set_targets(std::move(targets)));
    for (int i = 1; i <= 5; ++i) {
        Notice n = person_notice();
        n.event_id = i;
        sender.deliver(n);
    }
    // 1 is in flight, 5 waits; 2, 3 and 4 were pushed out in turn.
    for (std::size_t i = 0; i < 3; ++i) {
        const auto r = reports.wait("t", 2s, i);
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->outcome, DeliveryOutcome::kDropped);
        EXPECT_EQ(r->event_id, static_cast<std::int64_t>(i + 2));
        EXPECT_EQ(r->reason, "2 deliveries already waiting for this target");
    }
    EXPECT_EQ(sender.stats().dropped, 3u);
}

// One certificate for the TLS tests, made with the hub's own code (SAN 127.0.0.1).
struct TlsReceiverFiles {
    fs::path dir;
    webhook_testing::TlsFiles pems;
    fs::path cert_file;
};

TlsReceiverFiles make_tls_files() {
    std::string tmpl = (fs::temp_directory_path() / "hearth-notify-tls-XXXXXX").string();
    TlsReceiverFiles out;
    out.dir = ::mkdtemp(tmpl.data());
    auto id = crypto::load_or_create_tls_identity(out.dir);
    EXPECT_TRUE(id.has_value());
    out.pems.cert_pem = id->cert_chain_pem;
    out.pems.key_pem.assign(reinterpret_cast<const char*>(id->key_pem.data()), id->key_pem.size());
    out.cert_file = out.dir / "cert.pem";
    return out;
}

TEST(WebhookSender, HttpsTrustsTheTargetsCaFileAndRefusesUnknownCertificates) {
    const TlsReceiverFiles files = make_tls_files();
    Receiver receiver([](int) { return Answer{200}; }, files.pems);
    core::FakeClock clock(kNowUs);
    Reports reports;
    WebhookSender sender(clock, fast_options(), reports.callback());
    std::vector<WebhookTarget> targets;
    targets.push_back(target("own-ca", receiver.url(), files.cert_file.string()));
    targets.push_back(target("system-ca", receiver.url()));
    ASSERT_TRUE(sender.set_targets(std::move(targets)));
    sender.deliver(person_notice());

    const auto trusted = reports.wait("own-ca", 5s);
    ASSERT_TRUE(trusted.has_value());
    EXPECT_EQ(trusted->outcome, DeliveryOutcome::kDelivered) << trusted->reason;

    // The hub's self-signed certificate is in no system store: refused, and not retried.
    const auto refused = reports.wait("system-ca", 5s);
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->outcome, DeliveryOutcome::kGaveUp);
    EXPECT_EQ(refused->attempts, 1);
    EXPECT_NE(refused->reason.find("TLS certificate is not trusted"), std::string::npos)
        << refused->reason;
    EXPECT_EQ(receiver.requests().size(), 1u);
    std::error_code ec;
    fs::remove_all(files.dir, ec);
}

std::string url_error(std::string_view url) {
    auto r = parse_webhook_url(url);
    EXPECT_FALSE(r.has_value()) << url;
    if (r) {
        return {};
    }
    EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument);
    return r.error().message;
}

TEST(WebhookUrl, RefusesBadAddressesWithClearMessages) {
    EXPECT_EQ(url_error("ftp://example.com/hook"),
              "webhook address: the scheme 'ftp' is not allowed: only http and https");
    EXPECT_EQ(url_error("file:///etc/passwd"),
              "webhook address: the scheme 'file' is not allowed: only http and https");
    EXPECT_EQ(url_error("http:///hook"),
              "webhook address: no host; expected https://host[:port]/path");
    EXPECT_EQ(url_error("https://:8443/hook"),
              "webhook address: no host; expected https://host[:port]/path");
    EXPECT_EQ(url_error("example.com/hook"),
              "webhook address: expected http:// or https:// followed by a host");
    EXPECT_EQ(url_error(""), "webhook address: empty; expected https://host[:port]/path");
    const std::string userinfo = url_error("https://alice:hunter2@example.com/hook");
    EXPECT_EQ(userinfo,
              "webhook address: a user name or password in the address is not accepted (each "
              "delivery is signed with the webhook's secret instead)");
    EXPECT_EQ(userinfo.find("hunter2"), std::string::npos);
    EXPECT_EQ(url_error("https://example.com/" + std::string(3000, 'a')),
              "webhook address: too long (3020 bytes; at most 2048)");
    EXPECT_EQ(url_error("https://example.com/hook#part"),
              "webhook address: a #fragment is never sent to a server; remove it");
    EXPECT_EQ(url_error("https://exa mple.com/"),
              "webhook address: contains a space, a control character or a non-ASCII byte "
              "(percent-encode it)");
    EXPECT_EQ(url_error("https://example.com:0/"),
              "webhook address: the port must be a number from 1 to 65535");
    EXPECT_EQ(url_error("https://example.com:99999/"),
              "webhook address: the port must be a number from 1 to 65535");
    EXPECT_EQ(url_error("https://exa_mple..com/"),
              "webhook address: the host is not a valid host name");
    EXPECT_EQ(url_error("https://999.1.1.1/"),
              "webhook address: the host is not a valid IPv4 address");
    EXPECT_EQ(url_error("https://[::1/"),
              "webhook address: an IPv6 address is missing its closing ']'");
    EXPECT_EQ(url_error("https://[nope]/"),
              "webhook address: the host is not a valid IPv6 address");
}

TEST(WebhookUrl, AcceptsHttpAndHttpsAddresses) {
    auto a = parse_webhook_url("HTTPS://Example.com?token=1");
    ASSERT_TRUE(a.has_value());
    EXPECT_TRUE(a->https);
    EXPECT_EQ(a->host, "Example.com");
    EXPECT_EQ(a->port, 443);
    EXPECT_EQ(a->target, "/?token=1");
    EXPECT_EQ(a->host_header(), "Example.com");
    EXPECT_EQ(a->redacted(), "https://Example.com/...");

    auto b = parse_webhook_url("http://[::1]:8123/api/webhook/secret-id");
    ASSERT_TRUE(b.has_value());
    EXPECT_FALSE(b->https);
    EXPECT_EQ(b->host, "::1");
    EXPECT_EQ(b->port, 8123);
    EXPECT_EQ(b->target, "/api/webhook/secret-id");
    EXPECT_EQ(b->host_header(), "[::1]:8123");
    EXPECT_EQ(b->redacted().find("secret"), std::string::npos);

    auto c = parse_webhook_url("http://127.0.0.1");  // parsed only: no connection is made
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->port, 80);
    EXPECT_EQ(c->target, "/");
}

TEST(WebhookSender, SetTargetsRefusesBadTargetsAsAWhole) {
    Receiver receiver([](int) { return Answer{200}; });
    core::FakeClock clock(kNowUs);
    Reports reports;
    WebhookSender sender(clock, fast_options(), reports.callback());
    std::vector<WebhookTarget> good;
    good.push_back(target("good", receiver.url()));
    ASSERT_TRUE(sender.set_targets(std::move(good)));

    {
        std::vector<WebhookTarget> targets;
        targets.push_back(target("ok", receiver.url()));
        targets.push_back(target("bad", "ftp://example.com/secret-path"));
        const auto s = sender.set_targets(std::move(targets));
        ASSERT_FALSE(s);
        EXPECT_EQ(s.error().code, core::ErrorCode::kInvalidArgument);
        EXPECT_EQ(s.error().message,
                  "webhook 'bad': webhook address: the scheme 'ftp' is not allowed: only http and "
                  "https");
    }
    {
        std::vector<WebhookTarget> targets;
        targets.push_back(
            {"short", receiver.url(), crypto::SecretBytes::copy_of("too short").value(), {}});
        const auto s = sender.set_targets(std::move(targets));
        ASSERT_FALSE(s);
        EXPECT_EQ(s.error().message, "webhook 'short': the secret must be at least 16 bytes");
    }
    {
        std::vector<WebhookTarget> targets;
        targets.push_back(target("twice", receiver.url()));
        targets.push_back(target("twice", receiver.url()));
        EXPECT_EQ(sender.set_targets(std::move(targets)).error().message,
                  "webhook 'twice': the id is used twice");
    }
    {
        std::vector<WebhookTarget> targets;
        targets.push_back(target("ca", "https://example.com/", "/nonexistent/ca.pem"));
        const auto s = sender.set_targets(std::move(targets));
        ASSERT_FALSE(s);
        EXPECT_EQ(s.error().code, core::ErrorCode::kNotFound);
    }
    // Nothing changed: the good target still receives.
    sender.deliver(person_notice());
    const auto report = reports.wait("good", 5s);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->outcome, DeliveryOutcome::kDelivered);
}

}  // namespace
}  // namespace hearth::notify
