// OverlayEnv: a copy-on-write view of a directory tree for a trial open.
//
// Reads see the underlying Env's files; every change (new, appended, renamed
// or removed files, directories) goes to an in-memory overlay and is never
// written through, and the info log is discarded. Store::Open first opens
// LevelDB through one and reads its metadata there, so that a corrupt store
// is refused before LevelDB rewrites anything on disk (a normal open writes a
// new MANIFEST, CURRENT and log, rotates LOG, and may flush a recovered log
// into a table).
//
// Locks and background work go to the underlying Env, so the trial holds the
// real LOCK. Memory: the overlay holds what the trial writes, at most the log
// it recovers flushed into a table (about write_buffer_size) and a MANIFEST.
//
// Thread-safety: thread-safe (LevelDB calls it from its background thread).
// REQUIRES: the underlying Env outlives it; no one else changes the files it
// reads while it is in use.
#ifndef SANJI_STORE_OVERLAY_ENV_H_
#define SANJI_STORE_OVERLAY_ENV_H_

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "leveldb/env.h"

namespace sanji::store {

class OverlayEnv : public leveldb::EnvWrapper {
 public:
  explicit OverlayEnv(leveldb::Env* base);
  ~OverlayEnv() override;

  leveldb::Status NewSequentialFile(const std::string& name,
                                    leveldb::SequentialFile** result) override;
  leveldb::Status NewRandomAccessFile(const std::string& name,
                                      leveldb::RandomAccessFile** result) override;
  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** result) override;
  leveldb::Status NewAppendableFile(const std::string& name,
                                    leveldb::WritableFile** result) override;
  bool FileExists(const std::string& name) override;
  leveldb::Status GetChildren(const std::string& dir, std::vector<std::string>* result) override;
  leveldb::Status RemoveFile(const std::string& name) override;
  leveldb::Status CreateDir(const std::string& dir) override;
  leveldb::Status RemoveDir(const std::string& dir) override;
  leveldb::Status GetFileSize(const std::string& name, uint64_t* size) override;
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override;
  leveldb::Status NewLogger(const std::string& name, leveldb::Logger** result) override;

 private:
  // Where `name` is read from now.
  enum class Source { kOverlay, kBase, kNone };
  Source Find(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `read` on the Env that holds `name` now; NotFound if none does.
  template <typename Read>
  leveldb::Status ReadFrom(const std::string& name, Read read);
  // Brings a base file into the overlay (before an append or a rename).
  leveldb::Status CopyUp(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::mutex mu_;
  const std::unique_ptr<leveldb::Env> overlay_;  // an in-memory Env
  // Base files removed or renamed away in the overlay.
  std::set<std::string> hidden_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sanji::store

#endif  // SANJI_STORE_OVERLAY_ENV_H_
