// The network benchmarks (issue 5; ARCHITECTURE.md §1, §3, §6): real sanjid
// processes on loopback, mutual TLS, real LevelDB stores, started by the
// integration tests' cluster harness (tests/integration/cluster.h).
//
//  - BM_CatchUpOneHop/<n>: a village whose store holds a backlog of n of its
//    own service requests (~300 bytes, random application keys; written
//    straight into its store before its sanjid starts, bench/engine_workload.h)
//    catches up its township. The township starts first; the clock runs
//    from the village's spawn until the township's knowledge
//    (AdminService.Status) covers the village's counter, polled every
//    kPollInterval. Links on loopback are uncompressed (COMPRESSION_AUTO).
//  - BM_CatchUpTwoHops/<n>: the same village, township and county: the
//    township forwards to the county while it receives; timed until the
//    county's knowledge covers the village (and, as a figure, the township's).
//    Both report each node's peak resident set (VmHWM): target for the
//    village during the 1M catch-up.
//  - BM_Compression/<none|zstd|gzip>: the one-hop catch-up of the first
//    backlog with the village dialing through a CountingProxy
//    (bench/counting_proxy.h), which counts every byte of the TCP connection
//    both ways: what each choice really puts on the wire per record, with
//    the link's own count of frame payloads beside it (gzip's is plain).
//  - BM_LiveTwoHops: after a two-hop catch-up of the first backlog, an
//    application puts kLiveWrites records at the village at kLiveRate/s
//    (RecordService.Put) while a Watch at the county receives them; latency
//    is the receive time minus the put's start, one clock, this process.
//
// SANJI_NETWORK_RECORDS=100000,1000000 (the default) lists the backlogs; the
// first is the one compression and live latency use. SANJI_SEED replays
// another set of records.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/counting_proxy.h"
#include "bench/engine_workload.h"
#include "bench/harness/json_lines_reporter.h"
#include "bench/storage_workload.h"
#include "conflict/status_macros.h"
#include "node/config.h"
#include "node/system_clock.h"
#include "tests/integration/cluster.h"

