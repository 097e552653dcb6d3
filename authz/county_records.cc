#include "authz/county_records.h"

#include "absl/strings/str_cat.h"

namespace sanji::authz {

absl::string_view CountyOf(absl::string_view node_id) {
  return node_id.substr(0, node_id.find('/'));
}

std::string CheckCountyAuthored(absl::string_view collection, const conflict::Record& record,
                                absl::string_view self) {
  if (collection != kSchemaCollection) return "";
  const absl::string_view county = CountyOf(self);
  const std::optional<std::string> scope = record.scope();
  if (scope.has_value() && *scope != county) {
    return absl::StrCat("a schema version of scope ", *scope, ": only the county ", county,
                        " publishes one, in its own scope");
  }
  for (const auto& [origin, counter] : record.context().entries()) {
    if (origin.node_id.str() != county) {
      return absl::StrCat("a schema version changed by ", origin.node_id.str(),
                          ": only the county ", county, " publishes one");
    }
  }
  return "";
}

}  // namespace sanji::authz
