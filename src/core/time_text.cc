#include "core/time_text.h"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace hearth::core {
namespace {

Error bad_time() {
    return make_error(ErrorCode::kInvalidArgument,
                      "time must be RFC 3339 (2026-11-29T03:00:00Z) or Unix seconds (1764385200)");
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
    if (pos + n > s.size()) {
        return false;
    }
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

}  // namespace

Result<WallMicros> parse_time(std::string_view s) {
    if (s.empty() || s.size() > 40) {
        return bad_time();
    }
    if (s.find('-') == std::string_view::npos || s.find('T') == std::string_view::npos) {
        // Unix seconds, maybe with a fraction.
        const auto dot = s.find('.');
        std::int64_t secs = 0;
        const auto int_part = s.substr(0, dot);
        auto [end, ec] = std::from_chars(int_part.data(), int_part.data() + int_part.size(), secs);
        if (ec != std::errc() || end != int_part.data() + int_part.size() || secs < 0 ||
            secs > 32503680000LL) {
            return bad_time();
        }
        std::int64_t frac_us = 0;
        if (dot != std::string_view::npos) {
            const auto frac = s.substr(dot + 1);
            if (frac.empty() || frac.size() > 6) {
                return bad_time();
            }
            int f = 0;
            if (!digits(frac, 0, frac.size(), &f)) {
                return bad_time();
            }
            frac_us = f;
            for (std::size_t i = frac.size(); i < 6; ++i) {
                frac_us *= 10;
            }
        }
        return secs * 1'000'000 + frac_us;
    }
    std::tm tm{};
    int year, mon, day, hour, min, sec;
    if (!digits(s, 0, 4, &year) || s[4] != '-' || !digits(s, 5, 2, &mon) || s.size() < 19 ||
        s[7] != '-' || !digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s, 11, 2, &hour) || s[13] != ':' || !digits(s, 14, 2, &min) || s[16] != ':' ||
        !digits(s, 17, 2, &sec)) {
        return bad_time();
    }
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 ||
        year < 1970) {
        return bad_time();
    }
    std::size_t pos = 19;
    std::int64_t frac_us = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (n < 6) {
                frac_us = frac_us * 10 + (s[pos] - '0');
            }
            ++n;
            ++pos;
        }
        if (n == 0) {
            return bad_time();
        }
        for (int i = n; i < 6; ++i) {
            frac_us *= 10;
        }
    }
    std::int64_t offset_s = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
        offset_s = 0;
    } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
        int oh, om;
        if (!digits(s, pos + 1, 2, &oh) || !digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
            return bad_time();
        }
        offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    } else {
        return bad_time();
    }
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    const std::time_t t = timegm(&tm);
    return (static_cast<std::int64_t>(t) - offset_s) * 1'000'000 + frac_us;
}

std::string format_time(WallMicros us) {
    const std::int64_t secs = us >= 0 ? us / 1'000'000 : (us - 999'999) / 1'000'000;
    const std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>((us - secs * 1'000'000) / 1000));
    return buf;
}

}  // namespace hearth::core
