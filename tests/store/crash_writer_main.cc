// The child process of crash_test.cc: opens the store at argv[1] and writes
// from several threads forever; after each acknowledged write it prints one
// line "<key>\t<title>\n" to stdout (a pipe read by the test), in one write(2)
// so that lines never interleave or tear. The test kills it with SIGKILL.
//
// Usage: crash_writer STORE_PATH ROUND THREADS
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conflict/clock.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

void Report(const std::string& line) {
  const ssize_t written = ::write(STDOUT_FILENO, line.data(), line.size());
  if (written != static_cast<ssize_t>(line.size())) std::_Exit(3);  // the test is gone
}

void WriteForever(Store* store, const std::string& round, int thread) {
  for (int i = 0;; ++i) {
    const std::string key = absl::StrCat("r", round, "-t", thread, "-", i);
    const std::string title = absl::StrCat("崩溃测试 ", key);
    auto result = store->Write(kTickets, key, SetTitle(title));
    if (!result.ok()) {
      std::fprintf(stderr, "crash_writer: %s\n", result.status().ToString().c_str());
      std::_Exit(4);
    }
    Report(absl::StrCat(key, "\t", title, "\n"));
  }
}

int Main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: crash_writer STORE_PATH ROUND THREADS\n");
    return 2;
  }
  const conflict::Schema schema = TestSchema();
  const conflict::ManualClock clock(kStartMicros);
  Options options;
  options.path = argv[1];
  options.node_id = kNode;
  options.schema = &schema;
  options.clock = &clock;
  auto store = Store::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "crash_writer: %s\n", store.status().ToString().c_str());
    return 1;
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < std::atoi(argv[3]); ++t) {
    threads.emplace_back(WriteForever, store->get(), std::string(argv[2]), t);
  }
  for (std::thread& thread : threads) thread.join();  // never returns: killed
  return 0;
}

}  // namespace
}  // namespace sanji::store::testing

int main(int argc, char** argv) { return sanji::store::testing::Main(argc, argv); }
