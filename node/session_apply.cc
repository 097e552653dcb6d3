#include "node/session_apply.h"

#include <utility>

#include "node/log.h"
#include "replication/store_replica.h"

namespace sanji::node {

SessionOutput ApplySessionOutput(replication::Session& session, store::Store& store,
                                 CommitNotifier& notifier, CommitNotifier::ListenerId self,
                                 absl::string_view label) {
  SessionOutput output;
  output.refused = session.TakeRefusedItems();
  for (const replication::RefusedItem& refused : output.refused) {
    LogWarning(label, ": refused ", refused.collection, "/", refused.key, ": ", refused.reason);
  }
  for (const replication::FieldClash& clash : session.TakeClashes()) {
    LogWarning(label, ": ", clash.collection, "/", clash.key, ": field \"", clash.field,
               "\" holds another kind of state than this node's schema gives it (two schemas "
               "disagree): kept apart and relayed as it came, not read as the schema's field");
  }
  for (replication::ApplyBatch& batch : session.TakeApplies()) {
    const uint64_t sequence = batch.sequence;
    const absl::StatusOr<store::RemoteApplied> applied =
        replication::ApplyToStore(store, std::move(batch));
    if (applied.ok()) {
      notifier.Notify(self);
      output.records_changed += applied->records_changed;
    } else {
      LogError(label, ": could not apply a batch: ", applied.status().message());
    }
    session.Applied(sequence, applied.status());
    output.applied = true;
  }
  return output;
}

}  // namespace sanji::node
