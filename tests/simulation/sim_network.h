// The simulator: one process, one thread, N sync engines, each with its own
// real store (store::Store on an in-memory leveldb::Env, or on disk), joined
// by simulated links that carry serialized frames. Every step is chosen by the
// caller (a seeded schedule or a scenario), so a run replays exactly.
//
// A link is a child's session with one of its parents: two Sessions, a queue
// of frames in flight each way, and each side's queue of batches waiting to be
// applied to its store. Cutting a link drops all of that, as a lost
// connection and an unsynced apply queue would.
//
// The network checks as it goes: knowledge never decreases at any node; no
// record crosses a link twice in one session unless it changed in between;
// applied items are in the receiver's filter (or are move-outs). A USB bundle
// (ExchangeBundle) goes between two nodes whatever their links, through the
// node's real node::Bundles, so its records pass a real session's checks
// and land as sanjid's import lands them. At the end,
// CheckConverged compares every store with the oracle: the join of every
// acknowledged write, filtered by each node's scope.
//
// Thread-safety: none; one thread drives a network.
#ifndef SANJI_TESTS_SIMULATION_SIM_NETWORK_H_
#define SANJI_TESTS_SIMULATION_SIM_NETWORK_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "admin.pb.h"
#include "conflict/change.h"
#include "conflict/clock.h"
#include "conflict/record.h"
#include "conflict/schema.h"
#include "conflict/schema_holder.h"
#include "leveldb/env.h"
#include "node/bundle.h"
#include "node/commit_notifier.h"
#include "node/schema_adopter.h"
#include "node/sync_link.h"
#include "replication/session.h"
#include "replication/store_replica.h"
#include "store/store.h"

namespace sanji::simulation {

struct SimOptions {
  // A real LevelDB in a temporary directory instead of an in-memory Env.
  bool on_disk = false;
  // Where on-disk stores go (a fresh temporary directory per network).
  std::string disk_root;
  replication::SessionOptions session;
  int64_t max_skew_micros = 60 * 1'000'000LL;
  // Record every frame as a line of text (for golden transcripts).
  bool transcript = false;
  // When set (a schema file's text), each node runs a SchemaHolder of its
  // own, starting at this text as version 0, and adopts the newest valid
  // `@schema` version its store holds (node::SchemaAdopter::AdoptNewest)
  // when it opens and after each batch it applies, as sanjid does after
  // each commit. Otherwise every node reads the network's fixed schema.
  std::string schema_text;
};

class SimNode {
 public:
  SimNode(std::string id, std::vector<std::string> parents, const conflict::Schema* schema,
          const SimOptions& options, int64_t now_micros);
  ~SimNode();

  const std::string& id() const { return id_; }
  // Parents in dialing order: the primary first, then fallbacks.
  const std::vector<std::string>& parents() const { return parents_; }
  conflict::ManualClock& clock() { return clock_; }
  // What the node's commits are announced to (a bundle import notifies it).
  node::CommitNotifier& notifier() { return notifier_; }
  // Added to the network's time to make this node's clock.
  int64_t clock_offset_micros = 0;

  bool up() const { return store_ != nullptr; }
  store::Store& store() { return *store_; }
  const replication::StoreReplica& replica() const { return *replica_; }

  absl::Status Open();
  // Drops the store without a clean close (a crash: acknowledged writes are
  // durable; nothing else is kept). With SimOptions::schema_text the schema
  // the node ran goes too: Open starts again at version 0 and adopts.
  void Crash();

  // The schema the node's store and sessions read: its holder's current
  // version, or the network's fixed schema.
  conflict::SchemaSource schema() const;
  // REQUIRES: up() and SimOptions::schema_text set. The node's adopter.
  node::SchemaAdopter& adopter() { return *adopter_; }
  // Adopts the newest valid version the store holds; a no-op without
  // SimOptions::schema_text. Errors: the store's read errors.
  absl::Status AdoptNewestSchema();

