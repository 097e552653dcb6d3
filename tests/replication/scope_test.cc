#include "replication/scope.h"

#include "conflict/change.h"
#include "gtest/gtest.h"
#include "tests/conflict/test_util.h"

namespace sanji::replication {
namespace {

using conflict::testutil::AssignOp;
using conflict::testutil::MakeChange;
using conflict::testutil::Replica;
using conflict::testutil::Text;

class HoldsTest : public conflict::testutil::CountySchemaTest {};

// A record moved from xiaban to shangban: xiaban's township keeps it (it must
// tell xiaban of the move), xiaban itself does not, another township never did.
TEST_F(HoldsTest, AMovedRecordIsKeptOnlyWhereSomeoneBelowMayHoldIt) {
  Replica township("gutian/fengpu");
  ASSERT_TRUE(township
                  .Write(*requests_,
                         MakeChange({AssignOp("title", Text("路灯坏了"))}, "gutian/fengpu/xiaban"))
                  .ok());
  ASSERT_TRUE(township.Write(*requests_, MakeChange({}, "gutian/fengpu/shangban")).ok());
  const conflict::Record& moved = township.record();

  EXPECT_TRUE(Holds(moved, "gutian/fengpu/shangban", /*relays=*/false));
  EXPECT_TRUE(Holds(moved, "gutian/fengpu", /*relays=*/true));
  EXPECT_FALSE(Holds(moved, "gutian/fengpu/xiaban", /*relays=*/false));
  // A village with nodes below it keeps the record for them.
  EXPECT_TRUE(Holds(moved, "gutian/fengpu/xiaban", /*relays=*/true));
  EXPECT_FALSE(Holds(moved, "gutian/dongqiao", /*relays=*/true));
  EXPECT_FALSE(Holds(conflict::Record(), "gutian", /*relays=*/true));  // no scope
}

}  // namespace
}  // namespace sanji::replication
