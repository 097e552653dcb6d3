// The sync engine's benchmarks (issue 4; ARCHITECTURE.md §3), in process,
// no network, over LevelDB stores on disk in temporary directories:
//  - BM_VillageWrites fills the village store ("gutian/fengpu/xiaban") with
//    1M service requests of ~300 bytes, random application keys, scoped to
//    the village, written as its own changes (bench/engine_workload.h). Its
//    rate is reported; nothing is held to it.
//  - BM_StoreApply: the store's own remote-apply rate for the same records,
//    read from the village in counter order (the order the session sends
//    them) and applied with Store::ApplyRemote into an empty store in batches
//    of the session's batch size, in the form a session hands them over (the
//    stored bytes, read by codec::CanonicalRecord against the store's own
//    schema). Only ApplyRemote is timed.
//  - BM_CatchUp: an empty township ("gutian/fengpu") catches up with the
//    village through one session (village kChild, township kParent), each
//    side on its own thread (bench/engine_driver.h says why), until both are
//    idle. Timed as a whole: scan, frames serialized and parsed, batches
//    applied with ApplyToStore, acks. Target: >= 75% of BM_StoreApply. The
//    same run measures every frame's bytes, both ways, against the records'
//    own encoding (codec::SerializeRecord), against record + collection + key
//    bytes (SessionStats' payload), and against record + key bytes, which the
//    target holds to <= 110% (BENCHMARKS.md says why that definition).
//  - BM_NoopSession: sessions between stores already in sync, 1k records
//    each and 1M each (the village and township after BM_CatchUp),
//    alternated, from both Start() calls until both sides are idle with every
//    frame delivered (one thread); first right after the catch-up ("live"),
//    then with all four stores reopened. Targets (reopened): median <= 1 ms
//    each; the 1M median at most 1.5x the 1k one.
//  - BM_CatchUpOneThread, only with SANJI_ENGINE_ONE_THREAD=1: the same
//    catch-up driven from one thread, into another empty township: the
//    engine's whole cost with no overlap.
// SANJI_ENGINE_RECORDS=N replaces 1M with N for a quick check; SANJI_SEED
// replays another set of records (the default is printed on stderr).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/engine_driver.h"
#include "bench/engine_workload.h"
#include "bench/harness/json_lines_reporter.h"
#include "bench/storage_workload.h"
#include "codec/canonical_record.h"
#include "conflict/status_macros.h"
#include "replication/session.h"

namespace sanji::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMillion = 1'000'000;
constexpr size_t kSmall = 1000;
// Enough writers that group commit, not fsync, bounds the fill.
constexpr int kFillWriters = 128;
constexpr int kNoopRounds = 300;

double Seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

uint64_t Seed() { return WorkloadSeed("engine"); }

size_t Records() {
  static const size_t records = [] {
    const size_t value = RecordsFromEnv(kMillion);
    std::fprintf(stderr, "engine bench: %zu records (SANJI_ENGINE_RECORDS)\n", value);
    return value;
  }();
  return records;
}

replication::SessionOptions BenchSessionOptions() {
  return replication::SessionOptions();  // the engine's defaults: 1000 items or 1 MiB, window 4
}

// The village with Records() records, and the township once BM_CatchUp (or
// BM_NoopSession, if that was filtered out) has caught it up. Built once per
// run, removed at exit.
struct World {
  BenchDir dir;
  std::unique_ptr<BenchNode> village;
  std::unique_ptr<BenchNode> township;
  double fill_seconds = 0;
  absl::Status status;
};

World& Big() {
  static World* world = [] {
    auto* built = new World;
    absl::StatusOr<std::unique_ptr<BenchNode>> village =
        BenchNode::Open(built->dir.path() + "/village", kVillage);
    if (!village.ok()) {
      built->status = village.status();
      return built;
    }
    built->village = *std::move(village);
    const Clock::time_point start = Clock::now();
    built->status = FillVillage(built->village->store(), Records(), kFillWriters, Seed());
    built->fill_seconds = Seconds(Clock::now() - start);
    return built;
  }();
  static const std::unique_ptr<World> owner(world);  // removes it at exit
  return *world;
}

void Report(benchmark::State& state, double seconds) {
  for (auto _ : state) state.SetIterationTime(seconds);
}

void Fail(benchmark::State& state, const absl::Status& status) {
  state.SkipWithError(std::string(status.ToString()).c_str());
}

