#include "conflict/conflict_event.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "conflict/change.h"
#include "conflict/record.h"
#include "conflict/schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/conflict/test_util.h"

namespace sanji::conflict {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using testutil::AssignOp;
using testutil::BuildCountySchema;
using testutil::Int;
using testutil::Joined;
using testutil::kCounty;
using testutil::kFengpu;
using testutil::kPingbu;
using testutil::kSecond;
using testutil::kShangban;
using testutil::kXiaban;
using testutil::MakeChange;
using testutil::Replica;
using testutil::Text;

using Kind = ConflictEvent::Kind;

class ConflictEventTest : public testutil::CountySchemaTest {
 protected:
  // The village creates a request; every other replica receives it.
  void CreateRequest(Replica& village, std::initializer_list<Replica*> others) {
    ASSERT_TRUE(village
                    .Write(*requests_, MakeChange({AssignOp("title", Text("路灯坏了")),
                                                   AssignOp("requester", Text("张三"))},
                                                  kXiaban))
                    .ok());
    for (Replica* other : others) other->Receive(village);
  }

  // A village and the three replicas that received its request.
  struct FourReplicas {
    Replica village{kXiaban};
    Replica township{kFengpu};
    Replica county{kCounty};
    Replica other_village{kShangban};
  };
  struct TitleWrite {
    Replica* replica;
    int64_t seconds_later;
    std::string title;
  };
  // The village creates a request for all four, then `titles` are written in
  // order, none seeing another.
  void CreateRequest(FourReplicas& four, std::initializer_list<TitleWrite> titles) {
    CreateRequest(four.village, {&four.township, &four.county, &four.other_village});
    for (const TitleWrite& write : titles)
      WriteTitle(*write.replica, write.seconds_later, write.title);
  }

  void WriteTitle(Replica& replica, int64_t seconds_later, const std::string& title) {
    replica.clock().Advance(seconds_later * kSecond);
    ASSERT_TRUE(replica.Write(*requests_, MakeChange({AssignOp("title", Text(title))})).ok());
  }

  // The village registers a household, the township receives it, then each
  // writes its income (an mv field) without seeing the other's.
  void WriteIncomesConcurrently(Replica& village, int64_t at_village, Replica& township,
                                int64_t at_township) {
    ASSERT_TRUE(village
                    .Write(*households_, MakeChange({AssignOp("name", Text("李四")),
                                                     AssignOp("annual_income", Int(3'000'000))},
                                                    kXiaban))
                    .ok());
    township.Receive(village);
    ASSERT_TRUE(
        village.Write(*households_, MakeChange({AssignOp("annual_income", Int(at_village))})).ok());
    ASSERT_TRUE(
        township.Write(*households_, MakeChange({AssignOp("annual_income", Int(at_township))}))
            .ok());
  }

  // The events a replica holding `before` sees when it merges `incoming`.
  std::vector<ConflictEvent> Merge(const Record& before, const Record& incoming) const {
    return NewConflicts(*requests_, before, Joined(before, incoming));
  }
};

ConflictSide SideOf(const Replica& replica, std::optional<Value> value) {
  return ConflictSide{replica.last_dot(), replica.last_timestamp(), std::move(value), ""};
}

// ARCHITECTURE.md §2: a concurrent lww overwrite is not silently lost; the losing value is kept
// for the conflict log.
TEST_F(ConflictEventTest, ConcurrentLwwOverwriteIsReportedOnce) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  CreateRequest(village, {&township});
  WriteTitle(village, 1, "路灯坏了，电线裸露");
  WriteTitle(township, 5, "路灯已修好");  // later HLC: the winner

