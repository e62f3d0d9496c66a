// The web app's static shell: only files present at start are served, with the right
// types and caching; nothing outside the allow-list is reachable.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/access.h"
#include "api/http_parse.h"
#include "api/routes.h"

namespace hearth::api {
namespace {

namespace fs = std::filesystem;

class WebAppTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() /
                ("hearth-web-test-" +
                 std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
        fs::create_directories(root_ / "assets");
        fs::create_directories(root_ / "icons");
    }
    void TearDown() override { fs::remove_all(root_); }

    void write(const fs::path& rel, std::string_view text) {
        std::ofstream(root_ / rel, std::ios::binary) << text;
    }

    void start() {
        secure_ = std::make_unique<SecureRouter>(router_, nullptr);
        add_web_app(*secure_, root_);
    }

    Response get(std::string_view target, std::map<std::string, std::string> headers = {}) {
        Request req;
        req.method = Method::kGet;
        req.target = std::string(target);
        auto parsed = parse_target(target);
        if (!parsed) {  // the server refuses such a target before any route sees it
            Response r;
            r.status = 400;
            return r;
        }
        req.path = parsed->path;
        req.headers = std::move(headers);
        req.request_id = "test";
        const Handler* handler = nullptr;
        if (router_.route(req, &handler) != Router::Match::kFound) {
            Response r;
            r.status = 404;
            return r;
        }
        return (*handler)(req);
    }

    static std::string header(const Response& r, std::string_view name) {
        for (const auto& [k, v] : r.headers) {
            if (k == name) {
                return v;
            }
        }
        return {};
    }

    fs::path root_;
    Router router_;
    std::unique_ptr<SecureRouter> secure_;
};

TEST_F(WebAppTest, ServesTheShellWithTypesAndCaching) {
    write("index.html", "<!doctype html><title>Hearth</title>");
    write("sw.js", "self.x = 1;");
    write("manifest.webmanifest", "{}");
    write("assets/index-abc123.js", "console.log(1)");
    write("assets/style-abc123.css", "body{}");
    write("icons/icon-192.png", "\x89PNG");
    start();

    auto index = get("/");
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(header(index, "Cache-Control"), "no-cache");
    EXPECT_NE(index.body.find("Hearth"), std::string::npos);

    auto js = get("/assets/index-abc123.js");
    EXPECT_EQ(js.status, 200);
    EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
    EXPECT_EQ(header(js, "Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(get("/assets/style-abc123.css").content_type, "text/css; charset=utf-8");
    EXPECT_EQ(get("/icons/icon-192.png").content_type, "image/png");
    EXPECT_EQ(get("/manifest.webmanifest").content_type, "application/manifest+json");
    auto sw = get("/sw.js");
    EXPECT_EQ(sw.content_type, "text/javascript; charset=utf-8");
    EXPECT_EQ(header(sw, "Cache-Control"), "no-cache");

    // Revalidation: the same ETag answers 304 without a body.
    const auto etag = header(js, "ETag");
    ASSERT_FALSE(etag.empty());
    auto again = get("/assets/index-abc123.js", {{"if-none-match", etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
}

TEST_F(WebAppTest, OnlyFilesPresentAtStartAndNothingOutside) {
    write("index.html", "<!doctype html>");
    write("secret.txt", "not part of the shell");
    write("assets/app.exe", "unknown type");
    fs::create_directories(root_ / "assets" / "nested");
    write("assets/nested/x.js", "deep");
    fs::create_symlink(root_ / "secret.txt", root_ / "assets" / "link.js");
    start();
    write("assets/later.js", "added after start");

    EXPECT_EQ(get("/assets/later.js").status, 404);
    EXPECT_EQ(get("/assets/app.exe").status, 404);
    EXPECT_EQ(get("/assets/link.js").status, 404);
    EXPECT_EQ(get("/assets/nested/x.js").status, 404);
    EXPECT_EQ(get("/secret.txt").status, 404);
    for (const char* sneaky : {"/assets/..%2Fsecret.txt", "/assets/../secret.txt",
                               "/icons/..%2Findex.html", "/assets/%2e%2e/secret.txt"}) {
        EXPECT_NE(get(sneaky).status, 200) << sneaky;
    }
}

TEST_F(WebAppTest, WithoutABuildTheRootSaysSo) {
    start();
    auto r = get("/");
    EXPECT_EQ(r.status, 503);
    EXPECT_NE(r.body.find("the app is not built: run make"), std::string::npos);
}

}  // namespace
}  // namespace hearth::api
