// Every write records its real author (issue 22, item 1), with real sanjid
// processes: an application's write at a village and an operator's at the
// county are named by their callers' identities at every node they reach
// (`sanjictl get --history`), and a change overwritten everywhere leaves no
// author behind.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "authz/identity.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_county.h"

namespace sanji::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kClinic[] = "sanji://app/clinic/gutian/fengpu/xiaban";
constexpr char kOperator[] = "sanji://operator/duty/gutian";

// The authors `node` names for the record's changes, as "author: fields".
std::vector<std::string> AuthorsAt(Cluster& cluster, const std::string& node,
                                   const std::string& key) {
  v1::GetRequest request;
  request.set_collection("service_requests");
  request.set_key(key);
  request.set_history(true);
  absl::StatusOr<v1::Record> record = GetAt(cluster, node, request);
  if (!record.ok()) return {record.status().ToString()};
  std::vector<std::string> authors;
  for (const v1::RecordChange& change : record->changes()) {
    authors.push_back(absl::StrCat(change.author(), ": ", absl::StrJoin(change.fields(), ",")));
  }
  return authors;
}

TEST(AuthorsTest, EveryNodeNamesTheCallerOfEachChangeItHolds) {
  TestCluster cluster;
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kFengpu, {kCounty}, false);
  cluster.AddNode(kXiaban, {kFengpu, kCounty}, true);
  cluster.StartAll();
  const v1::TlsConfig clinic = cluster.Issue(authz::Identity::App("clinic", kXiaban));
  const v1::TlsConfig duty = cluster.Issue(authz::Identity::Operator("duty", kCounty));

  const CommandResult put =
      Ctl(cluster, clinic, kXiaban,
          {"put", "service_requests", "r1", "title=路灯坏了", "--scope", kXiaban});
  ASSERT_EQ(put.exit_code, 0) << put.output;
  EXPECT_TRUE(
      WaitFor([&] { return HasTitle(cluster, kCounty, "service_requests", "r1", "路灯坏了"); }));
  // The county names the application that wrote at the village.
  EXPECT_THAT(AuthorsAt(cluster, kCounty, "r1"),
              ::testing::ElementsAre(absl::StrCat(kClinic, ": @scope,status,title")));

  // An operator at the county advances the status; the village names both.
  const CommandResult assigned =
      Ctl(cluster, duty, kCounty, {"put", "service_requests", "r1", "--status", "status=assigned"});
  ASSERT_EQ(assigned.exit_code, 0) << assigned.output;
  EXPECT_TRUE(WaitFor([&] { return AuthorsAt(cluster, kXiaban, "r1").size() == 2; }))
      << ::testing::PrintToString(AuthorsAt(cluster, kXiaban, "r1"));
  EXPECT_THAT(AuthorsAt(cluster, kXiaban, "r1"),
              ::testing::ElementsAre(absl::StrCat(kClinic, ": @scope,title"),
                                     absl::StrCat(kOperator, ": status")));
  const CommandResult history =
      Ctl(cluster, duty, kXiaban, {"get", "service_requests", "r1", "--history"});
  EXPECT_EQ(history.exit_code, 0) << history.output;
  EXPECT_THAT(history.output, HasSubstr(kClinic));
  EXPECT_THAT(history.output, HasSubstr(kOperator));
  EXPECT_THAT(history.output, HasSubstr("gutian/fengpu/xiaban#"));
  // Without --history, no changes are listed.
  const CommandResult plain = Ctl(cluster, duty, kXiaban, {"get", "service_requests", "r1"});
  EXPECT_THAT(plain.output, Not(HasSubstr(kClinic)));

  // The operator overwrites the title and moves the record to the township:
  // nothing of the application's change is left, so neither is its author.
  const CommandResult moved =
      Ctl(cluster, duty, kCounty,
          {"put", "service_requests", "r1", "title=路灯已修", "--scope", kFengpu});
  ASSERT_EQ(moved.exit_code, 0) << moved.output;
  EXPECT_TRUE(
      WaitFor([&] { return HasTitle(cluster, kFengpu, "service_requests", "r1", "路灯已修"); }));
  EXPECT_THAT(AuthorsAt(cluster, kFengpu, "r1"),
              ::testing::ElementsAre(absl::StrCat(kOperator, ": status"),
                                     absl::StrCat(kOperator, ": @scope,title")));
  StopAllCleanly(cluster, {kXiaban, kFengpu, kCounty});
}

}  // namespace
}  // namespace sanji::integration
