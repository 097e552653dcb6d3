// The store's benchmarks (issue 3; ARCHITECTURE.md §5), each side by side
// with raw LevelDB on the same disk in the same run:
//  - durable local writes/s with 1, 8 and 64 writers through Store::Write,
//    against single sync puts (the fsync limit). Target: 64 writers >= 20x.
//  - remote batch apply of ~300-byte records with random application keys,
//    records/s through Store::ApplyRemote in batches of 500, the records in
//    the form a sync session hands them over (received bytes, read by
//    codec::CanonicalRecord, untimed as the session's reading is), against raw
//    WriteBatches of the same keys and bytes in the same order, both synced.
//    Target: >= 50% of raw.
//  - Open() of a store of 1M records (target <= 100 ms), next to a raw
//    LevelDB open of the same files; the time to build it is reported, and
//    the time to take a StoreSnapshot of it (knowledge and index frontier),
//    and how long after open the record key filter is filled (it fills on
//    its own thread from the origin index) and its size.
//  - memory growth while streaming those 1M records through ChangesSince, in
//    a fresh child process, target <= 32 MB, next to a raw LevelDB scan of
//    the same database. The figure held to the target is the growth of the
//    whole resident set: the peak (VmHWM, reset when the stream starts)
//    minus VmRSS before it. The store reads tables with pread
//    (store/pread_env.h), so table pages stay in the page cache, outside the
//    process; the same stream with LevelDB's mmap reads
//    (Options::pread_table_reads = false) runs beside it, for speed and
//    memory, and the anonymous and file-backed parts are reported apart.
// Every figure is one long measured run (Iterations(1), manual time) printed
// as counters with units. Stores live in temporary directories under $TMPDIR
// (or /tmp) and are removed at exit. Records come from a seeded generator
// (SANJI_SEED, default printed on stderr).
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/harness/json_lines_reporter.h"
#include "bench/storage_workload.h"
#include "codec/record_codec.h"
#include "conflict/change.h"
#include "leveldb/db.h"
#include "leveldb/write_batch.h"
#include "store/key_layout.h"
#include "store/store.h"

namespace sanji::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRawSyncPuts = 300;
constexpr int kLocalWritesTotal[] = {300, 1600, 6400};  // for 1, 8, 64 writers
constexpr size_t kRemoteBatch = 500;
constexpr size_t kRemoteRecords = 200'000;
constexpr size_t kMillion = 1'000'000;
constexpr size_t kBuildBatch = 5000;
constexpr char kStreamChildEnv[] = "SANJI_STORAGE_BENCH_STREAM";

double Seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

uint64_t Seed() { return WorkloadSeed("storage"); }

std::unique_ptr<leveldb::DB> OpenRaw(const std::string& path) {
  leveldb::Options options;  // LevelDB's defaults: the baseline as it comes
  options.create_if_missing = true;
  leveldb::DB* db = nullptr;
  leveldb::Status status = leveldb::DB::Open(options, path, &db);
  if (!status.ok())
    std::fprintf(stderr, "raw open %s: %s\n", path.c_str(), status.ToString().c_str());
  return std::unique_ptr<leveldb::DB>(db);
}

// The store and what must outlive it.
struct BenchStore {
  explicit BenchStore(const std::string& path) : schema(RequestSchema()), clock(kBenchMicros) {
    auto opened = store::Store::Open(BenchStoreOptions(path, schema, clock));
    if (!opened.ok()) std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    if (opened.ok()) store = *std::move(opened);
  }
  conflict::Schema schema;
  conflict::ManualClock clock;
  std::unique_ptr<store::Store> store;
};

void Report(benchmark::State& state, double seconds) {
  for (auto _ : state) state.SetIterationTime(seconds);
}

// --- Durable local writes ------------------------------------------------------

