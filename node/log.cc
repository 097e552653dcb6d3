#include "node/log.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/support/log.h"

namespace sanji::node {
namespace {

std::string& NodeId() {
  static std::string* node_id = new std::string("-");
  return *node_id;
}

char LevelLetter(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return 'I';
    case LogLevel::kWarning:
      return 'W';
    case LogLevel::kError:
      return 'E';
  }
  return '?';
}

}  // namespace

void SetLogNodeId(std::string node_id) { NodeId() = std::move(node_id); }

void LogLine(LogLevel level, absl::string_view message) {
  // One event, one line: a message quoting a peer's text must not break it.
  std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone()), " ",
                   NodeId(), " ", std::string(1, LevelLetter(level)), " ",
                   absl::StrReplaceAll(message, {{"\n", "\\n"}, {"\r", "\\r"}}), "\n");
  // A single write(2) of the whole line keeps lines of concurrent threads
  // (and of processes sharing a terminal) from interleaving.
  const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
  (void)written;
}

void RouteGrpcLogs() {
  gpr_set_log_function([](gpr_log_func_args* args) {
    if (absl::StartsWith(args->message, "No match found for server name")) return;
    LogLine(args->severity == GPR_LOG_SEVERITY_ERROR ? LogLevel::kError : LogLevel::kInfo,
            absl::StrCat("grpc ", args->file, ":", args->line, ": ", args->message));
  });
}

void RouteProtobufLogs() {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
        LogLine(level >= google::protobuf::LOGLEVEL_ERROR ? LogLevel::kError : LogLevel::kWarning,
                absl::StrCat("protobuf ", file, ":", line, ": ", message));
      });
}

}  // namespace sanji::node
