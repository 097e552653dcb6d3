// The network benchmarks (issue 5; ARCHITECTURE.md §1, §3, §6): real sanjid
// processes on loopback, mutual TLS, real LevelDB stores, started by the
// integration tests' cluster harness (tests/integration/cluster.h), through
// the machinery of bench/network_workload.h.
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
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/engine_workload.h"
#include "bench/harness/json_lines_reporter.h"
#include "bench/network_workload.h"

namespace sanji::bench {
namespace {

constexpr int kLiveWrites = 2000;
constexpr int kLiveRate = 100;  // writes/s

constexpr char kBench[] = "network";

std::vector<size_t> Backlogs() {
  static const std::vector<size_t> backlogs = BacklogsFromEnv(kBench);
  return backlogs;
}

// --- Catch-up ----------------------------------------------------------------

void CatchUpBench(benchmark::State& state, size_t records, bool two_hops) {
  const Backlog& backlog = BacklogOf(records, kBench);
  if (!backlog.status.ok()) return Fail(state, backlog.status);
  Tree tree;
  if (absl::Status built = BuildTree(backlog, {.two_hops = two_hops}, tree); !built.ok()) {
    return Fail(state, built);
  }
  const absl::StatusOr<CatchUp> run = RunCatchUp(backlog, tree);
  if (!run.ok()) return Fail(state, run.status());
  if (absl::Status stopped = StopTree(tree); !stopped.ok()) return Fail(state, stopped);
  ReportCatchUp(state, backlog, *run, tree);
}

// --- Compression -------------------------------------------------------------

void CompressionBench(benchmark::State& state, v1::ParentConfig::Compression compression) {
  const Backlog& backlog = BacklogOf(Backlogs().front(), kBench);
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
  ReportCatchUp(state, backlog, *run, tree);
  const double records = static_cast<double>(backlog.counter);
  state.counters["tcp_bytes_per_record"] = (up + down) / records;
  state.counters["tcp_up_bytes_per_record"] = up / records;
  state.counters["tcp_down_bytes_per_record"] = down / records;
}

// --- Live propagation ----------------------------------------------------------

void BM_LiveTwoHops(benchmark::State& state) {
  const Backlog& backlog = BacklogOf(Backlogs().front(), kBench);
  if (!backlog.status.ok()) return Fail(state, backlog.status);
  Tree tree;
  if (absl::Status built = BuildTree(backlog, {.two_hops = true}, tree); !built.ok()) {
    return Fail(state, built);
  }
  if (absl::StatusOr<CatchUp> run = RunCatchUp(backlog, tree); !run.ok()) {
    return Fail(state, run.status());
  }
  const absl::StatusOr<std::vector<double>> live =
      MeasureLive(tree, kLiveWrites, std::chrono::microseconds(1'000'000 / kLiveRate));
  if (!live.ok()) return Fail(state, live.status());
  if (absl::Status stopped = StopTree(tree); !stopped.ok()) return Fail(state, stopped);
  const std::vector<double>& millis = *live;
  for (auto _ : state) state.SetIterationTime(Quantile(millis, 0.5) / 1e3);
  state.counters["writes"] = kLiveWrites;
  state.counters["received"] = static_cast<double>(millis.size());
  state.counters["p50_ms"] = Quantile(millis, 0.5);
  state.counters["p90_ms"] = Quantile(millis, 0.9);
  state.counters["p99_ms"] = Quantile(millis, 0.99);
  state.counters["max_ms"] = *std::max_element(millis.begin(), millis.end());
}

// --- Registration ----------------------------------------------------------------

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
    SetCounterUnit(absl::StrCat(node, "_cpu_us_per_record"), "us");
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
