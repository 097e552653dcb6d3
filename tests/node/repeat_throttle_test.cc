// RepeatThrottle (node/repeat_throttle.h) at made-up times: the first event
// of an episode in full, repeats counted and reported at most once an
// interval, a quiet interval ending the episode.
#include "node/repeat_throttle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sanji::node {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'795'824'000);
const absl::Duration kMinute = absl::Minutes(1);

class RepeatThrottleTest : public ::testing::Test {
 protected:
  // An event of `key` `at` after kStart, reported as node/log.cc does:
  // whether it opens an episode.
  bool Event(const std::string& key, absl::Duration at) {
    for (RepeatThrottle::Repeats& repeats : throttle_.Due(kStart + at)) {
      reported_.push_back(std::move(repeats));
    }
    return throttle_.Add(key, kStart + at);
  }

  RepeatThrottle throttle_{kMinute};
  std::vector<RepeatThrottle::Repeats> reported_;
};

TEST_F(RepeatThrottleTest, TheFirstIsLoggedAndRepeatsAreCountedOnceAMinute) {
  EXPECT_TRUE(Event("certificate verify failed", absl::ZeroDuration()));
  for (int second = 1; second < 60; ++second) {
    EXPECT_FALSE(Event("certificate verify failed", absl::Seconds(second)));
  }
  EXPECT_TRUE(reported_.empty());
  // A minute after the first line: the 59 before it are reported, this one
  // is counted for the next report.
  EXPECT_FALSE(Event("certificate verify failed", absl::Seconds(60)));
  ASSERT_EQ(reported_.size(), 1u);
  EXPECT_EQ(reported_[0].key, "certificate verify failed");
  EXPECT_EQ(reported_[0].count, 59);
  EXPECT_EQ(reported_[0].over, kMinute);
}

TEST_F(RepeatThrottleTest, CausesAreCountedApart) {
  EXPECT_TRUE(Event("certificate verify failed", absl::ZeroDuration()));
  EXPECT_TRUE(Event("peer did not return a certificate", absl::Seconds(1)));
  EXPECT_FALSE(Event("certificate verify failed", absl::Seconds(2)));
  EXPECT_FALSE(Event("peer did not return a certificate", absl::Seconds(3)));
  EXPECT_FALSE(Event("peer did not return a certificate", absl::Seconds(4)));
  const std::vector<RepeatThrottle::Repeats> due = throttle_.Due(kStart + absl::Seconds(61));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].key, "certificate verify failed");
  EXPECT_EQ(due[0].count, 1);
  EXPECT_EQ(due[1].key, "peer did not return a certificate");
  EXPECT_EQ(due[1].count, 2);
}

TEST_F(RepeatThrottleTest, AQuietIntervalEndsTheEpisode) {
  EXPECT_TRUE(Event("certificate verify failed", absl::ZeroDuration()));
  EXPECT_FALSE(Event("certificate verify failed", absl::Seconds(10)));
  // The repeat is reported; a minute with nothing ends the episode.
  EXPECT_EQ(throttle_.Due(kStart + absl::Seconds(70)).size(), 1u);
  EXPECT_TRUE(throttle_.Due(kStart + absl::Seconds(131)).empty());
  EXPECT_TRUE(Event("certificate verify failed", absl::Seconds(200)));
  // Nothing called Due in between: the silence still ends the episode.
  EXPECT_TRUE(Event("certificate verify failed", absl::Seconds(400)));
  EXPECT_TRUE(reported_.empty());
}

TEST_F(RepeatThrottleTest, FlushReportsWhatIsCountedEvenIfNotDue) {
  EXPECT_TRUE(Event("certificate verify failed", absl::ZeroDuration()));
  EXPECT_TRUE(throttle_.Flush(kStart + absl::Seconds(1)).empty());  // nothing counted
  EXPECT_FALSE(Event("certificate verify failed", absl::Seconds(2)));
  EXPECT_FALSE(Event("certificate verify failed", absl::Seconds(3)));
  const std::vector<RepeatThrottle::Repeats> flushed = throttle_.Flush(kStart + absl::Seconds(5));
  ASSERT_EQ(flushed.size(), 1u);
  EXPECT_EQ(flushed[0].count, 2);
  EXPECT_EQ(flushed[0].over, absl::Seconds(5));
  EXPECT_TRUE(throttle_.Flush(kStart + absl::Seconds(6)).empty());
}

}  // namespace
}  // namespace sanji::node
