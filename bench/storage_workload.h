// The workload of the storage benchmark (bench/storage_bench.cc): a village's
// service requests as its township sends them, with application-like random
// keys and ~300 bytes of Chinese text per record, and the small pieces of
// plumbing the benchmark needs (a temporary directory, RSS from /proc).
//
// Thread-safety: RequestStream is not thread-safe; the rest are functions and
// an RAII directory.
#ifndef SANJI_BENCH_STORAGE_WORKLOAD_H_
#define SANJI_BENCH_STORAGE_WORKLOAD_H_

#include <cstdint>
#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "conflict/clock.h"
#include "conflict/dot.h"
#include "conflict/record.h"
#include "conflict/schema.h"
#include "store/store.h"

namespace sanji::bench {

inline constexpr char kVillage[] = "gutian/fengpu/xiaban";
inline constexpr char kRequests[] = "service_requests";
// The author of every request the workloads write: the village's
// application, as RecordService names the caller (conflict/record.h).
inline constexpr char kVillageApp[] = "sanji://app/clinic/gutian/fengpu/xiaban";
// 2026-11-28, in microseconds.
inline constexpr int64_t kBenchMicros = 1'795'824'000'000'000LL;

// service_requests: six lww text fields and a status with these values, in
// order.
inline constexpr const char* kRequestTextFields[] = {"title",   "detail", "requester",
                                                     "address", "phone",  "category"};
inline constexpr const char* kRequestStatuses[] = {"open", "assigned", "resolved", "closed"};
conflict::Schema RequestSchema();

// Store options for a benchmark store at `path`.
store::Options BenchStoreOptions(const std::string& path, const conflict::Schema& schema,
                                 const conflict::PhysicalClock& clock);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class BenchDir {
 public:
  BenchDir();
  ~BenchDir();
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The township's records for the village, in the order it would send them:
// record i has key "gutian/fengpu/xiaban/req-<16 random hex digits>" and dot
// (township origin, i). Deterministic for a seed.
class RequestStream {
 public:
  explicit RequestStream(uint64_t seed);
  // The next record; fills `key`.
  conflict::Record Next(std::string* key);
  // The origin of every record's dot, and the last counter handed out.
  const conflict::Origin& origin() const { return origin_; }
  uint64_t counter() const { return counter_; }

 private:
  const conflict::Schema schema_;
  const conflict::Origin origin_{"gutian/fengpu", 7};
  std::mt19937_64 rng_;
  uint64_t counter_ = 0;
};

// The next `count` records of `stream` as one RemoteBatch, with the knowledge
// it carries, in the form a sync session hands received records to the store
// (replication::ApplyToStore): each record's bytes as they came, read by
// codec::CanonicalRecord against `requests`, the service_requests schema of
// the store that applies the batch (a store reads again bytes checked
// against another schema object). Reading is part of making the batch, as
// the session's reading of a frame is not the store's work.
absl::StatusOr<store::RemoteBatch> NextBatch(RequestStream& stream, size_t count,
                                             const conflict::CollectionSchema& requests);

// This process's resident set, its high-water mark and the resident set's
// anonymous part (heap, stacks: what the process holds) and file-backed part
// (mapped files: LevelDB mmaps its table files for reads, and those pages are
// the kernel's page cache, shared and reclaimable), in KiB (/proc/self/status).
int64_t VmRssKiB();
int64_t VmHwmKiB();
int64_t RssAnonKiB();
int64_t RssFileKiB();

}  // namespace sanji::bench

#endif  // SANJI_BENCH_STORAGE_WORKLOAD_H_
