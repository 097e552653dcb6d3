// Session: one side of a sync session, as a deterministic state machine
// (replication/DESIGN.md has the frames, the state diagram and why each rule
// holds). Frames, apply results, store-change notices and ticks go in; frames
// to send, batches to apply and refusal records come out. No threads,
// sockets, files or clock inside: the driver owns them.
//
// The driver's contract:
//  - Start() once; send every frame TakeFrames() returns, in order.
//  - Receive() each frame from the peer, in order.
//  - Apply each ApplyBatch from TakeApplies() to the store, in order, and
//    report each with Applied() once durable (or failed).
//  - Call StoreChanged() after any commit to the store that this session did
//    not ask for (a local write, another session's batch), and Tick() with the
//    time now and then (the push delay and skew checks read it).
//  - Drain TakeFrames(), TakeApplies(), TakeRefusedItems() and TakeClashes()
//    after each call.
//  - Stop when closed(); the session does nothing more.
//
// Thread-safety: not thread-safe; one driver thread per session.
#ifndef SANJI_REPLICATION_SESSION_H_
#define SANJI_REPLICATION_SESSION_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "conflict/dot_context.h"
#include "conflict/record.h"
#include "conflict/schema.h"
#include "conflict/schema_holder.h"
#include "conflict/version_vector.h"
#include "replication/replica.h"
#include "sync.pb.h"

namespace sanji::replication {

// The protocol versions this node speaks: the newest, bumped on any change
// of the frames or their meaning, and the one before it, so that a county
// upgrades its nodes one by one, the county first and villages later. Two
// peers speak the newest version both know; a peer with no version in
// common is refused, naming both ranges.
//  1: the first; peers refuse each other unless their schemas are equal.
//  2: the hello also names the newest version its sender speaks, and peers
//     of different schemas sync: what a node's schema does not describe it
//     keeps and relays as it came (conflict/record.h, CheckAgainst).
inline constexpr uint32_t kProtocolVersion = 2;
inline constexpr uint32_t kOldestProtocolVersion = 1;

// Sets the protocol range of `hello`: Hello.protocol_version is the oldest
// version the sender speaks, which is the one field a version-1 peer reads
// and requires to equal its own.
void SetProtocolRange(v1::Hello& hello);

struct SessionOptions {
  // kChild: this node dialed the peer, which must be one of its ancestors.
  // kParent: the peer dialed this node and must be in its subtree.
  enum class Role { kChild, kParent };
  Role role = Role::kChild;
  // The peer's node id as the transport authenticated it (its certificate).
  // A hello naming another id is refused. Empty: not checked here.
  std::string authenticated_peer;
  // A batch closes at whichever limit it reaches first.
  size_t max_batch_items = 1000;
  size_t max_batch_bytes = 1 << 20;
  // Batches sent and not yet acknowledged, at most.
  size_t window = 4;
  // After a store change, wait this long before pushing it, so that changes
  // committed close together travel in one batch.
  int64_t push_delay_micros = 5'000;
  // Items with a timestamp further ahead of the last Tick() are refused.
  int64_t max_skew_micros = 5 * 60 * 1'000'000LL;
  // Items whose record is larger, encoded, are refused (the store's bound,
  // store/options.h max_record_bytes).
  size_t max_record_bytes = 1 << 20;
  // This node has children (it accepts their sessions), so it keeps records
  // moved away from its filter to tell them of the move (scope.h, Holds).
  bool has_children = false;
  // At most this many dots of the knowledge cloud go into the hello.
  size_t max_hello_cloud = 10'000;
};

struct SessionStats {
  uint64_t batches_sent = 0;
  uint64_t items_sent = 0;
  uint64_t move_outs_sent = 0;
  uint64_t frame_bytes_sent = 0;
  uint64_t item_payload_bytes_sent = 0;  // collection + key + record bytes
  uint64_t batches_received = 0;
  uint64_t items_received = 0;
  uint64_t items_refused = 0;
  // Of items_refused, those refused for a timestamp beyond max_skew_micros
  // (what NodeStatus.refused_remote_timestamps counts).
  uint64_t timestamps_refused = 0;
  // Items held back because the peer (a parent) would refuse them: they carry
  // a change from outside this node's subtree that the parent lacks.
  uint64_t items_held_back = 0;
  uint64_t passes = 0;
  // Fields of accepted items held in another state kind than this node's
  // schema gives their name (FieldClash), one per field and item.
  uint64_t fields_clashing = 0;
};

// An item this node refused, for the driver to log and count.
struct RefusedItem {
  std::string collection;
  std::string key;
  std::string reason;
};

// A field of an accepted item that holds another state kind than this
// node's schema gives its name: two schemas disagree. The item is taken;
// the field is refused as the schema's field and kept apart from it, stored
// and relayed as it came (conflict/field.h, FieldKey), for the driver to log
// and count.
struct FieldClash {
  std::string collection;
  std::string key;
  std::string field;
};

class Session {
 public:
  // REQUIRES: `schema` and `replica` outlive the session.
  Session(SessionOptions options, conflict::SchemaSource schema, const ReplicaReader* replica);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Sends the hello. `now_micros` is the first tick.
  void Start(int64_t now_micros);
  void Receive(const v1::SyncFrame& frame);
  // The ApplyBatch with this sequence is durable (ok) or failed (the session
  // then ends with a STORE_ERROR refusal).
  void Applied(uint64_t sequence, const absl::Status& status);
  void StoreChanged();
  void Tick(int64_t now_micros);
  // Ends the session for a reason the driver found (a frame that does not
  // decode, a newer session of the same peer): sends the peer a refusal
  // with `code` and `message`, so that it learns why, and closes as for any
  // refusal this side sends. Does nothing once closed.
  void EndWithRefusal(v1::Refusal::Code code, const std::string& message);

