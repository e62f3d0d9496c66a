// Test helpers for fmp4: real streams made by ffmpeg at test time, split into samples the way a
// camera source would deliver them, plus temp files and running ffmpeg/ffprobe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "media/sample.h"

namespace hearth::media::fmp4::testmedia {

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs `command` through /bin/sh, capturing stdout and stderr separately.
CommandResult run_command(const std::string& command);
bool have_ffmpeg();  // ffmpeg and ffprobe on PATH

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

std::vector<std::uint8_t> read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

// One elementary stream as a source publishes it; samples carry track index 0.
struct Stream {
    TrackInfo track;
    std::vector<EncodedSample> samples;
};

// Annex B H.264 with an AUD before every access unit (ffmpeg -bsf:v h264_metadata=aud=insert),
// no B-frames; pts = dts = frame * 1 s / fps. Empty track codec on failure.
Stream h264_from_annex_b(std::span<const std::uint8_t> bytes, int width, int height, int fps);
// The same for H.265 (hevc_metadata=aud=insert).
Stream h265_from_annex_b(std::span<const std::uint8_t> bytes, int width, int height, int fps);
// ADTS AAC: headers stripped, AudioSpecificConfig built from the first header.
Stream aac_from_adts(std::span<const std::uint8_t> bytes);
// Ogg Opus (libopus, 20 ms frames): OpusHead as codec_data, one sample per packet.
Stream opus_from_ogg(std::span<const std::uint8_t> bytes);

std::shared_ptr<const std::vector<std::uint8_t>> make_data(std::vector<std::uint8_t> bytes);

}  // namespace hearth::media::fmp4::testmedia
