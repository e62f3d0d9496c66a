#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/http.h"

namespace hearth::api {
namespace {

Handler replying(std::string text) {
    return [text](const Request&) { return Response::json(200, text); };
}

Request request(Method method, std::string path) {
    Request r;
    r.method = method;
    r.path = std::move(path);
    return r;
}

std::string call(const Router& router, Request& req) {
    const Handler* handler = nullptr;
    if (router.route(req, &handler) != Router::Match::kFound) {
        return "<no match>";
    }
    return (*handler)(req).body;
}

TEST(RouterTest, ExactAndParamSegments) {
    Router router;
    router.add(Method::kGet, "/api/cameras", replying("list"));
    router.add(Method::kGet, "/api/cameras/{id}/recordings", replying("recordings"));
    router.add(Method::kPost, "/api/cameras/{id}/ptz/{action}", replying("ptz"));

    auto list = request(Method::kGet, "/api/cameras");
    EXPECT_EQ(call(router, list), "list");

    auto recs = request(Method::kGet, "/api/cameras/front%20door/recordings");
    EXPECT_EQ(call(router, recs), "recordings");
    EXPECT_EQ(recs.params.at("id"), "front%20door");  // the server hands decoded paths

    auto ptz = request(Method::kPost, "/api/cameras/3/ptz/left");
    EXPECT_EQ(call(router, ptz), "ptz");
    EXPECT_EQ(ptz.params.at("id"), "3");
    EXPECT_EQ(ptz.params.at("action"), "left");
}

TEST(RouterTest, NoPathAndWrongMethod) {
    Router router;
    router.add(Method::kGet, "/api/cameras/{id}/recordings", replying("r"));
    router.add(Method::kDelete, "/api/cameras/{id}/recordings", replying("d"));

    const Handler* handler = nullptr;
    for (const char* path : {"/api/cameras", "/api/cameras//recordings", "/api/cameras/1",
                             "/api/cameras/1/recordings/", "/api/cameras/1/recordings/x", "/",
                             "/api/Cameras/1/recordings"}) {
        auto req = request(Method::kGet, path);
        EXPECT_EQ(router.route(req, &handler), Router::Match::kNoPath) << path;
    }
    auto post = request(Method::kPost, "/api/cameras/1/recordings");
    EXPECT_EQ(router.route(post, &handler), Router::Match::kWrongMethod);
    EXPECT_EQ(router.allowed_methods("/api/cameras/1/recordings"),
              (std::vector<Method>{Method::kGet, Method::kHead, Method::kDelete}));
    EXPECT_TRUE(router.allowed_methods("/nope").empty());
}

TEST(RouterTest, LiteralBeatsParamWhateverTheOrder) {
    Router router;
    router.add(Method::kGet, "/api/cameras/{id}", replying("one"));
    router.add(Method::kGet, "/api/cameras/new", replying("new"));
    router.add(Method::kGet, "/api/{any}/{thing}", replying("generic"));

    auto fresh = request(Method::kGet, "/api/cameras/new");
    EXPECT_EQ(call(router, fresh), "new");
    EXPECT_TRUE(fresh.params.empty());
    auto seven = request(Method::kGet, "/api/cameras/7");
    EXPECT_EQ(call(router, seven), "one");
    auto other = request(Method::kGet, "/api/users/7");
    EXPECT_EQ(call(router, other), "generic");
    EXPECT_EQ(other.params.at("any"), "users");
}

TEST(RouterTest, HeadFallsBackToGetButPrefersItsOwnRoute) {
    Router router;
    router.add(Method::kGet, "/a", replying("get a"));
    router.add(Method::kGet, "/b", replying("get b"));
    router.add(Method::kHead, "/b", replying("head b"));

    auto a = request(Method::kHead, "/a");
    EXPECT_EQ(call(router, a), "get a");
    EXPECT_EQ(a.method, Method::kHead);
    auto b = request(Method::kHead, "/b");
    EXPECT_EQ(call(router, b), "head b");
}

TEST(RouterTest, RootRoute) {
    Router router;
    router.add(Method::kGet, "/", replying("root"));
    auto root = request(Method::kGet, "/");
    EXPECT_EQ(call(router, root), "root");
}

TEST(MethodTest, Names) {
    EXPECT_EQ(to_string(Method::kGet), "GET");
    EXPECT_EQ(to_string(Method::kDelete), "DELETE");
    EXPECT_EQ(to_string(Method::kInvalid), "INVALID");
}

TEST(RequestTest, HeaderLookupUsesLowerCaseNames) {
    Request r;
    r.headers["content-type"] = "text/plain";
    EXPECT_EQ(r.header("content-type"), "text/plain");
    EXPECT_FALSE(r.header("accept").has_value());
}

TEST(ResponseTest, JsonHelper) {
    auto r = Response::json(201, R"({"id":1})");
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.body, R"({"id":1})");
    EXPECT_EQ(r.stream, nullptr);
}

TEST(ResponseTest, ErrorCarriesMessageRequestIdAndExtraFields) {
    Request req;
    req.request_id = "0123456789ab";
    auto r = Response::error(404, "no recording at that time", req,
                             R"("nearest":[10,20],"camera":"front")");
    EXPECT_EQ(r.status, 404);
    auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["error"], "no recording at that time");
    EXPECT_EQ(body["request_id"], "0123456789ab");
    EXPECT_EQ(body["nearest"], nlohmann::json::array({10, 20}));
    EXPECT_EQ(body["camera"], "front");
}

TEST(ResponseTest, ErrorEscapesMessagesAndSurvivesBadInput) {
    Request req;
    req.request_id = "abc";
    auto quoted = Response::error(400, "bad \"name\"\n\xff", req);
    auto body = nlohmann::json::parse(quoted.body);  // valid JSON despite the bad UTF-8
    EXPECT_EQ(body["request_id"], "abc");

    // Malformed extras are a caller bug: dropped, the error itself survives.
    auto broken = Response::error(500, "oops", req, R"("x":)");
    body = nlohmann::json::parse(broken.body);
    EXPECT_EQ(body["error"], "oops");
    EXPECT_FALSE(body.contains("x"));

    // Extras cannot overwrite the error or the request id.
    auto sneaky = Response::error(403, "denied", req, R"("error":"fine","request_id":"x")");
    body = nlohmann::json::parse(sneaky.body);
    EXPECT_EQ(body["error"], "denied");
    EXPECT_EQ(body["request_id"], "abc");
}

}  // namespace
}  // namespace hearth::api
