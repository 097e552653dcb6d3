// The store's HLC after a clock that ran ahead was corrected
// (conflict/hlc.h, "StepBack"): a step back is durable, so that a restart
// does not bring back the time it left; without one, the saved time holds
// across a restart (ARCHITECTURE.md §2: the HLC is persisted and monotonic).
#include <gtest/gtest.h>

#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

constexpr int64_t kMinute = 60'000'000;

class ClockStepTest : public StoreTest {
 protected:
  // A write stamped while the clock ran 10 minutes ahead; then the clock is
  // corrected.
  void WriteAheadThenCorrect(Store& store) {
    clock_.Advance(10 * kMinute);
    ASSERT_TRUE(store.Write(kTickets, "T-1", SetTitle("ahead")).ok());
    clock_.Advance(-10 * kMinute);
  }
};

TEST_F(ClockStepTest, TheSavedTimeHoldsAcrossARestartWithoutEvidence) {
  {
    auto store = OpenStore();
    WriteAheadThenCorrect(*store);
  }
  auto store = OpenStore();
  EXPECT_EQ(store->ClockLeadMicros(), 10 * kMinute);
  absl::StatusOr<WriteResult> next = store->Write(kTickets, "T-2", SetTitle("next"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->timestamp.physical_micros, kStartMicros + 10 * kMinute);
}

TEST_F(ClockStepTest, AnOperatorsStepBackIsDurable) {
  {
    auto store = OpenStore();
    WriteAheadThenCorrect(*store);
    absl::StatusOr<std::optional<conflict::HlcTimestamp>> stepped =
        store->StepClockBack(clock_.NowMicros(), 0);
    ASSERT_TRUE(stepped.ok()) << stepped.status();
    ASSERT_TRUE(stepped->has_value());
    EXPECT_EQ((*stepped)->physical_micros, kStartMicros + 10 * kMinute);
    EXPECT_EQ(store->ClockLeadMicros(), 0);
    EXPECT_EQ(store->stats().clock_steps_back, 1);
    // Not ahead any more: nothing to do, nothing committed.
    const uint64_t commits = store->stats().commits;
    stepped = store->StepClockBack(clock_.NowMicros(), 0);
    ASSERT_TRUE(stepped.ok());
    EXPECT_FALSE(stepped->has_value());
    EXPECT_EQ(store->stats().commits, commits);
  }
  auto store = OpenStore();
  EXPECT_EQ(store->ClockLeadMicros(), 0);
  absl::StatusOr<WriteResult> next = store->Write(kTickets, "T-2", SetTitle("next"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->timestamp.physical_micros, kStartMicros);
}

// The parent's clock confirms the machine's: the next write steps back
// before it is stamped, the owner hears of it once it is durable, and the
// restart keeps it.
TEST_F(ClockStepTest, AReferenceThatConfirmsTheClockStepsBackAtTheNextWrite) {
  conflict::ManualReferenceClock parent;
  std::vector<std::pair<conflict::HlcTimestamp, conflict::HlcTimestamp>> steps;
  Options options = MakeOptions();
  options.reference_clock = &parent;
  options.on_clock_step = [&](conflict::HlcTimestamp from, conflict::HlcTimestamp to) {
    steps.emplace_back(from, to);
  };
  {
    auto store = OpenStore(options);
    WriteAheadThenCorrect(*store);
    parent.Set(clock_.NowMicros());
    absl::StatusOr<WriteResult> next = store->Write(kTickets, "T-2", SetTitle("next"));
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(next->timestamp.physical_micros, kStartMicros);
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].first.physical_micros, kStartMicros + 10 * kMinute);
    EXPECT_EQ(steps[0].second, next->timestamp);
    // The later write replaces the earlier one it saw, stamps aside.
    ASSERT_TRUE(store->Write(kTickets, "T-1", SetTitle("after")).ok());
    absl::StatusOr<conflict::Record> record = store->Get(kTickets, "T-1");
    ASSERT_TRUE(record.ok());
    const auto& title = std::get<conflict::ValueRegister>(
        record->state().fields.at(conflict::FieldKey{"title", conflict::StateKind::kRegister}));
    EXPECT_EQ(title.entries().size(), 1u);
    EXPECT_EQ(title.Winner().payload.value, conflict::Value(std::string("after")));
  }
  parent.Set(std::nullopt);
  auto store = OpenStore(options);
  EXPECT_EQ(store->ClockLeadMicros(), 0);
}

}  // namespace
}  // namespace sanji::store::testing
