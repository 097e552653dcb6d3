// The schema benchmark (issue 16, "Benchmarks"; ARCHITECTURE.md §3, docs/SCHEMA.md
// "The schema as data"): how fast a published schema version reaches the
// demo county's eight nodes, and what a receiver pays for fields its schema
// does not know, which it keeps and relays as they came (conflict/record.h,
// CheckAgainst) instead of checking them against a type. The adoption runs
// first, and its county is stopped before the first catch-up, so the two
// never share the machine.
//
//  - BM_Adoption/<round>: a tree of real sanjid processes shaped like the
//    demo county (examples/gutian/: the county, townships fengpu and pingbu,
//    villages xiaban, dongkeng, gaotou under fengpu and shangcun, longtan
//    under pingbu; each village's parents its township, then the county),
//    with the cluster harness's certificates, schema (TestSchema) and short
//    timeouts. Each round publishes one more version at the county through
//    AdminService.PublishSchema, with the harness's operator certificate of
//    the county's scope (as tests/integration/schema_publish_test.cc does by
//    sanjictl): the previous version plus one lww field. The round's figure
//    is the time from the RPC's return until every node's
//    AdminService.Status reports the new schema_version; townships_seconds
//    and villages_seconds are the slowest of each level. One warm-up round
//    runs first and is not counted: it also shows every link carrying
//    records before the first counted round.
//    What bounds it: the record's trip down two live hops (milliseconds),
//    then each node's SchemaAdopter, which looks after a commit but at most
//    every 100 ms (node/schema_adopter.h): a node whose adopter looked less
//    than 100 ms before the record arrived (after any commit, e.g. a status
//    record going up) waits out the rest. So each node adopts at most about
//    100 ms after the record reaches it, whatever the depth. The polling
//    adds to the figure: the nodes still pending are asked in turn, then 5 ms
//    pass, so a node is seen up to one pause and one sweep of Status calls
//    (poll_sweep_max_ms) after it adopted.
//  - BM_Adoption/median: the median of each figure over the rounds, and
//    max_seconds, the slowest round.
//  - BM_CatchUp/<known|unknown>/<round>: the one-hop catch-up of
//    network_bench's BM_CatchUpOneHop (real sanjid processes, mutual TLS,
//    bench/network_workload.h) of a village backlog whose every record also
//    sets three fields a newer schema adds (AddedFieldsSchemaConfig: an lww
//    text, a counter, a set). The village runs that schema in both runs, so
//    the records and their bytes are the same; only the township's schema
//    differs: the same one (known) or RequestSchemaConfig() (unknown).
//    Rounds alternate known, unknown, known, ... so that a slow stretch of
//    this shared machine falls on both; one warm-up catch-up runs first and
//    is not counted (the village store's first open after the fill).
//  - BM_Median/<known|unknown>: the median over the rounds of each figure.
//    CPU time per record of each process is getrusage's, from its spawn to
//    its exit (StopTree): start and shutdown are in it, the same for both.
//
// Targets: the slowest adoption round (≤ 1 s), and the median records/s
// unknown / known (≥ 0.9).
//
// SANJI_NETWORK_RECORDS: its first backlog (100000 by default);
// SANJI_SCHEMA_ROUNDS: the catch-up rounds of each (5 by default);
// SANJI_ADOPTION_ROUNDS: the publications (10 by default); SANJI_SEED as in
// network_bench.
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "admin.grpc.pb.h"
#include "api.grpc.pb.h"
#include "bench/harness/json_lines_reporter.h"
#include "bench/network_workload.h"
#include "conflict/status_macros.h"
#include "google/protobuf/text_format.h"
#include "tests/integration/cluster.h"