// --- Filling the village -----------------------------------------------------

void BM_VillageWrites(benchmark::State& state) {
  const World& world = Big();
  if (!world.status.ok()) return Fail(state, world.status);
  Report(state, world.fill_seconds);
  state.counters["records"] = static_cast<double>(Records());
  state.counters["writes_per_s"] = Records() / world.fill_seconds;
}

// --- The store's own remote apply ----------------------------------------------

void BM_StoreApply(benchmark::State& state) {
  World& world = Big();
  if (!world.status.ok()) return Fail(state, world.status);
  BenchDir dir;
  absl::StatusOr<std::unique_ptr<BenchNode>> target = BenchNode::Open(dir.path(), kTownship);
  if (!target.ok()) return Fail(state, target.status());
  const size_t batch_items = BenchSessionOptions().max_batch_items;
  const conflict::Origin& origin = world.village->store().origin();
  std::unique_ptr<store::ChangeIterator> it = world.village->store().ChangesSince(origin, 0);
  const conflict::Schema& schema = (*target)->schema();
  Clock::duration timed{};
  double cpu = 0;  // of this thread, in ApplyRemote
  size_t records = 0;
  size_t batches = 0;
  while (it->Valid()) {
    store::RemoteBatch batch;  // read and built untimed
    batch.items.reserve(batch_items);
    for (; it->Valid() && batch.items.size() < batch_items; it->Next()) {
      absl::StatusOr<codec::CanonicalRecord> record =
          codec::CanonicalRecord::Read(it->record_bytes(), **schema.Collection(it->collection()));
      if (!record.ok()) return Fail(state, record.status());
      batch.items.push_back({it->collection(), it->key(), *std::move(record)});
      batch.knowledge.Set(origin, it->counter());
    }
    const Clock::time_point start = Clock::now();
    const double cpu_start = ThreadCpuSeconds();
    const absl::Status applied = (*target)->store().ApplyRemote(batch).status();
    cpu += ThreadCpuSeconds() - cpu_start;
    timed += Clock::now() - start;
    if (!applied.ok()) return Fail(state, applied);
    records += batch.items.size();
    ++batches;
  }
  if (!it->status().ok()) return Fail(state, it->status());
  if (records != Records()) return Fail(state, absl::InternalError("the village lacks records"));
  Report(state, Seconds(timed));
  state.counters["records"] = static_cast<double>(records);
  state.counters["batches"] = static_cast<double>(batches);
  state.counters["records_per_s"] = records / Seconds(timed);
  state.counters["apply_cpu_s"] = cpu;
}

// --- Catch-up through a session --------------------------------------------------

// Checks that `township` now holds the whole village.
absl::Status CheckCaughtUp(BenchNode& village, BenchNode& township, const SessionRun& run) {
  if (!run.status.ok()) return run.status;
  const conflict::Origin& origin = village.store().origin();
  const uint64_t counter = village.store().progress().counter;
  if (township.store().Knowledge().Get(origin) != counter || run.up.items != counter) {
    return absl::InternalError(absl::StrCat("the township knows ", origin.ToString(), ":",
                                            township.store().Knowledge().Get(origin), " after ",
                                            run.up.items, " items; the village is at ", counter));
  }
  return absl::OkStatus();
}

void ReportTimes(benchmark::State& state, const std::string& side, const SideTimes& times) {
  state.counters[side + "_parse_s"] = times.parse;
  state.counters[side + "_session_s"] = times.session;
  state.counters[side + "_apply_s"] = times.apply;
  state.counters[side + "_serialize_s"] = times.serialize;
  state.counters[side + "_free_s"] = times.free;
  state.counters[side + "_wait_s"] = times.wait;
  state.counters[side + "_cpu_s"] = times.cpu;
}

