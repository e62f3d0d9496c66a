#include "onvif/discovery.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "crypto/secret.h"
#include "onvif/soap.h"
#include "onvif/xml.h"

namespace hearth::onvif::discovery {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr const char* kProbeAction = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe";
constexpr const char* kMatchesAction =
    "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches";
constexpr const char* kDiscoveryTo = "urn:schemas-xmlsoap-org:ws:2005:04:discovery";
constexpr const char* kAnonymous =
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
constexpr std::size_t kMaxListItems = 64;

std::vector<std::string> split_list(std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size() && out.size() < kMaxListItems) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
            ++i;
        }
        const std::size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
            ++i;
        }
        if (i > start) {
            out.emplace_back(s.substr(start, i - start));
        }
    }
    return out;
}

std::vector<std::string> local_names(const std::vector<std::string>& qnames) {
    std::vector<std::string> out;
    out.reserve(qnames.size());
    for (const auto& q : qnames) {
        out.emplace_back(xml::local_part(q));
    }
    return out;
}

// RFC 3986 prefix match as WS-Discovery defines it: the probe's scope must equal the
// device's scope or be a prefix of it ending at a path segment boundary.
bool scope_matches(std::string_view wanted, std::string_view have) {
    while (wanted.size() > 1 && wanted.back() == '/') {
        wanted.remove_suffix(1);
    }
    if (!have.starts_with(wanted)) {
        return false;
    }
    return have.size() == wanted.size() || have[wanted.size()] == '/';
}

soap::Envelope& discovery_envelope(soap::Envelope& env) {
    env.declare("a", ns::kAddressing);
    env.declare("d", ns::kDiscovery);
    env.declare("dn", ns::kNetwork);
    return env;
}

}  // namespace

std::string new_message_id() {
    std::array<std::uint8_t, 16> b{};
    if (crypto::init_sodium()) {
        randombytes_buf(b.data(), b.size());
    }
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "urn:uuid:";
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        out += kHex[b[i] >> 4];
        out += kHex[b[i] & 15];
    }
    return out;
}

std::string build_probe(std::string_view message_id) {
    soap::Envelope env;
    discovery_envelope(env);
    pugi::xml_node h = env.header();
    xml::add(h, "a:Action", kProbeAction).append_attribute("s:mustUnderstand") = "1";
    xml::add(h, "a:MessageID", message_id);
    xml::add(h.append_child("a:ReplyTo"), "a:Address", kAnonymous);
    xml::add(h, "a:To", kDiscoveryTo).append_attribute("s:mustUnderstand") = "1";
    pugi::xml_node probe = env.body().append_child("d:Probe");
    xml::add(probe, "d:Types", "tds:Device dn:NetworkVideoTransmitter");
    return env.str();
}

core::Result<Probe> parse_probe(std::string_view datagram) {
    HEARTH_ASSIGN_OR_RETURN(soap::Message m,
                            soap::parse(datagram, xml::kMaxDatagramBytes, "discovery probe"));
    if (!m.payload || xml::local_name(m.payload) != "Probe") {
        return make_error(ErrorCode::kInvalidArgument, "the datagram is not a discovery Probe");
    }
    Probe p;
    p.message_id = xml::text(xml::child(m.header, "MessageID"));
    if (p.message_id.empty() || p.message_id.size() > 256) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the discovery Probe has no usable MessageID");
    }
    p.types = local_names(split_list(xml::text(xml::child(m.payload, "Types"))));
    p.scopes = split_list(xml::text(xml::child(m.payload, "Scopes")));
    return p;
}

std::string ProbeMatch::scope_value(std::string_view field) const {
    const std::string prefix = "onvif://www.onvif.org/" + std::string(field) + "/";
    for (const auto& s : scopes) {
        if (!s.starts_with(prefix)) {
            continue;
        }
        std::string out;
        const std::string_view v = std::string_view(s).substr(prefix.size());
        const auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v[i] == '%' && i + 2 < v.size() &&
                std::isxdigit(static_cast<unsigned char>(v[i + 1])) &&
                std::isxdigit(static_cast<unsigned char>(v[i + 2]))) {
                out += static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2]));
                i += 2;
            } else {
                out += v[i];
            }
        }
        return out;
    }
    return {};
}

core::Result<std::vector<ProbeMatch>> parse_probe_matches(std::string_view datagram,
                                                          std::string_view message_id) {
    HEARTH_ASSIGN_OR_RETURN(soap::Message m,
                            soap::parse(datagram, xml::kMaxDatagramBytes, "discovery answer"));
    if (!m.payload || xml::local_name(m.payload) != "ProbeMatches") {
        return make_error(ErrorCode::kInvalidArgument,
                          "the datagram is not a discovery ProbeMatches");
    }
    const std::string relates = xml::text(xml::child(m.header, "RelatesTo"));
    if (!message_id.empty() && relates != message_id) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the ProbeMatches answers another probe (RelatesTo '" +
                              xml::printable(relates, 80) + "')");
    }
    std::vector<ProbeMatch> out;
    for (pugi::xml_node pm : xml::children(m.payload, "ProbeMatch")) {
        if (out.size() >= kMaxListItems) {
            break;
        }
        ProbeMatch match;
        match.endpoint = xml::text(xml::path(pm, {"EndpointReference", "Address"}));
        match.types = local_names(split_list(xml::text(xml::child(pm, "Types"))));
        match.scopes = split_list(xml::text(xml::child(pm, "Scopes")));
        match.xaddrs = split_list(xml::text(xml::child(pm, "XAddrs")));
        match.metadata_version =
            xml::to_int(xml::text(xml::child(pm, "MetadataVersion"))).value_or(0);
        if (match.endpoint.empty() || match.xaddrs.empty()) {
            continue;
        }
        out.push_back(std::move(match));
    }
    return out;
}

