// SOAP 1.2 envelopes as ONVIF uses them: building requests and responses, reading an
// envelope from the network, and mapping SOAP Faults to core::Error.
//
// Thread-safety: free functions are pure; an Envelope or Message belongs to one thread.
// Errors: kInvalidArgument for documents that are not SOAP envelopes (with the reason);
// fault_to_error() gives the canonical code for a camera's Fault (see below).
//
// Example (client):
//     soap::Envelope env;
//     env.body().append_child("trt:GetProfiles");
//     std::string request = env.str();
//     ...
//     HEARTH_ASSIGN_OR_RETURN(auto msg, soap::parse(response_body, xml::kMaxResponseBytes,
//                                                   "GetProfiles response"));
//     if (auto fault = soap::fault_of(msg)) return soap::fault_to_error(*fault, status,
//     "GetProfiles");
#pragma once

#include <initializer_list>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "onvif/xml.h"

namespace hearth::onvif {

// Namespace URIs; the prefixes Hearth writes are in comments.
namespace ns {
inline constexpr const char* kSoap = "http://www.w3.org/2003/05/soap-envelope";     // s
inline constexpr const char* kDevice = "http://www.onvif.org/ver10/device/wsdl";    // tds
inline constexpr const char* kMedia = "http://www.onvif.org/ver10/media/wsdl";      // trt
inline constexpr const char* kMedia2 = "http://www.onvif.org/ver20/media/wsdl";     // tr2
inline constexpr const char* kPtz = "http://www.onvif.org/ver20/ptz/wsdl";          // tptz
inline constexpr const char* kImaging = "http://www.onvif.org/ver20/imaging/wsdl";  // timg
inline constexpr const char* kEvents = "http://www.onvif.org/ver10/events/wsdl";    // tev
inline constexpr const char* kSchema = "http://www.onvif.org/ver10/schema";         // tt
inline constexpr const char* kError = "http://www.onvif.org/ver10/error";           // ter
inline constexpr const char* kNetwork = "http://www.onvif.org/ver10/network/wsdl";  // dn
inline constexpr const char* kWsse =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
inline constexpr const char* kWsu =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
inline constexpr const char* kAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
inline constexpr const char* kDiscovery = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
}  // namespace ns

namespace soap {

// An envelope under construction. The root declares s, tds, trt, tptz, tt, ter, wsse and
// wsu, so callers name elements with those prefixes ("tptz:ContinuousMove").
class Envelope {
public:
    Envelope();
    Envelope(const Envelope&) = delete;
    Envelope& operator=(const Envelope&) = delete;

    pugi::xml_node root() { return root_; }
    // s:Header, created on first use (an envelope without one has none).
    pugi::xml_node header();
    pugi::xml_node body() { return body_; }
    // Declares another namespace prefix on the root.
    void declare(const char* prefix, const char* uri);
    // Serialized with an XML declaration and no indentation.
    std::string str() const;

private:
    pugi::xml_document doc_;
    pugi::xml_node root_;
    pugi::xml_node header_;
    pugi::xml_node body_;
};

// A received envelope: Header (may be empty), Body, and the first element in the Body.
struct Message {
    xml::Document doc;
    pugi::xml_node header;
    pugi::xml_node body;
    pugi::xml_node payload;
};

// Parses a SOAP envelope (1.2, or 1.1 as some cameras still answer) of at most `max_bytes`.
// Errors: kInvalidArgument naming `what`: malformed, huge, DOCTYPE, no Envelope or no Body.
core::Result<Message> parse(std::string_view text, std::size_t max_bytes, std::string_view what);

// A SOAP Fault, by local names ("Sender", "NotAuthorized").
struct Fault {
    std::string code;                   // Sender / Receiver / VersionMismatch / MustUnderstand
    std::vector<std::string> subcodes;  // outermost first: {"InvalidArgVal", "NoProfile"}
    std::string reason;                 // the first Reason/Text, trimmed

    bool has_subcode(std::string_view local) const;
};

// The Fault in the Body, if that is what the Body holds (SOAP 1.2 or 1.1 shape).
std::optional<Fault> fault_of(const Message& message);

// The canonical error for a camera's fault to `operation` received with `http_status`:
//   NotAuthorized, or HTTP 401/403 with a Sender fault -> kPermissionDenied
//     ("the camera refused the user name or password");
//   ActionNotSupported / NoSuchService / not implemented -> kFailedPrecondition
//     ("the camera does not support <operation>"; core has no kUnimplemented yet);
//   NoProfile / NoToken / NoEntity / NoPTZProfile / NoConfig -> kNotFound;
//   TooManyPresets / MaxPresets -> kResourceExhausted;
//   other Sender faults -> kInvalidArgument; Receiver faults -> kUnavailable.
// The camera's reason text is quoted, shortened and made printable.
core::Error fault_to_error(const Fault& fault, int http_status, std::string_view operation);

// The message every "wrong credentials" error carries, so callers and tests can match it.
inline constexpr std::string_view kRefusedCredentials =
    "the camera refused the user name or password";
// Prefix of the kFailedPrecondition message for an operation the camera does not support.
inline constexpr std::string_view kNotSupportedPrefix = "the camera does not support ";

// True when `error` says the camera does not support the operation (see fault_to_error).
bool is_not_supported(const core::Error& error);

// Builds a Fault response envelope (device side). `subcodes` are QNames with the ter
// prefix ("ter:NotAuthorized"), outermost first.
std::string fault_envelope(std::string_view code, std::initializer_list<const char*> subcodes,
                           std::string_view reason);

}  // namespace soap
}  // namespace hearth::onvif