void ReportCatchUp(benchmark::State& state, const SessionRun& run) {
  const double records = static_cast<double>(run.up.items);
  Report(state, run.seconds);
  state.counters["records"] = records;
  state.counters["records_per_s"] = records / run.seconds;
  state.counters["batches"] = static_cast<double>(run.child_stats.batches_sent);
  state.counters["process_cpu_s"] = run.process_cpu_seconds;
  ReportTimes(state, "child", run.child_times);
  ReportTimes(state, "parent", run.parent_times);
  // Bytes: every frame both ways (hellos, batches, acks) against what the
  // records themselves take.
  const double frames = static_cast<double>(run.up.frame_bytes + run.down.frame_bytes);
  const double record = static_cast<double>(run.up.record_bytes);
  const double key = static_cast<double>(run.up.key_bytes);
  const double payload = record + key + static_cast<double>(run.up.collection_bytes);
  state.counters["frame_bytes_per_record"] = frames / records;
  state.counters["record_bytes_per_record"] = record / records;
  state.counters["key_bytes_per_record"] = key / records;
  state.counters["frame_vs_record"] = frames / record;
  state.counters["frame_vs_payload"] = frames / payload;
  state.counters["frame_vs_record_key"] = frames / (record + key);
  state.counters["overhead_vs_record"] = frames / record - 1;
  state.counters["overhead_vs_payload"] = frames / payload - 1;
  state.counters["overhead_vs_record_key"] = frames / (record + key) - 1;
  state.counters["stats_frame_vs_payload"] =
      static_cast<double>(run.child_stats.frame_bytes_sent) /
      static_cast<double>(run.child_stats.item_payload_bytes_sent);
}

void BM_CatchUp(benchmark::State& state) {
  World& world = Big();
  if (!world.status.ok()) return Fail(state, world.status);
  world.township.reset();
  absl::StatusOr<std::unique_ptr<BenchNode>> township =
      BenchNode::Open(world.dir.path() + "/township", kTownship);
  if (!township.ok()) return Fail(state, township.status());
  const SessionRun run =
      RunSession(*world.village, **township, BenchSessionOptions(), Threads::kTwo);
  if (absl::Status caught_up = CheckCaughtUp(*world.village, **township, run); !caught_up.ok()) {
    return Fail(state, caught_up);
  }
  world.township = *std::move(township);
  ReportCatchUp(state, run);
}

void BM_CatchUpOneThread(benchmark::State& state) {
  World& world = Big();
  if (!world.status.ok()) return Fail(state, world.status);
  BenchDir dir;
  absl::StatusOr<std::unique_ptr<BenchNode>> township = BenchNode::Open(dir.path(), kTownship);
  if (!township.ok()) return Fail(state, township.status());
  const SessionRun run =
      RunSession(*world.village, **township, BenchSessionOptions(), Threads::kOne);
  if (absl::Status caught_up = CheckCaughtUp(*world.village, **township, run); !caught_up.ok()) {
    return Fail(state, caught_up);
  }
  ReportCatchUp(state, run);
}

// --- No-op sessions ------------------------------------------------------------------

// A village and a township in sync.
struct SyncedPair {
  std::unique_ptr<BenchNode>* village = nullptr;
  std::unique_ptr<BenchNode>* township = nullptr;
};

absl::Status CatchUpOnOneThread(BenchNode& village, BenchNode& township) {
  const SessionRun run = RunSession(village, township, BenchSessionOptions(), Threads::kOne);
  return CheckCaughtUp(village, township, run);
}

// Fills `village` with kSmall records and catches `township` up with it.
absl::Status MakeSmallPair(BenchDir& dir, std::unique_ptr<BenchNode>& village,
                           std::unique_ptr<BenchNode>& township) {
  absl::StatusOr<std::unique_ptr<BenchNode>> opened = BenchNode::Open(dir.path() + "/v", kVillage);
  if (!opened.ok()) return opened.status();
  village = *std::move(opened);
  opened = BenchNode::Open(dir.path() + "/t", kTownship);
  if (!opened.ok()) return opened.status();
  township = *std::move(opened);
  SANJI_RETURN_IF_ERROR(FillVillage(village->store(), kSmall, 16, Seed() + 1000));
  return CatchUpOnOneThread(*village, *township);
}

// The village and a township caught up with it (by BM_CatchUp, or here if
// that was filtered out).
absl::Status MakeBigPair(World& world) {
  SANJI_RETURN_IF_ERROR(world.status);
  if (world.township != nullptr) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<BenchNode>> township =
      BenchNode::Open(world.dir.path() + "/township", kTownship);
  if (!township.ok()) return township.status();
  SANJI_RETURN_IF_ERROR(CatchUpOnOneThread(*world.village, **township));
  world.township = *std::move(township);
  return absl::OkStatus();
}

