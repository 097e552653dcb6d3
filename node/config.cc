#include "node/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "authz/scope_path.h"
#include "conflict/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "node/status_schema.h"

namespace sanji::node {

namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::TextFormat;
using ParseInfoTree = TextFormat::ParseInfoTree;
using ParseLocation = TextFormat::ParseLocation;

// "FILE:LINE:COL: " as compilers print it, so editors jump to the place.
// protobuf counts lines and columns from 0, editors from 1.
std::string Position(absl::string_view file, ParseLocation at) {
  if (file.empty()) return "";
  if (at.line < 0) return absl::StrCat(file, ": ");
  return absl::StrCat(file, ":", at.line + 1, ":", at.column + 1, ": ");
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::error_code ignored;
  // A directory opens and reads as empty, which would surface as a
  // misleading "node_id is missing".
  if (std::filesystem::is_directory(path, ignored)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is a directory, not a config file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return absl::ErrnoToStatus(errno, absl::StrCat("cannot read ", path));
  return text;
}

// Keeps the parser's first error: later ones mostly follow from it.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit FirstErrorCollector(absl::string_view file) : file_(file) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty()) {
      first_ = absl::StrCat(Position(file_, ParseLocation(line, column)), message);
    }
  }

  const std::string& first() const { return first_; }

 private:
  std::string file_;
  std::string first_;
};

// A parsed message and where each of its fields was written. The tree is
// boxed because protobuf makes it neither copyable nor movable.
template <typename T>
struct Parsed {
  T message;
  std::unique_ptr<ParseInfoTree> where = std::make_unique<ParseInfoTree>();
};

template <typename T>
absl::StatusOr<Parsed<T>> ParseText(absl::string_view file, const std::string& text) {
  Parsed<T> parsed;
  FirstErrorCollector errors(file);
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(parsed.where.get());
  if (!parser.ParseFromString(text, &parsed.message)) {
    return absl::InvalidArgumentError(errors.first());
  }
  return parsed;
}

// Finds where a field was written from its path as messages name it
// ("parents[1].address"), and builds errors that start with that place.
class Locator {
 public:
  // `tree` may be null (a schema with no file); it must outlive the Locator.
  Locator(std::string file, const Descriptor* root, const ParseInfoTree* tree)
      : file_(std::move(file)), root_(root), tree_(tree) {}

  bool Written(absl::string_view path) const { return Find(path).exact; }

  // InvalidArgument "FILE:LINE:COL: <path> <problem>".
  absl::Status Error(absl::string_view path, absl::string_view problem) const {
    return ErrorAt(path, absl::StrCat(path, " ", problem));
  }

  // InvalidArgument "FILE:LINE:COL: <message>", placed where `path` was written.
  absl::Status ErrorAt(absl::string_view path, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(Position(file_, Find(path).at), message));
  }

 private:
  struct Found {
    ParseLocation at;    // of the field, or of its nearest written ancestor
    bool exact = false;  // the field itself was written
  };

  Found Find(absl::string_view path) const {
    Found found;
    const ParseInfoTree* tree = tree_;
    const Descriptor* type = root_;
    const std::vector<absl::string_view> steps = absl::StrSplit(path, '.');
    for (size_t i = 0; i < steps.size() && tree != nullptr; ++i) {
      // "name" or "name[index]"; protobuf wants index -1 for singular fields.
      const std::pair<absl::string_view, absl::string_view> parts =
          absl::StrSplit(steps[i], absl::MaxSplits('[', 1));
      int index = -1;
      if (!parts.second.empty()) {
        [[maybe_unused]] const bool is_index =
            absl::SimpleAtoi(absl::StripSuffix(parts.second, "]"), &index);
        assert(is_index);
      }
      const FieldDescriptor* field = type->FindFieldByName(std::string(parts.first));
      assert(field != nullptr && "error paths name fields of config.proto");
      // A repeated field named as a whole is placed at its first value.
      if (field->is_repeated() && index < 0) index = 0;
      const ParseLocation at = tree->GetLocation(field, index);
      if (at.line < 0) break;
      found = {at, i + 1 == steps.size()};
      if (i + 1 < steps.size()) {
        tree = tree->GetTreeForNested(field, index);
        type = field->message_type();
      }
    }
    return found;
  }

  std::string file_;
  const Descriptor* root_;
  const ParseInfoTree* tree_;
};

