// PreadEnv: the real filesystem Env, except that table files are read with
// pread(2) instead of mmap(2).
//
// LevelDB's POSIX Env maps up to 1000 table files into memory (64-bit). The
// pages a long read touches (a sync stream of a million records) then count
// in the process's resident set, hundreds of MB of clean file pages that the
// kernel may drop but that monitoring counts as the node's memory, so the
// store's memory would grow with the size of what it streams. Read with
// pread, the same pages stay in the kernel's page cache, outside the
// process, and the resident set grows only by what the store holds itself.
// The price is one system call per block read (measured in BENCHMARKS.md).
//
// Open file descriptors are bounded as LevelDB's own Env bounds them: a file
// keeps its descriptor while fewer than a fifth of RLIMIT_NOFILE are held,
// otherwise it opens the file for each read.
//
// Thread-safety: thread-safe, as every Env; files are safe for concurrent
// reads, as LevelDB requires of a RandomAccessFile.
// REQUIRES: `base` reads and writes the real filesystem (Env::Default()) and
// outlives this Env.
#ifndef SANJI_STORE_PREAD_ENV_H_
#define SANJI_STORE_PREAD_ENV_H_

#include <atomic>
#include <string>

#include "leveldb/env.h"

namespace sanji::store {

class PreadEnv : public leveldb::EnvWrapper {
 public:
  explicit PreadEnv(leveldb::Env* base);

  leveldb::Status NewRandomAccessFile(const std::string& name,
                                      leveldb::RandomAccessFile** result) override;

 private:
  // Descriptors files may still keep open.
  std::atomic<int> descriptors_left_;
};

}  // namespace sanji::store

#endif  // SANJI_STORE_PREAD_ENV_H_
