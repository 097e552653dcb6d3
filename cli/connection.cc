#include "cli/connection.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "conflict/status_macros.h"
#include "node/config.h"
#include "node/tls.h"

namespace sanji::cli {
namespace {

// The node's default max_message_bytes (proto/config.proto): a page of
// records as large as the node will send.
constexpr int kMaxMessageBytes = 16 * 1024 * 1024;

absl::Status RequireFile(const std::string& path, absl::string_view flag, absl::string_view env,
                         absl::string_view what) {
  if (!path.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("no ", what, ": pass ", flag, " FILE or set ", env,
                   " (or --insecure for a node started with sanjid --insecure on this machine)"));
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const GlobalFlags& flags) {
  if (flags.insecure) {
    if (!node::IsLoopbackAddress(flags.endpoint)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--insecure sends plaintext, so only to a loopback endpoint; ",
                       flags.endpoint, " is not one"));
    }
    return grpc::InsecureChannelCredentials();
  }
  SANJI_RETURN_IF_ERROR(RequireFile(flags.ca_file, "--ca", "SANJI_CA", "county CA certificate"));
  SANJI_RETURN_IF_ERROR(RequireFile(flags.cert_file, "--cert", "SANJI_CERT", "client certificate"));
  SANJI_RETURN_IF_ERROR(RequireFile(flags.key_file, "--key", "SANJI_KEY", "client key"));
  v1::TlsConfig tls;
  tls.set_ca_file(flags.ca_file);
  tls.set_cert_file(flags.cert_file);
  tls.set_key_file(flags.key_file);
  return node::ChannelCredentials(tls, "");
}

}  // namespace

absl::StatusOr<Connection> Connection::Open(const GlobalFlags& flags) {
  SANJI_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> credentials, Credentials(flags));
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(kMaxMessageBytes);
  const auto timeout =
      std::chrono::milliseconds(static_cast<int64_t>(flags.timeout_seconds * 1000));
  return Connection(flags.endpoint, timeout,
                    grpc::CreateCustomChannel(flags.endpoint, credentials, arguments));
}

Connection::Connection(std::string endpoint, std::chrono::milliseconds timeout,
                       std::shared_ptr<grpc::Channel> channel)
    : endpoint_(std::move(endpoint)),
      timeout_(timeout),
      records_(v1::RecordService::NewStub(channel)),
      admin_(v1::AdminService::NewStub(channel)) {}

absl::StatusOr<conflict::Schema> Connection::Schema() const {
  SANJI_ASSIGN_OR_RETURN(v1::SchemaConfig config,
                         Call(*admin_, &v1::AdminService::Stub::GetSchema, v1::GetSchemaRequest()));
  return node::BuildSchema(config);
}

absl::Status Connection::FromGrpc(const grpc::Status& status) const {
  // Both code sets are google.rpc.Code: node/grpc_status.h proves the
  // numbers equal, code by code.
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  if (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded) {
    return absl::Status(code, absl::StrCat("node at ", endpoint_, ": ", status.error_message()));
  }
  return absl::Status(code, status.error_message());
}

}  // namespace sanji::cli
