#include "test_media.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

namespace hearth::media::fmp4::testmedia {
namespace {

using Nal = std::span<const std::uint8_t>;

// Splits Annex B on 00 00 01 start codes; trailing zero bytes belong to the next start code.
std::vector<Nal> split_annex_b(std::span<const std::uint8_t> b) {
    std::vector<Nal> nals;
    std::size_t start = std::string::npos;
    auto finish = [&](std::size_t end) {
        while (end > start && b[end - 1] == 0) {
            --end;
        }
        if (end > start) {
            nals.push_back(b.subspan(start, end - start));
        }
    };
    for (std::size_t i = 0; i + 2 < b.size(); ++i) {
        if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1) {
            if (start != std::string::npos) {
                finish(i);
            }
            start = i + 3;
            i += 2;
        }
    }
    if (start != std::string::npos) {
        finish(b.size());
    }
    return nals;
}

void put_u16(std::vector<std::uint8_t>& v, std::size_t n) {
    v.push_back(std::uint8_t(n >> 8));
    v.push_back(std::uint8_t(n));
}

void append_length_prefixed(std::vector<std::uint8_t>& v, Nal nal) {
    std::uint32_t n = std::uint32_t(nal.size());
    for (int shift = 24; shift >= 0; shift -= 8) {
        v.push_back(std::uint8_t(n >> shift));
    }
    v.insert(v.end(), nal.begin(), nal.end());
}

// Removes emulation prevention bytes (00 00 03 -> 00 00).
std::vector<std::uint8_t> unescape(Nal nal) {
    std::vector<std::uint8_t> out;
    int zeros = 0;
    for (std::uint8_t byte : nal) {
        if (zeros >= 2 && byte == 3) {
            zeros = 0;
            continue;
        }
        zeros = byte == 0 ? zeros + 1 : 0;
        out.push_back(byte);
    }
    return out;
}

// Groups NALs into access units at each AUD and gives them frame timestamps.
struct NalKinds {
    int (*type)(Nal);
    int aud;
    bool (*is_parameter_set)(int);
    bool (*is_keyframe)(int);
};

std::vector<EncodedSample> access_units(const std::vector<Nal>& nals, const NalKinds& kinds,
                                        int fps) {
    std::vector<EncodedSample> samples;
    std::vector<std::uint8_t> au;
    bool key = false;
    bool open = false;
    auto flush = [&] {
        if (open && !au.empty()) {
            EncodedSample s;
            s.track = 0;
            s.dts_us = std::int64_t(samples.size()) * 1'000'000 / fps;
            s.pts_us = s.dts_us;
            s.keyframe = key;
            s.data = make_data(std::move(au));
            samples.push_back(std::move(s));
        }
        au.clear();
        key = false;
    };
    for (Nal nal : nals) {
        int type = kinds.type(nal);
        if (type == kinds.aud) {
            flush();
            open = true;
            continue;
        }
        if (kinds.is_parameter_set(type)) {
            continue;  // carried in avcC/hvcC
        }
        key |= kinds.is_keyframe(type);
        append_length_prefixed(au, nal);
    }
    flush();
    return samples;
}

}  // namespace

std::shared_ptr<const std::vector<std::uint8_t>> make_data(std::vector<std::uint8_t> bytes) {
    return std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
}

CommandResult run_command(const std::string& command) {
    static std::atomic<int> counter{0};
    std::filesystem::path err_path =
        std::filesystem::temp_directory_path() /
        ("hearth-fmp4-stderr-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    CommandResult result;
    std::string full = command + " 2>'" + err_path.string() + "'";
    FILE* pipe = ::popen(full.c_str(), "r");
    if (pipe == nullptr) {
        return result;
    }
    std::array<char, 4096> buffer;
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        result.out.append(buffer.data(), n);
    }
    int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream err(err_path, std::ios::binary);
    result.err.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
    std::error_code ignored;
    std::filesystem::remove(err_path, ignored);
    return result;
}

