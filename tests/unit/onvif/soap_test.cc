// SOAP envelopes and faults as real cameras write them, the bounded XML reader, and the
// client's response parsers on realistic answers with assorted namespace prefixes.
#include "onvif/soap.h"

#include <gtest/gtest.h>

#include <string>

#include "onvif/messages.h"
#include "onvif/xml.h"

namespace hearth::onvif {
namespace {

// A Hikvision-style answer: SOAP 1.2, prefixes env/tt/trt, a default namespace elsewhere.
constexpr const char* kProfilesResponse = R"(<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
  xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:trt="http://www.onvif.org/ver10/media/wsdl">
 <env:Body><trt:GetProfilesResponse>
  <trt:Profiles token="Profile_1" fixed="true"><tt:Name>mainStream</tt:Name>
   <tt:VideoSourceConfiguration token="VideoSourceToken"><tt:Name>VideoSourceConfig</tt:Name>
    <tt:SourceToken>VideoSource_1</tt:SourceToken></tt:VideoSourceConfiguration>
   <tt:VideoEncoderConfiguration token="VideoEncoderToken_1"><tt:Name>VideoEncoder_1</tt:Name>
    <tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>1920</tt:Width>
    <tt:Height>1080</tt:Height></tt:Resolution><tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit>
    <tt:BitrateLimit>4096</tt:BitrateLimit></tt:RateControl></tt:VideoEncoderConfiguration>
   <tt:PTZConfiguration token="PTZToken"><tt:Name>PTZ</tt:Name><tt:NodeToken>PTZNODETOKEN</tt:NodeToken>
   </tt:PTZConfiguration></trt:Profiles>
  <trt:Profiles token="Profile_2"><tt:Name>subStream</tt:Name>
   <tt:VideoEncoderConfiguration token="VideoEncoderToken_2"><tt:Encoding>H265</tt:Encoding>
    <tt:Resolution><tt:Width>640</tt:Width><tt:Height>360</tt:Height></tt:Resolution>
   </tt:VideoEncoderConfiguration></trt:Profiles>
 </trt:GetProfilesResponse></env:Body></env:Envelope>)";

// A Dahua/Axis-style answer: prefixes SOAP-ENV/ns2, a header with WS-Addressing.
constexpr const char* kStreamUriResponse = R"(<?xml version="1.0"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"
 xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:ns2="http://www.onvif.org/ver10/media/wsdl"
 xmlns:ns3="http://www.onvif.org/ver10/schema">
 <SOAP-ENV:Header><wsa:Action>http://www.onvif.org/ver10/media/wsdl/GetStreamUriResponse</wsa:Action></SOAP-ENV:Header>
 <SOAP-ENV:Body><ns2:GetStreamUriResponse><ns2:MediaUri>
  <ns3:Uri>rtsp://192.0.2.10:554/cam/realmonitor?channel=1&amp;subtype=0</ns3:Uri>
  <ns3:InvalidAfterConnect>false</ns3:InvalidAfterConnect><ns3:Timeout>PT60S</ns3:Timeout>
 </ns2:MediaUri></ns2:GetStreamUriResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>)";

// Default namespaces only (no prefixes at all), as some embedded stacks write.
constexpr const char* kStatusResponse =
    R"(<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope">
 <Body><GetStatusResponse xmlns="http://www.onvif.org/ver20/ptz/wsdl"><PTZStatus>
  <Position xmlns="http://www.onvif.org/ver10/schema"><PanTilt x="0.25" y="-0.5"
   space="http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"/><Zoom x="0.1"/></Position>
  <MoveStatus xmlns="http://www.onvif.org/ver10/schema"><PanTilt>MOVING</PanTilt><Zoom>IDLE</Zoom></MoveStatus>
  <UtcTime xmlns="http://www.onvif.org/ver10/schema">2026-11-29T10:00:00Z</UtcTime>
 </PTZStatus></GetStatusResponse></Body></Envelope>)";

constexpr const char* kAuthFault = R"(<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error">
<env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode>
<env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code><env:Reason>
<env:Text xml:lang="en">Sender not Authorized</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>)";

// SOAP 1.1 shaped fault (faultcode/faultstring) as older firmware answers.
constexpr const char* kSoap11Fault =
    R"(<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
<s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>Action Not Implemented</faultstring>
</s:Fault></s:Body></s:Envelope>)";

