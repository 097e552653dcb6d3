#include "cli/status_tree.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "authz/scope_path.h"
#include "cli/format.h"
#include "cli/table.h"
#include "node/status_schema.h"

namespace sanji::cli {
namespace {

namespace f = node::status_field;

// An lww field's value, or the type's zero when the field is absent.
int64_t Int(const v1::Record& record, const char* field) {
  auto it = record.fields().find(field);
  return it == record.fields().end() ? 0 : it->second.lww().integer();
}
std::string Text(const v1::Record& record, const char* field) {
  auto it = record.fields().find(field);
  return it == record.fields().end() ? "" : it->second.lww().text();
}

int64_t Seconds(int64_t micros) { return std::max<int64_t>(micros, 0) / 1'000'000; }

std::string State(const v1::Record& record, int64_t now) {
  const std::optional<int64_t> since = OfflineSince(record, now);
  if (!since.has_value()) return "online";
  return absl::StrCat("OFFLINE ", FormatSeconds(Seconds(now - *since)));
}

// A stale record's parent link and lag are what they were at its last
// report, not what they are now: marked "was", so that an operator does not
// read a village gone for hours as "live" and in sync.
std::string LastKnown(bool stale, std::string text) {
  return stale ? absl::StrCat("was ", text) : text;
}

std::string ParentLink(const v1::Record& record, bool stale) {
  const std::string parent = Text(record, f::kParent);
  if (parent.empty()) return "-";
  const std::string state = Text(record, f::kParentState);
  if (parent == authz::ParentOf(record.key())) return LastKnown(stale, state);
  return LastKnown(stale, absl::StrCat(state, " via ", parent));
}

std::string Lag(const v1::Record& record, bool stale) {
  if (Text(record, f::kParent).empty()) return "-";
  const int64_t in_sync = Int(record, f::kInSync);
  std::string lag =
      in_sync == 0 ? "never in sync" : FormatSeconds(Seconds(Int(record, f::kUpdated) - in_sync));
  const int64_t parent_lacks = Int(record, f::kParentLacks);
  const int64_t behind = Int(record, f::kBehind);
  if (parent_lacks != 0 || behind != 0) absl::StrAppend(&lag, " +", parent_lacks, " -", behind);
  return LastKnown(stale, std::move(lag));
}

// The schema version the node runs; "-" in the record of a node too old to say.
std::string SchemaVersion(const v1::Record& record) {
  if (!record.fields().contains(f::kSchemaVersion)) return "-";
  return absl::StrCat(Int(record, f::kSchemaVersion));
}

std::string Refused(const v1::Record& record) {
  const int64_t skewed = Int(record, f::kRefusedTimestamps);
  return absl::StrCat(Int(record, f::kRefusedItems),
                      skewed == 0 ? "" : absl::StrCat(" +", skewed, " skew"));
}

}  // namespace

bool IsStale(const v1::Record& record, int64_t now_micros) {
  return now_micros - Int(record, f::kUpdated) > 3 * Int(record, f::kPeriod) * 1'000'000;
}

std::optional<int64_t> OfflineSince(const v1::Record& record, int64_t now_micros) {
  std::optional<int64_t> since;
  if (IsStale(record, now_micros)) since = Int(record, f::kUpdated);
  const std::string state = Text(record, f::kParentState);
  if (!Text(record, f::kParent).empty() && state != "live" && state != "catching_up") {
    const int64_t link_since = Int(record, f::kParentSince);
    since = std::min(since.value_or(link_since), link_since);
  }
  return since;
}

std::vector<v1::Record> SubtreeRecords(std::vector<v1::Record> records, absl::string_view root) {
  records.erase(std::remove_if(records.begin(), records.end(),
                               [root](const v1::Record& record) {
                                 return !authz::InSubtree(record.key(), root);
                               }),
                records.end());
  // By path segments, so that a node's children follow it: in byte order
  // "gutian/fengpu-2" would come between "gutian/fengpu" and its villages.
  std::sort(records.begin(), records.end(), [](const v1::Record& a, const v1::Record& b) {
    const std::vector<absl::string_view> left = absl::StrSplit(a.key(), '/');
    const std::vector<absl::string_view> right = absl::StrSplit(b.key(), '/');
    return left < right;
  });
  return records;
}

void PrintStatusTree(const std::vector<v1::Record>& records, absl::string_view root,
                     int64_t now_micros, std::ostream& out) {
  Table table({"NODE", "STATE", "PARENT", "LAG", "CONFLICTS", "REFUSED", "SCHEMA", "REPORTED"});
  // The ids shown so far that are ancestors of the current row, outermost
  // first: the row's depth and the name it is shown relative to.
  std::vector<absl::string_view> above;
  for (const v1::Record& record : records) {
    const absl::string_view id = record.key();
    while (!above.empty() && !authz::IsAncestorOrSelf(above.back(), id)) above.pop_back();
    const absl::string_view name = above.empty() ? id : id.substr(above.back().size() + 1);
    const bool stale = IsStale(record, now_micros);
    table.AddRow(
        {absl::StrCat(std::string(2 * above.size(), ' '), name), State(record, now_micros),
         ParentLink(record, stale), Lag(record, stale),
         absl::StrCat(Int(record, f::kOpenConflicts)), Refused(record), SchemaVersion(record),
         absl::StrCat(FormatSeconds(Seconds(now_micros - Int(record, f::kUpdated))), " ago")});
    above.push_back(id);
  }
  if (table.empty()) {
    out << "no status records of " << root << " or below\n";
    return;
  }
  table.Print(out);
}

}  // namespace sanji::cli
