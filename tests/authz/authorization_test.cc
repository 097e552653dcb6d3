#include "authz/authorization.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "authz/scope_path.h"
#include "tests/support/authorization_table.h"

namespace sanji::authz {
namespace {

using ::testing::HasSubstr;
using Outcome = sanji::testing::AuthorizationCell::Outcome;

constexpr char kCounty[] = "gutian";

// Every cell of docs/authorization-table.txt, asked of the rule: record
// operations at the county on a record of the column's scope, the others at
// the column's node.
TEST(AuthorizationTest, TheRuleDecidesWhatTheDocumentedTableSays) {
  absl::StatusOr<std::vector<sanji::testing::AuthorizationCell>> table =
      sanji::testing::ReadAuthorizationTable(sanji::testing::AuthorizationTablePath());
  ASSERT_TRUE(table.ok()) << table.status();
  int asked = 0;
  for (const sanji::testing::AuthorizationCell& cell : *table) {
    const std::optional<Operation> operation = OperationOfRpc(cell.rpc);
    ASSERT_TRUE(operation.has_value()) << "unknown RPC " << cell.rpc;
    const std::optional<Identity> caller = sanji::testing::CellIdentity(cell.identity);
    if (!caller.has_value()) {
      EXPECT_EQ(cell.outcome, Outcome::kRefused) << cell.identity;
      continue;
    }
    const bool on_record = IsRecordOperation(*operation);
    const absl::Status decided =
        Authorize(*caller, *operation, on_record ? kCounty : cell.scope, cell.scope);
    const std::string where = cell.identity + " " + cell.rpc + " " + cell.scope;
    if (cell.outcome == Outcome::kAllow) {
      EXPECT_TRUE(decided.ok()) << where << ": " << decided;
    } else {
      ASSERT_EQ(cell.outcome, Outcome::kDeny) << where;
      EXPECT_EQ(decided.code(), absl::StatusCode::kPermissionDenied) << where;
      EXPECT_THAT(decided.message(), HasSubstr(caller->Uri()));
      EXPECT_THAT(decided.message(), HasSubstr(OperationName(*operation)));
      if (on_record) {
        EXPECT_THAT(decided.message(), HasSubstr("scope " + cell.scope));
      }
    }
    ++asked;
  }
  EXPECT_EQ(asked, 6 * 16 * 5);
}

TEST(AuthorizationTest, ANodeWritesOnlyInItsOwnSubtreeWhoeverAsks) {
  const Identity desk = Identity::Operator("desk", kCounty);
  const absl::Status at_village =
      Authorize(desk, Operation::kPut, "gutian/fengpu/xiaban", "gutian/fengpu");
  EXPECT_EQ(at_village.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(at_village.message(), HasSubstr("its own subtree"));
  EXPECT_TRUE(
      Authorize(desk, Operation::kPut, "gutian/fengpu/xiaban", "gutian/fengpu/xiaban/a").ok());
  // Reading what the village holds from above is its filter's business.
  EXPECT_TRUE(Authorize(desk, Operation::kGet, "gutian/fengpu/xiaban", kCounty).ok());
  EXPECT_EQ(Authorize(Identity::Local(), Operation::kDelete, "gutian/fengpu", kCounty).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AuthorizationTest, APlaintextCallerOfAnInsecureNodeMayDoAllButWriteOutside) {
  const Identity local = Identity::Local();
  EXPECT_TRUE(Authorize(local, Operation::kBackup, kCounty, "").ok());
  EXPECT_TRUE(Authorize(local, Operation::kPut, kCounty, "gutian/xikou").ok());
  EXPECT_TRUE(Authorize(local, Operation::kSession, kCounty, "").ok());
  EXPECT_EQ(local.Uri(), "a plaintext caller");
}

// The schema is the county's (docs/SCHEMA.md): published only at the root,
// by an operator of the root's scope, or by a plaintext caller there.
TEST(AuthorizationTest, OnlyTheCountysOperatorPublishesASchemaAndOnlyAtTheCounty) {
  const Identity desk = Identity::Operator("desk", kCounty);
  EXPECT_TRUE(Authorize(desk, Operation::kPublishSchema, kCounty, "").ok());
  const absl::Status below = Authorize(desk, Operation::kPublishSchema, "gutian/fengpu", "");
  EXPECT_EQ(below.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(below.message(), HasSubstr("only at the county node"));
  const absl::Status clerk = Authorize(Identity::Operator("clerk", "gutian/fengpu"),
                                       Operation::kPublishSchema, kCounty, "");
  EXPECT_EQ(clerk.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(clerk.message(), HasSubstr("operator certificate of the county's scope gutian"));
  EXPECT_TRUE(Authorize(Identity::Local(), Operation::kPublishSchema, kCounty, "").ok());
  EXPECT_EQ(Authorize(Identity::Local(), Operation::kPublishSchema, "gutian/xikou", "").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Authorize(Identity::Node(kCounty), Operation::kPublishSchema, kCounty, "").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AuthorizationTest, EveryRpcHasAnOperationAndAName) {
  for (const char* rpc : {"Put", "Get", "Delete", "List", "Watch", "Status", "Check", "GetSchema",
                          "PublishSchema", "ListConflicts", "GetConflict", "ResolveConflict",
                          "ExportBundle", "ImportBundle", "Backup", "Session"}) {
    const std::optional<Operation> operation = OperationOfRpc(rpc);
    ASSERT_TRUE(operation.has_value()) << rpc;
    EXPECT_THAT(std::string(OperationName(*operation)), ::testing::EndsWith(rpc));
  }
  EXPECT_FALSE(OperationOfRpc("Drop").has_value());
}

}  // namespace
}  // namespace sanji::authz