  std::vector<v1::SyncFrame> TakeFrames() { return std::exchange(frames_, {}); }
  std::vector<ApplyBatch> TakeApplies() { return std::exchange(applies_, {}); }
  std::vector<RefusedItem> TakeRefusedItems() { return std::exchange(refused_, {}); }
  std::vector<FieldClash> TakeClashes() { return std::exchange(clashes_, {}); }
  // The parent's clock as its latest hello or ack said it, if one said it
  // since the last call (role kChild only; the driver feeds it to the HLC's
  // reference clock, conflict/hlc.h). A bundle's frames are not live: their
  // driver does not take it.
  std::optional<int64_t> TakeParentClock() { return std::exchange(parent_clock_, std::nullopt); }

  bool closed() const { return closed_; }
  // Why the session ended: OK never; FailedPrecondition for a refusal either
  // side sent (the message says what differs), DataLoss for a bad frame, the
  // store's error for a failed apply.
  const absl::Status& close_status() const { return close_status_; }
  // True once the hellos are exchanged, nothing is in flight either way and
  // nothing is waiting to be sent: the two stores are in sync as far as this
  // session can tell.
  bool idle() const;
  // The peer's origin, once its hello arrived.
  const std::optional<conflict::Origin>& peer() const { return peer_; }
  // The peer's knowledge as far as this side knows it: its hello, raised by
  // the watermarks it sent, by each pass this side finished sending and by
  // the watermarks this side sent (sent counts as held: batches in flight
  // are not waited for). Empty before the hello. What `sanjictl status` and
  // the status record show as lag.
  conflict::VersionVector peer_knowledge() const;
  // The schema version the peer runs, as its hello said; nullopt before the
  // hello, or from a peer too old to send it (docs/SCHEMA.md).
  const std::optional<uint64_t>& peer_schema_version() const { return peer_schema_version_; }
  const SessionStats& stats() const { return stats_; }

 private:
  // One scan of the store for what the peer lacks (DESIGN.md, "Passes").
  struct Pass {
    std::unique_ptr<ReplicaSnapshot> snapshot;
    conflict::VersionVector knowledge;  // this store's, at the snapshot
    // Origins to scan, in order, with the highest counter indexed for each.
    std::vector<std::pair<conflict::Origin, uint64_t>> origins;
    size_t current = 0;
    std::unique_ptr<ChangeCursor> cursor;
    // The last counter of the current origin handled (sent or passed over).
    uint64_t position = 0;
    // The peer held every record whose dot for an origin is at or below this
    // when the pass began, and the records of these dots (peer_cloud_ then):
    // fixed for the pass, so that each record goes in exactly one stream.
    conflict::VersionVector reference;
    absl::btree_set<conflict::Dot> cloud;
    // To a child: its knowledge of the origins outside its subtree where it
    // knows more than this store (it learned them from a node above this
    // one: a failover, a bundle). Empty in the common case.
    conflict::VersionVector peer_ahead;
  };

  void OnHello(const v1::Hello& hello);
  void OnBatch(const v1::SyncBatch& batch);
  void OnAck(const v1::Ack& ack);
  void NoteParentClock(int64_t clock_micros);
  // Sends a refusal and closes.
  void Refuse(v1::Refusal::Code code, const std::string& message);
  void Close(absl::Status status);

