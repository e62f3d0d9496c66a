// libFuzzer target for WS-Discovery datagrams: a Probe as the simcam's responder reads it
// (and the answer it would give), and ProbeMatches as Hearth's discovery reads them. Seed
// corpus: tests/fuzz/corpus/onvif_discovery/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "onvif/discovery.h"

using namespace hearth::onvif;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view datagram(reinterpret_cast<const char*>(data), size);
    if (auto probe = discovery::parse_probe(datagram)) {
        discovery::Advert advert;
        advert.endpoint = "urn:uuid:00000000-0000-4000-8000-000000000000";
        advert.types = {"dn:NetworkVideoTransmitter", "tds:Device"};
        advert.scopes = {"onvif://www.onvif.org/name/Simcam",
                         "onvif://www.onvif.org/location/garden"};
        advert.xaddrs = {"http://192.0.2.1:8000/onvif/device_service"};
        if (auto answer = discovery::answer_probe(*probe, advert)) {
            // Our own answer must parse as a match for the probe it answers.
            auto matches = discovery::parse_probe_matches(*answer, probe->message_id);
            if (!matches || matches->size() != 1) {
                std::abort();
            }
        }
    }
    if (auto matches = discovery::parse_probe_matches(datagram, {})) {
        for (const auto& m : *matches) {
            if (m.endpoint.empty() || m.xaddrs.empty()) {
                std::abort();  // such matches are skipped
            }
            (void)m.scope_value("name");
        }
    }
    return 0;
}
