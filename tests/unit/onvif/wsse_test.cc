// WS-Security UsernameToken: the ONVIF Application Programmer's Guide vector, and the
// device side's checks (wrong password, replayed nonce, stale Created).
#include "onvif/wsse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fakes.h"
#include "onvif/soap.h"

namespace hearth::onvif::wsse {
namespace {

using namespace std::chrono_literals;
using testing::secret;

TEST(WsseTest, PasswordDigestKnownVector) {
    // ONVIF Application Programmer's Guide, 6.1.1.3: nonce LKqI6G/AikKCQrN0zqZFlg==.
    const std::vector<std::uint8_t> nonce = {0x2c, 0xaa, 0x88, 0xe8, 0x6f, 0xc0, 0x8a, 0x42,
                                             0x82, 0x42, 0xb3, 0x74, 0xce, 0xa6, 0x45, 0x96};
    EXPECT_EQ(password_digest(nonce, "2010-09-16T07:50:45Z", secret("userpassword")),
              "tuOSpGlFlIXsozq4HFNeeGeFLEI=");
}

TEST(WsseTest, DatetimeRoundTrip) {
    const TimePoint t = TimePoint{} + 1795920000s + 250ms;
    const std::string text = format_datetime(t);
    EXPECT_TRUE(text.ends_with(".250Z")) << text;
    auto back = parse_datetime(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, t);
    auto zoned = parse_datetime("2026-11-29T04:00:00+01:00");
    ASSERT_TRUE(zoned);
    EXPECT_EQ(*parse_datetime("2026-11-29T03:00:00Z"), *zoned);
    EXPECT_FALSE(parse_datetime("yesterday"));
    // Found by onvif_device_fuzz: far years overflowed the nanosecond clock.
    EXPECT_FALSE(parse_datetime("9999-12-31T23:59:59Z"));
    EXPECT_FALSE(parse_datetime("1969-12-31T23:59:59Z"));
}

class VerifierTest : public ::testing::Test {
protected:
    // A request header carrying `token`, parsed as the device would.
    soap::Message request(const UsernameToken& token) {
        soap::Envelope env;
        add_security_header(env.header(), token);
        env.body().append_child("tds:GetDeviceInformation");
        auto m = soap::parse(env.str(), xml::kMaxRequestBytes, "request");
        EXPECT_TRUE(m);
        return std::move(m).value();
    }
    UsernameToken token(std::string_view user, std::string_view password, TimePoint created) {
        return std::move(make_token(user, secret(password), created)).value();
    }

    TimePoint now_ = TimePoint{} + 1795920000s;
    TokenVerifier verifier_{"admin", secret("correct horse")};
};

TEST_F(VerifierTest, AcceptsGoodToken) {
    auto m = request(token("admin", "correct horse", now_));
    EXPECT_TRUE(verifier_.verify(m.header, now_, Repeat::kRefuse));
}

TEST_F(VerifierTest, RefusesWrongPasswordAndUser) {
    auto m = request(token("admin", "wrong", now_));
    auto s = verifier_.verify(m.header, now_, Repeat::kRefuse);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, core::ErrorCode::kPermissionDenied);
    auto u = request(token("root", "correct horse", now_));
    EXPECT_FALSE(verifier_.verify(u.header, now_, Repeat::kRefuse));
}

TEST_F(VerifierTest, RefusesMissingToken) {
    soap::Envelope env;
    env.body().append_child("tds:GetDeviceInformation");
    auto m = soap::parse(env.str(), xml::kMaxRequestBytes, "request");
    ASSERT_TRUE(m);
    auto s = verifier_.verify(m->header, now_, Repeat::kRefuse);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, core::ErrorCode::kUnauthenticated);
}

TEST_F(VerifierTest, RefusesReplayedNonceForWrites) {
    auto m = request(token("admin", "correct horse", now_));
    ASSERT_TRUE(verifier_.verify(m.header, now_, Repeat::kRefuse));
    auto again = verifier_.verify(m.header, now_ + 1s, Repeat::kRefuse);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, core::ErrorCode::kPermissionDenied);
}

TEST_F(VerifierTest, ReadMayRepeatButNotTurnIntoWrite) {
    auto m = request(token("admin", "correct horse", now_));
    ASSERT_TRUE(verifier_.verify(m.header, now_, Repeat::kAllow));
    EXPECT_TRUE(verifier_.verify(m.header, now_, Repeat::kAllow));
    EXPECT_FALSE(verifier_.verify(m.header, now_, Repeat::kRefuse));
}

TEST_F(VerifierTest, RefusesStaleAndFutureCreated) {
    auto stale = request(token("admin", "correct horse", now_ - 6min));
    auto s = verifier_.verify(stale.header, now_, Repeat::kRefuse);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("Created"), std::string::npos) << s.error().message;
    auto future = request(token("admin", "correct horse", now_ + 6min));
    EXPECT_FALSE(verifier_.verify(future.header, now_, Repeat::kRefuse));
    auto recent = request(token("admin", "correct horse", now_ - 4min));
    EXPECT_TRUE(verifier_.verify(recent.header, now_, Repeat::kRefuse));
}

TEST_F(VerifierTest, ReplayCacheOverflowNeverReopensOldTokens) {
    TokenVerifier small("admin", secret("pw"), TokenVerifier::Options{300s, 4});
    std::vector<soap::Message> sent;
    for (int i = 0; i < 8; ++i) {
        sent.push_back(request(token("admin", "pw", now_ + std::chrono::milliseconds(i))));
        ASSERT_TRUE(small.verify(sent.back().header, now_, Repeat::kRefuse)) << i;
    }
    for (auto& m : sent) {
        EXPECT_FALSE(small.verify(m.header, now_, Repeat::kRefuse));
    }
}

}  // namespace
}  // namespace hearth::onvif::wsse