  // Sends batches while the window has room and there is something to send.
  void Pump();
  void StartPass();
  // The pass reached the end of its snapshot: the peer now has everything
  // indexed in it that its filter takes.
  void EndPass();
  // Departed records to push up, held-back items that may go now, and moves
  // in to a child that this store can now complete.
  void SendPending(v1::SyncBatch& batch, size_t& bytes);
  // To a child: notes a record of the pass that moves into the child's
  // filter (its scope is new to the child) while pass.peer_ahead names an
  // origin: the child's knowledge claims that origin's changes up to there,
  // and this store's copy may lack some of them (MoveInToComplete).
  // Errors: DataLoss for a record that does not decode.
  absl::Status NoteMoveIn(const ChangeCursor& cursor);
  // Sends the moves in this store now knows enough to complete (if they
  // changed since they went) and forgets them.
  void CompleteMovesIn(v1::SyncBatch& batch, size_t& bytes);
  // Appends the next items of the pass to `batch`; returns false when the
  // pass is finished.
  bool FillFromPass(v1::SyncBatch& batch, size_t& bytes);
  // Items carry a record as its context and its bytes (codec::SerializeRecord),
  // which go into the frame as they are (for a protocol-1 peer, without the
  // record's authors: ForProtocolOne).
  static std::string ForProtocolOne(std::string record_bytes);
  void AddItem(v1::SyncBatch& batch, size_t& bytes, absl::string_view collection,
               absl::string_view key, const conflict::VersionVector& context,
               std::string record_bytes, bool move_out);
  // AddItem, or AddDeparture for a departed record.
  void AddStreamed(v1::SyncBatch& batch, size_t& bytes, const std::string& collection,
                   const std::string& key, const conflict::VersionVector& context,
                   std::string record_bytes, bool move_out);
  // Keeps a record the parent would refuse for later (ParentWouldRefuse);
  // `reference` and `cloud` say which of its dots the parent lacks.
  void HoldBack(const std::string& collection, const std::string& key,
                const conflict::VersionVector& context, const conflict::VersionVector& reference,
                const absl::btree_set<conflict::Dot>& cloud);
  // A released held-back item went out of its stream, as the record is now,
  // which may be newer than when it was held: a pass whose reference is
  // below its dots (the next one, or the running one, whose reference and
  // cloud are fixed) would find it and send it again, unchanged. Its dots
  // the peer lacks count as held from here, in peer_cloud_ and in the
  // running pass's cloud.
  void CountAsHeld(const conflict::VersionVector& context);
  // AddItem for a departed record, unless it went unchanged already; it is
  // dropped here once the batch is acknowledged.
  void AddDeparture(v1::SyncBatch& batch, size_t& bytes, const std::string& collection,
                    const std::string& key, const conflict::VersionVector& context,
                    std::string record_bytes);
  // For a record of the pass outside the peer's filter: whether it goes to
  // the peer, which may hold it under a scope it left (to a child, as a
  // move-out). Decodes the whole record, which only this case needs.
  // Errors: DataLoss for a record that does not decode.
  absl::StatusOr<bool> PeerMayHold(const ChangeCursor& cursor) const;
  // The watermark entries the peer may adopt now that are above what it
  // was told.
  void AddWatermark(v1::SyncBatch& batch);

  // Sending rules.
  bool Streams(const conflict::Origin& origin) const;
  bool PeerKnows(const conflict::Dot& dot) const;
  // The first origin in session order whose dot in a record's `context` the
  // peer lacks, among the origins this side streams.
  std::optional<conflict::Origin> StreamOf(const conflict::VersionVector& context) const;
  // True if a record of this `context` carries a dot from outside this
  // node's subtree that the parent lacks (only when the peer is the parent).
  bool ParentWouldRefuse(const conflict::VersionVector& context) const;

  // Receiving rules: an empty string accepts the item. ReadItem reads `item`
  // of `batch` into `read` (its record, once it reads) and checks it: the
  // collection, the record's bytes and schema kinds (codec::CanonicalRecord),
  // then CheckItem's: the clock bound, and the authority rules of
  // authz/sync_change.h and authz/county_records.h.
  // The changes of nodes outside this node's subtree the stored record
  // holds (ApplyBatch::Item::others_held); empty if none is stored.
  conflict::VersionVector ChangesOfOthers(const std::string& collection,
                                          const std::string& key) const;
  // A child's knowledge (`known`, the store's) of origins outside its subtree
  // beyond both what its hello told the parent and what the parent knows:
  // learned since the hello from elsewhere (a bundle). Empty in the common
  // case, and always to a parent.
  conflict::VersionVector KnownBeyondParentAndHello(const conflict::VersionVector& known) const;
  // Refuses (a reason) a record that moves into this child's filter (a scope
  // the store does not know) while KnownBeyondParentAndHello is not empty:
  // the parent's copy may lack changes this store's knowledge claims, and the
  // parent sent it not knowing (rule 4 of DESIGN.md). The session then ends
  // once the batch is acknowledged (restart_reason_); the next hello tells
  // the parent, which sends the record again and completes it.
  std::string MovesInUnannounced(const ApplyBatch::Item& item,
                                 const conflict::VersionVector& known);
  std::string ReadItem(const v1::SyncBatch& batch, const v1::SyncItem& item,
                       ApplyBatch::Item& read);
  std::string CheckItem(const ApplyBatch::Item& item);
  bool Adopts(const conflict::Origin& origin) const;

