#include "node/grpc_log_line.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace sanji::node {
namespace {

constexpr absl::string_view kHandshakeFailed = "Handshake failed with fatal error ";

// OpenSSL's reason string: the text after the last ':' of its error string
// ("error:0A000086:SSL routines::certificate verify failed"), without the
// period gRPC appends. Empty for an error with no reason ("reason(0)").
absl::string_view OpenSslReason(absl::string_view error) {
  absl::ConsumeSuffix(&error, ".");
  const size_t colon = error.rfind(':');
  absl::string_view reason = absl::StripAsciiWhitespace(
      colon == absl::string_view::npos ? error : error.substr(colon + 1));
  return absl::StartsWith(reason, "reason(") ? absl::string_view() : reason;
}

// What the reasons a Sanji node meets mean here (mutual TLS against one
// county CA, node/tls.h).
std::string Explain(absl::string_view reason) {
  if (reason == "certificate verify failed") {
    return "the peer's certificate was not issued by this county's CA, or has expired";
  }
  if (reason == "peer did not return a certificate" ||
      reason == "tlsv13 alert certificate required") {
    return "the peer presented no certificate";
  }
  if (reason == "wrong version number" || reason == "http request" ||
      reason == "packet length too long" || reason == "unknown protocol") {
    return "the peer does not speak TLS (a plaintext client, or not gRPC)";
  }
  if (reason == "tlsv1 alert unknown ca" || reason == "sslv3 alert bad certificate" ||
      reason == "sslv3 alert certificate expired") {
    return "the peer refused this node's certificate (it trusts another CA, or this one expired)";
  }
  if (reason == "unexpected eof while reading") {
    return "the peer closed the connection during the handshake";
  }
  return "";
}

}  // namespace

std::optional<std::string> TlsHandshakeFailureCause(absl::string_view message) {
  if (!absl::ConsumePrefix(&message, kHandshakeFailed)) return std::nullopt;
  // "SSL_ERROR_SSL: error:...": the kind of failure, then OpenSSL's error.
  const size_t colon = message.find(": ");
  const absl::string_view kind = message.substr(0, colon);
  const absl::string_view reason = colon == absl::string_view::npos
                                       ? absl::string_view()
                                       : OpenSslReason(message.substr(colon + 2));
  if (reason.empty()) return absl::StrCat("the handshake broke off (", kind, ")");
  const std::string meaning = Explain(reason);
  if (meaning.empty()) return std::string(reason);
  return absl::StrCat(meaning, " (", reason, ")");
}

}  // namespace sanji::node
