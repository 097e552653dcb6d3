#include "conflict/hlc.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "conflict/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/conflict/test_util.h"

namespace sanji::conflict {
namespace {

using ::testing::HasSubstr;
using testutil::kDemoMicros;
using testutil::kSecond;

constexpr int64_t kDay = 24 * 3600 * kSecond;
constexpr int64_t kMaxSkew = 5 * 60 * kSecond;

HybridLogicalClock::Options SkewOptions() {
  HybridLogicalClock::Options options;
  options.max_skew_micros = kMaxSkew;
  return options;
}

// ARCHITECTURE.md §2: lww is ordered by an HLC; timestamps it hands out strictly increase.
TEST(HlcTest, NowIsStrictlyIncreasing) {
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  HlcTimestamp previous = hlc.Now();
  EXPECT_EQ(previous, (HlcTimestamp{kDemoMicros, 0}));
  for (int i = 0; i < 100; ++i) {
    if (i % 3 == 0) clock.Advance(1);  // sometimes the clock moves, sometimes not
    const HlcTimestamp next = hlc.Now();
    EXPECT_GT(next, previous);
    EXPECT_EQ(hlc.Last(), next);
    previous = next;
  }
  // Stays close to physical time: never behind the physical clock.
  EXPECT_GE(previous.physical_micros, clock.NowMicros());
}

TEST(HlcTest, FollowsPhysicalClockWhenItMovesForward) {
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  hlc.Now();
  hlc.Now();
  clock.Advance(kSecond);
  EXPECT_EQ(hlc.Now(), (HlcTimestamp{kDemoMicros + kSecond, 0}));
}

// ARCHITECTURE.md §2: the HLC is monotonic even when the physical clock jumps back (NTP).
TEST(HlcTest, ClockSetBackADayKeepsIncreasing) {
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  const HlcTimestamp before = hlc.Now();
  clock.Set(kDemoMicros - kDay);
  const HlcTimestamp first = hlc.Now();
  const HlcTimestamp second = hlc.Now();
  EXPECT_GT(first, before);
  EXPECT_GT(second, first);
  // The physical part holds; the logical part grows.
  EXPECT_EQ(first, (HlcTimestamp{before.physical_micros, before.logical + 1}));
  EXPECT_EQ(second, (HlcTimestamp{before.physical_micros, before.logical + 2}));
}

// ARCHITECTURE.md §2: the HLC is persisted and monotonic across restarts.
TEST(HlcTest, RestartWithClockBehindPersistedStateStaysAbove) {
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  for (int i = 0; i < 10; ++i) hlc.Now();
  const HlcTimestamp persisted = hlc.Last();

  // The box restarts an hour behind what it persisted.
  ManualClock restarted_clock(kDemoMicros - 3600 * kSecond);
  HybridLogicalClock restarted(&restarted_clock, SkewOptions());
  restarted.Restore(persisted);
  EXPECT_EQ(restarted.Last(), persisted);
  const HlcTimestamp first = restarted.Now();
  EXPECT_GT(first, persisted);
  EXPECT_GT(restarted.Now(), first);
}

// ARCHITECTURE.md §2: a mini PC without an RTC battery boots in 1970.
TEST(HlcTest, VillageBootsIn1970StaysAbovePersisted) {
  const HlcTimestamp persisted{kDemoMicros, 41};
  ManualClock clock(0);
  HybridLogicalClock hlc(&clock, SkewOptions());
  hlc.Restore(persisted);
  HlcTimestamp previous = persisted;
  for (int i = 0; i < 5; ++i) {
    clock.Advance(kSecond);  // time passes in 1970
    const HlcTimestamp next = hlc.Now();
    EXPECT_GT(next, previous);
    previous = next;
  }
  EXPECT_EQ(previous.physical_micros, kDemoMicros);
}

TEST(HlcTest, RestoreNeverLowersTheClock) {
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  const HlcTimestamp issued = hlc.Now();
  hlc.Restore(HlcTimestamp{kDemoMicros - kDay, 0});
  EXPECT_EQ(hlc.Last(), issued);
  EXPECT_GT(hlc.Now(), issued);
}

// ARCHITECTURE.md §2 (HLC causality): after observing a remote, local timestamps exceed it.
TEST(HlcTest, ObserveWithinSkewAdvancesPastRemote) {
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  hlc.Now();
  const HlcTimestamp remote{kDemoMicros + kMaxSkew / 2, 7};
  absl::StatusOr<HlcTimestamp> observed = hlc.Observe(remote);
  ASSERT_TRUE(observed.ok()) << observed.status();
  EXPECT_GT(*observed, remote);
  EXPECT_EQ(hlc.Last(), *observed);
  EXPECT_GT(hlc.Now(), remote);
  EXPECT_EQ(hlc.refused_remote_count(), 0);
  // The skew seen is what the node's status reports.
  EXPECT_EQ(hlc.max_remote_ahead_micros(), kMaxSkew / 2);
}

TEST(HlcTest, ObserveOfAnOlderRemoteStillAdvances) {
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  const HlcTimestamp local = hlc.Now();
  absl::StatusOr<HlcTimestamp> observed = hlc.Observe(HlcTimestamp{kDemoMicros - kDay, 3});
  ASSERT_TRUE(observed.ok()) << observed.status();
  EXPECT_GT(*observed, local);
}

TEST(HlcTest, ObserveExactlyAtMaxSkewIsAccepted) {
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  const HlcTimestamp remote{kDemoMicros + kMaxSkew, 0};
  absl::StatusOr<HlcTimestamp> observed = hlc.Observe(remote);
  ASSERT_TRUE(observed.ok()) << observed.status();
  EXPECT_GT(*observed, remote);
  EXPECT_EQ(hlc.refused_remote_count(), 0);
}

// ARCHITECTURE.md §2: a remote further ahead than max skew is refused with a clear error and
// counted.
TEST(HlcTest, ObserveBeyondSkewIsRefusedNamingBothTimes) {
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  const HlcTimestamp before = hlc.Now();
  const HlcTimestamp remote{kDemoMicros + kMaxSkew + 1, 2};

  absl::StatusOr<HlcTimestamp> observed = hlc.Observe(remote);
  ASSERT_FALSE(observed.ok());
  EXPECT_EQ(observed.status().code(), absl::StatusCode::kOutOfRange);
  const std::string message(observed.status().message());
  EXPECT_THAT(message, HasSubstr(remote.ToString()));
  EXPECT_THAT(message, HasSubstr(HlcTimestamp{kDemoMicros, 0}.ToString()));
  EXPECT_EQ(hlc.Last(), before);
  EXPECT_EQ(hlc.refused_remote_count(), 1);
  EXPECT_EQ(hlc.max_remote_ahead_micros(), 0) << "a refused timestamp is not a skew seen";
  // The refused time does not leak into later timestamps.
  EXPECT_LT(hlc.Now(), remote);
}

TEST(HlcTest, RemoteYearsAheadIsRefused) {
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  const HlcTimestamp remote{kDemoMicros + 10 * 365 * kDay, 0};
  EXPECT_EQ(hlc.Observe(remote).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(hlc.Observe(remote).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(hlc.refused_remote_count(), 2);
  EXPECT_EQ(hlc.Last(), HlcTimestamp{});
}

// ARCHITECTURE.md §2: refusals are counted, including the batch pre-check.
TEST(HlcTest, CheckSkewCountsRefusalsWithoutChangingTheClock) {
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  const HlcTimestamp last = hlc.Now();

  EXPECT_TRUE(hlc.CheckSkew(HlcTimestamp{kDemoMicros + kMaxSkew / 2, 0}).ok());
  EXPECT_EQ(hlc.refused_remote_count(), 0);
  EXPECT_EQ(hlc.Last(), last);

  const HlcTimestamp bad{kDemoMicros + 2 * kMaxSkew, 0};
  const absl::Status refused = hlc.CheckSkew(bad);
  EXPECT_EQ(refused.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(refused.message()), HasSubstr(bad.ToString()));
  EXPECT_EQ(hlc.refused_remote_count(), 1);
  EXPECT_EQ(hlc.Last(), last);

  EXPECT_FALSE(hlc.CheckSkew(bad).ok());
  EXPECT_EQ(hlc.refused_remote_count(), 2);
}

// ARCHITECTURE.md §2 via hlc.h: no silent overflow of the logical part.
TEST(HlcTest, LogicalOverflowCarriesIntoPhysical) {
  const uint32_t kMaxLogical = std::numeric_limits<uint32_t>::max();
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  const HlcTimestamp full{kDemoMicros, kMaxLogical};
  hlc.Restore(full);
  EXPECT_EQ(hlc.logical_carry_count(), 0);

  const HlcTimestamp next = hlc.Now();
  EXPECT_GT(next, full);
  EXPECT_EQ(next, (HlcTimestamp{kDemoMicros + 1, 0}));
  EXPECT_EQ(hlc.logical_carry_count(), 1);
  EXPECT_GT(hlc.Now(), next);
  EXPECT_EQ(hlc.logical_carry_count(), 1);
}

TEST(HlcTest, ObserveOfAFullRemoteCarries) {
  const uint32_t kMaxLogical = std::numeric_limits<uint32_t>::max();
  ManualClock clock(kDemoMicros);
  HybridLogicalClock hlc(&clock, SkewOptions());
  const HlcTimestamp remote{kDemoMicros, kMaxLogical};
  absl::StatusOr<HlcTimestamp> observed = hlc.Observe(remote);
  ASSERT_TRUE(observed.ok()) << observed.status();
  EXPECT_GT(*observed, remote);
  EXPECT_EQ(hlc.logical_carry_count(), 1);
}

TEST(HlcTest, TimestampsOrderByPhysicalThenLogical) {
  EXPECT_LT((HlcTimestamp{5, 9}), (HlcTimestamp{6, 0}));
  EXPECT_LT((HlcTimestamp{5, 1}), (HlcTimestamp{5, 2}));
  EXPECT_EQ((HlcTimestamp{5, 1}), (HlcTimestamp{5, 1}));
}

TEST(HlcTest, ToStringIsUtcWithMicrosAndLogical) {
  EXPECT_EQ((HlcTimestamp{kDemoMicros, 3}).ToString(), "2026-11-28T01:39:51.123456Z+3");
  EXPECT_EQ(HlcTimestamp{}.ToString(), "1970-01-01T00:00:00.000000Z+0");
  EXPECT_EQ((HlcTimestamp{kDemoMicros - 123456, std::numeric_limits<uint32_t>::max()}).ToString(),
            "2026-11-28T01:39:51.000000Z+4294967295");
}

}  // namespace
}  // namespace sanji::conflict
