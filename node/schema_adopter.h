// SchemaAdopter: the node's side of the schema as data (docs/SCHEMA.md).
//
// The county publishes a schema version as an `@schema` record of its scope
// (authz/county_records.h), which reaches every node like any record.
// Each node runs the newest version it holds: the adopter reads them at
// start and again after every commit, and swaps the node's SchemaHolder,
// which the store, the sessions and the services read at each call. So a
// node adopts a version without a restart, and a node that was offline
// adopts it once the record arrives; the config's schema is version 0, the
// start of a new node. A version that fails to parse or breaks the rules of
// change against the one the node runs (a county that forced it past its
// own check cannot, but a store may hold anything) is logged and skipped.
//
// Thread-safety: thread-safe. One thread of its own (Start/Stop) waits for
// commits and looks at most every 100 ms while they flow, so that a
// catch-up's thousands of commits cost a few looks a second; Publish and
// AdoptNewest may run on any thread.
#ifndef SANJI_NODE_SCHEMA_ADOPTER_H_
#define SANJI_NODE_SCHEMA_ADOPTER_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conflict/schema_holder.h"
#include "node/commit_notifier.h"
#include "store/store.h"

namespace sanji::node {

class SchemaAdopter {
 public:
  // REQUIRES: `store`, `holder` and `notifier` outlive the adopter; the
  // store reads its schema from `holder`.
  SchemaAdopter(store::Store* store, conflict::SchemaHolder* holder, CommitNotifier* notifier,
                std::string node_id);
  ~SchemaAdopter();

  SchemaAdopter(const SchemaAdopter&) = delete;
  SchemaAdopter& operator=(const SchemaAdopter&) = delete;

  // Adopts the newest version the store holds that is newer than the
  // holder's, valid and compatible. Returns the number current after.
  // Errors: the store's read errors.
  absl::StatusOr<uint64_t> AdoptNewest();

  // Starts the thread that calls AdoptNewest after commits; Stop ends it.
  void Start();
  void Stop();

  struct Published {
    uint64_t version = 0;
    uint64_t previous_version = 0;
  };
  // Parses `text` (a schema file named `file_name`), checks it against the
  // version this node runs by the rules of change, writes it as the next
  // version's `@schema` record, by `author` (the caller's identity), and
  // adopts it. REQUIRES: this node is the
  // county (authz checks it before). Errors: InvalidArgument
  // "FILE:LINE:COL: ..." for a malformed file; FailedPrecondition naming each
  // field and rule an incompatible change breaks, or for a file that changes
  // nothing; the store's write errors.
  absl::StatusOr<Published> Publish(absl::string_view file_name, absl::string_view text,
                                    absl::string_view author);

 private:
  void Run();
  // The newest number of any `@schema` record the store holds, valid or not.
  absl::StatusOr<uint64_t> NewestStored() const;

  store::Store* const store_;
  conflict::SchemaHolder* const holder_;
  CommitNotifier* const notifier_;
  const std::string node_id_;

  // Serializes publications and adoptions: a version is checked against the
  // one current when it is adopted. std::mutex rather than absl::Mutex here:
  // Debian's Abseil is not built for TSan, which would not see absl::Mutex
  // order the accesses (the thread and Stop share stopping_).
  std::mutex mu_;
  // Versions already refused here, so each is logged once.
  uint64_t last_refused_ ABSL_GUARDED_BY(mu_) = 0;

  std::mutex run_mu_;
  std::condition_variable stop_requested_;
  bool stopping_ ABSL_GUARDED_BY(run_mu_) = false;
  std::thread thread_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_SCHEMA_ADOPTER_H_
