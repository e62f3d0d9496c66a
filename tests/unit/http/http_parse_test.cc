#include "api/http_parse.h"

#include <gtest/gtest.h>

namespace hearth::api {
namespace {

TEST(UrlDecodeTest, DecodesEscapesAndLeavesPlusAlone) {
    auto r = url_decode("a%20b%2Fc%2fd+e%41");
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(*r, "a b/c/d+eA");
    EXPECT_EQ(*url_decode(""), "");
    EXPECT_EQ(*url_decode("%00"), std::string("\0", 1));
    EXPECT_EQ(*url_decode("%ff"), "\xff");
}

TEST(UrlDecodeTest, BadEscapesAreErrors) {
    for (const char* bad : {"%", "%4", "a%", "%zz", "%g0", "%0g", "abc%2", "%%41"}) {
        auto r = url_decode(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument) << bad;
    }
}

TEST(ParseQueryTest, ParsesPairsPlusAsSpaceAndLastWins) {
    auto q = parse_query("start=2024-01-01T00%3A00&name=front+door&flag&x=1&x=2&&empty=");
    ASSERT_TRUE(q) << q.error().describe();
    EXPECT_EQ(q->at("start"), "2024-01-01T00:00");
    EXPECT_EQ(q->at("name"), "front door");
    EXPECT_EQ(q->at("flag"), "");
    EXPECT_EQ(q->at("x"), "2");
    EXPECT_EQ(q->at("empty"), "");
    EXPECT_EQ(q->size(), 5u);
}

TEST(ParseQueryTest, EmptyQueryIsEmptyMap) {
    auto q = parse_query("");
    ASSERT_TRUE(q);
    EXPECT_TRUE(q->empty());
    EXPECT_TRUE(parse_query("&&&")->empty());
}

TEST(ParseQueryTest, ValueMayContainEquals) {
    auto q = parse_query("token=a=b%3D");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->at("token"), "a=b=");
}

TEST(ParseQueryTest, Errors) {
    for (const char* bad : {"a=%", "a=%zz", "%4=1", "=1", "a=1&=2", "a=%00", "%00=1"}) {
        auto q = parse_query(bad);
        ASSERT_FALSE(q) << bad;
        EXPECT_EQ(q.error().code, core::ErrorCode::kInvalidArgument) << bad;
    }
}

TEST(ParseQueryTest, TooManyParametersIsAnError) {
    std::string many;
    for (std::size_t i = 0; i <= kMaxQueryParams; ++i) {
        many += "k" + std::to_string(i) + "=v&";
    }
    EXPECT_FALSE(parse_query(many));
}

TEST(DecodePathTest, DecodesSegments) {
    EXPECT_EQ(*decode_path("/"), "/");
    EXPECT_EQ(*decode_path("/api/cameras/7"), "/api/cameras/7");
    EXPECT_EQ(*decode_path("/api/front%20door/x"), "/api/front door/x");
    EXPECT_EQ(*decode_path("/a/"), "/a/");
    EXPECT_EQ(*decode_path("/a..b/.hidden/..."), "/a..b/.hidden/...");
}

TEST(DecodePathTest, RejectsTraversalAndTricks) {
    for (const char* bad : {"", "api", "../x", "/..", "/a/../b", "/a/./b", "/a/%2e%2e/b",
                            "/a/%2E%2e", "/a/.%2e/b", "/a%2Fb", "/a%2fb", "/a/b%5cc", "/a\\b",
                            "/a%00", "/a%0d%0aX: y", "/a%7f", "/a%zz", "/a%"}) {
        auto p = decode_path(bad);
        ASSERT_FALSE(p) << bad;
        EXPECT_EQ(p.error().code, core::ErrorCode::kInvalidArgument) << bad;
    }
}

TEST(ParseTargetTest, SplitsAtFirstQuestionMark) {
    auto t = parse_target("/api/cameras/7/recordings?start=1&q=a%3Fb?c");
    ASSERT_TRUE(t) << t.error().describe();
    EXPECT_EQ(t->path, "/api/cameras/7/recordings");
    EXPECT_EQ(t->query.at("start"), "1");
    EXPECT_EQ(t->query.at("q"), "a?b?c");
    auto plain = parse_target("/x");
    ASSERT_TRUE(plain);
    EXPECT_TRUE(plain->query.empty());
    EXPECT_FALSE(parse_target("/x?a=%"));
    EXPECT_FALSE(parse_target("/../x?a=1"));
    EXPECT_FALSE(parse_target("http://example.com/x"));
}

TEST(SplitPathTest, Segments) {
    EXPECT_EQ(split_path("/"), std::vector<std::string_view>{});
    EXPECT_EQ(split_path(""), std::vector<std::string_view>{});
    EXPECT_EQ(split_path("/a/b"), (std::vector<std::string_view>{"a", "b"}));
    EXPECT_EQ(split_path("/a/"), (std::vector<std::string_view>{"a", ""}));
    EXPECT_EQ(split_path("//"), (std::vector<std::string_view>{"", ""}));
}

}  // namespace
}  // namespace hearth::api
