#include "replication/store_replica.h"

#include <utility>

#include "store/store_snapshot.h"

namespace sanji::replication {
namespace {

class StoreCursor : public ChangeCursor {
 public:
  explicit StoreCursor(std::unique_ptr<store::ChangeIterator> iterator)
      : iterator_(std::move(iterator)) {}
  bool Valid() const override { return iterator_->Valid(); }
  void Next() override { iterator_->Next(); }
  absl::Status status() const override { return iterator_->status(); }
  uint64_t counter() const override { return iterator_->counter(); }
  const std::string& collection() const override { return iterator_->collection(); }
  const std::string& key() const override { return iterator_->key(); }
  const std::string& record_bytes() const override { return iterator_->record_bytes(); }
  const codec::RecordHead& head() const override { return iterator_->head(); }

 private:
  std::unique_ptr<store::ChangeIterator> iterator_;
};

class StoreReplicaSnapshot : public ReplicaSnapshot {
 public:
  explicit StoreReplicaSnapshot(std::unique_ptr<store::StoreSnapshot> snapshot)
      : snapshot_(std::move(snapshot)) {}
  absl::Status status() const override { return snapshot_->status(); }
  conflict::VersionVector Knowledge() const override { return snapshot_->Knowledge(); }
  absl::StatusOr<std::vector<conflict::Dot>> KnowledgeCloud(size_t limit) const override {
    return snapshot_->KnowledgeCloud(limit);
  }
  conflict::VersionVector IndexFrontier() const override { return snapshot_->IndexFrontier(); }
  std::unique_ptr<ChangeCursor> ChangesSince(const conflict::Origin& origin,
                                             uint64_t after_counter) const override {
    return std::make_unique<StoreCursor>(
        snapshot_->ChangesSince(origin, after_counter, store::ChangeIterator::Decode::kHead));
  }

 private:
  std::unique_ptr<store::StoreSnapshot> snapshot_;
};

}  // namespace

std::unique_ptr<ReplicaSnapshot> StoreReplica::Snapshot() const {
  return std::make_unique<StoreReplicaSnapshot>(store_->Snapshot());
}

absl::StatusOr<conflict::Record> StoreReplica::Get(absl::string_view collection,
                                                   absl::string_view key) const {
  return store_->Get(collection, key);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> StoreReplica::Departures() const {
  return store_->Departures();
}

absl::StatusOr<store::RemoteApplied> ApplyToStore(store::Store& store, ApplyBatch batch) {
  store::RemoteBatch remote;
  remote.items.reserve(batch.items.size());
  for (ApplyBatch::Item& item : batch.items) {
    if (item.move_out) {
      conflict::VersionVector seen = item.record.context();
      seen.Join(item.others_held);
      remote.evictions.push_back(
          store::RemoteBatch::Eviction{item.collection, item.key, std::move(seen)});
    }
    remote.items.push_back(store::RemoteBatch::Item{std::move(item.collection), std::move(item.key),
                                                    std::move(item.record)});
  }
  for (ApplyBatch::Eviction& eviction : batch.evictions) {
    remote.evictions.push_back(store::RemoteBatch::Eviction{
        std::move(eviction.collection), std::move(eviction.key), std::move(eviction.context)});
  }
  remote.knowledge = std::move(batch.knowledge);
  remote.held_dots = std::move(batch.held_dots);
  return store.ApplyRemote(remote);
}

}  // namespace sanji::replication
