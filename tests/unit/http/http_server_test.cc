// HttpServer over real sockets on port 0: routing, errors, limits, timeouts, caps, lifecycle.
#include "api/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <regex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "http_test_client.h"

namespace hearth::api {
namespace {

using namespace http_testing;  // NOLINT: test helpers

void add_basic_routes(Router& router) {
    router.add(Method::kGet, "/api/hello",
               [](const Request&) { return Response::json(200, R"({"hello":"world"})"); });
    router.add(Method::kGet, "/api/cameras/{id}/recordings", [](const Request& req) {
        nlohmann::json j;
        j["id"] = req.params.at("id");
        j["start"] = req.query.count("start") ? req.query.at("start") : "";
        j["agent"] = std::string(req.header("user-agent").value_or(""));
        j["cookie"] = std::string(req.header("cookie").value_or(""));
        j["accept"] = std::string(req.header("accept").value_or(""));
        j["remote"] = req.remote_address;
        j["request_id"] = req.request_id;
        j["method"] = std::string(to_string(req.method));
        return Response::json(200, j.dump());
    });
    router.add(Method::kPost, "/api/echo", [](const Request& req) {
        Response r;
        r.content_type = "application/octet-stream";
        r.body = req.body;
        return r;
    });
    router.add(Method::kGet, "/api/throw", [](const Request&) -> Response {
        throw std::runtime_error("sqlite: database /var/lib/hearth/secret.db is locked");
    });
    router.add(Method::kDelete, "/api/nothing", [](const Request&) {
        Response r;
        r.status = 204;
        r.body = "ignored";
        return r;
    });
}

TEST(HttpServerTest, ServesRouteWithParamsQueryHeadersAndRequestId) {
    Harness h;
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    auto r = h.exchange(get("/api/cameras/front%20door/recordings?start=2024-01-01T00%3A00",
                            "User-Agent: hearth-test\r\nCookie: a=1\r\nCOOKIE: b=2\r\n"
                            "Accept: text/html\r\naccept: application/json\r\n"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->header("content-type"), "application/json");
    EXPECT_TRUE(is_request_id(r->header("x-request-id"))) << r->header("x-request-id");
    auto j = r->json();
    EXPECT_EQ(j["id"], "front door");
    EXPECT_EQ(j["start"], "2024-01-01T00:00");
    EXPECT_EQ(j["agent"], "hearth-test");
    EXPECT_EQ(j["cookie"], "a=1; b=2");
    EXPECT_EQ(j["accept"], "text/html, application/json");
    EXPECT_EQ(j["remote"], "127.0.0.1");
    EXPECT_EQ(j["method"], "GET");
    EXPECT_EQ(j["request_id"], r->header("x-request-id"));
}

TEST(HttpServerTest, NotFoundAndMethodNotAllowedAreJsonErrors) {
    Harness h;
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());

    auto missing = h.exchange(get("/api/nope"));
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404u);
    EXPECT_EQ(missing->json()["error"], "not found");
    EXPECT_EQ(missing->json()["request_id"], missing->header("x-request-id"));