void BM_RawSyncPuts(benchmark::State& state) {
  BenchDir dir;
  auto db = OpenRaw(dir.path() + "/raw");
  if (db == nullptr) return state.SkipWithError("raw open failed");
  leveldb::WriteOptions sync;
  sync.sync = true;
  const std::string value(300, 'v');
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < kRawSyncPuts; ++i) {
    if (!db->Put(sync, absl::StrCat(kVillage, "/req-local-", i), value).ok()) {
      return state.SkipWithError("raw put failed");
    }
  }
  const double seconds = Seconds(Clock::now() - start);
  Report(state, seconds);
  state.counters["writes_per_s"] = kRawSyncPuts / seconds;
}

conflict::Change LocalChange(int writer, int i) {
  conflict::Change change;
  change.scope = kVillage;
  change.ops.push_back(
      {"title", conflict::Assign{absl::StrCat("村民反映路灯不亮 ", writer, "-", i)}});
  change.ops.push_back(
      {"detail", conflict::Assign{std::string("村口第三盏路灯不亮已有一周，请尽快处理。")}});
  change.ops.push_back({"status", conflict::SetStatus{"open"}});
  change.author = kVillageApp;
  return change;
}

void BM_StoreWrites(benchmark::State& state) {
  const int writers = static_cast<int>(state.range(0));
  const int total = kLocalWritesTotal[writers == 1 ? 0 : writers == 8 ? 1 : 2];
  BenchDir dir;
  BenchStore bench(dir.path() + "/store");
  if (bench.store == nullptr) return state.SkipWithError("store open failed");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  const Clock::time_point start = Clock::now();
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < total / writers; ++i) {
        const std::string key = absl::StrCat(kVillage, "/req-local-", w, "-", i);
        if (!bench.store->Write(kRequests, key, LocalChange(w, i)).ok()) failures.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds = Seconds(Clock::now() - start);
  if (failures.load() > 0) return state.SkipWithError("store write failed");
  Report(state, seconds);
  const store::StoreStats stats = bench.store->stats();
  state.counters["writes_per_s"] = total / seconds;
  state.counters["writes_per_fsync"] = static_cast<double>(stats.committed_writes) / stats.commits;
}

// --- Remote batch apply --------------------------------------------------------

void BM_RawBatchWrites(benchmark::State& state) {
  BenchDir dir;
  auto db = OpenRaw(dir.path() + "/raw");
  if (db == nullptr) return state.SkipWithError("raw open failed");
  leveldb::WriteOptions sync;
  sync.sync = true;
  RequestStream stream(Seed());
  Clock::duration timed{};
  uint64_t bytes = 0;
  for (size_t done = 0; done < kRemoteRecords; done += kRemoteBatch) {
    leveldb::WriteBatch batch;  // built untimed: the same keys and bytes the store writes
    for (size_t i = 0; i < kRemoteBatch; ++i) {
      std::string key;
      const std::string value = codec::SerializeRecord(stream.Next(&key));
      bytes += value.size();
      batch.Put(store::RecordKey(kRequests, key), value);
    }
    const Clock::time_point start = Clock::now();
    if (!db->Write(sync, &batch).ok()) return state.SkipWithError("raw write failed");
    timed += Clock::now() - start;
  }
  Report(state, Seconds(timed));
  state.counters["records_per_s"] = kRemoteRecords / Seconds(timed);
  state.counters["record_bytes"] = static_cast<double>(bytes) / kRemoteRecords;
}

void BM_StoreRemoteApply(benchmark::State& state) {
  BenchDir dir;
  BenchStore bench(dir.path() + "/store");
  if (bench.store == nullptr) return state.SkipWithError("store open failed");
  RequestStream stream(Seed());
  Clock::duration timed{};
  for (size_t done = 0; done < kRemoteRecords; done += kRemoteBatch) {
    absl::StatusOr<store::RemoteBatch> batch =
        NextBatch(stream, kRemoteBatch, **bench.schema.Collection(kRequests));  // untimed
    if (!batch.ok()) return state.SkipWithError(std::string(batch.status().message()).c_str());
    const Clock::time_point start = Clock::now();
    const absl::Status applied = bench.store->ApplyRemote(*batch).status();
    timed += Clock::now() - start;
    if (!applied.ok()) return state.SkipWithError(std::string(applied.message()).c_str());
  }
  Report(state, Seconds(timed));
  state.counters["records_per_s"] = kRemoteRecords / Seconds(timed);
}

