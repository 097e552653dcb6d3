#include "conflict/record.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "conflict/change.h"
#include "conflict/schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/conflict/test_util.h"

namespace sanji::conflict {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using testutil::AddOp;
using testutil::AssignOp;
using testutil::BuildCountySchema;
using testutil::CounterRead;
using testutil::HasError;
using testutil::IncrementOp;
using testutil::Int;
using testutil::Joined;
using testutil::kDemoMicros;
using testutil::kFengpu;
using testutil::kSecond;
using testutil::kShangban;
using testutil::kXiaban;
using testutil::LwwRead;
using testutil::MakeChange;
using testutil::MvRead;
using testutil::RegisterOf;
using testutil::RemoveOp;
using testutil::Replica;
using testutil::SetRead;
using testutil::StatusOp;
using testutil::StatusRead;
using testutil::Text;

class RecordTest : public testutil::CountySchemaTest {
 protected:
  // A street-light request created by `village` in its own scope.
  void CreateRequest(Replica& village) {
    ASSERT_TRUE(village
                    .Write(*requests_, MakeChange({AssignOp("title", Text("路灯坏了")),
                                                   AssignOp("requester", Text("张三")),
                                                   AssignOp("category", Text("基础设施")),
                                                   StatusOp("status", "open"),
                                                   AddOp("comments", {Text("村委已登记")})},
                                                  kXiaban))
                    .ok());
  }
};

TEST_F(RecordTest, WritesEveryKindWithChineseValues) {
  Replica village(kXiaban);
  CreateRequest(village);
  const Record& request = village.record();
  EXPECT_TRUE(request.alive());
  EXPECT_EQ(request.scope(), std::string(kXiaban));
  EXPECT_EQ(LwwRead(request, "title"), Text("路灯坏了"));
  EXPECT_EQ(LwwRead(request, "requester"), Text("张三"));
  EXPECT_EQ(StatusRead(request, "status"), 0u);
  EXPECT_THAT(SetRead(request, "comments"), ElementsAre(Text("村委已登记")));
  EXPECT_EQ(request.field("assignee"), nullptr);
  EXPECT_EQ(request.context().Get(village.origin()), 1u);

  Replica household_desk(kXiaban);
  ASSERT_TRUE(
      household_desk
          .Write(*households_,
                 MakeChange({AssignOp("name", Text("李四")), AssignOp("members", Int(4)),
                             AssignOp("annual_income", Int(3'200'000)),
                             AddOp("support_measures", {Text("产业扶持"), Text("教育补助")})},
                            kXiaban))
          .ok());
  EXPECT_EQ(LwwRead(household_desk.record(), "members"), Int(4));
  EXPECT_THAT(MvRead(household_desk.record(), "annual_income"), ElementsAre(Int(3'200'000)));
  EXPECT_THAT(SetRead(household_desk.record(), "support_measures"),
              UnorderedElementsAre(Text("产业扶持"), Text("教育补助")));

  Replica till(kXiaban);
  ASSERT_TRUE(
      till.Write(*sales_, MakeChange({AssignOp("day", Text("2026-11-28")),
                                      AssignOp("category", Text("农资")), IncrementOp("units", 3),
                                      IncrementOp("revenue_fen", 4500)},
                                     kXiaban))
          .ok());
  ASSERT_TRUE(
      till.Write(*sales_, MakeChange({IncrementOp("units", 2), IncrementOp("revenue_fen", -500)}))
          .ok());
  EXPECT_EQ(CounterRead(till.record(), "units"), 5);
  EXPECT_EQ(CounterRead(till.record(), "revenue_fen"), 4000);
  EXPECT_EQ(LwwRead(till.record(), "category"), Text("农资"));
}

TEST_F(RecordTest, LaterLocalWritesReplaceEarlierOnes) {
  Replica village(kXiaban);
  CreateRequest(village);
  ASSERT_TRUE(village
                  .Write(*requests_, MakeChange({AssignOp("title", Text("路灯坏了，电线裸露")),
                                                 RemoveOp("comments", {Text("村委已登记")})}))
                  .ok());
  EXPECT_EQ(LwwRead(village.record(), "title"), Text("路灯坏了，电线裸露"));
  const ValueRegister* title = RegisterOf(village.record(), "title");
  ASSERT_NE(title, nullptr);
  EXPECT_EQ(title->entries().size(), 1u);
  // A field whose last element is removed holds nothing, and is not kept empty.
  EXPECT_EQ(village.record().field("comments"), nullptr);
}

// ARCHITECTURE.md §2: a record has a scope path; a new record must say it.
TEST_F(RecordTest, NewRecordWithoutScopeIsRefused) {
  Replica village(kXiaban);
  const absl::Status status =
      village.Write(*requests_, MakeChange({AssignOp("title", Text("路灯坏了"))}));
  EXPECT_TRUE(HasError(status, absl::StatusCode::kInvalidArgument, {"service_requests", "scope"}));
  EXPECT_EQ(village.record(), Record());
}

TEST_F(RecordTest, WriteChecksTheChangeAgainstTheSchema) {
  Replica village(kXiaban);
  CreateRequest(village);
  const Record before = village.record();
  EXPECT_TRUE(HasError(village.Write(*requests_, MakeChange({IncrementOp("title", 1)})),
                       absl::StatusCode::kInvalidArgument, {"title", "increment"}));
  EXPECT_EQ(village.record(), before);
}

// ARCHITECTURE.md §2: status merge keeps the furthest; a ticket never moves backwards.
TEST_F(RecordTest, StatusCannotMoveBack) {
  Replica township(kFengpu);
  CreateRequest(township);
  ASSERT_TRUE(township.Write(*requests_, MakeChange({StatusOp("status", "resolved")})).ok());
  const Record resolved = township.record();

  const absl::Status back =
      township.Write(*requests_, MakeChange({StatusOp("status", "assigned")}));
  EXPECT_TRUE(HasError(back, absl::StatusCode::kFailedPrecondition,
                       {"status", "service_requests", "\"resolved\"", "\"assigned\""}));
  EXPECT_EQ(township.record(), resolved);

  // Equal is fine, and so is forward.
  EXPECT_TRUE(township.Write(*requests_, MakeChange({StatusOp("status", "resolved")})).ok());
  EXPECT_EQ(StatusRead(township.record(), "status"), 2u);
  EXPECT_TRUE(township.Write(*requests_, MakeChange({StatusOp("status", "closed")})).ok());
  EXPECT_EQ(StatusRead(township.record(), "status"), 3u);
}

// Issue 22: a new record starts at the first status of each status field
// (schema.h), as the schema's order says, without the writer naming it.
TEST_F(RecordTest, ANewRecordStartsAtTheFirstStatus) {
  Replica village(kXiaban);
  ASSERT_TRUE(
      village.Write(*requests_, MakeChange({AssignOp("title", Text("路灯坏了"))}, kXiaban)).ok());
  EXPECT_EQ(StatusRead(village.record(), "status"), 0u);
  // A later write that names no status leaves the status where it is.
  ASSERT_TRUE(village.Write(*requests_, MakeChange({StatusOp("status", "assigned")})).ok());
  ASSERT_TRUE(village.Write(*requests_, MakeChange({AssignOp("detail", Text("村口"))})).ok());
  EXPECT_EQ(StatusRead(village.record(), "status"), 1u);
}

// Issue 22: the total of a counter is the sum over origins; an increment
// that would carry it past int64 is refused rather than read saturated.
TEST_F(RecordTest, AnIncrementThatWouldOverflowTheTotalIsRefused) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  Replica till(kXiaban);
  ASSERT_TRUE(
      till.Write(*sales_, MakeChange({IncrementOp("revenue_fen", kMax - 10)}, kXiaban)).ok());
  Replica township(kFengpu);
  township.Receive(till);
  const Record before = township.record();
  EXPECT_TRUE(HasError(township.Write(*sales_, MakeChange({IncrementOp("revenue_fen", 11)})),
                       absl::StatusCode::kOutOfRange, {"revenue_fen", "nothing was written"}));
  EXPECT_EQ(township.record(), before);
  ASSERT_TRUE(township.Write(*sales_, MakeChange({IncrementOp("revenue_fen", 10)})).ok());
  EXPECT_EQ(CounterRead(township.record(), "revenue_fen"), kMax);
  ASSERT_TRUE(township.Write(*sales_, MakeChange({IncrementOp("revenue_fen", -kMax)})).ok());
  EXPECT_EQ(CounterRead(township.record(), "revenue_fen"), 0);
}

