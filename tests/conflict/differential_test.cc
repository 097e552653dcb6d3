// Differential check: what a Record reads against a deliberately simple
// reference, over random histories (raft's quick_test, rust-crdt).
//
// The reference never looks inside a Record. It keeps every operation ever
// made (writes and deletes, with their dots) and, for each replica and each of
// its snapshots, the set of operations that replica has seen (its own, and
// everything seen by the snapshots it joined). Each read is computed from that
// seen set alone, by the rules of record.h and the field headers:
//  - an entry written by operation w is gone once the replica has seen an
//    operation that saw w and replaces it. A delete replaces every field entry
//    it saw and every write it saw (a delete removes exactly what it saw); a
//    write replaces what it saw of the fields it writes: all of a register or
//    status, its own origin's counter total, the adds of the set elements it
//    adds or removes, and, if it sets the scope, the scope values;
//  - the record is alive when it has seen a write that no delete it has seen
//    saw (a write the delete did not see survives, with what it wrote); its
//    presence and tombstone hold the writes and deletes no seen operation saw;
//    a delete keeps the scope; a write after which the status would hold
//    nothing sets it to the first value of its order;
//  - lww reads the greatest (timestamp, dot); a status reads the furthest rank;
//    a set holds the elements with a surviving add (add-wins).
//
// Counters: causal_counter.h stores, per origin, its running total under its
// latest dot, so a write's counter entry holds its delta plus the total of its
// own origin's entries the writer still had. A delete removes the entries it
// saw, so increments seen before an origin saw the delete are gone; but an
// increment concurrent with a delete "survives with its origin's whole total"
// (documented there), including earlier increments that delete saw. The
// reference follows the header: see IncrementConcurrentWithDeleteKeepsTotal.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "conflict/change.h"
#include "conflict/dot.h"
#include "conflict/field.h"
#include "conflict/record.h"
#include "conflict/schema.h"
#include "gtest/gtest.h"
#include "tests/conflict/random_history.h"

namespace sanji::conflict {
namespace {

using OpSet = uint64_t;  // bit i: operation i of the history
constexpr size_t kMaxOps = 64;

OpSet Bit(size_t op) { return OpSet{1} << op; }

struct Op {
  Dot dot;
  HlcTimestamp timestamp;
  bool is_delete = false;
  Change change;
  OpSet saw = 0;              // the operations its replica had seen before it
  int64_t counter_total = 0;  // what a counter write stores: see the file comment
};

const FieldOperation* OperationOn(const Op& op, FieldKind kind) {
  for (const FieldOp& field_op : op.change.ops) {
    if (field_op.field == FieldNameOf(kind)) return &field_op.operation;
  }
  return nullptr;
}

// What a write puts in the field of `kind`: one entry, or for a set one per
// distinct element it adds (an unused Value elsewhere).
std::vector<Value> WrittenEntries(const Op& w, FieldKind kind) {
  const FieldOperation* op = OperationOn(w, kind);
  if (op == nullptr) return {};
  if (kind != FieldKind::kSet) return {Value()};
  const auto* add = std::get_if<AddElements>(op);
  if (add == nullptr) return {};
  std::vector<Value> elements = add->elements;
  std::sort(elements.begin(), elements.end());
  elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
  return elements;
}

// Whether x, an operation that saw w, replaces w's entry (for `element`) in
// the field of `kind`.
bool Replaces(const Op& x, const Op& w, FieldKind kind, const Value& element) {
  if (x.is_delete) return true;
  const FieldOperation* op = OperationOn(x, kind);
  if (op == nullptr) return false;
  switch (kind) {
    case FieldKind::kCounter:
      return x.dot.origin == w.dot.origin;
    case FieldKind::kSet: {
      const auto* add = std::get_if<AddElements>(op);
      const std::vector<Value>& elements =
          add != nullptr ? add->elements : std::get<RemoveElements>(*op).elements;
      return std::count(elements.begin(), elements.end(), element) > 0;
    }
    default:  // a register or status write replaces all it saw
      return true;
  }
}

class Reference {
 public:
  struct Entry {
    size_t op;
    Value element;  // sets only
  };

