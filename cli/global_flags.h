// The flags every node-facing sanjictl command takes: where the node is, the
// TLS files that prove who the operator is, and how to print. They are the
// root's options and the root falls through (cli/sanjictl_main.cc), so they
// may be written before or after the subcommand:
//   sanjictl --endpoint 127.0.0.1:7010 get notices n1
//   sanjictl get notices n1 --endpoint 127.0.0.1:7010 --json
//
// Thread-safety: a plain struct, filled by parsing.
#ifndef SANJI_CLI_GLOBAL_FLAGS_H_
#define SANJI_CLI_GLOBAL_FLAGS_H_

#include <CLI/CLI.hpp>
#include <string>

namespace sanji::cli {

// The county's node in the demo network (scripts/county) listens here: on
// the county's own machine, sanjictl with no --endpoint (and no
// $SANJI_ENDPOINT) talks to it.
inline constexpr char kDefaultEndpoint[] = "127.0.0.1:7000";

struct GlobalFlags {
  // Default: $SANJI_ENDPOINT, else kDefaultEndpoint.
  std::string endpoint = kDefaultEndpoint;
  // PEM files: the county CA, and the operator's certificate and key
  // (`sanjictl cert issue --operator NAME --scope S`). Default: $SANJI_CA, $SANJI_CERT,
  // $SANJI_KEY.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Plaintext, for a node started with `sanjid --insecure` (loopback only).
  bool insecure = false;
  // Protobuf JSON, one document per line, instead of tables.
  bool json = false;
  // The deadline of each unary call.
  double timeout_seconds = 10;
};

// Adds the flags above to the root `app`.
// REQUIRES: `flags` outlives the parse of `app`.
void AddGlobalFlags(CLI::App& app, GlobalFlags& flags);

}  // namespace sanji::cli

#endif  // SANJI_CLI_GLOBAL_FLAGS_H_
