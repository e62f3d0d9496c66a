// Hearth's ONVIF client against the device service in-process (every operation), and
// WS-Discovery probe / match round trips.
#include "onvif/client.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "fakes.h"
#include "onvif/device_service.h"
#include "onvif/discovery.h"
#include "onvif/soap.h"

namespace hearth::onvif {
namespace {

using namespace std::chrono_literals;
using testing::FakeBackend;
using testing::InProcessTransport;
using testing::secret;

class ClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        backend_ = std::make_shared<FakeBackend>();
        DeviceServiceOptions o;
        o.username = "admin";
        o.password = secret("s3cret pass");
        o.max_presets = 4;
        service_ = std::make_shared<DeviceService>(backend_, std::move(o));
        transport_ = std::make_shared<InProcessTransport>(service_);
    }

    Client client(std::string_view user, std::string_view password) {
        return Client(transport_, {"http://192.0.2.1:8080/onvif/device_service", std::string(user),
                                   secret(password)});
    }

    std::shared_ptr<FakeBackend> backend_;
    std::shared_ptr<DeviceService> service_;
    std::shared_ptr<InProcessTransport> transport_;
};

TEST_F(ClientTest, ConnectLearnsServices) {
    Client c = client("admin", "s3cret pass");
    ASSERT_TRUE(c.connect());
    EXPECT_EQ(c.services().media, "http://192.0.2.1:8080/onvif/media_service");
    EXPECT_EQ(c.services().ptz, "http://192.0.2.1:8080/onvif/ptz_service");
    EXPECT_LT(std::abs(c.clock_offset().count()), 5000);
}

TEST_F(ClientTest, DeviceInformation) {
    Client c = client("admin", "s3cret pass");
    ASSERT_TRUE(c.connect());
    auto info = c.get_device_information();
    ASSERT_TRUE(info) << info.error().describe();
    EXPECT_EQ(info->manufacturer, "Hearth");
    EXPECT_EQ(info->model, "Fake Cam");
    EXPECT_EQ(info->serial_number, "SN-1");
}

