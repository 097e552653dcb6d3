// The node status record (ARCHITECTURE.md §6: "each node writes its own
// status ... into a system collection that replicates upward"): when it is
// written (node/status_schedule.h, on made-up times) and what one write puts
// in the store (node/status_writer.h, over a real store and a manual clock).
#include "node/status_writer.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "node/status_schedule.h"
#include "node/status_schema.h"
#include "tests/store/store_test_util.h"

namespace sanji::node {
namespace {

using store::testing::kNode;
using store::testing::kStartMicros;

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kPeriod = 60 * kSecond;
constexpr int64_t kDebounce = 5 * kSecond;

TEST(StatusScheduleTest, WritesAtStartThenOncePerPeriodWhenNothingChanges) {
  StatusSchedule schedule(kPeriod, kDebounce);
  EXPECT_TRUE(schedule.Due(kStartMicros, "live"));
  schedule.Written(kStartMicros, "live");
  EXPECT_FALSE(schedule.Due(kStartMicros + kSecond, "live"));
  EXPECT_FALSE(schedule.Due(kStartMicros + kPeriod - 1, "live"));
  EXPECT_TRUE(schedule.Due(kStartMicros + kPeriod, "live"));
}

TEST(StatusScheduleTest, AChangeWritesAtMostOncePerDebounce) {
  StatusSchedule schedule(kPeriod, kDebounce);
  schedule.Written(kStartMicros, "connecting");
  // A link that flaps right after a write waits out the debounce...
  EXPECT_FALSE(schedule.Due(kStartMicros + kSecond, "live"));
  EXPECT_FALSE(schedule.Due(kStartMicros + kDebounce - 1, "backoff"));
  // ...and then its latest state is written, long before the period.
  EXPECT_TRUE(schedule.Due(kStartMicros + kDebounce, "live"));
  schedule.Written(kStartMicros + kDebounce, "live");
  EXPECT_FALSE(schedule.Due(kStartMicros + kDebounce + kSecond, "backoff"));
  // A change undone before the debounce passed needs no write.
  EXPECT_FALSE(schedule.Due(kStartMicros + 2 * kDebounce, "live"));
}

TEST(StatusScheduleTest, AFailedWriteIsRetriedAfterTheDebounce) {
  StatusSchedule schedule(kPeriod, kDebounce);
  schedule.Failed(kStartMicros);
  EXPECT_FALSE(schedule.Due(kStartMicros + kSecond, "live"));
  EXPECT_TRUE(schedule.Due(kStartMicros + kDebounce, "live"));
}

TEST(StatusScheduleTest, AClockSetBackWritesRatherThanWaitingForItToCatchUp) {
  StatusSchedule schedule(kPeriod, kDebounce);
  schedule.Written(kStartMicros, "live");
  EXPECT_TRUE(schedule.Due(kStartMicros - 3600 * kSecond, "live"));
}

void AddEntry(v1::VersionVector& vector, const std::string& node, uint64_t counter) {
  v1::VersionVector::Entry& entry = *vector.add_entries();
  entry.mutable_origin()->set_node_id(node);
  entry.mutable_origin()->set_incarnation(1);
  entry.set_counter(counter);
}

TEST(LagByOriginTest, CountsWhatEachSideHoldsThatTheOtherLacksPerOrigin) {
  v1::VersionVector village;
  AddEntry(village, "gutian", 40);
  AddEntry(village, "gutian/fengpu/xiaban", 530);
  v1::VersionVector township;
  AddEntry(township, "gutian", 52);
  AddEntry(township, "gutian/fengpu", 9);
  AddEntry(township, "gutian/fengpu/xiaban", 7);
  const std::vector<OriginLag> lag = LagByOrigin(village, township);
  ASSERT_EQ(lag.size(), 3u);
  EXPECT_EQ(LagText(lag), "gutian#1 +0 -12, gutian/fengpu#1 +0 -9, gutian/fengpu/xiaban#1 +523 -0");
  EXPECT_EQ(LagText(LagByOrigin(village, village)), "0");
}

class StatusWriterTest : public store::testing::StoreTest {
 protected:
  StatusWriterTest() {
    EXPECT_TRUE(AddSystemCollections(schema_).ok());
    store_ = OpenStore();
    parent_.set_role(v1::LinkStatus::PARENT);
    parent_.set_peer("gutian/fengpu");
    parent_.set_state(v1::LinkStatus::CONNECTING);
    parent_.set_since_micros(kStartMicros);
  }

  std::unique_ptr<StatusWriter> MakeWriter() {
    StatusWriterOptions options;
    options.period = std::chrono::seconds(60);
    options.data_dir = store_path();
    options.status = [this] {
      v1::NodeStatus status;
      status.set_node_id(kNode);
      status.set_version("test");
      status.set_refused_items(refused_);
      status.set_schema_version(schema_version_);
      *status.mutable_knowledge() = knowledge_;
      *status.add_links() = parent_;
      return status;
    };
    return std::make_unique<StatusWriter>(store_.get(), &schema_, &notifier_, &clock_,
                                          std::move(options));
  }

  uint64_t Writes() const { return notifier_.commits(); }

