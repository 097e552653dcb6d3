// The main() shared by every Sanji benchmark binary (linked in through
// sanji_bench_harness): runs the registered benchmarks with a JsonLinesReporter,
// JSON lines to stdout and a console table to stderr.
//
// Exit status: 0 on success, 1 on an unrecognized flag or a benchmark error.
// Unmet targets do not fail the run: they are reported as "met":false.

#include <unistd.h>

#include <iostream>
#include <memory>

#include "bench/harness/json_lines_reporter.h"

namespace {

std::unique_ptr<benchmark::BenchmarkReporter> MakeStderrConsole() {
  const auto options = isatty(STDERR_FILENO) ? benchmark::ConsoleReporter::OO_Defaults
                                             : benchmark::ConsoleReporter::OO_Tabular;
  auto console = std::make_unique<benchmark::ConsoleReporter>(options);
  console->SetOutputStream(&std::cerr);
  console->SetErrorStream(&std::cerr);
  return console;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  sanji::bench::JsonLinesReporter reporter(MakeStderrConsole());
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return reporter.had_errors() ? 1 : 0;
}
