#include "cli/commands/conflict_commands.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/commands/record_commands.h"
#include "cli/conflict_view.h"
#include "cli/connection.h"
#include "cli/format.h"
#include "cli/table.h"
#include "conflict/record.h"
#include "conflict/status_macros.h"

namespace sanji::cli {
namespace {

struct ListFlags {
  bool all = false;
  uint32_t limit = 100;
};

struct ResolveFlags {
  uint64_t sequence = 0;
  std::optional<std::string> value;
};

absl::Status RunList(const GlobalFlags& global, const ListFlags& flags, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  v1::ListConflictsRequest request;
  request.set_limit(flags.limit);
  request.set_unresolved_only(!flags.all);
  SANJI_ASSIGN_OR_RETURN(
      const v1::ListConflictsResponse response,
      connection.Call(connection.admin(), &v1::AdminService::Stub::ListConflicts, request));
  if (global.json) return PrintJson(response, out);
  PrintConflictTable(response, out);
  return absl::OkStatus();
}

absl::StatusOr<v1::ConflictEntry> GetConflict(const Connection& connection, uint64_t sequence) {
  v1::GetConflictRequest request;
  request.set_sequence(sequence);
  return connection.Call(connection.admin(), &v1::AdminService::Stub::GetConflict, request);
}

absl::Status RunShow(const GlobalFlags& global, uint64_t sequence, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  SANJI_ASSIGN_OR_RETURN(const v1::ConflictEntry entry, GetConflict(connection, sequence));
  if (global.json) return PrintJson(entry, out);
  PrintConflict(entry, out);
  return absl::OkStatus();
}

// Writes the value a person chose to the event's field. Errors:
// InvalidArgument for an event with no field (a write concurrent with a
// delete: the record is alive again, and `put` edits it); those of PutFields.
absl::Status WriteChosenValue(const Connection& connection, const v1::ConflictEntry& entry,
                              const std::string& value) {
  if (entry.field().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "conflict ", entry.sequence(),
        " is a write concurrent with a delete: it has no field for --value; resolve it "
        "without --value, and use put to change the record"));
  }
  const bool scope = entry.field() == conflict::Record::kScopeField;
  PutInput input;
  if (!scope) input.assign.push_back(absl::StrCat(entry.field(), "=", value));
  return PutFields(connection, entry.collection(), entry.key(), scope ? value : "", input).status();
}

// Keeping an lww value (or scope) is a write too: the value read now,
// written again, has seen both sides, so every node it reaches reads the
// event as settled (conflict::SettledBy), not only this one. Other kinds are
// only marked here: an mv field keeps its values until a --value chooses.
// Returns whether it wrote.
absl::StatusOr<bool> WriteKeptValue(const Connection& connection, const v1::ConflictEntry& entry) {
  if (entry.kind() != v1::ConflictEntry::LWW_OVERWRITE) return false;
  v1::GetRequest get;
  get.set_collection(entry.collection());
  get.set_key(entry.key());
  SANJI_ASSIGN_OR_RETURN(const v1::Record record,
                         connection.Call(connection.records(), &v1::RecordService::Stub::Get, get));
  v1::PutRequest put;
  put.set_collection(entry.collection());
  put.set_key(entry.key());
  if (entry.field() == conflict::Record::kScopeField) {
    put.set_scope(record.scope());
  } else {
    auto field = record.fields().find(entry.field());
    // Deleted since: nothing is left to keep.
    if (field == record.fields().end() || !field->second.has_lww()) return false;
    v1::FieldOperation& op = *put.add_ops();
    op.set_field(entry.field());
    *op.mutable_assign() = field->second.lww();
  }
  SANJI_RETURN_IF_ERROR(
      connection.Call(connection.records(), &v1::RecordService::Stub::Put, put).status());
  return true;
}

