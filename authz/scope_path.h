// Scope paths (ARCHITECTURE.md §1, §4): a node's id is its scope, a path of
// segments such as "gutian/fengpu/xiaban"; the tree is the prefix order of
// paths at '/' boundaries. Every part of Sanji that reads a scope, a node id
// or the tree's shape uses these rules, and only these.
//
// Thread-safety: pure functions.
#ifndef SANJI_AUTHZ_SCOPE_PATH_H_
#define SANJI_AUTHZ_SCOPE_PATH_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sanji::authz {

// The rule, as errors state it.
inline constexpr absl::string_view kScopePathRule =
    "segments of one or more of [a-z0-9_-], separated by single '/'";

// True if `segment` is one segment of a scope path (or a name of one
// segment, as an operator's or application's name is): one or more of [a-z0-9_-].
bool IsPathSegment(absl::string_view segment);

// OK if `path` is a scope path. InvalidArgument otherwise, naming `what` (a
// field or "node id"), the path and its first bad segment: "..", an empty
// segment (a leading, doubled or trailing '/'), an '@' are all refused.
absl::Status ValidateScopePath(absl::string_view path, absl::string_view what = "scope");

// True if `ancestor` is `scope` or one of its ancestors: "a" is an ancestor
// of "a/b" but not of "ab".
bool IsAncestorOrSelf(absl::string_view ancestor, absl::string_view scope);

// True if `scope` lies in the subtree of node `node` (the node itself
// included): the records `node` has authority over.
inline bool InSubtree(absl::string_view scope, absl::string_view node) {
  return IsAncestorOrSelf(node, scope);
}

// True if `scope` lies strictly below `node`.
inline bool StrictlyBelow(absl::string_view scope, absl::string_view node) {
  return scope != node && InSubtree(scope, node);
}

// The filter of `node`: records whose scope is an ancestor-or-self of the
// node (notices from above) or in its subtree (its own data, and what was
// addressed to it).
inline bool InFilter(absl::string_view scope, absl::string_view node) {
  return IsAncestorOrSelf(scope, node) || InSubtree(scope, node);
}

// The parent of node `id` in the tree, or "" for the root (a path of one
// segment).
absl::string_view ParentOf(absl::string_view id);

}  // namespace sanji::authz

#endif  // SANJI_AUTHZ_SCOPE_PATH_H_
