// The sanjid config file (proto/config.proto, ARCHITECTURE.md §6): loaded
// from protobuf text format, checked, and completed, so the rest of the node
// reads every setting from one message and never re-checks it.
//
// Every error names where the problem was written, as a compiler does:
// "node.conf:7:3: parents[1].address "gutian-county" is not host:port".
// Parse errors come from protobuf's text parser; semantic errors find the
// offending field's line in the parser's location tree. A problem about a
// field that was not written (a missing node_id, a default that conflicts
// with a written value) names the nearest enclosing block that was written,
// or the file alone.
//
// Thread-safety: free functions over values; safe to call concurrently.
#ifndef SANJI_NODE_CONFIG_H_
#define SANJI_NODE_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "config.pb.h"
#include "conflict/schema.h"

namespace sanji::node {

struct LoadOptions {
  // sanjid's --insecure: plaintext instead of mTLS. A command-line flag and
  // not a config setting, so that a config copied between machines never
  // turns TLS off by itself. When set, the tls block may be empty, and the
  // listen address must be loopback (plaintext never leaves the machine).
  bool insecure = false;
};

struct LoadedConfig {
  // Every numeric setting left at 0 holds its default (proto/config.proto
  // comments); data_dir, the tls files and schema_file are absolute, taken
  // from the config file's directory when written relative.
  v1::NodeConfig config;
  // Built from the inline `schema` or from `schema_file`.
  conflict::Schema schema;
};

// Reads, parses and checks the config file at `path`.
// Errors: NotFound naming `path` if it does not exist (other failures to read
// it keep their errno's code, e.g. PermissionDenied); InvalidArgument
// "FILE:LINE:COL: <field> <problem>" for everything wrong inside it, FILE
// being `path` as given, or the absolute schema_file for a problem there.
// Only the first problem is reported.
absl::StatusOr<LoadedConfig> LoadConfig(const std::string& path, LoadOptions options = {});

// Builds the schema that `config` describes. Messages name the offending
// element by its path ("collections[1].fields[0] \"status\" ...") but, with no
// file at hand, no line. Shared with sanjictl, which reads schemas too.
// Errors: InvalidArgument.
absl::StatusOr<conflict::Schema> BuildSchema(const v1::SchemaConfig& config);

// Parses and builds a schema file's `text` (a SchemaConfig in text format),
// as sanjid reads its schema_file and as a published version is read.
// Errors: InvalidArgument "FILE:LINE:COL: <problem>", FILE being `file_name`.
absl::StatusOr<conflict::Schema> ParseSchemaFile(absl::string_view file_name,
                                                 const std::string& text);

// `config` in text format with UTF-8 kept readable (protobuf escapes it as
// octal by default), for logs and for round-trips through LoadConfig.
std::string FormatConfig(const v1::NodeConfig& config);

// Whether `host_port` ("host:port", IPv6 hosts in brackets) names this
// machine only: 127.0.0.0/8, ::1 or "localhost". False for anything that does
// not parse. sanjid turns AUTO compression off on loopback links, where it
// only costs CPU.
bool IsLoopbackAddress(absl::string_view host_port);

}  // namespace sanji::node

#endif  // SANJI_NODE_CONFIG_H_
