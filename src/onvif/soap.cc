#include "onvif/soap.h"

#include <algorithm>

namespace hearth::onvif::soap {
namespace {

using core::ErrorCode;
using core::make_error;

bool any_of(const Fault& f, std::initializer_list<std::string_view> names) {
    return std::any_of(names.begin(), names.end(),
                       [&](std::string_view n) { return f.has_subcode(n); });
}

std::string quoted_reason(const Fault& f) {
    if (f.reason.empty()) {
        return {};
    }
    return " (camera says: \"" + xml::printable(f.reason) + "\")";
}

}  // namespace

Envelope::Envelope() {
    pugi::xml_node decl = doc_.append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "UTF-8";
    root_ = doc_.append_child("s:Envelope");
    declare("s", ns::kSoap);
    declare("tds", ns::kDevice);
    declare("trt", ns::kMedia);
    declare("tptz", ns::kPtz);
    declare("tt", ns::kSchema);
    declare("ter", ns::kError);
    body_ = root_.append_child("s:Body");
}

pugi::xml_node Envelope::header() {
    if (!header_) {
        header_ = root_.insert_child_before("s:Header", body_);
    }
    return header_;
}

void Envelope::declare(const char* prefix, const char* uri) {
    root_.append_attribute((std::string("xmlns:") + prefix).c_str()) = uri;
}

std::string Envelope::str() const { return xml::to_string(doc_); }

core::Result<Message> parse(std::string_view text, std::size_t max_bytes, std::string_view what) {
    HEARTH_ASSIGN_OR_RETURN(xml::Document doc, xml::Document::parse(text, max_bytes, what));
    Message m;
    pugi::xml_node root = doc.root();
    if (xml::local_name(root) != "Envelope") {
        return make_error(ErrorCode::kInvalidArgument,
                          std::string(what) + " is not a SOAP envelope (root element <" +
                              xml::printable(root.name(), 60) + ">)");
    }
    m.header = xml::child(root, "Header");
    m.body = xml::child(root, "Body");
    if (!m.body) {
        return make_error(ErrorCode::kInvalidArgument,
                          std::string(what) + " is a SOAP envelope without a Body");
    }
    m.payload = xml::first_element(m.body);
    m.doc = std::move(doc);
    return m;
}

bool Fault::has_subcode(std::string_view local) const {
    return std::find(subcodes.begin(), subcodes.end(), local) != subcodes.end();
}

std::optional<Fault> fault_of(const Message& message) {
    pugi::xml_node f = message.payload;
    if (!f || xml::local_name(f) != "Fault") {
        return std::nullopt;
    }
    Fault out;
    if (pugi::xml_node code = xml::child(f, "Code")) {
        // SOAP 1.2: Code/Value, then Subcode/Value nested to any depth (bounded by the
        // document depth limit).
        out.code = std::string(xml::local_part(xml::text(xml::child(code, "Value"))));
        for (pugi::xml_node sub = xml::child(code, "Subcode"); sub;
             sub = xml::child(sub, "Subcode")) {
            out.subcodes.emplace_back(xml::local_part(xml::text(xml::child(sub, "Value"))));
        }
        pugi::xml_node reason = xml::child(f, "Reason");
        out.reason = xml::text(xml::child(reason, "Text"));
    } else {
        // SOAP 1.1: faultcode / faultstring, unqualified.
        const std::string code11 = xml::text(xml::child(f, "faultcode"));
        const std::string_view local = xml::local_part(code11);
        out.code = local == "Client"   ? "Sender"
                   : local == "Server" ? "Receiver"
                                       : std::string(local);
        out.reason = xml::text(xml::child(f, "faultstring"));
    }
    // Some cameras put the ONVIF subcode only in Detail; look there too.
    if (pugi::xml_node detail = xml::child(f, "Detail")) {
        const std::string t = xml::text(xml::first_element(detail));
        if (!t.empty() && t.size() < 100) {
            out.subcodes.emplace_back(xml::local_part(t));
        }
    }
    return out;
}

core::Error fault_to_error(const Fault& f, int http_status, std::string_view operation) {
    const std::string op(operation);
    if (any_of(f, {"NotAuthorized", "FailedAuthentication", "InvalidSecurityToken",
                   "InvalidSecurity"}) ||
        ((http_status == 401 || http_status == 403) && f.code != "Receiver")) {
        return make_error(ErrorCode::kPermissionDenied, std::string(kRefusedCredentials));
    }
    if (any_of(f, {"ActionNotSupported", "NoSuchService", "NotImplemented", "OperationProhibited",
                   "NotSupported"})) {
        return make_error(ErrorCode::kFailedPrecondition,
                          std::string(kNotSupportedPrefix) + op + quoted_reason(f));
    }
    if (any_of(f, {"NoProfile", "NoToken", "NoEntity", "NoPTZProfile", "NoConfig", "NoSource"})) {
        return make_error(ErrorCode::kNotFound,
                          "the camera has no such item for " + op + quoted_reason(f));
    }
    if (any_of(f, {"TooManyPresets", "MaxPresets", "MaxNVTProfiles"})) {
        return make_error(ErrorCode::kResourceExhausted,
                          "the camera has no room left for " + op + quoted_reason(f));
    }
    if (any_of(f, {"NoHomePosition", "CannotOverwriteHome", "MovingPTZ"})) {
        return make_error(ErrorCode::kFailedPrecondition,
                          "the camera cannot do " + op + " now" + quoted_reason(f));
    }
    if (f.code == "Receiver") {
        return make_error(ErrorCode::kUnavailable, "the camera failed " + op + quoted_reason(f));
    }
    return make_error(ErrorCode::kInvalidArgument, "the camera refused " + op + quoted_reason(f));
}

bool is_not_supported(const core::Error& error) {
    return error.code == ErrorCode::kFailedPrecondition &&
           std::string_view(error.message).starts_with(kNotSupportedPrefix);
}

std::string fault_envelope(std::string_view code, std::initializer_list<const char*> subcodes,
                           std::string_view reason) {
    Envelope env;
    pugi::xml_node fault = env.body().append_child("s:Fault");
    pugi::xml_node c = fault.append_child("s:Code");
    xml::add(c, "s:Value", "s:" + std::string(code));
    pugi::xml_node parent = c;
    for (const char* sub : subcodes) {
        pugi::xml_node s = parent.append_child("s:Subcode");
        xml::add(s, "s:Value", sub);
        parent = s;
    }
    pugi::xml_node text = xml::add(fault.append_child("s:Reason"), "s:Text", reason);
    text.append_attribute("xml:lang") = "en";
    return env.str();
}

}  // namespace hearth::onvif::soap
