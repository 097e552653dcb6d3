// Reading a whole file the operator names on the command line (a bundle, a
// schema file).
//
// Thread-safety: a free function.
#ifndef SANJI_CLI_READ_FILE_H_
#define SANJI_CLI_READ_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace sanji::cli {

// The whole file. Errors: NotFound if it does not exist; Unavailable if it
// cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace sanji::cli

#endif  // SANJI_CLI_READ_FILE_H_
