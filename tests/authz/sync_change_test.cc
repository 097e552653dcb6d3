// The authority rules of changes on the sync path (authz/sync_change.h), each
// rule on its own edge: what a parent may send down, what a child may send up,
// and the forgeries a child could try with dots and scopes it merely knows of.
#include "authz/sync_change.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/conflict/test_util.h"

namespace sanji::authz {
namespace {

using conflict::Record;
using conflict::testutil::AssignOp;
using conflict::testutil::CountySchemaTest;
using conflict::testutil::kCounty;
using conflict::testutil::kFengpu;
using conflict::testutil::kShangban;
using conflict::testutil::kXiaban;
using conflict::testutil::MakeChange;
using conflict::testutil::Replica;
using conflict::testutil::Text;

class SyncChangeTest : public CountySchemaTest {
 protected:
  // `replica`'s record after it writes a request title, moving the record
  // to `scope` unless it is empty.
  Record Written(Replica& replica, absl::string_view scope, std::string title) {
    conflict::Change change = MakeChange({AssignOp("title", Text(std::move(title)))});
    if (!scope.empty()) change.scope = std::string(scope);
    EXPECT_TRUE(replica.Write(*requests_, change).ok());
    return replica.record();
  }

  // The township fengpu's verdict on `record` from its child xiaban, holding
  // `stored` (or nothing).
  absl::Status FromXiaban(const Record& record, const Record* stored = nullptr) {
    return CheckChangeFromChild({.record = record}, kFengpu, kXiaban,
                                [&]() -> const Record* { return stored; });
  }
};

TEST_F(SyncChangeTest, AParentSendsDownOnlyWhatTheFilterHolds) {
  Replica county(kCounty);
  const Record notice = Written(county, kCounty, "防汛演练");
  EXPECT_TRUE(CheckChangeFromParent({.record = notice}, kXiaban).ok());
  Replica shangban(kShangban);
  const Record sibling = Written(shangban, kShangban, "路灯");
  const absl::Status refused = CheckChangeFromParent({.record = sibling}, kXiaban);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(),
            "scope gutian/fengpu/shangban is outside the filter of gutian/fengpu/xiaban");
  // A move-out names a record that leaves the filter: it is taken.
  EXPECT_TRUE(CheckChangeFromParent({.record = sibling, .move_out = true}, kXiaban).ok());
  EXPECT_EQ(CheckChangeFromParent({.record = Record()}, kXiaban).message(),
            "a record without a scope");
}

TEST_F(SyncChangeTest, AChildSendsUpItsOwnSubtreesChangesWithoutARead) {
  Replica xiaban(kXiaban);
  const Record own = Written(xiaban, kXiaban, "路灯坏了");
  bool read = false;
  EXPECT_TRUE(CheckChangeFromChild({.record = own}, kFengpu, kXiaban, [&]() -> const Record* {
                read = true;
                return nullptr;
              }).ok());
  EXPECT_FALSE(read) << "a change of the child's own subtree needs no stored record";
  EXPECT_EQ(CheckChangeFromChild({.record = own, .move_out = true}, kFengpu, kXiaban,
                                 [] { return static_cast<const Record*>(nullptr); })
                .message(),
            "a move-out from a child");
}

TEST_F(SyncChangeTest, AChildMayNotIntroduceADotFromOutsideItsSubtree) {
  Replica shangban(kShangban);
  const Record sibling = Written(shangban, kXiaban, "伪造");
  const absl::Status refused = FromXiaban(sibling);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(), "it carries change " + shangban.last_dot().origin.node_id.str() +
                                   "#1:1 from outside " + std::string(kXiaban) +
                                   "'s subtree, which gutian/fengpu does not hold on this record");
  // The same dot, held here on this very record (it came down through
  // fengpu), passes.
  EXPECT_TRUE(FromXiaban(sibling, &sibling).ok());
}

TEST_F(SyncChangeTest, AChildMayAnswerOnlyRecordsThatWereInItsSubtree) {
  Replica county(kCounty);
  const Record notice = Written(county, kCounty, "防汛演练");
  Replica xiaban(kXiaban);
  xiaban.Receive(notice);
  const Record edited = Written(xiaban, "", "伪造通知");
  EXPECT_EQ(FromXiaban(edited, &notice).message(),
            "it changes a record of scope gutian, outside gutian/fengpu/xiaban's authority");
  // A record of xiaban's that the county moved up: the village's copy of it
  // passes where fengpu holds the record (and so its former scope and the
  // county's move), and not where fengpu holds nothing.
  Replica village(kXiaban);
  const Record local = Written(village, kXiaban, "路灯坏了");
  Replica mover(kCounty);
  mover.Receive(local);
  const Record moved = Written(mover, kCounty, "路灯坏了");
  EXPECT_TRUE(FromXiaban(moved, &moved).ok());
  EXPECT_EQ(FromXiaban(moved).message(),
            "it carries change gutian#1:1 from outside gutian/fengpu/xiaban's subtree, which "
            "gutian/fengpu does not hold on this record");
}

TEST_F(SyncChangeTest, AChildMayNotMoveARecordOutOfItsSubtree) {
  Replica xiaban(kXiaban);
  Written(xiaban, kXiaban, "路灯坏了");
  const Record moved = Written(xiaban, kCounty, "路灯坏了");
  const absl::Status refused = FromXiaban(moved);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(refused.message().find("moves it to gutian, outside gutian/fengpu/xiaban's subtree"),
            std::string::npos)
      << refused;
}

TEST_F(SyncChangeTest, ANodeHoldsItsFilterAndARelayTheRecordsMovedAwayFromIt) {
  Replica xiaban(kXiaban);
  Written(xiaban, kXiaban, "路灯坏了");
  const Record moved = Written(xiaban, "gutian/pingbu", "路灯坏了");
  EXPECT_TRUE(Holds(moved, kCounty, /*relays=*/false));
  EXPECT_FALSE(Holds(moved, kFengpu, /*relays=*/false));
  // fengpu relays: a node below it may hold the record under its old scope.
  EXPECT_TRUE(Holds(moved, kFengpu, /*relays=*/true));
  EXPECT_FALSE(Holds(moved, kShangban, /*relays=*/true));
  EXPECT_FALSE(Holds(Record(), kCounty, /*relays=*/true));
}

}  // namespace
}  // namespace sanji::authz
