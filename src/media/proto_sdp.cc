#include "media/proto_sdp.h"

#include "core/text.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include "media/proto_bits.h"

namespace hearth::media::sdp {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr std::size_t kMaxParameterSets = 16;

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) {
        return {};
    }
    const auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == prefix;
}

bool parse_int(std::string_view s, int* out) {
    s = trim(s);
    if (s.empty()) {
        return false;
    }
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && ptr == s.data() + s.size();
}

struct RtpMap {
    std::string encoding;
    int clock_rate = 0;
    int channels = 0;
};

// One m= section as read, before we pick a payload type.
struct RawSection {
    std::string media;
    std::vector<int> formats;
    std::string control;
    Direction direction = Direction::kSendRecv;
    std::map<int, RtpMap> rtpmaps;
    std::map<int, std::map<std::string, std::string>> fmtps;  // keys lower case
};

std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view s) {
    s = trim(s);
    if (s.size() % 2 != 0) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> out;
    out.reserve(s.size() / 2);
    const auto nibble = core::hex_digit_value;
    for (std::size_t i = 0; i < s.size(); i += 2) {
        const int hi = nibble(s[i]);
        const int lo = nibble(s[i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    return out;
}

// Appends the base64 items of a comma-separated sprop list; bad items are skipped (the same
// parameter sets usually arrive in-band anyway).
void add_parameter_sets(std::string_view list, std::vector<std::vector<std::uint8_t>>* out) {
    std::size_t pos = 0;
    while (pos <= list.size() && out->size() < kMaxParameterSets) {
        const auto comma = list.find(',', pos);
        const auto item =
            trim(list.substr(pos, comma == std::string_view::npos ? comma : comma - pos));
        if (auto nal = base64_decode(item); nal && !nal->empty()) {
            out->push_back(std::move(*nal));
        }
        if (comma == std::string_view::npos) {
            break;
        }
        pos = comma + 1;
    }
}

// Fills codec fields for one payload type; returns a reason when unsupported.
std::optional<std::string> describe_format(const RawSection& raw, int pt, MediaDescription* m) {
    RtpMap map;
    if (auto it = raw.rtpmaps.find(pt); it != raw.rtpmaps.end()) {
        map = it->second;
    } else if (pt == 0) {
        map = {"PCMU", 8000, 1};
    } else if (pt == 8) {
        map = {"PCMA", 8000, 1};
    } else {
        return "payload type " + std::to_string(pt) + " has no rtpmap";
    }
    static const std::map<std::string, std::string> kNoParams;
    const auto fit = raw.fmtps.find(pt);
    const auto& fmtp = fit == raw.fmtps.end() ? kNoParams : fit->second;
    auto param = [&](const char* key) -> std::string_view {
        auto it = fmtp.find(key);
        return it == fmtp.end() ? std::string_view() : std::string_view(it->second);
    };

    m->payload_type = pt;
    m->encoding = map.encoding;
    m->clock_rate = map.clock_rate;
    m->channels = map.channels;
    if (map.clock_rate <= 0) {
        return map.encoding + " without a clock rate";
    }
    const std::string& enc = map.encoding;
    if (raw.media == "video" && enc == "H264") {
        int mode = 0;
        if (!param("packetization-mode").empty() &&
            (!parse_int(param("packetization-mode"), &mode) || mode > 1)) {
            return "H.264 interleaved packetization is not supported";
        }
        m->codec = Codec::kH264;
        add_parameter_sets(param("sprop-parameter-sets"), &m->parameter_sets);
        return std::nullopt;
    }
    if (raw.media == "video" && (enc == "H265" || enc == "HEVC")) {
        int don = 0;
        if (!param("sprop-max-don-diff").empty() &&
            (!parse_int(param("sprop-max-don-diff"), &don) || don != 0)) {
            return "H.265 with decoding order numbers is not supported";
        }
        m->codec = Codec::kH265;
        add_parameter_sets(param("sprop-vps"), &m->parameter_sets);
        add_parameter_sets(param("sprop-sps"), &m->parameter_sets);
        add_parameter_sets(param("sprop-pps"), &m->parameter_sets);
        return std::nullopt;
    }
    if (raw.media != "audio") {
        return raw.media + " " + enc.substr(0, 32) + " is not supported";
    }
    if (enc == "MPEG4-GENERIC") {
        const std::string mode = lower(param("mode"));
        if (mode != "aac-hbr" && mode != "aac-lbr") {
            return "MPEG4-GENERIC mode '" + std::string(param("mode").substr(0, 16)) +
                   "' is not supported";
        }
        auto config = hex_decode(param("config"));
        if (!config || config->empty() || !parse_aac_config(*config)) {
            return "AAC without a valid config";
        }
        int size_length = 0;
        int index_length = 0;
        int index_delta_length = 0;
        int constant_duration = 0;
        if (!parse_int(param("sizelength"), &size_length) || size_length < 1 || size_length > 16) {
            return "AAC without a valid sizelength";
        }
        if ((!param("indexlength").empty() && (!parse_int(param("indexlength"), &index_length) ||
                                               index_length < 0 || index_length > 8)) ||
            (!param("indexdeltalength").empty() &&
             (!parse_int(param("indexdeltalength"), &index_delta_length) ||
              index_delta_length < 0 || index_delta_length > 8))) {
            return "AAC with a bad AU-header layout";
        }
        if (!param("constantduration").empty() &&
            (!parse_int(param("constantduration"), &constant_duration) || constant_duration < 0 ||
             constant_duration > 65536)) {
            return "AAC with a bad constantDuration";
        }
        m->codec = Codec::kAac;
        m->aac_config = std::move(*config);
        m->size_length = size_length;
        m->index_length = index_length;
        m->index_delta_length = index_delta_length;
        m->constant_duration = constant_duration;
        m->mode = std::string(param("mode"));
        return std::nullopt;
    }
    if (enc == "OPUS" || enc == "X-GST-OPUS-DRAFT-SPITTKA-00") {  // the latter: old GStreamer
        m->codec = Codec::kOpus;
        m->stereo = param("sprop-stereo") != "0";
        return std::nullopt;
    }
    if (enc == "PCMU" || enc == "PCMA") {
        if (map.clock_rate != 8000) {
            return enc + " at " + std::to_string(map.clock_rate) + " Hz is not supported";
        }
        m->codec = enc == "PCMU" ? Codec::kPcmu : Codec::kPcma;
        return std::nullopt;
    }
    return "audio " + enc.substr(0, 32) + " is not supported";
}

void finish_section(const RawSection& raw, std::string_view base, SessionDescription* out) {
    std::string reason = raw.media + " section without formats";
    for (int pt : raw.formats) {
        MediaDescription m;
        m.media = raw.media;
        m.direction = raw.direction;
        auto why = describe_format(raw, pt, &m);
        if (!why) {
            m.control = resolve_control(base, raw.control);
            out->media.push_back(std::move(m));
            return;
        }
        reason = std::move(*why);
    }
    out->skipped.push_back(reason);
}

}  // namespace

core::Result<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
    std::vector<std::uint8_t> out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    bool padding = false;
    for (char c : text) {
        int v = -1;
        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;
        } else if (c == '+' || c == '-') {
            v = 62;
        } else if (c == '/' || c == '_') {
            v = 63;
        } else if (c == '=') {
            padding = true;
            continue;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        if (v < 0 || padding) {
            return make_error(ErrorCode::kInvalidArgument, "bad base64");
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits));
            acc &= (1u << bits) - 1;
        }
    }
    if (bits >= 6) {
        return make_error(ErrorCode::kInvalidArgument, "truncated base64");
    }
    return out;
}

