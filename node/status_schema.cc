#include "node/status_schema.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

std::string StatusScope(absl::string_view node_id) { return absl::StrCat(node_id, "/@status"); }

absl::Status AddSystemCollections(conflict::Schema& schema) {
  SANJI_ASSIGN_OR_RETURN(conflict::CollectionSchema status, StatusCollection());
  return schema.AddSystemCollection(std::move(status));
}

}  // namespace sanji::node
