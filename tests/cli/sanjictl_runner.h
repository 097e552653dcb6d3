// Runs the built sanjictl binary as an operator would, through the shell,
// and collects what it printed: the tests of tests/cli/ check the program,
// its output and its exit codes, not its functions.
//
// Thread-safety: one test thread (the files it writes are per directory).
#ifndef SANJI_TESTS_CLI_SANJICTL_RUNNER_H_
#define SANJI_TESTS_CLI_SANJICTL_RUNNER_H_

#include <filesystem>
#include <string>

namespace sanji::cli {

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `sanjictl args` with `dir` as working directory (paths in `args` are
// relative to it). `args` is shell text: quote what needs quoting. `env`,
// if not empty, is prefixed as shell assignments ("SANJI_CA=ca.pem ...").
Result RunSanjictl(const std::filesystem::path& dir, const std::string& args,
                   const std::string& env = "");

// A new, empty directory for the running gtest test, named after it.
std::filesystem::path FreshTestDirectory();

// The whole contents of the file at `path` ("" if it can not be read).
std::string Contents(const std::filesystem::path& path);

}  // namespace sanji::cli

#endif  // SANJI_TESTS_CLI_SANJICTL_RUNNER_H_