bool have_ffmpeg() { return run_command("command -v ffmpeg && command -v ffprobe").exit_code == 0; }

TempDir::TempDir() {
    std::random_device random;
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto candidate =
            std::filesystem::temp_directory_path() /
            ("hearth-fmp4-test-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
        if (std::filesystem::create_directory(candidate)) {
            path_ = candidate;
            return;
        }
    }
    throw std::runtime_error("cannot create a temp directory");
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                     std::istreambuf_iterator<char>());
}

void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

Stream h264_from_annex_b(std::span<const std::uint8_t> bytes, int width, int height, int fps) {
    std::vector<Nal> nals = split_annex_b(bytes);
    Nal sps;
    Nal pps;
    for (Nal nal : nals) {
        int type = nal[0] & 0x1F;
        if (type == 7 && sps.empty()) {
            sps = nal;
        } else if (type == 8 && pps.empty()) {
            pps = nal;
        }
    }
    Stream stream;
    if (sps.size() < 4 || pps.empty()) {
        return stream;
    }
    // AVCDecoderConfigurationRecord with one SPS and one PPS, 4-byte NAL lengths.
    std::vector<std::uint8_t>& avcc = stream.track.codec_data;
    avcc = {1, sps[1], sps[2], sps[3], 0xFF, 0xE1};
    put_u16(avcc, sps.size());
    avcc.insert(avcc.end(), sps.begin(), sps.end());
    avcc.push_back(1);
    put_u16(avcc, pps.size());
    avcc.insert(avcc.end(), pps.begin(), pps.end());
    stream.track.codec = Codec::kH264;
    stream.track.width = width;
    stream.track.height = height;
    NalKinds kinds{[](Nal n) { return n[0] & 0x1F; }, 9, [](int t) { return t == 7 || t == 8; },
                   [](int t) { return t == 5; }};
    stream.samples = access_units(nals, kinds, fps);
    return stream;
}

Stream h265_from_annex_b(std::span<const std::uint8_t> bytes, int width, int height, int fps) {
    std::vector<Nal> nals = split_annex_b(bytes);
    auto type_of = [](Nal n) { return (n[0] >> 1) & 0x3F; };
    Nal vps;
    Nal sps;
    Nal pps;
    for (Nal nal : nals) {
        int type = type_of(nal);
        Nal* slot = type == 32 ? &vps : type == 33 ? &sps : type == 34 ? &pps : nullptr;
        if (slot != nullptr && slot->empty()) {
            *slot = nal;
        }
    }
    Stream stream;
    std::vector<std::uint8_t> rbsp = unescape(sps);
    // NAL header (2) + vps id/max sub layers/nesting (1) + general profile_tier_level (12).
    if (vps.empty() || pps.empty() || rbsp.size() < 15) {
        return stream;
    }
    // HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1), 8-bit 4:2:0.
    std::vector<std::uint8_t>& hvcc = stream.track.codec_data;
    hvcc.push_back(1);
    hvcc.insert(hvcc.end(), rbsp.begin() + 3, rbsp.begin() + 15);
    hvcc.insert(hvcc.end(), {0xF0, 0x00, 0xFC, 0xFD, 0xF8, 0xF8, 0x00, 0x00, 0x0F, 3});
    for (auto [type, nal] : {std::pair{32, vps}, std::pair{33, sps}, std::pair{34, pps}}) {
        hvcc.push_back(std::uint8_t(0x80 | type));  // array_completeness
        put_u16(hvcc, 1);
        put_u16(hvcc, nal.size());
        hvcc.insert(hvcc.end(), nal.begin(), nal.end());
    }
    stream.track.codec = Codec::kH265;
    stream.track.width = width;
    stream.track.height = height;
    NalKinds kinds{[](Nal n) { return (n[0] >> 1) & 0x3F; }, 35,
                   [](int t) { return t >= 32 && t <= 34; },
                   [](int t) { return t >= 16 && t <= 23; }};
    stream.samples = access_units(nals, kinds, fps);
    return stream;
}

