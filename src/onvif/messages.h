// ONVIF message bodies <-> values: the client's response parsers (fuzzed by
// tests/fuzz/onvif_soap_fuzz.cc), the PTZ vector and duration codecs both sides share,
// and the PTZ capabilities derived from what a camera reports.
//
// Parsers take the payload element of a response (soap::Message::payload, after
// read_response() has turned HTTP errors and Faults into errors) and check it is the
// expected `<Op>Response`. Strings from the camera are bounded (tokens 256 characters,
// names 256, URIs 2048) and lists to 256 items.
//
// Thread-safety: pure functions.
// Errors: kInvalidArgument naming the operation and what is missing or malformed.
#pragma once

#include <chrono>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "onvif/soap.h"
#include "onvif/transport.h"
#include "onvif/types.h"

namespace hearth::onvif::messages {

inline constexpr std::size_t kMaxItems = 256;
inline constexpr std::size_t kMaxTokenChars = 256;
inline constexpr std::size_t kMaxUriChars = 2048;

// Turns an HTTP answer to `operation` into its SOAP message: HTTP errors without a SOAP
// body, Faults (soap::fault_to_error), malformed or huge XML and an empty Body all
// become errors.
core::Result<soap::Message> read_response(const HttpResponse& response, std::string_view operation);

core::Result<SystemDateTime> parse_system_date_and_time(pugi::xml_node payload);
core::Result<Services> parse_services(pugi::xml_node payload);      // GetServicesResponse
core::Result<Services> parse_capabilities(pugi::xml_node payload);  // GetCapabilitiesResponse
core::Result<DeviceInfo> parse_device_information(pugi::xml_node payload);
core::Result<std::vector<Profile>> parse_profiles(pugi::xml_node payload);
core::Result<std::string> parse_stream_uri(pugi::xml_node payload);
core::Result<std::vector<PtzNode>> parse_nodes(pugi::xml_node payload);
core::Result<std::vector<PtzConfiguration>> parse_configurations(pugi::xml_node payload);
core::Result<PtzStatus> parse_status(pugi::xml_node payload);
core::Result<std::vector<Preset>> parse_presets(pugi::xml_node payload);
core::Result<std::string> parse_set_preset(pugi::xml_node payload);
// A response that carries nothing (ContinuousMoveResponse, StopResponse, ...).
core::Status expect_response(pugi::xml_node payload, std::string_view operation);

// One profile / node / configuration element (shared by the list parsers and by
// GetProfile/GetNode/GetConfiguration).
Profile parse_profile(pugi::xml_node profile);
PtzNode parse_node(pugi::xml_node node);
PtzConfiguration parse_configuration(pugi::xml_node configuration);

// A PTZVector/PTZSpeed element: tt:PanTilt x/y attributes and tt:Zoom x. Parts with
// missing or non-numeric coordinates are left out. `space` receives the first space URI
// seen (if any) so the device side can refuse spaces it does not support.
PtzVector parse_vector(pugi::xml_node node, std::string* space = nullptr);
// Appends tt:PanTilt / tt:Zoom children for the parts present.
void write_vector(pugi::xml_node parent, const PtzVector& v);
// A number as ONVIF documents write it: fixed point, trailing zeros removed.
std::string format_number(double v);

// xsd:duration as ONVIF uses it ("PT5S", "PT0.5S", "PT1M30S", "P1DT2H"); nullopt when
// malformed, negative or over a day.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds d);

// What `profile`'s PTZ can do, from the services, configurations and nodes a camera
// reported. Unsupported operations come out false.
PtzCapabilities derive_ptz_capabilities(const Services& services, const Profile& profile,
                                        const std::vector<PtzConfiguration>& configurations,
                                        const std::vector<PtzNode>& nodes);

}  // namespace hearth::onvif::messages
