// Crash safety with real processes (ARCHITECTURE.md §5: "an acknowledged
// write survives kill -9"). A child process (crash_writer_main.cc) writes from
// several threads and reports each acknowledged write on a pipe; the test
// kills it with SIGKILL after a random number of acknowledgements (0 included:
// a kill during Open), reopens the store in this process and checks that every
// acknowledged write is there with its value and that CheckConsistency()
// passes. All rounds use one store, so crashes compound.
//
// SANJI_CRASH_KILLS sets the number of kills (default 20; the `slow` ctest
// entry runs 1000). Seeded: the seed is printed and SANJI_SEED replays the
// kill points (thread scheduling still varies).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

constexpr int kDefaultKills = 20;
constexpr int kWriterThreads = 8;
constexpr uint64_t kMaxAcksBeforeKill = 400;
// Each round checks the writes acknowledged in it; every kFullCheckEvery
// rounds and at the end, every write acknowledged so far (a later crash must
// not lose an earlier write either). Keeps 1000 kills linear in time.
constexpr int kFullCheckEvery = 25;

int KillCount() {
  const char* text = std::getenv("SANJI_CRASH_KILLS");
  int kills = 0;
  if (text != nullptr && absl::SimpleAtoi(text, &kills) && kills > 0) return kills;
  return kDefaultKills;
}

// A running crash_writer and the read end of its stdout.
class Child {
 public:
  Child(const std::string& store_path, int round) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      const std::string round_text = absl::StrCat(round);
      const std::string threads = absl::StrCat(kWriterThreads);
      ::execl(SANJI_CRASH_WRITER_PATH, SANJI_CRASH_WRITER_PATH, store_path.c_str(),
              round_text.c_str(), threads.c_str(), static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    ::close(fds[1]);
    in_ = ::fdopen(fds[0], "r");
  }
  ~Child() {
    if (in_ != nullptr) std::fclose(in_);
  }

  // Reads acknowledgements into `acknowledged` until `count` more arrived or
  // the child stopped writing. False if the child exited by itself.
  bool ReadAcks(uint64_t count, std::map<std::string, std::string>& acknowledged) {
    for (uint64_t i = 0; i < count; ++i) {
      if (!ReadOne(acknowledged)) return false;
    }
    return true;
  }

  // Kills the child, reads what it acknowledged before dying and reaps it.
  // Returns its wait status.
  int KillAndDrain(std::map<std::string, std::string>& acknowledged) {
    ::kill(pid_, SIGKILL);
    while (ReadOne(acknowledged)) {
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    return status;
  }

 private:
  bool ReadOne(std::map<std::string, std::string>& acknowledged) {
    char* line = nullptr;
    size_t capacity = 0;
    const ssize_t length = ::getline(&line, &capacity, in_);
    std::string text = length > 0 ? std::string(line, length) : "";
    std::free(line);
    if (text.empty() || text.back() != '\n') return false;  // EOF; a line is never torn
    text.pop_back();
    std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits('\t', 1));
    acknowledged[parts.first] = parts.second;
    return true;
  }

  pid_t pid_ = -1;
  FILE* in_ = nullptr;
};

void ExpectAllPresent(const Store& store, const std::map<std::string, std::string>& acknowledged) {
  for (const auto& [key, title] : acknowledged) {
    auto record = store.Get(kTickets, key);
    ASSERT_TRUE(record.ok()) << "acknowledged write " << key << " lost: " << record.status();
    ASSERT_EQ(TitleOf(*record), title) << key;
  }
}

class CrashTest : public StoreTest {};

TEST_F(CrashTest, AcknowledgedWritesSurviveSigkill) {
  std::mt19937_64 rng(TestSeed());
  const int kills = KillCount();
  std::map<std::string, std::string> acknowledged;
  for (int round = 0; round < kills; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    const uint64_t acks_before_kill = rng() % (kMaxAcksBeforeKill + 1);
    int status = 0;
    std::map<std::string, std::string> this_round;
    {
      Child child(store_path(), round);
      ASSERT_TRUE(child.ReadAcks(acks_before_kill, this_round))
          << "the writer stopped by itself (see its stderr)";
      status = child.KillAndDrain(this_round);
    }
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "wait status " << status;
    acknowledged.insert(this_round.begin(), this_round.end());
    auto store = Store::Open(MakeOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    const bool full = (round + 1) % kFullCheckEvery == 0 || round + 1 == kills;
    ExpectAllPresent(**store, full ? acknowledged : this_round);
    const absl::Status consistent = (*store)->CheckConsistency();
    ASSERT_TRUE(consistent.ok()) << consistent;
    if (full) {
      std::printf("%d kills, %zu acknowledged writes checked\n", round + 1, acknowledged.size());
      std::fflush(stdout);
    }
  }
}

}  // namespace
}  // namespace sanji::store::testing
