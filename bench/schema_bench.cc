// The schema benchmark (issue 16, "Benchmarks"; ARCHITECTURE.md §3): what a
// receiver pays for fields its schema does not know, which it keeps and
// relays as they came (conflict/record.h, CheckAgainst) instead of checking
// them against a type.
//
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
// The target line is the median records/s unknown / known (≥ 0.9). The
// issue's other target, a published schema adopted by the 8 demo nodes within
// 1 s, is not measured: schema publication does not exist yet.
//
// SANJI_NETWORK_RECORDS: its first backlog (100000 by default);
// SANJI_SCHEMA_ROUNDS: the rounds of each (5 by default); SANJI_SEED as in
// network_bench.
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api.grpc.pb.h"
#include "bench/harness/json_lines_reporter.h"
#include "bench/network_workload.h"
#include "tests/integration/cluster.h"

namespace sanji::bench {
namespace {

constexpr char kBench[] = "schema";
constexpr char kKnown[] = "known";
constexpr char kUnknown[] = "unknown";

size_t Records() {
  static const size_t records = BacklogsFromEnv(kBench).front();
  return records;
}

int Rounds() {
  const char* text = std::getenv("SANJI_SCHEMA_ROUNDS");
  int rounds = 0;
  if (text == nullptr || !absl::SimpleAtoi(text, &rounds) || rounds < 1) return 5;
  return rounds;
}

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

SANJI_BENCH_INIT(SchemaBenchmarks) {
  SetBenchName(kBench);
  // This process only calls (see bench/network_bench.cc): gRPC 1.51 drives a
  // connecting channel from its backup poller. Before gRPC starts.
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "10", /*overwrite=*/0);
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
}

SANJI_BENCH_INIT(SchemaTargets) {
  AddComputedTarget("catch-up with three unknown fields vs known",
                    Ratio(ManualRunMetric("BM_Median/unknown", "records_per_s"),
                          ManualRunMetric("BM_Median/known", "records_per_s")),
                    0.9, Goal::kAtLeast);
}

}  // namespace
}  // namespace sanji::bench
