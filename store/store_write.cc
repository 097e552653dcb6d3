// Store's write path: the writer queue (group commit), local writes and
// remote batches. See store.h for the contract.
#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "conflict/status_macros.h"
#include "store/files.h"
#include "store/key_layout.h"
#include "store/store.h"

namespace sanji::store {

namespace {

using conflict::CollectionSchema;
using conflict::ConflictEvent;
using conflict::Dot;
using conflict::HlcTimestamp;
using conflict::Record;

// Bounds one commit's batch (LevelDB caps its own groups at 1 MiB); a writer
// that does not fit waits for the next commit, which it leads.
constexpr size_t kMaxGroupWriters = 256;

std::string Name(absl::string_view collection, absl::string_view key) {
  return absl::StrCat("\"", collection, "\"/\"", key, "\"");
}

const conflict::VersionVector& ContextOf(const RemoteBatch::Item& item) {
  if (const auto* record = std::get_if<Record>(&item.record)) return record->context();
  return std::get<codec::CanonicalRecord>(item.record).context();
}

// The item's whole record: a copy, or its received bytes decoded.
absl::StatusOr<Record> RecordOf(const RemoteBatch::Item& item) {
  if (const auto* record = std::get_if<Record>(&item.record)) return *record;
  absl::StatusOr<Record> decoded = std::get<codec::CanonicalRecord>(item.record).Decode();
  if (!decoded.ok())
    return Annotate(decoded.status(), "remote record " + Name(item.collection, item.key));
  return decoded;
}

}  // namespace

struct Store::Writer {
  enum class Kind { kWrite, kDelete, kRemote, kResolve, kStepClock };

  Kind kind = Kind::kWrite;
  absl::string_view collection;
  absl::string_view key;
  const conflict::Change* change = nullptr;
  absl::string_view author;  // kDelete
  const RemoteBatch* remote = nullptr;
  uint64_t sequence = 0;  // kResolve
  struct {
    int64_t reference_micros = 0;
    int64_t min_lead_micros = 0;
  } clock_step;  // kStepClock: StepClockBack's arguments