  Reference(const CollectionSchema& schema, int replicas)
      : schema_(schema), seen_(replicas, std::vector<OpSet>{0}) {}

  // Replays one step of a RandomHistory.
  void Apply(const HistoryEvent& event) {
    std::vector<OpSet>& mine = seen_[event.replica];
    if (event.type == HistoryEvent::Type::kJoin) {
      mine.push_back(mine.back() | seen_[event.source][event.source_snapshot]);
      return;
    }
    ASSERT_LT(ops_.size(), kMaxOps) << "the history is too long for the reference";
    Op op{event.dot, event.timestamp, event.type == HistoryEvent::Type::kDelete, event.change,
          mine.back()};
    // record.h: a write after which the status holds nothing starts it at
    // the first value, as if the write had set it.
    if (!op.is_delete && OperationOn(op, FieldKind::kStatus) == nullptr &&
        Survivors(op.saw, FieldKind::kStatus).empty()) {
      const std::string status_field(FieldNameOf(FieldKind::kStatus));
      op.change.ops.push_back(
          {status_field, SetStatus{schema_.Field(status_field).value()->status_order.front()}});
    }
    if (const FieldOperation* increment = OperationOn(op, FieldKind::kCounter)) {
      op.counter_total = std::get<Increment>(*increment).delta;
      for (const Entry& entry : Survivors(op.saw, FieldKind::kCounter)) {
        if (ops_[entry.op].dot.origin == op.dot.origin) {
          op.counter_total += ops_[entry.op].counter_total;
        }
      }
    }
    ops_.push_back(std::move(op));
    mine.push_back(mine.back() | Bit(ops_.size() - 1));
  }

  OpSet seen(int replica, size_t snapshot) const { return seen_[replica][snapshot]; }

  bool Alive(OpSet seen) const {
    for (size_t w : Members(seen)) {
      if (!ops_[w].is_delete && !Replaced(seen, w, [](const Op& x) { return x.is_delete; })) {
        return true;
      }
    }
    return false;
  }

  // The writes (deletes = false: the presence kernel) or deletes (true: the
  // tombstone) that survive: each stays until the replica has seen an
  // operation, of either type, that saw it.
  std::vector<std::string> Undominated(OpSet seen, bool deletes) const {
    std::vector<std::string> dots;
    for (size_t w : Members(seen)) {
      if (ops_[w].is_delete == deletes && !Replaced(seen, w, [](const Op&) { return true; })) {
        dots.push_back(ops_[w].dot.ToString());
      }
    }
    return Sorted(std::move(dots));
  }

  std::map<Origin, uint64_t> Context(OpSet seen) const {
    std::map<Origin, uint64_t> context;
    for (size_t op : Members(seen)) {
      uint64_t& counter = context[ops_[op].dot.origin];
      counter = std::max(counter, ops_[op].dot.counter);
    }
    return context;
  }

  // The scope: writes that set it, until a write that saw them sets it again
  // (a delete keeps the scope).
  std::vector<size_t> ScopeWrites(OpSet seen) const {
    std::vector<size_t> writes;
    for (size_t w : Members(seen)) {
      if (!ops_[w].change.scope.has_value()) continue;
      if (!Replaced(seen, w, [](const Op& x) { return x.change.scope.has_value(); })) {
        writes.push_back(w);
      }
    }
    return writes;
  }
  std::vector<std::string> ScopeEntries(OpSet seen) const {
    std::vector<std::string> entries;
    for (size_t w : ScopeWrites(seen)) {
      entries.push_back(
          EntryString(ops_[w].dot, TimestampedValue{ops_[w].timestamp, *ops_[w].change.scope}));
    }
    return Sorted(std::move(entries));
  }
  std::optional<std::string> Scope(OpSet seen) const {
    std::optional<size_t> winner = Latest(ScopeWrites(seen));
    if (!winner.has_value()) return std::nullopt;
    return *ops_[*winner].change.scope;
  }