// ARCHITECTURE.md §2: status keeps the furthest, so a replica that syncs late cannot pull it back.
TEST_F(RecordTest, StatusMergeKeepsTheFurthest) {
  Replica village(kXiaban);
  CreateRequest(village);
  Replica township(kFengpu);
  township.Receive(village);
  Replica county(testutil::kCounty);
  county.Receive(village);

  ASSERT_TRUE(village.Write(*requests_, MakeChange({StatusOp("status", "assigned")})).ok());
  ASSERT_TRUE(township.Write(*requests_, MakeChange({StatusOp("status", "resolved")})).ok());
  const Record merged = Joined(village.record(), township.record());
  EXPECT_EQ(merged, Joined(township.record(), village.record()));
  EXPECT_EQ(StatusRead(merged, "status"), 2u);

  // The county still holds "open" and syncs late, both ways round.
  EXPECT_EQ(StatusRead(Joined(merged, county.record()), "status"), 2u);
  EXPECT_EQ(StatusRead(Joined(county.record(), merged), "status"), 2u);

  // A writer that saw both concurrent statuses may not go behind the furthest.
  village.Receive(township);
  EXPECT_EQ(village.Write(*requests_, MakeChange({StatusOp("status", "assigned")})).code(),
            absl::StatusCode::kFailedPrecondition);
}

