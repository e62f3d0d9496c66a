// Strong ids: a CameraId cannot be passed where a SegmentId is expected.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace hearth::core {

template <typename Tag, typename Rep = std::int64_t>
class Id {
public:
    constexpr Id() = default;
    constexpr explicit Id(Rep v) : v_(v) {}
    constexpr Rep value() const { return v_; }
    constexpr bool valid() const { return v_ > 0; }  // zero is "no id"
    auto operator<=>(const Id&) const = default;

private:
    Rep v_ = 0;
};

using CameraId = Id<struct CameraTag>;
using SegmentId = Id<struct SegmentTag>;
using UserId = Id<struct UserTag>;
using SessionId = Id<struct SessionTag>;

}  // namespace hearth::core

template <typename Tag, typename Rep>
struct std::hash<hearth::core::Id<Tag, Rep>> {
    std::size_t operator()(const hearth::core::Id<Tag, Rep>& id) const noexcept {
        return std::hash<Rep>{}(id.value());
    }
};