  absl::Status status;
  WriteResult result;
  RemoteApplied applied;                     // kRemote
  ConflictLogEntry resolved;                 // kResolve
  std::optional<HlcTimestamp> stepped_from;  // kStepClock
  bool done = false;                         // guarded by Store::mu_
  std::condition_variable cv;
};

absl::StatusOr<WriteResult> Store::Write(absl::string_view collection, absl::string_view key,
                                         const conflict::Change& change) {
  Writer writer;
  writer.kind = Writer::Kind::kWrite;
  writer.collection = collection;
  writer.key = key;
  writer.change = &change;
  Commit(&writer);
  if (!writer.status.ok()) return writer.status;
  return std::move(writer.result);
}

absl::StatusOr<WriteResult> Store::Delete(absl::string_view collection, absl::string_view key,
                                          absl::string_view author) {
  Writer writer;
  writer.kind = Writer::Kind::kDelete;
  writer.collection = collection;
  writer.key = key;
  writer.author = author;
  Commit(&writer);
  if (!writer.status.ok()) return writer.status;
  return std::move(writer.result);
}

absl::StatusOr<RemoteApplied> Store::ApplyRemote(const RemoteBatch& batch) {
  Writer writer;
  writer.kind = Writer::Kind::kRemote;
  writer.remote = &batch;
  Commit(&writer);
  if (!writer.status.ok()) return writer.status;
  return writer.applied;
}

absl::StatusOr<ConflictLogEntry> Store::ResolveConflict(uint64_t sequence) {
  Writer writer;
  writer.kind = Writer::Kind::kResolve;
  writer.sequence = sequence;
  Commit(&writer);
  if (!writer.status.ok()) return writer.status;
  return std::move(writer.resolved);
}

absl::StatusOr<std::optional<HlcTimestamp>> Store::StepClockBack(int64_t reference_micros,
                                                                 int64_t min_lead_micros) {
  Writer writer;
  writer.kind = Writer::Kind::kStepClock;
  writer.clock_step = {reference_micros, min_lead_micros};
  Commit(&writer);
  if (!writer.status.ok()) return writer.status;
  return writer.stepped_from;
}

int64_t Store::ClockLeadMicros() const {
  const int64_t saved = progress().hlc_last.physical_micros;
  const int64_t now = options_.clock->NowMicros();
  return saved > now ? saved - now : 0;
}

void Store::Commit(Writer* writer) {
  std::unique_lock<std::mutex> lock(mu_);
  writers_.push_back(writer);
  writer->cv.wait(lock, [&] { return writer->done || writer == writers_.front(); });
  if (writer->done) return;

  // This writer leads: it commits everyone queued so far, itself first.
  const size_t size = std::min(writers_.size(), kMaxGroupWriters);
  const std::vector<Writer*> group(writers_.begin(), writers_.begin() + size);
  lock.unlock();
  const absl::Status ready = reopen_needed_ ? RecoverFromWriteError() : absl::OkStatus();
  lock.lock();
  const Progress start = progress_;
  lock.unlock();
  std::optional<Progress> committed;
  if (ready.ok()) {
    committed = CommitGroup(group, start);
  } else {
    for (Writer* member : group) member->status = ready;
  }
  lock.lock();

  if (reopen_needed_ && ready.ok() && !committed.has_value()) ++stats_.failed_commits;
  if (committed.has_value()) {
    progress_ = *std::move(committed);
    ++stats_.commits;
    for (const Writer* member : group) stats_.committed_writes += member->status.ok() ? 1 : 0;
  }
  stats_.refused_remote_timestamps = hlc_.refused_remote_count();
  stats_.max_remote_ahead_micros = hlc_.max_remote_ahead_micros();
  // A step is reported once it is durable: until then a restart would
  // restore the time it left.
  const bool stepped = committed.has_value() && hlc_.step_back_count() > stats_.clock_steps_back;
  if (stepped) stats_.clock_steps_back = hlc_.step_back_count();
  const HlcTimestamp stepped_from = hlc_.last_stepped_from();
  const HlcTimestamp stepped_to = progress_.hlc_last;
  for (Writer* member : group) {
    writers_.pop_front();
    member->done = true;
    if (member != writer) member->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  lock.unlock();
  if (stepped && options_.on_clock_step) options_.on_clock_step(stepped_from, stepped_to);
}

std::optional<Progress> Store::CommitGroup(const std::vector<Writer*>& group,
                                           const Progress& start) {
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  BatchBuilder batch(db_.get(), &key_filter_, start);
  std::vector<Writer*> staged;
  for (Writer* writer : group) {
    switch (writer->kind) {
      case Writer::Kind::kRemote: {
        absl::StatusOr<RemoteApplied> applied = StageRemote(*writer->remote, batch);
        writer->status = applied.status();
        if (applied.ok()) writer->applied = *applied;
        break;
      }
      case Writer::Kind::kResolve:
        writer->status = StageResolve(writer, batch);
        break;
      case Writer::Kind::kStepClock:
        writer->stepped_from =
            hlc_.StepBack(writer->clock_step.reference_micros, writer->clock_step.min_lead_micros);
        if (writer->stepped_from.has_value()) batch.MarkProgressChanged();
        break;
      default:
        writer->status = StageLocal(writer, batch);
    }
    if (writer->status.ok()) staged.push_back(writer);
  }
  if (batch.empty()) return std::nullopt;  // refused writes and no-op batches only

  batch.progress().hlc_last = hlc_.Last();
  leveldb::WriteOptions sync;
  sync.sync = true;
  {
    std::lock_guard<std::mutex> lock(summary_mu_);
    commit_in_flight_ = true;
  }
  leveldb::Status status = db_->Write(sync, batch.Finish());
  PublishCommit(status.ok() ? &batch : nullptr);
  if (!status.ok()) {
    const absl::Status error =
        FromLevelDb(status, absl::StrCat("committing to the store at ", options_.path));
    for (Writer* writer : staged) writer->status = error;
    // Nothing more goes to this LevelDB instance (store.h, "Write errors").
    reopen_needed_ = true;
    last_write_error_ = error;
    return std::nullopt;
  }
  return std::move(batch.progress());
}

void Store::PublishCommit(const BatchBuilder* committed) {
  std::lock_guard<std::mutex> lock(summary_mu_);
  commit_in_flight_ = false;
  ++summary_generation_;
  if (committed == nullptr || committed->unindexes()) {
    summary_.reset();
  } else if (summary_.has_value()) {
    summary_->knowledge = committed->progress().knowledge;
    summary_->frontier.Join(committed->indexed_top());
    summary_->cloud_empty = summary_->cloud_empty && !committed->adds_cloud_dots();
  }
}

absl::Status Store::CheckKey(absl::string_view collection, absl::string_view key) const {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("key of ", Name(collection, key.substr(0, 64)),
                                                   " is ", key.size(), " bytes; keys are 1 to ",
                                                   kMaxKeyBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<const CollectionSchema*> Store::CollectionFor(absl::string_view collection,
                                                             absl::string_view key) const {
  SANJI_RETURN_IF_ERROR(CheckKey(collection, key));
  return &options_.schema->CollectionOrUnknown(collection);
}

absl::Status Store::StageLocal(Writer* writer, BatchBuilder& batch) {
  const absl::string_view collection = writer->collection;
  const absl::string_view key = writer->key;
  // Only the schema's collections are written here; others only arrive.
  SANJI_ASSIGN_OR_RETURN(const CollectionSchema* schema, options_.schema->Collection(collection));
  SANJI_RETURN_IF_ERROR(CheckKey(collection, key));
  const std::string record_key = RecordKey(collection, key);
  SANJI_ASSIGN_OR_RETURN(std::optional<Record> before, batch.Lookup(record_key, collection, key));
  Progress& progress = batch.progress();
  const Dot dot{origin_, progress.counter + 1};
  Record after;
  HlcTimestamp timestamp;
  if (writer->kind == Writer::Kind::kDelete) {
    if (!before.has_value() || !before->alive()) {
      return absl::NotFoundError(absl::StrCat("no record ", Name(collection, key), " to delete"));
    }
    timestamp = hlc_.Now();
    after = before->Delete(dot, timestamp, writer->author);
  } else {
    // Validate before taking a timestamp, so a refused write leaves no trace.
    SANJI_RETURN_IF_ERROR(schema->ValidateChange(*writer->change));
    timestamp = hlc_.Now();
    auto written = before.value_or(Record()).Write(*schema, *writer->change, dot, timestamp);
    if (!written.ok()) return Annotate(written.status(), Name(collection, key));
    after = *std::move(written);
  }
  std::vector<ConflictEvent> events = NewConflicts(*schema, before.value_or(Record()), after);
  // The writer waits for the commit, so its result outlives the batch.
  writer->result = WriteResult{dot, timestamp, std::move(after), std::move(events)};
  SANJI_RETURN_IF_ERROR(batch.StageRecord(
      record_key, collection, key, before.has_value() ? &*before : nullptr, writer->result.record,
      writer->result.conflicts, timestamp, options_.max_record_bytes));
  progress.counter = dot.counter;
  progress.knowledge.Set(origin_, dot.counter);
  return absl::OkStatus();
}

absl::Status Store::StageResolve(Writer* writer, BatchBuilder& batch) {
  SANJI_ASSIGN_OR_RETURN(ConflictLogEntry entry, GetConflictLocked(writer->sequence));
  if (!entry.resolved_at.has_value()) {
    entry.resolved_at = hlc_.Now();
    batch.StageConflictResolution(entry.sequence, *entry.resolved_at);
  }
  writer->resolved = std::move(entry);
  return absl::OkStatus();
}

absl::StatusOr<HlcTimestamp> Store::CheckRemoteItem(const RemoteBatch::Item& item,
                                                    uint64_t counter) {
  // The name is built only for an error: this runs for every remote record.
  auto name = [&] { return absl::StrCat("remote record ", Name(item.collection, item.key)); };
  auto schema = CollectionFor(item.collection, item.key);
  if (!schema.ok()) return Annotate(schema.status(), name());
  HlcTimestamp newest;
  absl::Status checked;
  if (const auto* record = std::get_if<Record>(&item.record)) {
    checked = record->CheckAgainst(**schema);
    newest = record->NewestTimestamp();
  } else {
    const auto& received = std::get<codec::CanonicalRecord>(item.record);
    // Read against another schema object, or none: read again against ours.
    if (received.schema() != *schema) {
      checked = codec::CanonicalRecord::Read(received.bytes(), **schema).status();
    }
    newest = received.newest();
  }
  if (!checked.ok()) return Annotate(checked, name());
  const conflict::VersionVector& context = ContextOf(item);
  if (context.Get(origin_) > counter) {
    return absl::FailedPreconditionError(
        absl::StrCat(name(), " holds dot ", origin_.ToString(), ":", context.Get(origin_),
                     " of this node, beyond its counter ", counter,
                     "; this store is older than changes it made (restored from a copy?)"));
  }
  absl::Status skew = hlc_.CheckSkew(newest);
  if (!skew.ok()) return Annotate(skew, name());
  return newest;
}

// One merge of a remote batch: the item (the first, if the batch names the
// record twice), the stored state and the merged one: the item's own record
// when nothing was stored (no copy), else a state the batch builder keeps;
// or, when nothing was stored and the item's received bytes merge into
// nothing without a conflict, those bytes (`received`, and `after` null).
struct Store::Merge {
  const RemoteBatch::Item* item;
  std::string record_key;
  std::optional<Record> before;
  const Record* after;
  const codec::CanonicalRecord* received;
  HlcTimestamp newest;  // the greatest timestamp the batch brings to it

  // The state after the merge. Errors: DataLoss.
  absl::StatusOr<Record> State() const {
    if (after != nullptr) return *after;
    return RecordOf(*item);
  }
};

absl::Status Store::MergeRemoteItems(const RemoteBatch& remote,
                                     const std::vector<HlcTimestamp>& newest, BatchBuilder& batch,
                                     std::vector<Merge>& merges) {
  // One merge per record, so a batch naming a record twice merges both. The
  // common case (every record once) copies nothing but the merged result.
  absl::flat_hash_map<std::pair<absl::string_view, absl::string_view>, size_t> seen;
  seen.reserve(remote.items.size());
  struct Incoming {
    const RemoteBatch::Item* item;
    std::optional<Record> joined;  // set if the batch names the record again
    HlcTimestamp newest;
  };
  std::vector<Incoming> incoming;
  incoming.reserve(remote.items.size());
  for (size_t i = 0; i < remote.items.size(); ++i) {
    const RemoteBatch::Item& item = remote.items[i];
    auto [it, inserted] = seen.try_emplace({item.collection, item.key}, incoming.size());
    if (inserted) {
      incoming.push_back(Incoming{&item, std::nullopt, newest[i]});
      continue;
    }
    Incoming& first = incoming[it->second];
    if (!first.joined.has_value()) {
      SANJI_ASSIGN_OR_RETURN(first.joined, RecordOf(*first.item));
    }
    SANJI_ASSIGN_OR_RETURN(const Record again, RecordOf(item));
    first.joined->Join(again);
    first.newest = std::max(first.newest, newest[i]);
  }
  // Every read before the first stage, so a failed read leaves the batch as it was.
  for (auto& [item, joined, newest] : incoming) {
    std::string record_key = RecordKey(item->collection, item->key);
    SANJI_ASSIGN_OR_RETURN(std::optional<Record> before,
                           batch.Lookup(record_key, item->collection, item->key));
    const auto* received = std::get_if<codec::CanonicalRecord>(&item->record);
    // A record this store saw whole and holds no more was evicted: it left
    // the filter, the move having reached here first by another path (a
    // bundle, the other parent). An older copy still in flight must not
    // bring it back: the knowledge covers the move, so nothing would send
    // the move-out again. (A record new to this store carries a dot the
    // knowledge lacks: its write, or the move that brought it in.)
    if (!before.has_value() && !joined.has_value() &&
        batch.progress().knowledge.Covers(
            received != nullptr ? received->context() : std::get<Record>(item->record).context())) {
      continue;
    }
    if (!before.has_value() && !joined.has_value() && received != nullptr &&
        received->conflict_free()) {
      // The common case of a catch-up: a new record, stored as it came.
      merges.push_back(Merge{item, std::move(record_key), std::nullopt, nullptr, received, newest});
      continue;
    }
    if (!joined.has_value() && received != nullptr) {
      SANJI_ASSIGN_OR_RETURN(joined, RecordOf(*item));
    }
    const Record& record = joined.has_value() ? *joined : std::get<Record>(item->record);
    const Record* after = &record;  // bottom joined with it
    if (before.has_value()) {
      Record merged = *before;
      merged.Join(record);
      if (merged == *before) continue;  // already held
      after = &batch.Keep(std::move(merged));
    } else if (joined.has_value()) {
      after = &batch.Keep(*std::move(joined));
    }
    merges.push_back(Merge{item, std::move(record_key), std::move(before), after, nullptr, newest});
  }
  return absl::OkStatus();
}

absl::Status Store::FindEvictions(
    const RemoteBatch& remote, const BatchBuilder& batch, const std::vector<Merge>& merges,
    std::vector<std::pair<const RemoteBatch::Eviction*, Record>>& evictions) {
  if (remote.evictions.empty()) return absl::OkStatus();
  absl::flat_hash_map<std::pair<absl::string_view, absl::string_view>, const Merge*> merged;
  for (const Merge& merge : merges) {
    merged.try_emplace({merge.item->collection, merge.item->key}, &merge);
  }
  for (const RemoteBatch::Eviction& eviction : remote.evictions) {
    // The state after this batch's merges: a merged item, else as stored.
    std::optional<Record> state;
    if (auto it = merged.find({eviction.collection, eviction.key}); it != merged.end()) {
      SANJI_ASSIGN_OR_RETURN(state, it->second->State());
    } else {
      SANJI_ASSIGN_OR_RETURN(state, batch.Lookup(eviction.collection, eviction.key));
    }
    if (state.has_value()) evictions.emplace_back(&eviction, *std::move(state));
  }
  return absl::OkStatus();
}

absl::StatusOr<RemoteApplied> Store::StageRemote(const RemoteBatch& remote, BatchBuilder& batch) {
  Progress& progress = batch.progress();
  std::vector<HlcTimestamp> newest;
  newest.reserve(remote.items.size());
  for (const RemoteBatch::Item& item : remote.items) {
    SANJI_ASSIGN_OR_RETURN(HlcTimestamp item_newest, CheckRemoteItem(item, progress.counter));
    newest.push_back(item_newest);
  }
  for (const RemoteBatch::Eviction& eviction : remote.evictions) {
    absl::Status checked = CollectionFor(eviction.collection, eviction.key).status();
    if (!checked.ok()) {
      return Annotate(checked,
                      absl::StrCat("eviction of ", Name(eviction.collection, eviction.key)));
    }
  }
  if (remote.knowledge.Get(origin_) > progress.counter) {
    return absl::FailedPreconditionError(
        absl::StrCat("remote knowledge ", remote.knowledge.ToString(), " is beyond this node's ",
                     origin_.ToString(), ":", progress.counter,
                     "; this store is older than changes it made (restored from a copy?)"));
  }
  std::vector<Merge> merges;
  SANJI_RETURN_IF_ERROR(MergeRemoteItems(remote, newest, batch, merges));
  std::vector<std::pair<const RemoteBatch::Eviction*, Record>> evictions;
  SANJI_RETURN_IF_ERROR(FindEvictions(remote, batch, merges, evictions));
  if (!merges.empty()) {
    HlcTimestamp batch_newest;
    for (const Merge& merge : merges) batch_newest = std::max(batch_newest, merge.newest);
    SANJI_ASSIGN_OR_RETURN(HlcTimestamp now, hlc_.Observe(batch_newest));
    const Record empty;
    for (const Merge& merge : merges) {
      if (merge.received != nullptr) {
        batch.StageNewRecordBytes(merge.record_key, merge.received->context(),
                                  merge.received->bytes());
        continue;
      }
      const CollectionSchema& schema = options_.schema->CollectionOrUnknown(merge.item->collection);
      std::vector<ConflictEvent> events =
          NewConflicts(schema, merge.before.has_value() ? *merge.before : empty, *merge.after);
      // Remote records are bounded by the session, item by item (options.h).
      SANJI_RETURN_IF_ERROR(
          batch.StageRecord(merge.record_key, merge.item->collection, merge.item->key,
                            merge.before.has_value() ? &*merge.before : nullptr, *merge.after,
                            events, now, std::numeric_limits<size_t>::max()));
    }
  }
  for (const auto& [eviction, stored] : evictions) {
    if (eviction->context.Covers(stored.context())) {
      batch.StageEviction(eviction->collection, eviction->key, stored);
    } else {
      SANJI_RETURN_IF_ERROR(batch.StageDeparture(eviction->collection, eviction->key));
    }
  }
  const conflict::VersionVector before = progress.knowledge;
  conflict::VersionVector knowledge = progress.knowledge;
  knowledge.Join(remote.knowledge);
  if (knowledge != progress.knowledge) {
    progress.knowledge = std::move(knowledge);
    batch.MarkProgressChanged();
  }
  SANJI_RETURN_IF_ERROR(StageKnowledgeCloud(remote.held_dots, before, batch));
  // One merge per record that changes (MergeRemoteItems skips those held).
  return RemoteApplied{merges.size()};
}

absl::Status Store::StageKnowledgeCloud(const std::vector<conflict::Dot>& held_dots,
                                        const conflict::VersionVector& before,
                                        BatchBuilder& batch) {
  const conflict::VersionVector& knowledge = batch.progress().knowledge;
  for (const conflict::Dot& dot : held_dots) {
    if (!knowledge.Covers(dot)) SANJI_RETURN_IF_ERROR(batch.StageCloudDot(dot));
  }
  // Cloud dots at or below `before` went when the knowledge reached them, so
  // only (before, now] of each origin that advanced can hold any.
  for (const auto& [origin, counter] : knowledge.entries()) {
    const uint64_t was = before.Get(origin);
    if (counter > was) SANJI_RETURN_IF_ERROR(batch.StageCloudRemoval(origin, was, counter));
  }
  return absl::OkStatus();
}

}  // namespace sanji::store
