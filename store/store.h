// Store: one node's LevelDB store (ARCHITECTURE.md §5): its records, the
// per-origin index sync streams from, its knowledge, its conflict log and its
// metadata (node id, incarnation, HLC, local counter). The layout is in
// store/key_layout.h.
//
// Every change commits in one synced WriteBatch: the record, its index
// entries, the knowledge, conflict events and the metadata; a write is
// acknowledged only once durable. Concurrent writers share commits (group
// commit, as LevelDB's own writer queue does): callers queue, the caller at the
// front gathers the queue into one batch, commits it with one fsync and wakes
// the others, each with its own result. Dots and HLC timestamps are assigned in
// queue order, so the counters of committed writes stay dense. A write that
// fails validation fails alone and takes no dot.
//
// Open reads a fixed handful of keys: its cost does not grow with the store.
// A store that holds records then fills its record key filter
// (record_key_filter.h) on a thread of its own while it serves, from the
// origin index (small entries, not the records): until that ends, a write of
// a new record reads LevelDB to learn that it is new.
//
// Write errors and recovery. A commit that fails with an I/O error (a full
// disk, a failed fsync) has an unknown outcome: LevelDB may or may not replay
// the batch on the next open, and it keeps a sticky error after a failed
// fsync, while a failed append may leave a torn record in the middle of its
// log, which later appends would bury (and a paranoid open would then refuse).
// So after such an error the store writes nothing more to that LevelDB
// instance. The next write first probes that the directory takes a write
// again (kRecoveryProbeBytes, synced, then removed); while the probe fails,
// writes fail fast with ResourceExhausted (no space) or Unavailable, naming
// the path, and reads go on from the open instance. Once the probe passes,
// the store closes and reopens LevelDB in place (no process restart) and
// reloads its progress from disk, so a batch that did reach the log keeps its
// dot and dots stay dense; then the write proceeds. Reopening waits for
// in-flight reads and fails with Unavailable while a StoreSnapshot or a
// ChangeIterator is alive (a sync session holds a snapshot of the old
// instance); the next write retries. If the reopen itself fails, reads fail with Unavailable until
// a later write reopens successfully.
//
// Thread-safety: thread-safe. Any number of threads may write, read and
// iterate concurrently.
#ifndef SANJI_STORE_STORE_H_
#define SANJI_STORE_STORE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "codec/canonical_record.h"
#include "conflict/change.h"
#include "conflict/conflict_event.h"
#include "conflict/dot.h"
#include "conflict/hlc.h"
#include "conflict/record.h"
#include "conflict/schema.h"
#include "conflict/version_vector.h"
#include "leveldb/cache.h"
#include "leveldb/db.h"
#include "leveldb/filter_policy.h"
#include "store/batch_builder.h"
#include "store/change_iterator.h"
#include "store/conflict_log.h"
#include "store/metadata.h"
#include "store/options.h"
#include "store/record_key_filter.h"
#include "store/store_snapshot.h"

