// Which records a node holds (ARCHITECTURE.md §1, §4), by the scope rules of
// authz/scope_path.h and authz/sync_change.h.
//
// Thread-safety: pure functions.
#ifndef SANJI_REPLICATION_SCOPE_H_
#define SANJI_REPLICATION_SCOPE_H_

#include "absl/strings/string_view.h"
#include "authz/scope_path.h"
#include "authz/sync_change.h"

namespace sanji::replication {

// The tree's rules are authz/scope_path.h's; the engine names them here.
using authz::InFilter;
using authz::InSubtree;
using authz::IsAncestorOrSelf;
// Whether a node keeps a record (authz/sync_change.h).
using authz::Holds;

}  // namespace sanji::replication

#endif  // SANJI_REPLICATION_SCOPE_H_
