// The redirect-only plain-HTTP listener's one handler: every request gets a 308 to the same
// target on the HTTPS port, and nothing else (no body, no other content).
//
// The host in Location comes from the Host header only when it is a DNS name or an IP
// literal, so a hostile Host cannot inject text or a URL; otherwise `fallback_host` is used.
// Thread: the handler is const and runs on any net thread.
//
//     api::Router redirect;
//     redirect.set_fallback(api::https_redirect("127.0.0.1", 8443));
//     api::HttpServer plain(io, redirect);
//     plain.start({"127.0.0.1", 8080});
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/http.h"

namespace hearth::api {

// `fallback_host`: a host name or IP literal without brackets (the HTTPS listen host).
Handler https_redirect(std::string fallback_host, std::uint16_t https_port);

// The host part of a Host header when it is a DNS name, an IPv4 literal or a bracketed
// IPv6 literal (optionally with a port): lower-case, IPv6 with its brackets. nullopt for
// anything else.
std::optional<std::string> host_from_header(std::string_view host_header);

}  // namespace hearth::api