namespace sanji::store {

// The largest record key and collection name, in bytes.
inline constexpr size_t kMaxKeyBytes = 1024;

struct WriteResult {
  conflict::Dot dot;
  conflict::HlcTimestamp timestamp;
  // The record's state after the write.
  conflict::Record record;
  // Conflicts the write created (a local write that saw everything has none).
  std::vector<conflict::ConflictEvent> conflicts;
};

// Record states from a peer, the knowledge it lets this node adopt
// (replication/ decides what may be adopted), and the records that left this
// node's scope.
struct RemoteBatch {
  struct Item {
    std::string collection;
    std::string key;
    // The state: a record, or its bytes as a peer sent them, read by
    // codec::CanonicalRecord::Read. Such bytes are written as they came when
    // nothing of the record is stored and merging it reveals no conflict
    // (neither decoded nor encoded again); otherwise they are decoded and
    // merged as a record is.
    std::variant<conflict::Record, codec::CanonicalRecord> record;
  };
  // A record that moved out of this node's filter (ARCHITECTURE.md §4: "a
  // record whose scope changes leaves the old village's store"). `context`
  // is the causal context of the state that moved it out: the stored record
  // is removed only if that state has seen all of it, so a change this node
  // made and has not passed up yet is never dropped.
  struct Eviction {
    std::string collection;
    std::string key;
    conflict::VersionVector context;
  };
  std::vector<Item> items;
  conflict::VersionVector knowledge;
  std::vector<Eviction> evictions;
  // Dots of the items beyond the knowledge (after joining `knowledge`): the
  // store keeps them as its knowledge cloud (key_layout.h, 0x08) until its
  // knowledge covers them. replication/ computes them.
  std::vector<conflict::Dot> held_dots;
};

// What ApplyRemote did with a batch.
struct RemoteApplied {
  // Records whose stored state the batch changed: new ones, and stored ones
  // the join added something to. A record already held as sent counts
  // nothing (a bundle imported twice, a batch resent after a cut link).
  uint64_t records_changed = 0;
};

struct ListEntry {
  std::string key;
  conflict::Record record;
};

struct ListPage {
  std::vector<ListEntry> entries;
  // Pass to List for the next page; empty when this was the last page.
  std::string next_page_token;
};

struct StoreStats {
  uint64_t commits = 0;           // WriteBatches committed (one fsync each)
  uint64_t committed_writes = 0;  // local writes and remote batches in them
  int64_t refused_remote_timestamps = 0;
  // conflict::HybridLogicalClock::max_remote_ahead_micros.
  int64_t max_remote_ahead_micros = 0;
  // conflict::HybridLogicalClock::step_back_count, as committed.
  int64_t clock_steps_back = 0;
  uint64_t failed_commits = 0;  // commits that failed with an I/O error
  uint64_t reopens = 0;         // LevelDB reopened after a failed commit
  // The record key filter (record_key_filter.h): whether it is filled (until
  // then every lookup of a record reads LevelDB), the distinct keys in it and
  // the memory its bits take.
  bool record_key_filter_complete = false;
  uint64_t record_key_filter_keys = 0;
  uint64_t record_key_filter_bytes = 0;
};

// What Store::Backup copied.
struct BackupResult {
  uint64_t keys = 0;   // LevelDB keys
  uint64_t bytes = 0;  // their keys and values
  // The store's incarnation and knowledge at the copy's snapshot.
  uint32_t incarnation = 0;
  conflict::VersionVector knowledge;
};

// Which conflict log entries ListConflicts returns.
// kOpen: neither marked resolved here nor settled by a later change.
enum class ConflictFilter { kAll, kOpen };

// Bytes the recovery probe writes and syncs before the store reopens LevelDB
// after a failed commit (see "Write errors and recovery" above).
inline constexpr size_t kRecoveryProbeBytes = 1 << 20;

class Store {
 public:
  // Opens the store at options.path, creating it if the directory is missing
  // or empty. Errors (each message names the path and what was found):
  //  - InvalidArgument: bad options (no schema, clock, path or node id).
  //  - FailedPrecondition: the directory holds something that is not a Sanji
  //    store, a store of a newer format, or another node's store. Nothing on
  //    disk is changed: these are decided from the SANJI descriptor before
  //    LevelDB is opened.
  //  - DataLoss: LevelDB reports corruption (in its MANIFEST, a log, or a
  //    table read at open), or the metadata is missing, malformed or
  //    inconsistent. Nothing on disk is changed: this is decided by a trial
  //    open in a copy-on-write view before LevelDB is opened for real
  //    (store_open.cc), which makes an open cost about two LevelDB opens.
  //  - Unavailable / ResourceExhausted: I/O errors, including a store that
  //    another process holds open.
  // Starts a new incarnation if the store is new or its identity token does
  // not match (store/key_layout.h, "Incarnations").
  static absl::StatusOr<std::unique_ptr<Store>> Open(Options options);

  // Flushes the memtable (so the next Open replays no log) and closes.
  // REQUIRES: no call in flight and no StoreSnapshot or ChangeIterator of
  // this store alive.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Applies `change` to (collection, key) at a fresh dot and HLC timestamp and
  // returns once it is durable. Errors: NotFound for an unknown collection;
  // InvalidArgument for a bad key or a change the schema refuses (unknown
  // field, wrong kind or type, oversized value, missing scope of a new
  // record); FailedPrecondition for a status moving backwards; the commit's
  // I/O error. On error nothing is written and no dot is used.
  absl::StatusOr<WriteResult> Write(absl::string_view collection, absl::string_view key,
                                    const conflict::Change& change);

  // Deletes the record (a tombstone with its own dot), by `author` (the
  // caller's identity, kept with the tombstone as conflict::Change::author
  // is with a write; empty: not recorded). Errors as Write, and NotFound if
  // the record does not exist or is already deleted.
  absl::StatusOr<WriteResult> Delete(absl::string_view collection, absl::string_view key,
                                     absl::string_view author);

