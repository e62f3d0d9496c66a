#include "onvif/device_xml.h"

#include <algorithm>
#include <string>

#include "onvif/device_service.h"
#include "onvif/messages.h"
#include "onvif/xml.h"

namespace hearth::onvif::device_xml {
namespace {

constexpr const char* kPtUri = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/";
constexpr const char* kZoomUri = "http://www.onvif.org/ver10/tptz/ZoomSpaces/";

void range(pugi::xml_node parent, const char* name, double lo, double hi) {
    pugi::xml_node r = parent.append_child(name);
    xml::add(r, "tt:Min", messages::format_number(lo));
    xml::add(r, "tt:Max", messages::format_number(hi));
}

void space(pugi::xml_node parent, const char* name, const std::string& uri, double lo, double hi,
           bool two_axes) {
    pugi::xml_node s = parent.append_child(name);
    xml::add(s, "tt:URI", uri);
    range(s, "tt:XRange", lo, hi);
    if (two_axes) {
        range(s, "tt:YRange", lo, hi);
    }
}

std::string n(long long v) { return std::to_string(v); }

void multicast(pugi::xml_node parent) {
    pugi::xml_node m = parent.append_child("tt:Multicast");
    pugi::xml_node a = m.append_child("tt:Address");
    xml::add(a, "tt:Type", "IPv4");
    xml::add(a, "tt:IPv4Address", "0.0.0.0");
    xml::add(m, "tt:Port", "0");
    xml::add(m, "tt:TTL", "1");
    xml::add(m, "tt:AutoStart", "false");
}

int fps_of(const Profile& p) { return std::max(1, static_cast<int>(p.fps + 0.5)); }

}  // namespace

void write_video_encoder(pugi::xml_node vec, const Profile& p) {
    vec.append_attribute("token") = p.video_encoder_token.c_str();
    xml::add(vec, "tt:Name", p.video_encoder_token);
    xml::add(vec, "tt:UseCount", "1");
    xml::add(vec, "tt:Encoding", p.video_encoding);
    pugi::xml_node res = vec.append_child("tt:Resolution");
    xml::add(res, "tt:Width", n(p.resolution.width));
    xml::add(res, "tt:Height", n(p.resolution.height));
    xml::add(vec, "tt:Quality", "5");
    pugi::xml_node rc = vec.append_child("tt:RateControl");
    xml::add(rc, "tt:FrameRateLimit", n(fps_of(p)));
    xml::add(rc, "tt:EncodingInterval", "1");
    xml::add(rc, "tt:BitrateLimit", n(p.bitrate_kbps));
    if (p.video_encoding == "H264") {
        pugi::xml_node h = vec.append_child("tt:H264");
        xml::add(h, "tt:GovLength", n(2L * fps_of(p)));
        xml::add(h, "tt:H264Profile", "Main");
    }
    multicast(vec);
    xml::add(vec, "tt:SessionTimeout", "PT60S");
}

void write_video_encoder_options(pugi::xml_node options, const Profile& p) {
    range(options, "tt:QualityRange", 1, 10);
    const char* codec = p.video_encoding == "H265" ? "tt:H265" : "tt:H264";
    pugi::xml_node c = options.append_child(codec);
    pugi::xml_node res = c.append_child("tt:ResolutionsAvailable");
    xml::add(res, "tt:Width", n(p.resolution.width));
    xml::add(res, "tt:Height", n(p.resolution.height));
    range(c, "tt:GovLengthRange", 1, 300);
    range(c, "tt:FrameRateRange", 1, fps_of(p));
    range(c, "tt:EncodingIntervalRange", 1, 1);
    xml::add(c,
             p.video_encoding == "H265" ? "tt:H265ProfilesSupported" : "tt:H264ProfilesSupported",
             "Main");
    pugi::xml_node ext = options.append_child("tt:Extension").append_child(codec);
    for (pugi::xml_node child = c.first_child(); child; child = child.next_sibling()) {
        ext.append_copy(child);
    }
    range(ext, "tt:BitrateRange", 100, 50000);
}

void write_spaces(pugi::xml_node s) {
    const std::string pt = kPtUri;
    const std::string z = kZoomUri;
    space(s, "tt:AbsolutePanTiltPositionSpace", pt + "PositionGenericSpace", -1, 1, true);
    space(s, "tt:AbsoluteZoomPositionSpace", z + "PositionGenericSpace", 0, 1, false);
    space(s, "tt:RelativePanTiltTranslationSpace", pt + "TranslationGenericSpace", -1, 1, true);
    space(s, "tt:RelativeZoomTranslationSpace", z + "TranslationGenericSpace", -1, 1, false);
    space(s, "tt:ContinuousPanTiltVelocitySpace", pt + "VelocityGenericSpace", -1, 1, true);
    space(s, "tt:ContinuousZoomVelocitySpace", z + "VelocityGenericSpace", -1, 1, false);
    space(s, "tt:PanTiltSpeedSpace", pt + "GenericSpeedSpace", 0, 1, false);
    space(s, "tt:ZoomSpeedSpace", z + "ZoomGenericSpeedSpace", 0, 1, false);
}

void write_ptz_node(pugi::xml_node node, const PtzDescription& ptz) {
    node.append_attribute("token") = std::string(kPtzNodeToken).c_str();
    node.append_attribute("FixedHomePosition") = "false";
    node.append_attribute("GeoMove") = "false";
    xml::add(node, "tt:Name", "Virtual PTZ");
    write_spaces(node.append_child("tt:SupportedPTZSpaces"));
    xml::add(node, "tt:MaximumNumberOfPresets", n(ptz.max_presets));
    xml::add(node, "tt:HomeSupported", "true");
}

void write_ptz_configuration(pugi::xml_node cfg, const PtzDescription& ptz) {
    cfg.append_attribute("token") = std::string(kPtzConfigurationToken).c_str();
    xml::add(cfg, "tt:Name", "PTZ");
    xml::add(cfg, "tt:UseCount", "1");
    xml::add(cfg, "tt:NodeToken", kPtzNodeToken);
    const std::string pt = kPtUri;
    const std::string z = kZoomUri;
    // "Pant" is ONVIF's own spelling of this element.
    xml::add(cfg, "tt:DefaultAbsolutePantTiltPositionSpace", pt + "PositionGenericSpace");
    xml::add(cfg, "tt:DefaultAbsoluteZoomPositionSpace", z + "PositionGenericSpace");
    xml::add(cfg, "tt:DefaultRelativePanTiltTranslationSpace", pt + "TranslationGenericSpace");
    xml::add(cfg, "tt:DefaultRelativeZoomTranslationSpace", z + "TranslationGenericSpace");
    xml::add(cfg, "tt:DefaultContinuousPanTiltVelocitySpace", pt + "VelocityGenericSpace");
    xml::add(cfg, "tt:DefaultContinuousZoomVelocitySpace", z + "VelocityGenericSpace");
    pugi::xml_node speed = cfg.append_child("tt:DefaultPTZSpeed");
    pugi::xml_node sp = speed.append_child("tt:PanTilt");
    sp.append_attribute("x") = "1";
    sp.append_attribute("y") = "1";
    sp.append_attribute("space") = (pt + "GenericSpeedSpace").c_str();
    pugi::xml_node sz = speed.append_child("tt:Zoom");
    sz.append_attribute("x") = "1";
    sz.append_attribute("space") = (z + "ZoomGenericSpeedSpace").c_str();
    xml::add(cfg, "tt:DefaultPTZTimeout", messages::format_duration(ptz.default_timeout));
    pugi::xml_node ptl = cfg.append_child("tt:PanTiltLimits").append_child("tt:Range");
    xml::add(ptl, "tt:URI", pt + "PositionGenericSpace");
    range(ptl, "tt:XRange", -1, 1);
    range(ptl, "tt:YRange", -1, 1);
    pugi::xml_node zl = cfg.append_child("tt:ZoomLimits").append_child("tt:Range");
    xml::add(zl, "tt:URI", z + "PositionGenericSpace");
    range(zl, "tt:XRange", 0, 1);
}

void write_profile(pugi::xml_node profile, const Profile& p, const PtzDescription& ptz) {
    profile.append_attribute("token") = p.token.c_str();
    profile.append_attribute("fixed") = "true";
    xml::add(profile, "tt:Name", p.name);
    pugi::xml_node vsc = profile.append_child("tt:VideoSourceConfiguration");
    vsc.append_attribute("token") = (p.video_source_token + "_config").c_str();
    xml::add(vsc, "tt:Name", "video source");
    xml::add(vsc, "tt:UseCount", "1");
    xml::add(vsc, "tt:SourceToken", p.video_source_token);
    pugi::xml_node bounds = vsc.append_child("tt:Bounds");
    bounds.append_attribute("x") = 0;
    bounds.append_attribute("y") = 0;
    bounds.append_attribute("width") = p.resolution.width;
    bounds.append_attribute("height") = p.resolution.height;
    if (!p.audio_encoding.empty()) {
        pugi::xml_node asc = profile.append_child("tt:AudioSourceConfiguration");
        asc.append_attribute("token") = "audio_source_config";
        xml::add(asc, "tt:Name", "audio source");
        xml::add(asc, "tt:UseCount", "1");
        xml::add(asc, "tt:SourceToken", "audio_source");
    }
    write_video_encoder(profile.append_child("tt:VideoEncoderConfiguration"), p);
    if (!p.audio_encoding.empty()) {
        pugi::xml_node aec = profile.append_child("tt:AudioEncoderConfiguration");
        aec.append_attribute("token") = "audio_encoder";
        xml::add(aec, "tt:Name", "audio encoder");
        xml::add(aec, "tt:UseCount", "1");
        xml::add(aec, "tt:Encoding", p.audio_encoding);
        xml::add(aec, "tt:Bitrate", "64");
        xml::add(aec, "tt:SampleRate", p.audio_encoding == "AAC" ? "48" : "8");
        multicast(aec);
        xml::add(aec, "tt:SessionTimeout", "PT60S");
    }
    if (!p.ptz_configuration_token.empty()) {
        write_ptz_configuration(profile.append_child("tt:PTZConfiguration"), ptz);
    }
}

void write_position(pugi::xml_node position, const PtzVector& v) {
    messages::write_vector(position, v);
    if (pugi::xml_node pt = xml::child(position, "PanTilt")) {
        pt.append_attribute("space") = kPanTiltPositionSpace;
    }
    if (pugi::xml_node z = xml::child(position, "Zoom")) {
        z.append_attribute("space") = kZoomPositionSpace;
    }
}

}  // namespace hearth::onvif::device_xml