std::string Quoted(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

// ---- Addresses and ids ----

struct HostPort {
  std::string host;  // IPv6 without its brackets
  int port = 0;
};

// Errors: InvalidArgument with the problem only, for the caller to place.
// `min_port` 0 lets port 0 ("any free port") through, which only an
// in-process node started by a test asks for.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, int min_port = 1) {
  HostPort result;
  absl::string_view port;
  if (absl::ConsumePrefix(&text, "[")) {
    const std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(text, absl::MaxSplits("]:", 1));
    in6_addr ignored;
    const std::string host(parts.first);
    if (inet_pton(AF_INET6, host.c_str(), &ignored) != 1) {
      return absl::InvalidArgumentError("is not host:port ([IPv6]:port in brackets)");
    }
    result.host = host;
    port = parts.second;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos || colon == 0 ||
        text.substr(0, colon).find_first_of(": \t/") != absl::string_view::npos) {
      return absl::InvalidArgumentError("is not host:port");
    }
    result.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || !std::ranges::all_of(port, absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port, &result.port) || result.port < min_port || result.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("has port \"", port, "\", not in ", min_port, "..65535"));
  }
  return result;
}

// `id`, quoted, and why it is no node id.
std::string NotAScopePath(absl::string_view id) {
  return absl::StrCat(Quoted(id), " is not a scope path (", authz::kScopePathRule, ")");
}

absl::Status CheckAddress(const Locator& where, absl::string_view path, absl::string_view value) {
  absl::StatusOr<HostPort> parsed = ParseHostPort(value);
  if (!parsed.ok()) {
    if (value.empty()) return where.Error(path, "is missing (host:port)");
    return where.Error(path, absl::StrCat(Quoted(value), " ", parsed.status().message()));
  }
  return absl::OkStatus();
}

absl::Status CheckIdentity(const v1::NodeConfig& config, const Locator& where,
                           const LoadOptions& options) {
  if (config.node_id().empty()) return where.Error("node_id", "is missing");
  if (!authz::ValidateScopePath(config.node_id()).ok()) {
    return where.Error("node_id", NotAScopePath(config.node_id()));
  }
  SANJI_RETURN_IF_ERROR(CheckAddress(where, "listen_address", config.listen_address()));
  if (options.insecure && !IsLoopbackAddress(config.listen_address())) {
    return where.Error("listen_address",
                       absl::StrCat(Quoted(config.listen_address()),
                                    " is not loopback, and --insecure (plaintext) serves only on "
                                    "loopback: use TLS to listen on the network"));
  }
  return absl::OkStatus();
}