  // Merges every record of `batch` into the stored state (Record::Join),
  // records the conflicts the merges reveal and joins the batch's knowledge,
  // all in one WriteBatch. Every item is checked before any is merged: known
  // collection, valid key, Record::CheckAgainst the schema (for received
  // bytes, CanonicalRecord::Read against this store's schema, unless they
  // were read against the very same CollectionSchema object), every HLC
  // timestamp within max skew, and no dot or knowledge of this store's own
  // origin beyond its counter (that would mean this store was restored from
  // an older copy); every eviction names a known collection and a valid key.
  // After the items are merged, each eviction whose record is stored with a
  // context covered by the eviction's (every entry <=) removes the record
  // and its origin index entries; an eviction of a record not stored changes
  // nothing, and one of a record holding a dot the eviction's context lacks
  // keeps the record and marks it departed (Departures()). An eviction
  // leaves no tombstone, logs no conflict and does not change the knowledge
  // (the changes were known here; they are just no longer held). Applying a
  // batch twice changes nothing the second time.
  // Errors: NotFound / InvalidArgument / OutOfRange (skew) /
  // FailedPrecondition naming the item or eviction; the commit's I/O error.
  absl::StatusOr<RemoteApplied> ApplyRemote(const RemoteBatch& batch);

  // The record, deleted ones included (alive() == false). Errors: NotFound
  // for an unknown collection or a key never written; DataLoss.
  absl::StatusOr<conflict::Record> Get(absl::string_view collection, absl::string_view key) const;

  // Live records of `collection` whose key starts with `key_prefix`, in key
  // order, at most `limit` (0 means 100; at most 1000) after `page_token`
  // (the previous page's next_page_token, or empty for the first page).
  // Reads around the block cache (a scan must not evict the hot set). A
  // collection the schema lacks is listed too (a newer schema's records,
  // kept and relayed). Errors: InvalidArgument for an empty collection name;
  // DataLoss, I/O.
  absl::StatusOr<ListPage> List(absl::string_view collection, absl::string_view key_prefix,
                                absl::string_view page_token, size_t limit) const;

  // The records of `collection` stored here, deleted ones included, counting
  // up to `limit` (a result of `limit` means "at least"). Reads keys only:
  // telling a deleted record from a live one would mean decoding each.
  // Errors: NotFound for an unknown collection; DataLoss, I/O.
  absl::StatusOr<size_t> CountRecords(absl::string_view collection, size_t limit) const;

  // Records whose dot for `origin` is above `after_counter`, in counter order,
  // from a snapshot taken now. The iterator must not outlive the store. While
  // it is alive, a reopen after a write error waits (see the file comment).
  std::unique_ptr<ChangeIterator> ChangesSince(const conflict::Origin& origin,
                                               uint64_t after_counter) const;

  // The store as of now: knowledge, index frontier and change streams read
  // at one LevelDB snapshot (store_snapshot.h). Reads nothing from LevelDB
  // when the summary kept from the commits is known and no commit is in
  // flight; otherwise one read and a few seeks per origin in the index, and
  // the summary read is kept. A store closed after a failed reopen
  // gives a snapshot whose status() is Unavailable. The snapshot must not
  // outlive the store; while it is alive, a reopen after a write error waits.
  std::unique_ptr<StoreSnapshot> Snapshot() const;

  conflict::VersionVector Knowledge() const;

  // The records an eviction kept because they held changes the eviction
  // lacked (key_layout.h, 0x07), as (collection, key), in key order. Few:
  // sync pushes them up and evicts them. Errors: DataLoss, I/O.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Departures() const;

  // Conflict events with sequence > after_sequence, oldest first, at most
  // `limit` (0 means 100), read from one snapshot, each with whether the
  // record as it is now settles it; with kOpen, only the open ones.
  absl::StatusOr<std::vector<ConflictLogEntry>> ListConflicts(
      uint64_t after_sequence, size_t limit, ConflictFilter filter = ConflictFilter::kAll) const;
  // Errors: NotFound naming the sequence.
  absl::StatusOr<ConflictLogEntry> GetConflict(uint64_t sequence) const;

  // Marks conflict event `sequence` resolved at a fresh HLC timestamp and
  // returns it once durable (a synced commit, queued with the writes). The
  // value a person chooses is written separately, as an ordinary Write of
  // the field; this only records that the event was dealt with. Resolving an
  // event already resolved changes nothing and returns it as it is.
  // Errors: NotFound naming the sequence; the commit's I/O error.
  absl::StatusOr<ConflictLogEntry> ResolveConflict(uint64_t sequence);