constexpr const char* kNotSupportedFault =
    R"(<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"
 xmlns:ter="http://www.onvif.org/ver10/error"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value>
 <soap:Subcode><soap:Value>ter:ActionNotSupported</soap:Value></soap:Subcode></soap:Code>
 <soap:Reason><soap:Text xml:lang="en">Optional Action Not Implemented</soap:Text></soap:Reason>
 </soap:Fault></soap:Body></soap:Envelope>)";

HttpResponse http(int status, std::string body) {
    return HttpResponse{status, "application/soap+xml", std::move(body), ""};
}

TEST(SoapTest, ParsesProfilesWithTtPrefixes) {
    auto m = messages::read_response(http(200, kProfilesResponse), "GetProfiles");
    ASSERT_TRUE(m) << m.error().describe();
    auto profiles = messages::parse_profiles(m->payload);
    ASSERT_TRUE(profiles) << profiles.error().describe();
    ASSERT_EQ(profiles->size(), 2u);
    const Profile& p = (*profiles)[0];
    EXPECT_EQ(p.token, "Profile_1");
    EXPECT_EQ(p.name, "mainStream");
    EXPECT_EQ(p.video_encoding, "H264");
    EXPECT_EQ(p.resolution, (Resolution{1920, 1080}));
    EXPECT_EQ(p.fps, 25);
    EXPECT_EQ(p.bitrate_kbps, 4096);
    EXPECT_EQ(p.ptz_configuration_token, "PTZToken");
    EXPECT_EQ((*profiles)[1].video_encoding, "H265");
    EXPECT_TRUE((*profiles)[1].ptz_configuration_token.empty());
}

TEST(SoapTest, ParsesStreamUriWithOtherPrefixesAndHeader) {
    auto m = messages::read_response(http(200, kStreamUriResponse), "GetStreamUri");
    ASSERT_TRUE(m) << m.error().describe();
    EXPECT_TRUE(m->header);
    auto uri = messages::parse_stream_uri(m->payload);
    ASSERT_TRUE(uri) << uri.error().describe();
    EXPECT_EQ(*uri, "rtsp://192.0.2.10:554/cam/realmonitor?channel=1&subtype=0");
}

TEST(SoapTest, ParsesStatusWithDefaultNamespaces) {
    auto m = messages::read_response(http(200, kStatusResponse), "GetStatus");
    ASSERT_TRUE(m) << m.error().describe();
    auto s = messages::parse_status(m->payload);
    ASSERT_TRUE(s) << s.error().describe();
    ASSERT_TRUE(s->position.pan_tilt);
    EXPECT_DOUBLE_EQ(s->position.pan_tilt->x, 0.25);
    EXPECT_DOUBLE_EQ(s->position.pan_tilt->y, -0.5);
    EXPECT_DOUBLE_EQ(*s->position.zoom, 0.1);
    EXPECT_EQ(s->pan_tilt, MoveStatus::kMoving);
    EXPECT_EQ(s->zoom, MoveStatus::kIdle);
}

TEST(SoapTest, WrongPayloadIsAnError) {
    auto m = messages::read_response(http(200, kStatusResponse), "GetProfiles");
    ASSERT_TRUE(m);
    auto p = messages::parse_profiles(m->payload);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, core::ErrorCode::kInvalidArgument);
}

TEST(SoapTest, NotAuthorizedFaultMeansRefusedCredentials) {
    auto m = messages::read_response(http(400, kAuthFault), "GetProfiles");
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, core::ErrorCode::kPermissionDenied);
    EXPECT_NE(m.error().message.find(soap::kRefusedCredentials), std::string::npos)
        << m.error().message;
}

TEST(SoapTest, Http401WithoutBodyMeansRefusedCredentials) {
    auto m = messages::read_response(http(401, ""), "GetProfiles");
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, core::ErrorCode::kPermissionDenied);
    EXPECT_NE(m.error().message.find(soap::kRefusedCredentials), std::string::npos)
        << m.error().message;
}

TEST(SoapTest, FaultFields) {
    auto m = soap::parse(kAuthFault, xml::kMaxResponseBytes, "fault");
    ASSERT_TRUE(m);
    auto f = soap::fault_of(*m);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, "Sender");
    EXPECT_TRUE(f->has_subcode("NotAuthorized"));
    EXPECT_EQ(f->reason, "Sender not Authorized");
}

