// `sanjictl conflicts ls` and `show` from fixed conflict entries: golden
// output, Chinese values aligned by display width (ARCHITECTURE.md §6).
#include "cli/conflict_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/format.h"

namespace sanji::cli {
namespace {

// 2026-11-28, in microseconds.
constexpr int64_t kWhen = 1'795'824'000'000'000LL;

void SetSide(const std::string& node, uint64_t counter, int64_t micros, v1::ConflictSide* side) {
  side->mutable_change()->set_node_id(node);
  side->mutable_change()->set_incarnation(1);
  side->mutable_change()->set_counter(counter);
  side->mutable_time()->set_physical_micros(micros);
}

v1::ConflictEntry Entry(uint64_t sequence, const std::string& key, const std::string& field,
                        v1::ConflictEntry::Kind kind) {
  v1::ConflictEntry entry;
  entry.set_sequence(sequence);
  entry.set_collection("households");
  entry.set_key(key);
  entry.set_field(field);
  entry.set_kind(kind);
  SetSide("gutian", 7, kWhen, entry.mutable_kept());
  SetSide("gutian/fengpu/xiaban", 3, kWhen - 5, entry.mutable_other());
  entry.mutable_recorded()->set_physical_micros(kWhen);
  return entry;
}

std::string Table(const v1::ListConflictsResponse& entries) {
  std::ostringstream out;
  PrintConflictTable(entries, out);
  return out.str();
}

TEST(ConflictViewTest, TableAlignsChineseValuesKeptFirst) {
  v1::ListConflictsResponse entries;
  v1::ConflictEntry* name = entries.add_entries();
  *name = Entry(1, "林家", "name", v1::ConflictEntry::LWW_OVERWRITE);
  name->mutable_kept()->mutable_value()->set_text("林秀英");
  name->mutable_other()->mutable_value()->set_text("林秀");
  name->set_settled(true);  // resolved elsewhere: the chosen value came here
  v1::ConflictEntry* income = entries.add_entries();
  *income = Entry(12, "h2", "annual_income", v1::ConflictEntry::MV_SIBLINGS);
  income->mutable_kept()->mutable_value()->set_integer(52000);
  income->mutable_other()->mutable_value()->set_integer(48000);
  income->set_resolved(true);
  income->mutable_resolved_at()->set_physical_micros(kWhen);
  v1::ConflictEntry* revived = entries.add_entries();
  *revived = Entry(13, "h3", "", v1::ConflictEntry::WRITE_CONCURRENT_WITH_DELETE);
  revived->mutable_kept()->mutable_value()->set_text("王");

  const std::string when = FormatMicros(kWhen);
  // The values column is as wide as its widest cell, "王 | (deleted)" (14
  // columns); "林秀英 | 林秀" is 13, as wide as "52000 | 48000".
  EXPECT_EQ(
      Table(entries),
      absl::StrCat("SEQ  RECORD           FIELD          KIND    VALUES          WHEN",
                   std::string(when.size() - 4, ' '), "  RESOLVED\n",
                   "1    households/林家  name           lww     林秀英 | 林秀   ", when,
                   "  by a later write\n",
                   "12   households/h2    annual_income  mv      52000 | 48000   ", when, "  ",
                   when, "\n", "13   households/h3    -              delete  王 | (deleted)  ",
                   when, "  no\n"));
}

TEST(ConflictViewTest, NoEntriesSaySo) {
  EXPECT_EQ(Table(v1::ListConflictsResponse()), "no conflicts\n");
}

TEST(ConflictViewTest, ShowGivesBothSidesWithTheirChangesTimesAndAuthors) {
  v1::ConflictEntry entry = Entry(4, "林家", "annual_income", v1::ConflictEntry::MV_SIBLINGS);
  entry.mutable_kept()->mutable_value()->set_real(0.5);
  entry.mutable_kept()->set_author("sanji://operator/duty/gutian");
  entry.mutable_other()->mutable_value()->set_text("五万");
  std::ostringstream out;
  PrintConflict(entry, out);
  EXPECT_EQ(out.str(),
            "sequence      4\n"
            "record        households/林家\n"
            "field         annual_income\n"
            "kind          mv\n"
            "recorded      2026-11-28 00:00:00Z\n"
            "resolved      no\n"
            "kept          0.5\n"
            "kept change   gutian#1:7\n"
            "kept time     2026-11-28T00:00:00.000000Z+0\n"
            "kept by       sanji://operator/duty/gutian\n"
            "other         五万\n"
            "other change  gutian/fengpu/xiaban#1:3\n"
            "other time    2026-11-27T23:59:59.999995Z+0\n"
            // A change made before authors were recorded.
            "other by      -\n");
}

// Sets TZ for the test's lifetime and puts the old value back: the table and
// the detail must not depend on the machine's zone.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", zone, 1);
  }
  ~ScopedTimeZone() {
    if (old_.has_value()) {
      setenv("TZ", old_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
  }

 private:
  std::optional<std::string> old_;
};

// Issue 22 §5: `ls` printed local times and `show` UTC. Both print the same
// UTC text with its zone, on a machine whose zone is not UTC (Gutian's).
TEST(ConflictViewTest, LsAndShowPrintOneInstantTheSameInUtc) {
  ScopedTimeZone shanghai("Asia/Shanghai");
  v1::ConflictEntry entry = Entry(4, "h1", "name", v1::ConflictEntry::LWW_OVERWRITE);
  entry.set_resolved(true);
  entry.mutable_resolved_at()->set_physical_micros(kWhen + 90'000'000);
  v1::ListConflictsResponse entries;
  *entries.add_entries() = entry;
  std::ostringstream detail;
  PrintConflict(entry, detail);

  const std::string recorded = "2026-11-28 00:00:00Z";
  const std::string resolved = "2026-11-28 00:01:30Z";
  EXPECT_THAT(Table(entries), ::testing::HasSubstr(absl::StrCat(recorded, "  ", resolved, "\n")));
  EXPECT_THAT(detail.str(), ::testing::HasSubstr(absl::StrCat("recorded      ", recorded, "\n")));
  EXPECT_THAT(detail.str(), ::testing::HasSubstr(absl::StrCat("resolved      ", resolved, "\n")));
}

}  // namespace
}  // namespace sanji::cli