  // Steps the HLC back if its saved time is more than `min_lead_micros`
  // ahead of both the clock and `reference_micros` (conflict/hlc.h,
  // StepBack), durably: a synced commit, queued with the writes, so that a
  // restart does not restore the time it left. For an operator who knows the
  // machine's clock is right now (sanjid --reset-clock: reference = the
  // clock, min lead 0). Returns the time it stepped back from, or nullopt
  // (nothing committed) if the HLC was not that far ahead.
  // Errors: the commit's I/O error.
  absl::StatusOr<std::optional<conflict::HlcTimestamp>> StepClockBack(int64_t reference_micros,
                                                                      int64_t min_lead_micros);
  // How far the committed HLC time is ahead of the clock now (0 if not):
  // what a corrected forward jump of the clock leaves. Thread-safe.
  int64_t ClockLeadMicros() const;

  // Checks, over one snapshot, that every context entry of every record is
  // indexed to it, that no index entry dangles, that no dot of the current
  // origin is above the counter, that the knowledge of the current origin is
  // the counter, that the conflict log is below its next sequence, and that
  // every conflict resolution decodes and marks a logged event below it.
  // Reads the whole store. Errors: DataLoss listing the first problems found.
  // If `field_clashes` is given, it receives each record field held in
  // another state kind than the schema gives its name ("service_requests/
  // R-1: visits"; two schemas disagree), which is not a problem: the record
  // keeps it apart.
  absl::Status CheckConsistency(std::vector<std::string>* field_clashes = nullptr) const;

  // Copies the store as of one snapshot into a new store directory at
  // `path` (through Options::env): every key of every key space into a fresh
  // LevelDB, then the SANJI descriptor, last, so a copy cut short is not
  // taken for a store (Open refuses a directory without a descriptor). The
  // copy has no IDENTITY file and an empty identity token in its metadata,
  // which no IDENTITY file matches: opened as a store, here or on another
  // machine, with or without an IDENTITY file beside it, it starts a new
  // incarnation (key_layout.h, "Incarnations"), so no counter the original
  // hands out after the copy is ever reused. Writes and sessions go on
  // meanwhile; the copy holds none of their commits after the snapshot.
  // Errors: AlreadyExists if `path` exists and is not empty; the I/O error
  // of the copy (what was written is removed where possible).
  absl::StatusOr<BackupResult> Backup(const std::string& path) const;

  // The current origin: (node id, incarnation).
  const conflict::Origin& origin() const { return origin_; }
  // The last committed counter, HLC timestamp and conflict sequence.
  Progress progress() const;
  StoreStats stats() const;

  // The number of callers waiting behind the current commit leader.
  size_t QueuedWritersForTest() const;

 private:
  struct Writer;
  struct Merge;

  // `holds_records`: false if the store is known to hold no record (new).
  Store(Options options, conflict::Origin origin, std::unique_ptr<leveldb::Env> pread_env,
        std::unique_ptr<leveldb::Cache> cache, std::unique_ptr<const leveldb::FilterPolicy> filter,
        std::unique_ptr<leveldb::DB> db, const Progress& progress, bool holds_records);
  // Run by key_filter_filler_: adds the record key of every origin index
  // entry to key_filter_, Options::key_filter_fill_chunk entries per hold of
  // db_mu_, then marks it complete. It relies on the store's invariant that
  // every record has an index entry for each entry of its context (what
  // CheckConsistency checks). Every key stored when the store opened
  // keeps an index entry at or after any position of the scan (an entry only
  // moves to a higher counter of its origin, when its record is staged, and
  // staging adds the key), so the scan misses none. Stops early, leaving the
  // filter incomplete, when the store closes or a read fails.
  void FillKeyFilter();