namespace sanji::bench {
namespace {

using Clock = std::chrono::steady_clock;
using integration::Cluster;

constexpr char kCounty[] = "gutian";
constexpr int kFillWriters = 128;
constexpr auto kPollInterval = std::chrono::milliseconds(2);
constexpr auto kCatchUpTimeout = std::chrono::minutes(5);
constexpr int kLiveWrites = 2000;
constexpr int kLiveRate = 100;  // writes/s

double Seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

void Fail(benchmark::State& state, const absl::Status& status) {
  state.SkipWithError(std::string(status.ToString()).c_str());
}

std::vector<size_t> Backlogs() {
  static const std::vector<size_t> backlogs = [] {
    const char* text = std::getenv("SANJI_NETWORK_RECORDS");
    std::vector<size_t> values;
    for (absl::string_view part :
         absl::StrSplit(text != nullptr && *text != '\0' ? text : "100000,1000000", ',')) {
      size_t value = 0;
      if (absl::SimpleAtoi(part, &value) && value > 0) values.push_back(value);
    }
    if (values.empty()) values.push_back(100000);
    std::fprintf(stderr, "network bench: backlogs of %s records (SANJI_NETWORK_RECORDS)\n",
                 std::string(text != nullptr ? text : "100000,1000000").c_str());
    return values;
  }();
  return backlogs;
}

// Every node's schema: the workload's service_requests.
v1::SchemaConfig RequestSchemaConfig() {
  v1::SchemaConfig schema;
  v1::CollectionConfig* requests = schema.add_collections();
  requests->set_name(kRequests);
  for (const char* name : kRequestTextFields) {
    v1::FieldConfig* field = requests->add_fields();
    field->set_name(name);
    field->set_kind(v1::FieldConfig::LWW);
  }
  v1::FieldConfig* status = requests->add_fields();
  status->set_name("status");
  status->set_kind(v1::FieldConfig::STATUS);
  for (const char* value : kRequestStatuses) status->add_status_order(value);
  return schema;
}

// A village store holding `records` of its own writes, made once per size
// and reused by every run (a fresh receiver lacks all of it each time).
struct Backlog {
  BenchDir dir;
  std::string path;
  uint64_t counter = 0;  // the village's, once filled
  double fill_seconds = 0;
  absl::Status status;
};

absl::Status Fill(Backlog& backlog, size_t records) {
  backlog.path = backlog.dir.path() + "/village";
  SANJI_ASSIGN_OR_RETURN(const conflict::Schema schema, node::BuildSchema(RequestSchemaConfig()));
  const node::SystemClock clock;  // sanjid's: the township checks the skew
  store::Options options = BenchStoreOptions(backlog.path, schema, clock);
  SANJI_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, store::Store::Open(options));
  const Clock::time_point start = Clock::now();
  SANJI_RETURN_IF_ERROR(FillVillage(*store, records, kFillWriters, WorkloadSeed("network")));
  backlog.fill_seconds = Seconds(Clock::now() - start);
  backlog.counter = store->progress().counter;
  return absl::OkStatus();
}

Backlog& BacklogOf(size_t records) {
  static auto* backlogs = new std::map<size_t, std::unique_ptr<Backlog>>;
  static const std::unique_ptr<std::map<size_t, std::unique_ptr<Backlog>>> owner(backlogs);
  std::unique_ptr<Backlog>& backlog = (*backlogs)[records];
  if (backlog == nullptr) {
    backlog = std::make_unique<Backlog>();
    backlog->status = Fill(*backlog, records);
    std::fprintf(stderr, "network bench: filled %zu records in %.1f s\n", records,
                 backlog->fill_seconds);
  }
  return *backlog;
}

// The highest counter of `node_id`'s origin that `status` knows.
uint64_t KnownCounter(const v1::NodeStatus& status, const std::string& node_id) {
  uint64_t counter = 0;
  for (const v1::VersionVector::Entry& entry : status.knowledge().entries()) {
    if (entry.origin().node_id() == node_id) counter = std::max(counter, entry.counter());
  }
  return counter;
}

int64_t PeakRssKiB(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

// One tree of sanjid processes above the village of a backlog: the
// township alone, or the township and the county.
struct Tree {
  std::unique_ptr<Cluster> cluster = std::make_unique<Cluster>(
      integration::ClusterOptions{.schema = RequestSchemaConfig(), .on_error = {}});
  std::unique_ptr<CountingProxy> proxy;
  bool two_hops = false;
  std::string top() const { return two_hops ? kCounty : kTownship; }
  std::vector<std::string> nodes() const {
    if (two_hops) return {kVillage, kTownship, kCounty};
    return {kVillage, kTownship};
  }
};

struct TreeOptions {
  bool two_hops = false;
  v1::ParentConfig::Compression compression = v1::ParentConfig::COMPRESSION_AUTO;
  bool proxy = false;
};

// Adds the nodes, starts every receiver, and writes the village's config
// (its data_dir the backlog's, its parent the township or the proxy).
absl::Status BuildTree(const Backlog& backlog, const TreeOptions& options, Tree& tree) {
  tree.two_hops = options.two_hops;
  Cluster& cluster = *tree.cluster;
  if (options.two_hops) {
    cluster.AddNode(kCounty, {}, /*leaf=*/false);
    cluster.AddNode(kTownship, {kCounty}, /*leaf=*/false);
  } else {
    cluster.AddNode(kTownship, {}, /*leaf=*/false);
  }
  cluster.AddNode(kVillage, {kTownship}, /*leaf=*/true);
  SANJI_RETURN_IF_ERROR(cluster.error());
  if (options.two_hops) cluster.Start(kCounty);
  cluster.Start(kTownship);
  SANJI_RETURN_IF_ERROR(cluster.error());
  std::string parent_address = cluster.address(kTownship);
  if (options.proxy) {
    const std::string& address = cluster.address(kTownship);
    int port = 0;
    if (!absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port)) {
      return absl::InternalError(absl::StrCat("no port in ", address));
    }
    SANJI_ASSIGN_OR_RETURN(tree.proxy, CountingProxy::Start(port));
    parent_address = tree.proxy->address();
  }
  cluster.EditConfig(kVillage, [&](v1::NodeConfig& config) {
    config.set_data_dir(backlog.path);
    config.mutable_parents(0)->set_address(parent_address);
    config.mutable_parents(0)->set_compression(options.compression);
  });
  return cluster.error();
}

// Polls `node` until it knows the village's counter `counter`.
absl::StatusOr<Clock::time_point> WaitKnows(Cluster& cluster, const std::string& node,
                                            uint64_t counter, Clock::time_point deadline) {
  for (;;) {
    absl::StatusOr<v1::NodeStatus> status = cluster.Status(node);
    const Clock::time_point now = Clock::now();
    if (status.ok() && KnownCounter(*status, kVillage) >= counter) return now;
    if (now > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(node, " did not catch up with ", kVillage, ":", counter, " in time; ",
                       status.ok() ? absl::StrCat("it knows ", KnownCounter(*status, kVillage))
                                   : status.status().ToString()));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

struct CatchUp {
  double seconds = 0;            // until the top node knows the backlog
  double first_hop_seconds = 0;  // until the township does
  v1::LinkStatus village_link;
  std::map<std::string, int64_t> peak_rss_kib;
};

// Starts the village and times its catch-up to the top of `tree`.
absl::StatusOr<CatchUp> RunCatchUp(const Backlog& backlog, Tree& tree) {
  Cluster& cluster = *tree.cluster;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + kCatchUpTimeout;
  cluster.Start(kVillage);
  SANJI_RETURN_IF_ERROR(cluster.error());
  CatchUp result;
  SANJI_ASSIGN_OR_RETURN(const Clock::time_point township_done,
                         WaitKnows(cluster, kTownship, backlog.counter, deadline));
  result.first_hop_seconds = Seconds(township_done - start);
  SANJI_ASSIGN_OR_RETURN(const Clock::time_point top_done,
                         WaitKnows(cluster, tree.top(), backlog.counter, deadline));
  result.seconds = Seconds(top_done - start);
  SANJI_ASSIGN_OR_RETURN(const v1::NodeStatus village, cluster.Status(kVillage));
  if (village.links_size() > 0) result.village_link = village.links(0);
  for (const std::string& node : tree.nodes()) {
    result.peak_rss_kib[node] = PeakRssKiB(cluster.pid(node));
  }
  return result;
}

// Stops every node with SIGTERM; an unclean exit is an error.
absl::Status StopTree(Tree& tree) {
  for (const std::string& node : tree.nodes()) {
    if (const int code = tree.cluster->Stop(node); code != 0) {
      return absl::InternalError(
          absl::StrCat(node, " exited with ", code, ":\n", tree.cluster->Log(node)));
    }
  }
  return absl::OkStatus();
}

void ReportCatchUp(benchmark::State& state, const Backlog& backlog, const CatchUp& run) {
  for (auto _ : state) state.SetIterationTime(run.seconds);
  const double records = static_cast<double>(backlog.counter);
  state.counters["records"] = records;
  state.counters["records_per_s"] = records / run.seconds;
  state.counters["seconds"] = run.seconds;
  state.counters["first_hop_seconds"] = run.first_hop_seconds;
  state.counters["fill_seconds"] = backlog.fill_seconds;
  const v1::LinkStatus& link = run.village_link;
  state.counters["link_bytes_per_record"] =
      static_cast<double>(link.wire_bytes_sent() + link.wire_bytes_received()) / records;
  for (const auto& [node, kib] : run.peak_rss_kib) {
    const std::string name = node == kVillage    ? "village"
                             : node == kTownship ? "township"
                                                 : "county";
    state.counters[name + "_peak_rss_mb"] = static_cast<double>(kib) / 1024;
  }
}

// --- Catch-up ----------------------------------------------------------------

void CatchUpBench(benchmark::State& state, size_t records, bool two_hops) {
  const Backlog& backlog = BacklogOf(records);
  if (!backlog.status.ok()) return Fail(state, backlog.status);
  Tree tree;
  if (absl::Status built = BuildTree(backlog, {.two_hops = two_hops}, tree); !built.ok()) {
    return Fail(state, built);
  }
  const absl::StatusOr<CatchUp> run = RunCatchUp(backlog, tree);
  if (!run.ok()) return Fail(state, run.status());
  if (absl::Status stopped = StopTree(tree); !stopped.ok()) return Fail(state, stopped);
  ReportCatchUp(state, backlog, *run);
}

// --- Compression -------------------------------------------------------------

void CompressionBench(benchmark::State& state, v1::ParentConfig::Compression compression) {
  const Backlog& backlog = BacklogOf(Backlogs().front());
  if (!backlog.status.ok()) return Fail(state, backlog.status);
  Tree tree;
  const TreeOptions options{.two_hops = false, .compression = compression, .proxy = true};
  if (absl::Status built = BuildTree(backlog, options, tree); !built.ok()) {
    return Fail(state, built);
  }
  const absl::StatusOr<CatchUp> run = RunCatchUp(backlog, tree);
  if (!run.ok()) return Fail(state, run.status());
  const double up = static_cast<double>(tree.proxy->bytes_up());
  const double down = static_cast<double>(tree.proxy->bytes_down());
  if (absl::Status stopped = StopTree(tree); !stopped.ok()) return Fail(state, stopped);
  ReportCatchUp(state, backlog, *run);
  const double records = static_cast<double>(backlog.counter);
  state.counters["tcp_bytes_per_record"] = (up + down) / records;
  state.counters["tcp_up_bytes_per_record"] = up / records;
  state.counters["tcp_down_bytes_per_record"] = down / records;
}

// --- Live propagation ----------------------------------------------------------

// What a Watch at the county received: when each live record arrived.
class Arrivals {
 public:
  void Add(int index, Clock::time_point at) {
    std::lock_guard<std::mutex> lock(mu_);
    if (index >= 0 && index < kLiveWrites && !at_[index]) at_[index] = at;
  }
  std::vector<std::optional<Clock::time_point>> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return at_;
  }

 private:
  std::mutex mu_;
  std::vector<std::optional<Clock::time_point>> at_ =
      std::vector<std::optional<Clock::time_point>>(kLiveWrites);
};

constexpr char kLivePrefix[] = "gutian/fengpu/xiaban/live-";

v1::PutRequest LivePut(int index) {
  v1::PutRequest put;
  put.set_collection(kRequests);
  put.set_key(absl::StrCat(kLivePrefix, index));
  put.set_scope(kVillage);
  v1::FieldOperation* title = put.add_ops();
  title->set_field("title");
  title->mutable_assign()->set_text("路灯不亮，请尽快处理");
  v1::FieldOperation* detail = put.add_ops();
  detail->set_field("detail");
  detail->mutable_assign()->set_text(
      "村民反映村口路灯不亮已有三天，夜间出行不便，已联系网格员，需乡镇协调电工上门维修。");
  v1::FieldOperation* status = put.add_ops();
  status->set_field("status");
  status->set_set_status("open");
  return put;
}

// Puts kLiveWrites records at the village, one every 1/kLiveRate s;
// returns each put's start.
absl::StatusOr<std::vector<Clock::time_point>> PutPaced(Cluster& cluster) {
  std::unique_ptr<v1::RecordService::Stub> village = cluster.Records(kVillage);
  std::vector<Clock::time_point> starts;
  const Clock::time_point first = Clock::now();
  for (int i = 0; i < kLiveWrites; ++i) {
    std::this_thread::sleep_until(first + i * std::chrono::microseconds(1'000'000 / kLiveRate));
    starts.push_back(Clock::now());
    grpc::ClientContext context;
    v1::PutResponse response;
    const grpc::Status put = village->Put(&context, LivePut(i), &response);
    if (!put.ok()) return absl::InternalError(absl::StrCat("put ", i, ": ", put.error_message()));
  }
  return starts;
}

double Quantile(std::vector<double> values, double q) {
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(at), values.end());
  return values[at];
}

void BM_LiveTwoHops(benchmark::State& state) {
  const Backlog& backlog = BacklogOf(Backlogs().front());
  if (!backlog.status.ok()) return Fail(state, backlog.status);
  Tree tree;
  if (absl::Status built = BuildTree(backlog, {.two_hops = true}, tree); !built.ok()) {
    return Fail(state, built);
  }
  if (absl::StatusOr<CatchUp> run = RunCatchUp(backlog, tree); !run.ok()) {
    return Fail(state, run.status());
  }
  std::unique_ptr<v1::RecordService::Stub> county = tree.cluster->Records(kCounty);
  grpc::ClientContext watch_context;
  v1::WatchRequest watch;
  watch.set_collection(kRequests);
  watch.set_key_prefix(kLivePrefix);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> events = county->Watch(&watch_context, watch);
  events->WaitForInitialMetadata();  // from here on, every commit is delivered
  Arrivals arrivals;
  std::thread reader([&] {
    v1::WatchEvent event;
    while (events->Read(&event)) {
      int index = -1;
      (void)absl::SimpleAtoi(absl::string_view(event.key()).substr(sizeof kLivePrefix - 1), &index);
      arrivals.Add(index, Clock::now());
    }
  });
  const absl::StatusOr<std::vector<Clock::time_point>> starts = PutPaced(*tree.cluster);
  // The last records' way up, with room for a slow fsync.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  watch_context.TryCancel();
  reader.join();
  (void)events->Finish();
  if (!starts.ok()) return Fail(state, starts.status());
  if (absl::Status stopped = StopTree(tree); !stopped.ok()) return Fail(state, stopped);

  std::vector<double> millis;
  const std::vector<std::optional<Clock::time_point>> arrived = arrivals.Take();
  for (int i = 0; i < kLiveWrites; ++i) {
    if (arrived[i]) millis.push_back(Seconds(*arrived[i] - (*starts)[i]) * 1e3);
  }
  if (millis.empty()) return Fail(state, absl::InternalError("no live record reached the county"));
  for (auto _ : state) state.SetIterationTime(Quantile(millis, 0.5) / 1e3);
  state.counters["writes"] = kLiveWrites;
  state.counters["received"] = static_cast<double>(millis.size());
  state.counters["p50_ms"] = Quantile(millis, 0.5);
  state.counters["p90_ms"] = Quantile(millis, 0.9);
  state.counters["p99_ms"] = Quantile(millis, 0.99);
  state.counters["max_ms"] = *std::max_element(millis.begin(), millis.end());
}

// --- Registration ----------------------------------------------------------------

std::string SizeName(size_t records) {
  return records % 1'000'000 == 0 ? absl::StrCat(records / 1'000'000, "m")
         : records % 1000 == 0    ? absl::StrCat(records / 1000, "k")
                                  : absl::StrCat(records);
}

benchmark::internal::Benchmark* Manual(benchmark::internal::Benchmark* bench) {
  return bench->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

SANJI_BENCH_INIT(NetworkBenchmarks) {
  SetBenchName("network");
  // This process only calls (sync stubs, no server): gRPC 1.51 then drives
  // a channel's TCP and TLS handshakes from its backup poller alone, every
  // 5 s by default, and every handshake times out. Before gRPC starts.
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "10", /*overwrite=*/0);
  for (const size_t records : Backlogs()) {
    Manual(benchmark::RegisterBenchmark(
        absl::StrCat("BM_CatchUpOneHop/", SizeName(records)).c_str(),
        [records](benchmark::State& state) { CatchUpBench(state, records, false); }));
    Manual(benchmark::RegisterBenchmark(
        absl::StrCat("BM_CatchUpTwoHops/", SizeName(records)).c_str(),
        [records](benchmark::State& state) { CatchUpBench(state, records, true); }));
  }
  for (const auto& [name, compression] : {std::pair{"none", v1::ParentConfig::COMPRESSION_NONE},
                                          std::pair{"zstd", v1::ParentConfig::COMPRESSION_ZSTD},
                                          std::pair{"gzip", v1::ParentConfig::COMPRESSION_GZIP}}) {
    Manual(benchmark::RegisterBenchmark(
        absl::StrCat("BM_Compression/", name).c_str(),
        [compression](benchmark::State& state) { CompressionBench(state, compression); }));
  }
  Manual(benchmark::RegisterBenchmark("BM_LiveTwoHops", BM_LiveTwoHops));

  SetCounterUnit("records", "records");
  SetCounterUnit("records_per_s", "records/s");
  for (const char* counter : {"seconds", "first_hop_seconds", "fill_seconds"}) {
    SetCounterUnit(counter, "s");
  }
  for (const char* counter : {"link_bytes_per_record", "tcp_bytes_per_record",
                              "tcp_up_bytes_per_record", "tcp_down_bytes_per_record"}) {
    SetCounterUnit(counter, "B");
  }
  for (const char* node : {"village", "township", "county"}) {
    SetCounterUnit(absl::StrCat(node, "_peak_rss_mb"), "MB");
  }
  for (const char* counter : {"p50_ms", "p90_ms", "p99_ms", "max_ms"})
    SetCounterUnit(counter, "ms");
  SetCounterUnit("writes", "writes");
  SetCounterUnit("received", "records");
}

SANJI_BENCH_INIT(NetworkTargets) {
  for (const size_t records : Backlogs()) {
    const std::string size = SizeName(records);
    AddTarget(absl::StrCat("one_hop_", size, "_records_per_s"),
              ManualRunMetric(absl::StrCat("BM_CatchUpOneHop/", size), "records_per_s"), 90'000,
              Goal::kAtLeast);
    AddTarget(absl::StrCat("two_hops_", size, "_records_per_s"),
              ManualRunMetric(absl::StrCat("BM_CatchUpTwoHops/", size), "records_per_s"), 60'000,
              Goal::kAtLeast);
    if (records == 1'000'000) {
      AddComputedTarget(
          "village_peak_rss_1m_mb",
          [](const Figures& figures) -> std::optional<double> {
            const std::optional<double> one =
                figures.Get(ManualRunMetric("BM_CatchUpOneHop/1m", "village_peak_rss_mb"));
            const std::optional<double> two =
                figures.Get(ManualRunMetric("BM_CatchUpTwoHops/1m", "village_peak_rss_mb"));
            if (!one || !two) return std::nullopt;
            return std::max(*one, *two);
          },
          64, Goal::kAtMost);
    }
  }
  AddTarget("live_two_hops_p50_ms", ManualRunMetric("BM_LiveTwoHops", "p50_ms"), 3, Goal::kAtMost);
  AddTarget("live_two_hops_p99_ms", ManualRunMetric("BM_LiveTwoHops", "p99_ms"), 10, Goal::kAtMost);
}

}  // namespace
}  // namespace sanji::bench
