// Seeded random histories of one replicated record, for the property tests.
//
// A RandomHistory runs N replicas of one (collection, key). Each replica has
// its own Origin (node id and incarnation), dot counter, ManualClock and
// HybridLogicalClock. A step is a random local write, a delete, or a partial
// merge: replica i joins a snapshot of replica j taken at some earlier point
// (and observes its timestamps, as a node does). Every state it produces is
// reachable: made only by Record::Write, Record::Delete and Record::Join, never
// assembled by hand, because a hand-made state may break invariants (an entry
// a context covers but a peer still holds) that no real history can.
//
// Seeds: each case of a property test runs from one 64-bit seed, derived from
// the test's name and the case index, or taken from SANJI_SEED when it is set
// (then only that case runs). ForEachCase() puts "SANJI_SEED=<n>" in a
// SCOPED_TRACE, so a failure prints the command line that replays it.
//
// Thread-safety: none; one test thread drives a history.
#ifndef SANJI_TESTS_CONFLICT_RANDOM_HISTORY_H_
#define SANJI_TESTS_CONFLICT_RANDOM_HISTORY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "conflict/change.h"
#include "conflict/dot.h"
#include "conflict/dot_context.h"
#include "conflict/field.h"
#include "conflict/hlc.h"
#include "conflict/record.h"
#include "conflict/schema.h"
#include "conflict/version_vector.h"
#include "gtest/gtest.h"

namespace sanji::conflict {

// --- Cases and seeds ---------------------------------------------------------

// SANJI_PROPERTY_CASES, or 10000: how many cases each law runs per kind.
int64_t PropertyCases();

// The seeds of `cases` cases of the running test: {SANJI_SEED} when that is
// set, else seeds mixed from the test's full name and the case index.
std::vector<uint64_t> CaseSeeds(int64_t cases);

// Whether SANJI_SEED is set: one case replays, so checks that some case
// covered a scenario do not apply.
bool ReplayingOneSeed();

// Runs body(seed) for each seed of CaseSeeds(cases), with the replay command
// in a SCOPED_TRACE; stops at the first failing case.
template <typename Body>
void ForEachCase(int64_t cases, Body body) {
  for (uint64_t seed : CaseSeeds(cases)) {
    SCOPED_TRACE(absl::StrCat("replay with SANJI_SEED=", seed));
    body(seed);
    if (::testing::Test::HasFailure()) return;
  }
}

// --- Schemas -------------------------------------------------------------------

// One field of each kind, with these names, in AllKindsSchema(); the same
// field alone in SingleFieldSchema(kind).
inline constexpr std::array<FieldKind, 5> kAllFieldKinds = {
    FieldKind::kLww, FieldKind::kMv, FieldKind::kCounter, FieldKind::kSet, FieldKind::kStatus};
constexpr absl::string_view FieldNameOf(FieldKind kind) {
  constexpr std::array<absl::string_view, 5> kNames = {"head_name", "income", "visits", "needs",
                                                       "status"};
  return kNames[static_cast<size_t>(kind)];
}
// The order of the status field.
inline constexpr std::array<absl::string_view, 4> kStatusOrder = {"open", "assigned", "resolved",
                                                                  "closed"};

// Built once; they live for the whole test binary.
const CollectionSchema& SingleFieldSchema(FieldKind kind);
const CollectionSchema& AllKindsSchema();

// Every entry of every part of `record`, with payloads: what a failure prints
// (Record::DebugString() shows dots only).
std::string Describe(const Record& record);

// "dot=payload" for one entry of a field, the scope or a kernel.
std::string PayloadString(const TimestampedValue& payload);
std::string PayloadString(const Value& payload);
std::string PayloadString(int64_t payload);
std::string PayloadString(uint32_t payload);
std::string PayloadString(HlcTimestamp payload);
template <typename Payload>
std::string EntryString(const Dot& dot, const Payload& payload) {
  return absl::StrCat(dot.ToString(), "=", PayloadString(payload));
}

// How gtest prints the states in a failed expectation.
void PrintTo(const Record& record, std::ostream* out);
void PrintTo(const VersionVector& vector, std::ostream* out);
void PrintTo(const DotContext& context, std::ostream* out);

// The greatest HLC timestamp a record holds (scope, registers, presence,
// deletes): what a node observes when it merges the record.
std::optional<HlcTimestamp> MaxTimestamp(const Record& record);

// --- Histories -----------------------------------------------------------------

// One step of a history. Each step appends one state to snapshots(replica).
struct HistoryEvent {
  enum class Type { kWrite, kDelete, kJoin };

