#include "cli/commands/record_commands.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/connection.h"
#include "cli/format.h"
#include "cli/put_input.h"
#include "cli/table.h"
#include "conflict/status_macros.h"

namespace sanji::cli {
namespace {

// A page as large as the node serves (api.proto, ListRequest.page_size).
constexpr int kMaxPageSize = 1000;
// Wide enough for a title in Chinese, narrow enough for a terminal.
constexpr size_t kSummaryWidth = 40;

struct RecordName {
  std::string collection;
  std::string key;
};

// A GetRequest or DeleteRequest naming the record.
template <typename Request>
Request RequestFor(const RecordName& name) {
  Request request;
  request.set_collection(name.collection);
  request.set_key(name.key);
  return request;
}

struct PutFlags {
  RecordName name;
  std::string scope;
  PutInput input;
};

struct GetFlags {
  RecordName name;
  bool history = false;
};

struct ListFlags {
  std::string collection;
  std::string prefix;
  int limit = 100;
  std::string page_token;
};

absl::Status RunPut(const GlobalFlags& global, const PutFlags& flags, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  SANJI_ASSIGN_OR_RETURN(
      const v1::PutResponse response,
      PutFields(connection, flags.name.collection, flags.name.key, flags.scope, flags.input));
  if (global.json) return PrintJson(response, out);
  PrintRecord(response.record(), out);
  return absl::OkStatus();
}

absl::Status RunGet(const GlobalFlags& global, const GetFlags& flags, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  v1::GetRequest request = RequestFor<v1::GetRequest>(flags.name);
  request.set_history(flags.history);
  SANJI_ASSIGN_OR_RETURN(
      const v1::Record record,
      connection.Call(connection.records(), &v1::RecordService::Stub::Get, request));
  if (global.json) return PrintJson(record, out);
  PrintRecord(record, out);
  return absl::OkStatus();
}

absl::Status RunRemove(const GlobalFlags& global, const RecordName& name, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  SANJI_ASSIGN_OR_RETURN(const v1::DeleteResponse response,
                         connection.Call(connection.records(), &v1::RecordService::Stub::Delete,
                                         RequestFor<v1::DeleteRequest>(name)));
  if (global.json) return PrintJson(response, out);
  out << "deleted " << name.collection << "/" << name.key << "\n";
  return absl::OkStatus();
}

// Up to `flags.limit` records, page after page. When more remain, its
// next_page_token is the node's token for the rest (so `--json ls` says it
// was cut, and --page-token goes on from there); otherwise it is empty.
absl::StatusOr<v1::ListResponse> List(const Connection& connection, const ListFlags& flags) {
  v1::ListResponse listing;
  v1::ListRequest request;
  request.set_collection(flags.collection);
  request.set_key_prefix(flags.prefix);
  request.set_page_token(flags.page_token);
  while (true) {
    const int wanted = flags.limit - listing.records_size();
    request.set_page_size(std::min(wanted, kMaxPageSize));
    SANJI_ASSIGN_OR_RETURN(
        v1::ListResponse page,
        connection.Call(connection.records(), &v1::RecordService::Stub::List, request));
    for (v1::Record& record : *page.mutable_records()) {
      *listing.add_records() = std::move(record);
    }
    listing.set_next_page_token(page.next_page_token());
    if (page.next_page_token().empty() || listing.records_size() >= flags.limit) return listing;
    request.set_page_token(page.next_page_token());
  }
}

absl::Status RunList(const GlobalFlags& global, const ListFlags& flags, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  SANJI_ASSIGN_OR_RETURN(const v1::ListResponse listing, List(connection, flags));
  if (global.json) return PrintJson(listing, out);
  Table table({"KEY", "SCOPE", "UPDATED", "SUMMARY"});
  for (const v1::Record& record : listing.records()) {
    table.AddRow({record.key(), record.scope(), FormatMicros(record.updated().physical_micros()),
                  Summary(record, kSummaryWidth)});
  }
  table.Print(out);
  if (!listing.next_page_token().empty()) {
    out << "(more records: raise --limit, now " << flags.limit << ", or go on with --page-token "
        << listing.next_page_token() << ")\n";
  }
  return absl::OkStatus();
}

void AddRecordName(CLI::App& command, RecordName& name) {
  command.add_option("COLLECTION", name.collection, "Collection, e.g. service_requests")
      ->required();
  command.add_option("KEY", name.key, "The record's key")->required();
}

void AddPut(CLI::App& parent, Invocation& invocation) {
  auto flags = std::make_shared<PutFlags>();
  CLI::App* put = parent.add_subcommand(
      "put", "Write fields of a record; values are typed by the node's schema");
  AddRecordName(*put, flags->name);
  put->add_option("FIELD=VALUE", flags->input.assign,
                  "Assign an lww or mv field, or advance a status field");
  put->add_option("--scope", flags->scope,
                  "The record's scope (required for a new record), e.g. gutian/fengpu/xiaban");
  // One FIELD=VALUE per occurrence, repeated as needed: CLI11 otherwise lets
  // a vector option take every word up to the next flag, so the FIELD=VALUE
  // assignments written after `--add parties=甲` would become set elements.
  const auto repeatable = [put](const std::string& flag, std::vector<std::string>& values,
                                const std::string& description) {
    put->add_option(flag, values, description)->allow_extra_args(false);
  };
  repeatable("--incr", flags->input.increment, "FIELD=N: add N to a counter");
  repeatable("--add", flags->input.add, "FIELD=VALUE: add an element to a set");
  repeatable("--remove", flags->input.remove, "FIELD=VALUE: remove an element from a set");
  repeatable("--status", flags->input.set_status, "FIELD=VALUE: advance a status field");
  SetNodeAction(*put, invocation, [flags](const GlobalFlags& global, std::ostream& out) {
    return RunPut(global, *flags, out);
  });
}

void AddGet(CLI::App& parent, Invocation& invocation) {
  auto flags = std::make_shared<GetFlags>();
  CLI::App* get = parent.add_subcommand("get", "Show a record and its fields");
  AddRecordName(*get, flags->name);
  get->add_flag("--history", flags->history,
                "Also list the changes the record still holds: when, where, by whom, which fields");
  SetNodeAction(*get, invocation, [flags](const GlobalFlags& global, std::ostream& out) {
    return RunGet(global, *flags, out);
  });
}

void AddRemove(CLI::App& parent, Invocation& invocation) {
  auto name = std::make_shared<RecordName>();
  CLI::App* rm = parent.add_subcommand("rm", "Delete a record (the delete replicates)");
  AddRecordName(*rm, *name);
  SetNodeAction(*rm, invocation, [name](const GlobalFlags& global, std::ostream& out) {
    return RunRemove(global, *name, out);
  });
}

void AddList(CLI::App& parent, Invocation& invocation) {
  auto flags = std::make_shared<ListFlags>();
  CLI::App* ls = parent.add_subcommand("ls", "List a collection's live records in key order");
  ls->add_option("COLLECTION", flags->collection, "Collection, e.g. service_requests")->required();
  ls->add_option("PREFIX", flags->prefix, "Only keys that start with this");
  ls->add_option("--limit", flags->limit, "At most this many records")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  ls->add_option("--page-token", flags->page_token,
                 "Go on from where a listing was cut (its next_page_token)");
  SetNodeAction(*ls, invocation, [flags](const GlobalFlags& global, std::ostream& out) {
    return RunList(global, *flags, out);
  });
}

}  // namespace

absl::StatusOr<v1::PutResponse> PutFields(const Connection& connection,
                                          const std::string& collection, const std::string& key,
                                          const std::string& scope, const PutInput& input) {
  SANJI_ASSIGN_OR_RETURN(const conflict::Schema schema, connection.Schema());
  SANJI_ASSIGN_OR_RETURN(const conflict::CollectionSchema* fields, schema.Collection(collection));
  SANJI_ASSIGN_OR_RETURN(std::vector<v1::FieldOperation> ops, OperationsFromInput(*fields, input));
  v1::PutRequest request;
  request.set_collection(collection);
  request.set_key(key);
  if (!scope.empty()) request.set_scope(scope);
  for (v1::FieldOperation& op : ops) *request.add_ops() = std::move(op);
  return connection.Call(connection.records(), &v1::RecordService::Stub::Put, request);
}

void RegisterRecordCommands(CLI::App& parent, Invocation& invocation) {
  AddPut(parent, invocation);
  AddGet(parent, invocation);
  AddRemove(parent, invocation);
  AddList(parent, invocation);
}

}  // namespace sanji::cli