 private:
  const std::string id_;
  const std::vector<std::string> parents_;
  const conflict::Schema* const schema_;
  const SimOptions& options_;
  conflict::ManualClock clock_;
  std::unique_ptr<leveldb::Env> memory_env_;
  // With SimOptions::schema_text; the holder outlives the store and the
  // adopter, which read it.
  std::unique_ptr<conflict::SchemaHolder> holder_;
  node::CommitNotifier notifier_;  // never waited on: the adopter's thread is not started
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<node::SchemaAdopter> adopter_;
  std::unique_ptr<replication::StoreReplica> replica_;
};

// One child-parent session and what is in flight on it.
struct SimLink {
  std::string child;
  std::string parent;
  std::unique_ptr<replication::Session> child_side;
  std::unique_ptr<replication::Session> parent_side;
  std::deque<std::string> to_parent;  // serialized SyncFrames
  std::deque<std::string> to_child;
  std::deque<replication::ApplyBatch> child_applies;
  std::deque<replication::ApplyBatch> parent_applies;
  // Per direction, what each record's context was when it last crossed.
  std::map<std::string, conflict::VersionVector> sent_up, sent_down;
  uint64_t items_refused = 0;
  // The sequence of the last batch the child side sent.
  uint64_t last_sequence_up = 0;
  // Sequences of batches injected with InjectToParent(..., seamless=true):
  // the link shifts the child's later batches past them and keeps the
  // parent's acks of them from the child.
  std::vector<uint64_t> injected_up;
  // Set when either side closed: the link is dead and will be dropped.
  bool closed() const { return child_side->closed() || parent_side->closed(); }
};

class SimNetwork {
 public:
  SimNetwork(const conflict::Schema* schema, SimOptions options);
  ~SimNetwork();

  // Adds and opens a node. The first node added is the root.
  absl::Status AddNode(const std::string& id, std::vector<std::string> parents);
  SimNode& node(const std::string& id) { return *nodes_.at(id); }
  std::vector<std::string> node_ids() const;

  // An application write at `id`, logged for the oracle when acknowledged.
  absl::StatusOr<store::WriteResult> Write(const std::string& id, const std::string& collection,
                                           const std::string& key, const conflict::Change& change);
  absl::StatusOr<store::WriteResult> Delete(const std::string& id, const std::string& collection,
                                            const std::string& key);
  // The county `id` publishes a schema file's `text` as its next version,
  // through node::SchemaAdopter::Publish (rules of change included), and the
  // `@schema` record it writes is logged for the oracle like a write.
  // REQUIRES: SimOptions::schema_text set; `id` is the root and up.
  absl::StatusOr<node::SchemaAdopter::Published> Publish(const std::string& id,
                                                         const std::string& text);

  // Opens a session between `child` and `parent` (both up, not yet linked).
  absl::Status Connect(const std::string& child, const std::string& parent);
  // Drops the link and everything in flight on it.
  void Cut(const std::string& child, const std::string& parent);
  bool Linked(const std::string& child, const std::string& parent) const;
  // The parent `child` is linked to, if any.
  std::optional<std::string> LinkedParent(const std::string& child) const;
  std::vector<std::pair<std::string, std::string>> links() const;

  // A USB bundle from `from` to `to`, as operators carry one (node/bundle.h):
  // `to` writes a knowledge-only bundle for `from` (sanjictl export
  // --knowledge-only), `from` exports what `to` lacks against that hello
  // (export --knowledge FILE), and `to` imports it (sanjictl import), each
  // through a node::Bundles of the node's own. Then `to` adopts the newest
  // schema its store holds, as sanjid's adopter does after each commit, and
  // its links are told, so they push on what arrived. No link is needed: the
  // two may be partitioned apart. Batches applied before an import failed
  // stay applied, as in sanjid.
  // Errors: FailedPrecondition when either node is down or neither is an
  // ancestor of the other; the other errors of Bundles::Export and Import
  // (a session's refusal, such as a clock beyond the skew bound).
  absl::StatusOr<v1::ImportBundleResponse> ExchangeBundle(const std::string& from,
                                                          const std::string& to);

  // Crash `id`: cut its links, drop its store, reopen it.
  absl::Status CrashAndRestart(const std::string& id);

