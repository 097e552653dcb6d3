// The rules of change between two versions of a schema (docs/SCHEMA.md,
// "Rules of change"), checked when the county publishes a version and by
// `sanjictl schema check OLD NEW`.
//
// A version may add what the one before lacks and must keep what it has, so
// that every node's stored records and every node on the older version go
// on reading and merging the same fields:
//   compatible:   add a collection; add a field; add a status value at the
//                 end of its order; switch a register between lww and mv;
//                 deprecate a field (or take its deprecation back).
//   incompatible: change a field's kind of state or its value type; remove
//                 or reorder status values; remove a field or a collection.
// Removing is refused even where nothing is stored yet: a name the county
// used once may be held by an offline village, and reused for another kind
// it would clash there. A field that is no longer wanted stays in the schema
// and stops being written.
//
// Sanji's own collections ('@') are the code's, not the county's: they are
// left out of both checks.
//
// Thread-safety: pure functions.
#ifndef SANJI_CONFLICT_SCHEMA_RULES_H_
#define SANJI_CONFLICT_SCHEMA_RULES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "conflict/schema.h"

namespace sanji::conflict {

// One incompatible change: where (the collection, and the field or empty),
// the rule it breaks, and what to do instead.
struct SchemaViolation {
  std::string collection;
  std::string field;
  std::string rule;        // "changes the kind of a field (lww to counter)"
  std::string suggestion;  // "add a field with a new name for the new kind"

  // "service_requests.priority changes the kind of a field (...): add ..."
  std::string ToString() const;
};

// Every incompatible change from `before` to `after`, in collection and
// field order; empty if `after` may follow `before`.
std::vector<SchemaViolation> CheckSchemaChange(const Schema& before, const Schema& after);

// OK if `after` may follow `before`; else FailedPrecondition listing every
// violation, one per line after the first.
absl::Status CheckCompatible(const Schema& before, const Schema& after);

// What changed from `before` to `after`, one line per change, in collection
// and field order: "+ collection notices", "- field service_requests.photo",
// "~ field service_requests.title: lww string -> mv string",
// "+ status service_requests.state: closed", "~ status ...: a < b -> b < a",
// "~ field service_requests.photo: deprecated".
std::vector<std::string> DiffSchemas(const Schema& before, const Schema& after);

// "lww string", "counter", "status open < closed": how the diff names a field.
std::string DescribeField(const FieldSpec& spec);

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_SCHEMA_RULES_H_
