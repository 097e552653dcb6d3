// JSON-lines reporting for Sanji benchmarks, and the targets they are held to.
//
// Every benchmark binary links sanji_bench_harness, whose main() runs the
// registered Google Benchmark functions with a JsonLinesReporter. On stdout, and
// only there, it prints one JSON object per line:
//
//   {"bench":"crdt","metric":"BM_Join/10","value":812.5,"unit":"ns"}
//   {"bench":"crdt","metric":"BM_Join/10/bytes","value":96,"unit":"B"}
//   {"target":"join_10field_ns","value":812.5,"goal":1000,"met":true}
//
// - one line per benchmark run: real time per iteration in nanoseconds; metric
//   is Google Benchmark's run name (with "_mean"/"_median"/... for aggregates
//   when --benchmark_repetitions is used);
// - one line per user counter of that run: metric "<run name>/<counter name>",
//   value as Google Benchmark reports it (rates already divided by time), unit
//   from SetCounterUnit(), else "B/s"/"items/s" for the built-in rate counters,
//   "count/s" for other rate counters and "count" for the rest;
// - after all runs, one line per target in registration order. "value" is null
//   and "met" false when the metric was not measured (e.g. filtered out).
//
// Human-readable output (context, a console table) goes to stderr. Command-line
// --benchmark_* flags work as usual; --benchmark_format is ignored because the
// display format is fixed, but --benchmark_out/--benchmark_out_format still
// write a file. The binary exits 1 if a benchmark reported an error.
//
// Writing a benchmark: define BENCHMARK(...) functions as usual (no main(): the
// harness owns it), and register names, units and targets during static
// initialization, which SANJI_BENCH_INIT makes easy:
//
//   SANJI_BENCH_INIT(CrdtTargets) {
//     sanji::bench::SetBenchName("crdt");  // optional: defaults to the NAME
//                                          // given to sanji_add_benchmark()
//     sanji::bench::SetCounterUnit("bytes", "B");
//     sanji::bench::AddTarget("join_10field_ns", "BM_Join/10", 1000,
//                             sanji::bench::Goal::kAtMost);
//   }
//
// Thread-safety: the registration functions are not thread-safe; call them
// only from static initializers (which run on one thread, before main()).
// Google Benchmark calls the reporter from its driving thread only.

#ifndef SANJI_BENCH_HARNESS_JSON_LINES_REPORTER_H_
#define SANJI_BENCH_HARNESS_JSON_LINES_REPORTER_H_

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sanji::bench {

// How a target's value compares with its goal for "met" to be true.
enum class Goal {
  kAtMost,   // value <= goal (latencies, sizes)
  kAtLeast,  // value >= goal (throughputs)
};

// The figures collected from every run so far, by metric name (the "metric"
// field of the JSON lines). With repetitions, a plain run name holds the last
// repetition; use the "_mean"/"_median" aggregate names for stable targets.
class Figures {
 public:
  // Returns the value of `metric`, or nullopt if it was not measured.
  std::optional<double> Get(std::string_view metric) const;

  // Records `value` for `metric`, replacing any earlier value.
  void Set(std::string metric, double value) { values_[std::move(metric)] = value; }

 private:
  std::map<std::string, double, std::less<>> values_;
};

// Computes a target's value from the figures; nullopt if an input is missing.
using TargetFn = std::function<std::optional<double>(const Figures&)>;

// Sets the "bench" field of every line. Without it, the harness uses the
// executable's name minus a trailing "_bench" (sanji_add_benchmark(NAME crdt)
// builds crdt_bench, so the default is "crdt").
void SetBenchName(std::string name);

// Sets the "unit" printed for user counters named `counter` (e.g. "B", "ops/s").
void SetCounterUnit(std::string counter, std::string unit);
// Sets the unit of every user counter whose name ends with `suffix` and has
// no unit of its own from SetCounterUnit; the longest such suffix wins. For
// counters named at run time ("sanji_p99_ms", "pouchdb_p99_ms").
void SetCounterUnitBySuffix(std::string suffix, std::string unit);

// Registers a target whose value is the figure of `metric`: a run name such
// as "BM_Join/10" (ns per iteration) or "BM_Join/10/bytes" (a counter).
// REQUIRES: `name` is unique among targets.
void AddTarget(std::string name, std::string metric, double goal, Goal goal_kind);

// Registers a target whose value `compute` derives from the figures, e.g. a
// ratio of two runs. `compute` runs once, after all benchmarks.
// REQUIRES: `name` is unique among targets; `compute` is callable.
void AddComputedTarget(std::string name, TargetFn compute, double goal, Goal goal_kind);

// The seed of a benchmark's random workload: SANJI_SEED if set, else a fixed
// default; printed to stderr once, naming `bench`, so a run can be replayed.
uint64_t WorkloadSeed(const char* bench);

// `s` as a JSON string: quoted, with quotes, backslashes and control
// characters escaped (UTF-8 passes through).
std::string JsonString(std::string_view s);

// The metric name of counter `counter` of a run with Iterations(1) and
// UseManualTime(), as the reporter names it: "<run>/iterations:1/manual_time/<counter>".
std::string ManualRunMetric(const std::string& run, const std::string& counter);
// numerator / denominator; nullopt if either is missing or the denominator is 0.
TargetFn Ratio(std::string numerator, std::string denominator);
// metric * factor (a unit change); nullopt if the metric is missing.
TargetFn Scaled(std::string metric, double factor);

// A Google Benchmark reporter that writes the JSON lines described above to
// its output stream (std::cout unless SetOutputStream() says otherwise) and,
// if `human` is not null, forwards every call to it for a readable view
// (typically a ConsoleReporter writing to stderr). Context goes to the error
// stream when there is no `human`.
// Thread-compatible: Google Benchmark calls it from one thread.
class JsonLinesReporter : public benchmark::BenchmarkReporter {
 public:
  // REQUIRES: `human`, if given, does not write to this reporter's output stream.
  explicit JsonLinesReporter(std::unique_ptr<benchmark::BenchmarkReporter> human = nullptr);

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  // Prints the target lines. Google Benchmark calls it once after all runs.
  void Finalize() override;

  // True if some run reported an error (SkipWithError).
  bool had_errors() const { return had_errors_; }

 private:
  void ReportRun(const Run& run);
  void PrintMetric(const std::string& metric, double value, std::string_view unit);

  std::string bench_name_;
  std::unique_ptr<benchmark::BenchmarkReporter> human_;
  Figures figures_;
  bool had_errors_ = false;
};

}  // namespace sanji::bench

// Defines a function body that runs during static initialization, for
// registering names, units and targets at namespace scope in a benchmark file:
//   SANJI_BENCH_INIT(MyTargets) { sanji::bench::AddTarget(...); }
// `id` must be unique within the file.
#define SANJI_BENCH_INIT(id)                                             \
  static void SanjiBenchInit_##id();                                     \
  [[maybe_unused]] static const bool sanji_bench_init_##id##_done = [] { \
    SanjiBenchInit_##id();                                               \
    return true;                                                         \
  }();                                                                   \
  static void SanjiBenchInit_##id()

#endif  // SANJI_BENCH_HARNESS_JSON_LINES_REPORTER_H_