core::Result<AacConfig> parse_aac_config(std::span<const std::uint8_t> asc) {
    static constexpr int kRates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                     22050, 16000, 12000, 11025, 8000,  7350};
    bits::BitReader r(asc);
    AacConfig c;
    c.object_type = static_cast<int>(r.read(5));
    if (c.object_type == 31) {
        c.object_type = 32 + static_cast<int>(r.read(6));
    }
    const auto index = r.read(4);
    if (index == 15) {
        c.sample_rate = static_cast<int>(r.read(24));
    } else if (index < 13) {
        c.sample_rate = kRates[index];
    }
    const auto channel_config = r.read(4);
    if (!r.ok() || c.sample_rate <= 0) {
        return make_error(ErrorCode::kInvalidArgument, "malformed AudioSpecificConfig");
    }
    c.channels = channel_config == 7 ? 8 : (channel_config <= 6 ? int(channel_config) : 0);
    return c;
}

std::string resolve_control(std::string_view base_url, std::string_view control) {
    control = trim(control);
    if (control.empty() || control == "*") {
        return std::string(base_url);
    }
    if (starts_with_ci(control, "rtsp://") || starts_with_ci(control, "rtsps://")) {
        return std::string(control);
    }
    std::string out(base_url);
    if (control.front() == '/') {
        // An absolute path replaces the base's path: keep "scheme://authority".
        const auto scheme_end = out.find("://");
        const auto path =
            scheme_end == std::string::npos ? out.size() : out.find('/', scheme_end + 3);
        out.resize(std::min(path, out.size()));
        out += control;
        return out;
    }
    if (!out.empty() && out.back() == '/') {
        out.pop_back();
    }
    out += '/';
    out += control;
    return out;
}

