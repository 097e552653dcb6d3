// The machinery of the benchmarks that run real sanjid processes on loopback
// with mutual TLS (bench/network_bench.cc, issue 5; bench/compare_bench.cc,
// issue 7), started by the integration tests' cluster harness
// (tests/integration/cluster.h):
//  - a village store holding a backlog of its own ~300-byte service requests
//    (bench/engine_workload.h), written before its sanjid starts, made once
//    per size and reused by every run (a fresh receiver lacks all of it);
//  - a tree of sanjid processes above it (township, or township and county),
//    the village optionally dialing through a CountingProxy;
//  - the catch-up of a tree, timed from the village's spawn until the top
//    node's knowledge (AdminService.Status) covers the village's counter;
//  - live propagation: paced puts at the village received by a Watch at the
//    top node, latency on one clock in this process.
//
// Thread-safety: thread-compatible; one benchmark thread drives a tree.
#ifndef SANJI_BENCH_NETWORK_WORKLOAD_H_
#define SANJI_BENCH_NETWORK_WORKLOAD_H_

#include <benchmark/benchmark.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "admin.pb.h"
#include "bench/counting_proxy.h"
#include "bench/engine_workload.h"
#include "bench/storage_workload.h"
#include "config.pb.h"
#include "tests/integration/cluster.h"

namespace sanji::bench {

using Clock = std::chrono::steady_clock;

inline constexpr char kCounty[] = "gutian";

double Seconds(Clock::duration duration);

// Marks the run failed with `status`.
void Fail(benchmark::State& state, const absl::Status& status);

// "100k", "1m", or the number.
std::string SizeName(size_t records);

// One iteration, manual time in milliseconds: how every run of these
// benchmarks is registered (each run is one catch-up, timed by hand).
benchmark::internal::Benchmark* Manual(benchmark::internal::Benchmark* bench);

// Every node's schema: the workload's service_requests.
v1::SchemaConfig RequestSchemaConfig();
// service_requests as a newer schema has it (issue 16): three more fields,
// one lww text, one counter and one set, so that a receiver on
// RequestSchemaConfig() keeps one field of each payload it cannot check.
v1::SchemaConfig AddedFieldsSchemaConfig();

// The backlogs SANJI_NETWORK_RECORDS lists ("100000,1000000" when unset),
// printed to stderr once, naming `bench`.
std::vector<size_t> BacklogsFromEnv(const char* bench);

// A village store holding `records` of its own writes.
struct Backlog {
  BenchDir dir;
  std::string path;
  // What the village writes and runs with.
  v1::SchemaConfig schema;
  uint64_t counter = 0;  // the village's, once filled
  double fill_seconds = 0;
  absl::Status status;
};

// The backlog of `records`, filled on first use (seed WorkloadSeed(bench),
// the fill time printed to stderr) and kept until the process exits. With
// `added_fields`, its schema is AddedFieldsSchemaConfig() and every record
// also sets the three added fields (to the same values: the records differ
// in the base fields only).
Backlog& BacklogOf(size_t records, const char* bench, bool added_fields = false);

// The highest counter of `node_id`'s origin that `status` knows.
uint64_t KnownCounter(const v1::NodeStatus& status, const std::string& node_id);

// The peak resident set (VmHWM) of process `pid` in KiB, or -1.
int64_t PeakRssKiB(pid_t pid);

// One tree of sanjid processes above the village of a backlog: the
// township alone, or the township and the county.
struct Tree {
  std::unique_ptr<integration::Cluster> cluster = std::make_unique<integration::Cluster>(
      integration::ClusterOptions{.schema = RequestSchemaConfig(), .on_error = {}});
  // Between the village and the township, if asked for.
  std::unique_ptr<CountingProxy> proxy;
  bool two_hops = false;
  std::string top() const { return two_hops ? kCounty : kTownship; }
  std::vector<std::string> nodes() const;
  // Each node's CPU time (user + system), from its spawn to its exit, by
  // node id: filled by StopTree.
  std::map<std::string, double> cpu_seconds;
};

struct TreeOptions {
  bool two_hops = false;
  v1::ParentConfig::Compression compression = v1::ParentConfig::COMPRESSION_AUTO;
  bool proxy = false;
  // The schema of every node above the village; the backlog's if unset.
  std::optional<v1::SchemaConfig> receiver_schema = std::nullopt;
};

// Adds the nodes, starts every receiver, and writes the village's config
// (its data_dir the backlog's, its parent the township or the proxy).
absl::Status BuildTree(const Backlog& backlog, const TreeOptions& options, Tree& tree);

// Polls `node` every 2 ms until it knows the village's counter `counter`;
// returns when it did.
absl::StatusOr<Clock::time_point> WaitKnows(integration::Cluster& cluster, const std::string& node,
                                            uint64_t counter, Clock::time_point deadline);

struct CatchUp {
  double seconds = 0;            // until the top node knows the backlog
  double first_hop_seconds = 0;  // until the township does
  v1::LinkStatus village_link;
  std::map<std::string, int64_t> peak_rss_kib;  // by node id
};

// Starts the village and times its catch-up to the top of `tree` (at most
// five minutes).
absl::StatusOr<CatchUp> RunCatchUp(const Backlog& backlog, Tree& tree);

// Reports one catch-up of `backlog` through `tree` as the run's manual time
// and counters: records/s, the times, link bytes per record, each node's
// peak resident set and, once StopTree filled them, CPU µs per record.
void ReportCatchUp(benchmark::State& state, const Backlog& backlog, const CatchUp& run,
                   const Tree& tree);

// Stops every node with SIGTERM and records its CPU time in
// tree.cpu_seconds (getrusage(RUSAGE_CHILDREN) across its reaping: this
// process must reap no other child meanwhile); an unclean exit is an error.
absl::Status StopTree(Tree& tree);

// The q-quantile (0..1) of `values`. REQUIRES: `values` is not empty.
double Quantile(std::vector<double> values, double q);

// Live propagation through a caught-up `tree`: `writes` puts at the village,
// one every `interval` (RecordService.Put, ~150 bytes of Chinese text),
// each timed from the put's start until a Watch at the top node delivers
// it. Returns the latencies in milliseconds of those that arrived within
// two seconds after the last put; an error if none did.
absl::StatusOr<std::vector<double>> MeasureLive(Tree& tree, int writes,
                                                std::chrono::microseconds interval);

}  // namespace sanji::bench

#endif  // SANJI_BENCH_NETWORK_WORKLOAD_H_
