// A clock that ran ahead and was corrected (conflict/hlc.h, "StepBack"):
// the HLC keeps writing from its saved time, steps back only when a
// reference clock confirms the physical one, and never for a box whose own
// clock is the wrong one (1970).
#include <cstdint>
#include <optional>

#include "conflict/clock.h"
#include "conflict/hlc.h"
#include "gtest/gtest.h"
#include "tests/conflict/test_util.h"

namespace sanji::conflict {
namespace {

using testutil::kDemoMicros;
using testutil::kSecond;

constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kMaxSkew = 5 * kMinute;

class HlcStepBackTest : public ::testing::Test {
 protected:
  HybridLogicalClock::Options Options() {
    HybridLogicalClock::Options options;
    options.max_skew_micros = kMaxSkew;
    options.reference = &parent_;
    return options;
  }

  // The box's clock ran 10 minutes ahead while the clock stamped a write.
  HybridLogicalClock& RanAheadThenCorrected() {
    clock_.Set(kDemoMicros + 10 * kMinute);
    hlc_.Now();
    clock_.Set(kDemoMicros);
    return hlc_;
  }

  ManualClock clock_{kDemoMicros};
  ManualReferenceClock parent_;
  HybridLogicalClock hlc_{&clock_, Options()};
};

// Without a word from the parent the clock cannot tell a corrected clock
// from a wrong one: it goes on from its saved time, the logical part
// counting, and says how far ahead it is.
TEST_F(HlcStepBackTest, WithoutAReferenceItKeepsWritingFromTheSavedTime) {
  HybridLogicalClock& hlc = RanAheadThenCorrected();
  const HlcTimestamp ahead = hlc.Last();
  EXPECT_EQ(hlc.LeadMicros(), 10 * kMinute);
  const HlcTimestamp next = hlc.Now();
  EXPECT_EQ(next, (HlcTimestamp{ahead.physical_micros, ahead.logical + 1}));
  EXPECT_EQ(hlc.step_back_count(), 0);
}

// The parent's clock agrees with the corrected one: the next timestamp is
// within the parent's bound (it would refuse one 10 minutes ahead).
TEST_F(HlcStepBackTest, AParentClockThatConfirmsTheMachineClockStepsItBack) {
  HybridLogicalClock& hlc = RanAheadThenCorrected();
  const HlcTimestamp ahead = hlc.Last();
  parent_.Set(kDemoMicros + 2 * kSecond);  // a little ahead, as clocks are
  const HlcTimestamp next = hlc.Now();
  EXPECT_EQ(next.physical_micros, kDemoMicros + 2 * kSecond);
  EXPECT_LE(next.physical_micros, *parent_.NowMicros() + kMaxSkew);
  EXPECT_EQ(hlc.step_back_count(), 1);
  EXPECT_EQ(hlc.last_stepped_from(), ahead);
  // From then on it is an ordinary HLC again.
  EXPECT_GT(hlc.Now(), next);
  clock_.Advance(kMinute);
  EXPECT_EQ(hlc.Now(), (HlcTimestamp{kDemoMicros + kMinute, 0}));
  EXPECT_EQ(hlc.step_back_count(), 1);
}

// A box that booted in 1970 keeps its saved time: the parent's clock is
// near it, so the machine's clock is the wrong one.
TEST_F(HlcStepBackTest, ABoxIn1970KeepsItsSavedTimeAgainstItsParent) {
  hlc_.Restore(HlcTimestamp{kDemoMicros, 41});
  clock_.Set(0);
  parent_.Set(kDemoMicros + kMinute);
  EXPECT_EQ(hlc_.Now(), (HlcTimestamp{kDemoMicros, 42}));
  EXPECT_EQ(hlc_.step_back_count(), 0);
}

// A machine clock still ahead: nothing to step back to (the wall clock is
// what is wrong; the parent refuses until it is set).
TEST_F(HlcStepBackTest, AMachineClockStillAheadIsNotSteppedBelow) {
  clock_.Set(kDemoMicros + 10 * kMinute);
  hlc_.Now();
  parent_.Set(kDemoMicros);
  EXPECT_EQ(hlc_.Now().physical_micros, kDemoMicros + 10 * kMinute);
  EXPECT_EQ(hlc_.step_back_count(), 0);
}

// Within half the skew bound of the reference, the saved time stands: the
// parent accepts it, and stepping back would only reorder for nothing.
TEST_F(HlcStepBackTest, ALeadWithinHalfTheBoundStands) {
  clock_.Set(kDemoMicros + kMaxSkew / 2);
  const HlcTimestamp ahead = hlc_.Now();
  clock_.Set(kDemoMicros);
  parent_.Set(kDemoMicros);
  EXPECT_EQ(hlc_.Now(), (HlcTimestamp{ahead.physical_micros, 1}));
  EXPECT_EQ(hlc_.step_back_count(), 0);
}

// A parent whose clock is far behind cannot drag the clock below this
// machine's own.
TEST_F(HlcStepBackTest, AReferenceBehindStepsBackNoFurtherThanTheMachineClock) {
  HybridLogicalClock& hlc = RanAheadThenCorrected();
  parent_.Set(kDemoMicros - 24 * 60 * kMinute);
  EXPECT_EQ(hlc.Now().physical_micros, kDemoMicros);
}

// The operator's way out (sanjid --reset-clock): the machine's clock as the
// reference, no lead allowed.
TEST_F(HlcStepBackTest, AnOperatorStepsBackToTheMachineClock) {
  HybridLogicalClock& hlc = RanAheadThenCorrected();
  const std::optional<HlcTimestamp> from = hlc.StepBack(clock_.NowMicros(), 0);
  ASSERT_TRUE(from.has_value());
  EXPECT_EQ(from->physical_micros, kDemoMicros + 10 * kMinute);
  EXPECT_EQ(hlc.Last(), (HlcTimestamp{kDemoMicros, 0}));
  EXPECT_EQ(hlc.LeadMicros(), 0);
  EXPECT_FALSE(hlc.StepBack(clock_.NowMicros(), 0).has_value()) << "once is enough";
}

}  // namespace
}  // namespace sanji::conflict
