#include "kv/types.h"

namespace odma::kv {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kOk:
      return "ok";
    case Status::kDeferred:
      return "deferred";
    case Status::kGrewInPlace:
      return "grew-in-place";
    case Status::kMigrated:
      return "migrated";
    case Status::kChained:
      return "chained";
    case Status::kPreempted:
      return "preempted";
    case Status::kNoRoom:
      return "no room";
    case Status::kUnknownRequest:
      return "unknown-request";
    case Status::kDuplicateRequest:
      return "duplicate-request";
    case Status::kExceedsModelLimit:
      return "exceeds-model-limit";
    case Status::kNeverFits:
      return "never-fits";
    case Status::kInvalidArgument:
      return "invalid-argument";
  }
  return "?";
}

}  // namespace odma::kv