// record.h: Write() and Delete() return a successor state >= this (joining this into it is a
// no-op), so a local write and a remote one land through the same Join.
TEST_F(RecordTest, SuccessorStateDominatesTheOriginal) {
  Replica village(kXiaban);
  const std::vector<Change> changes = {
      MakeChange({AssignOp("title", Text("路灯坏了")), StatusOp("status", "open"),
                  AddOp("comments", {Text("村委已登记"), Text("电工明天到")})},
                 kXiaban),
      MakeChange(
          {AssignOp("title", Text("路灯坏了，电线裸露")), AssignOp("requester", Text("张三"))}),
      MakeChange({RemoveOp("comments", {Text("村委已登记")}), StatusOp("status", "assigned")}),
      MakeChange({AssignOp("assignee", Text("王五"))}, kShangban),
      MakeChange({AddOp("comments", {Text("已修好")}), StatusOp("status", "resolved")}),
  };
  for (const Change& change : changes) {
    const Record original = village.record();
    ASSERT_TRUE(village.Write(*requests_, change).ok());
    const Record& next = village.record();
    EXPECT_EQ(Joined(next, original), next);
    EXPECT_EQ(Joined(original, next), next);
    EXPECT_TRUE(next.context().Dominates(original.context()));
  }

  const Record before_delete = village.record();
  village.Delete();
  const Record& deleted = village.record();
  EXPECT_EQ(Joined(deleted, before_delete), deleted);
  EXPECT_EQ(Joined(before_delete, deleted), deleted);

  ASSERT_TRUE(village.Write(*requests_, MakeChange({AssignOp("title", Text("新的报修"))})).ok());
  EXPECT_EQ(Joined(village.record(), deleted), village.record());
  EXPECT_EQ(Joined(deleted, village.record()), village.record());

  Replica till(kXiaban);
  ASSERT_TRUE(till.Write(*sales_, MakeChange({IncrementOp("units", 3)}, kXiaban)).ok());
  const Record one = till.record();
  ASSERT_TRUE(till.Write(*sales_, MakeChange({IncrementOp("units", -1)})).ok());
  EXPECT_EQ(Joined(till.record(), one), till.record());
  EXPECT_EQ(Joined(one, till.record()), till.record());
  EXPECT_EQ(CounterRead(Joined(one, till.record()), "units"), 2);
}

TEST_F(RecordTest, DeleteLeavesATombstoneThatKeepsTheScope) {
  Replica village(kXiaban);
  CreateRequest(village);
  village.Delete();
  const Record& deleted = village.record();
  EXPECT_FALSE(deleted.alive());
  EXPECT_TRUE(deleted.state().fields.empty());
  EXPECT_EQ(deleted.scope(), std::string(kXiaban));
  ASSERT_EQ(deleted.state().deletes.entries().size(), 1u);
  EXPECT_EQ(deleted.state().deletes.entries()[0].dot, village.last_dot());
  EXPECT_TRUE(deleted.context().Covers(village.last_dot()));
}

// ARCHITECTURE.md §2: record delete is a tombstone with its own causal history; the rule chosen
// (record.h) is write-wins, observed-remove: a write the delete did not see survives, with what
// it wrote, and what the delete saw is gone.
TEST_F(RecordTest, WriteConcurrentWithDeleteSurvives) {
  Replica village(kXiaban);
  CreateRequest(village);
  Replica township(kFengpu);
  township.Receive(village);

  township.Delete();
  ASSERT_TRUE(village
                  .Write(*requests_, MakeChange({AssignOp("title", Text("路灯坏了，电线裸露")),
                                                 AddOp("comments", {Text("很危险")})}))
                  .ok());
  const Dot write = village.last_dot();

  const Record at_township = Joined(township.record(), village.record());
  const Record at_village = Joined(village.record(), township.record());
  EXPECT_EQ(at_township, at_village);

  EXPECT_TRUE(at_township.alive());
  EXPECT_EQ(at_township.scope(), std::string(kXiaban));
  // Exactly the fields the write wrote, with only what it wrote.
  std::vector<std::string> fields;
  for (const auto& [key, state] : at_township.state().fields) fields.push_back(key.name);
  EXPECT_THAT(fields, ElementsAre("comments", "title"));
  EXPECT_EQ(LwwRead(at_township, "title"), Text("路灯坏了，电线裸露"));
  // The write's Add re-added only its own element; the comment the delete saw is gone.
  EXPECT_THAT(SetRead(at_township, "comments"), ElementsAre(Text("很危险")));
  // What the delete saw is gone.
  EXPECT_EQ(at_township.field("requester"), nullptr);
  EXPECT_EQ(at_township.field("category"), nullptr);
  EXPECT_EQ(at_township.field("status"), nullptr);
  // The write is the surviving presence, and the tombstone is kept beside it.
  ASSERT_EQ(at_township.state().presence.entries().size(), 1u);
  EXPECT_EQ(at_township.state().presence.entries()[0].dot, write);
  ASSERT_EQ(at_township.state().deletes.entries().size(), 1u);
  EXPECT_EQ(at_township.state().deletes.entries()[0].dot, township.last_dot());
}

