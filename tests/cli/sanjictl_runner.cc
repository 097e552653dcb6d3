#include "tests/cli/sanjictl_runner.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace sanji::cli {

std::string Contents(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::filesystem::path FreshTestDirectory() {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      absl::StrCat("sanjictl.", test->test_suite_name(), ".", test->name(), ".", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

Result RunSanjictl(const std::filesystem::path& dir, const std::string& args,
                   const std::string& env) {
  // env -u: the operator's own SANJI_* variables must not leak into a test.
  const std::string command = absl::StrCat(
      "cd '", dir.string(), "' && env -u SANJI_CA -u SANJI_CERT -u SANJI_KEY -u SANJI_ENDPOINT ",
      env, " '", SANJICTL_PATH, "' ", args, " >stdout.txt 2>stderr.txt");
  const int raw = std::system(command.c_str());
  Result result;
  if (WIFEXITED(raw)) result.exit_code = WEXITSTATUS(raw);
  result.out = Contents(dir / "stdout.txt");
  result.err = Contents(dir / "stderr.txt");
  return result;
}

}  // namespace sanji::cli