    auto wrong = h.exchange("POST /api/hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 405u);
    EXPECT_EQ(wrong->header("allow"), "GET, HEAD");
    EXPECT_EQ(wrong->json()["request_id"], wrong->header("x-request-id"));
}

TEST(HttpServerTest, UnsupportedMethodsAre501) {
    Harness h;
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    for (const char* method : {"OPTIONS", "TRACE", "BREW"}) {
        auto r = h.exchange(std::string(method) + " /api/hello HTTP/1.1\r\nHost: t\r\n\r\n");
        ASSERT_TRUE(r) << method;
        EXPECT_EQ(r->status, 501u) << method;
        EXPECT_TRUE(r->json().contains("request_id"));
    }
}

TEST(HttpServerTest, PathTraversalIsRejected) {
    Harness h;
    h.router().add(Method::kGet, "/files/{name}", [](const Request& req) {
        return Response::json(200, nlohmann::json{{"name", req.params.at("name")}}.dump());
    });
    ASSERT_TRUE(h.start());
    for (const char* target :
         {"/files/../etc/passwd", "/files/%2e%2e", "/files/..%2Fetc", "/files/a%2fb", "/files/a%00",
          "/files/%5c..", "/files/./x", "/files/%zz"}) {
        auto r = h.exchange(get(target));
        ASSERT_TRUE(r) << target;
        EXPECT_EQ(r->status, 400u) << target;
        EXPECT_EQ(r->json()["request_id"], r->header("x-request-id")) << target;
    }
    auto ok = h.exchange(get("/files/clip%201.mp4"));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200u);
    EXPECT_EQ(ok->json()["name"], "clip 1.mp4");
}

TEST(HttpServerTest, HeaderOverLimitIs431) {
    ServerLimits limits;
    limits.max_header_bytes = 1024;
    Harness h(limits);
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(c.send(get("/api/hello", "X-Big: " + std::string(4000, 'a') + "\r\n")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431u);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.closed_within(3s));
}

TEST(HttpServerTest, BodyOverLimitIs413) {
    ServerLimits limits;
    limits.max_body_bytes = 1000;
    Harness h(limits);
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());

    const std::string big(5000, 'x');
    auto declared =
        h.exchange("POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + big);
    ASSERT_TRUE(declared);
    EXPECT_EQ(declared->status, 413u);

    // Chunked: the limit trips mid-body.
    std::string chunked =
        "POST /api/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 5; ++i) {
        chunked += "3e8\r\n" + std::string(1000, 'y') + "\r\n";
    }
    chunked += "0\r\n\r\n";
    auto streamed = h.exchange(chunked);
    ASSERT_TRUE(streamed);
    EXPECT_EQ(streamed->status, 413u);

    // At the limit is fine.
    auto fits = h.exchange("POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" +
                           std::string(1000, 'z'));
    ASSERT_TRUE(fits);
    EXPECT_EQ(fits->status, 200u);
    EXPECT_EQ(fits->body, std::string(1000, 'z'));
}

TEST(HttpServerTest, MalformedRequestsAre400ThenClose) {
    Harness h;
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    for (const char* bad :
         {"NOT A VALID REQUEST\r\n\r\n", "GET /api/hello HTTP/1.1\r\nno colon here\r\n\r\n",
          "GET /api/hello HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
          "GET /api/hello HTTP/7.5\r\n\r\n"}) {
        Client c;
        ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
        ASSERT_TRUE(c.send(bad));
        auto r = c.read_response();
        ASSERT_TRUE(r) << bad;
        EXPECT_EQ(r->status, 400u) << bad;
        EXPECT_TRUE(is_request_id(r->json()["request_id"].get<std::string>()));
        EXPECT_TRUE(c.closed_within(3s)) << bad;
    }
}

TEST(HttpServerTest, SlowClientIsCutAfterReadTimeout) {
    ServerLimits limits;
    limits.read_timeout = 1s;
    Harness h(limits);
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());

    Client slow;
    ASSERT_TRUE(slow.connect("127.0.0.1", h.port()));
    const auto start = Clock::now();
    ASSERT_TRUE(slow.send("GET /api/hello HTTP/1.1\r\nHost: t\r\n"));  // never finished
    EXPECT_TRUE(slow.closed_within(4s));
    const auto took = Clock::now() - start;
    EXPECT_GE(took, 900ms);
    EXPECT_LT(took, 3s);

    // A client that connects and says nothing is cut after the same time.
    Client silent;
    ASSERT_TRUE(silent.connect("127.0.0.1", h.port()));
    EXPECT_TRUE(silent.closed_within(4s));
}

TEST(HttpServerTest, DribblingBytesDoesNotExtendTheRequestDeadline) {
    ServerLimits limits;
    limits.read_timeout = 1s;
    Harness h(limits);
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    const auto start = Clock::now();
    bool cut = false;
    while (Clock::now() - start < 4s) {
        if (!c.send("X")) {
            cut = true;
            break;
        }
        std::string sink;
        const auto r = c.read_some(sink, 200ms);
        if (r == Client::Read::kEof || r == Client::Read::kError) {
            cut = true;
            break;
        }
    }
    EXPECT_TRUE(cut);
    EXPECT_LT(Clock::now() - start, 3s);
}