TEST_F(RecordTest, WriteThatSawTheDeleteIsNotARevival) {
  Replica village(kXiaban);
  CreateRequest(village);
  Replica township(kFengpu);
  township.Receive(village);
  township.Delete();
  village.Receive(township);
  EXPECT_FALSE(village.record().alive());
  EXPECT_TRUE(village.record().state().fields.empty());

  ASSERT_TRUE(village.Write(*requests_, MakeChange({AssignOp("title", Text("新的报修"))})).ok());
  const Record& rewritten = village.record();
  EXPECT_TRUE(rewritten.alive());
  EXPECT_TRUE(rewritten.state().deletes.empty());  // the write saw and replaced the tombstone
  EXPECT_EQ(LwwRead(rewritten, "title"), Text("新的报修"));
  EXPECT_EQ(rewritten.field("requester"), nullptr);
  EXPECT_EQ(Joined(township.record(), rewritten), rewritten);
}

// causal_counter.h: a delete removes the counter entries it saw; a later increment starts at 0.
TEST_F(RecordTest, DeleteResetsTheCounter) {
  Replica till(kXiaban);
  ASSERT_TRUE(till.Write(*sales_, MakeChange({IncrementOp("units", 5)}, kXiaban)).ok());
  Replica township(kFengpu);
  township.Receive(till);
  township.Delete();
  till.Receive(township);
  EXPECT_EQ(CounterRead(till.record(), "units"), 0);
  EXPECT_EQ(till.record().field("units"), nullptr);

  ASSERT_TRUE(till.Write(*sales_, MakeChange({IncrementOp("units", 2)})).ok());
  EXPECT_EQ(CounterRead(till.record(), "units"), 2);
  EXPECT_EQ(CounterRead(Joined(township.record(), till.record()), "units"), 2);
}

// causal_counter.h: an increment concurrent with the delete survives with its origin's whole
// total; the entries of other origins that the delete saw are gone.
TEST_F(RecordTest, IncrementConcurrentWithDeleteKeepsItsOriginsTotal) {
  Replica till(kXiaban);
  ASSERT_TRUE(till.Write(*sales_, MakeChange({IncrementOp("units", 5)}, kXiaban)).ok());
  Replica township(kFengpu);
  township.Receive(till);
  ASSERT_TRUE(township.Write(*sales_, MakeChange({IncrementOp("units", 2)})).ok());
  till.Receive(township);
  Replica county(testutil::kCounty);
  county.Receive(township);
  EXPECT_EQ(CounterRead(county.record(), "units"), 7);

  county.Delete();  // saw till's 5 and the township's 2
  ASSERT_TRUE(till.Write(*sales_, MakeChange({IncrementOp("units", 3)})).ok());  // till: 8

  const Record merged = Joined(county.record(), till.record());
  EXPECT_EQ(merged, Joined(till.record(), county.record()));
  EXPECT_TRUE(merged.alive());
  EXPECT_EQ(CounterRead(merged, "units"), 8);
}

// ARCHITECTURE.md §2: counter is a PN-counter, one entry per writing node.
TEST_F(RecordTest, ConcurrentIncrementsAddUp) {
  Replica till(kXiaban);
  ASSERT_TRUE(till.Write(*sales_, MakeChange({IncrementOp("revenue_fen", 1000)}, kXiaban)).ok());
  Replica township(kFengpu);
  township.Receive(till);
  ASSERT_TRUE(till.Write(*sales_, MakeChange({IncrementOp("revenue_fen", 500)})).ok());
  ASSERT_TRUE(township.Write(*sales_, MakeChange({IncrementOp("revenue_fen", -300)})).ok());

  const Record merged = Joined(till.record(), township.record());
  EXPECT_EQ(merged, Joined(township.record(), till.record()));
  EXPECT_EQ(CounterRead(merged, "revenue_fen"), 1200);
  EXPECT_EQ(Joined(merged, merged), merged);
  EXPECT_EQ(CounterRead(Joined(merged, till.record()), "revenue_fen"), 1200);
}

// ARCHITECTURE.md §2: set is an add-wins observed-remove set.
TEST_F(RecordTest, SetAddWinsOverConcurrentRemove) {
  Replica village(kXiaban);
  CreateRequest(village);
  Replica township(kFengpu);
  township.Receive(village);

  ASSERT_TRUE(
      township.Write(*requests_, MakeChange({RemoveOp("comments", {Text("村委已登记")})})).ok());
  EXPECT_THAT(SetRead(township.record(), "comments"), IsEmpty());
  ASSERT_TRUE(
      village.Write(*requests_, MakeChange({AddOp("comments", {Text("村委已登记")})})).ok());

  const Record merged = Joined(township.record(), village.record());
  EXPECT_EQ(merged, Joined(village.record(), township.record()));
  EXPECT_THAT(SetRead(merged, "comments"), ElementsAre(Text("村委已登记")));
}