  // Queues `writer` and returns once its result is set (by this thread as
  // leader or by another leader).
  void Commit(Writer* writer);
  // Stages `group` into one batch and commits it. Runs on the leader, which is
  // the only thread touching hlc_. Returns the advanced progress, or nullopt if
  // nothing was committed.
  std::optional<Progress> CommitGroup(const std::vector<Writer*>& group, const Progress& start);
  absl::Status StageLocal(Writer* writer, BatchBuilder& batch);
  absl::StatusOr<RemoteApplied> StageRemote(const RemoteBatch& remote, BatchBuilder& batch);
  // Adds `held_dots` beyond the knowledge to the knowledge cloud and removes
  // the cloud dots the knowledge now covers (it was `before`).
  absl::Status StageKnowledgeCloud(const std::vector<conflict::Dot>& held_dots,
                                   const conflict::VersionVector& before, BatchBuilder& batch);
  // Reads and joins the records of `remote` that change something.
  // `newest` holds each item's greatest HLC timestamp.
  absl::Status MergeRemoteItems(const RemoteBatch& remote,
                                const std::vector<conflict::HlcTimestamp>& newest,
                                BatchBuilder& batch, std::vector<Merge>& merges);
  // The evictions of `remote` of records that will be stored after
  // `merges`, each with that state. Reads only; stages nothing.
  absl::Status FindEvictions(
      const RemoteBatch& remote, const BatchBuilder& batch, const std::vector<Merge>& merges,
      std::vector<std::pair<const RemoteBatch::Eviction*, conflict::Record>>& evictions);
  absl::Status StageResolve(Writer* writer, BatchBuilder& batch);
  // Run by the commit leader right after db_->Write: brings summary_ to the
  // state `committed` leaves (nullptr: the write failed, outcome unknown).
  void PublishCommit(const BatchBuilder* committed);
  // Run by the leader before a commit after a failed one: probes, then
  // reopens LevelDB and reloads the progress (store_recover.cc).
  absl::Status RecoverFromWriteError();
  absl::Status ProbeWritable() const;
  // Closes and reopens db_ (store_open.cc). REQUIRES: db_mu_ held exclusively.
  absl::Status ReopenLevelDb() ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  // Unavailable if db_ is closed after a failed reopen. REQUIRES: db_mu_ held.
  absl::Status CheckOpen() const;
  // GetConflict with its resolution. REQUIRES: db_mu_ held (shared).
  absl::StatusOr<ConflictLogEntry> GetConflictLocked(
      uint64_t sequence, const leveldb::Snapshot* snapshot = nullptr) const;
  // Checks one item of a remote batch; returns its greatest HLC timestamp.
  absl::StatusOr<conflict::HlcTimestamp> CheckRemoteItem(const RemoteBatch::Item& item,
                                                         uint64_t counter);
  // Errors: InvalidArgument for a key of no bytes or more than kMaxKeyBytes.
  absl::Status CheckKey(absl::string_view collection, absl::string_view key) const;
  // The schema's collection, or its stand-in for one the schema does not
  // name (conflict::Schema::CollectionOrUnknown). Errors: as CheckKey.
  absl::StatusOr<const conflict::CollectionSchema*> CollectionFor(absl::string_view collection,
                                                                  absl::string_view key) const;

  const Options options_;
  const conflict::Origin origin_;
  // The Env LevelDB reads and writes through: options_.env, or a PreadEnv
  // over it (Options::pread_table_reads), owned here and outliving db_.
  const std::unique_ptr<leveldb::Env> pread_env_;
  leveldb::Env* const db_env_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  // Held shared by every read and commit, exclusively by a reopen. db_ is
  // null only after a failed reopen. Destroyed before cache_ and filter_.
  mutable std::shared_mutex db_mu_;
  std::unique_ptr<leveldb::DB> db_ ABSL_GUARDED_BY(db_mu_);
  // DbSnapshots alive over db_ (held by StoreSnapshots and ChangeIterators):
  // a reopen must not pull db_ from under them.
  mutable std::atomic<int> live_snapshots_{0};

  // The StoreSnapshot::Summary of the store as of the last commit, so that
  // Snapshot() reads nothing from LevelDB: a session between nodes in sync
  // then costs the same whatever the shape of the LSM tree. nullopt while
  // unknown (after open or a reopen, after a failed commit or one that
  // removed index entries); the next Snapshot reads it and keeps it if no
  // commit ended meanwhile (summary_generation_ counts the ends). While a
  // commit is in flight a new LevelDB snapshot may or may not hold it, so
  // Snapshot reads rather than use summary_.
  mutable std::mutex summary_mu_;
  mutable std::optional<StoreSnapshot::Summary> summary_ ABSL_GUARDED_BY(summary_mu_);
  bool commit_in_flight_ ABSL_GUARDED_BY(summary_mu_) = false;
  uint64_t summary_generation_ ABSL_GUARDED_BY(summary_mu_) = 0;

  // Consulted and added to by the commit leader (BatchBuilder), filled by
  // key_filter_filler_ for a store that opened with records.
  RecordKeyFilter key_filter_;
  std::atomic<bool> closing_{false};
  std::thread key_filter_filler_;

  // Touched only by the commit leader; leadership passes under mu_.
  conflict::HybridLogicalClock hlc_;
  // Set by a commit that failed with an I/O error; cleared by a reopen.
  bool reopen_needed_ = false;
  absl::Status last_write_error_;

  mutable std::mutex mu_;
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(mu_);
  Progress progress_ ABSL_GUARDED_BY(mu_);
  StoreStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sanji::store

#endif  // SANJI_STORE_STORE_H_
