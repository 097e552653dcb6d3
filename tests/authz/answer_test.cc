// Answers (authz/answer.h): villages write their own entries of a county
// notice, at the application API and on the sync path, and nothing else of
// it: not another village's entry, not a field that is not an answer field,
// not the record's life.
#include "authz/answer.h"

#include <string>

#include "authz/sync_change.h"
#include "gtest/gtest.h"
#include "tests/conflict/test_util.h"

namespace sanji::authz {
namespace {

using conflict::Change;
using conflict::CollectionSchema;
using conflict::FieldSpec;
using conflict::Record;
using conflict::testutil::AddOp;
using conflict::testutil::AssignOp;
using conflict::testutil::IncrementOp;
using conflict::testutil::kCounty;
using conflict::testutil::kFengpu;
using conflict::testutil::kShangban;
using conflict::testutil::kXiaban;
using conflict::testutil::MakeChange;
using conflict::testutil::RemoveOp;
using conflict::testutil::Replica;
using conflict::testutil::Text;

FieldSpec AnswerSpec(FieldSpec spec) {
  spec.answer = true;
  return spec;
}

class AnswerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(notices_.AddField("title", FieldSpec::Lww()).ok());
    ASSERT_TRUE(notices_.AddField("acknowledged_by", AnswerSpec(FieldSpec::Set())).ok());
    ASSERT_TRUE(notices_.AddField("copies_posted", AnswerSpec(FieldSpec::Counter())).ok());
    ASSERT_TRUE(
        county_.Write(notices_, MakeChange({AssignOp("title", Text("防汛演练"))}, kCounty)).ok());
  }

  // `village`'s answer to the county's notice, as it holds it then.
  Record Answered(Replica& village, Change change) {
    change.answer = true;
    EXPECT_TRUE(village.Write(notices_, change).ok());
    return village.record();
  }

  // The township fengpu's verdict on `received` from xiaban, holding `stored`.
  absl::Status FromXiaban(const Record& received, const Record& stored,
                          const CollectionSchema* collection) {
    auto decode = [&] { return absl::StatusOr<Record>(received); };
    const WholeRecord whole = decode;
    return CheckChangeFromChild({.record = received, .collection = collection, .whole = &whole},
                                kFengpu, kXiaban, [&] { return &stored; });
  }

  CollectionSchema notices_{"notices"};
  Replica county_{kCounty};
};

TEST(AnswerSchemaTest, OnlyASetOfStringsOrACounterMayBeAnAnswerField) {
  CollectionSchema notices("notices");
  EXPECT_TRUE(notices.AddField("acknowledged_by", AnswerSpec(FieldSpec::Set())).ok());
  EXPECT_TRUE(notices.AddField("copies", AnswerSpec(FieldSpec::Counter())).ok());
  const absl::Status reg = notices.AddField("title", AnswerSpec(FieldSpec::Lww()));
  EXPECT_EQ(reg.message(),
            "answer field \"title\" of \"notices\" must be a set of strings or a counter, each "
            "entry its writer's own");
  EXPECT_FALSE(
      notices.AddField("numbers", AnswerSpec(FieldSpec::Set(conflict::ValueType::kInt))).ok());
}

TEST(AnswerOwnerTest, AnElementNamesItsOwnerBeforeItsFirstColon) {
  EXPECT_EQ(AnswerOwner("gutian/fengpu/xiaban"), "gutian/fengpu/xiaban");
  EXPECT_EQ(AnswerOwner("gutian/fengpu/xiaban:已张贴: 村委会"), "gutian/fengpu/xiaban");
}

TEST_F(AnswerTest, AtTheApiAnAnswerIsTheWritersOwnEntries) {
  EXPECT_TRUE(CheckAnswer(MakeChange({AddOp("acknowledged_by", {Text(std::string(kXiaban))}),
                                      IncrementOp("copies_posted", 2)}),
                          notices_, kXiaban, kXiaban)
                  .ok());
  EXPECT_TRUE(CheckAnswer(MakeChange({RemoveOp("acknowledged_by",
                                               {Text(absl::StrCat(kXiaban, ":已张贴"))})}),
                          notices_, kXiaban, kXiaban)
                  .ok());
  const absl::Status other =
      CheckAnswer(MakeChange({AddOp("acknowledged_by", {Text(std::string(kShangban))})}), notices_,
                  kXiaban, kXiaban);
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(other.message(),
            "element \"gutian/fengpu/shangban\" of answer field \"acknowledged_by\" is not the "
            "writer's own: it must name a scope within gutian/fengpu/xiaban (the caller) and "
            "gutian/fengpu/xiaban (this node), as \"gutian/fengpu/xiaban\" or "
            "\"gutian/fengpu/xiaban:...\"");
  // A township's app writing at a village may answer only for that village.
  EXPECT_FALSE(CheckAnswer(MakeChange({AddOp("acknowledged_by", {Text(std::string(kFengpu))})}),
                           notices_, kFengpu, kXiaban)
                   .ok());
  EXPECT_EQ(CheckAnswer(MakeChange({AssignOp("title", Text("改"))}), notices_, kXiaban, kXiaban)
                .message(),
            "field \"title\" of \"notices\" is not an answer field, which only the record's scope "
            "writes");
  EXPECT_EQ(CheckAnswer(MakeChange({IncrementOp("copies_posted", 1)}, kXiaban), notices_, kXiaban,
                        kXiaban)
                .message(),
            "an answer cannot set the record's scope");
}

