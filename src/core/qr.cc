#include "core/qr.h"

#include <qrencode.h>

#include <memory>
#include <vector>

namespace hearth::core {
namespace {

constexpr int kQuietZone = 2;

struct QrDeleter {
    void operator()(QRcode* code) const { QRcode_free(code); }
};

// The module grid with its quiet zone: true is a dark module.
Result<std::vector<std::vector<bool>>> modules(std::string_view text) {
    const std::string copy(text);  // libqrencode wants a NUL-terminated string
    std::unique_ptr<QRcode, QrDeleter> code(
        QRcode_encodeString8bit(copy.c_str(), /*version=*/0, QR_ECLEVEL_M));
    if (!code) {
        return make_error(ErrorCode::kInvalidArgument, "text too long for a QR code");
    }
    const int n = code->width + 2 * kQuietZone;
    std::vector<std::vector<bool>> grid(static_cast<std::size_t>(n),
                                        std::vector<bool>(static_cast<std::size_t>(n)));
    for (int y = 0; y < code->width; ++y) {
        for (int x = 0; x < code->width; ++x) {
            grid[static_cast<std::size_t>(y + kQuietZone)][static_cast<std::size_t>(x + kQuietZone)] =
                (code->data[y * code->width + x] & 1) != 0;
        }
    }
    return grid;
}

}  // namespace

Result<std::string> qr_svg(std::string_view text) {
    HEARTH_ASSIGN_OR_RETURN(const auto grid, modules(text));
    const auto n = std::to_string(grid.size());
    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + n + " " + n +
                      "\" shape-rendering=\"crispEdges\"><rect width=\"" + n + "\" height=\"" + n +
                      "\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
    for (std::size_t y = 0; y < grid.size(); ++y) {
        for (std::size_t x = 0; x < grid.size(); ++x) {
            if (grid[y][x]) {
                out += "M" + std::to_string(x) + " " + std::to_string(y) + "h1v1h-1z";
            }
        }
    }
    out += "\"/></svg>";
    return out;
}

Result<std::string> qr_terminal(std::string_view text) {
    HEARTH_ASSIGN_OR_RETURN(const auto grid, modules(text));
    // Light modules are drawn as blocks, so the code reads right on a dark terminal; scanners
    // also accept the inverted form on light terminals.
    std::string out;
    for (std::size_t y = 0; y < grid.size(); y += 2) {
        for (std::size_t x = 0; x < grid.size(); ++x) {
            const bool top = !grid[y][x];
            const bool bottom = y + 1 < grid.size() ? !grid[y + 1][x] : true;
            out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
        }
        out += '\n';
    }
    return out;
}

}  // namespace hearth::core
