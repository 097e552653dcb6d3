// Record codec: round trips are exact and byte-stable, and corrupt input is a
// DataLoss error that names the problem (ARCHITECTURE.md §5: a corrupt store
// entry or frame is refused, never merged).
#include "codec/record_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sanji::codec {
namespace {

using conflict::AddElements;
using conflict::Assign;
using conflict::Change;
using conflict::CollectionSchema;
using conflict::FieldSpec;
using conflict::Increment;
using conflict::Origin;
using conflict::Record;
using conflict::SetStatus;
using conflict::ValueType;
using ::testing::HasSubstr;

class RecordCodecTest : public ::testing::Test {
 protected:
  RecordCodecTest() : schema_("microloans") {
    EXPECT_TRUE(schema_.AddField("applicant", FieldSpec::Lww()).ok());
    EXPECT_TRUE(schema_.AddField("amount_fen", FieldSpec::Lww(ValueType::kInt)).ok());
    EXPECT_TRUE(schema_.AddField("rate", FieldSpec::Mv(ValueType::kDouble)).ok());
    EXPECT_TRUE(schema_.AddField("repaid_fen", FieldSpec::Counter()).ok());
    EXPECT_TRUE(schema_.AddField("guarantors", FieldSpec::Set()).ok());
    EXPECT_TRUE(schema_.AddField("insured", FieldSpec::Lww(ValueType::kBool)).ok());
    EXPECT_TRUE(
        schema_.AddField("status", FieldSpec::Status({"applied", "approved", "disbursed"})).ok());
  }

  // A loan written at a village, then edited concurrently by the village and
  // its township, merged: every field kind, two origins, an lww conflict.
  Record MergedLoan() {
    Change create{{{"applicant", Assign{std::string("李四")}},
                   {"amount_fen", Assign{int64_t{500000}}},
                   {"rate", Assign{0.045}},
                   {"repaid_fen", Increment{1200}},
                   {"guarantors", AddElements{{std::string("王五"), std::string("赵六")}}},
                   {"insured", Assign{true}},
                   {"status", SetStatus{"applied"}}},
                  "gutian/fengpu/xiaban"};
    Record base = *Record().Write(schema_, create, {village_, 3}, {1000, 0});
    Record at_village =
        *base.Write(schema_, Change{{{"amount_fen", Assign{int64_t{450000}}}}, std::nullopt},
                    {village_, 4}, {2000, 0});
    Record at_township = *base.Write(
        schema_,
        Change{{{"amount_fen", Assign{int64_t{400000}}}, {"status", SetStatus{"approved"}}},
               std::nullopt},
        {township_, 9}, {2000, 1});
    at_village.Join(at_township);
    return at_village;
  }

  CollectionSchema schema_;
  Origin village_{"gutian/fengpu/xiaban", 1};
  Origin township_{"gutian/fengpu", 2};
};

TEST_F(RecordCodecTest, RoundTripIsExact) {
  const Record original = MergedLoan();
  auto decoded = ParseRecord(SerializeRecord(original));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, original);
  EXPECT_EQ(decoded->DebugString(), original.DebugString());
}

TEST_F(RecordCodecTest, EqualRecordsEncodeToIdenticalBytes) {
  Record a = MergedLoan();
  Record b = MergedLoan();
  b.Join(a);  // joining an equal state changes nothing, bytes included
  EXPECT_EQ(SerializeRecord(a), SerializeRecord(b));
  EXPECT_EQ(SerializeRecord(*ParseRecord(SerializeRecord(a))), SerializeRecord(a));
}

// The direct writer must produce exactly what protoc's code does for the
// message, or stores and peers built either way would disagree.
void ExpectWriterMatchesGenerated(const Record& record) {
  v1::RecordState message;
  EncodeRecord(record, &message);
  EXPECT_EQ(SerializeRecord(record), message.SerializeAsString()) << record.DebugString();
}

TEST_F(RecordCodecTest, DirectWriterMatchesGeneratedCode) {
  ExpectWriterMatchesGenerated(MergedLoan());
  ExpectWriterMatchesGenerated(MergedLoan().Delete({village_, 5}, {3000, 0}));
  ExpectWriterMatchesGenerated(Record());
  // Edge values: negative and zero numbers, an empty string, a clock in 1970
  // (physical 0) and before it (negative), logical parts, a huge counter.
  Change edges{{{"applicant", Assign{std::string()}},
                {"amount_fen", Assign{int64_t{-1}}},
                {"rate", Assign{-0.0}},
                {"repaid_fen", Increment{-7}},
                {"insured", Assign{false}},
                {"status", SetStatus{"applied"}}},
               "gutian"};
  ExpectWriterMatchesGenerated(*Record().Write(schema_, edges, {village_, 1}, {0, 0}));
  ExpectWriterMatchesGenerated(*Record().Write(schema_, edges, {township_, ~0ULL >> 1}, {-5, 9}));
  Change zero{{{"amount_fen", Assign{int64_t{0}}}, {"repaid_fen", Increment{0}}}, "gutian"};
  ExpectWriterMatchesGenerated(*Record().Write(schema_, zero, {{"", 0}, 1}, {1, 0}));
}