TEST(SoapTest, ActionNotSupportedIsNotSupported) {
    auto m = messages::read_response(http(500, kNotSupportedFault), "AbsoluteMove");
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, core::ErrorCode::kFailedPrecondition);
    EXPECT_TRUE(soap::is_not_supported(m.error())) << m.error().message;
}

TEST(SoapTest, Soap11FaultIsRead) {
    auto m = soap::parse(kSoap11Fault, xml::kMaxResponseBytes, "fault");
    ASSERT_TRUE(m) << m.error().describe();
    auto f = soap::fault_of(*m);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->reason, "Action Not Implemented");
    auto r = messages::read_response(http(500, kSoap11Fault), "GetNodes");
    EXPECT_FALSE(r);
}

TEST(SoapTest, FaultEnvelopeRoundTrips) {
    const std::string text =
        soap::fault_envelope("Sender", {"ter:InvalidArgVal", "ter:NoProfile"}, "No such profile");
    auto m = soap::parse(text, xml::kMaxResponseBytes, "fault");
    ASSERT_TRUE(m);
    auto f = soap::fault_of(*m);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, "Sender");
    ASSERT_EQ(f->subcodes.size(), 2u);
    EXPECT_EQ(f->subcodes[1], "NoProfile");
    auto e = soap::fault_to_error(*f, 400, "GetStreamUri");
    EXPECT_EQ(e.code, core::ErrorCode::kNotFound);
}

TEST(SoapTest, EnvelopeBuildsParsableRequest) {
    soap::Envelope env;
    xml::add(env.body().append_child("trt:GetStreamUri"), "trt:ProfileToken", "a<b&c");
    auto m = soap::parse(env.str(), xml::kMaxRequestBytes, "request");
    ASSERT_TRUE(m) << m.error().describe();
    EXPECT_EQ(xml::local_name(m->payload), "GetStreamUri");
    EXPECT_EQ(xml::text(xml::child(m->payload, "ProfileToken")), "a<b&c");
}

TEST(XmlTest, MalformedIsAClearError) {
    auto m = messages::read_response(http(200, "<env:Envelope><env:Body><unclosed"), "GetProfiles");
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_NE(m.error().message.find("GetProfiles"), std::string::npos) << m.error().message;
}

TEST(XmlTest, NotXmlAtAllIsAClearError) {
    auto m = messages::read_response(http(200, "<html><body>Login</body></html>"), "GetProfiles");
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, core::ErrorCode::kInvalidArgument);
}

TEST(XmlTest, HugeIsRefusedBeforeParsing) {
    std::string huge = "<a>" + std::string(xml::kMaxResponseBytes, 'x') + "</a>";
    auto d = xml::Document::parse(huge, xml::kMaxResponseBytes, "GetProfiles response");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_NE(d.error().message.find("GetProfiles response"), std::string::npos);
}

TEST(XmlTest, DoctypeIsRefused) {
    const char* bomb = R"(<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><Envelope><Body>&lol2;</Body></Envelope>)";
    auto d = xml::Document::parse(bomb, xml::kMaxResponseBytes, "response");
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("DOCTYPE"), std::string::npos) << d.error().message;
}

TEST(XmlTest, DeepNestingIsRefused) {
    std::string deep;
    for (int i = 0; i < 10000; ++i) {
        deep += "<a>";
    }
    for (int i = 0; i < 10000; ++i) {
        deep += "</a>";
    }
    auto d = xml::Document::parse(deep, xml::kMaxResponseBytes, "response");
    EXPECT_FALSE(d);
}

TEST(XmlTest, NumbersAndDurations) {
    EXPECT_EQ(xml::to_double("0.5"), 0.5);
    EXPECT_FALSE(xml::to_double("nan?"));
    EXPECT_EQ(xml::to_bool("true"), true);
    EXPECT_EQ(xml::to_bool("0"), false);
    EXPECT_EQ(messages::parse_duration("PT5S"), std::chrono::milliseconds(5000));
    EXPECT_EQ(messages::parse_duration("PT0.5S"), std::chrono::milliseconds(500));
    EXPECT_EQ(messages::parse_duration("PT1M30S"), std::chrono::milliseconds(90000));
    EXPECT_FALSE(messages::parse_duration("5 seconds"));
    EXPECT_EQ(messages::format_duration(std::chrono::milliseconds(1500)), "PT1.5S");
}

}  // namespace
}  // namespace hearth::onvif