TEST_F(RecordTest, SetRemoveDropsOnlyTheAddsItSaw) {
  Replica village(kXiaban);
  CreateRequest(village);
  ASSERT_TRUE(
      village.Write(*requests_, MakeChange({AddOp("comments", {Text("电工明天到")})})).ok());
  Replica township(kFengpu);
  township.Receive(village);

  ASSERT_TRUE(
      township.Write(*requests_, MakeChange({RemoveOp("comments", {Text("村委已登记")})})).ok());
  ASSERT_TRUE(village.Write(*requests_, MakeChange({AddOp("comments", {Text("已修好")})})).ok());

  const Record merged = Joined(village.record(), township.record());
  EXPECT_EQ(merged, Joined(township.record(), village.record()));
  EXPECT_THAT(SetRead(merged, "comments"),
              UnorderedElementsAre(Text("电工明天到"), Text("已修好")));
}

// ARCHITECTURE.md §2: mv keeps concurrent values until someone resolves them.
TEST_F(RecordTest, MvKeepsConcurrentSiblingsUntilAnAssignmentSawBoth) {
  Replica village(kXiaban);
  ASSERT_TRUE(village
                  .Write(*households_, MakeChange({AssignOp("name", Text("李四")),
                                                   AssignOp("annual_income", Int(3'000'000))},
                                                  kXiaban))
                  .ok());
  Replica township(kFengpu);
  township.Receive(village);

  ASSERT_TRUE(
      village.Write(*households_, MakeChange({AssignOp("annual_income", Int(3'200'000))})).ok());
  ASSERT_TRUE(
      township.Write(*households_, MakeChange({AssignOp("annual_income", Int(3'100'000))})).ok());
  village.Receive(township);
  township.Receive(village);
  EXPECT_EQ(village.record(), township.record());
  EXPECT_THAT(MvRead(village.record(), "annual_income"),
              UnorderedElementsAre(Int(3'200'000), Int(3'100'000)));

  // A person resolves it: the assignment saw both.
  ASSERT_TRUE(
      village.Write(*households_, MakeChange({AssignOp("annual_income", Int(3'150'000))})).ok());
  EXPECT_THAT(MvRead(village.record(), "annual_income"), ElementsAre(Int(3'150'000)));
  township.Receive(village);
  EXPECT_THAT(MvRead(township.record(), "annual_income"), ElementsAre(Int(3'150'000)));
}

// ARCHITECTURE.md §2: lww is ordered by HLC, ties broken by node id.
TEST_F(RecordTest, LwwWinnerIsTheGreaterTimestamp) {
  Replica village(kXiaban);
  CreateRequest(village);
  Replica township(kFengpu);
  township.Receive(village);

  township.clock().Advance(5 * kSecond);
  village.clock().Advance(1 * kSecond);
  ASSERT_TRUE(township.Write(*requests_, MakeChange({AssignOp("title", Text("路灯已修好"))})).ok());
  ASSERT_TRUE(village.Write(*requests_, MakeChange({AssignOp("title", Text("路灯又坏了"))})).ok());
  ASSERT_GT(township.last_timestamp(), village.last_timestamp());
  // The village's dot is the greater one, so only the timestamp can make the township win.
  ASSERT_GT(village.last_dot(), township.last_dot());

  for (const Record& merged :
       {Joined(village.record(), township.record()), Joined(township.record(), village.record())}) {
    EXPECT_EQ(LwwRead(merged, "title"), Text("路灯已修好"));
    const ValueRegister* title = RegisterOf(merged, "title");
    ASSERT_NE(title, nullptr);
    EXPECT_EQ(title->Winner().dot, township.last_dot());
    // The displaced value stays in the state, for the conflict log.
    ASSERT_EQ(title->Losers().size(), 1u);
    EXPECT_EQ(title->Losers()[0].payload.value, Text("路灯又坏了"));
  }
}

TEST_F(RecordTest, LwwTieIsBrokenByOrigin) {
  Replica county(testutil::kCounty);
  ASSERT_TRUE(
      county.Write(*requests_, MakeChange({AssignOp("title", Text("路灯坏了"))}, kXiaban)).ok());
  // Two villages with the same clock write at the same HLC timestamp.
  Replica xiaban(kXiaban, kDemoMicros + kSecond);
  Replica shangban(kShangban, kDemoMicros + kSecond);
  xiaban.Receive(county);
  shangban.Receive(county);
  ASSERT_TRUE(xiaban.Write(*requests_, MakeChange({AssignOp("title", Text("下坂的说法"))})).ok());
  ASSERT_TRUE(shangban.Write(*requests_, MakeChange({AssignOp("title", Text("上坂的说法"))})).ok());
  ASSERT_EQ(xiaban.last_timestamp(), shangban.last_timestamp());
  ASSERT_GT(xiaban.origin(), shangban.origin());  // "…/xiaban" > "…/shangban"

  EXPECT_EQ(LwwRead(Joined(xiaban.record(), shangban.record()), "title"), Text("下坂的说法"));
  EXPECT_EQ(LwwRead(Joined(shangban.record(), xiaban.record()), "title"), Text("下坂的说法"));
}

