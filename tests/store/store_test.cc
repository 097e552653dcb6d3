// Local writes, reads, deletes, bad input and reopening (ARCHITECTURE.md §2,
// §5: every change gets a dense dot, the HLC is persisted and monotonic across
// restarts, a refused write leaves the store unchanged).
#include "store/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "conflict/value_register.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

using conflict::Assign;
using conflict::Change;
using conflict::FieldOp;
using conflict::Increment;
using conflict::SetStatus;
using ::testing::HasSubstr;

class LocalStoreTest : public StoreConformanceTest {};
SANJI_STORE_CONFORMANCE(LocalStoreTest);

std::vector<uint64_t> IndexedCounters(const Store& store) {
  std::vector<uint64_t> counters;
  auto it = store.ChangesSince(store.origin(), 0);
  for (; it->Valid(); it->Next()) counters.push_back(it->counter());
  EXPECT_TRUE(it->status().ok()) << it->status();
  return counters;
}

TEST_P(LocalStoreTest, WriteThenGet) {
  auto store = OpenStore();
  auto result = store->Write(kTickets, "T-1", SetTitle("水管漏水"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->dot.origin, store->origin());
  EXPECT_EQ(result->dot.counter, 1u);
  EXPECT_TRUE(result->conflicts.empty());
  auto record = store->Get(kTickets, "T-1");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(*record, result->record);
  EXPECT_EQ(TitleOf(*record), "水管漏水");
  EXPECT_EQ(record->scope(), kNode);
  EXPECT_EQ(store->Knowledge().Get(store->origin()), 1u);
  EXPECT_EQ(store->progress().counter, 1u);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_P(LocalStoreTest, OverwriteMovesTheIndexEntry) {
  auto store = OpenStore();
  ASSERT_TRUE(store->Write(kTickets, "T-1", SetTitle("a")).ok());
  ASSERT_TRUE(store->Write(kTickets, "T-2", SetTitle("b")).ok());
  auto second = store->Write(kTickets, "T-1", SetTitle("c", std::nullopt));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->dot.counter, 3u);
  EXPECT_EQ(IndexedCounters(*store), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(TitleOf(*store->Get(kTickets, "T-1")), "c");
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_P(LocalStoreTest, EveryFieldKindWrites) {
  auto store = OpenStore();
  Change change = SetTitle("路灯不亮");
  change.ops.push_back(FieldOp{"note", Assign{std::string("村口")}});
  change.ops.push_back(FieldOp{"amount_fen", Assign{int64_t{1200}}});
  change.ops.push_back(FieldOp{"visits", Increment{2}});
  change.ops.push_back(FieldOp{"tags", conflict::AddElements{{std::string("电力")}}});
  change.ops.push_back(FieldOp{"status", SetStatus{"assigned"}});
  ASSERT_TRUE(store->Write(kTickets, "T-1", change).ok());
  auto record = store->Get(kTickets, "T-1");
  ASSERT_TRUE(record.ok());
  for (const char* field : {"title", "note", "amount_fen", "visits", "tags", "status"}) {
    EXPECT_NE(record->field(field), nullptr) << field;
  }
}

TEST_P(LocalStoreTest, DeleteLeavesATombstone) {
  auto store = OpenStore();
  ASSERT_TRUE(store->Write(kTickets, "T-1", SetTitle("a")).ok());
  auto deleted = store->Delete(kTickets, "T-1", "");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->dot.counter, 2u);
  auto record = store->Get(kTickets, "T-1");
  ASSERT_TRUE(record.ok());
  EXPECT_FALSE(record->alive());
  EXPECT_TRUE(store->List(kTickets, "", "", 0)->entries.empty());
  EXPECT_EQ(IndexedCounters(*store), (std::vector<uint64_t>{2}));  // the tombstone syncs

  EXPECT_EQ(store->Delete(kTickets, "T-1", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Delete(kTickets, "T-9", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->progress().counter, 2u);  // refused deletes take no dot
  // A later write revives it.
  auto revived = store->Write(kTickets, "T-1", SetTitle("again", std::nullopt));
  ASSERT_TRUE(revived.ok()) << revived.status();
  EXPECT_TRUE(store->Get(kTickets, "T-1")->alive());
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_P(LocalStoreTest, GetOfUnknownRecordOrCollection) {
  auto store = OpenStore();
  EXPECT_EQ(store->Get(kTickets, "nope").status().code(), absl::StatusCode::kNotFound);
  auto unknown = store->Get("parcels", "x");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("parcels"));
}

// Each refused write: the code, a message naming the culprit, and not one
// byte of the store changed, nor its counter.
TEST_P(LocalStoreTest, BadInputLeavesTheStoreUnchanged) {
  auto store = OpenStore();
  ASSERT_TRUE(store->Write(kTickets, "T-1", SetTitle("a")).ok());
  Change resolved = SetTitle("b");
  resolved.ops.push_back(FieldOp{"status", SetStatus{"resolved"}});
  ASSERT_TRUE(store->Write(kTickets, "T-2", resolved).ok());
  const auto before = StoreFiles();
  const Progress progress = store->progress();

  struct Case {
    std::string name, collection, key;
    Change change;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"unknown collection", "parcels", "P-1", SetTitle("x"), absl::StatusCode::kNotFound,
       "parcels"},
      {"unknown field", kTickets, "T-3", Change{{{"colour", Assign{std::string("red")}}}, kNode},
       absl::StatusCode::kInvalidArgument, "colour"},
      {"wrong kind", kTickets, "T-1", Change{{{"title", Increment{1}}}, std::nullopt},
       absl::StatusCode::kInvalidArgument, "title"},
      {"wrong type", kTickets, "T-1", Change{{{"amount_fen", Assign{std::string("12")}}}, kNode},
       absl::StatusCode::kInvalidArgument, "amount_fen"},
      {"oversized value", kTickets, "T-1", SetTitle(std::string(conflict::kMaxValueBytes + 1, 'x')),
       absl::StatusCode::kInvalidArgument, "title"},
      {"empty key", kTickets, "", SetTitle("x"), absl::StatusCode::kInvalidArgument, "key"},
      {"oversized key", kTickets, std::string(kMaxKeyBytes + 1, 'k'), SetTitle("x"),
       absl::StatusCode::kInvalidArgument, "key"},
      {"new record without scope", kTickets, "T-3", SetTitle("x", std::nullopt),
       absl::StatusCode::kInvalidArgument, "scope"},
      {"status moving back", kTickets, "T-2", Change{{{"status", SetStatus{"open"}}}, kNode},
       absl::StatusCode::kFailedPrecondition, "resolved"},
  };
  for (const Case& c : cases) {
    auto result = store->Write(c.collection, c.key, c.change);
    EXPECT_EQ(result.status().code(), c.code) << c.name << ": " << result.status();
    EXPECT_THAT(result.status().message(), HasSubstr(c.message)) << c.name;
  }
  EXPECT_EQ(StoreFiles(), before);
  EXPECT_EQ(store->progress().counter, progress.counter);
  EXPECT_EQ(store->progress().hlc_last, progress.hlc_last);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_P(LocalStoreTest, ListPaginatesInKeyOrderWithinThePrefix) {
  auto store = OpenStore();
  const std::string nul_key("a\0b", 3);
  for (const std::string key : {"ab", "a", "b1", "a3", "a4"}) {
    ASSERT_TRUE(store->Write(kTickets, key, SetTitle(key)).ok());
  }
  ASSERT_TRUE(store->Write(kTickets, nul_key, SetTitle("nul")).ok());
  ASSERT_TRUE(store->Delete(kTickets, "a3", "").ok());

  std::vector<std::string> keys;
  std::string token;
  int pages = 0;
  do {
    auto page = store->List(kTickets, "a", token, 2);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->entries.size(), 2u);
    for (const ListEntry& entry : page->entries) keys.push_back(entry.key);
    token = page->next_page_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(keys, (std::vector<std::string>{"a", nul_key, "a4", "ab"}));
  EXPECT_EQ(store->List(kTickets, "", "", 0)->entries.size(), 5u);
  // A collection the schema lacks holds only what peers sent: none here.
  auto unknown = store->List("parcels", "", "", 0);
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_TRUE(unknown->entries.empty());
  EXPECT_EQ(store->List("", "", "", 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(LocalStoreTest, CountRecordsCountsStoredKeysUpToTheLimit) {
  auto store = OpenStore();
  EXPECT_EQ(*store->CountRecords(kTickets, 100), 0u);
  for (const std::string key : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(store->Write(kTickets, key, SetTitle(key)).ok());
  }
  ASSERT_TRUE(store->Delete(kTickets, "b", "").ok());
  // Deleted records are stored (tombstones) and counted: only keys are read.
  EXPECT_EQ(*store->CountRecords(kTickets, 100), 4u);
  EXPECT_EQ(*store->CountRecords(kTickets, 3), 3u);
  EXPECT_EQ(store->CountRecords("parcels", 100).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(LocalStoreTest, ReopenKeepsEverythingAndTheHlcNeverGoesBack) {
  conflict::HlcTimestamp last;
  conflict::Origin origin;
  {
    auto store = OpenStore();
    origin = store->origin();
    for (int i = 0; i < 3; ++i) {
      auto result = store->Write(kTickets, absl::StrCat("T-", i), SetTitle("x"));
      ASSERT_TRUE(result.ok());
      last = result->timestamp;
    }
  }
  clock_.Set(kStartMicros - 86'400'000'000LL);  // the box boots a day in the past
  auto store = OpenStore();
  EXPECT_EQ(store->origin(), origin);
  EXPECT_EQ(store->progress().counter, 3u);
  EXPECT_EQ(store->Knowledge().Get(origin), 3u);
  EXPECT_EQ(TitleOf(*store->Get(kTickets, "T-2")), "x");
  auto next = store->Write(kTickets, "T-9", SetTitle("y"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->dot.counter, 4u);
  EXPECT_GT(next->timestamp, last);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

}  // namespace
}  // namespace sanji::store::testing