  // Delivers the oldest frame in flight on a link, one way.
  void DeliverToParent(const std::string& child, const std::string& parent);
  void DeliverToChild(const std::string& child, const std::string& parent);
  // Applies the oldest waiting batch on one side of a link.
  void ApplyAtParent(const std::string& child, const std::string& parent);
  void ApplyAtChild(const std::string& child, const std::string& parent);
  // Advances time and ticks every session.
  void AdvanceTime(int64_t micros);
  int64_t now_micros() const { return now_micros_; }

  // Delivers and applies everything, ticking as needed, until no session has
  // anything left to do. False if that took more than `max_rounds` rounds.
  bool RunUntilQuiet(int max_rounds = 10'000);

  // Hands `batch` to the parent side of the link as if the child sent it
  // next (a forgery test), through the same path as a real frame. The child's
  // own next batch then arrives out of sequence and ends the session, unless
  // `seamless`: then the link renumbers the child's later batches and keeps
  // the parent's ack of the injected one from the child, as if the child
  // itself had sent it (a compromised child), so the session goes on.
  void InjectToParent(const std::string& child, const std::string& parent, v1::SyncBatch batch,
                      bool seamless = false);

  // The join of every acknowledged write per (collection, key).
  const std::map<std::pair<std::string, std::string>, conflict::Record>& oracle() const {
    return oracle_;
  }
  // Every store equals its filter applied to the oracle, and every store
  // passes its consistency check.
  absl::Status CheckConverged();
  // The first continuous-check failure seen, or OK.
  const absl::Status& violation() const { return violation_; }

  const std::vector<std::string>& transcript() const { return transcript_; }
  uint64_t items_refused() const { return items_refused_; }
  uint64_t items_sent() const { return items_sent_; }
  // Bundles imported whole, and the items they carried.
  uint64_t bundles_imported() const { return bundles_imported_; }
  uint64_t bundle_items() const { return bundle_items_; }

 private:
  SimLink* FindLink(const std::string& child, const std::string& parent);
  // Logs an acknowledged write for the oracle and tells the node's sessions.
  absl::StatusOr<store::WriteResult> Acknowledged(const std::string& id,
                                                  const std::string& collection,
                                                  const std::string& key,
                                                  absl::StatusOr<store::WriteResult> result);
  // True if some node lists `id` among its parents (primary or fallback).
  bool HasChildren(const std::string& id) const;
  // The bundle exports and imports of `id`, configured as sanjid configures
  // them from the same session options its links use.
  node::Bundles BundlesOf(const std::string& id);
  // Adds each frame of a bundle to the transcript.
  void TranscribeBundle(const std::string& from, const std::string& to, absl::string_view bytes);
  void Deliver(SimLink& link, bool up);
  void Apply(SimLink& link, bool at_parent);
  // Moves a session's output into the link's queues and checks it.
  void Drain(SimLink& link, bool child_side);
  // Renumbers a frame of a link with seamless injections (InjectToParent);
  // false if the frame is an ack of an injected batch, kept from the child.
  bool Reseat(SimLink& link, bool child_side, v1::SyncFrame& frame);
  void NotifyStoreChanged(const std::string& id, const SimLink* except);
  void CheckKnowledge(const std::string& id);
  void DropClosedLinks();
  void Fail(absl::Status status);
  std::string Describe(const v1::SyncFrame& frame) const;

  const conflict::Schema* const schema_;
  const SimOptions options_;
  int64_t now_micros_;
  std::map<std::string, std::unique_ptr<SimNode>> nodes_;
  std::vector<std::unique_ptr<SimLink>> links_;
  std::map<std::pair<std::string, std::string>, conflict::Record> oracle_;
  std::map<std::string, conflict::VersionVector> last_knowledge_;
  absl::Status violation_;
  std::vector<std::string> transcript_;
  uint64_t items_refused_ = 0;
  uint64_t items_sent_ = 0;
  uint64_t bundles_imported_ = 0;
  uint64_t bundle_items_ = 0;
  // The counters every node's bundles add to (sanjid's per-node LinkTotals).
  node::LinkTotals bundle_totals_;
};

}  // namespace sanji::simulation

#endif  // SANJI_TESTS_SIMULATION_SIM_NETWORK_H_