// ARCHITECTURE.md §4 (a record whose scope changes) with §2's merge: a reassignment concurrent
// with a field write keeps both.
TEST_F(RecordTest, ScopeChangeConcurrentWithFieldWrite) {
  Replica village(kXiaban);
  CreateRequest(village);
  Replica township(kFengpu);
  township.Receive(village);

  ASSERT_TRUE(
      township.Write(*requests_, MakeChange({AssignOp("assignee", Text("王五"))}, kShangban)).ok());
  ASSERT_TRUE(village.Write(*requests_, MakeChange({AssignOp("detail", Text("灯杆倾斜"))})).ok());

  const Record merged = Joined(village.record(), township.record());
  EXPECT_EQ(merged, Joined(township.record(), village.record()));
  EXPECT_TRUE(merged.alive());
  EXPECT_EQ(merged.scope(), std::string(kShangban));
  EXPECT_EQ(merged.state().scope.entries().size(), 1u);  // the move saw the old scope
  EXPECT_EQ(LwwRead(merged, "detail"), Text("灯杆倾斜"));
  EXPECT_EQ(LwwRead(merged, "assignee"), Text("王五"));
  EXPECT_EQ(LwwRead(merged, "title"), Text("路灯坏了"));
}

// A move-out must be told to the nodes that may still hold the record under an
// old scope (replication/DESIGN.md, "Move-outs"): the record remembers them.
TEST_F(RecordTest, ReassignmentRemembersTheScopeItLeft) {
  Replica village(kXiaban);
  CreateRequest(village);
  EXPECT_THAT(village.record().DepartedScopes(), IsEmpty());
  Replica township(kFengpu);
  township.Receive(village);

  ASSERT_TRUE(township.Write(*requests_, MakeChange({}, kShangban)).ok());
  EXPECT_THAT(township.record().DepartedScopes(), ElementsAre(std::string(kXiaban)));
  // A write that keeps the scope adds nothing; moving back keeps both.
  ASSERT_TRUE(township.Write(*requests_, MakeChange({}, kShangban)).ok());
  ASSERT_TRUE(township.Write(*requests_, MakeChange({}, kXiaban)).ok());
  EXPECT_THAT(township.record().DepartedScopes(), ElementsAre(std::string(kShangban)));
  EXPECT_THAT(township.record().state().former_scopes,
              UnorderedElementsAre(std::string(kXiaban), std::string(kShangban)));
  // Former scopes travel with the state.
  village.Receive(township);
  EXPECT_EQ(village.record().state().former_scopes, township.record().state().former_scopes);
}

// Two concurrent reassignments: the loser's scope may hold the record already.
TEST_F(RecordTest, ConcurrentReassignmentsDepartTheLosingScope) {
  Replica village(kXiaban);
  CreateRequest(village);
  Replica township(kFengpu);
  Replica county("gutian");
  township.Receive(village);
  county.Receive(village);
  ASSERT_TRUE(township.Write(*requests_, MakeChange({}, kShangban)).ok());
  county.clock().Advance(kSecond);
  ASSERT_TRUE(county.Write(*requests_, MakeChange({}, "gutian/fengpu/zhongban")).ok());

  const Record merged = Joined(township.record(), county.record());
  EXPECT_EQ(merged.scope(), "gutian/fengpu/zhongban");
  EXPECT_THAT(merged.DepartedScopes(), ElementsAre(std::string(kShangban), std::string(kXiaban)));
}

// --- FromState and CheckAgainst: what a decoder or a peer may hand us. -------

const Origin kVillageOrigin{std::string(kXiaban), 1};
const HlcTimestamp kWhen{kDemoMicros, 0};

Dot VillageDot(uint64_t counter) { return Dot{kVillageOrigin, counter}; }

// A canonical service request written by one village write (dot 1).
RecordState RequestState() {
  RecordState state;
  state.context.Advance(VillageDot(1));
  state.scope.InsertDecoded(VillageDot(1), TimestampedValue{kWhen, Text(std::string(kXiaban))});
  state.presence.Insert(VillageDot(1), kWhen);
  ValueRegister title;
  title.InsertDecoded(VillageDot(1), TimestampedValue{kWhen, Text("路灯坏了")});
  state.fields.emplace("title", title);
  return state;
}