  Type type = Type::kWrite;
  int replica = 0;
  // Index in snapshots(replica) of the state after the step; the state before
  // it is at snapshot - 1.
  size_t snapshot = 0;
  // kWrite and kDelete: the dot and time given to the change.
  Dot dot;
  HlcTimestamp timestamp;
  Change change;  // kWrite only
  // kJoin: the replica joined snapshots(source)[source_snapshot].
  int source = -1;
  size_t source_snapshot = 0;
};

// "replica 1 write gutian/fengpu#1:2@<time> scope=... head_name assign ..."
std::string Describe(const HistoryEvent& event);

class RandomHistory {
 public:
  static constexpr int kMaxReplicas = 8;

  struct Options {
    int replicas = 3;
    // Per step: a partial merge with this probability, else a delete with
    // delete_probability, else a write.
    double join_probability = 0.35;
    double delete_probability = 0.06;
    // Per write: the chance that it moves the record to another scope.
    double scope_change_probability = 0.0;
  };

  // REQUIRES: `schema` outlives this object; 1 <= replicas <= kMaxReplicas.
  RandomHistory(const CollectionSchema* schema, Options options, uint64_t seed);
  ~RandomHistory();
  RandomHistory(const RandomHistory&) = delete;
  RandomHistory& operator=(const RandomHistory&) = delete;

  // One random step (write, delete or partial merge) on a random replica.
  void Step();
  void Run(int steps);
  // Every replica joins the current state of every other, the ordered pairs
  // in random order. Afterwards all replicas hold the join of all states.
  void ExchangeAll();

  int replicas() const { return static_cast<int>(replicas_.size()); }
  const Origin& origin(int replica) const;
  const Record& current(int replica) const { return snapshots(replica).back(); }
  // Every state the replica held, oldest first; the first is Record().
  const std::vector<Record>& snapshots(int replica) const;
  const std::vector<HistoryEvent>& events() const { return events_; }
  const CollectionSchema& schema() const { return *schema_; }
  // Every event, one per line: what a failure prints to explain a state.
  std::string DescribeEvents() const;
  std::mt19937_64& rng() { return rng_; }

  // A snapshot of `replica` at a random point, biased to late ones.
  const Record& RandomSnapshot(int replica);
  // Three random replicas, distinct when there are enough, except that one
  // time in five the first two are the same.
  std::array<int, 3> ThreeReplicas();

  // The single steps, for directed scenarios and the samplers.
  void Write(int replica);
  void Delete(int replica);
  void Join(int replica, int source, size_t source_snapshot);

 private:
  struct Replica;

  void AdvanceTime();
  size_t RandomSnapshotIndex(int replica);
  Dot NextDot(int replica);
  Change RandomChange(const Record& current);
  FieldOp RandomOperation(const std::string& name, const FieldSpec& spec, const Record& current);
  Value RandomValue(ValueType type);
  void Commit(int replica, HistoryEvent event, Record next);

  const CollectionSchema* const schema_;
  const Options options_;
  std::mt19937_64 rng_;
  int64_t now_micros_;  // the "true" time; each replica's clock is off by an offset
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<HistoryEvent> events_;
};

// --- Samplers for the law tests ------------------------------------------------

// Three states (not necessarily distinct) of one random history over
// `schema`: different replicas, different points in time. The history has
// between 2 and options.replicas replicas and a random length.
std::array<Record, 3> SampleRecords(const CollectionSchema& schema, RandomHistory::Options options,
                                    uint64_t seed);
// Record contexts from one history over AllKindsSchema().
std::array<VersionVector, 3> SampleVersionVectors(uint64_t seed);
// Replica knowledge from one history over AllKindsSchema(): dots learnt as
// whole prefixes and one by one, so some have clouds.
std::array<DotContext, 3> SampleDotContexts(uint64_t seed);

}  // namespace sanji::conflict

#endif  // SANJI_TESTS_CONFLICT_RANDOM_HISTORY_H_
