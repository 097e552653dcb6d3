// What a line of gRPC core's own log (gpr_log) is about, for node/log.cc,
// which routes them into the node's log.
//
// A failed TLS handshake is logged by gRPC 1.51 as one raw OpenSSL line per
// attempt ("Handshake failed with fatal error SSL_ERROR_SSL: error:0A000086:
// SSL routines::certificate verify failed."), on either side of the
// connection, with no peer address: the line is written inside the TLS
// library wrapper (tsi), which does not know the connection's endpoint.
//
// Thread-safety: pure functions.
#ifndef SANJI_NODE_GRPC_LOG_LINE_H_
#define SANJI_NODE_GRPC_LOG_LINE_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace sanji::node {

// If gRPC's `message` says a TLS handshake failed: its cause in an
// operator's words, ending with OpenSSL's reason in parentheses so that it
// can still be searched for ("the peer's certificate was not issued by this
// county's CA, or has expired (certificate verify failed)"). The same cause
// gives the same text, so it can key a throttle. nullopt for any other line.
std::optional<std::string> TlsHandshakeFailureCause(absl::string_view message);

}  // namespace sanji::node

#endif  // SANJI_NODE_GRPC_LOG_LINE_H_