absl::Status CheckParent(const v1::NodeConfig& config, int i, const Locator& where) {
  const v1::ParentConfig& parent = config.parents(i);
  const std::string path = absl::StrCat("parents[", i, "]");
  const std::string id_path = absl::StrCat(path, ".id");
  if (parent.id().empty()) return where.Error(id_path, "is missing");
  if (!authz::ValidateScopePath(parent.id()).ok()) {
    return where.Error(id_path, NotAScopePath(parent.id()));
  }
  if (parent.id() == config.node_id()) {
    return where.Error(id_path,
                       absl::StrCat(Quoted(parent.id()), " is node_id itself, not an ancestor"));
  }
  // A parent holds a scope that contains this node's.
  if (!authz::StrictlyBelow(config.node_id(), parent.id())) {
    return where.Error(id_path, absl::StrCat(Quoted(parent.id()), " is not an ancestor of node_id ",
                                             Quoted(config.node_id())));
  }
  SANJI_RETURN_IF_ERROR(CheckAddress(where, absl::StrCat(path, ".address"), parent.address()));
  // Text format takes any number for an enum (proto3 enums are open).
  if (!v1::ParentConfig::Compression_IsValid(parent.compression())) {
    return where.Error(
        absl::StrCat(path, ".compression"),
        absl::StrCat(
            parent.compression(),
            " is not COMPRESSION_AUTO, COMPRESSION_NONE, COMPRESSION_ZSTD or COMPRESSION_GZIP"));
  }
  for (int earlier = 0; earlier < i; ++earlier) {
    if (config.parents(earlier).id() == parent.id()) {
      return where.Error(id_path,
                         absl::StrCat(Quoted(parent.id()), " repeats parents[", earlier, "]"));
    }
    if (config.parents(earlier).address() == parent.address()) {
      return where.Error(
          absl::StrCat(path, ".address"),
          absl::StrCat(Quoted(parent.address()), " repeats parents[", earlier, "].address"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTls(const v1::TlsConfig& tls, const Locator& where, const LoadOptions& options) {
  const std::pair<absl::string_view, const std::string*> files[] = {
      {"tls.ca_file", &tls.ca_file()},
      {"tls.cert_file", &tls.cert_file()},
      {"tls.key_file", &tls.key_file()}};
  const bool none = tls.ca_file().empty() && tls.cert_file().empty() && tls.key_file().empty();
  if (none && options.insecure) return absl::OkStatus();
  for (const auto& [path, value] : files) {
    if (value->empty()) {
      return where.Error(path, none ? "is missing (or run sanjid with --insecure, on loopback)"
                                    : "is missing: tls needs ca_file, cert_file and key_file");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNode(const v1::NodeConfig& config, const Locator& where,
                       const LoadOptions& options) {
  SANJI_RETURN_IF_ERROR(CheckIdentity(config, where, options));
  for (int i = 0; i < config.parents_size(); ++i) {
    SANJI_RETURN_IF_ERROR(CheckParent(config, i, where));
  }
  if (config.data_dir().empty()) return where.Error("data_dir", "is missing");
  SANJI_RETURN_IF_ERROR(CheckTls(config.tls(), where, options));
  if (config.schema_source_case() == v1::NodeConfig::SCHEMA_SOURCE_NOT_SET) {
    return where.Error("schema", "is missing: write a schema block or a schema_file");
  }
  return absl::OkStatus();
}

// ---- Numeric settings ----

// A uint32 setting of NodeConfig: 0 (unset in proto3) takes the default,
// anything else must lie in [min, max]; where min is 0, a 0 written in the
// file stays 0. The ranges keep out values that are
// surely typos (a window of 10000 batches, a keepalive every 10 ms that
// gRPC servers answer with GOAWAY), not every unwise choice.
struct NumericSetting {
  absl::string_view path;
  uint32_t default_value;
  uint32_t min;
  uint32_t max;
};

constexpr uint32_t kMiB = 1 << 20;
constexpr uint32_t kHourMs = 3600 * 1000;

constexpr NumericSetting kNumericSettings[] = {
    {"sync.max_batch_items", 1000, 1, 100'000},
    {"sync.max_batch_bytes", kMiB, 1024, 512 * kMiB},
    {"sync.window", 4, 1, 64},
    {"sync.push_delay_ms", 1, 0, 1000},
    {"max_clock_skew_seconds", 300, 1, 24 * 3600},
    {"timeouts.call_deadline_ms", 10'000, 100, kHourMs},
    {"timeouts.keepalive_time_ms", 10'000, 1000, kHourMs},
    {"timeouts.keepalive_timeout_ms", 5000, 100, kHourMs},
    {"timeouts.backoff_initial_ms", 500, 10, kHourMs},
    {"timeouts.backoff_max_ms", 30'000, 10, kHourMs},
    {"timeouts.failover_after_ms", 15'000, 100, kHourMs},
    {"timeouts.primary_probe_ms", 30'000, 1000, 24 * kHourMs},
    {"max_message_bytes", 16 * kMiB, 64 * 1024, 1024 * kMiB},
    {"max_record_bytes", kMiB, 4096, 256 * kMiB},
    {"status_period_s", 60, 0, 24 * 3600},
};

// `small` must be at most `large` / `divisor`, both after defaults.
struct SettingOrder {
  absl::string_view small;
  absl::string_view large;
  uint32_t divisor;
  absl::string_view why;
};

constexpr SettingOrder kSettingOrders[] = {
    {"sync.max_batch_bytes", "max_message_bytes", 2,
     "a batch must fit in one gRPC message with room for its framing"},
    {"max_record_bytes", "max_message_bytes", 4,
     "a record must fit in one gRPC message with room for its framing and for what a merge "
     "adds"},
    {"timeouts.backoff_initial_ms", "timeouts.backoff_max_ms", 1,
     "the backoff starts at the first and grows up to the second"},
};

// The message holding the field at `path` (no indexes), created if absent.
std::pair<Message*, const FieldDescriptor*> Resolve(Message& root, absl::string_view path) {
  Message* message = &root;
  const std::vector<std::string> steps = absl::StrSplit(path, '.');
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    const FieldDescriptor* field = message->GetDescriptor()->FindFieldByName(steps[i]);
    message = message->GetReflection()->MutableMessage(message, field);
  }
  return {message, message->GetDescriptor()->FindFieldByName(steps.back())};
}

uint32_t GetSetting(v1::NodeConfig& config, absl::string_view path) {
  const auto [message, field] = Resolve(config, path);
  return message->GetReflection()->GetUInt32(*message, field);
}

// "sync.window 8", or "sync.window 4 (default)" when it was not written.
std::string Describe(v1::NodeConfig& config, absl::string_view path, const Locator& where) {
  return absl::StrCat(path, " ", GetSetting(config, path), where.Written(path) ? "" : " (default)");
}

absl::Status FillNumericSettings(v1::NodeConfig& config, const Locator& where) {
  for (const NumericSetting& setting : kNumericSettings) {
    const auto [message, field] = Resolve(config, setting.path);
    const uint32_t value = message->GetReflection()->GetUInt32(*message, field);
    if (value == 0 && !(setting.min == 0 && where.Written(setting.path))) {
      message->GetReflection()->SetUInt32(message, field, setting.default_value);
    } else if (value < setting.min || value > setting.max) {
      return where.Error(setting.path,
                         absl::StrCat(value, " is not in ", setting.min, "..", setting.max));
    }
  }
  for (const SettingOrder& order : kSettingOrders) {
    if (GetSetting(config, order.small) <= GetSetting(config, order.large) / order.divisor) {
      continue;
    }
    // Point at the one the user wrote: the other may be a default.
    const absl::string_view at = where.Written(order.small) ? order.small : order.large;
    return where.ErrorAt(
        at, absl::StrCat(Describe(config, order.small, where), " is more than ",
                         Describe(config, order.large, where),
                         order.divisor == 1 ? "" : absl::StrCat(" / ", order.divisor), ": ",
                         order.why));
  }
  return absl::OkStatus();
}

// ---- Paths ----

void MakeAbsolute(const std::filesystem::path& base, std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return;
  path = (base / path).lexically_normal().string();
}

absl::Status ResolvePaths(const std::string& config_path, v1::NodeConfig& config) {
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(config_path, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat(config_path, ": cannot make the path absolute: ", error.message()));
  }
  const std::filesystem::path base = absolute.parent_path();
  MakeAbsolute(base, *config.mutable_data_dir());
  if (config.has_tls()) {  // an insecure node may have none, and gets none
    MakeAbsolute(base, *config.mutable_tls()->mutable_ca_file());
    MakeAbsolute(base, *config.mutable_tls()->mutable_cert_file());
    MakeAbsolute(base, *config.mutable_tls()->mutable_key_file());
  }
  if (config.has_schema_file()) MakeAbsolute(base, *config.mutable_schema_file());
  return absl::OkStatus();
}

// ---- Schema ----

// nullopt for a number outside the enum: proto3 enums are open, so a
// SchemaConfig built in code or decoded from binary may hold one.
std::optional<conflict::ValueType> ToValueType(v1::FieldConfig::ValueType type) {
  switch (type) {
    case v1::FieldConfig::STRING:
      return conflict::ValueType::kString;
    case v1::FieldConfig::INT:
      return conflict::ValueType::kInt;
    case v1::FieldConfig::DOUBLE:
      return conflict::ValueType::kDouble;
    case v1::FieldConfig::BOOL:
      return conflict::ValueType::kBool;
    default:
      return std::nullopt;
  }
}

// nullopt for KIND_UNSPECIFIED (kind not written) or a number outside the enum.
std::optional<conflict::FieldKind> ToFieldKind(v1::FieldConfig::Kind kind) {
  switch (kind) {
    case v1::FieldConfig::LWW:
      return conflict::FieldKind::kLww;
    case v1::FieldConfig::MV:
      return conflict::FieldKind::kMv;
    case v1::FieldConfig::COUNTER:
      return conflict::FieldKind::kCounter;
    case v1::FieldConfig::SET:
      return conflict::FieldKind::kSet;
    case v1::FieldConfig::STATUS:
      return conflict::FieldKind::kStatus;
    default:
      return std::nullopt;
  }
}

// Counters and statuses have a fixed value type (int, string): a written
// `type` there is a mistake even when it names that type.
bool TakesType(conflict::FieldKind kind) {
  return kind != conflict::FieldKind::kCounter && kind != conflict::FieldKind::kStatus;
}

absl::StatusOr<conflict::FieldSpec> ToFieldSpec(const v1::FieldConfig& field, const Locator& where,
                                                const std::string& path) {
  const std::string name = Quoted(field.name());
  const std::optional<conflict::FieldKind> kind = ToFieldKind(field.kind());
  if (!kind) {
    const std::string is = field.kind() == v1::FieldConfig::KIND_UNSPECIFIED
                               ? "is missing"
                               : absl::StrCat("is ", field.kind());
    return where.Error(path + ".kind", absl::StrCat("of ", name, " ", is,
                                                    ": write LWW, MV, COUNTER, SET or STATUS"));
  }
  const std::optional<conflict::ValueType> type = ToValueType(field.type());
  if (!type) {
    return where.Error(path + ".type", absl::StrCat("of ", name, " is ", field.type(),
                                                    ", not STRING, INT, DOUBLE or BOOL"));
  }
  const std::string kind_name = v1::FieldConfig::Kind_Name(field.kind());
  const bool status = *kind == conflict::FieldKind::kStatus;
  if (!TakesType(*kind) &&
      (where.Written(path + ".type") || field.type() != v1::FieldConfig::STRING)) {
    return where.Error(path + ".type", absl::StrCat("is set on ", name, ", a ", kind_name,
                                                    " field, whose values have a fixed type"));
  }
  if (status && field.status_order().empty()) {
    return where.Error(path + ".status_order",
                       absl::StrCat("is missing: ", name, " is a STATUS field"));
  }
  if (!status && !field.status_order().empty()) {
    return where.Error(path + ".status_order", absl::StrCat("is set on ", name, ", a ", kind_name,
                                                            " field; only STATUS fields have one"));
  }
  conflict::FieldSpec spec =
      status
          ? conflict::FieldSpec::Status({field.status_order().begin(), field.status_order().end()})
          : conflict::FieldSpec{*kind, *type, {}};
  spec.deprecated = field.deprecated();
  spec.answer = field.answer();
  return spec;
}

absl::StatusOr<conflict::CollectionSchema> ToCollection(const v1::CollectionConfig& config,
                                                        const Locator& where,
                                                        const std::string& path) {
  conflict::CollectionSchema collection(config.name());
  if (config.fields().empty()) {
    return where.Error(path, absl::StrCat(Quoted(config.name()), " has no fields"));
  }
  for (int i = 0; i < config.fields_size(); ++i) {
    const std::string field_path = absl::StrCat(path, ".fields[", i, "]");
    const v1::FieldConfig& field = config.fields(i);
    SANJI_ASSIGN_OR_RETURN(conflict::FieldSpec spec, ToFieldSpec(field, where, field_path));
    // Stored under its first name for good; the later ones are renames.
    std::string stored_name = field.name();
    if (!field.aliases().empty()) {
      stored_name = field.aliases(0);
      spec.renamed_to.assign(field.aliases().begin() + 1, field.aliases().end());
      spec.renamed_to.push_back(field.name());
    }
    absl::Status added = collection.AddField(std::move(stored_name), std::move(spec));
    if (!added.ok()) {
      return where.ErrorAt(field_path, absl::StrCat(field_path, ": ", added.message()));
    }
  }
  return collection;
}

// `prefix` is where the SchemaConfig sits in the file `where` describes:
// "schema." inline in a NodeConfig, "" in a schema file.
absl::StatusOr<conflict::Schema> BuildSchemaAt(const v1::SchemaConfig& config, const Locator& where,
                                               absl::string_view prefix) {
  if (config.collections().empty()) {
    return where.Error(absl::StrCat(prefix, "collections"), "is empty: a schema needs one or more");
  }
  conflict::Schema schema;
  for (int i = 0; i < config.collections_size(); ++i) {
    const std::string path = absl::StrCat(prefix, "collections[", i, "]");
    SANJI_ASSIGN_OR_RETURN(conflict::CollectionSchema collection,
                           ToCollection(config.collections(i), where, path));
    absl::Status added = schema.AddCollection(std::move(collection));
    if (!added.ok()) return where.ErrorAt(path, absl::StrCat(path, ": ", added.message()));
  }
  // Cannot fail: AddCollection refused every '@' name above.
  SANJI_RETURN_IF_ERROR(AddSystemCollections(schema));
  return schema;
}

absl::StatusOr<conflict::Schema> LoadSchema(const v1::NodeConfig& config, const Locator& where) {
  if (config.has_schema()) return BuildSchemaAt(config.schema(), where, "schema.");
  // A schema file's own problems are placed in that file.
  const std::string& file = config.schema_file();
  absl::StatusOr<std::string> text = ReadFile(file);
  if (!text.ok()) {
    return where.ErrorAt("schema_file", absl::StrCat("schema_file: ", text.status().message()));
  }
  return ParseSchemaFile(file, *text);
}

}  // namespace

absl::StatusOr<LoadedConfig> LoadConfig(const std::string& path, LoadOptions options) {
  SANJI_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  SANJI_ASSIGN_OR_RETURN(Parsed<v1::NodeConfig> parsed, ParseText<v1::NodeConfig>(path, text));
  const Locator where(path, v1::NodeConfig::descriptor(), parsed.where.get());
  LoadedConfig loaded;
  loaded.config = std::move(parsed.message);
  SANJI_RETURN_IF_ERROR(CheckNode(loaded.config, where, options));
  SANJI_RETURN_IF_ERROR(FillNumericSettings(loaded.config, where));
  SANJI_RETURN_IF_ERROR(ResolvePaths(path, loaded.config));
  SANJI_ASSIGN_OR_RETURN(loaded.schema, LoadSchema(loaded.config, where));
  return loaded;
}

absl::StatusOr<conflict::Schema> ParseSchemaFile(absl::string_view file_name,
                                                 const std::string& text) {
  SANJI_ASSIGN_OR_RETURN(Parsed<v1::SchemaConfig> parsed,
                         ParseText<v1::SchemaConfig>(file_name, text));
  const Locator in_file(std::string(file_name), v1::SchemaConfig::descriptor(), parsed.where.get());
  return BuildSchemaAt(parsed.message, in_file, "");
}

absl::StatusOr<conflict::Schema> BuildSchema(const v1::SchemaConfig& config) {
  return BuildSchemaAt(config, Locator("", v1::SchemaConfig::descriptor(), nullptr), "");
}

std::string FormatConfig(const v1::NodeConfig& config) {
  TextFormat::Printer printer;
  printer.SetUseUtf8StringEscaping(true);
  std::string text;
  printer.PrintToString(config, &text);
  return text;
}

bool IsLoopbackAddress(absl::string_view host_port) {
  absl::StatusOr<HostPort> parsed = ParseHostPort(host_port, /*min_port=*/0);
  if (!parsed.ok()) return false;
  if (absl::EqualsIgnoreCase(parsed->host, "localhost")) return true;
  in_addr v4;
  if (inet_pton(AF_INET, parsed->host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  return inet_pton(AF_INET6, parsed->host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

}  // namespace sanji::node