TEST_F(ClientTest, ProfilesAndStreamUri) {
    Client c = client("admin", "s3cret pass");
    ASSERT_TRUE(c.connect());
    auto profiles = c.get_profiles();
    ASSERT_TRUE(profiles) << profiles.error().describe();
    ASSERT_EQ(profiles->size(), 1u);
    EXPECT_EQ((*profiles)[0].token, "main");
    EXPECT_EQ((*profiles)[0].video_encoding, "H264");
    EXPECT_EQ((*profiles)[0].resolution, (Resolution{640, 360}));
    EXPECT_EQ((*profiles)[0].ptz_configuration_token, kPtzConfigurationToken);
    auto uri = c.get_stream_uri("main");
    ASSERT_TRUE(uri) << uri.error().describe();
    EXPECT_EQ(*uri, "rtsp://192.0.2.1:8554/main");
    auto missing = c.get_stream_uri("nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, core::ErrorCode::kNotFound);
}

TEST_F(ClientTest, PtzNodesConfigurationsCapabilities) {
    Client c = client("admin", "s3cret pass");
    ASSERT_TRUE(c.connect());
    auto nodes = c.get_nodes();
    ASSERT_TRUE(nodes) << nodes.error().describe();
    ASSERT_EQ(nodes->size(), 1u);
    EXPECT_EQ((*nodes)[0].token, kPtzNodeToken);
    EXPECT_TRUE((*nodes)[0].continuous_pan_tilt);
    EXPECT_TRUE((*nodes)[0].absolute_zoom);
    EXPECT_EQ((*nodes)[0].max_presets, 4);
    auto configs = c.get_configurations();
    ASSERT_TRUE(configs) << configs.error().describe();
    ASSERT_EQ(configs->size(), 1u);
    EXPECT_EQ((*configs)[0].node_token, kPtzNodeToken);
    EXPECT_EQ((*configs)[0].default_timeout, 10s);
    auto profiles = c.get_profiles();
    ASSERT_TRUE(profiles);
    auto caps = c.ptz_capabilities((*profiles)[0]);
    ASSERT_TRUE(caps) << caps.error().describe();
    EXPECT_TRUE(caps->supported);
    EXPECT_TRUE(caps->continuous);
    EXPECT_TRUE(caps->relative);
    EXPECT_TRUE(caps->absolute);
    EXPECT_TRUE(caps->zoom);
    EXPECT_TRUE(caps->home);
    EXPECT_TRUE(caps->presets);
    EXPECT_EQ(caps->max_presets, 4);
}

TEST_F(ClientTest, ContinuousMoveStopAndStatus) {
    Client c = client("admin", "s3cret pass");
    ASSERT_TRUE(c.connect());
    auto moved = c.continuous_move("main", PtzVector::of(0.5, -0.25, 0), 1500ms);
    ASSERT_TRUE(moved) << moved.error().describe();
    EXPECT_EQ(backend_->last_velocity, PtzVector::of(0.5, -0.25, 0));
    EXPECT_EQ(backend_->last_timeout, 1500ms);
    auto status = c.get_status("main");
    ASSERT_TRUE(status) << status.error().describe();
    EXPECT_EQ(status->pan_tilt, MoveStatus::kMoving);
    EXPECT_DOUBLE_EQ(status->position.pan_tilt->x, 0.05);
    ASSERT_TRUE(c.stop("main", StopAxes::kPanTilt));
    EXPECT_EQ(backend_->last_stop, StopAxes::kPanTilt);
    EXPECT_EQ(c.get_status("main")->pan_tilt, MoveStatus::kIdle);
    // Without a timeout the configuration's default applies.
    ASSERT_TRUE(c.continuous_move("main", PtzVector{{}, 0.5}));
    EXPECT_EQ(backend_->last_timeout, 10s);
}

TEST_F(ClientTest, AbsoluteAndRelativeMoves) {
    Client c = client("admin", "s3cret pass");
    ASSERT_TRUE(c.connect());
    auto abs = c.absolute_move("main", PtzVector::of(0.5, 0.25, 0.75));
    ASSERT_TRUE(abs) << abs.error().describe();
    EXPECT_EQ(c.get_status("main")->position, PtzVector::of(0.5, 0.25, 0.75));
    auto rel = c.relative_move("main", PtzVector::of(-0.25, 0.25, -0.5), PtzVector::of(1, 1, 1));
    ASSERT_TRUE(rel) << rel.error().describe();
    EXPECT_EQ(c.get_status("main")->position, PtzVector::of(0.25, 0.5, 0.25));
    // Out of the generic space: refused, the camera does not move.
    auto bad = c.absolute_move("main", PtzVector::of(3, 0, 0));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_EQ(c.get_status("main")->position, PtzVector::of(0.25, 0.5, 0.25));
}

TEST_F(ClientTest, HomePosition) {
    Client c = client("admin", "s3cret pass");
    ASSERT_TRUE(c.connect());
    ASSERT_TRUE(c.absolute_move("main", PtzVector::of(0.1, 0.2, 0.3)));
    ASSERT_TRUE(c.set_home_position("main"));
    ASSERT_TRUE(c.absolute_move("main", PtzVector::of(-0.5, -0.5, 0)));
    auto home = c.goto_home_position("main");
    ASSERT_TRUE(home) << home.error().describe();
    EXPECT_EQ(c.get_status("main")->position, PtzVector::of(0.1, 0.2, 0.3));
}

TEST_F(ClientTest, PresetsSetGotoRemove) {
    Client c = client("admin", "s3cret pass");
    ASSERT_TRUE(c.connect());
    ASSERT_TRUE(c.absolute_move("main", PtzVector::of(0.5, 0.5, 0.5)));
    auto door = c.set_preset("main", "Front door");
    ASSERT_TRUE(door) << door.error().describe();
    ASSERT_TRUE(c.absolute_move("main", PtzVector::of(-0.5, 0, 0)));
    auto yard = c.set_preset("main", "Yard");
    ASSERT_TRUE(yard);
    EXPECT_NE(*door, *yard);
    auto presets = c.get_presets("main");
    ASSERT_TRUE(presets) << presets.error().describe();
    ASSERT_EQ(presets->size(), 2u);
    EXPECT_EQ((*presets)[0].name, "Front door");
    ASSERT_TRUE((*presets)[0].position);
    EXPECT_EQ(*(*presets)[0].position, PtzVector::of(0.5, 0.5, 0.5));

    auto go = c.goto_preset("main", *door);
    ASSERT_TRUE(go) << go.error().describe();
    EXPECT_EQ(c.get_status("main")->position, PtzVector::of(0.5, 0.5, 0.5));
    // Overwriting by token keeps the token and moves the preset.
    ASSERT_TRUE(c.set_preset("main", "Front door", *door));
    EXPECT_EQ(c.get_presets("main")->size(), 2u);

    ASSERT_TRUE(c.remove_preset("main", *yard));
    EXPECT_EQ(c.get_presets("main")->size(), 1u);
    auto gone = c.goto_preset("main", *yard);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, core::ErrorCode::kNotFound);
}

