#include "bench/harness/json_lines_reporter.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace sanji::bench {
namespace {

struct Target {
  std::string name;
  TargetFn compute;
  double goal;
  Goal goal_kind;
};

// What benchmark files register before the runs start.
struct Registry {
  std::optional<std::string> bench_name;
  std::map<std::string, std::string, std::less<>> counter_units;
  std::map<std::string, std::string, std::less<>> suffix_units;
  std::vector<Target> targets;
};

// A function-local static, so registration from other files' static
// initializers is safe whatever their order.
Registry& GetRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

// Shortest round-trip form; JSON has no NaN or infinity, so those are null.
std::string JsonNumber(std::optional<double> v) {
  if (!v.has_value() || !std::isfinite(*v)) return "null";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), *v);
  return ec == std::errc() ? std::string(buf, end) : "null";
}

// "/usr/x/build/bench/crdt_bench" -> "crdt".
std::string BenchNameFromExecutable(std::string_view path) {
  std::string_view base = path.substr(path.find_last_of('/') + 1);
  constexpr std::string_view kSuffix = "_bench";
  if (base.size() > kSuffix.size() && base.ends_with(kSuffix)) {
    base.remove_suffix(kSuffix.size());
  }
  return std::string(base);
}

bool IsRatio(const benchmark::BenchmarkReporter::Run& run) {
  return run.report_rms || (run.run_type == benchmark::BenchmarkReporter::Run::RT_Aggregate &&
                            run.aggregate_unit == benchmark::kPercentage);
}

std::string CounterUnit(const std::string& name, const benchmark::Counter& counter) {
  const Registry& registry = GetRegistry();
  if (auto it = registry.counter_units.find(name); it != registry.counter_units.end()) {
    return it->second;
  }
  const std::string* by_suffix = nullptr;
  size_t longest = 0;
  for (const auto& [suffix, unit] : registry.suffix_units) {
    if (suffix.size() > longest && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      by_suffix = &unit;
      longest = suffix.size();
    }
  }
  if (by_suffix != nullptr) return *by_suffix;
  if (name == "bytes_per_second") return "B/s";
  if (name == "items_per_second") return "items/s";
  if (counter.flags & benchmark::Counter::kIsRate) {
    return (counter.flags & benchmark::Counter::kInvert) ? "s/count" : "count/s";
  }
  return "count";
}

}  // namespace

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::optional<double> Figures::Get(std::string_view metric) const {
  auto it = values_.find(metric);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

void SetBenchName(std::string name) { GetRegistry().bench_name = std::move(name); }

void SetCounterUnit(std::string counter, std::string unit) {
  GetRegistry().counter_units[std::move(counter)] = std::move(unit);
}

void SetCounterUnitBySuffix(std::string suffix, std::string unit) {
  GetRegistry().suffix_units[std::move(suffix)] = std::move(unit);
}

void AddTarget(std::string name, std::string metric, double goal, Goal goal_kind) {
  TargetFn compute = [metric = std::move(metric)](const Figures& figures) {
    return figures.Get(metric);
  };
  AddComputedTarget(std::move(name), std::move(compute), goal, goal_kind);
}

void AddComputedTarget(std::string name, TargetFn compute, double goal, Goal goal_kind) {
  GetRegistry().targets.push_back({std::move(name), std::move(compute), goal, goal_kind});
}

JsonLinesReporter::JsonLinesReporter(std::unique_ptr<benchmark::BenchmarkReporter> human)
    : human_(std::move(human)) {}

bool JsonLinesReporter::ReportContext(const Context& context) {
  const Registry& registry = GetRegistry();
  bench_name_ = registry.bench_name.has_value()
                    ? *registry.bench_name
                    : BenchNameFromExecutable(Context::executable_name ? Context::executable_name
                                                                       : "unnamed");
  if (human_ != nullptr) return human_->ReportContext(context);
  PrintBasicContext(&GetErrorStream(), context);
  return true;
}

void JsonLinesReporter::ReportRuns(const std::vector<Run>& runs) {
  if (human_ != nullptr) human_->ReportRuns(runs);
  for (const Run& run : runs) ReportRun(run);
  GetOutputStream().flush();
}

void JsonLinesReporter::ReportRun(const Run& run) {
  const std::string metric = run.benchmark_name();
  if (run.error_occurred) {
    had_errors_ = true;
    GetErrorStream() << "benchmark " << metric << " failed: " << run.error_message << "\n";
    return;
  }
  const bool ratio = IsRatio(run);
  // Percentages and RMS are stored unscaled; times in `time_unit` per iteration.
  const double value =
      ratio ? run.real_accumulated_time
            : run.GetAdjustedRealTime() * 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
  PrintMetric(metric, value, ratio ? "ratio" : "ns");
  for (const auto& [name, counter] : run.counters) {
    PrintMetric(metric + "/" + name, counter.value, ratio ? "ratio" : CounterUnit(name, counter));
  }
}

void JsonLinesReporter::PrintMetric(const std::string& metric, double value,
                                    std::string_view unit) {
  figures_.Set(metric, value);
  GetOutputStream() << "{\"bench\":" << JsonString(bench_name_)
                    << ",\"metric\":" << JsonString(metric) << ",\"value\":" << JsonNumber(value)
                    << ",\"unit\":" << JsonString(unit) << "}\n";
}

void JsonLinesReporter::Finalize() {
  if (human_ != nullptr) human_->Finalize();
  for (const Target& target : GetRegistry().targets) {
    const std::optional<double> value = target.compute(figures_);
    const bool met =
        value.has_value() &&
        (target.goal_kind == Goal::kAtMost ? *value <= target.goal : *value >= target.goal);
    GetOutputStream() << "{\"target\":" << JsonString(target.name)
                      << ",\"value\":" << JsonNumber(value)
                      << ",\"goal\":" << JsonNumber(target.goal)
                      << ",\"met\":" << (met ? "true" : "false") << "}\n";
  }
  GetOutputStream().flush();
}

uint64_t WorkloadSeed(const char* bench) {
  static const uint64_t seed = [bench] {
    const char* text = std::getenv("SANJI_SEED");
    const uint64_t value = text != nullptr ? std::strtoull(text, nullptr, 10) : 20261128;
    std::fprintf(stderr, "%s bench seed %llu (SANJI_SEED replays)\n", bench,
                 static_cast<unsigned long long>(value));
    return value;
  }();
  return seed;
}

std::string ManualRunMetric(const std::string& run, const std::string& counter) {
  return run + "/iterations:1/manual_time/" + counter;
}

TargetFn Ratio(std::string numerator, std::string denominator) {
  return [numerator, denominator](const Figures& figures) -> std::optional<double> {
    const std::optional<double> top = figures.Get(numerator);
    const std::optional<double> bottom = figures.Get(denominator);
    if (!top.has_value() || !bottom.has_value() || *bottom == 0) return std::nullopt;
    return *top / *bottom;
  };
}

TargetFn Scaled(std::string metric, double factor) {
  return [metric, factor](const Figures& figures) -> std::optional<double> {
    const std::optional<double> value = figures.Get(metric);
    if (!value.has_value()) return std::nullopt;
    return *value * factor;
  };
}

}  // namespace sanji::bench
