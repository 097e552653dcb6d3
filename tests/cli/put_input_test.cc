// put's FIELD=VALUE input typed by the schema (ARCHITECTURE.md §6: values
// typed by the schema; STYLE.md: messages name the object and the value).
#include "cli/put_input.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sanji::cli {
namespace {

using ::testing::HasSubstr;

conflict::CollectionSchema Microloans() {
  conflict::CollectionSchema loans("microloans");
  EXPECT_TRUE(loans.AddField("applicant", conflict::FieldSpec::Lww()).ok());
  EXPECT_TRUE(
      loans.AddField("amount_fen", conflict::FieldSpec::Lww(conflict::ValueType::kInt)).ok());
  EXPECT_TRUE(loans.AddField("rate", conflict::FieldSpec::Mv(conflict::ValueType::kDouble)).ok());
  EXPECT_TRUE(loans.AddField("urgent", conflict::FieldSpec::Lww(conflict::ValueType::kBool)).ok());
  EXPECT_TRUE(loans.AddField("repaid_fen", conflict::FieldSpec::Counter()).ok());
  EXPECT_TRUE(loans.AddField("tags", conflict::FieldSpec::Set()).ok());
  EXPECT_TRUE(
      loans.AddField("status", conflict::FieldSpec::Status({"applied", "approved", "repaid"}))
          .ok());
  return loans;
}

absl::StatusOr<std::vector<v1::FieldOperation>> Ops(const PutInput& input) {
  return OperationsFromInput(Microloans(), input);
}

TEST(PutInputTest, TypesEachValueByItsField) {
  PutInput input;
  input.assign = {"applicant=林秀英", "amount_fen=500000", "rate=0.035", "urgent=true",
                  "status=approved"};
  input.increment = {"repaid_fen=-200"};
  input.add = {"tags=春耕", "tags=茶叶"};
  absl::StatusOr<std::vector<v1::FieldOperation>> ops = Ops(input);
  ASSERT_TRUE(ops.ok()) << ops.status();
  ASSERT_EQ(ops->size(), 7u);  // in field-name order
  EXPECT_EQ((*ops)[0].field(), "amount_fen");
  EXPECT_EQ((*ops)[0].assign().integer(), 500000);
  EXPECT_EQ((*ops)[1].assign().text(), "林秀英");
  EXPECT_DOUBLE_EQ((*ops)[2].assign().real(), 0.035);
  EXPECT_EQ((*ops)[3].increment(), -200);
  EXPECT_EQ((*ops)[4].set_status(), "approved");
  ASSERT_EQ((*ops)[5].add().values_size(), 2);
  EXPECT_EQ((*ops)[5].add().values(1).text(), "茶叶");
  EXPECT_TRUE((*ops)[6].assign().flag());
}

// A renamed field is typed by its spec under any of its names; the API
// maps the name to the stored one.
TEST(PutInputTest, ARenamedFieldIsTypedUnderEachOfItsNames) {
  conflict::CollectionSchema loans("microloans");
  conflict::FieldSpec amount = conflict::FieldSpec::Lww(conflict::ValueType::kInt);
  amount.renamed_to = {"principal_fen"};
  ASSERT_TRUE(loans.AddField("amount_fen", amount).ok());
  PutInput input;
  input.assign = {"principal_fen=300000"};
  absl::StatusOr<std::vector<v1::FieldOperation>> ops = OperationsFromInput(loans, input);
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_EQ((*ops)[0].field(), "principal_fen");
  EXPECT_EQ((*ops)[0].assign().integer(), 300000);
  input.assign = {"amount_fen=x"};
  ops = OperationsFromInput(loans, input);
  EXPECT_THAT(ops.status().message(), HasSubstr("amount_fen"));
}

TEST(PutInputTest, TextMayHoldEqualsSigns) {
  PutInput input;
  input.assign = {"applicant=a=b"};
  absl::StatusOr<std::vector<v1::FieldOperation>> ops = Ops(input);
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_EQ((*ops)[0].assign().text(), "a=b");
}

// Issue 22: `put ... $'title=\xff\xfe'` printed a raw libprotobuf line and
// an empty error.
TEST(PutInputTest, TextThatIsNotUtf8IsRefusedNamingTheField) {
  PutInput input;
  input.assign = {"applicant=\xff\xfe"};
  const absl::Status refused = Ops(input).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("assignment of field applicant is not UTF-8 text"));
  input.assign.clear();
  input.add = {"tags=\xc0\xaf"};  // an overlong '/'
  EXPECT_THAT(Ops(input).status().message(), HasSubstr("--add of field tags is not UTF-8"));
}

TEST(PutInputTest, ValueThatDoesNotFitNamesFieldKindAndText) {
  PutInput input;
  input.assign = {"amount_fen=五千"};
  EXPECT_EQ(Ops(input).status().message(),
            "field amount_fen (lww of int) takes an integer: \"五千\" is not one");
  input.assign = {"rate=high"};
  EXPECT_THAT(Ops(input).status().message(), HasSubstr("rate (mv of double) takes a number"));
  input.assign = {"urgent=maybe"};
  EXPECT_THAT(Ops(input).status().message(), HasSubstr("takes true or false"));
  input.assign = {"status=lost"};
  EXPECT_THAT(Ops(input).status().message(),
              HasSubstr("status (status (applied < approved < repaid))"));
}

TEST(PutInputTest, OperationThatDoesNotFitTheKindSaysWhatToWrite) {
  PutInput input;
  input.assign = {"repaid_fen=3"};
  EXPECT_THAT(Ops(input).status().message(), HasSubstr("write --incr repaid_fen=N"));
  input.assign = {"tags=x"};
  EXPECT_THAT(Ops(input).status().message(), HasSubstr("write --add tags=VALUE"));
  input.assign.clear();
  input.increment = {"amount_fen=3"};
  EXPECT_THAT(Ops(input).status().message(), HasSubstr("is lww of int, not counter"));
}

TEST(PutInputTest, RefusesMalformedUnknownAndRepeatedFields) {
  for (const std::vector<std::string>& assign : std::vector<std::vector<std::string>>{
           {"applicant"}, {"=x"}, {"nosuch=1"}, {"applicant=a", "applicant=b"}}) {
    PutInput input;
    input.assign = assign;
    EXPECT_EQ(Ops(input).status().code(), absl::StatusCode::kInvalidArgument) << assign[0];
  }
  PutInput both;
  both.add = {"tags=a"};
  both.remove = {"tags=b"};
  EXPECT_THAT(Ops(both).status().message(), HasSubstr("tags is written twice"));
}

}  // namespace
}  // namespace sanji::cli