TEST_F(ClientTest, TooManyPresets) {
    Client c = client("admin", "s3cret pass");
    ASSERT_TRUE(c.connect());
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(c.set_preset("main", "p" + std::to_string(i))) << i;
    }
    auto full = c.set_preset("main", "one more");
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, core::ErrorCode::kResourceExhausted);
}

TEST_F(ClientTest, WrongPasswordIsRefusedClearly) {
    Client c = client("admin", "guess");
    ASSERT_TRUE(c.connect());  // pre-authentication operations only
    auto profiles = c.get_profiles();
    ASSERT_FALSE(profiles);
    EXPECT_EQ(profiles.error().code, core::ErrorCode::kPermissionDenied);
    EXPECT_NE(profiles.error().message.find(soap::kRefusedCredentials), std::string::npos)
        << profiles.error().message;
    EXPECT_FALSE(c.continuous_move("main", PtzVector::of(1, 0, 0)));
    EXPECT_FALSE(backend_->moving);
}

TEST_F(ClientTest, NoCredentialsAgainstSecuredCameraIsRefused) {
    Client c = client("", "");
    ASSERT_TRUE(c.connect());
    auto info = c.get_device_information();
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, core::ErrorCode::kPermissionDenied);
}

TEST_F(ClientTest, ClockOffsetIsApplied) {
    // The local clock is 20 minutes behind the camera: without the offset every token
    // would be stale.
    Client c(transport_,
             {"http://192.0.2.1:8080/onvif/device_service", "admin", secret("s3cret pass")},
             [] { return std::chrono::system_clock::now() - 20min; });
    ASSERT_TRUE(c.connect());
    EXPECT_NEAR(c.clock_offset().count(), 1200000, 5000);
    EXPECT_TRUE(c.get_device_information());
}

TEST_F(ClientTest, UnknownOperationAndPathAreFaults) {
    auto r = service_->handle({kDeviceServicePath, R"(<s:Envelope
        xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x:Frobnicate
        xmlns:x="urn:x"/></s:Body></s:Envelope>)",
                               "192.0.2.1:8080"});
    EXPECT_NE(r.status, 200);
    EXPECT_NE(r.body.find("ActionNotSupported"), std::string::npos) << r.body;
    auto bad = service_->handle({kDeviceServicePath, "<not xml", "192.0.2.1:8080"});
    EXPECT_EQ(bad.status, 400);
    auto doctype = service_->handle(
        {kDeviceServicePath, "<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", "192.0.2.1:8080"});
    EXPECT_EQ(doctype.status, 400);
    auto huge = service_->handle(
        {kDeviceServicePath, std::string(xml::kMaxRequestBytes + 1, ' '), "192.0.2.1:8080"});
    EXPECT_EQ(huge.status, 400);
}

