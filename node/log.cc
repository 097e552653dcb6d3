#include "node/log.h"

#include <unistd.h>

#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/support/log.h"
#include "node/grpc_log_line.h"
#include "node/repeat_throttle.h"

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

// TLS handshake failures that gRPC logged, by cause. Leaked, as NodeId():
// gRPC may log from its threads while the process exits.
//
// Why no peer address: in gRPC 1.51 the only line about a failed handshake
// is written by tsi's OpenSSL wrapper, which has no endpoint; the server's
// handshake manager and chttp2 listener log the failure only at DEBUG and
// without the peer either. No public hook sees a connection before its
// handshake succeeds: the custom certificate verifier
// (TlsCustomVerificationCheckRequest) gets the certificate but no address,
// and runs only for chains OpenSSL accepted; AuthMetadataProcessor, server
// interceptors and channelz see established connections only; and
// grpc_server_add_channel_from_fd, which would let the node accept sockets
// itself, takes insecure credentials only.
class TlsRefusals {
 public:
  // What to log for a failure of `cause` at `now`: its repeats now due, and
  // the failure itself if it opens an episode.
  std::vector<std::string> Add(const std::string& cause, absl::Time now) {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> lines = Describe(throttle_.Due(now));
    if (throttle_.Add(cause, now)) {
      lines.push_back(absl::StrCat("TLS handshake refused: ", cause,
                                   "; peer address unknown (gRPC does not report it); repeats "
                                   "are counted and reported at most once every ",
                                   absl::FormatDuration(kInterval)));
    }
    return lines;
  }
  std::vector<std::string> Due(absl::Time now) {
    absl::MutexLock lock(&mu_);
    return Describe(throttle_.Due(now));
  }
  std::vector<std::string> Flush(absl::Time now) {
    absl::MutexLock lock(&mu_);
    return Describe(throttle_.Flush(now));
  }

 private:
  static constexpr absl::Duration kInterval = absl::Seconds(kTlsRefusalReportIntervalSeconds);

  static std::vector<std::string> Describe(const std::vector<RepeatThrottle::Repeats>& repeats) {
    std::vector<std::string> lines;
    for (const RepeatThrottle::Repeats& r : repeats) {
      lines.push_back(absl::StrCat("TLS handshake refused ", r.count,
                                   r.count == 1 ? " more time" : " more times", " in the last ",
                                   absl::ToInt64Seconds(r.over), "s: ", r.key));
    }
    return lines;
  }

  absl::Mutex mu_;
  RepeatThrottle throttle_ ABSL_GUARDED_BY(mu_){kInterval};
};

TlsRefusals& Refusals() {
  static TlsRefusals* refusals = new TlsRefusals;
  return *refusals;
}

void LogWarnings(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) LogLine(LogLevel::kWarning, line);
}

void OnGrpcLog(gpr_log_func_args* args) {
  if (absl::StartsWith(args->message, "No match found for server name")) return;
  if (std::optional<std::string> cause = TlsHandshakeFailureCause(args->message)) {
    LogWarnings(Refusals().Add(*cause, absl::Now()));
    return;
  }
  LogLine(args->severity == GPR_LOG_SEVERITY_ERROR ? LogLevel::kError : LogLevel::kInfo,
          absl::StrCat("grpc ", args->file, ":", args->line, ": ", args->message));
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
  gpr_set_log_function(OnGrpcLog);
  // Reports the repeats of an episode that stopped, which no later failure
  // would bring out. Detached: it only logs, and the process may end at any
  // time (every object it uses is leaked).
  std::thread([] {
    for (;;) {
      absl::SleepFor(absl::Seconds(kTlsRefusalReportIntervalSeconds) / 6);
      LogWarnings(Refusals().Due(absl::Now()));
    }
  }).detach();
}

void FlushRepeatedGrpcLogs() { LogWarnings(Refusals().Flush(absl::Now())); }

void RouteProtobufLogs() {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
        LogLine(level >= google::protobuf::LOGLEVEL_ERROR ? LogLevel::kError : LogLevel::kWarning,
                absl::StrCat("protobuf ", file, ":", line, ": ", message));
      });
}

}  // namespace sanji::node
