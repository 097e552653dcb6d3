// Remote batches (ARCHITECTURE.md §2, §3): merged with Join, checked before any
// of it is merged, atomic, and idempotent: applying a batch twice changes
// nothing. Concurrent overwrites land in the conflict log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "codec/canonical_record.h"
#include "codec/record_codec.h"
#include "conflict/conflict_event.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

using conflict::ConflictEvent;
using conflict::Origin;
using conflict::Record;
using ::testing::HasSubstr;

class RemoteApplyTest : public StoreConformanceTest {
 protected:
  // A record written at `origin`, as its own store would hold it.
  Record WrittenAt(const Origin& origin, const std::string& title, uint64_t counter,
                   int64_t micros) const {
    const auto* tickets = *schema_.Collection(kTickets);
    auto record = Record().Write(*tickets, SetTitle(title), {origin, counter}, {micros, 0});
    EXPECT_TRUE(record.ok()) << record.status();
    return *record;
  }
  Record TownshipRecord(const std::string& title, uint64_t counter, int64_t micros) const {
    return WrittenAt(township_, title, counter, micros);
  }

  RemoteBatch ThreeRecords() const {
    RemoteBatch batch;
    for (uint64_t i = 1; i <= 3; ++i) {
      batch.items.push_back({kTickets, absl::StrCat("R-", i),
                             TownshipRecord(absl::StrCat("镇上 ", i), i, kStartMicros - 10)});
    }
    batch.knowledge.Set(township_, 3);
    return batch;
  }

  // `record` as a session hands it over: its bytes, read against `schema`'s
  // tickets (the store's own schema object unless told).
  RemoteBatch::Item Received(const std::string& key, const Record& record,
                             const conflict::Schema* schema = nullptr) const {
    if (schema == nullptr) schema = &schema_;
    absl::StatusOr<codec::CanonicalRecord> read = codec::CanonicalRecord::Read(
        codec::SerializeRecord(record), **schema->Collection(kTickets));
    EXPECT_TRUE(read.ok()) << read.status();
    return {kTickets, key, *std::move(read)};
  }

  // The bytes the store holds for each record of the township's origin.
  std::vector<std::string> StoredBytes(const Store& store) const {
    std::vector<std::string> bytes;
    for (auto it = store.ChangesSince(township_, 0); it->Valid(); it->Next()) {
      bytes.push_back(it->record_bytes());
    }
    return bytes;
  }

  const Origin township_{"gutian/fengpu", 4};
};

SANJI_STORE_CONFORMANCE(RemoteApplyTest);

TEST_P(RemoteApplyTest, AppliesRecordsAndKnowledge) {
  auto store = OpenStore();
  const RemoteBatch batch = ThreeRecords();
  ASSERT_TRUE(store->ApplyRemote(batch).ok());
  for (const auto& item : batch.items) {
    auto record = store->Get(item.collection, item.key);
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_EQ(*record, std::get<conflict::Record>(item.record));
  }
  EXPECT_EQ(store->Knowledge().Get(township_), 3u);
  EXPECT_EQ(store->progress().counter, 0u);  // remote changes take no local dot
  std::vector<uint64_t> counters;
  for (auto it = store->ChangesSince(township_, 0); it->Valid(); it->Next()) {
    counters.push_back(it->counter());
  }
  EXPECT_EQ(counters, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_P(RemoteApplyTest, ApplyingTheSameBatchTwiceChangesNothing) {
  auto store = OpenStore();
  ASSERT_TRUE(store->Write(kTickets, "L-1", SetTitle("local")).ok());
  ExpectReapplyChangesNothing(*store, ThreeRecords());
}

// Issue 22: an import says how many records it changed, not only how many it
// received; a batch already held changes none.
TEST_P(RemoteApplyTest, CountsTheRecordsABatchChanged) {
  auto store = OpenStore();
  const RemoteBatch batch = ThreeRecords();
  absl::StatusOr<RemoteApplied> first = store->ApplyRemote(batch);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->records_changed, 3u);
  absl::StatusOr<RemoteApplied> again = store->ApplyRemote(batch);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->records_changed, 0u);
}