absl::Status RunResolve(const GlobalFlags& global, const ResolveFlags& flags, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  // Read first: an unknown sequence must not write anything.
  SANJI_ASSIGN_OR_RETURN(const v1::ConflictEntry entry, GetConflict(connection, flags.sequence));
  bool kept_written = false;
  if (flags.value.has_value()) {
    SANJI_RETURN_IF_ERROR(WriteChosenValue(connection, entry, *flags.value));
  } else {
    SANJI_ASSIGN_OR_RETURN(kept_written, WriteKeptValue(connection, entry));
  }
  v1::ResolveConflictRequest request;
  request.set_sequence(flags.sequence);
  SANJI_ASSIGN_OR_RETURN(
      const v1::ConflictEntry resolved,
      connection.Call(connection.admin(), &v1::AdminService::Stub::ResolveConflict, request));
  if (global.json) return PrintJson(resolved, out);
  const std::string field =
      EscapeForTerminal(absl::StrCat(entry.collection(), "/", entry.key(), " ", entry.field()));
  if (flags.value.has_value()) {
    out << "wrote " << field << " = " << EscapeForTerminal(*flags.value) << "\n";
  } else {
    out << "kept the value " << field << " reads now"
        << (kept_written ? " (written again, so that every node reads it settled)" : "") << "\n";
  }
  out << "resolved conflict " << resolved.sequence() << "\n";
  return absl::OkStatus();
}

absl::Status RunCheck(const GlobalFlags& global, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  SANJI_ASSIGN_OR_RETURN(
      const v1::CheckResponse response,
      connection.Call(connection.admin(), &v1::AdminService::Stub::Check, v1::CheckRequest()));
  if (global.json) {
    SANJI_RETURN_IF_ERROR(PrintJson(response, out));
  } else {
    if (response.consistent()) out << "consistent\n";
    if (!response.field_clashes().empty()) {
      out << response.field_clashes_size()
          << " fields hold another kind than this node's schema gives them (two schemas "
             "disagree; each kept apart and relayed as it came):\n";
      for (const std::string& clash : response.field_clashes()) {
        out << "  " << EscapeForTerminal(clash) << "\n";
      }
    }
  }
  // DataLoss, as the store reports it: a failure (exit 1), problems on stderr.
  if (!response.consistent()) {
    return absl::DataLossError(absl::StrCat("inconsistent: ", response.problems()));
  }
  return absl::OkStatus();
}

void AddSequence(CLI::App& command, uint64_t& sequence) {
  command.add_option("SEQ", sequence, "The event's sequence, as conflicts ls shows it")->required();
}

void AddList(CLI::App& parent, Invocation& invocation) {
  auto flags = std::make_shared<ListFlags>();
  CLI::App* ls = parent.add_subcommand("ls", "Conflict events, oldest first: unresolved ones");
  ls->add_flag("--all", flags->all, "Resolved ones too");
  ls->add_option("--limit", flags->limit, "At most this many events")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  SetNodeAction(*ls, invocation, [flags](const GlobalFlags& global, std::ostream& out) {
    return RunList(global, *flags, out);
  });
}

void AddShow(CLI::App& parent, Invocation& invocation) {
  auto sequence = std::make_shared<uint64_t>();
  CLI::App* show = parent.add_subcommand("show", "One conflict event: both sides, in full");
  AddSequence(*show, *sequence);
  SetNodeAction(*show, invocation, [sequence](const GlobalFlags& global, std::ostream& out) {
    return RunShow(global, *sequence, out);
  });
}

void AddResolve(CLI::App& parent, Invocation& invocation) {
  auto flags = std::make_shared<ResolveFlags>();
  CLI::App* resolve = parent.add_subcommand(
      "resolve", "Mark a conflict event resolved, first writing the value chosen (--value)");
  AddSequence(*resolve, flags->sequence);
  resolve->add_option("--value", flags->value,
                      "Write this to the event's field first (typed by the node's schema); "
                      "without it the field keeps the value it reads now");
  SetNodeAction(*resolve, invocation, [flags](const GlobalFlags& global, std::ostream& out) {
    return RunResolve(global, *flags, out);
  });
}

}  // namespace

void RegisterConflictCommands(CLI::App& parent, Invocation& invocation) {
  CLI::App* conflicts = parent.add_subcommand(
      "conflicts", "Concurrent edits: lww values overwritten, mv siblings, writes vs deletes");
  conflicts->require_subcommand(1);
  AddList(*conflicts, invocation);
  AddShow(*conflicts, invocation);
  AddResolve(*conflicts, invocation);
  CLI::App* check =
      parent.add_subcommand("check", "The store consistency check (reads the whole store)");
  SetNodeAction(*check, invocation, RunCheck);
}

}  // namespace sanji::cli
