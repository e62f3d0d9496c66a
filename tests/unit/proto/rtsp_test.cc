#include <gtest/gtest.h>

#include <string>

#include "media/proto_rtsp.h"

namespace hearth::media::rtsp {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(RtspRequestTest, HasCSeqUserAgentHeadersAndBody) {
    EXPECT_EQ(
        build_request("SETUP", "rtsp://cam/stream/track1", 3,
                      {{"Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"}, {"Session", "abc"}}),
        "SETUP rtsp://cam/stream/track1 RTSP/1.0\r\nCSeq: 3\r\nUser-Agent: hearth\r\n"
        "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\nSession: abc\r\n\r\n");
    EXPECT_EQ(build_request("SET_PARAMETER", "rtsp://c/", 9, {}, "a: b\r\n"),
              "SET_PARAMETER rtsp://c/ RTSP/1.0\r\nCSeq: 9\r\nUser-Agent: hearth\r\n"
              "Content-Length: 6\r\n\r\na: b\r\n");
}

TEST(RtspResponseTest, ParsesStatusHeadersAndBody) {
    const std::string text =
        "RTSP/1.0 200 OK\r\ncseq: 2\r\nContent-Type: application/sdp\r\n"
        "Content-Base: rtsp://127.0.0.1:8554/stream/\r\nCONTENT-LENGTH: 5\r\n\r\nv=0\r\nRTSP";
    Message m;
    auto used = parse_message(bytes(text), &m);
    ASSERT_TRUE(used);
    EXPECT_EQ(*used, text.size() - 4);
    EXPECT_TRUE(m.is_response);
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(m.reason, "OK");
    EXPECT_EQ(m.cseq(), 2);
    ASSERT_NE(m.header("content-base"), nullptr);
    EXPECT_EQ(*m.header("Content-Base"), "rtsp://127.0.0.1:8554/stream/");
    EXPECT_EQ(m.body, "v=0\r\n");
    EXPECT_EQ(m.header("Session"), nullptr);
}

TEST(RtspResponseTest, IncompleteNeedsMoreBytes) {
    const std::string text = "RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 10\r\n\r\n12345";
    Message m;
    for (std::size_t n = 0; n < text.size(); ++n) {
        auto used = parse_message(bytes(text.substr(0, n)), &m);
        ASSERT_TRUE(used) << n;
        EXPECT_EQ(*used, 0u) << n;
    }
}

TEST(RtspResponseTest, BareLineFeedsAndFoldedHeaders) {
    const std::string text =
        "RTSP/1.0 401 Unauthorized\nCSeq: 4\nWWW-Authenticate: Digest\n"
        " realm=\"r\", nonce=\"n\"\n\n";
    Message m;
    auto used = parse_message(bytes(text), &m);
    ASSERT_TRUE(used);
    EXPECT_EQ(*used, text.size());
    EXPECT_EQ(m.status, 401);
    EXPECT_EQ(*m.header("www-authenticate"), "Digest realm=\"r\", nonce=\"n\"");
}

TEST(RtspResponseTest, RejectsMalformedAndOversized) {
    Message m;
    EXPECT_FALSE(parse_message(bytes("RTSP/1.0 abc OK\r\n\r\n"), &m));
    EXPECT_FALSE(parse_message(bytes("RTSP/1.0 200 OK\r\nNoColon\r\n\r\n"), &m));
    EXPECT_FALSE(parse_message(bytes("RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n"), &m));
    EXPECT_FALSE(parse_message(bytes("RTSP/1.0 200 OK\r\nContent-Length: 99999999\r\n\r\n"), &m));
    EXPECT_FALSE(parse_message(bytes("hello world\r\n\r\n"), &m));
    const std::string huge = "RTSP/1.0 200 OK\r\nX: " + std::string(20000, 'a');
    auto r = parse_message(bytes(huge), &m);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("16 KiB"), std::string::npos);
    // Exactly at the limit of the body is fine.
    const std::string body(kMaxBodyBytes, 'x');
    const std::string ok =
        "RTSP/1.0 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    auto r2 = parse_message(bytes(ok), &m);
    ASSERT_TRUE(r2);
    EXPECT_EQ(*r2, ok.size());
}

TEST(RtspResponseTest, ServerRequest) {
    Message m;
    auto used = parse_message(bytes("GET_PARAMETER rtsp://c/ RTSP/1.0\r\nCSeq: 7\r\n\r\n"), &m);
    ASSERT_TRUE(used);
    EXPECT_FALSE(m.is_response);
    EXPECT_EQ(m.method, "GET_PARAMETER");
    EXPECT_EQ(m.cseq(), 7);
}