  const ConflictEvent expected{Kind::kLwwOverwrite, "title", SideOf(township, Text("路灯已修好")),
                               SideOf(village, Text("路灯坏了，电线裸露"))};
  const std::vector<ConflictEvent> at_township = Merge(township.record(), village.record());
  ASSERT_THAT(at_township, SizeIs(1));
  EXPECT_EQ(at_township[0], expected);
  // The village, whose value lost, is told too, with the same event.
  EXPECT_THAT(Merge(village.record(), township.record()), ::testing::ElementsAre(expected));
}

TEST_F(ConflictEventTest, JoiningTheSameStateAgainGivesNone) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  CreateRequest(village, {&township});
  WriteTitle(village, 1, "路灯坏了，电线裸露");
  WriteTitle(township, 5, "路灯已修好");
  const Record merged = Joined(township.record(), village.record());
  ASSERT_THAT(NewConflicts(*requests_, township.record(), merged), SizeIs(1));

  EXPECT_THAT(Merge(merged, village.record()), IsEmpty());
  EXPECT_THAT(Merge(merged, township.record()), IsEmpty());
  EXPECT_THAT(Merge(merged, merged), IsEmpty());
}

TEST_F(ConflictEventTest, AThirdConcurrentWriterGivesOneMore) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  Replica county(kCounty);
  CreateRequest(village, {&township, &county});
  WriteTitle(village, 1, "路灯坏了，电线裸露");
  WriteTitle(township, 5, "路灯已修好");
  WriteTitle(county, 3, "县里已派人");
  const Record merged = Joined(township.record(), village.record());

  const std::vector<ConflictEvent> events = Merge(merged, county.record());
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0],
            (ConflictEvent{Kind::kLwwOverwrite, "title", SideOf(township, Text("路灯已修好")),
                           SideOf(county, Text("县里已派人"))}));
}

TEST_F(ConflictEventTest, ANewWinnerReportsTheValueItDisplaced) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  Replica county(kCounty);
  CreateRequest(village, {&township, &county});
  WriteTitle(village, 1, "路灯坏了，电线裸露");
  WriteTitle(township, 5, "路灯已修好");
  WriteTitle(county, 9, "县里已派人");  // the greatest timestamp
  const Record merged = Joined(township.record(), village.record());

  // The village's value already lost at this replica; only the township's is newly displaced.
  const std::vector<ConflictEvent> events = Merge(merged, county.record());
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0],
            (ConflictEvent{Kind::kLwwOverwrite, "title", SideOf(county, Text("县里已派人")),
                           SideOf(township, Text("路灯已修好"))}));
}

TEST_F(ConflictEventTest, SequentialOverwriteGivesNone) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  CreateRequest(village, {&township});
  WriteTitle(village, 5, "路灯坏了，电线裸露");
  township.Receive(village);
  const Record before_write = township.record();
  WriteTitle(township, 1, "路灯已修好");  // saw the village's value, though its clock is behind

  EXPECT_THAT(NewConflicts(*requests_, before_write, township.record()), IsEmpty());
  EXPECT_THAT(Merge(village.record(), township.record()), IsEmpty());
  EXPECT_EQ(testutil::LwwRead(Joined(village.record(), township.record()), "title"),
            Text("路灯已修好"));
}

// Issue 22: two concurrent writes of the same value are not a conflict. The
// register keeps both dots, so both replicas join to the same state; nothing
// is reported at either, nor on any later merge of the same states.
TEST_F(ConflictEventTest, ConcurrentEqualLwwValuesAreNotAConflict) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  CreateRequest(village, {&township});
  village.clock().Advance(1 * kSecond);
  ASSERT_TRUE(village.Write(*requests_, MakeChange({AssignOp("requester", Text("李四"))})).ok());
  township.clock().Advance(5 * kSecond);
  ASSERT_TRUE(township.Write(*requests_, MakeChange({AssignOp("requester", Text("李四"))})).ok());

  const Record at_township = Joined(township.record(), village.record());
  const Record at_village = Joined(village.record(), township.record());
  EXPECT_EQ(at_township, at_village);
  EXPECT_THAT(std::get<ValueRegister>(*at_township.field("requester")).entries(), SizeIs(2));
  EXPECT_THAT(Merge(township.record(), village.record()), IsEmpty());
  EXPECT_THAT(Merge(village.record(), township.record()), IsEmpty());
  EXPECT_THAT(Merge(at_township, village.record()), IsEmpty());
  EXPECT_THAT(Merge(at_township, at_village), IsEmpty());
}