core::Result<SessionDescription> parse_sdp(std::string_view text, std::string_view base_url) {
    if (text.size() > kMaxSdpBytes) {
        return make_error(ErrorCode::kInvalidArgument, "SDP longer than 64 KiB");
    }
    SessionDescription out;
    std::optional<RawSection> section;
    std::string session_control;
    bool saw_version = false;
    std::size_t sections = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        auto line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.size() < 2 || line[1] != '=') {
            continue;  // tolerate blank or odd lines as most cameras' clients do
        }
        const char type = line[0];
        const auto value = line.substr(2);
        if (type == 'v') {
            saw_version = true;
        } else if (type == 'm') {
            if (section) {
                finish_section(*section, base_url, &out);
            }
            if (++sections > kMaxMediaSections) {
                return make_error(ErrorCode::kInvalidArgument, "SDP with too many media sections");
            }
            section = RawSection{};
            // "video 0 RTP/AVP 96 97"
            std::size_t p = 0;
            int field = 0;
            while (p < value.size()) {
                const auto sp = value.find(' ', p);
                const auto word = value.substr(p, sp == std::string_view::npos ? sp : sp - p);
                p = sp == std::string_view::npos ? value.size() : sp + 1;
                if (word.empty()) {
                    continue;
                }
                if (field == 0) {
                    section->media = lower(word.substr(0, 32));
                } else if (field >= 3 && section->formats.size() < 32) {
                    int pt = 0;
                    if (parse_int(word, &pt) && pt >= 0 && pt <= 127) {
                        section->formats.push_back(pt);
                    }
                }
                ++field;
            }
        } else if (type == 'a') {
            const auto colon = value.find(':');
            const auto name = lower(value.substr(0, colon));
            const auto arg = colon == std::string_view::npos ? std::string_view()
                                                             : trim(value.substr(colon + 1));
            if (name == "control") {
                if (section) {
                    section->control = std::string(arg.substr(0, 2048));
                } else {
                    session_control = std::string(arg.substr(0, 2048));
                }
            } else if (section && name == "sendonly") {
                section->direction = Direction::kSendOnly;
            } else if (section && name == "recvonly") {
                section->direction = Direction::kRecvOnly;
            } else if (section && name == "sendrecv") {
                section->direction = Direction::kSendRecv;
            } else if (section && name == "inactive") {
                section->direction = Direction::kInactive;
            } else if (section && (name == "rtpmap" || name == "fmtp")) {
                const auto sp = arg.find_first_of(" \t");
                int pt = 0;
                if (sp == std::string_view::npos || !parse_int(arg.substr(0, sp), &pt) || pt < 0 ||
                    pt > 127) {
                    continue;
                }
                const auto rest = trim(arg.substr(sp + 1));
                if (name == "rtpmap") {
                    // "H264/90000" or "MPEG4-GENERIC/48000/2"
                    RtpMap map;
                    const auto s1 = rest.find('/');
                    map.encoding = upper(rest.substr(0, std::min<std::size_t>(s1, 64)));
                    if (s1 != std::string_view::npos) {
                        const auto tail = rest.substr(s1 + 1);
                        const auto s2 = tail.find('/');
                        if (!parse_int(tail.substr(0, s2), &map.clock_rate) || map.clock_rate < 0 ||
                            map.clock_rate > 1'000'000) {
                            map.clock_rate = 0;
                        }
                        if (s2 != std::string_view::npos &&
                            (!parse_int(tail.substr(s2 + 1), &map.channels) || map.channels < 0 ||
                             map.channels > 64)) {
                            map.channels = 0;
                        }
                    }
                    section->rtpmaps[pt] = std::move(map);
                } else {
                    auto& params = section->fmtps[pt];
                    std::size_t p = 0;
                    while (p < rest.size() && params.size() < 64) {
                        const auto semi = rest.find(';', p);
                        const auto item =
                            trim(rest.substr(p, semi == std::string_view::npos ? semi : semi - p));
                        p = semi == std::string_view::npos ? rest.size() : semi + 1;
                        const auto eq = item.find('=');
                        if (eq == std::string_view::npos) {
                            continue;
                        }
                        params[lower(trim(item.substr(0, eq)))] =
                            std::string(trim(item.substr(eq + 1)));
                    }
                }
            }
        }
    }
    if (!saw_version) {
        return make_error(ErrorCode::kInvalidArgument, "not an SDP description (no v= line)");
    }
    if (section) {
        finish_section(*section, base_url, &out);
    }
    out.aggregate_control = resolve_control(base_url, session_control);
    return out;
}

std::string_view ice_candidate_address(std::string_view candidate) {
    if (candidate.substr(0, 10) != "candidate:" || candidate.size() > 512) {
        return {};
    }
    // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
    std::string_view rest = candidate;
    for (int field = 0; field < 4; ++field) {
        const auto space = rest.find(' ');
        if (space == std::string_view::npos) {
            return {};
        }
        rest.remove_prefix(space + 1);
    }
    const auto end = rest.find(' ');
    if (end == std::string_view::npos || end == 0 || end > 45) {
        return {};
    }
    const auto address = rest.substr(0, end);
    for (const char c : address) {
        const bool ip = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                        (c >= 'A' && c <= 'F') || c == '.' || c == ':';
        if (!ip) {
            return {};
        }
    }
    return address;
}

}  // namespace hearth::media::sdp