  const SessionOptions options_;
  const conflict::SchemaSource schema_;
  const ReplicaReader* const replica_;
  const std::string self_;  // this node's id, its scope

  int64_t now_micros_ = 0;
  bool closed_ = false;
  absl::Status close_status_;
  std::optional<conflict::Origin> peer_;
  std::string peer_id_;
  // The newest protocol version both sides speak, once the hello is read.
  uint32_t peer_protocol_ = kProtocolVersion;
  // The schema version the peer runs, from its hello (Hello.schema_version).
  std::optional<uint64_t> peer_schema_version_;

  // Sending side.
  conflict::VersionVector peer_known_;  // see Pass::reference
  // Dots of records the peer holds beyond peer_known_: from its hello, and
  // those sent above this store's knowledge.
  absl::btree_set<conflict::Dot> peer_cloud_;
  // The peer's knowledge as far as this side knows it (its hello, raised by
  // the watermarks sent), and this side's as the peer knows it (the hello,
  // raised likewise).
  conflict::VersionVector told_;
  conflict::VersionVector announced_;
  std::unique_ptr<Pass> pass_;
  // This store's knowledge at the last pass's snapshot.
  conflict::VersionVector last_knowledge_;
  // Items a parent would refuse for now (see ParentWouldRefuse).
  struct HeldBack {
    std::string collection;
    std::string key;
    // Its dots of streamed origins the parent lacked: the watermark stays
    // below them while the item is held.
    std::vector<conflict::Dot> missing;
  };
  std::vector<HeldBack> held_back_;
  // To a child: a record that moved into the child's filter and went while
  // the child knew more than this store of some origin outside its subtree
  // (Pass::peer_ahead). The child's knowledge claims that origin's changes
  // of the record, which this copy may lack (it was outside the child's
  // filter when the child learned of them), so no pass would send them. It
  // goes again, if it changed, once this store knows as much; until then the
  // watermark stays below the dots the child lacked when it went, so that a
  // cut session leaves the record to the next one's scan (DESIGN.md, rule 4).
  struct MoveInToComplete {
    std::string collection;
    std::string key;
    conflict::VersionVector sent;        // the context it last went with
    conflict::VersionVector wait_for;    // the child's claims this store must reach
    std::vector<conflict::Dot> missing;  // the dots the child lacked
  };
  std::vector<MoveInToComplete> moves_in_;
  bool pass_wanted_ = false;
  std::optional<int64_t> push_at_micros_;
  uint64_t next_send_sequence_ = 1;
  struct DepartureSent {
    std::string collection;
    std::string key;
    conflict::VersionVector context;
  };
  struct InFlight {
    uint64_t sequence;
    // Departed records in the batch: dropped here once the parent has them.
    std::vector<DepartureSent> departures;
  };
  std::deque<InFlight> in_flight_;
  std::vector<DepartureSent> departures_in_batch_;
  // Records that left this node's filter while it held changes the parent
  // lacked (DESIGN.md, "Move-outs"): pushed up, then dropped.
  std::vector<std::pair<std::string, std::string>> departures_to_send_;
  // Every departed record this session knows of, with the context it last
  // sent (the pass must not send it again unchanged).
  absl::btree_map<std::pair<std::string, std::string>, std::optional<conflict::VersionVector>>
      departed_;

  // Receiving side.
  uint64_t next_receive_sequence_ = 1;
  // Set by MovesInUnannounced: why the session ends after the next ack.
  std::string restart_reason_;
  struct PendingApply {
    uint64_t sequence;
    uint32_t refused;
    // Move-outs in the batch: a record this node keeps must go up.
    std::vector<std::pair<std::string, std::string>> departing;
  };
  std::deque<PendingApply> pending_applies_;
  // New dots of refused items: what may be adopted for their origins stays
  // below them until an accepted item brings them.
  absl::btree_set<conflict::Dot> refused_dots_;

  std::vector<v1::SyncFrame> frames_;
  std::vector<ApplyBatch> applies_;
  std::vector<RefusedItem> refused_;
  std::vector<FieldClash> clashes_;
  std::optional<int64_t> parent_clock_;
  SessionStats stats_;
};

}  // namespace sanji::replication

#endif  // SANJI_REPLICATION_SESSION_H_