  // The entries of the field of `kind` that survive in `seen`.
  std::vector<Entry> Survivors(OpSet seen, FieldKind kind) const {
    std::vector<Entry> entries;
    for (size_t w : Members(seen)) {
      for (const Value& element : WrittenEntries(ops_[w], kind)) {
        if (!Replaced(seen, w, [&](const Op& x) { return Replaces(x, ops_[w], kind, element); })) {
          entries.push_back({w, element});
        }
      }
    }
    return entries;
  }

  // Survivors(seen, kind) as "dot=payload", sorted.
  std::vector<std::string> Entries(OpSet seen, FieldKind kind) const {
    std::vector<std::string> strings;
    for (const Entry& entry : Survivors(seen, kind)) {
      const Op& w = ops_[entry.op];
      const FieldOperation& op = *OperationOn(w, kind);
      switch (kind) {
        case FieldKind::kCounter:
          strings.push_back(EntryString(w.dot, w.counter_total));
          break;
        case FieldKind::kSet:
          strings.push_back(EntryString(w.dot, entry.element));
          break;
        case FieldKind::kStatus:
          strings.push_back(EntryString(w.dot, RankOf(w)));
          break;
        default:
          strings.push_back(
              EntryString(w.dot, TimestampedValue{w.timestamp, std::get<Assign>(op).value}));
      }
    }
    return Sorted(std::move(strings));
  }

  // The reads: lww winner, counter total, set elements, furthest status.
  std::optional<Dot> LwwWinner(OpSet seen) const {
    std::vector<size_t> writes;
    for (const Entry& entry : Survivors(seen, FieldKind::kLww)) writes.push_back(entry.op);
    std::optional<size_t> winner = Latest(writes);
    return winner.has_value() ? std::optional<Dot>(ops_[*winner].dot) : std::nullopt;
  }
  int64_t Total(OpSet seen) const {
    int64_t total = 0;
    for (const Entry& entry : Survivors(seen, FieldKind::kCounter)) {
      total += ops_[entry.op].counter_total;
    }
    return total;
  }
  std::vector<Value> Elements(OpSet seen) const {
    std::vector<Value> elements;
    for (const Entry& entry : Survivors(seen, FieldKind::kSet)) elements.push_back(entry.element);
    elements = Sorted(std::move(elements));
    elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
    return elements;
  }
  std::optional<uint32_t> Rank(OpSet seen) const {
    std::optional<uint32_t> rank;
    for (const Entry& entry : Survivors(seen, FieldKind::kStatus)) {
      rank = std::max(rank.value_or(0), RankOf(ops_[entry.op]));
    }
    return rank;
  }

 private:
  static std::vector<size_t> Members(OpSet set) {
    std::vector<size_t> members;
    for (; set != 0; set &= set - 1) members.push_back(std::countr_zero(set));
    return members;
  }

  template <typename T>
  static std::vector<T> Sorted(std::vector<T> items) {
    std::sort(items.begin(), items.end());
    return items;
  }

  // Whether some operation in `seen` that saw w replaces w's entry.
  template <typename Replaces>
  bool Replaced(OpSet seen, size_t w, Replaces replaces) const {
    for (size_t x : Members(seen)) {
      if ((ops_[x].saw & Bit(w)) != 0 && replaces(ops_[x])) return true;
    }
    return false;
  }

  // The greatest (timestamp, dot): the lww order.
  std::optional<size_t> Latest(const std::vector<size_t>& writes) const {
    std::optional<size_t> latest;
    for (size_t w : writes) {
      if (!latest.has_value() || std::tie(ops_[*latest].timestamp, ops_[*latest].dot) <
                                     std::tie(ops_[w].timestamp, ops_[w].dot)) {
        latest = w;
      }
    }
    return latest;
  }

