// Store's read path. Reads go straight to LevelDB (thread-safe) and take no
// lock but for the in-memory progress.
#include "absl/strings/str_cat.h"
#include "codec/record_codec.h"
#include "conflict/status_macros.h"
#include "store/files.h"
#include "store/key_layout.h"
#include "store/store.h"

namespace sanji::store {

namespace {

constexpr size_t kDefaultPageSize = 100;
constexpr size_t kMaxPageSize = 1000;

size_t PageSize(size_t limit) {
  return limit == 0 ? kDefaultPageSize : std::min(limit, kMaxPageSize);
}

absl::string_view View(const leveldb::Slice& slice) { return {slice.data(), slice.size()}; }

}  // namespace

absl::StatusOr<conflict::Record> Store::Get(absl::string_view collection,
                                            absl::string_view key) const {
  SANJI_RETURN_IF_ERROR(CollectionFor(collection, key).status());
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  SANJI_RETURN_IF_ERROR(CheckOpen());
  std::string bytes;
  const std::string name = absl::StrCat("record \"", collection, "\"/\"", key, "\"");
  leveldb::Status status = db_->Get(leveldb::ReadOptions(), RecordKey(collection, key), &bytes);
  if (status.IsNotFound()) return absl::NotFoundError(absl::StrCat("no ", name));
  if (!status.ok()) return FromLevelDb(status, absl::StrCat("reading ", name));
  auto record = codec::ParseRecord(bytes);
  if (!record.ok()) return Annotate(record.status(), name);
  return record;
}

absl::StatusOr<size_t> Store::CountRecords(absl::string_view collection, size_t limit) const {
  SANJI_RETURN_IF_ERROR(options_.schema->Collection(collection).status());
  const std::string prefix = RecordRangePrefix(collection, "");
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  SANJI_RETURN_IF_ERROR(CheckOpen());
  leveldb::ReadOptions scan;  // around the block cache, as List
  scan.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(scan));
  size_t count = 0;
  for (it->Seek(prefix); count < limit && it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    ++count;
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "counting records");
  return count;
}

absl::StatusOr<ListPage> Store::List(absl::string_view collection, absl::string_view key_prefix,
                                     absl::string_view page_token, size_t limit) const {
  // Not only the schema's collections: a newer schema's records are stored
  // here too, and listed as Get reads them (docs/SCHEMA.md).
  if (collection.empty()) return absl::InvalidArgumentError("List of an empty collection name");
  const std::string prefix = RecordRangePrefix(collection, key_prefix);
  const size_t page_size = PageSize(limit);
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  SANJI_RETURN_IF_ERROR(CheckOpen());
  // A listing scans: its blocks would push the hot set (recent records, the
  // index tail sync reads) out of the block cache, and a node paging through
  // a whole collection would fill the cache to its limit. Scans read around it, as LevelDB advises.
  leveldb::ReadOptions scan;
  scan.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(scan));
  const std::string after = page_token.empty() ? "" : RecordKey(collection, page_token);
  it->Seek(std::max(prefix, after));
  if (it->Valid() && View(it->key()) == after) it->Next();
  ListPage page;
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string parsed_collection;
    std::string key;
    if (!ParseRecordKey(View(it->key()), &parsed_collection, &key)) {
      return absl::DataLossError(absl::StrCat("malformed record key in \"", collection, "\""));
    }
    if (page.entries.size() == page_size) {
      page.next_page_token = page.entries.back().key;
      break;
    }
    auto record = codec::ParseRecord(View(it->value()));
    if (!record.ok()) {
      return Annotate(record.status(), absl::StrCat("record \"", collection, "\"/\"", key, "\""));
    }
    if (!record->alive()) continue;
    page.entries.push_back(ListEntry{std::move(key), *std::move(record)});
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "listing records");
  return page;
}

std::unique_ptr<ChangeIterator> Store::ChangesSince(const conflict::Origin& origin,
                                                    uint64_t after_counter) const {
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  absl::Status open = CheckOpen();
  if (!open.ok()) return std::make_unique<ChangeIterator>(std::move(open));
  return std::make_unique<ChangeIterator>(
      std::make_shared<const DbSnapshot>(db_.get(), &live_snapshots_), origin, after_counter);
}

std::unique_ptr<StoreSnapshot> Store::Snapshot() const {
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  absl::Status open = CheckOpen();
  if (!open.ok()) return std::make_unique<StoreSnapshot>(std::move(open));
  std::unique_lock<std::mutex> lock(summary_mu_);
  auto db_snapshot = std::make_shared<const DbSnapshot>(db_.get(), &live_snapshots_);
  if (summary_.has_value() && !commit_in_flight_) {
    return std::make_unique<StoreSnapshot>(std::move(db_snapshot), *summary_);
  }
  // Taken between commits, the LevelDB snapshot holds exactly the commits
  // that ended by `generation`: what it reads is the summary as of then.
  const bool between_commits = !commit_in_flight_;
  const uint64_t generation = summary_generation_;
  lock.unlock();
  auto snapshot = std::make_unique<StoreSnapshot>(std::move(db_snapshot));
  if (between_commits && snapshot->status().ok()) {
    lock.lock();
    if (summary_generation_ == generation && !summary_.has_value()) summary_ = snapshot->summary();
  }
  return snapshot;
}