TEST_F(RecordCodecTest, TombstoneRoundTrips) {
  const Record deleted = MergedLoan().Delete({village_, 5}, {3000, 0});
  auto decoded = ParseRecord(SerializeRecord(deleted));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_FALSE(decoded->alive());
  EXPECT_EQ(decoded->scope(), "gutian/fengpu/xiaban");
  EXPECT_EQ(*decoded, deleted);
}

TEST_F(RecordCodecTest, OriginsAreWrittenOncePerRecord) {
  v1::RecordState message;
  EncodeRecord(MergedLoan(), &message);
  EXPECT_EQ(message.origins_size(), 2);
}

TEST_F(RecordCodecTest, GarbageBytesAreDataLoss) {
  auto decoded = ParseRecord("\xff\xff\xff\xff garbage");
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("do not parse"));
}

// A sender forwards stored bytes on the strength of their head alone, so the
// head must be what the full decode reads, checked as the strict reader
// checks it: bytes in another order than the writer's are refused.
TEST_F(RecordCodecTest, HeadIsTheFullDecodesContextAndScope) {
  auto head = ParseRecordHead(SerializeRecord(MergedLoan()));
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->context, MergedLoan().context());
  EXPECT_EQ(head->scope, MergedLoan().scope());

  v1::RecordState message;
  EncodeRecord(MergedLoan(), &message);
  v1::RecordState head_last = message;
  head_last.clear_origins();
  head_last.clear_scope();
  v1::RecordState head_only;
  *head_only.mutable_origins() = message.origins();
  *head_only.mutable_scope() = message.scope();
  // Concatenated messages parse as their merge, with the origins and the
  // scope after every other field: not the writer's order.
  EXPECT_EQ(ParseRecordHead(head_last.SerializeAsString() + head_only.SerializeAsString())
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseRecordHead("\xff\xff\xff\xff garbage").status().code(),
            absl::StatusCode::kDataLoss);
  message.mutable_context(0)->set_origin(7);
  auto bad_context = ParseRecordHead(message.SerializeAsString());
  EXPECT_EQ(bad_context.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(bad_context.status().message(), HasSubstr("context entry 0: names origin 7"));
}

TEST_F(RecordCodecTest, OriginIndexOutOfRangeIsDataLoss) {
  v1::RecordState message;
  EncodeRecord(MergedLoan(), &message);
  message.mutable_fields(0)->mutable_entries(0)->set_origin(7);
  auto decoded = DecodeRecord(message);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("origin index 7"));
}

TEST_F(RecordCodecTest, RegisterEntryWithoutValueIsDataLoss) {
  v1::RecordState message;
  EncodeRecord(MergedLoan(), &message);
  message.mutable_fields(0)->mutable_entries(0)->clear_value();
  auto decoded = DecodeRecord(message);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("no value"));
}

TEST_F(RecordCodecTest, UnknownFieldKindIsDataLoss) {
  v1::RecordState message;
  EncodeRecord(MergedLoan(), &message);
  message.mutable_fields(0)->set_kind(static_cast<v1::RecordField::StateKind>(42));
  auto decoded = DecodeRecord(message);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("unknown kind"));
}

TEST_F(RecordCodecTest, RepeatedFieldIsDataLoss) {
  v1::RecordState message;
  EncodeRecord(MergedLoan(), &message);
  *message.add_fields() = message.fields(0);
  auto decoded = DecodeRecord(message);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("appears twice"));
}

TEST_F(RecordCodecTest, DotAboveContextIsDataLoss) {
  v1::RecordState message;
  EncodeRecord(MergedLoan(), &message);
  message.mutable_fields(0)->mutable_entries(0)->set_counter(1000);
  auto decoded = DecodeRecord(message);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("does not cover"));
}

TEST_F(RecordCodecTest, NegativeStatusRankIsDataLoss) {
  v1::RecordState message;
  EncodeRecord(MergedLoan(), &message);
  for (v1::RecordField& field : *message.mutable_fields()) {
    if (field.kind() == v1::RecordField::STATUS) field.mutable_entries(0)->set_number(-1);
  }
  auto decoded = DecodeRecord(message);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("status rank -1"));
}

}  // namespace
}  // namespace sanji::codec