// Two equal values displaced by a third are one conflict, reported once; a
// later equal write of the displaced value is that same conflict.
TEST_F(ConflictEventTest, EqualDisplacedValuesAreReportedOnce) {
  FourReplicas four;
  auto& [village, township, county, other_village] = four;
  // The county's has the greatest timestamp: the winner.
  CreateRequest(four, {{&village, 1, "路灯坏了"},
                       {&township, 2, "路灯坏了"},
                       {&county, 9, "县里已派人"},
                       {&other_village, 3, "路灯坏了"}});

  const Record equal = Joined(township.record(), village.record());
  const std::vector<ConflictEvent> events = Merge(equal, county.record());
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].kept, SideOf(county, Text("县里已派人")));
  EXPECT_EQ(events[0].other.value, Text("路灯坏了"));
  EXPECT_THAT(Merge(Joined(equal, county.record()), other_village.record()), IsEmpty());
}

// The lww events a replica holding `first` reports as it merges `incoming`,
// one record after another.
std::vector<ConflictEvent> LwwEventsAlong(const CollectionSchema& schema, const Record& first,
                                          std::initializer_list<const Replica*> incoming) {
  std::vector<ConflictEvent> lww;
  Record state = first;
  for (const Replica* replica : incoming) {
    const Record next = Joined(state, replica->record());
    for (ConflictEvent& event : NewConflicts(schema, state, next)) {
      if (event.kind == Kind::kLwwOverwrite) lww.push_back(std::move(event));
    }
    state = next;
  }
  return lww;
}

// Seed 2659682138381047036 of ConvergenceTest.EachLwwOverwriteIsReportedOnce-
// PerReplica: the village's "张三" is displaced by the township's "低保户",
// then hidden by the county's later "张三"; a delete that saw only the
// county's write leaves it displaced by "低保户" again, and that pair was
// reported a second time, so `conflicts ls` listed one overwrite twice. The
// other order of the same writes joins to the same record, so the delete's
// merge cannot report the pair in either (conflict_event.h).
TEST_F(ConflictEventTest, LoserHiddenByAnEqualValueIsNotReportedAgainAfterADelete) {
  FourReplicas four;
  auto& [village, township, county, other_village] = four;
  CreateRequest(four, {{&village, 1, "张三"}, {&township, 3, "低保户"}, {&county, 5, "张三"}});
  other_village.Receive(county);
  other_village.Delete();  // saw the county's "张三", not the other two writes
  const ConflictEvent low_over_village{Kind::kLwwOverwrite, "title",
                                       SideOf(township, Text("低保户")),
                                       SideOf(village, Text("张三"))};
  const ConflictEvent county_over_low{Kind::kLwwOverwrite, "title", SideOf(county, Text("张三")),
                                      SideOf(township, Text("低保户"))};

  EXPECT_THAT(LwwEventsAlong(*requests_, village.record(), {&township, &county, &other_village}),
              ::testing::ElementsAre(low_over_village, county_over_low));
  // The county's "张三" arrived first: both values are in the log, kept over "低保户".
  EXPECT_THAT(LwwEventsAlong(*requests_, village.record(), {&county, &township, &other_village}),
              ::testing::ElementsAre(county_over_low));
  const Record merged = Joined(Joined(Joined(village.record(), township.record()), county.record()),
                               other_village.record());
  EXPECT_EQ(testutil::LwwRead(merged, "title"), Text("低保户"));
  EXPECT_THAT(std::get<ValueRegister>(*merged.field("title", StateKind::kRegister)).entries(),
              SizeIs(2));
}

