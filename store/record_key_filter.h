// RecordKeyFilter: an in-memory Bloom filter over the record keys a store
// holds, so that staging a record whose key the store certainly does not hold
// skips LevelDB's read of it.
//
// Why: a remote batch and a local write read each record's stored state
// before merging, and with application-like keys most of those reads miss.
// LevelDB answers a miss only after searching the memtable, then for every
// level-0 file and one file per deeper level an index block before that
// table's own Bloom filter: about 10,700 instructions per record, 40% of a
// remote apply (BENCHMARKS.md, storage). This filter answers from one cache
// line.
//
// Contract: once complete(), MayContain(key) is true for every key that was
// Add()ed, and CertainlyAbsent(key) is therefore false for every key the
// store holds, provided the store adds each record key it stages before the
// commit that stores it (a key added for a commit that failed only costs a
// needless read). Keys are never removed: an evicted record's key stays
// "maybe present", which costs a read and is never wrong. Before complete(),
// CertainlyAbsent is always false (every lookup reads LevelDB).
//
// Sizing: segments of 64-byte blocks at about 10 bits per key (about 1%
// false positives each); when the newest segment holds its capacity a new one
// of twice the capacity starts, so memory stays about 2.5 bytes per distinct
// key (2.6 MB for 1M keys) and a lookup probes one block per segment (five
// for 1M keys).
//
// Thread-safety: thread-safe.
#ifndef SANJI_STORE_RECORD_KEY_FILTER_H_
#define SANJI_STORE_RECORD_KEY_FILTER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"

namespace sanji::store {

class RecordKeyFilter {
 public:
  // The capacity of the first segment, in keys.
  static constexpr size_t kFirstSegmentKeys = size_t{1} << 16;

  // `complete`: true for a store that holds no record yet.
  explicit RecordKeyFilter(bool complete);

  RecordKeyFilter(const RecordKeyFilter&) = delete;
  RecordKeyFilter& operator=(const RecordKeyFilter&) = delete;

  void Add(absl::string_view record_key);
  void AddAll(const std::vector<std::string>& record_keys);

  // Declares that every key the store held when its filling started has been
  // added (keys staged since were added as they were staged).
  void MarkComplete();
  bool complete() const;

  // True only if complete() and `record_key` was never added.
  bool CertainlyAbsent(absl::string_view record_key) const;

  // Distinct keys added (keys a false positive hid are not counted), and the
  // bytes the bits take.
  size_t keys() const;
  size_t memory_bytes() const;

 private:
  static constexpr size_t kWordsPerBlock = 8;  // 512 bits, one cache line
  using Block = std::array<uint64_t, kWordsPerBlock>;
  struct Segment {
    std::vector<Block> blocks;
    size_t capacity = 0;  // keys
    size_t keys = 0;
  };

  bool MayContainLocked(uint64_t hash) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void AddLocked(absl::string_view record_key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // std::shared_mutex rather than absl::Mutex: Debian's Abseil is not built
  // for TSan, which would not see absl::Mutex order the accesses.
  mutable std::shared_mutex mu_;
  std::vector<Segment> segments_ ABSL_GUARDED_BY(mu_);
  size_t keys_ ABSL_GUARDED_BY(mu_) = 0;
  bool complete_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sanji::store

#endif  // SANJI_STORE_RECORD_KEY_FILTER_H_
