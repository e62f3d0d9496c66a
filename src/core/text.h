// Small text helpers shared by the parsers of outside input.
#pragma once

#include <string_view>

namespace hearth::core {

// The value of one hexadecimal digit, or -1 when `c` is not one.
constexpr int hex_digit_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

constexpr char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Case-insensitive ASCII comparison (header names, auth schemes, tokens).
constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

// `s` without leading and trailing characters from `space`.
constexpr std::string_view trim(std::string_view s, std::string_view space = " \t") {
    const auto b = s.find_first_not_of(space);
    if (b == std::string_view::npos) {
        return {};
    }
    const auto e = s.find_last_not_of(space);
    return s.substr(b, e - b + 1);
}

}  // namespace hearth::core