TEST(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
    ServerLimits limits;
    limits.idle_timeout = 1s;
    Harness h(limits);
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(c.send(get("/api/hello")));
    auto first = c.read_response();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200u);
    ASSERT_TRUE(c.send(get("/api/cameras/2/recordings")));
    auto second = c.read_response();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->json()["id"], "2");
    EXPECT_NE(first->header("x-request-id"), second->header("x-request-id"));

    // Pipelined: both requests in one write, answered in order.
    ASSERT_TRUE(c.send(get("/api/cameras/3/recordings") + get("/api/cameras/4/recordings")));
    auto third = c.read_response();
    auto fourth = c.read_response();
    ASSERT_TRUE(third && fourth);
    EXPECT_EQ(third->json()["id"], "3");
    EXPECT_EQ(fourth->json()["id"], "4");

    // Idle past idle_timeout: the server hangs up.
    EXPECT_TRUE(c.closed_within(4s));
}

TEST(HttpServerTest, RequestRatePerClientIsLimitedThenRecovers) {
    ServerLimits limits;
    limits.requests_per_second_per_client = 10;
    limits.request_burst_per_client = 5;
    Harness h(limits);
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    int ok = 0, limited = 0;
    for (int i = 0; i < 12; ++i) {
        ASSERT_TRUE(c.send(get("/api/hello")));
        auto r = c.read_response();
        ASSERT_TRUE(r);
        if (r->status == 200u) {
            ++ok;
        } else {
            EXPECT_EQ(r->status, 429u);
            EXPECT_EQ(r->header("retry-after"), "1");
            ++limited;
        }
    }
    // The burst passes (plus what refilled meanwhile); the rest waits.
    EXPECT_GE(ok, 5);
    EXPECT_GE(limited, 1);
    std::this_thread::sleep_for(300ms);  // three tokens back at 10/s
    ASSERT_TRUE(c.send(get("/api/hello")));
    auto again = c.read_response();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200u);
}