// ARCHITECTURE.md §2: mv keeps concurrent values until a person resolves them.
TEST_F(ConflictEventTest, MvSiblingsAreReported) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  WriteIncomesConcurrently(village, 3'200'000, township, 3'100'000);

  const Record merged = Joined(township.record(), village.record());
  const std::vector<ConflictEvent> events = NewConflicts(*households_, township.record(), merged);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0],
            (ConflictEvent{Kind::kMvSiblings, "annual_income", SideOf(township, Int(3'100'000)),
                           SideOf(village, Int(3'200'000))}));
  EXPECT_THAT(NewConflicts(*households_, merged, Joined(merged, village.record())), IsEmpty());

  // Resolving (an assignment that saw both) is not a new conflict anywhere.
  township.Receive(village);
  const Record unresolved = township.record();
  ASSERT_TRUE(
      township.Write(*households_, MakeChange({AssignOp("annual_income", Int(3'150'000))})).ok());
  EXPECT_THAT(NewConflicts(*households_, unresolved, township.record()), IsEmpty());
  // Nor at the village, which still holds only its own sibling.
  EXPECT_THAT(
      NewConflicts(*households_, village.record(), Joined(village.record(), township.record())),
      IsEmpty());

  // The resolving write settles the event where it was written, and at the
  // village once it arrives there; not before.
  EXPECT_FALSE(SettledBy(events[0], unresolved));
  EXPECT_TRUE(SettledBy(events[0], township.record()));
  EXPECT_FALSE(SettledBy(events[0], village.record()));
  village.Receive(township);
  EXPECT_TRUE(SettledBy(events[0], village.record()));
}

TEST_F(ConflictEventTest, EqualMvSiblingsAreNotAConflict) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  WriteIncomesConcurrently(village, 3'200'000, township, 3'200'000);

  const Record merged = Joined(township.record(), village.record());
  EXPECT_THAT(NewConflicts(*households_, township.record(), merged), IsEmpty());
  EXPECT_THAT(NewConflicts(*households_, village.record(), merged), IsEmpty());
  EXPECT_THAT(NewConflicts(*households_, merged, Joined(merged, village.record())), IsEmpty());
}

// An event logged with two equal sides (as before equal values stopped being
// reported) has nothing to decide: it reads as settled, so it is not open
// forever.
TEST_F(ConflictEventTest, EventWithEqualSidesIsSettled) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  CreateRequest(village, {&township});
  WriteTitle(village, 1, "路灯坏了");
  const ConflictSide village_side = SideOf(village, Text("路灯坏了"));
  WriteTitle(township, 5, "路灯坏了");
  const ConflictEvent logged{Kind::kLwwOverwrite, "title", SideOf(township, Text("路灯坏了")),
                             village_side};
  EXPECT_TRUE(SettledBy(logged, Joined(township.record(), village.record())));
}

TEST_F(ConflictEventTest, ScopeOverwriteIsReportedUnderTheScopeField) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  Replica county(kCounty);
  CreateRequest(village, {&township, &county});
  township.clock().Advance(5 * kSecond);
  ASSERT_TRUE(township.Write(*requests_, MakeChange({}, kShangban)).ok());
  county.clock().Advance(1 * kSecond);
  ASSERT_TRUE(county.Write(*requests_, MakeChange({}, kPingbu)).ok());

  const std::vector<ConflictEvent> events = Merge(township.record(), county.record());
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0], (ConflictEvent{Kind::kLwwOverwrite, std::string(Record::kScopeField),
                                      SideOf(township, Text(std::string(kShangban))),
                                      SideOf(county, Text(std::string(kPingbu)))}));
}