TEST_F(RecordTest, FromStateAcceptsACanonicalState) {
  absl::StatusOr<Record> record = Record::FromState(RequestState());
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->state(), RequestState());
  EXPECT_EQ(LwwRead(*record, "title"), Text("路灯坏了"));
  EXPECT_TRUE(record->CheckAgainst(*requests_).ok());

  Replica village(kXiaban);
  CreateRequest(village);
  absl::StatusOr<Record> round_trip = Record::FromState(village.record().state());
  ASSERT_TRUE(round_trip.ok()) << round_trip.status();
  EXPECT_EQ(*round_trip, village.record());
}

TEST_F(RecordTest, FromStateRefusesAFieldEntryTheContextDoesNotCover) {
  RecordState state = RequestState();
  std::get<ValueRegister>(state.fields.at(FieldKey{"title", StateKind::kRegister}))
      .InsertDecoded(VillageDot(2), TimestampedValue{kWhen, Text("路灯又坏了")});
  EXPECT_TRUE(HasError(Record::FromState(std::move(state)).status(), absl::StatusCode::kDataLoss,
                       {"title"}));
}

TEST_F(RecordTest, FromStateRefusesAPresenceOrDeleteTheContextDoesNotCover) {
  RecordState presence = RequestState();
  presence.presence.Insert(VillageDot(2), kWhen);
  EXPECT_EQ(Record::FromState(std::move(presence)).status().code(), absl::StatusCode::kDataLoss);

  RecordState deletes = RequestState();
  deletes.deletes.Insert(Dot{Origin{std::string(kFengpu), 1}, 1}, kWhen);
  EXPECT_EQ(Record::FromState(std::move(deletes)).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(RecordTest, FromStateRefusesAnEmptyField) {
  RecordState state = RequestState();
  state.fields.emplace("comments", OrSet());
  EXPECT_TRUE(HasError(Record::FromState(std::move(state)).status(), absl::StatusCode::kDataLoss,
                       {"comments"}));
}

TEST_F(RecordTest, FromStateRefusesANonStringScope) {
  RecordState state = RequestState();
  state.scope = ValueRegister();
  state.scope.InsertDecoded(VillageDot(1), TimestampedValue{kWhen, Int(7)});
  EXPECT_TRUE(HasError(Record::FromState(std::move(state)).status(), absl::StatusCode::kDataLoss,
                       {"scope"}));
}

// ARCHITECTURE.md §7, "Compatibility, not equality": a field the schema does
// not name (a newer schema's) is kept as it came, not refused.
TEST_F(RecordTest, CheckAgainstKeepsAFieldTheSchemaDoesNotName) {
  RecordState state = RequestState();
  ValueRegister urgency;
  urgency.InsertDecoded(VillageDot(1), TimestampedValue{kWhen, Text("紧急")});
  state.fields.emplace(FieldKey{"urgency", StateKind::kRegister}, urgency);
  absl::StatusOr<Record> record = Record::FromState(std::move(state));
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_TRUE(record->CheckAgainst(*requests_).ok());
  EXPECT_THAT(record->ClashingFields(*requests_), ::testing::IsEmpty());
  ASSERT_NE(record->field("urgency"), nullptr);
}

// A name the schema gives another kind is another field (field.h,
// FieldKey): the record keeps both, the join merges each with its own kind,
// and ClashingFields names the clash.
TEST_F(RecordTest, AFieldOfAnotherKindIsKeptBesideTheSchemasAsAClash) {
  RecordState state = RequestState();
  // Written by a node whose schema makes "title" a counter, after the
  // request's first write.
  CausalCounter counter;
  counter.InsertDecoded(VillageDot(2), 3);
  state.context.Advance(VillageDot(2));
  state.fields.emplace(FieldKey{"title", StateKind::kCounter}, counter);
  absl::StatusOr<Record> clashing = Record::FromState(std::move(state));
  ASSERT_TRUE(clashing.ok()) << clashing.status();
  EXPECT_TRUE(clashing->CheckAgainst(*requests_).ok());
  EXPECT_THAT(clashing->ClashingFields(*requests_), ElementsAre("title"));
  EXPECT_EQ(clashing->field("title"), nullptr) << "two kinds: ask with the kind";
  ASSERT_NE(clashing->field("title", StateKind::kCounter), nullptr);

  absl::StatusOr<Record> plain = Record::FromState(RequestState());
  ASSERT_TRUE(plain.ok());
  Record joined = *plain;
  joined.Join(*clashing);
  EXPECT_EQ(joined, *clashing);
  Record other_way = *clashing;
  other_way.Join(*plain);
  EXPECT_EQ(other_way, *clashing);
}

TEST_F(RecordTest, FromStateRefusesAFieldNamedWithAnotherKindThanItHolds) {
  RecordState state = RequestState();
  CausalCounter counter;
  counter.InsertDecoded(VillageDot(1), 3);
  state.fields.emplace(FieldKey{"visits", StateKind::kSet}, counter);
  EXPECT_TRUE(HasError(Record::FromState(std::move(state)).status(), absl::StatusCode::kDataLoss,
                       {"visits", "set", "counter"}));
}

TEST_F(RecordTest, CheckAgainstRefusesAValueOfTheWrongType) {
  RecordState lww = RequestState();
  ValueRegister title;
  title.InsertDecoded(VillageDot(1), TimestampedValue{kWhen, Int(42)});
  lww.fields.at(FieldKey{"title", StateKind::kRegister}) = title;
  absl::StatusOr<Record> record = Record::FromState(std::move(lww));
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_TRUE(HasError(record->CheckAgainst(*requests_), absl::StatusCode::kInvalidArgument,
                       {"title", "string", "42"}));

  RecordState set = RequestState();
  OrSet comments;
  comments.InsertDecoded(VillageDot(1), Value(true));
  set.fields.emplace(FieldKey{"comments", StateKind::kSet}, comments);
  record = Record::FromState(std::move(set));
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_TRUE(HasError(record->CheckAgainst(*requests_), absl::StatusCode::kInvalidArgument,
                       {"comments", "string", "true"}));
}

// A status beyond the schema's order is a value a newer schema appended:
// kept, not refused.
TEST_F(RecordTest, CheckAgainstKeepsAStatusBeyondTheSchemasOrder) {
  RecordState state = RequestState();
  StatusRegister beyond;
  beyond.InsertDecoded(VillageDot(1), 9);
  state.fields.insert_or_assign(FieldKey{"status", StateKind::kStatus}, beyond);
  absl::StatusOr<Record> record = Record::FromState(std::move(state));
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_TRUE(record->CheckAgainst(*requests_).ok());
}

// Authors (record.h, "authors"): each change keeps its caller while the
// record still holds something of it, and only then.
Change Authored(Change change, std::string author) {
  change.author = std::move(author);
  return change;
}

TEST_F(RecordTest, EachChangeKeepsItsAuthorWhileTheRecordHoldsSomethingOfIt) {
  Replica village(kXiaban);
  ASSERT_TRUE(village
                  .Write(*requests_, Authored(MakeChange({AssignOp("title", Text("路灯坏了")),
                                                          AssignOp("requester", Text("张三"))},
                                                         kXiaban),
                                              "sanji://app/clinic/gutian/fengpu/xiaban"))
                  .ok());
  const Dot created = village.last_dot();
  EXPECT_EQ(village.record().AuthorOf(created), "sanji://app/clinic/gutian/fengpu/xiaban");
  // An overwrite of the title leaves the requester: both changes are named.
  Replica county(testutil::kCounty);
  county.Receive(village);
  ASSERT_TRUE(county
                  .Write(*requests_, Authored(MakeChange({AssignOp("title", Text("路灯已修"))}),
                                              "sanji://operator/duty/gutian"))
                  .ok());
  const Dot fixed = county.last_dot();
  EXPECT_EQ(county.record().AuthorOf(created), "sanji://app/clinic/gutian/fengpu/xiaban");
  EXPECT_EQ(county.record().AuthorOf(fixed), "sanji://operator/duty/gutian");
  // The village learns both by the join.
  village.Receive(county);
  EXPECT_EQ(village.record(), county.record());
  EXPECT_EQ(village.record().AuthorOf(fixed), "sanji://operator/duty/gutian");
  // Once the requester, the status and the scope are overwritten too (the
  // first write also started the status), nothing of the first change is left, and neither is its
  // author.
  ASSERT_TRUE(county
                  .Write(*requests_, Authored(MakeChange({AssignOp("requester", Text("李四")),
                                                          StatusOp("status", "assigned")},
                                                         kFengpu),
                                              "sanji://operator/duty/gutian"))
                  .ok());
  EXPECT_EQ(county.record().AuthorOf(created), std::nullopt);
  // Joined into a copy that still names it, the author goes as the entries do.
  village.Receive(county);
  EXPECT_EQ(village.record().AuthorOf(created), std::nullopt);
  EXPECT_EQ(village.record(), county.record());
}

TEST_F(RecordTest, ADeleteKeepsItsAuthorAndTheAuthorsAreNoFieldOfTheSchema) {
  Replica village(kXiaban);
  CreateRequest(village);
  const Record deleted =
      village.record().Delete({village.origin(), 99}, {kDemoMicros + kSecond, 0}, "sanji://node/x");
  EXPECT_EQ(deleted.AuthorOf({village.origin(), 99}), "sanji://node/x");
  EXPECT_TRUE(deleted.CheckAgainst(*requests_).ok());
  EXPECT_THAT(deleted.ClashingFields(*requests_), IsEmpty());
  EXPECT_EQ(deleted.WithoutAuthors().AuthorOf({village.origin(), 99}), std::nullopt);
  EXPECT_EQ(deleted.WithoutAuthors().field(Record::kAuthorsField, StateKind::kSet), nullptr);
}

}  // namespace
}  // namespace sanji::conflict