struct NoopTimes {
  std::vector<double> micros;
  std::vector<double> engine_micros;  // in Session calls, both sides
  // The store reads such a session makes, timed alone after it: two
  // Snapshot()s per side (hello, then the pass) and the village's
  // Departures().
  std::vector<double> store_read_micros;
  std::vector<double> snapshot_micros;  // of those, the four Snapshot()s
  uint64_t frames = 0;
  uint64_t frame_bytes = 0;
};

absl::Status NoopOnce(const SyncedPair& pair, NoopTimes& times) {
  const SessionRun run =
      RunSession(**pair.village, **pair.township, BenchSessionOptions(), Threads::kOne);
  SANJI_RETURN_IF_ERROR(run.status);
  if (run.up.items + run.down.items != 0) {
    return absl::InternalError("a session between stores in sync sent records");
  }
  times.micros.push_back(run.seconds * 1e6);
  const Clock::time_point start = Clock::now();
  for (BenchNode* node : {pair.village->get(), pair.township->get()}) {
    for (int i = 0; i < 2; ++i) SANJI_RETURN_IF_ERROR(node->store().Snapshot()->status());
  }
  const Clock::time_point snapshots_done = Clock::now();
  SANJI_RETURN_IF_ERROR((*pair.village)->store().Departures().status());
  times.store_read_micros.push_back(Seconds(Clock::now() - start) * 1e6);
  times.snapshot_micros.push_back(Seconds(snapshots_done - start) * 1e6);
  times.engine_micros.push_back((run.child_times.session + run.parent_times.session) * 1e6);
  times.frames = run.up.frames + run.down.frames;
  times.frame_bytes = run.up.frame_bytes + run.down.frame_bytes;
  return absl::OkStatus();
}

// Alternated, so that load on the machine and the stores' background
// compactions fall on both alike.
absl::Status AlternateNoops(const SyncedPair& small, const SyncedPair& big, NoopTimes& small_times,
                            NoopTimes& big_times) {
  for (int round = 0; round < kNoopRounds; ++round) {
    SANJI_RETURN_IF_ERROR(NoopOnce(small, small_times));
    SANJI_RETURN_IF_ERROR(NoopOnce(big, big_times));
  }
  return absl::OkStatus();
}

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(at), values.end());
  return values[at];
}

void ReportNoop(benchmark::State& state, const std::string& name, const NoopTimes& times) {
  state.counters[name + "_median_us"] = Quantile(times.micros, 0.5);
  state.counters[name + "_p90_us"] = Quantile(times.micros, 0.9);
  state.counters[name + "_min_us"] = Quantile(times.micros, 0);
  state.counters[name + "_first_us"] = times.micros.front();
  state.counters[name + "_engine_median_us"] = Quantile(times.engine_micros, 0.5);
  state.counters[name + "_store_reads_median_us"] = Quantile(times.store_read_micros, 0.5);
  state.counters[name + "_snapshots_median_us"] = Quantile(times.snapshot_micros, 0.5);
  state.counters[name + "_frames"] = static_cast<double>(times.frames);
  state.counters[name + "_frame_bytes"] = static_cast<double>(times.frame_bytes);
}

double MedianRatio(const NoopTimes& top, const NoopTimes& bottom) {
  return Quantile(top.micros, 0.5) / Quantile(bottom.micros, 0.5);
}

// Two phases: "live", right after the catch-up (the big township still has
// LevelDB's compaction backlog of 1M fresh records, the small stores are all
// in their memtables), then "reopened": all four stores closed and opened
// again, so every store reads from table files and no compaction is running
// as the phase starts.
void BM_NoopSession(benchmark::State& state) {
  World& world = Big();
  if (absl::Status made = MakeBigPair(world); !made.ok()) return Fail(state, made);
  BenchDir dir;
  std::unique_ptr<BenchNode> small_village;
  std::unique_ptr<BenchNode> small_township;
  if (absl::Status made = MakeSmallPair(dir, small_village, small_township); !made.ok()) {
    return Fail(state, made);
  }
  const SyncedPair small{&small_village, &small_township};
  const SyncedPair big{&world.village, &world.township};
  NoopTimes live_small;
  NoopTimes live_big;
  if (absl::Status done = AlternateNoops(small, big, live_small, live_big); !done.ok()) {
    return Fail(state, done);
  }
  for (std::unique_ptr<BenchNode>* node :
       {&small_village, &small_township, &world.village, &world.township}) {
    if (absl::Status reopened = BenchNode::Reopen(*node); !reopened.ok()) {
      return Fail(state, reopened);
    }
  }
  NoopTimes small_times;
  NoopTimes big_times;
  if (absl::Status done = AlternateNoops(small, big, small_times, big_times); !done.ok()) {
    return Fail(state, done);
  }
  Report(state, Quantile(big_times.micros, 0.5) / 1e6);
  ReportNoop(state, "live_small", live_small);
  ReportNoop(state, "live_big", live_big);
  ReportNoop(state, "small", small_times);
  ReportNoop(state, "big", big_times);
  state.counters["small_records"] = static_cast<double>(kSmall);
  state.counters["big_records"] = static_cast<double>(Records());
  state.counters["live_big_vs_small"] = MedianRatio(live_big, live_small);
  state.counters["big_vs_small"] = MedianRatio(big_times, small_times);
}