TEST(DiscoveryTest, ProbeMatchRoundTrip) {
    const std::string id = discovery::new_message_id();
    EXPECT_TRUE(id.starts_with("urn:uuid:")) << id;
    auto probe = discovery::parse_probe(discovery::build_probe(id));
    ASSERT_TRUE(probe) << probe.error().describe();
    EXPECT_EQ(probe->message_id, id);

    discovery::Advert advert;
    advert.endpoint = "urn:uuid:6a1f2c3e-0000-4000-8000-000000000001";
    advert.types = {"dn:NetworkVideoTransmitter", "tds:Device"};
    advert.scopes = {"onvif://www.onvif.org/name/Hearth%20Simcam",
                     "onvif://www.onvif.org/hardware/simcam",
                     "onvif://www.onvif.org/Profile/Streaming"};
    advert.xaddrs = {"http://192.0.2.1:8080/onvif/device_service"};
    auto answer = discovery::answer_probe(*probe, advert);
    ASSERT_TRUE(answer);
    auto matches = discovery::parse_probe_matches(*answer, id);
    ASSERT_TRUE(matches) << matches.error().describe();
    ASSERT_EQ(matches->size(), 1u);
    const auto& m = (*matches)[0];
    EXPECT_EQ(m.endpoint, advert.endpoint);
    EXPECT_EQ(m.xaddrs, advert.xaddrs);
    EXPECT_EQ(m.scope_value("name"), "Hearth Simcam");
    EXPECT_EQ(m.scope_value("hardware"), "simcam");

    // An answer to someone else's probe is refused.
    EXPECT_FALSE(discovery::parse_probe_matches(*answer, discovery::new_message_id()));
}

TEST(DiscoveryTest, ProbeForOtherTypesOrScopesGetsNoAnswer) {
    discovery::Advert advert;
    advert.endpoint = "urn:uuid:1";
    advert.types = {"dn:NetworkVideoTransmitter"};
    advert.scopes = {"onvif://www.onvif.org/location/garden"};
    advert.xaddrs = {"http://192.0.2.1/onvif/device_service"};
    discovery::Probe printer{"urn:uuid:2", {"PrintDeviceType"}, {}};
    EXPECT_FALSE(discovery::answer_probe(printer, advert));
    discovery::Probe kitchen{"urn:uuid:3", {}, {"onvif://www.onvif.org/location/kitchen"}};
    EXPECT_FALSE(discovery::answer_probe(kitchen, advert));
    discovery::Probe garden{"urn:uuid:4", {}, {"onvif://www.onvif.org/location"}};
    EXPECT_TRUE(discovery::answer_probe(garden, advert));
    discovery::Probe any{"urn:uuid:5", {}, {}};
    EXPECT_TRUE(discovery::answer_probe(any, advert));
}

TEST(DiscoveryTest, ParsesThirdPartyProbeMatches) {
    // As an Axis camera answers (wsa 2004/08, d: prefix, several XAddrs).
    const char* datagram = R"(<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"
 xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
 xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><SOAP-ENV:Header>
 <wsa:MessageID>uuid:a1</wsa:MessageID><wsa:RelatesTo>urn:uuid:probe-1</wsa:RelatesTo>
 <wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>
 </SOAP-ENV:Header><SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>
 <wsa:EndpointReference><wsa:Address>urn:uuid:cam-1</wsa:Address></wsa:EndpointReference>
 <d:Types>dn:NetworkVideoTransmitter</d:Types>
 <d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/AXIS%20M3045</d:Scopes>
 <d:XAddrs>http://192.0.2.20/onvif/device_service http://[fe80::1]/onvif/device_service</d:XAddrs>
 <d:MetadataVersion>7</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body>
</SOAP-ENV:Envelope>)";
    auto matches = discovery::parse_probe_matches(datagram, "urn:uuid:probe-1");
    ASSERT_TRUE(matches) << matches.error().describe();
    ASSERT_EQ(matches->size(), 1u);
    EXPECT_EQ((*matches)[0].xaddrs.size(), 2u);
    EXPECT_EQ((*matches)[0].metadata_version, 7);
    EXPECT_EQ((*matches)[0].scope_value("name"), "AXIS M3045");
    EXPECT_FALSE(discovery::parse_probe_matches("<junk", ""));
    EXPECT_FALSE(discovery::parse_probe(std::string(100000, 'x')));
}

}  // namespace
}  // namespace hearth::onvif
