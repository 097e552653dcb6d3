#include "cli/conflict_view.h"

#include "absl/strings/str_cat.h"
#include "cli/format.h"
#include "cli/table.h"
#include "conflict/hlc.h"

namespace sanji::cli {
namespace {

// Wide enough for two short Chinese values, narrow enough for a terminal.
constexpr size_t kValuesWidth = 40;

std::string SideValue(const v1::ConflictSide& side) {
  return side.has_value() ? FormatValue(side.value()) : "(deleted)";
}

std::string RecordName(const v1::ConflictEntry& entry) {
  return absl::StrCat(entry.collection(), "/", entry.key());
}

// Settled: a later write replaced both sides here (resolved at another node,
// or written over): nothing is left to decide at this node.
constexpr char kSettled[] = "by a later write";

std::string Resolution(const v1::ConflictEntry& entry) {
  if (entry.resolved()) return FormatMicros(entry.resolved_at().physical_micros());
  return entry.settled() ? kSettled : "no";
}

// HLC times read as conflict/ writes them in the node's log.
std::string TimeText(const v1::HybridTimestamp& time) {
  return conflict::HlcTimestamp{time.physical_micros(), time.logical()}.ToString();
}

}  // namespace

std::string ConflictKindName(v1::ConflictEntry::Kind kind) {
  switch (kind) {
    case v1::ConflictEntry::LWW_OVERWRITE:
      return "lww";
    case v1::ConflictEntry::MV_SIBLINGS:
      return "mv";
    case v1::ConflictEntry::WRITE_CONCURRENT_WITH_DELETE:
      return "delete";
    default:
      return "?";
  }
}

void PrintConflictTable(const v1::ListConflictsResponse& entries, std::ostream& out) {
  if (entries.entries().empty()) {
    out << "no conflicts\n";
    return;
  }
  Table table({"SEQ", "RECORD", "FIELD", "KIND", "VALUES", "WHEN", "RESOLVED"});
  for (const v1::ConflictEntry& entry : entries.entries()) {
    table.AddRow(
        {absl::StrCat(entry.sequence()), RecordName(entry),
         entry.field().empty() ? "-" : entry.field(), ConflictKindName(entry.kind()),
         TruncateToWidth(absl::StrCat(SideValue(entry.kept()), " | ", SideValue(entry.other())),
                         kValuesWidth),
         FormatMicros(entry.recorded().physical_micros()), Resolution(entry)});
  }
  table.Print(out);
}

void PrintConflict(const v1::ConflictEntry& entry, std::ostream& out) {
  Table table;
  table.AddRow({"sequence", absl::StrCat(entry.sequence())});
  table.AddRow({"record", RecordName(entry)});
  table.AddRow({"field", entry.field().empty() ? "-" : entry.field()});
  table.AddRow({"kind", ConflictKindName(entry.kind())});
  table.AddRow({"recorded", FormatMicros(entry.recorded().physical_micros())});
  table.AddRow({"resolved", Resolution(entry)});
  const auto add_side = [&table](const std::string& name, const v1::ConflictSide& side) {
    table.AddRow({name, SideValue(side)});
    table.AddRow({absl::StrCat(name, " change"), FormatChangeId(side.change())});
    table.AddRow({absl::StrCat(name, " time"), TimeText(side.time())});
    table.AddRow({absl::StrCat(name, " by"), side.author().empty() ? "-" : side.author()});
  };
  add_side("kept", entry.kept());
  add_side("other", entry.other());
  table.Print(out);
}

}  // namespace sanji::cli