BENCHMARK(BM_VillageWrites)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StoreApply)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CatchUp)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NoopSession)->Iterations(1)->UseManualTime()->Unit(benchmark::kMicrosecond);

SANJI_BENCH_INIT(EngineUnits) {
  SetBenchName("engine");
  // Another 1M catch-up: minutes more, so only on request.
  if (const char* one = std::getenv("SANJI_ENGINE_ONE_THREAD"); one != nullptr && *one == '1') {
    benchmark::RegisterBenchmark("BM_CatchUpOneThread", BM_CatchUpOneThread)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
  for (const char* counter : {"records_per_s"}) SetCounterUnit(counter, "records/s");
  SetCounterUnit("writes_per_s", "writes/s");
  for (const char* counter : {"records", "small_records", "big_records"}) {
    SetCounterUnit(counter, "records");
  }
  SetCounterUnit("batches", "batches");
  SetCounterUnit("process_cpu_s", "s");
  SetCounterUnit("apply_cpu_s", "s");
  for (const char* side : {"child", "parent"}) {
    for (const char* step : {"parse", "session", "apply", "serialize", "free", "wait", "cpu"}) {
      SetCounterUnit(absl::StrCat(side, "_", step, "_s"), "s");
    }
  }
  for (const char* counter :
       {"frame_bytes_per_record", "record_bytes_per_record", "key_bytes_per_record"}) {
    SetCounterUnit(counter, "B");
  }
  for (const char* counter : {"frame_vs_record", "frame_vs_payload", "frame_vs_record_key",
                              "overhead_vs_payload", "overhead_vs_record", "overhead_vs_record_key",
                              "stats_frame_vs_payload", "big_vs_small", "live_big_vs_small"}) {
    SetCounterUnit(counter, "ratio");
  }
  for (const char* size : {"small", "big", "live_small", "live_big"}) {
    for (const char* figure : {"_median_us", "_p90_us", "_min_us", "_first_us", "_engine_median_us",
                               "_store_reads_median_us", "_snapshots_median_us"}) {
      SetCounterUnit(absl::StrCat(size, figure), "us");
    }
    SetCounterUnit(absl::StrCat(size, "_frames"), "frames");
    SetCounterUnit(absl::StrCat(size, "_frame_bytes"), "B");
  }
}

SANJI_BENCH_INIT(EngineTargets) {
  AddComputedTarget("catchup_vs_store_apply",
                    Ratio(ManualRunMetric("BM_CatchUp", "records_per_s"),
                          ManualRunMetric("BM_StoreApply", "records_per_s")),
                    0.75, Goal::kAtLeast);
  AddTarget("frame_overhead_vs_record_key", ManualRunMetric("BM_CatchUp", "overhead_vs_record_key"),
            0.10, Goal::kAtMost);
  AddComputedTarget("noop_session_1k_ms",
                    Scaled(ManualRunMetric("BM_NoopSession", "small_median_us"), 1e-3), 1.0,
                    Goal::kAtMost);
  AddComputedTarget("noop_session_1m_ms",
                    Scaled(ManualRunMetric("BM_NoopSession", "big_median_us"), 1e-3), 1.0,
                    Goal::kAtMost);
  AddTarget("noop_session_1m_vs_1k", ManualRunMetric("BM_NoopSession", "big_vs_small"), 1.5,
            Goal::kAtMost);
}

}  // namespace
}  // namespace sanji::bench
