// What every driver of a sync session against this node's store does with
// the session's output apart from its frames: a live link (node/sync_link.h)
// and a bundle import (node/bundle.h) alike log the items the session
// refused, apply its batches to the store and announce each commit to the
// node's other links, so that an imported batch lands exactly as a received
// one does.
//
// Thread-safety: on the session's driver thread; the store and the notifier
// are thread-safe.
#ifndef SANJI_NODE_SESSION_APPLY_H_
#define SANJI_NODE_SESSION_APPLY_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "node/commit_notifier.h"
#include "replication/session.h"
#include "store/store.h"

namespace sanji::node {

struct SessionOutput {
  // Some batch was applied (or failed) and reported: the session may have
  // new frames (its acks).
  bool applied = false;
  // The items the session refused since the last call, logged already.
  std::vector<replication::RefusedItem> refused;
  // Records whose stored state the applied batches changed
  // (store::RemoteApplied): received is not changed when they were held.
  uint64_t records_changed = 0;
};

// Logs `session`'s refused items and field clashes (naming `label`), applies each of its
// batches to `store` in one atomic commit (replication::ApplyToStore),
// notifies every listener of `notifier` but `self` of each commit, and
// reports each batch to the session with Session::Applied.
SessionOutput ApplySessionOutput(replication::Session& session, store::Store& store,
                                 CommitNotifier& notifier, CommitNotifier::ListenerId self,
                                 absl::string_view label);

}  // namespace sanji::node

#endif  // SANJI_NODE_SESSION_APPLY_H_
