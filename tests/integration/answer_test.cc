// Villages answer a county notice (issue 16, "Villages answer county
// records"), with real sanjid processes: each village's application adds its
// own acknowledgement and counts the copies it posted, both reach the county
// through the township, and a village can neither answer for another nor
// withdraw another's answer nor touch any other field of the notice.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "authz/identity.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_county.h"

namespace sanji::integration {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The test schema, its notices with two answer fields.
v1::SchemaConfig AnsweredSchema() {
  v1::SchemaConfig schema = TestSchema();
  for (v1::CollectionConfig& collection : *schema.mutable_collections()) {
    if (collection.name() != "notices") continue;
    v1::FieldConfig* acknowledged = collection.add_fields();
    acknowledged->set_name("acknowledged_by");
    acknowledged->set_kind(v1::FieldConfig::SET);
    acknowledged->set_answer(true);
    v1::FieldConfig* copies = collection.add_fields();
    copies->set_name("copies_posted");
    copies->set_kind(v1::FieldConfig::COUNTER);
    copies->set_answer(true);
  }
  return schema;
}

// The notice's acknowledgements at `node` (empty if it holds none).
std::vector<std::string> AcknowledgedAt(Cluster& cluster, const std::string& node) {
  absl::StatusOr<v1::Record> notice = GetAt(cluster, node, "notices", "n1");
  if (!notice.ok()) return {notice.status().ToString()};
  std::vector<std::string> elements;
  auto found = notice->fields().find("acknowledged_by");
  if (found == notice->fields().end()) return elements;
  for (const v1::Value& value : found->second.set().values()) elements.push_back(value.text());
  return elements;
}

int64_t CopiesAt(Cluster& cluster, const std::string& node) {
  absl::StatusOr<v1::Record> notice = GetAt(cluster, node, "notices", "n1");
  if (!notice.ok()) return -1;
  auto found = notice->fields().find("copies_posted");
  return found == notice->fields().end() ? 0 : found->second.counter();
}

TEST(AnswerTest, EachVillageAnswersACountyNoticeWithItsOwnEntriesOnly) {
  Cluster cluster({.schema = AnsweredSchema(),
                   .on_error = [](const std::string& error) { ADD_FAILURE() << error; }});
  AddCounty(cluster, /*both_townships=*/false);
  cluster.StartAll();
  const v1::TlsConfig xiaban_app = cluster.Issue(authz::Identity::App("clinic", kXiaban));
  const v1::TlsConfig dongkeng_app = cluster.Issue(authz::Identity::App("clinic", kDongkeng));
  const v1::TlsConfig duty = cluster.Issue(authz::Identity::Operator("duty", kCounty));

  const CommandResult notice =
      Ctl(cluster, duty, kCounty, {"put", "notices", "n1", "title=防汛演练", "--scope", kCounty});
  ASSERT_EQ(notice.exit_code, 0) << notice.output;
  ASSERT_TRUE(WaitFor([&] { return HasTitle(cluster, kXiaban, "notices", "n1", "防汛演练"); }));
  ASSERT_TRUE(WaitFor([&] { return HasTitle(cluster, kDongkeng, "notices", "n1", "防汛演练"); }));

  const CommandResult xiaban_ack =
      Ctl(cluster, xiaban_app, kXiaban,
          {"put", "notices", "n1", "--add", absl::StrCat("acknowledged_by=", kXiaban), "--incr",
           "copies_posted=2"});
  ASSERT_EQ(xiaban_ack.exit_code, 0) << xiaban_ack.output;
  const CommandResult dongkeng_ack =
      Ctl(cluster, dongkeng_app, kDongkeng,
          {"put", "notices", "n1", "--add", absl::StrCat("acknowledged_by=", kDongkeng, ":已张贴"),
           "--incr", "copies_posted=1"});
  ASSERT_EQ(dongkeng_ack.exit_code, 0) << dongkeng_ack.output;
  // Both answers cross the township to the county, and back down to each
  // village.
  const std::vector<std::string> both = {absl::StrCat(kDongkeng, ":已张贴"), kXiaban};
  EXPECT_TRUE(WaitFor([&] { return AcknowledgedAt(cluster, kCounty) == both; }))
      << ::testing::PrintToString(AcknowledgedAt(cluster, kCounty));
  EXPECT_TRUE(WaitFor([&] { return CopiesAt(cluster, kCounty) == 3; }))
      << CopiesAt(cluster, kCounty);
  EXPECT_TRUE(WaitFor([&] { return AcknowledgedAt(cluster, kXiaban) == both; }))
      << ::testing::PrintToString(AcknowledgedAt(cluster, kXiaban));

  // A village answers for itself only, and touches nothing else.
  const CommandResult for_other =
      Ctl(cluster, xiaban_app, kXiaban,
          {"put", "notices", "n1", "--add", absl::StrCat("acknowledged_by=", kDongkeng)});
  EXPECT_NE(for_other.exit_code, 0);
  EXPECT_THAT(for_other.output, HasSubstr("may not RecordService.Put in scope gutian"));
  EXPECT_THAT(for_other.output, HasSubstr("\"gutian/fengpu/dongkeng\" of answer field "
                                          "\"acknowledged_by\" is not the writer's own"));
  const CommandResult withdraw_other = Ctl(
      cluster, xiaban_app, kXiaban,
      {"put", "notices", "n1", "--remove", absl::StrCat("acknowledged_by=", kDongkeng, ":已张贴")});
  EXPECT_NE(withdraw_other.exit_code, 0);
  EXPECT_THAT(withdraw_other.output, HasSubstr("is not the writer's own"));
  const CommandResult title =
      Ctl(cluster, xiaban_app, kXiaban, {"put", "notices", "n1", "title=改了"});
  EXPECT_NE(title.exit_code, 0);
  EXPECT_THAT(title.output, HasSubstr("field \"title\" of \"notices\" is not an answer field"));
  const CommandResult deleted = Ctl(cluster, xiaban_app, kXiaban, {"delete", "notices", "n1"});
  EXPECT_NE(deleted.exit_code, 0);

  // xiaban withdraws its own acknowledgement; the county sees only dongkeng's.
  const CommandResult withdrawn =
      Ctl(cluster, xiaban_app, kXiaban,
          {"put", "notices", "n1", "--remove", absl::StrCat("acknowledged_by=", kXiaban)});
  ASSERT_EQ(withdrawn.exit_code, 0) << withdrawn.output;
  EXPECT_TRUE(WaitFor([&] {
    return AcknowledgedAt(cluster, kCounty) == std::vector<std::string>{both[0]};
  })) << ::testing::PrintToString(AcknowledgedAt(cluster, kCounty));
  EXPECT_EQ(TitleAt(cluster, kCounty, "notices", "n1").value_or(""), "防汛演练");
  // Nothing was refused on the way up: no link is left apart.
  EXPECT_TRUE(WaitFor([&] { return Apart(cluster, kFengpu).empty(); })) << Apart(cluster, kFengpu);
  StopAllCleanly(cluster, {kXiaban, kDongkeng, kFengpu, kCounty});
}

}  // namespace
}  // namespace sanji::integration