  uint32_t RankOf(const Op& w) const {
    const FieldOperation* op = OperationOn(w, FieldKind::kStatus);
    return schema_.StatusRank(FieldNameOf(FieldKind::kStatus), std::get<SetStatus>(*op).status)
        .value();
  }

  const CollectionSchema& schema_;
  std::vector<Op> ops_;
  std::vector<std::vector<OpSet>> seen_;  // per replica, per snapshot
};

// The entries of a field or the scope, as "dot=payload", sorted.
template <typename Entries>
std::vector<std::string> EntryStrings(const Entries& entries) {
  std::vector<std::string> strings;
  for (const auto& entry : entries) strings.push_back(EntryString(entry.dot, entry.payload));
  std::sort(strings.begin(), strings.end());
  return strings;
}

std::vector<std::string> LibraryEntries(const Record& record, absl::string_view field) {
  const FieldState* state = record.field(field);
  if (state == nullptr) return {};
  return std::visit([](const auto& typed) { return EntryStrings(typed.entries()); }, *state);
}

std::vector<std::string> Dots(const DotKernel<HlcTimestamp>& kernel) {
  std::vector<std::string> dots;
  for (const auto& entry : kernel.entries()) dots.push_back(entry.dot.ToString());
  std::sort(dots.begin(), dots.end());
  return dots;
}

template <typename State>
const State* FieldAs(const Record& record, FieldKind kind) {
  const FieldState* state = record.field(FieldNameOf(kind));
  return state == nullptr ? nullptr : &std::get<State>(*state);
}

// Every read of `record` that differs from the reference's for `seen`, as
// "what: record reads X, reference Y".
std::vector<std::string> Mismatches(const Record& record, const Reference& reference, OpSet seen) {
  std::vector<std::string> mismatches;
  auto check = [&](absl::string_view what, const auto& actual, const auto& expected) {
    if (actual == expected) return;
    mismatches.push_back(absl::StrCat(what, ": record reads ", ::testing::PrintToString(actual),
                                      ", reference ", ::testing::PrintToString(expected)));
  };
  check("alive()", record.alive(), reference.Alive(seen));
  check("scope()", record.scope(), reference.Scope(seen));
  check("scope entries", EntryStrings(record.state().scope.entries()),
        reference.ScopeEntries(seen));
  std::vector<std::string> context, expected_context;
  for (const auto& [origin, counter] : record.context().entries()) {
    context.push_back(absl::StrCat(origin.ToString(), ":", counter));
  }
  for (const auto& [origin, counter] : reference.Context(seen)) {
    expected_context.push_back(absl::StrCat(origin.ToString(), ":", counter));
  }
  check("context()", context, expected_context);

  check("presence", Dots(record.state().presence), reference.Undominated(seen, false));
  check("tombstone", Dots(record.state().deletes), reference.Undominated(seen, true));

  for (FieldKind kind : kAllFieldKinds) {
    const absl::string_view name = FieldNameOf(kind);
    const std::vector<std::string> expected = reference.Entries(seen, kind);
    // Canonical form: a field with no entries is absent, not empty.
    check(absl::StrCat(name, " present"), record.field(name) != nullptr, !expected.empty());
    check(absl::StrCat(name, " entries"), LibraryEntries(record, name), expected);
  }
  const auto* lww = FieldAs<ValueRegister>(record, FieldKind::kLww);
  const std::optional<Dot> winner = reference.LwwWinner(seen);
  check("lww Winner()", lww == nullptr ? "none" : lww->Winner().dot.ToString(),
        winner.has_value() ? winner->ToString() : "none");
  const auto* counter = FieldAs<CausalCounter>(record, FieldKind::kCounter);
  check("counter Total()", counter == nullptr ? 0 : counter->Total(), reference.Total(seen));
  const auto* set = FieldAs<OrSet>(record, FieldKind::kSet);
  check("set Elements()", set == nullptr ? std::vector<Value>() : set->Elements(),
        reference.Elements(seen));
  const auto* status = FieldAs<StatusRegister>(record, FieldKind::kStatus);
  check("status Rank()", status == nullptr ? std::nullopt : status->Rank(), reference.Rank(seen));
  return mismatches;
}

// ARCHITECTURE.md §2, the field kinds and "Record delete is a tombstone with
// its own causal history; a write that did not see the delete is not lost"
// (the rules as record.h states them). Over random histories of 2 to 4
// replicas (writes of every kind, scope changes, deletes, partial merges, and
// in half of them a full exchange at the end), every snapshot of every replica
// reads what the reference computes from the operations it has seen.
TEST(DifferentialTest, RecordReadsMatchReferenceOnEverySnapshot) {
  ForEachCase(PropertyCases(), [](uint64_t seed) {
    RandomHistory history(&AllKindsSchema(),
                          {.replicas = 2 + static_cast<int>(seed % 3),
                           .join_probability = 0.35,
                           .delete_probability = 0.1,
                           .scope_change_probability = 0.15},
                          seed);
    history.Run(std::uniform_int_distribution<int>(1, 40)(history.rng()));
    if (history.rng()() % 2 == 0) history.ExchangeAll();
    Reference reference(history.schema(), history.replicas());
    for (const HistoryEvent& event : history.events()) reference.Apply(event);
    for (int r = 0; r < history.replicas(); ++r) {
      for (size_t k = 0; k < history.snapshots(r).size(); ++k) {
        const Record& record = history.snapshots(r)[k];
        const std::vector<std::string> mismatches =
            Mismatches(record, reference, reference.seen(r, k));
        if (mismatches.empty()) continue;
        ADD_FAILURE() << "replica " << r << " snapshot " << k << ":\n  "
                      << absl::StrJoin(mismatches, "\n  ") << "\nrecord: " << Describe(record)
                      << "\nhistory:\n"
                      << history.DescribeEvents();
        return;
      }
    }
  });
}

// causal_counter.h: "An increment concurrent with the delete survives with
// its origin's whole total". Replica A counts 5 visits (a:1); B sees them and
// deletes the record (b:1); A, not having seen the delete, counts one more
// (a:2). The merged counter is 6, not 1: the delete saw the 5, yet they come
// back with A's total. That is the documented rule, which the reference
// models (and the random histories reach). An increment made after seeing the
// delete starts from zero.
TEST(DifferentialTest, IncrementConcurrentWithDeleteKeepsTotal) {
  const CollectionSchema& schema = SingleFieldSchema(FieldKind::kCounter);
  const std::string field(FieldNameOf(FieldKind::kCounter));
  const Origin a{"gutian/fengpu/xiaban", 1}, b{"gutian/fengpu", 1};
  const HlcTimestamp t{1'764'288'000'000'000, 0};
  auto count = [&](const Record& on, int64_t delta, Dot dot) {
    return on
        .Write(schema, Change{{FieldOp{field, Increment{delta}}}, "gutian/fengpu/xiaban"}, dot, t)
        .value();
  };
  const Record five = count(Record(), 5, {a, 1});
  const Record deleted = five.Delete({b, 1}, t);
  Record merged = count(five, 1, {a, 2});
  merged.Join(deleted);
  EXPECT_TRUE(merged.alive());
  EXPECT_EQ(std::get<CausalCounter>(*merged.field(field)).Total(), 6);
  const Record after_delete = count(deleted, 1, {a, 2});
  EXPECT_EQ(std::get<CausalCounter>(*after_delete.field(field)).Total(), 1);
}

}  // namespace
}  // namespace sanji::conflict