TEST_P(RemoteApplyTest, ConcurrentOverwriteIsLogged) {
  auto store = OpenStore();
  ASSERT_TRUE(store->Write(kTickets, "T-1", SetTitle("村里写的")).ok());
  RemoteBatch batch;
  batch.items.push_back({kTickets, "T-1", TownshipRecord("镇上写的", 1, kStartMicros + 10)});
  ASSERT_TRUE(store->ApplyRemote(batch).ok());

  auto conflicts = store->ListConflicts(0, 0);
  ASSERT_TRUE(conflicts.ok()) << conflicts.status();
  // Both writes set the title and the scope; the scope is the same value, so
  // only the title is a conflict (issue 22: equal values are not one).
  ASSERT_EQ(conflicts->size(), 1u);
  const ConflictLogEntry& entry = (*conflicts)[0];
  EXPECT_EQ(entry.sequence, 1u);
  EXPECT_EQ(entry.collection, kTickets);
  EXPECT_EQ(entry.key, "T-1");
  EXPECT_EQ(entry.event.kind, ConflictEvent::Kind::kLwwOverwrite);
  EXPECT_EQ(entry.event.field, "title");
  EXPECT_EQ(entry.event.kept.value, conflict::Value(std::string("镇上写的")));
  EXPECT_EQ(entry.event.other.value, conflict::Value(std::string("村里写的")));
  EXPECT_EQ(*store->GetConflict(1), entry);
  EXPECT_EQ(store->GetConflict(2).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->ListConflicts(1, 0)->empty());
  // The merge advanced the HLC past the remote write (causality).
  auto next = store->Write(kTickets, "T-1", SetTitle("看过以后", std::nullopt));
  ASSERT_TRUE(next.ok());
  EXPECT_GT(next->timestamp, (conflict::HlcTimestamp{kStartMicros + 10, 0}));
  EXPECT_TRUE(next->conflicts.empty());
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_P(RemoteApplyTest, RefusesATimestampBeyondMaxSkewAndAppliesNothing) {
  auto store = OpenStore();
  RemoteBatch batch = ThreeRecords();
  batch.items.push_back(
      {kTickets, "R-9", TownshipRecord("来自未来", 9, kStartMicros + 120'000'000)});
  const auto files = StoreFiles();
  absl::Status status = store->ApplyRemote(batch).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange) << status;
  EXPECT_THAT(status.message(), HasSubstr("R-9"));
  EXPECT_EQ(StoreFiles(), files);
  EXPECT_EQ(store->Get(kTickets, "R-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Knowledge().Get(township_), 0u);
  EXPECT_EQ(store->stats().refused_remote_timestamps, 1);
}

// A collection the schema does not name is a newer schema's: its records are
// kept as they came, and the store still checks as consistent.
TEST_P(RemoteApplyTest, KeepsRecordsOfACollectionTheSchemaDoesNotName) {
  auto store = OpenStore();
  RemoteBatch batch = ThreeRecords();
  const Record parcel = TownshipRecord("地块", 7, kStartMicros);
  batch.items.push_back({"parcels", "P-1", parcel});
  ASSERT_TRUE(store->ApplyRemote(batch).ok());
  absl::StatusOr<Record> stored = store->Get("parcels", "P-1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, parcel);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
  // Written here only once the schema names it.
  EXPECT_EQ(store->Write("parcels", "P-2", SetTitle("本地")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(RemoteApplyTest, RefusesDotsOfThisNodeBeyondItsCounter) {
  auto store = OpenStore();
  ASSERT_TRUE(store->Write(kTickets, "T-1", SetTitle("a")).ok());
  const auto* tickets = *schema_.Collection(kTickets);
  RemoteBatch batch;
  batch.items.push_back(
      {kTickets, "T-2", *Record().Write(*tickets, SetTitle("b"), {store->origin(), 5}, {1, 0})});
  absl::Status status = store->ApplyRemote(batch).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), HasSubstr("restored from a copy"));

  RemoteBatch knowledge_only;
  knowledge_only.knowledge.Set(store->origin(), 2);
  EXPECT_EQ(store->ApplyRemote(knowledge_only).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->progress().counter, 1u);
}

TEST_P(RemoteApplyTest, ReceivedBytesOfNewRecordsAreStoredAsTheyCame) {
  auto store = OpenStore();
  RemoteBatch batch;
  std::vector<std::string> sent;
  for (uint64_t i = 1; i <= 3; ++i) {
    const Record record = TownshipRecord(absl::StrCat("镇上 ", i), i, kStartMicros - 10);
    batch.items.push_back(Received(absl::StrCat("R-", i), record));
    sent.push_back(codec::SerializeRecord(record));
  }
  batch.knowledge.Set(township_, 3);
  ASSERT_TRUE(store->ApplyRemote(batch).ok());
  EXPECT_EQ(StoredBytes(*store), sent);
  auto record = store->Get(kTickets, "R-2");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(TitleOf(*record), "镇上 2");
  EXPECT_TRUE(store->ListConflicts(0, 0)->empty());
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
  ExpectReapplyChangesNothing(*store, batch);
}

TEST_P(RemoteApplyTest, ReceivedBytesMergeAndLogConflictsAsRecordsDo) {
  // The same batches as records and as received bytes end in equal stores.
  const Origin county{"gutian", 1};
  auto concurrent = [&] {
    Record record = TownshipRecord("镇上写的", 1, kStartMicros + 10);
    record.Join(WrittenAt(county, "另一个", 2, kStartMicros + 20).Delete({county, 3}, {1, 0}));
    return record;
  };
  const Record stored_over = WrittenAt(county, "县里写的", 1, kStartMicros + 10);
  std::vector<std::vector<ConflictLogEntry>> logs;
  std::vector<std::vector<std::string>> bytes;
  for (bool as_bytes : {false, true}) {
    UseMemoryEnv();
    auto store = OpenStore();
    RemoteBatch first;
    first.items.push_back({kTickets, "T-1", TownshipRecord("先到的", 4, kStartMicros)});
    ASSERT_TRUE(store->ApplyRemote(first).ok());
    RemoteBatch batch;
    batch.items.push_back(as_bytes ? Received("T-1", stored_over)
                                   : RemoteBatch::Item{kTickets, "T-1", stored_over});
    // A new record that merges into nothing with conflicts (two titles,
    // written concurrently with a delete), and one named twice.
    batch.items.push_back(as_bytes ? Received("N-1", concurrent())
                                   : RemoteBatch::Item{kTickets, "N-1", concurrent()});
    for (const Origin& origin : {township_, county}) {
      const Record twice = WrittenAt(origin, origin.ToString(), 6, kStartMicros);
      batch.items.push_back(as_bytes ? Received("D-1", twice)
                                     : RemoteBatch::Item{kTickets, "D-1", twice});
    }
    ASSERT_TRUE(store->ApplyRemote(batch).ok());
    EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
    logs.push_back(*store->ListConflicts(0, 0));
    bytes.push_back(StoredBytes(*store));
  }
  EXPECT_GE(logs[0].size(), 3u);
  EXPECT_EQ(logs[0], logs[1]);
  EXPECT_EQ(bytes[0], bytes[1]);
}

TEST_P(RemoteApplyTest, ReceivedBytesReadAgainstAnotherSchemaAreReadAgain) {
  auto store = OpenStore();
  // Equal to the store's schema, but another object: read again, and fine.
  const conflict::Schema same = TestSchema();
  RemoteBatch batch;
  batch.items.push_back(Received("R-1", TownshipRecord("一", 1, kStartMicros), &same));
  ASSERT_TRUE(store->ApplyRemote(batch).ok());
  // A schema with a field the store's lacks: kept as it came (a newer
  // schema's field, relayed untouched).
  conflict::Schema wider;
  conflict::CollectionSchema tickets = *schema_.Collection(kTickets).value();
  ASSERT_TRUE(tickets.AddField("photo", conflict::FieldSpec::Lww()).ok());
  ASSERT_TRUE(wider.AddCollection(std::move(tickets)).ok());
  const conflict::Change change{{{"photo", conflict::Assign{std::string("p.jpg")}}}, kNode};
  auto with_photo = Record().Write(**wider.Collection(kTickets), change, {township_, 2}, {1, 0});
  ASSERT_TRUE(with_photo.ok()) << with_photo.status();
  RemoteBatch newer;
  newer.items.push_back(Received("R-2", *with_photo, &wider));
  ASSERT_TRUE(store->ApplyRemote(newer).ok());
  absl::StatusOr<Record> stored = store->Get(kTickets, "R-2");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, *with_photo);
  EXPECT_NE(stored->field("photo"), nullptr);
}

TEST_P(RemoteApplyTest, KnowledgeOnlyBatchAdvancesKnowledge) {
  auto store = OpenStore();
  RemoteBatch batch;
  batch.knowledge.Set(township_, 40);
  ASSERT_TRUE(store->ApplyRemote(batch).ok());
  auto reopened_knowledge = store->Knowledge();
  EXPECT_EQ(reopened_knowledge.Get(township_), 40u);
  store.reset();
  EXPECT_EQ(OpenStore()->Knowledge().Get(township_), 40u);
}

}  // namespace
}  // namespace sanji::store::testing
