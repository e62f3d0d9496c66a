#include "core/config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace hearth::core {
namespace {

TEST(ConfigTest, EmptyFileGivesDefaults) {
    auto c = parse_config("", "hearth.toml");
    ASSERT_TRUE(c) << c.error().describe();
    EXPECT_EQ(c->listen.host, "127.0.0.1");
    EXPECT_EQ(c->listen.port, 8443);
    EXPECT_EQ(c->log_level, LogLevel::kInfo);
    EXPECT_TRUE(c->tls_cert.empty());
    EXPECT_TRUE(c->tls_key.empty());
    EXPECT_FALSE(c->redirect_listen);
}

TEST(ConfigTest, TlsFilesAndRedirect) {
    auto c = parse_config("tls_cert = \"/etc/hearth/chain.pem\"\n"
                          "tls_key = \"/etc/hearth/key.pem\"\n"
                          "redirect_listen = \"127.0.0.1:8080\"\n",
                          "hearth.toml");
    ASSERT_TRUE(c) << c.error().describe();
    EXPECT_EQ(c->tls_cert, "/etc/hearth/chain.pem");
    EXPECT_EQ(c->tls_key, "/etc/hearth/key.pem");
    ASSERT_TRUE(c->redirect_listen);
    EXPECT_EQ(c->redirect_listen->to_string(), "127.0.0.1:8080");
}

TEST(ConfigTest, TlsCertWithoutKeyIsAnError) {
    for (const char* text : {"tls_cert = \"/c.pem\"\n", "tls_key = \"/k.pem\"\n"}) {
        auto c = parse_config(text, "hearth.toml");
        ASSERT_FALSE(c) << text;
        EXPECT_NE(c.error().message.find("set both or neither"), std::string::npos)
            << c.error().message;
    }
    auto bad = parse_config("redirect_listen = \"nowhere\"\n", "hearth.toml");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("redirect_listen"), std::string::npos);
    EXPECT_FALSE(parse_config("tls_cert = \"\"\ntls_key = \"\"\n", "hearth.toml"));
}

TEST(AddressTest, DnsNames) {
    for (const char* ok : {"localhost", "hub.local", "my-hub", "a.b-c.d.", "x1"}) {
        EXPECT_TRUE(is_dns_name(ok)) << ok;
    }
    for (const char* bad : {"", ".", "-a", "a-", "a..b", "a_b", "a b", "1.2.3.4", "a\"b",
                            "evil.com/x", "a:1", "[::1]"}) {
        EXPECT_FALSE(is_dns_name(bad)) << bad;
    }
    EXPECT_FALSE(is_dns_name(std::string(64, 'a')));
    EXPECT_TRUE(is_dns_name(std::string(63, 'a')));
}

// Documentation ranges only (RFC 5737, RFC 3849): tests never name a real network.
TEST(AddressTest, IpNetworks) {
    auto net = parse_ip_network("198.51.100.0/24");
    ASSERT_TRUE(net) << net.error().describe();
    EXPECT_TRUE(net->contains("198.51.100.20"));
    EXPECT_FALSE(net->contains("198.51.101.1"));
    EXPECT_FALSE(net->contains("2001:db8::1"));
    EXPECT_FALSE(net->contains("not-an-address"));
    EXPECT_FALSE(net->contains(""));
    EXPECT_EQ(net->to_string(), "198.51.100.0/24");
    auto odd = parse_ip_network("203.0.113.64/27");  // a prefix inside a byte
    ASSERT_TRUE(odd);
    EXPECT_TRUE(odd->contains("203.0.113.95"));
    EXPECT_FALSE(odd->contains("203.0.113.96"));
    auto v6 = parse_ip_network("2001:db8::/32");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains("2001:db8:42::1"));
    EXPECT_FALSE(v6->contains("2001:db9::1"));
    auto host = parse_ip_network("127.0.0.1");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->prefix, 32);
    EXPECT_FALSE(host->contains("127.0.0.2"));
    for (const char* bad : {"", "/8", "192.0.2.0/33", "::/129", "192.0.2.0/", "192.0.2.0/x",
                            "host.example/8", "192.0.2.0/-1"}) {
        EXPECT_FALSE(parse_ip_network(bad)) << bad;
    }
    // The default is the home networks (their list is what the reference table prints):
    // loopback in, a public or documentation address never.
    auto c = parse_config("", "hearth.toml");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->ice_networks.size(), home_networks().size());
    auto in_home = [&](const char* a) {
        for (const auto& n : c->ice_networks) {
            if (n.contains(a)) return true;
        }
        return false;
    };
    EXPECT_TRUE(in_home("127.0.0.1") && in_home("::1"));
    EXPECT_FALSE(in_home("8.8.8.8") || in_home("2001:db8::1") || in_home("198.51.100.7"));
    auto set = parse_config("ice_networks = [\"127.0.0.0/8\"]\n", "hearth.toml");
    ASSERT_TRUE(set) << set.error().describe();
    EXPECT_EQ(set->ice_networks.size(), 1u);
    for (const char* text : {"ice_networks = []\n", "ice_networks = \"192.0.2.0/24\"\n",
                             "ice_networks = [\"192.0.2.0/99\"]\n", "ice_networks = [1]\n"}) {
        EXPECT_FALSE(parse_config(text, "hearth.toml")) << text;
    }
}