// --- A store of one million records ---------------------------------------------

// Built once per run, by the first benchmark that needs it; removed at exit.
struct MillionStore {
  BenchDir dir;
  std::string path;
  double build_seconds = 0;
  bool ok = false;
};

const MillionStore& Million() {
  static MillionStore* million = [] {
    auto* built = new MillionStore;
    built->path = built->dir.path() + "/store";
    BenchStore bench(built->path);
    if (bench.store == nullptr) return built;
    RequestStream stream(Seed() + 1);
    const Clock::time_point start = Clock::now();
    for (size_t done = 0; done < kMillion; done += kBuildBatch) {
      absl::StatusOr<store::RemoteBatch> batch =
          NextBatch(stream, kBuildBatch, **bench.schema.Collection(kRequests));
      if (!batch.ok() || !bench.store->ApplyRemote(*batch).ok()) return built;
    }
    bench.store.reset();  // a clean close flushes the memtable
    built->build_seconds = Seconds(Clock::now() - start);
    built->ok = true;
    return built;
  }();
  static const std::unique_ptr<MillionStore> owner(million);  // removes it at exit
  return *million;
}

void BM_OpenMillion(benchmark::State& state) {
  const MillionStore& million = Million();
  if (!million.ok) return state.SkipWithError("building the 1M store failed");
  const conflict::Schema schema = RequestSchema();
  const conflict::ManualClock clock(kBenchMicros);
  Clock::time_point start = Clock::now();
  auto store = store::Store::Open(BenchStoreOptions(million.path, schema, clock));
  const double seconds = Seconds(Clock::now() - start);
  if (!store.ok()) return state.SkipWithError(std::string(store.status().message()).c_str());
  // What a sync session starts with: knowledge and index frontier, which
  // must not cost a scan of the million index entries.
  start = Clock::now();
  const bool snapshot_ok = (*store)->Snapshot()->IndexFrontier().size() == 1;
  const double snapshot_seconds = Seconds(Clock::now() - start);
  if (!snapshot_ok) return state.SkipWithError("snapshot failed");
  // The record key filter fills from the origin index on its own thread
  // after open (store/record_key_filter.h); until then every lookup reads.
  store::StoreStats stats;
  while (!(stats = (*store)->stats()).record_key_filter_complete) {
    if (Seconds(Clock::now() - start) > 120) return state.SkipWithError("key filter never filled");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double filter_seconds = Seconds(Clock::now() - start);
  store->reset();
  start = Clock::now();
  auto raw = OpenRaw(absl::StrCat(million.path, "/", store::kLevelDbDirName));
  const double raw_seconds = Seconds(Clock::now() - start);
  if (raw == nullptr) return state.SkipWithError("raw open failed");
  Report(state, seconds);
  state.counters["open_ms"] = seconds * 1e3;
  state.counters["raw_open_ms"] = raw_seconds * 1e3;
  state.counters["snapshot_ms"] = snapshot_seconds * 1e3;
  state.counters["key_filter_fill_ms"] = filter_seconds * 1e3;
  state.counters["key_filter_mb"] = stats.record_key_filter_bytes / 1e6;
  state.counters["key_filter_keys"] = static_cast<double>(stats.record_key_filter_keys);
  state.counters["build_s"] = million.build_seconds;
  state.counters["build_records_per_s"] = kMillion / million.build_seconds;
}

// What a stream child reports: records read, seconds, and the growth of the
// resident set, in KiB.
struct StreamFigures {
  uint64_t records = 0;
  double seconds = 0;
  int64_t anon_growth_kib = 0;  // peak RssAnon during the stream minus before
  int64_t file_growth_kib = 0;  // peak RssFile during the stream minus before
  int64_t hwm_growth_kib = 0;   // VmHWM (reset at the start) minus VmRSS before
};

// Resets VmHWM to the current VmRSS (Linux >= 4.0), so that the peak is the
// stream's own and not that of opening the store.
void ResetPeakRss() {
  if (FILE* file = std::fopen("/proc/self/clear_refs", "w"); file != nullptr) {
    std::fputs("5", file);
    std::fclose(file);
  }
}

// Samples the resident set during a stream.
class RssSampler {
 public:
  RssSampler() : rss_before_(VmRssKiB()), anon_before_(RssAnonKiB()), file_before_(RssFileKiB()) {
    ResetPeakRss();
  }
  void Sample(uint64_t records) {
    if (records % 4096 != 0) return;
    anon_peak_ = std::max(anon_peak_, RssAnonKiB());
    file_peak_ = std::max(file_peak_, RssFileKiB());
  }
  void Finish(StreamFigures& figures) {
    Sample(0);
    figures.anon_growth_kib = anon_peak_ - anon_before_;
    figures.file_growth_kib = file_peak_ - file_before_;
    figures.hwm_growth_kib = VmHwmKiB() - rss_before_;
  }

 private:
  const int64_t rss_before_;
  const int64_t anon_before_;
  const int64_t file_before_;
  int64_t anon_peak_ = anon_before_;
  int64_t file_peak_ = file_before_;
};

// Runs in the child: streams every record and prints its StreamFigures.
[[noreturn]] void StreamChild(const std::string& mode, const std::string& path) {
  const conflict::Schema schema = RequestSchema();
  const conflict::ManualClock clock(kBenchMicros);
  StreamFigures figures;
  if (mode == "store" || mode == "store-mmap") {
    store::Options options = BenchStoreOptions(path, schema, clock);
    options.pread_table_reads = mode == "store";
    auto store = store::Store::Open(options);
    if (!store.ok()) std::_Exit(1);
    RssSampler sampler;
    const Clock::time_point start = Clock::now();
    auto it = (*store)->ChangesSince(RequestStream(0).origin(), 0);
    for (; it->Valid(); it->Next()) sampler.Sample(++figures.records);
    figures.seconds = Seconds(Clock::now() - start);
    if (!it->status().ok()) std::_Exit(2);
    sampler.Finish(figures);
  } else {
    auto db = OpenRaw(absl::StrCat(path, "/", store::kLevelDbDirName));
    if (db == nullptr) std::_Exit(1);
    RssSampler sampler;
    const Clock::time_point start = Clock::now();
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
    const std::string prefix = store::RecordSpacePrefix();
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      sampler.Sample(++figures.records);
    }
    figures.seconds = Seconds(Clock::now() - start);
    sampler.Finish(figures);
  }
  std::printf("%llu %.6f %lld %lld %lld\n", static_cast<unsigned long long>(figures.records),
              figures.seconds, static_cast<long long>(figures.anon_growth_kib),
              static_cast<long long>(figures.file_growth_kib),
              static_cast<long long>(figures.hwm_growth_kib));
  std::fflush(stdout);
  std::_Exit(0);  // no destructors: the child only measures
}