TEST_F(AnswerTest, AnAnswerIsAnAnnotationThatRevivesNothing) {
  Replica xiaban(kXiaban);
  xiaban.Receive(county_);
  const Record answered =
      Answered(xiaban, MakeChange({AddOp("acknowledged_by", {Text(std::string(kXiaban))})}));
  EXPECT_EQ(answered.state().presence, county_.record().state().presence);
  EXPECT_EQ(answered.state().scope, county_.record().state().scope);
  EXPECT_EQ(answered.AuthorOf(xiaban.last_dot()), std::nullopt) << "no author was given";
  // The county deletes the notice while xiaban is offline: its answer, come
  // later, is kept and the notice stays deleted.
  county_.Delete();
  county_.Receive(answered);
  EXPECT_FALSE(county_.record().alive());
  const conflict::FieldState* acks = county_.record().field("acknowledged_by");
  ASSERT_NE(acks, nullptr);
  EXPECT_TRUE(std::get<conflict::OrSet>(*acks).Contains(Text(std::string(kXiaban))));
}

TEST_F(AnswerTest, OnTheSyncPathAChildSendsUpOnlyItsOwnAnswers) {
  Replica xiaban(kXiaban);
  xiaban.Receive(county_);
  const Record stored = county_.record();
  const Record own =
      Answered(xiaban, MakeChange({AddOp("acknowledged_by", {Text(std::string(kXiaban))}),
                                   IncrementOp("copies_posted", 3)}));
  EXPECT_TRUE(FromXiaban(own, stored, &notices_).ok());
  // Without the schema's word, it stays refused as before answers.
  EXPECT_EQ(FromXiaban(own, stored, nullptr).message(),
            "it changes a record of scope gutian, outside gutian/fengpu/xiaban's authority");
  // Not an answer field.
  Replica forger(kXiaban);
  forger.Receive(county_);
  const absl::Status title = FromXiaban(
      Answered(forger, MakeChange({AssignOp("title", Text("伪造"))})), stored, &notices_);
  EXPECT_EQ(title.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(title.message(),
            absl::StrCat("it changes a record of scope gutian, outside gutian/fengpu/xiaban's "
                         "authority, and not as answers: it writes ",
                         forger.last_dot().ToString(),
                         " to field \"title\", which only the record's scope may change"));
}

TEST_F(AnswerTest, AChildMayNotAnswerForAnotherNorReviveNorDelete) {
  Replica forger(kXiaban);
  forger.Receive(county_);
  const Record stored = county_.record();
  const absl::Status other = FromXiaban(
      Answered(forger, MakeChange({AddOp("acknowledged_by", {Text(std::string(kShangban))})})),
      stored, &notices_);
  EXPECT_NE(other.message().find("an answer its writer gutian/fengpu/xiaban does not own"),
            std::string::npos)
      << other;
  // An ordinary write touches the record's presence: not an answer.
  Replica writer(kXiaban);
  writer.Receive(county_);
  ASSERT_TRUE(writer.Write(notices_, MakeChange({IncrementOp("copies_posted", 1)})).ok());
  EXPECT_NE(FromXiaban(writer.record(), stored, &notices_).message().find("presence"),
            std::string::npos);
  Replica deleter(kXiaban);
  deleter.Receive(county_);
  deleter.Delete();
  EXPECT_FALSE(FromXiaban(deleter.record(), stored, &notices_).ok());
}

TEST_F(AnswerTest, AChildWithdrawsOnlyItsOwnAnswer) {
  Replica shangban(kShangban);
  shangban.Receive(county_);
  Answered(shangban, MakeChange({AddOp("acknowledged_by", {Text(std::string(kShangban))})}));
  Replica xiaban(kXiaban);
  xiaban.Receive(county_);
  Answered(xiaban, MakeChange({AddOp("acknowledged_by", {Text(std::string(kXiaban))})}));
  // fengpu holds both answers, and xiaban learns of shangban's.
  Record stored = county_.record();
  stored.Join(shangban.record());
  stored.Join(xiaban.record());
  xiaban.Receive(stored);
  const Record withdrawn =
      Answered(xiaban, MakeChange({RemoveOp("acknowledged_by", {Text(std::string(kXiaban))})}));
  EXPECT_TRUE(FromXiaban(withdrawn, stored, &notices_).ok());
  const absl::Status removed = FromXiaban(
      Answered(xiaban, MakeChange({RemoveOp("acknowledged_by", {Text(std::string(kShangban))})})),
      stored, &notices_);
  EXPECT_NE(removed.message().find("it removes \"gutian/fengpu/shangban\" ("), std::string::npos)
      << removed;
  EXPECT_NE(removed.message().find("an answer not of gutian/fengpu/xiaban's subtree"),
            std::string::npos)
      << removed;
}

}  // namespace
}  // namespace sanji::authz