TEST(HttpServerTest, ConnectionCloseIsHonoured) {
    Harness h;
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(c.send(get("/api/hello", "Connection: close\r\n")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.closed_within(3s));
}

TEST(HttpServerTest, HeadIsGetWithoutBody) {
    Harness h;
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(c.send("HEAD /api/hello HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto head = c.read_response(/*head=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200u);
    EXPECT_TRUE(head->body.empty());
    EXPECT_EQ(head->header("content-length"), "17");
    EXPECT_EQ(head->header("content-type"), "application/json");
    // Were body bytes sent after the header, this reply would not parse.
    ASSERT_TRUE(c.send(get("/api/cameras/5/recordings")));
    auto full = c.read_response();
    ASSERT_TRUE(full);
    EXPECT_EQ(full->json()["id"], "5");

    // The handler sees HEAD (it may skip work), the server drops the body.
    ASSERT_TRUE(c.send("HEAD /api/cameras/5/recordings HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto head2 = c.read_response(/*head=*/true);
    ASSERT_TRUE(head2);
    EXPECT_TRUE(head2->body.empty());
    ASSERT_TRUE(c.send(get("/api/hello")));
    auto after = c.read_response();
    ASSERT_TRUE(after);
    EXPECT_EQ(after->body, R"({"hello":"world"})");
}

TEST(HttpServerTest, NoContentHasNoBody) {
    Harness h;
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(c.send("DELETE /api/nothing HTTP/1.1\r\nHost: t\r\n\r\n" + get("/api/hello")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204u);
    EXPECT_TRUE(r->body.empty());
    EXPECT_TRUE(r->header("content-length").empty());
    auto next = c.read_response();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200u);
}

TEST(HttpServerTest, PostBodyAndExpectContinue) {
    Harness h;
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(
        c.send("POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
               "Expect: 100-continue\r\n\r\n"));
    std::string interim;
    while (interim.find("\r\n\r\n") == std::string::npos) {
        ASSERT_EQ(c.read_some(interim, 3s), Client::Read::kData);
    }
    EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
    ASSERT_TRUE(c.send("hello"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->header("content-type"), "application/octet-stream");
    EXPECT_EQ(r->body, "hello");
}

TEST(HttpServerTest, HandlerExceptionIs500WithRequestIdAndNoDetails) {
    Harness h;
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(c.send(get("/api/throw")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500u);
    EXPECT_EQ(r->json()["request_id"], r->header("x-request-id"));
    EXPECT_TRUE(is_request_id(r->header("x-request-id")));
    EXPECT_EQ(r->body.find("sqlite"), std::string::npos) << r->body;
    EXPECT_EQ(r->body.find("secret"), std::string::npos) << r->body;
    // The connection survives a handler bug.
    ASSERT_TRUE(c.send(get("/api/hello")));
    auto next = c.read_response();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200u);
}

TEST(HttpServerTest, PerClientConnectionCapAnswers503) {
    ServerLimits limits;
    limits.max_connections_per_client = 2;
    Harness h(limits);
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    Client a;
    Client b;
    for (Client* c : {&a, &b}) {
        ASSERT_TRUE(c->connect("127.0.0.1", h.port()));
        ASSERT_TRUE(c->send(get("/api/hello")));
        auto r = c->read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200u);
    }
    Client third;
    ASSERT_TRUE(third.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(third.send(get("/api/hello")));
    auto refused = third.read_response();
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 503u);
    EXPECT_EQ(refused->header("retry-after"), "1");
    EXPECT_TRUE(is_request_id(refused->json()["request_id"].get<std::string>()));
    EXPECT_TRUE(third.closed_within(3s));

    // A freed slot is usable again once the server has seen the close.
    a.close();
    bool served = false;
    for (int attempt = 0; attempt < 40 && !served; ++attempt) {
        auto r = h.exchange(get("/api/hello"));
        served = r && r->status == 200u;
        if (!served) {
            std::this_thread::sleep_for(50ms);
        }
    }
    EXPECT_TRUE(served);
}

TEST(HttpServerTest, TotalConnectionCapAnswers503) {
    ServerLimits limits;
    limits.max_connections = 1;
    Harness h(limits);
    add_basic_routes(h.router());
    ASSERT_TRUE(h.start());
    Client a;
    ASSERT_TRUE(a.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(a.send(get("/api/hello")));
    ASSERT_TRUE(a.read_response());
    auto refused = h.exchange(get("/api/hello"));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 503u);
}

TEST(HttpServerTest, DefaultHeadersAndHandlerHeaders) {
    Harness h;
    h.router().add(Method::kGet, "/h", [](const Request&) {
        Response r = Response::json(200, "{}");
        r.headers = {{"Cache-Control", "no-store"},
                     {"Link", "<a>"},
                     {"Link", "<b>"},
                     {"X-Evil", "a\r\nSet-Cookie: x=1"},
                     {"Content-Length", "999"},
                     {"X-Request-Id", "forged"}};
        return r;
    });
    ASSERT_TRUE(h.start());
    h.server().set_default_headers(
        {{"X-Frame-Options", "DENY"}, {"Cache-Control", "max-age=60"}, {"Bad\r\nName", "x"}});
    Client c;
    ASSERT_TRUE(c.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(c.send(get("/h")));
    std::string raw;
    while (raw.find("\r\n\r\n") == std::string::npos) {
        ASSERT_EQ(c.read_some(raw, 3s), Client::Read::kData);
    }
    EXPECT_NE(raw.find("X-Frame-Options: DENY\r\n"), std::string::npos) << raw;
    EXPECT_NE(raw.find("Cache-Control: no-store\r\n"), std::string::npos) << raw;
    EXPECT_EQ(raw.find("max-age=60"), std::string::npos) << raw;
    EXPECT_NE(raw.find("Link: <a>\r\n"), std::string::npos) << raw;
    EXPECT_NE(raw.find("Link: <b>\r\n"), std::string::npos) << raw;
    EXPECT_EQ(raw.find("Set-Cookie"), std::string::npos) << raw;
    EXPECT_EQ(raw.find("X-Evil"), std::string::npos) << raw;
    EXPECT_EQ(raw.find("999"), std::string::npos) << raw;
    EXPECT_EQ(raw.find("forged"), std::string::npos) << raw;
    EXPECT_NE(raw.find("Content-Length: 2\r\n"), std::string::npos) << raw;
    const std::regex date("Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] "
                          "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20[0-9]{2} "
                          "[0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT\r\n");
    EXPECT_TRUE(std::regex_search(raw, date)) << raw;
}

TEST(HttpServerTest, Ipv6Loopback) {
    Harness h;
    add_basic_routes(h.router());
    auto started = h.start("::1");
    if (!started) {
        GTEST_SKIP() << "no IPv6 loopback here: " << started.error().describe();
    }
    Client c;
    if (!c.connect("::1", h.port())) {
        GTEST_SKIP() << "cannot connect to [::1]";
    }
    ASSERT_TRUE(c.send(get("/api/cameras/6/recordings")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->json()["remote"], "::1");
}

TEST(HttpServerTest, StartErrors) {
    boost::asio::io_context io;
    auto guard = boost::asio::make_work_guard(io);
    std::thread net([&io] { io.run(); });  // stop() waits for the net thread to close things
    Router router;
    {
        HttpServer server(io, router);
        auto bad = server.start({"not-an-ip", 0});
        ASSERT_FALSE(bad);
        EXPECT_EQ(bad.error().code, core::ErrorCode::kInvalidArgument);
        auto ok = server.start({"localhost", 0});
        ASSERT_TRUE(ok) << ok.error().describe();
        EXPECT_NE(ok->port, 0);
        EXPECT_EQ(ok->host, "localhost");
        auto twice = server.start({"localhost", 0});
        ASSERT_FALSE(twice);
        EXPECT_EQ(twice.error().code, core::ErrorCode::kFailedPrecondition);

        // The port is taken now.
        HttpServer other(io, router);
        auto taken = other.start({"127.0.0.1", ok->port});
        ASSERT_FALSE(taken);
        EXPECT_EQ(taken.error().code, core::ErrorCode::kUnavailable);
        server.stop();
        server.stop();  // idempotent
    }
    HttpServer never_started(io, router);
    never_started.stop();
    EXPECT_FALSE(never_started.start({"127.0.0.1", 0}));
    guard.reset();
    io.stop();
    net.join();
}

TEST(HttpServerTest, StopWhileClientsAreConnectedEndsPromptly) {
    Harness h;
    std::atomic<int> pulls{0};
    add_basic_routes(h.router());
    h.router().add(Method::kGet, "/huge", [&pulls](const Request&) {
        Response r;
        r.stream = std::make_unique<PatternSource>(4ull << 30, false, &pulls);
        return r;
    });
    ASSERT_TRUE(h.start());

    Client idle;  // kept alive between requests
    ASSERT_TRUE(idle.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(idle.send(get("/api/hello")));
    ASSERT_TRUE(idle.read_response());
    Client half;  // mid-request
    ASSERT_TRUE(half.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(half.send("GET /api/hello HTTP/1.1\r\n"));
    Client streaming;  // mid-response, not reading
    ASSERT_TRUE(streaming.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(streaming.send(get("/huge")));
    for (int i = 0; i < 100 && pulls.load() == 0; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    std::this_thread::sleep_for(50ms);

    const auto start = Clock::now();
    h.server().stop();
    EXPECT_LT(Clock::now() - start, 1s);
    EXPECT_TRUE(idle.closed_within(1s));
    EXPECT_TRUE(half.closed_within(1s));
    EXPECT_TRUE(streaming.closed_within(2s));
    Client late;
    EXPECT_FALSE(late.connect("127.0.0.1", h.port()) && late.send(get("/api/hello")) &&
                 late.read_response(false, 500ms));
}

}  // namespace
}  // namespace hearth::api
