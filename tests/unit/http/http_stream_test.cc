// Streamed response bodies: known size, chunked, failures mid-stream and back-pressure.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "api/http_server.h"
#include "http_test_client.h"

namespace hearth::api {
namespace {

using namespace http_testing;  // NOLINT: test helpers

TEST(HttpStreamTest, StreamOfKnownSizeArrivesIntact) {
    static constexpr std::uint64_t kSize = 20ull * 1024 * 1024;
    Harness h;
    h.router().add(Method::kGet, "/stream", [](const Request&) {
        Response r;
        r.content_type = "video/mp4";
        r.stream = std::make_unique<PatternSource>(kSize, /*known_size=*/true);
        return r;
    });
    ASSERT_TRUE(h.start());
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(c.send(get("/stream")));
    auto r = c.read_response(false, 60s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_FALSE(r->chunked);
    EXPECT_EQ(r->header("content-length"), std::to_string(kSize));
    EXPECT_EQ(r->header("content-type"), "video/mp4");
    ASSERT_EQ(r->body.size(), kSize);
    EXPECT_EQ(checksum(r->body), pattern_checksum(kSize));

    // HEAD reports the length and never pulls the body.
    ASSERT_TRUE(c.send("HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto head = c.read_response(/*head=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->header("content-length"), std::to_string(kSize));
}

TEST(HttpStreamTest, StreamOfUnknownSizeArrivesChunked) {
    static constexpr std::uint64_t kSize = 20ull * 1024 * 1024 + 12345;  // not a chunk multiple
    Harness h;
    h.router().add(Method::kGet, "/stream", [](const Request&) {
        Response r;
        r.content_type = "application/octet-stream";
        r.stream = std::make_unique<PatternSource>(kSize, /*known_size=*/false);
        return r;
    });
    ASSERT_TRUE(h.start());
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(c.send(get("/stream")));
    auto r = c.read_response(false, 60s);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->chunked);
    EXPECT_TRUE(r->header("content-length").empty());
    ASSERT_EQ(r->body.size(), kSize);
    EXPECT_EQ(checksum(r->body), pattern_checksum(kSize));
    // Keep-alive survives a chunked body.
    ASSERT_TRUE(c.send(get("/nope")));
    auto next = c.read_response();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 404u);
}

TEST(HttpStreamTest, StreamFailureEndsTheConnection) {
    Harness h;
    for (const bool known : {true, false}) {
        h.router().add(Method::kGet, known ? "/known" : "/chunked", [known](const Request&) {
            Response r;
            r.stream =
                std::make_unique<PatternSource>(8 * 1024 * 1024, known, nullptr, 1024 * 1024);
            return r;
        });
    }
    ASSERT_TRUE(h.start());
    for (const char* target : {"/known", "/chunked"}) {
        Client c;
        ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
        ASSERT_TRUE(c.send(get(target)));
        EXPECT_FALSE(c.read_response()) << target << ": a truncated body must not look complete";
        EXPECT_TRUE(c.closed_within(3s)) << target;
    }
}

TEST(HttpStreamTest, SlowReaderHoldsBackTheSource) {
    std::atomic<int> pulls{0};
    Harness h;
    h.router().add(Method::kGet, "/huge", [&pulls](const Request&) {
        Response r;
        r.stream = std::make_unique<PatternSource>(4ull << 30, /*known_size=*/true, &pulls);
        return r;
    });
    ASSERT_TRUE(h.start());
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(c.send(get("/huge")));
    std::this_thread::sleep_for(500ms);  // read nothing: socket buffers fill, pulls stop
    const int after_wait = pulls.load();
    EXPECT_GT(after_wait, 0);
    EXPECT_LT(after_wait, 512) << "pulled " << after_wait << " x 64 KiB without a reader";
    c.close();
}

}  // namespace
}  // namespace hearth::api
