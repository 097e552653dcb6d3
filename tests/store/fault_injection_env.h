// FaultInjectionEnv: a leveldb::Env for fault tests of the store
// (ARCHITECTURE.md §5: an acknowledged write survives power loss; a full disk
// fails writes cleanly). It wraps a real Env and adds two faults:
//
// Power loss. Every file opened for writing through this Env is tracked: how
// many bytes were appended and how many of them a Sync() made durable. A file
// that was never synced is "new": its directory entry is not durable either
// (a Sync() of a file is taken to sync its directory entry too, as LevelDB's
// own fault_injection_test does). The filesystem can be frozen, by the test
// or automatically after a number of Append/Sync calls (the moment of the
// power cut); once frozen, appends, syncs, renames and removals are dropped
// and reported as successful, as if the process were still running against a
// dead disk. After the store is closed, DropUnsyncedData() turns the files
// into what a disk could hold after the cut: each tracked file keeps its
// synced bytes plus a random prefix of its unsynced bytes (a torn tail), and
// files never synced are removed.
//
// Disk full. With a space budget set, appends, syncs and file creations fail
// with an IOError "No space left on device" once the bytes appended since the
// budget was set exceed it; SetSpaceBudget(std::nullopt) gives the space back.
//
// Thread-safety: thread-safe; LevelDB calls it from its writer and background
// threads. The power-loss state is per file name.
#ifndef SANJI_TESTS_STORE_FAULT_INJECTION_ENV_H_
#define SANJI_TESTS_STORE_FAULT_INJECTION_ENV_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "absl/base/thread_annotations.h"
#include "leveldb/env.h"
#include "leveldb/status.h"

namespace sanji::store::testing {

class FaultInjectionEnv : public leveldb::EnvWrapper {
 public:
  // REQUIRES: `base` outlives this Env.
  explicit FaultInjectionEnv(leveldb::Env* base = leveldb::Env::Default());

  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** result) override;
  leveldb::Status NewAppendableFile(const std::string& name,
                                    leveldb::WritableFile** result) override;
  leveldb::Status RemoveFile(const std::string& name) override;
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override;

  // --- Power loss ---
  // Freezes the filesystem after `operations` more Append/Sync calls
  // (0 freezes now); std::nullopt never freezes.
  void FreezeAfter(std::optional<uint64_t> operations);
  bool frozen() const;
  // REQUIRES: no file opened through this Env is still open (the store is
  // closed). Truncates every tracked file to its synced size plus a random
  // prefix (drawn from `rng`) of its unsynced bytes, removes files never
  // synced, then forgets all state and unfreezes. Returns the first error.
  leveldb::Status DropUnsyncedData(std::mt19937_64& rng);

  // --- Disk full ---
  // Lets `bytes` more bytes be appended, then fails with "No space left on
  // device"; std::nullopt removes the limit.
  void SetSpaceBudget(std::optional<uint64_t> bytes);
  // Writes refused for lack of space so far.
  uint64_t refused_writes() const;

  // Called by the tracked files.
  leveldb::Status OnAppend(const std::string& name, size_t bytes, bool* drop);
  leveldb::Status OnSync(const std::string& name, bool* drop);

 private:
  struct FileState {
    uint64_t size = 0;    // bytes appended (while not frozen)
    uint64_t synced = 0;  // of which durable
    bool ever_synced = false;
  };

  leveldb::Status NoSpace(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts one Append/Sync toward the freeze; true if the filesystem is frozen.
  bool CountOperation() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  leveldb::Status Track(const std::string& name, uint64_t initial_size, leveldb::WritableFile* file,
                        leveldb::WritableFile** result);

  mutable std::mutex mu_;
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
  bool frozen_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<uint64_t> operations_left_ ABSL_GUARDED_BY(mu_);
  std::optional<uint64_t> space_left_ ABSL_GUARDED_BY(mu_);
  uint64_t refused_writes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sanji::store::testing

#endif  // SANJI_TESTS_STORE_FAULT_INJECTION_ENV_H_
