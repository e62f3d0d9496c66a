#include "onvif/xml.h"

#include <charconv>
#include <cmath>
#include <sstream>

#include "core/text.h"

namespace hearth::onvif::xml {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr std::string_view kSpace = " \t\r\n";

std::string_view trim(std::string_view s) { return core::trim(s, kSpace); }

// Depth of the deepest element, walking without recursion; stops counting past `limit`.
int max_depth(pugi::xml_node root, int limit) {
    int depth = 0;
    int deepest = 0;
    pugi::xml_node node = root;
    while (node) {
        if (node.first_child()) {
            node = node.first_child();
            if (++depth > deepest) {
                deepest = depth;
                if (deepest > limit) {
                    return deepest;
                }
            }
            continue;
        }
        while (node && !node.next_sibling()) {
            node = node.parent();
            --depth;
            if (node == root) {
                return deepest;
            }
        }
        if (node) {
            node = node.next_sibling();
        }
    }
    return deepest;
}

}  // namespace

core::Result<Document> Document::parse(std::string_view text, std::size_t max_bytes,
                                       std::string_view what) {
    if (text.size() > max_bytes) {
        return make_error(ErrorCode::kInvalidArgument,
                          std::string(what) + " is too large (" + std::to_string(text.size()) +
                              " bytes; at most " + std::to_string(max_bytes) + ")");
    }
    if (trim(text).empty()) {
        return make_error(ErrorCode::kInvalidArgument, std::string(what) + " is empty");
    }
    auto doc = std::make_unique<pugi::xml_document>();
    // parse_doctype keeps a DOCTYPE as a node so it can be refused below instead of being
    // skipped silently; comments and processing instructions are dropped.
    const unsigned options = pugi::parse_default | pugi::parse_doctype;
    const pugi::xml_parse_result result =
        doc->load_buffer(text.data(), text.size(), options, pugi::encoding_utf8);
    if (!result) {
        return make_error(ErrorCode::kInvalidArgument,
                          std::string(what) + " is not well-formed XML (" + result.description() +
                              " at byte " + std::to_string(result.offset) + ")");
    }
    for (pugi::xml_node n = doc->first_child(); n; n = n.next_sibling()) {
        if (n.type() == pugi::node_doctype) {
            return make_error(ErrorCode::kInvalidArgument,
                              std::string(what) + " has a DOCTYPE, which is refused");
        }
    }
    if (!doc->document_element()) {
        return make_error(ErrorCode::kInvalidArgument,
                          std::string(what) + " has no document element");
    }
    if (max_depth(*doc, kMaxDepth) > kMaxDepth) {
        return make_error(ErrorCode::kInvalidArgument, std::string(what) + " nests deeper than " +
                                                           std::to_string(kMaxDepth) + " elements");
    }
    Document out;
    out.doc_ = std::move(doc);
    return out;
}

pugi::xml_node Document::root() const { return doc_ ? doc_->document_element() : pugi::xml_node(); }

std::string_view local_part(std::string_view qname) {
    const auto colon = qname.rfind(':');
    return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

std::string_view local_name(pugi::xml_node node) { return local_part(node.name()); }

pugi::xml_node child(pugi::xml_node parent, std::string_view local) {
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_element && local_name(c) == local) {
            return c;
        }
    }
    return {};
}

std::vector<pugi::xml_node> children(pugi::xml_node parent, std::string_view local) {
    std::vector<pugi::xml_node> out;
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_element && local_name(c) == local) {
            out.push_back(c);
        }
    }
    return out;
}

pugi::xml_node first_element(pugi::xml_node parent) {
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_element) {
            return c;
        }
    }
    return {};
}

pugi::xml_node path(pugi::xml_node start, std::initializer_list<std::string_view> names) {
    pugi::xml_node node = start;
    for (std::string_view name : names) {
        node = child(node, name);
        if (!node) {
            return {};
        }
    }
    return node;
}

pugi::xml_node descendant(pugi::xml_node start, std::string_view local) {
    pugi::xml_node node = start.first_child();
    while (node) {
        if (node.type() == pugi::node_element && local_name(node) == local) {
            return node;
        }
        if (node.first_child()) {
            node = node.first_child();
            continue;
        }
        while (node && !node.next_sibling()) {
            node = node.parent();
            if (node == start) {
                return {};
            }
        }
        if (node) {
            node = node.next_sibling();
        }
    }
    return {};
}

std::string text(pugi::xml_node node) {
    if (!node) {
        return {};
    }
    return std::string(trim(node.text().get()));
}

std::string attribute(pugi::xml_node node, std::string_view local) {
    for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
        if (local_part(a.name()) == local) {
            return std::string(trim(a.value()));
        }
    }
    return {};
}

std::optional<double> to_double(std::string_view s) {
    s = trim(s);
    if (s.empty() || s.size() > 64) {
        return std::nullopt;
    }
    if (s.front() == '+') {
        s.remove_prefix(1);
    }
    double v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

std::optional<bool> to_bool(std::string_view s) {
    s = trim(s);
    if (s == "true" || s == "1") {
        return true;
    }
    if (s == "false" || s == "0") {
        return false;
    }
    return std::nullopt;
}

std::optional<long long> to_int(std::string_view s) {
    s = trim(s);
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
    }
    long long v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

pugi::xml_node add(pugi::xml_node parent, const char* name, std::string_view value) {
    pugi::xml_node n = parent.append_child(name);
    if (!value.empty()) {
        n.append_child(pugi::node_pcdata).set_value(std::string(value).c_str());
    }
    return n;
}

std::string to_string(const pugi::xml_document& doc) {
    std::ostringstream out;
    doc.save(out, "", pugi::format_raw, pugi::encoding_utf8);
    return std::move(out).str();
}

std::string printable(std::string_view text, std::size_t max) {
    std::string out;
    for (char c : trim(text)) {
        if (out.size() >= max) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
    return out;
}

}  // namespace hearth::onvif::xml
