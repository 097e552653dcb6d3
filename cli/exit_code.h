// sanjictl's exit codes: the one mapping from a command's absl::Status to the
// process's exit code, so that scripts can act on the kind of failure.
//
//   code  status                          meaning
//   0     OK                              done
//   1     any other error                 failed (e.g. AlreadyExists, Internal)
//   2     InvalidArgument, or a bad flag  usage error: fix the command line
//   3     NotFound                        no such file, node or record
//   4     PermissionDenied,               not allowed: certificate or authority
//         Unauthenticated
//   5     Unavailable, DeadlineExceeded   node unreachable or too slow: retry later
//
// Thread-safety: pure functions.
#ifndef SANJI_CLI_EXIT_CODE_H_
#define SANJI_CLI_EXIT_CODE_H_

#include <string>

#include "absl/status/status.h"

namespace sanji::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;
inline constexpr int kExitNotAllowed = 4;
inline constexpr int kExitUnavailable = 5;

// The exit code for a command that ended with `status` (table above).
int ExitCode(const absl::Status& status);

// The exit code for CLI11's own `cli11_code` (0 after --help, 105-109 for
// parse errors): 0 stays 0, every parse error is a usage error.
int ParseExitCode(int cli11_code);

// The table above, for the footer of `sanjictl --help`.
std::string ExitCodeHelp();

}  // namespace sanji::cli

#endif  // SANJI_CLI_EXIT_CODE_H_
