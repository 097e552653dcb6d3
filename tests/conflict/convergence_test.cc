// Convergence: replicas that write concurrently and exchange states in any
// order end up identical, and what they show on the way is right.
//
// Each schedule runs 3 to 8 replicas of one record over a collection with a
// field of every kind: random writes, deletes, scope changes and partial
// merges (a replica joins an old snapshot of another), then a full exchange in
// a random order. SANJI_PROPERTY_CASES / 20 schedules per test.
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "conflict/change.h"
#include "conflict/conflict_event.h"
#include "conflict/or_set.h"
#include "conflict/record.h"
#include "conflict/value_register.h"
#include "gtest/gtest.h"
#include "tests/conflict/random_history.h"

namespace sanji::conflict {
namespace {

int64_t ScheduleCases() { return std::max<int64_t>(1, PropertyCases() / 20); }

// Runs one random schedule to convergence.
void RunSchedule(RandomHistory& history) {
  const int replicas = history.replicas();
  std::uniform_int_distribution<int> steps(4 * replicas, 10 * replicas);
  history.Run(steps(history.rng()));
  history.ExchangeAll();
}

RandomHistory::Options ScheduleOptions(uint64_t seed, bool deletes) {
  return {.replicas = 3 + static_cast<int>(seed % 6),  // 3..8
          .join_probability = 0.3,
          .delete_probability = deletes ? 0.05 : 0.0,
          .scope_change_probability = 0.1};
}

constexpr absl::string_view kSetField = FieldNameOf(FieldKind::kSet);
constexpr absl::string_view kCounterField = FieldNameOf(FieldKind::kCounter);
constexpr absl::string_view kLwwField = FieldNameOf(FieldKind::kLww);

const FieldOperation* OperationOn(const Change& change, absl::string_view field) {
  for (const FieldOp& op : change.ops) {
    if (op.field == field) return &op.operation;
  }
  return nullptr;
}

// The elements a write adds (Op = AddElements) or removes (RemoveElements) in
// the set field; none for other events.
template <typename Op>
std::vector<Value> SetElements(const HistoryEvent& event) {
  if (event.type != HistoryEvent::Type::kWrite) return {};
  const FieldOperation* op = OperationOn(event.change, kSetField);
  if (op == nullptr || !std::holds_alternative<Op>(*op)) return {};
  return std::get<Op>(*op).elements;
}

bool Contains(const std::vector<Value>& values, const Value& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// The state of `event`'s replica just before it.
const Record& Before(const RandomHistory& history, const HistoryEvent& event) {
  return history.snapshots(event.replica)[event.snapshot - 1];
}

// ARCHITECTURE.md §2: "every replica converges without coordination"; "Merge
// is a pure join". After a full exchange, in any order, all replicas hold the
// same state, and show it identically.
TEST(ConvergenceTest, ReplicasConvergeAfterFullExchange) {
  ForEachCase(ScheduleCases(), [](uint64_t seed) {
    RandomHistory history(&AllKindsSchema(), ScheduleOptions(seed, /*deletes=*/seed % 2 == 0),
                          seed);
    RunSchedule(history);
    for (int i = 1; i < history.replicas(); ++i) {
      EXPECT_EQ(history.current(i), history.current(0)) << "replica " << i;
      EXPECT_EQ(history.current(i).DebugString(), history.current(0).DebugString());
    }
  });
}

// ARCHITECTURE.md §2: "counter: PN-counter (one entry per writing node)".
// With no delete, the converged total is the sum of every increment made.
TEST(ConvergenceTest, CounterSumsEveryIncrementWhenNothingIsDeleted) {
  ForEachCase(ScheduleCases(), [](uint64_t seed) {
    RandomHistory history(&AllKindsSchema(), ScheduleOptions(seed, /*deletes=*/false), seed);
    RunSchedule(history);
    int64_t sum = 0;
    for (const HistoryEvent& event : history.events()) {
      if (event.type != HistoryEvent::Type::kWrite) continue;
      const FieldOperation* op = OperationOn(event.change, kCounterField);
      if (op != nullptr) sum += std::get<Increment>(*op).delta;
    }
    const FieldState* field = history.current(0).field(kCounterField);
    EXPECT_EQ(field == nullptr ? 0 : std::get<CausalCounter>(*field).Total(), sum);
  });
}

// ARCHITECTURE.md §2: "set: add-wins observed-remove set". A directed case:
// the household of replica A needs "低保户"; B sees that and removes it while
// A, concurrently, adds it again. Both orders of merging keep the element.
TEST(ConvergenceTest, ConcurrentAddWinsOverRemove) {
  const CollectionSchema& schema = SingleFieldSchema(FieldKind::kSet);
  const Origin a{"gutian/fengpu/xiaban", 1};
  const Origin b{"gutian/fengpu", 1};
  const HlcTimestamp t{1'764'288'000'000'000, 0};
  auto change = [&](FieldOperation op) {
    return Change{{FieldOp{std::string(kSetField), std::move(op)}},
                  std::string("gutian/fengpu/xiaban")};
  };
  const Record added =
      Record().Write(schema, change(AddElements{{std::string("低保户")}}), {a, 1}, t).value();
  const Record removed =
      added.Write(schema, change(RemoveElements{{std::string("低保户")}}), {b, 1}, t).value();
  const Record readded =
      added.Write(schema, change(AddElements{{std::string("低保户")}}), {a, 2}, t).value();
  Record at_a = readded;
  at_a.Join(removed);
  Record at_b = removed;
  at_b.Join(readded);
  EXPECT_EQ(at_a, at_b);
  ASSERT_NE(at_a.field(kSetField), nullptr);
  const OrSet& set = std::get<OrSet>(*at_a.field(kSetField));
  EXPECT_EQ(set.Elements(), std::vector<Value>{std::string("低保户")});
  ASSERT_EQ(set.entries().size(), 1);
  EXPECT_EQ(set.entries()[0].dot, (Dot{a, 2}));  // the add the remove did not see
}

// ARCHITECTURE.md §2: add-wins. Over random schedules, an element is in the
// converged set exactly when some add of it was seen by no remove of it, no
// re-add of it and no delete (each of which replaces the adds it saw); a
// remove concurrent with an add does not take the element away.
TEST(ConvergenceTest, AddSurvivesExactlyWhenNoRemoveSawIt) {
  int64_t concurrent_add_remove_pairs = 0;
  ForEachCase(ScheduleCases(), [&](uint64_t seed) {
    RandomHistory history(&AllKindsSchema(), ScheduleOptions(seed, /*deletes=*/seed % 2 == 0),
                          seed);
    RunSchedule(history);
    std::set<Value> expected;
    for (const HistoryEvent& add : history.events()) {
      for (const Value& element : SetElements<AddElements>(add)) {
        bool replaced = false;
        for (const HistoryEvent& other : history.events()) {
          if (other.type == HistoryEvent::Type::kJoin || other.dot == add.dot) continue;
          const bool is_remove = Contains(SetElements<RemoveElements>(other), element);
          if (!is_remove && !Contains(SetElements<AddElements>(other), element) &&
              other.type != HistoryEvent::Type::kDelete) {
            continue;
          }
          if (Before(history, other).context().Covers(add.dot)) {
            replaced = true;
          } else if (is_remove && !Before(history, add).context().Covers(other.dot)) {
            ++concurrent_add_remove_pairs;
          }
        }
        if (!replaced) expected.insert(element);
      }
    }
    const FieldState* field = history.current(0).field(kSetField);
    const std::vector<Value> elements =
        field == nullptr ? std::vector<Value>() : std::get<OrSet>(*field).Elements();
    EXPECT_EQ(std::set<Value>(elements.begin(), elements.end()), expected);
  });
  if (!ReplayingOneSeed() && ScheduleCases() >= 20) {
    EXPECT_GT(concurrent_add_remove_pairs, 0) << "the schedules never raced an add with a remove";
  }
}

// The lww registers of a record: the scope, and the lww field if present.
std::vector<std::pair<std::string, const ValueRegister*>> LwwRegisters(const Record& record) {
  std::vector<std::pair<std::string, const ValueRegister*>> registers = {
      {std::string(Record::kScopeField), &record.state().scope}};
  if (const FieldState* field = record.field(kLwwField)) {
    registers.emplace_back(std::string(kLwwField), &std::get<ValueRegister>(*field));
  }
  return registers;
}

// Whether the value `dot` wrote is the value read from lww register `name` of
// `record` (equal values are not a conflict, conflict_event.h).
bool IsRead(const Record& record, const std::string& name, const Dot& dot) {
  for (const auto& [register_name, values] : LwwRegisters(record)) {
    if (register_name != name) continue;
    for (const ValueRegister::Entry& entry : values->entries()) {
      if (entry.dot == dot) return entry.payload.value == values->Winner().payload.value;
    }
  }
  return false;
}

// Checks one replica's kLwwOverwrite reports against conflict_event.h: a
// displaced value is reported again only if it was the read value in between
// (a delete that did not see it removed every value above it), and no
// (displaced, kept) pair is reported twice.
struct LwwReports {
  std::set<std::tuple<std::string, Value>> displaced;  // (register, displaced value)
  std::set<std::tuple<std::string, Value>> kept;       // (register, kept value)
  int64_t reported_again = 0;                          // after being read in between
};
LwwReports CheckLwwReports(const RandomHistory& history, int replica) {
  const std::vector<Record>& states = history.snapshots(replica);
  std::map<std::tuple<std::string, Dot>, size_t> last_report;  // -> snapshot
  std::set<std::tuple<std::string, Dot, Dot>> pairs;
  LwwReports reports;
  for (size_t k = 1; k < states.size(); ++k) {
    for (const ConflictEvent& event : NewConflicts(history.schema(), states[k - 1], states[k])) {
      if (event.kind != ConflictEvent::Kind::kLwwOverwrite) continue;
      reports.displaced.insert({event.field, *event.other.value});
      reports.kept.insert({event.field, *event.kept.value});
      const bool new_pair = pairs.insert({event.field, event.other.dot, event.kept.dot}).second;
      auto [it, first] = last_report.try_emplace({event.field, event.other.dot}, k);
      bool read_in_between = first;
      for (size_t j = it->second; j < k && !read_in_between; ++j) {
        read_in_between = IsRead(states[j], event.field, event.other.dot);
      }
      if (!new_pair || !read_in_between) {
        ADD_FAILURE() << "replica " << replica << " snapshot " << k << " reported "
                      << event.ToString()
                      << (new_pair ? " again while it stayed displaced"
                                   : ", a (displaced, kept) pair, twice")
                      << "\nbefore " << Describe(states[k - 1]) << "\nafter " << Describe(states[k])
                      << "\nhistory:\n"
                      << history.DescribeEvents();
      }
      if (first) continue;
      it->second = k;
      ++reports.reported_again;
    }
  }
  return reports;
}

// ARCHITECTURE.md §2: "A concurrent overwrite is not silently lost: the losing
// value is kept in the conflict log". On every replica, each lww overwrite (of
// the field or the scope) is reported once per displacement (conflict_event.h),
// and every value left displaced after convergence is in every replica's log
// (a loser holding the value read is not displaced). It may be there only as
// a kept value: a loser hidden by an equal value read, left displaced by a
// delete of that value, is not reported when the register held the winner.
TEST(ConvergenceTest, EachLwwOverwriteIsReportedOncePerReplica) {
  int64_t reported_again_after_revival = 0;
  ForEachCase(ScheduleCases(), [&](uint64_t seed) {
    RandomHistory::Options options = ScheduleOptions(seed, /*deletes=*/seed % 2 == 0);
    // An lww field alone and many deletes, so that some delete revives a
    // displaced value, which is then displaced again (conflict_event.h).
    if (options.delete_probability > 0) options.delete_probability = 0.2;
    RandomHistory history(&SingleFieldSchema(FieldKind::kLww), options, seed);
    RunSchedule(history);
    for (int r = 0; r < history.replicas(); ++r) {
      const LwwReports reports = CheckLwwReports(history, r);
      reported_again_after_revival += reports.reported_again;
      for (const auto& [name, values] : LwwRegisters(history.current(0))) {
        for (const ValueRegister::Entry& loser : values->Losers()) {
          if (loser.payload.value == values->Winner().payload.value) continue;
          const std::tuple<std::string, Value> value{name, loser.payload.value};
          EXPECT_TRUE(reports.displaced.contains(value) || reports.kept.contains(value))
              << "replica " << r << " never reported the value of loser " << loser.dot.ToString()
              << " of " << name;
        }
      }
    }
  });
  if (!ReplayingOneSeed() && ScheduleCases() >= 500) {
    EXPECT_GT(reported_again_after_revival, 0) << "no schedule displaced a revived value again";
  }
}

// conflict_event.h: a displaced value whose winner is removed by a delete that
// did not see the value is read again, and a later displacement is a new
// conflict. On replica A: its own "张三" (a:1) is displaced by B's concurrent
// "李四" (b:1). C saw b:1 only and deleted the record; merging that removes b:1
// and keeps a:1, the write the delete did not see (record.h). D's concurrent
// "王五" (d:1, later) then displaces a:1 again: two reports, with other kept.
TEST(ConvergenceTest, LoserRevivedByDeleteIsReportedAgainWithNewWinner) {
  const CollectionSchema& schema = SingleFieldSchema(FieldKind::kLww);
  const Origin a{"gutian/fengpu/xiaban", 1}, b{"gutian/fengpu", 1}, c{"gutian", 1},
      d{"gutian/chengguan", 1};
  const int64_t t = 1'764'288'000'000'000;
  auto assign = [&](const char* name, const Origin& origin, int64_t micros) {
    const Change change{{FieldOp{std::string(kLwwField), Assign{std::string(name)}}},
                        std::string("gutian/fengpu/xiaban")};
    return Record().Write(schema, change, {origin, 1}, {t + micros, 0}).value();
  };
  const Record from_b = assign("李四", b, 20);
  std::vector<Record> at_a = {assign("张三", a, 10)};
  for (const Record& incoming :
       {from_b, from_b.Delete({c, 1}, {t + 30, 0}), assign("王五", d, 40)}) {
    at_a.push_back(at_a.back());
    at_a.back().Join(incoming);
  }
  EXPECT_TRUE(IsRead(at_a[2], std::string(kLwwField), {a, 1}));
  std::vector<Dot> kept;
  for (size_t k = 1; k < at_a.size(); ++k) {
    for (const ConflictEvent& event : NewConflicts(schema, at_a[k - 1], at_a[k])) {
      if (event.kind == ConflictEvent::Kind::kLwwOverwrite && event.field == kLwwField) {
        EXPECT_EQ(event.other.dot, (Dot{a, 1})) << event.ToString();
        kept.push_back(event.kept.dot);
      }
    }
  }
  EXPECT_EQ(kept, (std::vector<Dot>{{b, 1}, {d, 1}}));
}

}  // namespace
}  // namespace sanji::conflict
