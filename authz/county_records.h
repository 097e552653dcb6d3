// The records only the county writes: the published schema versions,
// `@schema` (docs/SCHEMA.md, "The schema as data"). The county is the root
// of the tree, the first segment of every node id.
//
// Every node adopts the newest schema version it holds, so a version written
// anywhere below the county would reshape the whole county: a session
// refuses such a record from its parent or its child, as it refuses any
// forged write (counted in refused_items), and the node's adopter reads only
// records that pass this check.
//
// Thread-safety: pure functions.
#ifndef SANJI_AUTHZ_COUNTY_RECORDS_H_
#define SANJI_AUTHZ_COUNTY_RECORDS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "conflict/record.h"

namespace sanji::authz {

// The collection of schema versions: one record per version, keyed by the
// version's number in decimal, of the county's scope.
inline constexpr char kSchemaCollection[] = "@schema";

// The county of node `node_id`: its first segment.
absl::string_view CountyOf(absl::string_view node_id);

// Empty if `record` of `collection` may have been written where its dots
// say; else why it is refused: an `@schema` record whose scope is not the
// county of `self`, or that holds a change of a node other than the county.
std::string CheckCountyAuthored(absl::string_view collection, const conflict::Record& record,
                                absl::string_view self);

}  // namespace sanji::authz

#endif  // SANJI_AUTHZ_COUNTY_RECORDS_H_
