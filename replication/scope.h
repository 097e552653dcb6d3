// Which records a node holds (ARCHITECTURE.md §1, §4), by the scope rules of
// authz/scope_path.h.
//
// Thread-safety: pure functions.
#ifndef SANJI_REPLICATION_SCOPE_H_
#define SANJI_REPLICATION_SCOPE_H_

#include "absl/strings/string_view.h"
#include "authz/scope_path.h"
#include "conflict/record.h"

namespace sanji::replication {

// The tree's rules are authz/scope_path.h's; the engine names them here.
using authz::InFilter;
using authz::InSubtree;
using authz::IsAncestorOrSelf;

// Whether `node` keeps `record` in its store: the record is in its filter,
// or `node` has children (`relays`) and the record was moved away from a
// scope in its filter: some node below may still hold it under that scope
// and must learn of the move through this node, which keeps the record for
// that (a "ghost"; replication/DESIGN.md, "Move-outs"). A record without a
// scope is held nowhere.
bool Holds(const conflict::Record& record, absl::string_view node, bool relays);

}  // namespace sanji::replication

#endif  // SANJI_REPLICATION_SCOPE_H_