// Runs this binary again as a stream child (a fresh process, so its VmHWM is
// the stream's own) and parses what it prints.
std::optional<StreamFigures> RunStreamChild(const std::string& mode, const std::string& path) {
  int fds[2];
  if (::pipe(fds) != 0) return std::nullopt;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::setenv(kStreamChildEnv, absl::StrCat(mode, " ", path).c_str(), 1);
    ::execl("/proc/self/exe", "storage_bench", static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  ::close(fds[1]);
  FILE* in = ::fdopen(fds[0], "r");
  StreamFigures figures;
  unsigned long long records = 0;
  long long anon = 0;
  long long file = 0;
  long long hwm = 0;
  const int parsed =
      std::fscanf(in, "%llu %lf %lld %lld %lld", &records, &figures.seconds, &anon, &file, &hwm);
  std::fclose(in);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (parsed != 5 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  figures.records = records;
  figures.anon_growth_kib = anon;
  figures.file_growth_kib = file;
  figures.hwm_growth_kib = hwm;
  return figures;
}

void BM_StreamMillion(benchmark::State& state) {
  const MillionStore& million = Million();
  if (!million.ok) return state.SkipWithError("building the 1M store failed");
  const std::optional<StreamFigures> store = RunStreamChild("store", million.path);
  const std::optional<StreamFigures> mmap = RunStreamChild("store-mmap", million.path);
  const std::optional<StreamFigures> raw = RunStreamChild("raw", million.path);
  if (!store.has_value() || !mmap.has_value() || !raw.has_value()) {
    return state.SkipWithError("stream child failed");
  }
  if (store->records != kMillion || mmap->records != kMillion) {
    return state.SkipWithError("stream missed records");
  }
  Report(state, store->seconds);
  state.counters["records"] = static_cast<double>(store->records);
  auto put = [&](const std::string& prefix, const StreamFigures& figures) {
    state.counters[prefix + "records_per_s"] = figures.records / figures.seconds;
    state.counters[prefix + "rss_growth_mb"] = figures.hwm_growth_kib / 1024.0;
    state.counters[prefix + "rss_anon_growth_mb"] = figures.anon_growth_kib / 1024.0;
    state.counters[prefix + "rss_file_growth_mb"] = figures.file_growth_kib / 1024.0;
  };
  put("", *store);
  put("mmap_", *mmap);
  put("raw_", *raw);
}

BENCHMARK(BM_RawSyncPuts)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StoreWrites)
    ->Arg(1)
    ->Arg(8)
    ->Arg(64)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RawBatchWrites)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StoreRemoteApply)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OpenMillion)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StreamMillion)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