// ARCHITECTURE.md §2: a write that did not see the delete is not lost silently.
TEST_F(ConflictEventTest, WriteConcurrentWithDeleteIsReportedOnce) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  CreateRequest(village, {&township});
  township.Delete();
  WriteTitle(village, 1, "路灯坏了，电线裸露");

  const ConflictEvent expected{Kind::kWriteConcurrentWithDelete, "", SideOf(village, std::nullopt),
                               SideOf(township, std::nullopt)};
  const Record merged = Joined(township.record(), village.record());
  const std::vector<ConflictEvent> at_township =
      NewConflicts(*requests_, township.record(), merged);
  ASSERT_THAT(at_township, SizeIs(1));
  EXPECT_EQ(at_township[0], expected);
  EXPECT_THAT(Merge(village.record(), township.record()), ::testing::ElementsAre(expected));

  EXPECT_THAT(Merge(merged, village.record()), IsEmpty());
  EXPECT_THAT(Merge(merged, township.record()), IsEmpty());

  // Settled by a later delete or write that saw both, not by one side alone.
  EXPECT_FALSE(SettledBy(expected, merged));
  Replica county(kCounty);
  county.Receive(merged);
  WriteTitle(county, 2, "路灯已修好");
  EXPECT_TRUE(SettledBy(expected, county.record()));
  county.Delete();
  EXPECT_TRUE(SettledBy(expected, county.record()));
}

TEST_F(ConflictEventTest, WriteThatSawTheDeleteGivesNone) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  CreateRequest(village, {&township});
  township.Delete();
  village.Receive(township);
  const Record deleted = village.record();
  WriteTitle(village, 1, "新的报修");

  EXPECT_THAT(NewConflicts(*requests_, deleted, village.record()), IsEmpty());
  EXPECT_THAT(Merge(township.record(), village.record()), IsEmpty());
}

TEST_F(ConflictEventTest, ConcurrentDeletesGiveNone) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  CreateRequest(village, {&township});
  village.Delete();
  township.Delete();
  EXPECT_THAT(Merge(township.record(), village.record()), IsEmpty());
  EXPECT_FALSE(Joined(township.record(), village.record()).alive());
}

TEST_F(ConflictEventTest, ToStringIsReadable) {
  Replica village(kXiaban);
  Replica township(kFengpu);
  CreateRequest(village, {&township});
  WriteTitle(village, 1, "路灯坏了，电线裸露");
  WriteTitle(township, 5, "路灯已修好");
  const std::vector<ConflictEvent> events = Merge(township.record(), village.record());
  ASSERT_THAT(events, SizeIs(1));
  const std::string text = events[0].ToString();
  EXPECT_THAT(text, HasSubstr("lww-overwrite title"));
  EXPECT_THAT(text, HasSubstr("kept " + township.last_dot().ToString() + "@" +
                              township.last_timestamp().ToString() + "=\"路灯已修好\""));
  EXPECT_THAT(text, HasSubstr("other " + village.last_dot().ToString() + "@" +
                              village.last_timestamp().ToString() + "=\"路灯坏了，电线裸露\""));

  const ConflictEvent revival{Kind::kWriteConcurrentWithDelete, "", SideOf(village, std::nullopt),
                              SideOf(township, std::nullopt)};
  const std::string revival_text = revival.ToString();
  EXPECT_THAT(revival_text, HasSubstr("write-concurrent-with-delete (record)"));
  EXPECT_THAT(revival_text, HasSubstr(village.last_dot().ToString()));
  EXPECT_THAT(revival_text, HasSubstr(township.last_dot().ToString()));
  EXPECT_THAT(revival_text, Not(HasSubstr("=")));

  const ConflictEvent siblings{Kind::kMvSiblings, "annual_income", SideOf(village, Int(3'200'000)),
                               SideOf(township, Int(3'100'000))};
  EXPECT_THAT(siblings.ToString(), HasSubstr("mv-siblings annual_income"));
  EXPECT_THAT(siblings.ToString(), HasSubstr("=3200000"));
}

}  // namespace
}  // namespace sanji::conflict