Stream aac_from_adts(std::span<const std::uint8_t> bytes) {
    constexpr std::array<int, 13> kRates = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                            22050, 16000, 12000, 11025, 8000,  7350};
    Stream stream;
    std::size_t pos = 0;
    while (pos + 7 <= bytes.size()) {
        const std::uint8_t* h = bytes.data() + pos;
        if (h[0] != 0xFF || (h[1] & 0xF0) != 0xF0) {
            return Stream{};
        }
        std::size_t header = (h[1] & 1) != 0 ? 7 : 9;
        std::size_t length = std::size_t(h[3] & 3) << 11 | std::size_t(h[4]) << 3 | h[5] >> 5;
        if (length < header || pos + length > bytes.size()) {
            return Stream{};
        }
        int object_type = ((h[2] >> 6) & 3) + 1;
        int index = (h[2] >> 2) & 0xF;
        int channels = (h[2] & 1) << 2 | h[3] >> 6;
        if (stream.track.codec == Codec::kInvalid) {
            if (index >= int(kRates.size())) {
                return Stream{};
            }
            stream.track.codec = Codec::kAac;
            stream.track.sample_rate = kRates[std::size_t(index)];
            stream.track.channels = channels;
            std::uint16_t asc = std::uint16_t(object_type << 11 | index << 7 | channels << 3);
            stream.track.codec_data = {std::uint8_t(asc >> 8), std::uint8_t(asc)};
        }
        EncodedSample s;
        s.track = 0;
        s.dts_us =
            std::int64_t(stream.samples.size()) * 1024 * 1'000'000 / stream.track.sample_rate;
        s.pts_us = s.dts_us;
        s.keyframe = true;
        s.data = make_data(std::vector<std::uint8_t>(h + header, h + length));
        stream.samples.push_back(std::move(s));
        pos += length;
    }
    return stream;
}

Stream opus_from_ogg(std::span<const std::uint8_t> bytes) {
    std::vector<std::vector<std::uint8_t>> packets;
    std::vector<std::uint8_t> packet;
    std::size_t pos = 0;
    while (pos + 27 <= bytes.size()) {
        const std::uint8_t* page = bytes.data() + pos;
        if (std::string(reinterpret_cast<const char*>(page), 4) != "OggS") {
            return Stream{};
        }
        std::size_t segments = page[26];
        std::size_t body = pos + 27 + segments;
        if (body > bytes.size()) {
            return Stream{};
        }
        for (std::size_t i = 0; i < segments; ++i) {
            std::size_t lace = page[27 + i];
            if (body + lace > bytes.size()) {
                return Stream{};
            }
            packet.insert(packet.end(), bytes.begin() + std::ptrdiff_t(body),
                          bytes.begin() + std::ptrdiff_t(body + lace));
            body += lace;
            if (lace < 255) {
                packets.push_back(std::move(packet));
                packet.clear();
            }
        }
        pos = body;
    }
    Stream stream;
    if (packets.size() < 3 || packets[0].size() < 19) {
        return stream;
    }
    stream.track.codec = Codec::kOpus;
    stream.track.codec_data = packets[0];  // OpusHead; packets[1] is OpusTags
    stream.track.channels = packets[0][9];
    stream.track.sample_rate = 48000;
    for (std::size_t i = 2; i < packets.size(); ++i) {
        EncodedSample s;
        s.track = 0;
        s.dts_us = std::int64_t(i - 2) * 20'000;
        s.pts_us = s.dts_us;
        s.keyframe = true;
        s.data = make_data(std::move(packets[i]));
        stream.samples.push_back(std::move(s));
    }
    return stream;
}

}  // namespace hearth::media::fmp4::testmedia
