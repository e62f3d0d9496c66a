// Bounded XML parsing and local-name lookups over pugixml, for everything ONVIF reads
// from the network: camera responses, requests to the simcam, discovery datagrams.
//
// Every document is checked against a byte limit before pugixml sees it, a DOCTYPE is
// refused (no entity games; pugixml never expands custom entities anyway), and nesting
// deeper than kMaxDepth is refused so no walk over it can run out of stack. Lookups go by
// local name, so `tt:Name`, `ns2:Name` and a default-namespace `Name` all match: cameras
// pick their prefixes freely.
//
// Thread-safety: free functions are pure; a Document belongs to one thread at a time.
// Errors: kInvalidArgument naming `what` and the problem (too large, DOCTYPE, malformed).
//
// Example:
//     HEARTH_ASSIGN_OR_RETURN(auto doc, xml::Document::parse(body, xml::kMaxResponseBytes,
//                                                            "GetProfiles response"));
//     for (pugi::xml_node p : xml::children(body_node, "Profiles")) { ... }
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace hearth::onvif::xml {

inline constexpr std::size_t kMaxResponseBytes = 1024 * 1024;  // a camera's SOAP answer
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;     // a SOAP request to the simcam
inline constexpr std::size_t kMaxDatagramBytes = 64 * 1024;    // a WS-Discovery datagram
inline constexpr int kMaxDepth = 64;  // real ONVIF documents nest about 12 deep

// A parsed document. Move-only.
class Document {
public:
    Document() = default;
    // Parses `text` after checking it is at most `max_bytes`. `what` names the document in
    // errors ("GetProfiles response", "discovery datagram").
    static core::Result<Document> parse(std::string_view text, std::size_t max_bytes,
                                        std::string_view what);

    // The document element (invalid node when empty).
    pugi::xml_node root() const;

private:
    std::unique_ptr<pugi::xml_document> doc_;
};

// The part of the element name after the last ':' ("tt:Name" -> "Name").
std::string_view local_name(pugi::xml_node node);
// The part of a QName value after the last ':' ("ter:NotAuthorized" -> "NotAuthorized").
std::string_view local_part(std::string_view qname);

// The first child element with this local name, or an empty node.
pugi::xml_node child(pugi::xml_node parent, std::string_view local);
// All child elements with this local name, in document order.
std::vector<pugi::xml_node> children(pugi::xml_node parent, std::string_view local);
// The first element child, whatever its name.
pugi::xml_node first_element(pugi::xml_node parent);
// Follows child() through `path` ("Capabilities", "PTZ", "XAddr").
pugi::xml_node path(pugi::xml_node start, std::initializer_list<std::string_view> path);
// The first descendant element with this local name, depth first (iterative).
pugi::xml_node descendant(pugi::xml_node start, std::string_view local);

// The element's text with surrounding whitespace removed ("" for an empty node).
std::string text(pugi::xml_node node);
// An attribute by local name ("" when absent).
std::string attribute(pugi::xml_node node, std::string_view local);

// xsd:double / xsd:boolean / xsd:int as cameras write them; nullopt when absent or bad.
std::optional<double> to_double(std::string_view text);
std::optional<bool> to_bool(std::string_view text);
std::optional<long long> to_int(std::string_view text);

// Appends `<name>text</name>` (escaped by pugixml) and returns the new element.
pugi::xml_node add(pugi::xml_node parent, const char* name, std::string_view text = {});
// The document serialized without indentation, with an XML declaration.
std::string to_string(const pugi::xml_document& doc);

// A short printable excerpt of camera-controlled text for error messages: ASCII
// printable characters only, at most `max` characters.
std::string printable(std::string_view text, std::size_t max = 160);

}  // namespace hearth::onvif::xml