std::optional<std::string> answer_probe(const Probe& probe, const Advert& advert) {
    const std::vector<std::string> have = local_names(advert.types);
    for (const auto& t : probe.types) {
        if (std::find(have.begin(), have.end(), t) == have.end()) {
            return std::nullopt;
        }
    }
    for (const auto& wanted : probe.scopes) {
        if (std::none_of(advert.scopes.begin(), advert.scopes.end(),
                         [&](const std::string& s) { return scope_matches(wanted, s); })) {
            return std::nullopt;
        }
    }
    const auto join = [](const std::vector<std::string>& v) {
        std::string out;
        for (const auto& s : v) {
            out += out.empty() ? s : " " + s;
        }
        return out;
    };
    soap::Envelope env;
    discovery_envelope(env);
    pugi::xml_node h = env.header();
    xml::add(h, "a:MessageID", new_message_id());
    xml::add(h, "a:RelatesTo", probe.message_id);
    xml::add(h, "a:To", kAnonymous);
    xml::add(h, "a:Action", kMatchesAction);
    pugi::xml_node pm = env.body().append_child("d:ProbeMatches").append_child("d:ProbeMatch");
    xml::add(pm.append_child("a:EndpointReference"), "a:Address", advert.endpoint);
    xml::add(pm, "d:Types", join(advert.types));
    xml::add(pm, "d:Scopes", join(advert.scopes));
    xml::add(pm, "d:XAddrs", join(advert.xaddrs));
    xml::add(pm, "d:MetadataVersion", std::to_string(advert.metadata_version));
    return env.str();
}

core::Result<std::vector<ProbeMatch>> discover(const DiscoverOptions& o) {
    const auto fail = [](std::string step) {
        return make_error(ErrorCode::kUnavailable,
                          "discovery: cannot " + step + ": " + std::strerror(errno));
    };
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(o.target_port);
    if (inet_pton(AF_INET, o.target_address.c_str(), &target.sin_addr) != 1) {
        return make_error(
            ErrorCode::kInvalidArgument,
            "discovery: '" + xml::printable(o.target_address, 60) + "' is not an IPv4 address");
    }
    in_addr iface{};
    iface.s_addr = htonl(INADDR_ANY);
    if (!o.interface_address.empty() &&
        inet_pton(AF_INET, o.interface_address.c_str(), &iface) != 1) {
        return make_error(ErrorCode::kInvalidArgument, "discovery: interface address '" +
                                                           xml::printable(o.interface_address, 60) +
                                                           "' is not an IPv4 address");
    }
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return fail("make a UDP socket");
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr = iface;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        return fail("bind to " +
                    (o.interface_address.empty() ? "any address" : o.interface_address));
    }
    if (IN_MULTICAST(ntohl(target.sin_addr.s_addr))) {
        // One hop: WS-Discovery is for the local link (SOAP-over-UDP's recommended TTL).
        const unsigned char ttl = 1;
        ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
        if (!o.interface_address.empty() &&
            ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &iface, sizeof iface) != 0) {
            return fail("send multicast from " + o.interface_address);
        }
    }
    const std::string message_id = new_message_id();
    const std::string probe = build_probe(message_id);
    const auto send_probe = [&] {
        return ::sendto(fd, probe.data(), probe.size(), 0, reinterpret_cast<sockaddr*>(&target),
                        sizeof target) == static_cast<ssize_t>(probe.size());
    };
    if (!send_probe()) {
        return fail("send the probe to " + o.target_address + ":" + std::to_string(o.target_port));
    }
    // SOAP-over-UDP repeats a multicast once, since a datagram may be lost; answers to the
    // repeat carry the same RelatesTo and are merged below.
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + o.timeout;
    auto repeat_at = start + std::chrono::milliseconds(200);
    bool repeated = false;
    std::vector<ProbeMatch> found;
    std::vector<char> buf(xml::kMaxDatagramBytes + 1);
    while (found.size() < o.max_matches) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            break;
        }
        if (!repeated && now >= repeat_at) {
            repeated = true;
            send_probe();
        }
        const auto until = repeated ? deadline : std::min(deadline, repeat_at);
        const auto wait_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1;
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(wait_ms));
        if (ready < 0 && errno != EINTR) {
            return fail("wait for answers");
        }
        if (ready <= 0) {
            continue;
        }
        sockaddr_in from{};
        socklen_t from_len = sizeof from;
        const ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), 0,
                                     reinterpret_cast<sockaddr*>(&from), &from_len);
        if (n <= 0 || static_cast<std::size_t>(n) > xml::kMaxDatagramBytes) {
            continue;  // an error on one datagram, or one too large: skip it
        }
        auto matches = parse_probe_matches(
            std::string_view(buf.data(), static_cast<std::size_t>(n)), message_id);
        if (!matches) {
            continue;
        }
        char ip[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
        for (auto& m : *matches) {
            const bool seen = std::any_of(found.begin(), found.end(), [&](const ProbeMatch& f) {
                return f.endpoint == m.endpoint;
            });
            if (!seen && found.size() < o.max_matches) {
                m.from = ip;
                found.push_back(std::move(m));
            }
        }
    }
    return found;
}

}  // namespace hearth::onvif::discovery
