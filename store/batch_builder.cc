#include "store/batch_builder.h"

#include <memory>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "codec/record_codec.h"
#include "codec/record_writer.h"
#include "store/conflict_log.h"
#include "store/files.h"
#include "store/key_layout.h"

namespace sanji::store {

absl::StatusOr<std::optional<conflict::Record>> BatchBuilder::Lookup(absl::string_view collection,
                                                                     absl::string_view key) const {
  return Lookup(RecordKey(collection, key), collection, key);
}

absl::StatusOr<std::optional<conflict::Record>> BatchBuilder::Lookup(const std::string& record_key,
                                                                     absl::string_view collection,
                                                                     absl::string_view key) const {
  std::string read;
  const std::string* bytes = &read;
  if (auto it = staged_.find(record_key); it != staged_.end()) {
    if (it->second.record != nullptr) return std::optional<conflict::Record>(*it->second.record);
    if (it->second.bytes == nullptr) return std::optional<conflict::Record>();
    bytes = it->second.bytes;
  } else if (key_filter_->CertainlyAbsent(record_key)) {
    return std::optional<conflict::Record>();
  } else {
    leveldb::Status status = db_->Get(leveldb::ReadOptions(), record_key, &read);
    if (status.IsNotFound()) return std::optional<conflict::Record>();
    if (!status.ok()) {
      return FromLevelDb(status, absl::StrCat("reading record \"", collection, "\"/\"", key, "\""));
    }
  }
  auto record = codec::ParseRecord(*bytes);
  if (!record.ok()) {
    return absl::DataLossError(absl::StrCat("stored record \"", collection, "\"/\"", key,
                                            "\": ", record.status().message()));
  }
  return std::optional<conflict::Record>(*std::move(record));
}

absl::Status BatchBuilder::StageRecord(const std::string& record_key, absl::string_view collection,
                                       absl::string_view key, const conflict::Record* before,
                                       const conflict::Record& after,
                                       const std::vector<conflict::ConflictEvent>& events,
                                       conflict::HlcTimestamp recorded_at,
                                       size_t max_record_bytes) {
  value_.clear();
  codec::AppendRecordBytes(after, value_);
  if (value_.size() > max_record_bytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        collection, "/", key, " would grow to ", value_.size(), " bytes, more than the ",
        max_record_bytes, " bytes a record may hold (max_record_bytes): nothing was written"));
  }
  PutRecord(record_key, before == nullptr ? nullptr : &before->context(), after.context(), value_);
  for (const conflict::ConflictEvent& event : events) {
    ConflictLogEntry entry{
        0, std::string(collection), std::string(key), recorded_at, event, std::nullopt};
    batch_.Put(ConflictLogKey(progress_.conflict_next++), EncodeConflictLogEntry(entry));
  }
  staged_.insert_or_assign(record_key, Staged{&after, nullptr});
  return absl::OkStatus();
}

void BatchBuilder::StageNewRecordBytes(const std::string& record_key,
                                       const conflict::VersionVector& context,
                                       const std::string& bytes) {
  PutRecord(record_key, nullptr, context, bytes);
  staged_.insert_or_assign(record_key, Staged{nullptr, &bytes});
}

void BatchBuilder::PutRecord(const std::string& record_key, const conflict::VersionVector* before,
                             const conflict::VersionVector& after, absl::string_view bytes) {
  const absl::string_view name = RecordNameIn(record_key);
  key_filter_->Add(record_key);  // before the commit that stores it
  batch_.Put(record_key, leveldb::Slice(bytes.data(), bytes.size()));
  for (const auto& [origin, counter] : after.entries()) {
    const uint64_t old_counter = before == nullptr ? 0 : before->Get(origin);
    if (old_counter == counter) continue;
    if (old_counter != 0) batch_.Delete(OriginIndexKey(origin, old_counter));
    batch_.Put(OriginIndexKey(origin, counter), leveldb::Slice(name.data(), name.size()));
    if (counter > indexed_top_.Get(origin)) indexed_top_.Set(origin, counter);
    unindexes_ = unindexes_ || old_counter > counter;
  }
}

void BatchBuilder::StageEviction(absl::string_view collection, absl::string_view key,
                                 const conflict::Record& before) {
  const std::string record_key = RecordKey(collection, key);
  batch_.Delete(record_key);
  batch_.Delete(DepartureKey(collection, key));
  departures_.erase(DepartureKey(collection, key));
  for (const auto& [origin, counter] : before.context().entries()) {
    batch_.Delete(OriginIndexKey(origin, counter));
    unindexes_ = true;
  }
  staged_.insert_or_assign(record_key, Staged{});
}

absl::Status BatchBuilder::StageDeparture(absl::string_view collection, absl::string_view key) {
  const std::string departure_key = DepartureKey(collection, key);
  if (!departures_.insert(departure_key).second) return absl::OkStatus();  // staged already
  std::string unused;
  leveldb::Status status = db_->Get(leveldb::ReadOptions(), departure_key, &unused);
  if (status.ok()) return absl::OkStatus();  // marked already: re-applying changes nothing
  if (!status.IsNotFound()) {
    return FromLevelDb(status,
                       absl::StrCat("reading the departure of \"", collection, "\"/\"", key, "\""));
  }
  batch_.Put(departure_key, "");
  departure_written_ = true;
  return absl::OkStatus();
}

void BatchBuilder::StageConflictResolution(uint64_t sequence, conflict::HlcTimestamp resolved_at) {
  batch_.Put(ConflictResolutionKey(sequence), EncodeConflictResolution(resolved_at));
  progress_changed_ = true;  // the HLC moved
}

absl::Status BatchBuilder::StageCloudDot(const conflict::Dot& dot) {
  if (cloud_added_.contains(dot)) return absl::OkStatus();
  const std::string key = KnowledgeCloudKey(dot);
  std::string unused;
  leveldb::Status status = db_->Get(leveldb::ReadOptions(), key, &unused);
  if (status.ok()) return absl::OkStatus();
  if (!status.IsNotFound()) return FromLevelDb(status, "reading the knowledge cloud");
  batch_.Put(key, "");
  cloud_added_.insert(dot);
  return absl::OkStatus();
}

absl::Status BatchBuilder::StageCloudRemoval(const conflict::Origin& origin, uint64_t after,
                                             uint64_t upto) {
  const std::string end = KnowledgeCloudKey(conflict::Dot{origin, upto});
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  for (it->Seek(KnowledgeCloudKey(conflict::Dot{origin, after + 1}));
       it->Valid() && it->key().compare(end) <= 0; it->Next()) {
    batch_.Delete(it->key());
    progress_changed_ = true;  // something is written
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "reading the knowledge cloud");
  // Dots an earlier writer of this group commit added (a Delete after the
  // Put in one WriteBatch wins).
  absl::erase_if(cloud_added_, [&](const conflict::Dot& dot) {
    if (dot.origin != origin || dot.counter <= after || dot.counter > upto) return false;
    batch_.Delete(KnowledgeCloudKey(dot));
    return true;
  });
  return absl::OkStatus();
}

leveldb::WriteBatch* BatchBuilder::Finish() {
  PutProgress(progress_, &batch_);
  return &batch_;
}

}  // namespace sanji::store
