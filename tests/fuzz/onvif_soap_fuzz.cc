// libFuzzer target for Hearth's ONVIF client response parsers: a camera's HTTP answer
// (status from the first byte, the rest as the SOAP body) through read_response and every
// message parser, plus the HTTP Digest challenge parser. Seed corpus:
// tests/fuzz/corpus/onvif_soap/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "onvif/messages.h"
#include "onvif/transport.h"

using namespace hearth::onvif;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    static constexpr int kStatuses[] = {200, 400, 401, 403, 500};
    HttpResponse response;
    response.status = kStatuses[data[0] % 5];
    response.content_type = "application/soap+xml";
    response.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);

    (void)parse_digest_challenge(response.body);

    auto message = messages::read_response(response, "Fuzz");
    if (!message) {
        if (message.error().message.empty()) {
            std::abort();  // every error says what went wrong
        }
        return 0;
    }
    const pugi::xml_node payload = message->payload;
    (void)messages::parse_system_date_and_time(payload);
    (void)messages::parse_services(payload);
    (void)messages::parse_capabilities(payload);
    (void)messages::parse_device_information(payload);
    if (auto profiles = messages::parse_profiles(payload);
        profiles && profiles->size() > messages::kMaxItems) {
        std::abort();
    }
    if (auto uri = messages::parse_stream_uri(payload);
        uri && uri->size() > messages::kMaxUriChars) {
        std::abort();
    }
    auto nodes = messages::parse_nodes(payload);
    auto configurations = messages::parse_configurations(payload);
    (void)messages::parse_status(payload);
    (void)messages::parse_presets(payload);
    (void)messages::parse_set_preset(payload);
    (void)messages::expect_response(payload, "Stop");
    if (nodes && configurations) {
        Profile profile;
        profile.ptz_configuration_token =
            configurations->empty() ? "x" : configurations->front().token;
        Services services;
        services.ptz = "http://192.0.2.1/onvif/ptz_service";
        (void)messages::derive_ptz_capabilities(services, profile, *configurations, *nodes);
    }
    return 0;
}