  std::unique_ptr<store::Store> store_;
  CommitNotifier notifier_;
  v1::LinkStatus parent_;
  v1::VersionVector knowledge_;
  uint64_t schema_version_ = 0;
  uint64_t refused_ = 0;
};

int64_t IntField(const conflict::Record& record, const char* field) {
  return std::get<int64_t>(
      std::get<conflict::ValueRegister>(*record.field(field)).Winner().payload.value);
}
std::string TextField(const conflict::Record& record, const char* field) {
  return std::get<std::string>(
      std::get<conflict::ValueRegister>(*record.field(field)).Winner().payload.value);
}

TEST_F(StatusWriterTest, WritesItsRecordAtStartInItsOwnStatusScope) {
  std::unique_ptr<StatusWriter> writer = MakeWriter();
  ASSERT_TRUE(writer->TickForTest().ok());
  EXPECT_EQ(Writes(), 1u);
  absl::StatusOr<conflict::Record> record = store_->Get(kStatusCollection, kNode);
  ASSERT_TRUE(record.ok()) << record.status();
  // Held by the node and its ancestors only (status_schema.h).
  EXPECT_EQ(record->scope(), std::string(kNode) + "/@status");
  EXPECT_EQ(TextField(*record, status_field::kParent), "gutian/fengpu");
  EXPECT_EQ(TextField(*record, status_field::kParentState), "connecting");
  EXPECT_EQ(IntField(*record, status_field::kUpdated), kStartMicros);
  EXPECT_EQ(IntField(*record, status_field::kPeriod), 60);
  EXPECT_EQ(IntField(*record, status_field::kInSync), 0);
  EXPECT_EQ(TextField(*record, status_field::kRecords), "tickets=0");
  EXPECT_GT(IntField(*record, status_field::kDiskBytes), 0);
  // No session with the parent yet: the lag is unknown, not zero.
  EXPECT_EQ(TextField(*record, status_field::kLag), "");
}

TEST_F(StatusWriterTest, WritesTheChangesItAndItsParentLackFromTheLastSessionsKnowledge) {
  AddEntry(knowledge_, kNode, 30);
  AddEntry(*parent_.mutable_peer_knowledge(), kNode, 26);
  AddEntry(*parent_.mutable_peer_knowledge(), "gutian", 5);
  std::unique_ptr<StatusWriter> writer = MakeWriter();
  ASSERT_TRUE(writer->TickForTest().ok());
  absl::StatusOr<conflict::Record> record = store_->Get(kStatusCollection, kNode);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(IntField(*record, status_field::kParentLacks), 4);
  EXPECT_EQ(IntField(*record, status_field::kBehind), 5);
  EXPECT_EQ(TextField(*record, status_field::kLag),
            absl::StrCat("gutian#1 +0 -5, ", kNode, "#1 +4 -0"));
}

TEST_F(StatusWriterTest, WritesOnALinkChangeAfterTheDebounceAndOtherwiseOncePerPeriod) {
  std::unique_ptr<StatusWriter> writer = MakeWriter();
  ASSERT_TRUE(writer->TickForTest().ok());
  clock_.Advance(kSecond);
  ASSERT_TRUE(writer->TickForTest().ok());
  EXPECT_EQ(Writes(), 1u) << "nothing changed";

  parent_.set_state(v1::LinkStatus::LIVE);
  ASSERT_TRUE(writer->TickForTest().ok());
  EXPECT_EQ(Writes(), 1u) << "within the debounce";
  clock_.Advance(kDebounce);
  ASSERT_TRUE(writer->TickForTest().ok());
  EXPECT_EQ(Writes(), 2u);
  absl::StatusOr<conflict::Record> record = store_->Get(kStatusCollection, kNode);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(TextField(*record, status_field::kParentState), "live");
  EXPECT_EQ(IntField(*record, status_field::kInSync), kStartMicros + kSecond + kDebounce);

  clock_.Advance(kPeriod - kSecond);
  ASSERT_TRUE(writer->TickForTest().ok());
  EXPECT_EQ(Writes(), 2u);
  clock_.Advance(kSecond);
  ASSERT_TRUE(writer->TickForTest().ok());
  EXPECT_EQ(Writes(), 3u) << "the period passed";
}

TEST_F(StatusWriterTest, NewRefusalsMakeAWriteDue) {
  std::unique_ptr<StatusWriter> writer = MakeWriter();
  ASSERT_TRUE(writer->TickForTest().ok());
  refused_ = 3;
  clock_.Advance(kDebounce);
  ASSERT_TRUE(writer->TickForTest().ok());
  EXPECT_EQ(Writes(), 2u);
  absl::StatusOr<conflict::Record> record = store_->Get(kStatusCollection, kNode);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(IntField(*record, status_field::kRefusedItems), 3);
}

TEST_F(StatusWriterTest, AnAdoptedSchemaVersionMakesAWriteDue) {
  std::unique_ptr<StatusWriter> writer = MakeWriter();
  ASSERT_TRUE(writer->TickForTest().ok());
  schema_version_ = 2;
  clock_.Advance(kDebounce);
  ASSERT_TRUE(writer->TickForTest().ok());
  EXPECT_EQ(Writes(), 2u);
  absl::StatusOr<conflict::Record> record = store_->Get(kStatusCollection, kNode);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(IntField(*record, status_field::kSchemaVersion), 2);
}

TEST_F(StatusWriterTest, CountsTheConflictsStillOpen) {
  std::unique_ptr<StatusWriter> writer = MakeWriter();
  store::testing::MakeTitleConflicts(*store_, schema_);
  ASSERT_TRUE(store_->ResolveConflict(1).ok());
  ASSERT_TRUE(writer->TickForTest().ok());
  absl::StatusOr<conflict::Record> record = store_->Get(kStatusCollection, kNode);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(IntField(*record, status_field::kConflicts), 2);
  EXPECT_EQ(IntField(*record, status_field::kOpenConflicts), 1);
}

TEST_F(StatusWriterTest, StopsCleanlyWhileRunning) {
  std::unique_ptr<StatusWriter> writer = MakeWriter();
  writer->Start();
  ASSERT_EQ(notifier_.WaitBeyond(0, std::chrono::steady_clock::now() + std::chrono::seconds(10)),
            1u);
  writer->Stop();
  writer->Stop();  // idempotent
}

}  // namespace
}  // namespace sanji::node
