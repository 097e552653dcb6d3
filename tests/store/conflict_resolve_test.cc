// Resolving logged conflicts (ARCHITECTURE.md §2: "a concurrent overwrite is
// not silently lost: the losing value is kept in the conflict log that
// `sanjictl conflicts` shows"; mv values are kept "until someone resolves
// them"). ResolveConflict marks an event resolved, durably; the unresolved
// view hides it; the value a person picks is an ordinary Write.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "conflict/record.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

class ConflictResolveTest : public StoreConformanceTest {
 protected:
  void MakeConflicts(Store& store) { MakeTitleConflicts(store, schema_); }
};

SANJI_STORE_CONFORMANCE(ConflictResolveTest);

TEST_P(ConflictResolveTest, ResolvedEventLeavesTheUnresolvedView) {
  auto store = OpenStore();
  MakeConflicts(*store);
  const uint64_t hlc_before = store->progress().hlc_last.physical_micros;
  auto resolved = store->ResolveConflict(2);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->sequence, 2u);
  EXPECT_EQ(resolved->event.field, "title");
  ASSERT_TRUE(resolved->resolved_at.has_value());
  EXPECT_GE(static_cast<uint64_t>(resolved->resolved_at->physical_micros), hlc_before);

  EXPECT_EQ(*store->GetConflict(2), *resolved);
  EXPECT_FALSE(store->GetConflict(1)->resolved_at.has_value());
  auto all = store->ListConflicts(0, 0, ConflictFilter::kAll);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_TRUE((*all)[1].resolved_at.has_value());
  auto unresolved = store->ListConflicts(0, 0, ConflictFilter::kOpen);
  ASSERT_EQ(unresolved->size(), 1u);
  EXPECT_EQ((*unresolved)[0].sequence, 1u);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_P(ConflictResolveTest, ResolutionIsDurableAndIdempotent) {
  std::optional<conflict::HlcTimestamp> resolved_at;
  {
    auto store = OpenStore();
    MakeConflicts(*store);
    resolved_at = store->ResolveConflict(1)->resolved_at;
    ASSERT_TRUE(resolved_at.has_value());
  }
  auto store = OpenStore();
  EXPECT_EQ(store->GetConflict(1)->resolved_at, resolved_at);
  auto again = store->ResolveConflict(1);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->resolved_at, resolved_at);  // unchanged
  EXPECT_EQ(store->ListConflicts(0, 0, ConflictFilter::kOpen)->size(), 1u);
}

TEST_P(ConflictResolveTest, UnknownSequenceIsNotFoundAndChangesNothing) {
  auto store = OpenStore();
  MakeConflicts(*store);
  const Progress before = store->progress();
  auto missing = store->ResolveConflict(99);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("99"), absl::string_view::npos) << missing.status();
  EXPECT_EQ(store->progress().hlc_last, before.hlc_last);
  EXPECT_EQ(store->ListConflicts(0, 0, ConflictFilter::kOpen)->size(), 2u);
}

TEST_P(ConflictResolveTest, ResolvingWithAWriteIsAnOrdinaryWrite) {
  auto store = OpenStore();
  MakeConflicts(*store);
  // The operator picks a value: a plain write that saw both sides...
  auto write = store->Write(kTickets, "T-1", SetTitle("核实后的标题", std::nullopt));
  ASSERT_TRUE(write.ok()) << write.status();
  EXPECT_TRUE(write->conflicts.empty());
  // ...and then marks the event dealt with.
  ASSERT_TRUE(store->ResolveConflict(2).ok());
  EXPECT_EQ(TitleOf(*store->Get(kTickets, "T-1")), "核实后的标题");
  EXPECT_EQ(store->ListConflicts(0, 0, ConflictFilter::kOpen)->size(), 1u);
}

TEST_P(ConflictResolveTest, ALaterWriteThatSawBothSidesSettlesTheEvent) {
  auto store = OpenStore();
  MakeConflicts(*store);
  auto before = store->ListConflicts(0, 0, ConflictFilter::kOpen);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->size(), 2u);
  // The title chosen where the event was resolved, as it arrives here: a
  // write that saw both titles.
  ASSERT_TRUE(store->Write(kTickets, "T-1", SetTitle("商定的标题", std::nullopt)).ok());
  auto all = store->ListConflicts(0, 0, ConflictFilter::kAll);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  for (const ConflictLogEntry& entry : *all) {
    EXPECT_EQ(entry.settled, entry.event.field == "title") << entry.event.ToString();
    EXPECT_FALSE(entry.resolved_at.has_value());
  }
  auto open = store->ListConflicts(0, 0, ConflictFilter::kOpen);
  ASSERT_EQ(open->size(), 1u);
  EXPECT_NE(open->front().event.field, "title");
  EXPECT_EQ(store->GetConflict(open->front().sequence)->settled, false);
}

}  // namespace
}  // namespace sanji::store::testing