TEST(InterleavedTest, SplitsFramesAndResponsesInAnyOrder) {
    std::string stream;
    stream += std::string("$\x00\x00\x03", 4) + "abc";
    stream += "RTSP/1.0 200 OK\r\nCSeq: 5\r\n\r\n";
    stream += std::string("$\x01\x00\x02", 4) + "xy";
    stream += std::string("$\x02\x01\x00", 4) + std::string(256, 'z');

    std::span<const std::uint8_t> rest = bytes(stream);
    auto c = next_chunk(rest);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, ChunkKind::kData);
    EXPECT_EQ(c->channel, 0);
    EXPECT_EQ(std::string(c->payload.begin(), c->payload.end()), "abc");
    rest = rest.subspan(c->consumed);

    c = next_chunk(rest);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, ChunkKind::kMessage);
    EXPECT_EQ(c->message.cseq(), 5);
    rest = rest.subspan(c->consumed);

    c = next_chunk(rest);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, ChunkKind::kData);
    EXPECT_EQ(c->channel, 1);
    rest = rest.subspan(c->consumed);

    // A frame split across reads.
    auto partial = next_chunk(rest.first(100));
    ASSERT_TRUE(partial);
    EXPECT_EQ(partial->kind, ChunkKind::kNeedMore);
    c = next_chunk(rest);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, ChunkKind::kData);
    EXPECT_EQ(c->payload.size(), 256u);
    EXPECT_EQ(c->consumed, rest.size());

    for (const char* head : {"", "$", "$\x01", "R", "RTS", "RTSP/1.0 200", "GET_PA"}) {
        auto n = next_chunk(bytes(head));
        ASSERT_TRUE(n);
        EXPECT_EQ(n->kind, ChunkKind::kNeedMore) << head;
    }
}

TEST(InterleavedTest, SkipsJunkUpToTheNextFrame) {
    const std::string stream =
        std::string("\x01\x02garbage", 9) + std::string("$\x00\x00\x01", 4) + "q";
    auto c = next_chunk(bytes(stream));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, ChunkKind::kJunk);
    EXPECT_EQ(c->consumed, 9u);
    EXPECT_FALSE(next_chunk(bytes("RTSP/1.0 xyz\r\n\r\n")));  // broken message: an error
}

TEST(RtspHeadersTest, TransportSessionPublic) {
    auto t = parse_transport("RTP/AVP/TCP;unicast;interleaved=4-5;ssrc=1234;mode=\"PLAY\"");
    EXPECT_TRUE(t.tcp);
    EXPECT_EQ(t.interleaved_rtp, 4);
    EXPECT_EQ(t.interleaved_rtcp, 5);
    EXPECT_EQ(parse_transport("RTP/AVP;unicast;client_port=1-2").interleaved_rtp, -1);
    EXPECT_EQ(parse_transport("RTP/AVP/TCP;interleaved=300-301").interleaved_rtp, -1);

    auto s = parse_session("47112344;timeout=60");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->id, "47112344");
    EXPECT_EQ(s->timeout_s, 60);
    auto s2 = parse_session(" 5Ah3p ; timeout = 2");  // malformed timeout keeps the default
    ASSERT_TRUE(s2);
    EXPECT_EQ(s2->id, "5Ah3p");
    EXPECT_EQ(parse_session("x;timeout=1")->timeout_s, 5);
    EXPECT_FALSE(parse_session(""));
    EXPECT_FALSE(parse_session("a b"));

    EXPECT_TRUE(public_has("OPTIONS, DESCRIBE, GET_PARAMETER, PLAY", "GET_PARAMETER"));
    EXPECT_FALSE(public_has("OPTIONS, DESCRIBE, SET_PARAMETER", "GET_PARAMETER"));
}

TEST(RtspUrlTest, SplitsHostPortAndPath) {
    auto u = parse_url("rtsp://127.0.0.10:8554/Streaming/Channels/101?transportmode=unicast");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "127.0.0.10");
    EXPECT_EQ(u->port, 8554);
    EXPECT_EQ(u->path, "/Streaming/Channels/101?transportmode=unicast");
    auto v6 = parse_url("RTSP://[fe80::1]/live");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "fe80::1");
    EXPECT_EQ(v6->port, 554);
    EXPECT_EQ(parse_url("rtsp://cam")->path, "/");
    EXPECT_EQ(parse_url("rtsps://cam/x")->scheme, "rtsps");
    EXPECT_FALSE(parse_url("http://cam/x"));
    EXPECT_FALSE(parse_url("rtsp://user:pw@cam/x"));
    EXPECT_FALSE(parse_url("rtsp://cam:0/x"));
    EXPECT_FALSE(parse_url("rtsp://cam:99999/x"));
    EXPECT_FALSE(parse_url("rtsp://:554/x"));
}

// RFC 2617 section 3.5's example (the method is GET there).
TEST(RtspAuthTest, Rfc2617DigestExample) {
    Message r;
    r.is_response = true;
    r.status = 401;
    r.headers.push_back({"WWW-Authenticate",
                         "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
                         "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                         "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""});
    auto c = choose_challenge(r);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->scheme, AuthScheme::kDigest);
    EXPECT_TRUE(c->qop_auth);
    Authenticator auth("Mufasa", "Circle Of Life", *c);
    EXPECT_EQ(auth.answer("GET", "/dir/index.html", "0a4f113b"),
              "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
              "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
              "response=\"6629fae49393a05397450978507c4ef1\", qop=auth, nc=00000001, "
              "cnonce=\"0a4f113b\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
    // The nonce count grows with every request on the same nonce.
    EXPECT_NE(auth.answer("GET", "/dir/index.html", "0a4f113b").find("nc=00000002"),
              std::string::npos);
}

