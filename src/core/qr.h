// QR codes (libqrencode) for the setup code and TOTP enrolment: as SVG for the
// browser and as Unicode half blocks for a terminal.
//
// Thread-safety: pure functions. Error kInvalidArgument when the text does not fit
// in a QR code (over ~2.9 kB at the error-correction level used).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace hearth::core {

// A standalone SVG document (black modules on white, with the quiet zone), no script.
Result<std::string> qr_svg(std::string_view text);

// Lines of "█", "▀", "▄" and spaces, two modules per character cell, dark on light
// terminals and light on dark ones alike (the quiet zone is drawn).
Result<std::string> qr_terminal(std::string_view text);

}  // namespace hearth::core