SANJI_BENCH_INIT(StorageTargets) {
  if (const char* child = std::getenv(kStreamChildEnv); child != nullptr) {
    const std::string spec = child;
    const size_t space = spec.find(' ');
    StreamChild(spec.substr(0, space), spec.substr(space + 1));
  }
  SetBenchName("storage");
  SetCounterUnit("writes_per_s", "writes/s");
  SetCounterUnit("records_per_s", "records/s");
  SetCounterUnit("raw_records_per_s", "records/s");
  SetCounterUnit("build_records_per_s", "records/s");
  SetCounterUnit("writes_per_fsync", "writes");
  SetCounterUnit("record_bytes", "B");
  SetCounterUnit("records", "records");
  SetCounterUnit("open_ms", "ms");
  SetCounterUnit("raw_open_ms", "ms");
  SetCounterUnit("snapshot_ms", "ms");
  SetCounterUnit("key_filter_fill_ms", "ms");
  SetCounterUnit("key_filter_mb", "MB");
  SetCounterUnit("key_filter_keys", "keys");
  SetCounterUnit("build_s", "s");
  SetCounterUnit("mmap_records_per_s", "records/s");
  for (const char* prefix : {"", "mmap_", "raw_"}) {
    for (const char* figure : {"rss_growth_mb", "rss_anon_growth_mb", "rss_file_growth_mb"}) {
      SetCounterUnit(absl::StrCat(prefix, figure), "MB");
    }
  }
  AddComputedTarget("local_writes_64_vs_raw_fsync",
                    Ratio(ManualRunMetric("BM_StoreWrites/64", "writes_per_s"),
                          ManualRunMetric("BM_RawSyncPuts", "writes_per_s")),
                    20, Goal::kAtLeast);
  AddComputedTarget("remote_apply_vs_raw",
                    Ratio(ManualRunMetric("BM_StoreRemoteApply", "records_per_s"),
                          ManualRunMetric("BM_RawBatchWrites", "records_per_s")),
                    0.5, Goal::kAtLeast);
  AddTarget("open_1m_ms", ManualRunMetric("BM_OpenMillion", "open_ms"), 100, Goal::kAtMost);
  AddTarget("stream_1m_rss_growth_mb", ManualRunMetric("BM_StreamMillion", "rss_growth_mb"), 32,
            Goal::kAtMost);
}

}  // namespace
}  // namespace sanji::bench
