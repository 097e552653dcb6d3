// A village behind a real 4G link: hundreds of milliseconds of round trip,
// tens of kbit/s, put between two real sanjid processes by the test's own
// delaying TCP proxy (tests/integration/delay_proxy.h; this kernel has no
// netem). The nodes run the shipped timeouts, as a county installs them.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ostream>
#include <string>

#include "tests/integration/delay_proxy.h"
#include "tests/integration/test_county.h"

namespace sanji::integration {
namespace {

struct LinkShape {
  std::chrono::milliseconds round_trip;
  int64_t bytes_per_second;
};

void PrintTo(const LinkShape& shape, std::ostream* out) {
  *out << shape.round_trip.count() << " ms round trip, "
       << (shape.bytes_per_second > 0 ? std::to_string(shape.bytes_per_second * 8) + " bit/s"
                                      : "no rate limit");
}

class SlowLinkTest : public ::testing::TestWithParam<LinkShape> {};

TEST_P(SlowLinkTest, AVillageConnectsAndSyncsBothWays) {
  const LinkShape shape = GetParam();
  TestCluster cluster;
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kXiaban, {kCounty}, true);
  for (const char* node : {kCounty, kXiaban}) {
    cluster.EditConfig(node, [](v1::NodeConfig& config) { config.clear_timeouts(); });
  }
  cluster.Start(kCounty);
  DelayProxy link({.target = cluster.address(kCounty),
                   .one_way_delay = shape.round_trip / 2,
                   .bytes_per_second = shape.bytes_per_second});
  ASSERT_FALSE(link.address().empty());
  cluster.SetParentAddresses(kXiaban, {{kCounty, link.address()}});
  cluster.Start(kXiaban);

  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return LiveTo(cluster, kXiaban, kCounty); }))
      << "after " << link.connections() << " dials:\n"
      << cluster.Log(kXiaban);
  std::printf("live after %.1f s and %d dial(s) at %lld ms round trip\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
              link.connections(), static_cast<long long>(shape.round_trip.count()));
  // The first dial connects: none is cut short by a connect timeout that a
  // slow link cannot meet.
  EXPECT_EQ(link.connections(), 1);

  ASSERT_TRUE(Put(cluster, kXiaban, "service_requests", "up", kXiaban, "水管漏水").ok());
  ASSERT_TRUE(Put(cluster, kCounty, "notices", "down", kCounty, "停水通知").ok());
  EXPECT_TRUE(
      WaitFor([&] { return HasTitle(cluster, kCounty, "service_requests", "up", "水管漏水"); }));
  EXPECT_TRUE(WaitFor([&] { return HasTitle(cluster, kXiaban, "notices", "down", "停水通知"); }));
  EXPECT_EQ(link.connections(), 1) << cluster.Log(kXiaban);
  StopAllCleanly(cluster, {kXiaban, kCounty});
}

INSTANTIATE_TEST_SUITE_P(FourG, SlowLinkTest,
                         ::testing::Values(LinkShape{std::chrono::milliseconds(300), 64'000 / 8},
                                           LinkShape{std::chrono::milliseconds(1000), 0}),
                         [](const ::testing::TestParamInfo<LinkShape>& info) {
                           return std::to_string(info.param.round_trip.count()) + "msRoundTrip";
                         });

}  // namespace
}  // namespace sanji::integration
