// Scopes and filters (ARCHITECTURE.md §1, §4). A node's id is its scope, a
// path such as "gutian/fengpu/xiaban"; the tree is the prefix order of paths
// at '/' boundaries.
//
// Thread-safety: pure functions.
#ifndef SANJI_REPLICATION_SCOPE_H_
#define SANJI_REPLICATION_SCOPE_H_

#include "absl/strings/string_view.h"
#include "conflict/record.h"

namespace sanji::replication {

// True if `ancestor` is `scope` or one of its ancestors: "a" is an ancestor of
// "a/b" but not of "ab".
bool IsAncestorOrSelf(absl::string_view ancestor, absl::string_view scope);

// True if `scope` lies in the subtree of node `node` (the node itself
// included): the records `node` has authority over.
inline bool InSubtree(absl::string_view scope, absl::string_view node) {
  return IsAncestorOrSelf(node, scope);
}

// The filter of `node`: records whose scope is an ancestor-or-self of the
// node (notices from above) or in its subtree (its own data, and what was
// addressed to it).
inline bool InFilter(absl::string_view scope, absl::string_view node) {
  return IsAncestorOrSelf(scope, node) || InSubtree(scope, node);
}

// Whether `node` keeps `record` in its store: the record is in its filter,
// or `node` has children (`relays`) and the record was moved away from a
// scope in its filter: some node below may still hold it under that scope
// and must learn of the move through this node, which keeps the record for
// that (a "ghost"; replication/DESIGN.md, "Move-outs"). A record without a
// scope is held nowhere.
bool Holds(const conflict::Record& record, absl::string_view node, bool relays);

}  // namespace sanji::replication

#endif  // SANJI_REPLICATION_SCOPE_H_
