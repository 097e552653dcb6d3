#include "node/status_schema.h"

#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "authz/county_records.h"
#include "conflict/status_macros.h"

namespace sanji::node {
namespace {

std::string OriginText(const v1::Origin& origin) {
  return absl::StrCat(origin.node_id(), "#", origin.incarnation());
}

absl::StatusOr<conflict::CollectionSchema> StatusCollection() {
  using conflict::FieldSpec;
  using conflict::ValueType;
  namespace f = status_field;
  conflict::CollectionSchema collection(kStatusCollection);
  for (const char* text : {f::kVersion, f::kKnowledge, f::kParent, f::kParentState, f::kParentError,
                           f::kChildren, f::kRecords, f::kLag}) {
    SANJI_RETURN_IF_ERROR(collection.AddField(text, FieldSpec::Lww(ValueType::kString)));
  }
  for (const char* number :
       {f::kIncarnation, f::kStarted, f::kUpdated, f::kPeriod, f::kParentSince, f::kParentContact,
        f::kInSync, f::kParentLacks, f::kBehind, f::kRefusedItems, f::kRefusedTimestamps,
        f::kClockSkewSeen, f::kConflicts, f::kOpenConflicts, f::kDiskBytes, f::kSchemaVersion}) {
    SANJI_RETURN_IF_ERROR(collection.AddField(number, FieldSpec::Lww(ValueType::kInt)));
  }
  return collection;
}

// `@schema` (authz/county_records.h): lww, as the county alone writes
// it, once per version.
absl::StatusOr<conflict::CollectionSchema> SchemaVersionCollection() {
  using conflict::FieldSpec;
  using conflict::ValueType;
  conflict::CollectionSchema collection(authz::kSchemaCollection);
  SANJI_RETURN_IF_ERROR(
      collection.AddField(schema_field::kVersion, FieldSpec::Lww(ValueType::kInt)));
  SANJI_RETURN_IF_ERROR(collection.AddField(schema_field::kText, FieldSpec::Lww()));
  return collection;
}

}  // namespace

std::string KnowledgeText(const v1::VersionVector& knowledge) {
  if (knowledge.entries().empty()) return "-";
  std::vector<std::string> entries;
  for (const v1::VersionVector::Entry& entry : knowledge.entries()) {
    entries.push_back(absl::StrCat(OriginText(entry.origin()), ":", entry.counter()));
  }
  return absl::StrJoin(entries, ", ");
}

std::vector<OriginLag> LagByOrigin(const v1::VersionVector& self, const v1::VersionVector& peer) {
  absl::btree_map<std::string, std::pair<uint64_t, uint64_t>> counters;  // origin -> self, peer
  for (const v1::VersionVector::Entry& entry : self.entries()) {
    counters[OriginText(entry.origin())].first = entry.counter();
  }
  for (const v1::VersionVector::Entry& entry : peer.entries()) {
    counters[OriginText(entry.origin())].second = entry.counter();
  }
  std::vector<OriginLag> lag;
  for (const auto& [origin, pair] : counters) {
    const auto [mine, theirs] = pair;
    if (mine == theirs) continue;
    lag.push_back(
        OriginLag{origin, mine > theirs ? mine - theirs : 0, theirs > mine ? theirs - mine : 0});
  }
  return lag;
}

std::string LagText(const std::vector<OriginLag>& lag) {
  if (lag.empty()) return "0";
  return absl::StrJoin(lag, ", ", [](std::string* out, const OriginLag& entry) {
    absl::StrAppend(out, entry.origin, " +", entry.peer_lacks, " -", entry.lacks);
  });
}

absl::StatusOr<v1::VersionVector> ParseKnowledgeText(absl::string_view text) {
  v1::VersionVector knowledge;
  if (text == "-") return knowledge;
  for (absl::string_view entry : absl::StrSplit(text, ", ")) {
    const size_t hash = entry.rfind('#');
    const size_t colon = entry.rfind(':');
    uint32_t incarnation = 0;
    uint64_t counter = 0;
    if (hash == absl::string_view::npos || colon == absl::string_view::npos || colon < hash ||
        hash == 0 || !absl::SimpleAtoi(entry.substr(hash + 1, colon - hash - 1), &incarnation) ||
        !absl::SimpleAtoi(entry.substr(colon + 1), &counter)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "knowledge entry \"", entry, "\" is not of the form node#incarnation:counter"));
    }
    v1::VersionVector::Entry* out = knowledge.add_entries();
    out->mutable_origin()->set_node_id(std::string(entry.substr(0, hash)));
    out->mutable_origin()->set_incarnation(incarnation);
    out->set_counter(counter);
  }
  return knowledge;
}

std::string StatusScope(absl::string_view node_id) { return absl::StrCat(node_id, "/@status"); }

absl::Status AddSystemCollections(conflict::Schema& schema) {
  SANJI_ASSIGN_OR_RETURN(conflict::CollectionSchema status, StatusCollection());
  SANJI_RETURN_IF_ERROR(schema.AddSystemCollection(std::move(status)));
  SANJI_ASSIGN_OR_RETURN(conflict::CollectionSchema versions, SchemaVersionCollection());
  return schema.AddSystemCollection(std::move(versions));
}

}  // namespace sanji::node
