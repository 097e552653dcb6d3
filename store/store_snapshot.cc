#include "store/store_snapshot.h"

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "conflict/status_macros.h"
#include "store/coding.h"
#include "store/files.h"
#include "store/key_layout.h"
#include "store/metadata.h"

namespace sanji::store {

namespace {

// Per origin: parse the first key of its run, seek past the run, step back to
// its last key (the highest counter, since counters are big-endian), and seek
// past the run again, to the first key of the next origin. Three iterator
// moves per origin, none per entry.
absl::StatusOr<conflict::VersionVector> ReadIndexFrontier(const DbSnapshot& snapshot) {
  std::unique_ptr<leveldb::Iterator> it(
      snapshot.db()->NewIterator(snapshot.ReadOptions(/*fill_cache=*/true)));
  const std::string space = OriginIndexSpacePrefix();
  conflict::VersionVector frontier;
  it->Seek(space);
  while (it->Valid() && it->key().starts_with(space)) {
    conflict::Origin origin;
    uint64_t counter = 0;
    if (!ParseOriginIndexKey(absl::string_view(it->key().data(), it->key().size()), &origin,
                             &counter)) {
      return absl::DataLossError("malformed origin index key");
    }
    const std::string next_origin = PrefixSuccessor(OriginIndexPrefix(origin));
    it->Seek(next_origin);
    it->Valid() ? it->Prev() : it->SeekToLast();
    if (!it->Valid() || !ParseOriginIndexKey(absl::string_view(it->key().data(), it->key().size()),
                                             &origin, &counter)) {
      if (!it->status().ok()) break;
      return absl::DataLossError(
          absl::StrCat("malformed last origin index key of ", origin.ToString()));
    }
    frontier.Set(origin, counter);
    it->Seek(next_origin);
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "reading the origin index frontier");
  return frontier;
}

}  // namespace

StoreSnapshot::StoreSnapshot(absl::Status error) : status_(std::move(error)) {}

StoreSnapshot::StoreSnapshot(std::shared_ptr<const DbSnapshot> snapshot)
    : snapshot_(std::move(snapshot)) {
  auto knowledge = ReadKnowledge(snapshot_->db(), snapshot_->ReadOptions(/*fill_cache=*/true));
  if (!knowledge.ok()) {
    status_ = knowledge.status();
    return;
  }
  summary_.knowledge = *std::move(knowledge);
  auto frontier = ReadIndexFrontier(*snapshot_);
  if (!frontier.ok()) {
    status_ = frontier.status();
    return;
  }
  summary_.frontier = *std::move(frontier);
  auto cloud = KnowledgeCloud(/*limit=*/1);
  if (!cloud.ok()) {
    status_ = cloud.status();
    return;
  }
  summary_.cloud_empty = cloud->empty();
}

StoreSnapshot::StoreSnapshot(std::shared_ptr<const DbSnapshot> snapshot, Summary summary)
    : snapshot_(std::move(snapshot)), summary_(std::move(summary)) {}

absl::StatusOr<std::vector<conflict::Dot>> StoreSnapshot::KnowledgeCloud(size_t limit) const {
  SANJI_RETURN_IF_ERROR(status_);
  std::vector<conflict::Dot> cloud;
  if (summary_.cloud_empty) return cloud;
  std::unique_ptr<leveldb::Iterator> it(
      snapshot_->db()->NewIterator(snapshot_->ReadOptions(/*fill_cache=*/true)));
  const std::string space = KnowledgeCloudSpacePrefix();
  for (it->Seek(space); it->Valid() && it->key().starts_with(space) && cloud.size() < limit;
       it->Next()) {
    conflict::Dot dot;
    if (!ParseKnowledgeCloudKey(absl::string_view(it->key().data(), it->key().size()), &dot)) {
      return absl::DataLossError("malformed knowledge cloud key");
    }
    cloud.push_back(std::move(dot));
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "reading the knowledge cloud");
  return cloud;
}

std::unique_ptr<ChangeIterator> StoreSnapshot::ChangesSince(const conflict::Origin& origin,
                                                            uint64_t after_counter,
                                                            ChangeIterator::Decode decode) const {
  if (!status_.ok()) return std::make_unique<ChangeIterator>(status_);
  return std::make_unique<ChangeIterator>(snapshot_, origin, after_counter, decode);
}

}  // namespace sanji::store
