#include "cli/exit_code.h"

#include "absl/strings/str_cat.h"

namespace sanji::cli {

int ExitCode(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return kExitNotAllowed;
    case absl::StatusCode::kUnavailable:
    // A node that does not answer within --timeout is, to the operator, one
    // to try again later, as one that refuses the connection.
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    default:
      return kExitFailure;
  }
}

int ParseExitCode(int cli11_code) { return cli11_code == 0 ? kExitOk : kExitUsage; }

std::string ExitCodeHelp() {
  return absl::StrCat("Exit codes:\n",                                             //
                      "  ", kExitOk, "  success\n",                                //
                      "  ", kExitFailure, "  failure\n",                           //
                      "  ", kExitUsage, "  usage error (bad flag or argument)\n",  //
                      "  ", kExitNotFound, "  not found (file, node, record)\n",   //
                      "  ", kExitNotAllowed, "  not allowed (permission denied, unauthenticated)\n",
                      "  ", kExitUnavailable, "  node unavailable: retry later\n");
}

}  // namespace sanji::cli
