#include "core/result.h"

namespace hearth::core {

const char* to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalid:
            return "invalid";
        case ErrorCode::kNotFound:
            return "not found";
        case ErrorCode::kInvalidArgument:
            return "invalid argument";
        case ErrorCode::kUnauthenticated:
            return "unauthenticated";
        case ErrorCode::kPermissionDenied:
            return "permission denied";
        case ErrorCode::kUnavailable:
            return "unavailable";
        case ErrorCode::kResourceExhausted:
            return "resource exhausted";
        case ErrorCode::kAlreadyExists:
            return "already exists";
        case ErrorCode::kFailedPrecondition:
            return "failed precondition";
        case ErrorCode::kInternal:
            return "internal";
        case ErrorCode::kUnimplemented:
            return "unimplemented";
        case ErrorCode::kDataLoss:
            return "data loss";
    }
    return "unknown";
}

}  // namespace hearth::core