namespace sanji::bench {
namespace {

constexpr char kBench[] = "schema";
constexpr char kKnown[] = "known";
constexpr char kUnknown[] = "unknown";
constexpr char kAdoption[] = "adoption";
// Between two sweeps of Status calls over the nodes still pending: small
// beside the adopter's 100 ms, and few calls on two shared cores.
constexpr auto kAdoptionPollInterval = std::chrono::milliseconds(5);
constexpr auto kAdoptionTimeout = std::chrono::seconds(30);

size_t Records() {
  static const size_t records = BacklogsFromEnv(kBench).front();
  return records;
}

// The positive number in environment variable `name`, else `otherwise`.
int RoundsFromEnv(const char* name, int otherwise) {
  const char* text = std::getenv(name);
  int rounds = 0;
  if (text == nullptr || !absl::SimpleAtoi(text, &rounds) || rounds < 1) return otherwise;
  return rounds;
}

int Rounds() { return RoundsFromEnv("SANJI_SCHEMA_ROUNDS", 5); }
int AdoptionRounds() { return RoundsFromEnv("SANJI_ADOPTION_ROUNDS", 10); }

// One round's counters by name.
using RoundFigures = std::map<std::string, double>;

// The counters of each counted round of `variant`, for BM_Median.
std::vector<RoundFigures>& Counted(const std::string& variant) {
  static auto* counted = new std::map<std::string, std::vector<RoundFigures>>;
  return (*counted)[variant];
}

// That the township read the added fields as the run means it to: a
// receiver's config is only a file, and a schema that did not take would
// make both runs the known one. Reads one record the township received.
absl::Status CheckUnknownFields(Tree& tree, bool known) {
  grpc::ClientContext context;
  integration::PrepareCall(context);
  v1::ListRequest list;
  list.set_collection(kRequests);
  list.set_page_size(1);
  v1::ListResponse page;
  const grpc::Status listed = tree.cluster->Records(kTownship)->List(&context, list, &page);
  if (!listed.ok()) return absl::InternalError(absl::StrCat("list: ", listed.error_message()));
  const int expected = known ? 0 : 3;
  if (page.records_size() != 1 || page.records(0).unknown_fields_size() != expected) {
    return absl::InternalError(absl::StrCat("the township's record holds not ", expected,
                                            " unknown fields: ", page.ShortDebugString()));
  }
  return absl::OkStatus();
}

// One catch-up with the township on the added fields' schema (`known`) or
// on the base schema; counted toward the medians of `variant` unless empty.
void CatchUpBench(benchmark::State& state, bool known, const std::string& variant) {
  const Backlog& backlog = BacklogOf(Records(), kBench, /*added_fields=*/true);
  if (!backlog.status.ok()) return Fail(state, backlog.status);
  Tree tree;
  TreeOptions options;
  options.receiver_schema = known ? AddedFieldsSchemaConfig() : RequestSchemaConfig();
  if (absl::Status built = BuildTree(backlog, options, tree); !built.ok()) {
    return Fail(state, built);
  }
  const absl::StatusOr<CatchUp> run = RunCatchUp(backlog, tree);
  if (!run.ok()) return Fail(state, run.status());
  if (absl::Status checked = CheckUnknownFields(tree, known); !checked.ok()) {
    return Fail(state, checked);
  }
  if (absl::Status stopped = StopTree(tree); !stopped.ok()) return Fail(state, stopped);
  ReportCatchUp(state, backlog, *run, tree);
  if (variant.empty()) return;
  RoundFigures figures;
  for (const auto& [name, counter] : state.counters) figures[name] = counter.value;
  Counted(variant).push_back(std::move(figures));
}

// The demo county's nodes (examples/gutian/), each after its parents.
struct DemoNode {
  std::string id;
  std::vector<std::string> parents;
};
const std::vector<DemoNode>& DemoCounty() {
  static const auto* nodes = new std::vector<DemoNode>{
      {"gutian", {}},
      {"gutian/fengpu", {"gutian"}},
      {"gutian/pingbu", {"gutian"}},
      {"gutian/fengpu/xiaban", {"gutian/fengpu", "gutian"}},
      {"gutian/fengpu/dongkeng", {"gutian/fengpu", "gutian"}},
      {"gutian/fengpu/gaotou", {"gutian/fengpu", "gutian"}},
      {"gutian/pingbu/shangcun", {"gutian/pingbu", "gutian"}},
      {"gutian/pingbu/longtan", {"gutian/pingbu", "gutian"}},
  };
  return *nodes;
}

// 0 for the county, 1 for a township, 2 for a village.
size_t Depth(const std::string& id) {
  return static_cast<size_t>(std::count(id.begin(), id.end(), '/'));
}

// The running county of the adoption rounds: started by the warm-up round,
// stopped by BM_Adoption/median.
struct AdoptionCounty {
  std::unique_ptr<integration::Cluster> cluster;
  v1::SchemaConfig schema;  // the version last published (the config's at first)
  uint64_t version = 0;
};

std::unique_ptr<AdoptionCounty>& RunningCounty() {
  static auto* county = new std::unique_ptr<AdoptionCounty>;
  return *county;
}

absl::StatusOr<std::unique_ptr<AdoptionCounty>> StartCounty() {
  auto county = std::make_unique<AdoptionCounty>();
  county->schema = integration::TestSchema();
  county->cluster = std::make_unique<integration::Cluster>(
      integration::ClusterOptions{.schema = county->schema, .on_error = {}});
  for (const DemoNode& node : DemoCounty()) {
    county->cluster->AddNode(node.id, node.parents, /*leaf=*/Depth(node.id) == 2);
  }
  county->cluster->StartAll();
  SANJI_RETURN_IF_ERROR(county->cluster->error());
  return county;
}

// Publishes, at the county, the version last published plus one lww field
// of service_requests (a compatible change); returns its number.
absl::StatusOr<uint64_t> PublishNext(AdoptionCounty& county) {
  v1::SchemaConfig next = county.schema;
  v1::FieldConfig* field = next.mutable_collections(0)->add_fields();
  field->set_name(absl::StrCat("round_", county.version + 1));
  field->set_kind(v1::FieldConfig::LWW);
  v1::PublishSchemaRequest request;
  google::protobuf::TextFormat::PrintToString(next, request.mutable_text());
  request.set_file_name(absl::StrCat("round-", county.version + 1, ".schema"));
  std::unique_ptr<v1::AdminService::Stub> admin = county.cluster->Admin(kCounty);
  grpc::ClientContext context;
  integration::PrepareCall(context);
  v1::PublishSchemaResponse response;
  const grpc::Status published = admin->PublishSchema(&context, request, &response);
  if (!published.ok()) {
    return absl::InternalError(absl::StrCat("publish ", request.file_name(), " at ", kCounty, ": ",
                                            published.error_message()));
  }
  county.schema = std::move(next);
  county.version = response.version();
  return response.version();
}

// When each node was first seen running `version`, from `published`.
struct Adoption {
  std::map<std::string, double> seconds;  // by node id
  double sweep_max_ms = 0;                // the longest sweep of Status calls
};

// Polls the nodes not yet seen on `version`, in turn, then pauses
// kAdoptionPollInterval, until every node reports it.
absl::StatusOr<Adoption> WaitAdopted(integration::Cluster& cluster, uint64_t version,
                                     Clock::time_point published) {
  std::vector<std::string> pending;
  for (const DemoNode& node : DemoCounty()) pending.push_back(node.id);
  Adoption adoption;
  absl::Status last_error;
  for (;;) {
    const Clock::time_point sweep = Clock::now();
    std::vector<std::string> still;
    for (const std::string& node : pending) {
      const absl::StatusOr<v1::NodeStatus> status = cluster.Status(node);
      const Clock::time_point now = Clock::now();
      if (status.ok() && status->schema_version() >= version) {
        adoption.seconds[node] = Seconds(now - published);
        continue;
      }
      if (!status.ok()) last_error = status.status();
      still.push_back(node);
    }
    adoption.sweep_max_ms = std::max(adoption.sweep_max_ms, 1e3 * Seconds(Clock::now() - sweep));
    pending = std::move(still);
    if (pending.empty()) return adoption;
    if (Clock::now() - published > kAdoptionTimeout) {
      return absl::DeadlineExceededError(absl::StrCat(
          absl::StrJoin(pending, ", "), " did not report schema version ", version,
          " within 30 s of its publication; last Status error: ", last_error.ToString()));
    }
    std::this_thread::sleep_for(kAdoptionPollInterval);
  }
}

// One publication and its adoption by every node; the warm-up round
// (`counted` false) starts the county first.
void AdoptionBench(benchmark::State& state, bool counted) {
  std::unique_ptr<AdoptionCounty>& county = RunningCounty();
  if (county == nullptr) {
    if (counted) {
      return Fail(state, absl::FailedPreconditionError("the warm-up round did not start a county"));
    }
    absl::StatusOr<std::unique_ptr<AdoptionCounty>> started = StartCounty();
    if (!started.ok()) return Fail(state, started.status());
    county = std::move(*started);
  }
  const absl::StatusOr<uint64_t> version = PublishNext(*county);
  if (!version.ok()) return Fail(state, version.status());
  const Clock::time_point published = Clock::now();
  const absl::StatusOr<Adoption> adoption = WaitAdopted(*county->cluster, *version, published);
  if (!adoption.ok()) return Fail(state, adoption.status());
  std::vector<double> by_depth(3, 0.0);
  for (const auto& [node, seconds] : adoption->seconds) {
    by_depth[Depth(node)] = std::max(by_depth[Depth(node)], seconds);
  }
  const double all = *std::max_element(by_depth.begin(), by_depth.end());
  for (auto _ : state) state.SetIterationTime(all);
  state.counters["seconds"] = all;
  state.counters["county_seconds"] = by_depth[0];
  state.counters["townships_seconds"] = by_depth[1];
  state.counters["villages_seconds"] = by_depth[2];
  state.counters["poll_sweep_max_ms"] = adoption->sweep_max_ms;
  state.counters["version"] = static_cast<double>(*version);
  if (!counted) return;
  RoundFigures figures;
  for (const auto& [name, counter] : state.counters) figures[name] = counter.value;
  Counted(kAdoption).push_back(std::move(figures));
}

void MedianBench(benchmark::State& state, const std::string& variant) {
  const std::vector<RoundFigures>& rounds = Counted(variant);
  if (rounds.empty()) {
    return Fail(state, absl::FailedPreconditionError(absl::StrCat("no ", variant, " round ran")));
  }
  std::map<std::string, std::vector<double>> values;
  for (const RoundFigures& round : rounds) {
    for (const auto& [name, value] : round) values[name].push_back(value);
  }
  for (auto _ : state) state.SetIterationTime(Quantile(values["seconds"], 0.5));
  for (const auto& [name, series] : values) state.counters[name] = Quantile(series, 0.5);
  state.counters["rounds"] = static_cast<double>(rounds.size());
}

// The medians of the adoption rounds, the slowest round (the target's
// figure), and the county stopped, before any catch-up starts.
void AdoptionMedianBench(benchmark::State& state) {
  MedianBench(state, kAdoption);
  double slowest = 0;
  for (const RoundFigures& round : Counted(kAdoption)) {
    slowest = std::max(slowest, round.at("seconds"));
  }
  state.counters["max_seconds"] = slowest;
  std::unique_ptr<AdoptionCounty>& county = RunningCounty();
  if (county == nullptr) return;
  for (const DemoNode& node : DemoCounty()) {
    if (const int code = county->cluster->Stop(node.id); code != 0) {
      Fail(state, absl::InternalError(absl::StrCat(node.id, " exited with ", code)));
    }
  }
  county.reset();
}

SANJI_BENCH_INIT(SchemaBenchmarks) {
  SetBenchName(kBench);
  // This process only calls (see bench/network_bench.cc): gRPC 1.51 drives a
  // connecting channel from its backup poller. Before gRPC starts.
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "10", /*overwrite=*/0);
  Manual(benchmark::RegisterBenchmark("BM_Adoption/warmup", [](benchmark::State& state) {
    AdoptionBench(state, /*counted=*/false);
  }));
  for (int round = 1; round <= AdoptionRounds(); ++round) {
    Manual(benchmark::RegisterBenchmark(
        absl::StrCat("BM_Adoption/", round).c_str(),
        [](benchmark::State& state) { AdoptionBench(state, /*counted=*/true); }));
  }
  Manual(benchmark::RegisterBenchmark("BM_Adoption/median", AdoptionMedianBench));
  Manual(benchmark::RegisterBenchmark("BM_CatchUp/warmup", [](benchmark::State& state) {
    CatchUpBench(state, /*known=*/true, /*variant=*/"");
  }));
  for (int round = 1; round <= Rounds(); ++round) {
    for (const bool known : {true, false}) {
      const std::string variant = known ? kKnown : kUnknown;
      Manual(benchmark::RegisterBenchmark(
          absl::StrCat("BM_CatchUp/", variant, "/", round).c_str(),
          [known, variant](benchmark::State& state) { CatchUpBench(state, known, variant); }));
    }
  }
  for (const char* variant : {kKnown, kUnknown}) {
    Manual(benchmark::RegisterBenchmark(
        absl::StrCat("BM_Median/", variant).c_str(),
        [variant](benchmark::State& state) { MedianBench(state, variant); }));
  }
  SetCounterUnit("records", "records");
  SetCounterUnit("rounds", "runs");
  SetCounterUnit("records_per_s", "records/s");
  SetCounterUnitBySuffix("_seconds", "s");
  SetCounterUnit("seconds", "s");
  SetCounterUnitBySuffix("_bytes_per_record", "B");
  SetCounterUnitBySuffix("_peak_rss_mb", "MB");
  SetCounterUnitBySuffix("_cpu_us_per_record", "us");
  SetCounterUnitBySuffix("_ms", "ms");
  SetCounterUnit("version", "count");
}

SANJI_BENCH_INIT(SchemaTargets) {
  // The "≤ 1 s after publish" holds for each publication: the
  // slowest round, not the median.
  AddTarget("schema_adoption_8_nodes_s", ManualRunMetric("BM_Adoption/median", "max_seconds"), 1.0,
            Goal::kAtMost);
  AddComputedTarget("catch-up with three unknown fields vs known",
                    Ratio(ManualRunMetric("BM_Median/unknown", "records_per_s"),
                          ManualRunMetric("BM_Median/known", "records_per_s")),
                    0.9, Goal::kAtLeast);
}

}  // namespace
}  // namespace sanji::bench
