// The node's log: one line per event on stderr, each with the time and the
// node id, so the logs of a whole county's nodes can be merged and grepped.
//
//   2026-11-28T15:04:05.123456Z gutian/fengpu I link to gutian: in sync
//
// Thread-safety: thread-safe; a line is written whole (one write call).
#ifndef SANJI_NODE_LOG_H_
#define SANJI_NODE_LOG_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sanji::node {

enum class LogLevel { kInfo, kWarning, kError };

// Names the node in every later line. Call once, before other threads log.
void SetLogNodeId(std::string node_id);

void LogLine(LogLevel level, absl::string_view message);

// Routes gRPC's own log lines through LogLine (prefixed "grpc"), so they
// carry the time and node id too, and drops the one gRPC logs as an error on
// every TLS handshake by address: the client sends the address as the
// server name, which no Sanji certificate names (identity is the URI SAN,
// node/tls.h), and nothing is wrong.
//
// A failed TLS handshake (node/grpc_log_line.h) is logged by its cause
// instead of gRPC's raw OpenSSL line, once per episode: the first in full,
// then its repeats counted and reported at most once every
// kTlsRefusalReportInterval (node/repeat_throttle.h), by a thread this starts
// (so that the count of an episode that stopped is still reported). Lines
// do not name the peer's address: gRPC 1.51 does not give it (see log.cc).
// Call once at start.
void RouteGrpcLogs();

// How often repeats of one TLS handshake failure are reported, at most.
inline constexpr int kTlsRefusalReportIntervalSeconds = 60;

// Logs the repeats counted by RouteGrpcLogs and not yet reported, due or
// not: call when the node stops, so that none go unsaid. Thread-safe.
void FlushRepeatedGrpcLogs();

// Routes libprotobuf's own log lines through LogLine (prefixed "protobuf"),
// so that a malformed request leaves a line in the node's format (its cause
// also goes back to the caller, node/request_parse.h). Call once at start.
void RouteProtobufLogs();

template <typename... Parts>
void LogInfo(const Parts&... parts) {
  LogLine(LogLevel::kInfo, absl::StrCat(parts...));
}
template <typename... Parts>
void LogWarning(const Parts&... parts) {
  LogLine(LogLevel::kWarning, absl::StrCat(parts...));
}
template <typename... Parts>
void LogError(const Parts&... parts) {
  LogLine(LogLevel::kError, absl::StrCat(parts...));
}

}  // namespace sanji::node

#endif  // SANJI_NODE_LOG_H_
