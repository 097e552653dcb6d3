// `sanjictl status`'s tables (issue 6: "status — this node: identity,
// parents, sessions, lag, counts"), from a fixed NodeStatus at a fixed time:
// golden output. Times print in the local zone, so the expected text takes
// them from FormatMicros.
#include "cli/node_status_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/format.h"

namespace sanji::cli {
namespace {

constexpr int64_t kSecond = 1'000'000;
// 2026-11-28, in microseconds.
constexpr int64_t kNow = 1'795'824'000'000'000LL;

void AddEntry(v1::VersionVector& vector, const std::string& node, uint64_t counter) {
  v1::VersionVector::Entry& entry = *vector.add_entries();
  entry.mutable_origin()->set_node_id(node);
  entry.mutable_origin()->set_incarnation(1);
  entry.set_counter(counter);
}

// A township two hours up, live with the county and catching up a village
// that was offline; a second village never said hello.
v1::NodeStatus Township() {
  v1::NodeStatus status;
  status.set_node_id("gutian/fengpu");
  status.set_listen_address("0.0.0.0:7000");
  status.set_incarnation(2);
  status.set_version("0.1.0");
  status.set_started_micros(kNow - (2 * 3600 + 5) * kSecond);
  status.set_commits(1204);
  status.set_items_sent(3000);
  status.set_items_received(2512);
  status.set_refused_items(1);
  status.set_calls_refused(2);
  status.set_clock_skew_seen_micros(1'250'000);
  AddEntry(*status.mutable_knowledge(), "gutian", 40);
  AddEntry(*status.mutable_knowledge(), "gutian/fengpu", 1204);
  AddEntry(*status.mutable_knowledge(), "gutian/fengpu/xiaban", 7);

  v1::LinkStatus* county = status.add_links();
  county->set_role(v1::LinkStatus::PARENT);
  county->set_peer("gutian");
  county->set_address("10.0.0.1:7000");
  county->set_state(v1::LinkStatus::LIVE);
  county->set_since_micros(kNow - 3600 * kSecond);
  county->set_last_contact_micros(kNow - kSecond);
  county->set_items_sent(2000);
  county->set_items_received(12);
  *county->mutable_peer_knowledge() = status.knowledge();
  county->set_peer_schema_version(2);

  v1::LinkStatus* xiaban = status.add_links();
  xiaban->set_role(v1::LinkStatus::CHILD);
  xiaban->set_peer("gutian/fengpu/xiaban");
  xiaban->set_address("ipv4:10.0.1.7:51234");
  xiaban->set_state(v1::LinkStatus::CATCHING_UP);
  xiaban->set_since_micros(kNow - 2 * kSecond);
  xiaban->set_last_contact_micros(kNow);
  xiaban->set_items_sent(1000);
  xiaban->set_items_received(2500);
  xiaban->set_items_refused(1);
  xiaban->set_peer_schema_version(0);
  AddEntry(*xiaban->mutable_peer_knowledge(), "gutian", 40);
  AddEntry(*xiaban->mutable_peer_knowledge(), "gutian/fengpu", 204);
  AddEntry(*xiaban->mutable_peer_knowledge(), "gutian/fengpu/xiaban", 530);

  v1::LinkStatus* dongkeng = status.add_links();
  dongkeng->set_role(v1::LinkStatus::CHILD);
  dongkeng->set_peer("gutian/fengpu/dongkeng");
  dongkeng->set_address("ipv4:10.0.1.8:40000");
  dongkeng->set_state(v1::LinkStatus::CONNECTING);
  dongkeng->set_since_micros(kNow);
  dongkeng->set_last_error("session refused: schema fingerprint differs");
  return status;
}

TEST(NodeStatusViewTest, ShowsTheNodeItsLinksAndTheirLagByOrigin) {
  std::ostringstream out;
  PrintNodeStatus(Township(), kNow, out);
  const std::string started = FormatMicros(kNow - (2 * 3600 + 5) * kSecond);
  const std::string hour_ago = FormatMicros(kNow - 3600 * kSecond);
  const std::string second_ago = FormatMicros(kNow - kSecond);
  const std::string two_ago = FormatMicros(kNow - 2 * kSecond);
  const std::string now = FormatMicros(kNow);
  const std::string pad(now.size() - 5, ' ');  // a time column past "SINCE"
  EXPECT_EQ(
      out.str(),
      absl::StrCat("node         gutian/fengpu\n"
                   "listen       0.0.0.0:7000\n"
                   "incarnation  2\n"
                   "version      0.1.0\n"
                   "schema       version 0 (the config's)\n"
                   "started      ",
                   started,
                   " (up 2h5s)\n"
                   "commits      1204\n"
                   "knowledge    gutian#1:40, gutian/fengpu#1:1204, gutian/fengpu/xiaban#1:7\n"
                   "clock skew   1.25s ahead at most; 0 refused beyond the bound\n"
                   "saved clock  not ahead of this machine's clock\n"
                   "items        sent 3000, received 2512, refused 1\n"
                   "calls        refused 2 not authorized (the log names each)\n"
                   "\n"
                   "ROLE    PEER                    ADDRESS              STATE        SINCE",
                   pad, "  LAST CONTACT", std::string(now.size() - 12, ' '),
                   "  SENT  RECEIVED  REFUSED  LAG         SCHEMA  LAST ERROR\n"
                   "parent  gutian                  10.0.0.1:7000        live         ",
                   hour_ago, "  ", second_ago,
                   "  2000  12        0        +0 -0       2       -\n"
                   "child   gutian/fengpu/xiaban    ipv4:10.0.1.7:51234  catching_up  ",
                   two_ago, "  ", now,
                   "  1000  2500      1        +1000 -523  0       -\n"
                   "child   gutian/fengpu/dongkeng  ipv4:10.0.1.8:40000  connecting   ",
                   now, "  ", FormatMicros(0), std::string(now.size() - 1, ' '),
                   "  0     0         0        -           -       "
                   "session refused: schema fingerprint differs\n"
                   "\n"
                   "changes apart, by origin\n"
                   "PEER                  ORIGIN                  PEER LACKS  THIS NODE LACKS\n"
                   "gutian/fengpu/xiaban  gutian/fengpu#1         1000        0\n"
                   "gutian/fengpu/xiaban  gutian/fengpu/xiaban#1  0           523\n"));
}

// README, "When a clock was wrong": a saved clock ahead of the machine's is
// said, with the steps back it took.
TEST(NodeStatusViewTest, SaysHowFarTheSavedClockIsAheadOfTheMachine) {
  v1::NodeStatus status = Township();
  status.set_refused_remote_timestamps(3);
  status.set_clock_lead_micros(544 * kSecond);
  status.set_clock_steps_back(1);
  std::ostringstream out;
  PrintNodeStatus(status, kNow, out);
  EXPECT_THAT(out.str(),
              ::testing::HasSubstr("clock skew   1.25s ahead at most; 3 refused beyond the bound\n"
                                   "saved clock  9m4s ahead of this machine's clock: writes are "
                                   "stamped from it; stepped back 1 time since start\n"));
}

}  // namespace
}  // namespace sanji::cli
