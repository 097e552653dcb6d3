#include "node/status_schema.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "conflict/status_macros.h"

namespace sanji::node {
namespace {

absl::StatusOr<conflict::CollectionSchema> StatusCollection() {
  using conflict::FieldSpec;
  using conflict::ValueType;
  namespace f = status_field;
  conflict::CollectionSchema collection(kStatusCollection);
  for (const char* text : {f::kVersion, f::kKnowledge, f::kParent, f::kParentState, f::kParentError,
                           f::kChildren, f::kRecords}) {
    SANJI_RETURN_IF_ERROR(collection.AddField(text, FieldSpec::Lww(ValueType::kString)));
  }
  for (const char* number :
       {f::kIncarnation, f::kStarted, f::kUpdated, f::kPeriod, f::kParentSince, f::kParentContact,
        f::kInSync, f::kRefusedItems, f::kRefusedTimestamps, f::kConflicts, f::kDiskBytes}) {
    SANJI_RETURN_IF_ERROR(collection.AddField(number, FieldSpec::Lww(ValueType::kInt)));
  }
  return collection;
}

}  // namespace

std::string KnowledgeText(const v1::VersionVector& knowledge) {
  if (knowledge.entries().empty()) return "-";
  std::vector<std::string> entries;
  for (const v1::VersionVector::Entry& entry : knowledge.entries()) {
    entries.push_back(absl::StrCat(entry.origin().node_id(), "#", entry.origin().incarnation(), ":",
                                   entry.counter()));
  }
  return absl::StrJoin(entries, ", ");
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
  return schema.AddSystemCollection(std::move(status));
}

}  // namespace sanji::node
