// `sanjictl tree`'s table (ARCHITECTURE.md §6: "sanjictl tree at the county
// shows the whole network ..., offline villages and how stale they are
// included"), from fixed status records at a fixed time: golden output.
#include "cli/status_tree.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "node/status_schema.h"

namespace sanji::cli {
namespace {

namespace f = node::status_field;

constexpr int64_t kSecond = 1'000'000;
// 2026-11-28, in microseconds.
constexpr int64_t kNow = 1'795'824'000'000'000LL;

// A status record of `id`, written `age` seconds before kNow with a 60 s
// period, its parent link `state` (none when `parent` is empty).
v1::Record Status(const std::string& id, int64_t age, const std::string& parent = "",
                  const std::string& state = "live") {
  v1::Record record;
  record.set_collection(node::kStatusCollection);
  record.set_key(id);
  record.set_scope(node::StatusScope(id));
  auto& fields = *record.mutable_fields();
  const int64_t updated = kNow - age * kSecond;
  fields[f::kUpdated].mutable_lww()->set_integer(updated);
  fields[f::kPeriod].mutable_lww()->set_integer(60);
  fields[f::kParent].mutable_lww()->set_text(parent);
  if (!parent.empty()) {
    fields[f::kParentState].mutable_lww()->set_text(state);
    fields[f::kParentSince].mutable_lww()->set_integer(updated - 100 * kSecond);
    fields[f::kInSync].mutable_lww()->set_integer(state == "live" ? updated : 0);
  }
  return record;
}

void Set(v1::Record& record, const char* field, int64_t value) {
  (*record.mutable_fields())[field].mutable_lww()->set_integer(value);
}

std::vector<v1::Record> County() {
  v1::Record county = Status("gutian", 10);
  Set(county, f::kConflicts, 5);  // of which 2 are open
  Set(county, f::kOpenConflicts, 2);
  // Failed over to the county, catching up: connected, and it had been out
  // of sync for 90 s when it reported.
  v1::Record dongkeng = Status("gutian/fengpu/dongkeng", 20, "gutian", "catching_up");
  Set(dongkeng, f::kInSync, kNow - 110 * kSecond);
  Set(dongkeng, f::kRefusedItems, 4);
  Set(dongkeng, f::kRefusedTimestamps, 1);
  // It holds 523 changes the county lacks and lacks 12 the county holds.
  Set(dongkeng, f::kParentLacks, 523);
  Set(dongkeng, f::kBehind, 12);
  // No record of xikou itself: its village is named from the county.
  v1::Record shangcun = Status("gutian/xikou/shangcun", 30, "gutian/xikou", "backoff");
  Set(shangcun, f::kParentSince, kNow - 600 * kSecond);
  Set(shangcun, f::kInSync, kNow - 700 * kSecond);  // 11m10s before its report
  return {shangcun,
          Status("gutian/fengpu/xiaban", 2 * 3600 + 13 * 60, "gutian/fengpu"),
          dongkeng,
          Status("gutian/fengpu-2", 5, "gutian"),
          Status("gutian/fengpu", 5, "gutian"),
          county};
}

std::string Tree(const std::vector<v1::Record>& records, const std::string& root) {
  std::ostringstream out;
  PrintStatusTree(SubtreeRecords(records, root), root, kNow, out);
  return out.str();
}

TEST(StatusTreeTest, ShowsTheCountyAsATreeWithOfflineNodesMarked) {
  EXPECT_EQ(Tree(County(), "gutian"),
            "NODE              STATE          PARENT                  LAG             CONFLICTS  "
            "REFUSED    SCHEMA  REPORTED\n"
            "gutian            online         -                       -               2          0 "
            "         -       10s ago\n"
            "  fengpu          online         live                    0s              0          0 "
            "         -       5s ago\n"
            "    dongkeng      online         catching_up via gutian  1m30s +523 -12  0          4 "
            "+1 skew  -       20s ago\n"
            "    xiaban        OFFLINE 2h13m  was live                was 0s          0          0 "
            "         -       2h13m ago\n"
            "  fengpu-2        online         live                    0s              0          0 "
            "         -       5s ago\n"
            "  xikou/shangcun  OFFLINE 10m    backoff                 11m10s          0          0 "
            "         -       30s ago\n");
}

TEST(StatusTreeTest, ATownshipShowsOnlyItsSubtree) {
  EXPECT_EQ(Tree(County(), "gutian/fengpu"),
            "NODE           STATE          PARENT                  LAG             CONFLICTS  "
            "REFUSED    SCHEMA  REPORTED\n"
            "gutian/fengpu  online         live                    0s              0          0    "
            "      -       5s ago\n"
            "  dongkeng     online         catching_up via gutian  1m30s +523 -12  0          4 +1 "
            "skew  -       20s ago\n"
            "  xiaban       OFFLINE 2h13m  was live                was 0s          0          0    "
            "      -       2h13m ago\n");
}

TEST(StatusTreeTest, AReportOfThisSecondIsZeroSecondsOld) {
  EXPECT_EQ(Tree({Status("gutian", 0), Status("gutian/fengpu", 0, "gutian")}, "gutian"),
            "NODE      STATE   PARENT  LAG  CONFLICTS  REFUSED  SCHEMA  REPORTED\n"
            "gutian    online  -       -    0          0        -       0s ago\n"
            "  fengpu  online  live    0s   0          0        -       0s ago\n");
}

TEST(StatusTreeTest, NeverInSyncSaysSo) {
  std::ostringstream out;
  PrintStatusTree({Status("gutian/xikou", 1, "gutian", "connecting")}, "gutian/xikou", kNow, out);
  EXPECT_EQ(out.str(),
            "NODE          STATE          PARENT      LAG            CONFLICTS  REFUSED  SCHEMA  "
            "REPORTED\n"
            "gutian/xikou  OFFLINE 1m41s  connecting  never in sync  0          0        -       "
            "1s ago\n");
}

// Issue 22 §5: a node that stopped reporting showed its last parent link
// and lag as if current ("live", "0s"). They are marked as last known; a
// node that reports, now, that its link is down is shown as it says.
TEST(StatusTreeTest, AStaleNodeShowsItsParentAndLagAsLastKnown) {
  v1::Record gaotou = Status("gutian/fengpu/gaotou", 3600, "gutian");  // failed over, then gone
  Set(gaotou, f::kParentLacks, 3);
  std::ostringstream out;
  PrintStatusTree({Status("gutian/fengpu", 5, "gutian"), gaotou,
                   Status("gutian/fengpu/xiaban", 30, "gutian/fengpu", "backoff")},
                  "gutian/fengpu", kNow, out);
  EXPECT_EQ(out.str(),
            "NODE           STATE          PARENT               LAG            CONFLICTS  REFUSED  "
            "SCHEMA  REPORTED\n"
            "gutian/fengpu  online         live                 0s             0          0        "
            "-       5s ago\n"
            "  gaotou       OFFLINE 1h     was live via gutian  was 0s +3 -0   0          0        "
            "-       1h ago\n"
            "  xiaban       OFFLINE 2m10s  backoff              never in sync  0          0        "
            "-       30s ago\n");
}

TEST(StatusTreeTest, NoRecordsSaysSo) {
  EXPECT_EQ(Tree({}, "gutian"), "no status records of gutian or below\n");
}

TEST(OfflineSinceTest, StaleAfterThreePeriodsSinceTheLastReport) {
  EXPECT_FALSE(OfflineSince(Status("gutian", 180), kNow).has_value());
  EXPECT_EQ(OfflineSince(Status("gutian", 181), kNow), kNow - 181 * kSecond);
}

TEST(OfflineSinceTest, AParentLinkNotConnectedIsOfflineSinceItsState) {
  const v1::Record connecting = Status("gutian/fengpu", 1, "gutian", "connecting");
  EXPECT_EQ(OfflineSince(connecting, kNow), kNow - 101 * kSecond);
  // Stale too: the earlier of the two.
  v1::Record stale = Status("gutian/fengpu", 400, "gutian", "backoff");
  Set(stale, f::kParentSince, kNow - 300 * kSecond);
  EXPECT_EQ(OfflineSince(stale, kNow), kNow - 400 * kSecond);
}

}  // namespace
}  // namespace sanji::cli
