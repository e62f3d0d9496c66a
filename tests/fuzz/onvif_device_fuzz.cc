// libFuzzer target for the simcam's ONVIF device service: any request body on any of its
// paths (first byte) through DeviceService::handle, once without authentication (every
// operation reachable) and once with (the WS-Security checks). Seed corpus:
// tests/fuzz/corpus/onvif_device/.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "onvif/device_service.h"

using namespace hearth::onvif;

namespace {

class NullBackend final : public DeviceBackend {
public:
    DeviceInfo device_info() const override { return {"Hearth", "Fuzz", "1", "S", "H"}; }
    std::vector<Profile> profiles() const override {
        Profile p;
        p.token = "main";
        p.name = "Main";
        p.video_source_token = "vs";
        p.video_encoder_token = "ve";
        p.video_encoding = "H264";
        p.resolution = {640, 360};
        p.fps = 15;
        p.ptz_configuration_token = std::string(kPtzConfigurationToken);
        return {p};
    }
    std::string stream_uri(const Profile&, std::string_view host) const override {
        return "rtsp://" + std::string(host) + "/stream";
    }
    bool has_ptz() const override { return true; }
    void continuous_move(const PtzVector& v, std::chrono::milliseconds) override { check(v, 1); }
    void absolute_move(const PtzVector& p, const PtzVector& s) override {
        check(p, 1);
        check(s, 1);
    }
    void relative_move(const PtzVector& t, const PtzVector& s) override {
        check(t, 2);
        check(s, 1);
    }
    void stop(StopAxes) override {}
    PtzStatus status() override {
        PtzStatus s;
        s.position = PtzVector::of(0, 0, 0);
        return s;
    }

private:
    // The service promises complete vectors inside the generic spaces.
    static void check(const PtzVector& v, double limit) {
        if (!v.pan_tilt || !v.zoom || !(std::abs(v.pan_tilt->x) <= limit) ||
            !(std::abs(v.pan_tilt->y) <= limit) || !(std::abs(*v.zoom) <= limit)) {
            std::abort();
        }
    }
};

DeviceService& service(bool secured) {
    static auto backend = std::make_shared<NullBackend>();
    static DeviceService* open = [] {
        return new DeviceService(backend, DeviceServiceOptions{});
    }();
    static DeviceService* locked = [] {
        DeviceServiceOptions o;
        o.username = "admin";
        o.password = std::move(hearth::crypto::SecretBytes::copy_of("pw")).value();
        return new DeviceService(backend, std::move(o));
    }();
    return secured ? *locked : *open;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    static constexpr std::string_view kPaths[] = {kDeviceServicePath, kMediaServicePath,
                                                  kPtzServicePath, "/other"};
    const std::string_view path = kPaths[data[0] & 3];
    const bool secured = (data[0] & 4) != 0;
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    DeviceResponse r = service(secured).handle({path, body, "192.0.2.1:8000"});
    if (r.body.empty() ||
        (r.status != 200 && r.status != 400 && r.status != 404 && r.status != 500)) {
        std::abort();
    }
    return 0;
}