TEST(ConfigTest, ReadsEveryKey) {
    auto c = parse_config("listen = \"[::1]:0\"\ndata_dir = \"/tmp/x\"\nlog_level = \"debug\"\n",
                          "hearth.toml");
    ASSERT_TRUE(c) << c.error().describe();
    EXPECT_EQ(c->listen.host, "::1");
    EXPECT_EQ(c->listen.port, 0);
    EXPECT_EQ(c->data_dir, "/tmp/x");
    EXPECT_EQ(c->log_level, LogLevel::kDebug);
}

TEST(ConfigTest, UnknownKeyIsAnErrorNamingFileLineAndKey) {
    auto c = parse_config("log_level = \"info\"\n\nlisten_port = 80\n", "/etc/hearth.toml");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(c.error().message.find("/etc/hearth.toml:3"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("unknown key 'listen_port'"), std::string::npos);
    EXPECT_NE(c.error().message.find("known keys: listen"), std::string::npos);
}

TEST(ConfigTest, WrongTypeSaysWhatWasExpected) {
    auto c = parse_config("\nlisten = 8080\n", "a.toml");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("a.toml:2"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("key 'listen'"), std::string::npos);
    EXPECT_NE(c.error().message.find("expected"), std::string::npos);
}

TEST(ConfigTest, BadValuesAreRefused) {
    EXPECT_FALSE(parse_config("listen = \"127.0.0.1\"", "a.toml"));
    EXPECT_FALSE(parse_config("listen = \"127.0.0.1:99999\"", "a.toml"));
    EXPECT_FALSE(parse_config("listen = \"::1:80\"", "a.toml"));
    EXPECT_FALSE(parse_config("log_level = \"loud\"", "a.toml"));
    EXPECT_FALSE(parse_config("data_dir = \"\"", "a.toml"));
    EXPECT_FALSE(parse_config("[server]\nlisten = \"127.0.0.1:1\"", "a.toml"));
    EXPECT_FALSE(parse_config("segment_seconds = 1", "a.toml"));
    EXPECT_FALSE(parse_config("segment_seconds = \"60\"", "a.toml"));
    EXPECT_FALSE(parse_config("segment_seconds = 6.5", "a.toml"));
}

TEST(ConfigTest, SyntaxErrorNamesTheLine) {
    auto c = parse_config("log_level = \"info\"\nlisten = \"unterminated\n", "b.toml");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("b.toml:2"), std::string::npos) << c.error().message;
}

TEST(ConfigTest, OversizedFileIsRefusedBeforeParsing) {
    std::string big(kMaxConfigBytes + 1, '#');
    auto c = parse_config(big, "big.toml");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("larger than"), std::string::npos);
}

TEST(ConfigTest, MissingFileIsNotFound) {
    auto c = load_config("/nonexistent/hearth.toml");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
}

TEST(ConfigTest, ExampleFileParses) {
    auto c = load_config(std::string(HEARTH_SOURCE_DIR) + "/config/hearth.example.toml");
    ASSERT_TRUE(c) << c.error().describe();
}

TEST(ConfigTest, ReferenceListsEveryKey) {
    const auto ref = config_reference();
    for (const char* key : {"listen", "data_dir", "log_level", "segment_seconds", "tls_cert",
                            "tls_key", "redirect_listen", "web_root"}) {
        EXPECT_NE(ref.find(std::string("`") + key + "`"), std::string::npos) << key;
    }
}

TEST(AddressTest, ParsesAndPrints) {
    auto a = parse_listen_address("[::1]:8443");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->to_string(), "[::1]:8443");
    EXPECT_TRUE(a->is_loopback());
    auto b = parse_listen_address("0.0.0.0:80");
    ASSERT_TRUE(b);
    EXPECT_FALSE(b->is_loopback());
    EXPECT_FALSE(parse_listen_address(":80"));
    EXPECT_FALSE(parse_listen_address("host:"));
    EXPECT_FALSE(parse_listen_address("[::1]80"));
    EXPECT_FALSE(parse_listen_address("h:-1"));
    EXPECT_FALSE(parse_listen_address("[[]:3"));   // found by config_fuzz
    EXPECT_FALSE(parse_listen_address("[abc]:3"));
    EXPECT_FALSE(parse_listen_address("a b:3"));
}

}  // namespace
}  // namespace hearth::core

namespace hearth::core {
namespace {

TEST(ConfigTest, ReadmeReferenceMatchesTheCode) {
    std::ifstream in(std::string(HEARTH_SOURCE_DIR) + "/README.md");
    ASSERT_TRUE(in);
    const std::string readme{std::istreambuf_iterator<char>(in), {}};
    EXPECT_NE(readme.find(config_reference()), std::string::npos)
        << "README's configuration table is out of date; paste `hearth config reference`";
}

}  // namespace
}  // namespace hearth::core
