// The stores of the engine benchmark (bench/engine_bench.cc): a village
// ("gutian/fengpu/xiaban") whose own application writes a township
// ("gutian/fengpu") must catch up with, and the way to fill the village fast.
//
// The records are the storage benchmark's service requests (RequestStream:
// ~300 bytes of Chinese text, application-like random keys, scoped to the
// village), written as the village's own changes, so their dots carry the
// village's origin and its counter, as real catch-up traffic does. They cannot
// be preloaded with Store::ApplyRemote as the storage benchmark does (with a
// township origin): a store refuses dots of its own origin beyond its counter.
// So they go through Store::Write from many concurrent writers, which group
// commit shares between them (store.h).
//
// Thread-safety: BenchNode is as thread-safe as its store (store::Store is);
// the functions are thread-compatible.
#ifndef SANJI_BENCH_ENGINE_WORKLOAD_H_
#define SANJI_BENCH_ENGINE_WORKLOAD_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "conflict/change.h"
#include "conflict/clock.h"
#include "conflict/record.h"
#include "conflict/schema.h"
#include "replication/store_replica.h"
#include "store/store.h"

namespace sanji::bench {

inline constexpr char kTownship[] = "gutian/fengpu";

// A node's store, opened under `path` with node id `node_id`, and what must
// outlive it. The clock stands at kBenchMicros.
class BenchNode {
 public:
  static absl::StatusOr<std::unique_ptr<BenchNode>> Open(const std::string& path,
                                                         const std::string& node_id);
  // Closes `node`'s store (which flushes its memtable and waits for the
  // compaction LevelDB is running) and opens it again in its place.
  static absl::Status Reopen(std::unique_ptr<BenchNode>& node);
  // Closes the store (which flushes its memtable).
  ~BenchNode();
  BenchNode(const BenchNode&) = delete;
  BenchNode& operator=(const BenchNode&) = delete;

  const std::string& node_id() const { return node_id_; }
  const conflict::Schema& schema() const { return schema_; }
  store::Store& store() { return *store_; }
  const replication::StoreReplica& replica() const { return *replica_; }

 private:
  BenchNode(std::string path, std::string node_id);

  const std::string path_;
  const std::string node_id_;
  const conflict::Schema schema_;
  const conflict::ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<replication::StoreReplica> replica_;
};

// The application change that made `record` (a RequestStream record): its
// text fields assigned, its status set, its scope the village.
conflict::Change ChangeOf(const conflict::Record& record);

// Writes `records` new service requests into the village store through
// Store::Write from `writers` concurrent threads (writer w draws from
// RequestStream(seed + w)), each change with `extra_ops` after ChangeOf's
// (fields a newer schema adds, for the schema benchmark). Returns the first
// error.
// REQUIRES: `village` is the village's store, its schema knows `extra_ops`'
// fields; writers >= 1.
absl::Status FillVillage(store::Store& village, size_t records, int writers, uint64_t seed,
                         const std::vector<conflict::FieldOp>& extra_ops = {});

// The records a benchmark run uses: SANJI_ENGINE_RECORDS if set (for a quick
// check), else `fallback`.
size_t RecordsFromEnv(size_t fallback);

}  // namespace sanji::bench

#endif  // SANJI_BENCH_ENGINE_WORKLOAD_H_