conflict::VersionVector Store::Knowledge() const {
  std::lock_guard<std::mutex> lock(mu_);
  return progress_.knowledge;
}

Progress Store::progress() const {
  std::lock_guard<std::mutex> lock(mu_);
  return progress_;
}

StoreStats Store::stats() const {
  StoreStats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats = stats_;
  }
  stats.record_key_filter_complete = key_filter_.complete();
  stats.record_key_filter_keys = key_filter_.keys();
  stats.record_key_filter_bytes = key_filter_.memory_bytes();
  return stats;
}

size_t Store::QueuedWritersForTest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writers_.empty() ? 0 : writers_.size() - 1;
}

absl::Status Store::CheckOpen() const {
  if (db_ != nullptr) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("the store at ", options_.path,
                   " is closed: reopening it after a failed write failed; the next write retries"));
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Store::Departures() const {
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  SANJI_RETURN_IF_ERROR(CheckOpen());
  std::vector<std::pair<std::string, std::string>> departures;
  const std::string prefix = DepartureSpacePrefix();
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string collection;
    std::string key;
    if (!ParseRecordName(View(it->key()).substr(prefix.size()), &collection, &key)) {
      return absl::DataLossError(absl::StrCat("malformed departure key in ", options_.path));
    }
    departures.emplace_back(std::move(collection), std::move(key));
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "listing departures");
  return departures;
}

absl::StatusOr<std::vector<ConflictLogEntry>> Store::ListConflicts(uint64_t after_sequence,
                                                                   size_t limit,
                                                                   ConflictFilter filter) const {
  const size_t page_size = PageSize(limit);
  std::vector<ConflictLogEntry> entries;
  if (after_sequence == UINT64_MAX) return entries;
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  SANJI_RETURN_IF_ERROR(CheckOpen());
  const leveldb::Snapshot* snapshot = db_->GetSnapshot();
  leveldb::ReadOptions options;
  options.snapshot = snapshot;
  const std::string prefix = ConflictLogSpacePrefix();
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(options));
  absl::Status status;
  for (it->Seek(ConflictLogKey(after_sequence + 1));
       it->Valid() && it->key().starts_with(prefix) && entries.size() < page_size; it->Next()) {
    uint64_t sequence = 0;
    if (!ParseConflictLogKey(View(it->key()), &sequence)) {
      status = absl::DataLossError("malformed conflict log key");
      break;
    }
    auto entry = GetConflictLocked(sequence, snapshot);
    if (!entry.ok()) {
      status = entry.status();
      break;
    }
    if (filter == ConflictFilter::kOpen && (entry->resolved_at.has_value() || entry->settled)) {
      continue;
    }
    entries.push_back(*std::move(entry));
  }
  if (status.ok() && !it->status().ok()) {
    status = FromLevelDb(it->status(), "listing the conflict log");
  }
  it.reset();
  db_->ReleaseSnapshot(snapshot);
  if (!status.ok()) return status;
  return entries;
}

absl::StatusOr<ConflictLogEntry> Store::GetConflict(uint64_t sequence) const {
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  SANJI_RETURN_IF_ERROR(CheckOpen());
  return GetConflictLocked(sequence);
}

absl::StatusOr<ConflictLogEntry> Store::GetConflictLocked(uint64_t sequence,
                                                          const leveldb::Snapshot* snapshot) const {
  leveldb::ReadOptions options;
  options.snapshot = snapshot;
  std::string bytes;
  leveldb::Status status = db_->Get(options, ConflictLogKey(sequence), &bytes);
  if (status.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("no conflict event ", sequence));
  }
  if (!status.ok()) return FromLevelDb(status, absl::StrCat("reading conflict event ", sequence));
  SANJI_ASSIGN_OR_RETURN(ConflictLogEntry entry, DecodeConflictLogEntry(sequence, bytes));
  status = db_->Get(options, ConflictResolutionKey(sequence), &bytes);
  if (status.ok()) {
    SANJI_ASSIGN_OR_RETURN(entry.resolved_at, DecodeConflictResolution(sequence, bytes));
  } else if (!status.IsNotFound()) {
    return FromLevelDb(status, absl::StrCat("reading the resolution of conflict event ", sequence));
  }
  status = db_->Get(options, RecordKey(entry.collection, entry.key), &bytes);
  if (status.IsNotFound()) {
    entry.settled = true;
  } else if (!status.ok()) {
    return FromLevelDb(status, absl::StrCat("reading the record of conflict event ", sequence));
  } else {
    SANJI_ASSIGN_OR_RETURN(const conflict::Record record, codec::ParseRecord(bytes));
    entry.settled = conflict::SettledBy(entry.event, record);
  }
  return entry;
}

}  // namespace sanji::store
