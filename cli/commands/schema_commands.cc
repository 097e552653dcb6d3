#include "cli/commands/schema_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "authz/county_records.h"
#include "cli/connection.h"
#include "cli/format.h"
#include "cli/read_file.h"
#include "conflict/schema_rules.h"
#include "conflict/status_macros.h"
#include "google/protobuf/text_format.h"
#include "node/config.h"
#include "node/status_schema.h"

namespace sanji::cli {
namespace {

struct SchemaFlags {
  std::string file;
  std::string before;
  std::string after;
  uint64_t version = 0;
};

// The text of version `number` as published at the node.
absl::StatusOr<std::string> PublishedText(const GlobalFlags& global, uint64_t number) {
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  v1::GetRequest request;
  request.set_collection(authz::kSchemaCollection);
  request.set_key(absl::StrCat(number));
  absl::StatusOr<v1::Record> record =
      connection.Call(connection.records(), &v1::RecordService::Stub::Get, request);
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError(
        absl::StrCat("the node holds no schema version ", number, ": ", record.status().message()));
  }
  if (!record.ok()) return record.status();
  const auto text = record->fields().find(node::schema_field::kText);
  if (text == record->fields().end()) {
    return absl::NotFoundError(absl::StrCat("schema version ", number, " holds no text"));
  }
  return text->second.lww().text();
}

// `what` is a schema file, or a version number published at the node.
absl::StatusOr<conflict::Schema> LoadSchema(const GlobalFlags& global, const std::string& what) {
  uint64_t number = 0;
  if (!what.empty() && absl::ascii_isdigit(what.front()) && absl::SimpleAtoi(what, &number)) {
    SANJI_ASSIGN_OR_RETURN(const std::string text, PublishedText(global, number));
    return node::ParseSchemaFile(absl::StrCat("schema version ", number), text);
  }
  SANJI_ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(what));
  return node::ParseSchemaFile(what, text);
}

absl::Status RunPublish(const GlobalFlags& global, const SchemaFlags& flags, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(flags.file));
  // Checked here first, so that a malformed file is named without a node.
  SANJI_RETURN_IF_ERROR(node::ParseSchemaFile(flags.file, text).status());
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  v1::PublishSchemaRequest request;
  request.set_text(text);
  request.set_file_name(flags.file);
  SANJI_ASSIGN_OR_RETURN(
      const v1::PublishSchemaResponse response,
      connection.Call(connection.admin(), &v1::AdminService::Stub::PublishSchema, request));
  if (global.json) return PrintJson(response, out);
  out << "published schema version " << response.version() << " (was "
      << response.previous_version() << "); every node adopts it when the record reaches it\n";
  return absl::OkStatus();
}

absl::Status RunShow(const GlobalFlags& global, const SchemaFlags& flags, std::ostream& out) {
  if (flags.version > 0) {
    SANJI_ASSIGN_OR_RETURN(const std::string text, PublishedText(global, flags.version));
    out << text;
    return absl::OkStatus();
  }
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  SANJI_ASSIGN_OR_RETURN(const v1::SchemaConfig schema,
                         connection.Call(connection.admin(), &v1::AdminService::Stub::GetSchema,
                                         v1::GetSchemaRequest()));
  if (global.json) return PrintJson(schema, out);
  google::protobuf::TextFormat::Printer printer;
  printer.SetUseUtf8StringEscaping(true);
  std::string text;
  printer.PrintToString(schema, &text);
  out << text;
  return absl::OkStatus();
}

absl::Status RunDiff(const GlobalFlags& global, const SchemaFlags& flags, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const conflict::Schema before, LoadSchema(global, flags.before));
  SANJI_ASSIGN_OR_RETURN(const conflict::Schema after, LoadSchema(global, flags.after));
  const std::vector<std::string> changes = conflict::DiffSchemas(before, after);
  if (changes.empty()) out << "no change\n";
  for (const std::string& change : changes) out << change << "\n";
  return absl::OkStatus();
}

absl::Status RunCheck(const GlobalFlags& global, const SchemaFlags& flags, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const conflict::Schema before, LoadSchema(global, flags.before));
  SANJI_ASSIGN_OR_RETURN(const conflict::Schema after, LoadSchema(global, flags.after));
  const std::vector<conflict::SchemaViolation> violations =
      conflict::CheckSchemaChange(before, after);
  for (const conflict::SchemaViolation& violation : violations) {
    out << "incompatible: " << violation.ToString() << "\n";
  }
  if (!violations.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(flags.after, " may not follow ", flags.before, ": ", violations.size(),
                     " incompatible change", violations.size() == 1 ? "" : "s", " (listed above)"));
  }
  out << "compatible: " << flags.after << " may follow " << flags.before << "\n";
  return absl::OkStatus();
}

// Makes `command` a leaf that runs `run` with `flags`.
void SetSchemaAction(CLI::App& command, Invocation& invocation,
                     std::shared_ptr<const SchemaFlags> flags,
                     absl::Status (*run)(const GlobalFlags&, const SchemaFlags&, std::ostream&)) {
  SetNodeAction(command, invocation, [flags, run](const GlobalFlags& global, std::ostream& out) {
    return run(global, *flags, out);
  });
}

}  // namespace

void RegisterSchemaCommands(CLI::App& parent, Invocation& invocation) {
  CLI::App* schema = parent.add_subcommand("schema", "The county's schema versions");
  schema->require_subcommand(1);
  auto flags = std::make_shared<SchemaFlags>();

  CLI::App* publish = schema->add_subcommand(
      "publish", "At the county: publish FILE as the next schema version, for every node");
  publish->add_option("file", flags->file, "A schema file (SchemaConfig, text format)")->required();
  SetSchemaAction(*publish, invocation, flags, RunPublish);

  CLI::App* show = schema->add_subcommand("show", "The schema the node runs, or a version of it");
  show->add_option("--version", flags->version, "A published version's number");
  SetSchemaAction(*show, invocation, flags, RunShow);

  CLI::App* diff = schema->add_subcommand(
      "diff", "What changed from A to B (schema files, or version numbers at the node)");
  diff->add_option("a", flags->before, "The older schema")->required();
  diff->add_option("b", flags->after, "The newer schema")->required();
  SetSchemaAction(*diff, invocation, flags, RunDiff);

  CLI::App* check = schema->add_subcommand(
      "check", "Whether NEW may follow OLD by the rules of change (files or version numbers)");
  check->add_option("old", flags->before, "The schema nodes run now")->required();
  check->add_option("new", flags->after, "The schema to publish")->required();
  SetSchemaAction(*check, invocation, flags, RunCheck);
}

}  // namespace sanji::cli
