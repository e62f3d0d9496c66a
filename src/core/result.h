// Result<T>: expected failures from the outside world, as values.
//
// Exceptions are for the truly exceptional; a camera that is unreachable, a bad
// JSON body or a full disk is expected and travels as an Error with one of a
// small set of canonical codes plus a human-readable message. The message must
// never carry secrets, tokens or URLs with credentials.
//
// GCC 12 lacks std::expected; this has the same surface so it can move later.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace hearth::core {

enum class ErrorCode : int {
    kInvalid = 0,  // never used for a real error: zero is not a valid code
    kNotFound,
    kInvalidArgument,
    kUnauthenticated,
    kPermissionDenied,
    kUnavailable,
    kResourceExhausted,
    kAlreadyExists,
    kFailedPrecondition,
    kInternal,
    kUnimplemented,  // the other side cannot do this (a camera without zoom)
    kDataLoss,       // stored data is damaged (a recording altered on disk)
};

const char* to_string(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::kInternal;
    std::string message;

    std::string describe() const { return std::string(to_string(code)) + ": " + message; }
};

inline Error make_error(ErrorCode code, std::string message) {
    return Error{code, std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit like std::expected
    Result(Error error) : v_(std::move(error)) {}  // NOLINT

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        assert(has_value() && "value() on an error Result");
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(has_value() && "value() on an error Result");
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(has_value() && "value() on an error Result");
        return std::get<0>(std::move(v_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const {
        assert(!has_value() && "error() on a successful Result");
        return std::get<1>(v_);
    }

private:
    std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

    bool has_value() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const {
        assert(!ok_ && "error() on a successful Result");
        return error_;
    }

private:
    Error error_;
    bool ok_ = true;
};

using Status = Result<void>;

}  // namespace hearth::core

// Propagates an error from an expression returning Result<...>.
#define HEARTH_TRY(expr)                                  \
    do {                                                  \
        auto&& hearth_try_result_ = (expr);               \
        if (!hearth_try_result_) {                        \
            return hearth_try_result_.error();            \
        }                                                 \
    } while (false)

// Evaluates a Result<T>, returns its error or binds its value to `lhs`.
#define HEARTH_ASSIGN_OR_RETURN(lhs, expr)                       \
    auto HEARTH_CONCAT_(hearth_r_, __LINE__) = (expr);           \
    if (!HEARTH_CONCAT_(hearth_r_, __LINE__)) {                  \
        return HEARTH_CONCAT_(hearth_r_, __LINE__).error();      \
    }                                                            \
    lhs = std::move(HEARTH_CONCAT_(hearth_r_, __LINE__)).value()

#define HEARTH_CONCAT_INNER_(a, b) a##b
#define HEARTH_CONCAT_(a, b) HEARTH_CONCAT_INNER_(a, b)

// Invariant check with a stated reason; never for input from outside.
#define HEARTH_ASSERT(cond, reason) assert((cond) && reason)