// RFC 7616 section 3.9.1's examples (SHA-256 and MD5).
TEST(RtspAuthTest, Rfc7616Sha256PreferredOverMd5) {
    Message r;
    r.headers.push_back({"WWW-Authenticate",
                         "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
                         "algorithm=MD5, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
                         "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""});
    r.headers.push_back({"WWW-Authenticate",
                         "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
                         "algorithm=SHA-256, "
                         "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
                         "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""});
    r.headers.push_back({"WWW-Authenticate", "Basic realm=\"x\""});
    auto c = choose_challenge(r);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->algorithm, DigestAlgorithm::kSha256);
    const std::string cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    Authenticator sha("Mufasa", "Circle of Life", *c);
    const auto answer = sha.answer("GET", "/dir/index.html", cnonce);
    EXPECT_NE(answer.find(
                  "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""),
              std::string::npos)
        << answer;
    EXPECT_NE(answer.find("algorithm=SHA-256"), std::string::npos);

    auto md5 = parse_challenge(r.headers[0].value);
    ASSERT_TRUE(md5);
    Authenticator a("Mufasa", "Circle of Life", *md5);
    EXPECT_NE(a.answer("GET", "/dir/index.html", cnonce)
                  .find("response=\"8ca523f5e9506fed4657c9700eebdbec\""),
              std::string::npos);
}

TEST(RtspAuthTest, DigestWithoutQopAndBasic) {
    // What gst-rtsp-server (and so `hearth simcam`) sends: no qop, no opaque.
    auto c = parse_challenge("Digest realm=\"GStreamer RTSP Server\", nonce=\"eadf7a6eb79802b9\"");
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->qop_auth);
    Authenticator auth("admin", "secret1", *c);
    // md5(md5("admin:GStreamer RTSP Server:secret1"):eadf7a6eb79802b9:md5("DESCRIBE:rtsp://..."))
    const auto answer = auth.answer("DESCRIBE", "rtsp://127.0.0.1:18554/stream");
    EXPECT_EQ(
        answer,
        "Digest username=\"admin\", realm=\"GStreamer RTSP Server\", "
        "nonce=\"eadf7a6eb79802b9\", uri=\"rtsp://127.0.0.1:18554/stream\", "
        "response=\"" +
            hex_digest(
                DigestAlgorithm::kMd5,
                hex_digest(DigestAlgorithm::kMd5, "admin:GStreamer RTSP Server:secret1") +
                    ":eadf7a6eb79802b9:" +
                    hex_digest(DigestAlgorithm::kMd5, "DESCRIBE:rtsp://127.0.0.1:18554/stream")) +
            "\"");
    EXPECT_EQ(hex_digest(DigestAlgorithm::kMd5, ""), "d41d8cd98f00b204e9800998ecf8427e");

    // RFC 7617's example.
    auto basic = parse_challenge("Basic realm=\"WallyWorld\"");
    ASSERT_TRUE(basic);
    Authenticator b("Aladdin", "open sesame", *basic);
    EXPECT_EQ(b.answer("DESCRIBE", "rtsp://x/"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");

    Message only_basic;
    only_basic.headers.push_back({"WWW-Authenticate", "Basic realm=\"cam\""});
    only_basic.headers.push_back({"WWW-Authenticate", "NTLM"});
    EXPECT_EQ(choose_challenge(only_basic)->scheme, AuthScheme::kBasic);
    Message digest_after_basic;
    digest_after_basic.headers.push_back({"WWW-Authenticate", "Basic realm=\"cam\""});
    digest_after_basic.headers.push_back({"www-authenticate", "Digest realm=\"cam\", nonce=\"1\""});
    EXPECT_EQ(choose_challenge(digest_after_basic)->scheme, AuthScheme::kDigest);
}

TEST(RtspAuthTest, RejectsWhatItCannotAnswer) {
    EXPECT_FALSE(parse_challenge("Digest realm=\"r\""));  // no nonce
    EXPECT_FALSE(parse_challenge("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256"));
    EXPECT_FALSE(parse_challenge("Digest realm=\"r, nonce=\"n\""));  // unterminated
    EXPECT_FALSE(parse_challenge("Negotiate abc"));
    auto stale = parse_challenge("Digest realm=\"r\", nonce=\"n\", stale=TRUE");
    ASSERT_TRUE(stale);
    EXPECT_TRUE(stale->stale);
    Message none;
    EXPECT_EQ(choose_challenge(none).error().code, core::ErrorCode::kUnauthenticated);
    // Quotes and backslashes in a user name are escaped.
    Authenticator a("a\"b", "p", *parse_challenge("Digest realm=\"r\", nonce=\"n\""));
    EXPECT_NE(a.answer("OPTIONS", "*").find("username=\"a\\\"b\""), std::string::npos);
}

}  // namespace
}  // namespace hearth::media::rtsp
