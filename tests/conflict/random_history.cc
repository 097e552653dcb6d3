#include "tests/conflict/random_history.h"

#include <algorithm>
#include <cstdlib>
#include <type_traits>
#include <utility>

#include "absl/strings/numbers.h"
#include "conflict/clock.h"

namespace sanji::conflict {

namespace {

constexpr int64_t kDefaultCases = 10000;
// 2025-11-28T00:00:00Z: where every history's clocks start.
constexpr int64_t kStartMicros = 1'764'288'000'000'000;

// Replica i is origin i. Index 3 is the village box of index 0 re-imaged: the
// same node id in a new incarnation, whose counters restart at 1.
struct OriginSpec {
  absl::string_view node_id;
  uint32_t incarnation;
};
constexpr OriginSpec kOrigins[RandomHistory::kMaxReplicas] = {
    {"gutian/fengpu/xiaban", 1},     {"gutian/fengpu", 1},          {"gutian", 1},
    {"gutian/fengpu/xiaban", 2},     {"gutian/fengpu/shangban", 1}, {"gutian/chengguan", 1},
    {"gutian/chengguan/dongmen", 1}, {"gutian/chengguan/ximen", 1}};

// Clock offsets, in microseconds, from the true time. Repeats make replicas
// read equal physical times, so HLC ties (broken by dot) happen.
constexpr int64_t kClockOffsets[] = {0, 0, 0, 3, -2, 500, -1500};

// Small domains, so that concurrent writes often carry equal values and sets
// often add and remove the same element.
constexpr absl::string_view kStrings[] = {"张三", "李四", "低保户", "五保户"};
constexpr int64_t kInts[] = {0, 1200, 3400, 5600};
// Callers whose writes the record names (record.h, "authors"); "" records none.
constexpr absl::string_view kAuthors[] = {"sanji://app/clinic/gutian/fengpu/xiaban",
                                          "sanji://operator/duty/gutian", ""};
constexpr absl::string_view kScopes[] = {"gutian/fengpu/xiaban", "gutian/fengpu/shangban",
                                         "gutian/fengpu", "gutian/chengguan/dongmen"};

int64_t Uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

bool Chance(std::mt19937_64& rng, double p) { return std::bernoulli_distribution(p)(rng); }

template <typename T, size_t N>
const T& Pick(std::mt19937_64& rng, const T (&items)[N]) {
  return items[Uniform(rng, 0, N - 1)];
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// FNV-1a: stable across builds, unlike std::hash.
uint64_t Fnv1a(absl::string_view text) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char byte : text) {
    hash ^= byte;
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::optional<uint64_t> EnvNumber(const char* name) {
  const char* text = std::getenv(name);
  uint64_t number = 0;
  if (text == nullptr) return std::nullopt;
  if (!absl::SimpleAtoi(text, &number)) {
    ADD_FAILURE() << name << "=\"" << text << "\" is not a non-negative integer";
    return std::nullopt;
  }
  return number;
}

FieldSpec SpecOf(FieldKind kind) {
  FieldSpec spec;
  spec.kind = kind;
  spec.value_type = kind == FieldKind::kMv ? ValueType::kInt : ValueType::kString;
  if (kind == FieldKind::kStatus) {
    for (absl::string_view status : kStatusOrder) spec.status_order.emplace_back(status);
  }
  return spec;
}

CollectionSchema MakeSchema(std::vector<FieldKind> kinds) {
  CollectionSchema schema("households");
  for (FieldKind kind : kinds) {
    absl::Status added = schema.AddField(std::string(FieldNameOf(kind)), SpecOf(kind));
    if (!added.ok()) ADD_FAILURE() << added;
  }
  return schema;
}

// Calls visit(part, entries) for the scope, presence, deletes and each field.
template <typename Visit>
void ForEachPart(const Record& record, Visit visit) {
  const RecordState& state = record.state();
  visit("scope", state.scope.entries());
  visit("presence", state.presence.entries());
  visit("deletes", state.deletes.entries());
  for (const auto& [key, field] : state.fields) {
    std::visit([&](const auto& typed) { visit(key.name, typed.entries()); }, field);
  }
}

// The dots of every entry of `record`: what a receiver learns one by one.
std::vector<Dot> EntryDots(const Record& record) {
  std::vector<Dot> dots;
  ForEachPart(record, [&](absl::string_view, const auto& entries) {
    for (const auto& entry : entries) dots.push_back(entry.dot);
  });
  return dots;
}

}  // namespace

int64_t PropertyCases() {
  std::optional<uint64_t> cases = EnvNumber("SANJI_PROPERTY_CASES");
  return cases.has_value() && *cases > 0 ? static_cast<int64_t>(*cases) : kDefaultCases;
}

bool ReplayingOneSeed() { return std::getenv("SANJI_SEED") != nullptr; }

std::vector<uint64_t> CaseSeeds(int64_t cases) {
  if (std::optional<uint64_t> seed = EnvNumber("SANJI_SEED")) return {*seed};
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const uint64_t base =
      test == nullptr ? 0 : Fnv1a(absl::StrCat(test->test_suite_name(), ".", test->name()));
  std::vector<uint64_t> seeds;
  seeds.reserve(std::max<int64_t>(cases, 1));
  for (int64_t i = 0; i < std::max<int64_t>(cases, 1); ++i) {
    seeds.push_back(SplitMix64(base ^ SplitMix64(static_cast<uint64_t>(i))));
  }
  return seeds;
}

const CollectionSchema& SingleFieldSchema(FieldKind kind) {
  static const auto* const kSchemas = new std::array<CollectionSchema, 5>{
      MakeSchema({kAllFieldKinds[0]}), MakeSchema({kAllFieldKinds[1]}),
      MakeSchema({kAllFieldKinds[2]}), MakeSchema({kAllFieldKinds[3]}),
      MakeSchema({kAllFieldKinds[4]})};
  return (*kSchemas)[static_cast<size_t>(kind)];
}

const CollectionSchema& AllKindsSchema() {
  static const auto* const kSchema = new CollectionSchema(
      MakeSchema(std::vector<FieldKind>(kAllFieldKinds.begin(), kAllFieldKinds.end())));
  return *kSchema;
}

std::string PayloadString(const TimestampedValue& payload) {
  // Raw numbers: formatting a date for every entry compared would dominate.
  return absl::StrCat(ValueToString(payload.value), "@", PayloadString(payload.timestamp));
}
std::string PayloadString(const Value& payload) { return ValueToString(payload); }
std::string PayloadString(int64_t payload) { return absl::StrCat(payload); }
std::string PayloadString(uint32_t payload) { return absl::StrCat("rank ", payload); }

std::string PayloadString(HlcTimestamp payload) {
  return absl::StrCat(payload.physical_micros, "+", payload.logical);
}

std::string Describe(const Record& record) {
  std::string out = record.DebugString();
  ForEachPart(record, [&](absl::string_view part, const auto& entries) {
    absl::StrAppend(&out, "\n  ", part, ":");
    for (const auto& entry : entries) {
      absl::StrAppend(&out, " ", EntryString(entry.dot, entry.payload));
    }
  });
  return out;
}

std::string Describe(const HistoryEvent& event) {
  std::string out = absl::StrCat("replica ", event.replica, " ");
  if (event.type == HistoryEvent::Type::kJoin) {
    absl::StrAppend(&out, "joins snapshot ", event.source_snapshot, " of replica ", event.source);
    return out;
  }
  absl::StrAppend(&out, event.type == HistoryEvent::Type::kDelete ? "deletes " : "writes ",
                  event.dot.ToString(), "@", event.timestamp.ToString());
  if (event.change.scope.has_value()) absl::StrAppend(&out, " scope=", *event.change.scope);
  for (const FieldOp& op : event.change.ops) {
    absl::StrAppend(&out, " ", op.field, " ", OperationName(op.operation), " ");
    if (const auto* assign = std::get_if<Assign>(&op.operation)) {
      absl::StrAppend(&out, ValueToString(assign->value));
    } else if (const auto* increment = std::get_if<Increment>(&op.operation)) {
      absl::StrAppend(&out, increment->delta);
    } else if (const auto* status = std::get_if<SetStatus>(&op.operation)) {
      absl::StrAppend(&out, status->status);
    } else {
      const auto* add = std::get_if<AddElements>(&op.operation);
      const std::vector<Value>& elements =
          add != nullptr ? add->elements : std::get<RemoveElements>(op.operation).elements;
      for (const Value& element : elements) absl::StrAppend(&out, ValueToString(element), ",");
    }
  }
  return out;
}

void PrintTo(const Record& record, std::ostream* out) { *out << Describe(record); }
void PrintTo(const VersionVector& vector, std::ostream* out) { *out << vector.ToString(); }
void PrintTo(const DotContext& context, std::ostream* out) { *out << context.ToString(); }

std::optional<HlcTimestamp> MaxTimestamp(const Record& record) {
  std::optional<HlcTimestamp> max;
  ForEachPart(record, [&](absl::string_view, const auto& entries) {
    for (const auto& entry : entries) {
      using Payload = std::decay_t<decltype(entry.payload)>;
      HlcTimestamp timestamp;
      if constexpr (std::is_same_v<Payload, HlcTimestamp>) {
        timestamp = entry.payload;
      } else if constexpr (std::is_same_v<Payload, TimestampedValue>) {
        timestamp = entry.payload.timestamp;
      } else {
        continue;  // counters, sets and statuses carry no time
      }
      if (!max.has_value() || *max < timestamp) max = timestamp;
    }
  });
  return max;
}

struct RandomHistory::Replica {
  Replica(Origin origin_in, int64_t offset, int64_t now)
      : origin(std::move(origin_in)),
        offset_micros(offset),
        clock(now + offset),
        hlc(&clock, HybridLogicalClock::Options()) {}

  Origin origin;
  int64_t offset_micros;
  ManualClock clock;
  HybridLogicalClock hlc;  // reads `clock`, so a Replica never moves
  uint64_t counter = 0;
  std::vector<Record> snapshots{Record()};
};

RandomHistory::RandomHistory(const CollectionSchema* schema, Options options, uint64_t seed)
    : schema_(schema), options_(options), rng_(seed), now_micros_(kStartMicros) {
  const int count = std::clamp(options.replicas, 1, kMaxReplicas);
  for (int i = 0; i < count; ++i) {
    Origin origin{std::string(kOrigins[i].node_id), kOrigins[i].incarnation};
    replicas_.push_back(
        std::make_unique<Replica>(std::move(origin), Pick(rng_, kClockOffsets), now_micros_));
  }
}

RandomHistory::~RandomHistory() = default;

const Origin& RandomHistory::origin(int replica) const { return replicas_[replica]->origin; }

const std::vector<Record>& RandomHistory::snapshots(int replica) const {
  return replicas_[replica]->snapshots;
}

std::string RandomHistory::DescribeEvents() const {
  std::string out;
  for (size_t i = 0; i < events_.size(); ++i) {
    absl::StrAppend(&out, "  #", i, " ", Describe(events_[i]), " -> snapshot ", events_[i].snapshot,
                    "\n");
  }
  return out;
}

void RandomHistory::Run(int steps) {
  for (int i = 0; i < steps; ++i) Step();
}

void RandomHistory::Step() {
  AdvanceTime();
  const int replica = static_cast<int>(Uniform(rng_, 0, replicas() - 1));
  if (replicas() > 1 && Chance(rng_, options_.join_probability)) {
    int source = static_cast<int>(Uniform(rng_, 0, replicas() - 2));
    if (source >= replica) ++source;
    Join(replica, source, RandomSnapshotIndex(source));
  } else if (Chance(rng_, options_.delete_probability)) {
    Delete(replica);
  } else {
    Write(replica);
  }
}

void RandomHistory::ExchangeAll() {
  std::vector<std::pair<int, int>> pairs;
  for (int i = 0; i < replicas(); ++i) {
    for (int j = 0; j < replicas(); ++j) {
      if (i != j) pairs.emplace_back(i, j);
    }
  }
  std::shuffle(pairs.begin(), pairs.end(), rng_);
  for (const auto& [replica, source] : pairs) {
    AdvanceTime();
    Join(replica, source, snapshots(source).size() - 1);
  }
}

const Record& RandomHistory::RandomSnapshot(int replica) {
  return snapshots(replica)[RandomSnapshotIndex(replica)];
}

std::array<int, 3> RandomHistory::ThreeReplicas() {
  std::vector<int> order;
  for (int i = 0; i < replicas(); ++i) order.push_back(i);
  std::shuffle(order.begin(), order.end(), rng_);
  // One time in five, a state is joined with another of its own replica.
  if (Chance(rng_, 0.2)) order[1] = order[0];
  return {order[0], order[1 % order.size()], order[2 % order.size()]};
}

size_t RandomHistory::RandomSnapshotIndex(int replica) {
  const int64_t size = static_cast<int64_t>(snapshots(replica).size());
  const int64_t roll = Uniform(rng_, 0, 3);
  const int64_t low = roll == 0 ? 0 : roll == 1 ? size / 2 : size - 1;
  return static_cast<size_t>(Uniform(rng_, low, size - 1));
}

void RandomHistory::AdvanceTime() {
  const int64_t roll = Uniform(rng_, 0, 9);
  if (roll >= 8) {
    now_micros_ += Uniform(rng_, 1, 5000);
  } else if (roll >= 4) {
    now_micros_ += Uniform(rng_, 1, 3);
  }  // else the time stands still and HLCs count logical ticks
  for (auto& replica : replicas_) {
    // Now and then a clock jumps (NTP, a dead RTC battery), maybe backwards.
    if (Chance(rng_, 0.02)) replica->offset_micros = Pick(rng_, kClockOffsets);
    replica->clock.Set(now_micros_ + replica->offset_micros);
  }
}

Dot RandomHistory::NextDot(int replica) {
  uint64_t& counter = replicas_[replica]->counter;
  // Sometimes the origin changed other records in between: its counter is
  // dense at the origin, not within one record.
  counter += Chance(rng_, 0.1) ? Uniform(rng_, 2, 4) : 1;
  return Dot{origin(replica), counter};
}

void RandomHistory::Write(int replica) {
  const Record& before = current(replica);
  HistoryEvent event;
  event.type = HistoryEvent::Type::kWrite;
  event.change = RandomChange(before);
  event.change.author = std::string(Pick(rng_, kAuthors));
  event.dot = NextDot(replica);
  event.timestamp = replicas_[replica]->hlc.Now();
  absl::StatusOr<Record> next = before.Write(*schema_, event.change, event.dot, event.timestamp);
  if (!next.ok()) {
    ADD_FAILURE() << "a generated write was refused: " << next.status();
    return;
  }
  Commit(replica, std::move(event), *std::move(next));
}

void RandomHistory::Delete(int replica) {
  HistoryEvent event;
  event.type = HistoryEvent::Type::kDelete;
  event.dot = NextDot(replica);
  event.timestamp = replicas_[replica]->hlc.Now();
  Record next = current(replica).Delete(event.dot, event.timestamp, Pick(rng_, kAuthors));
  Commit(replica, std::move(event), std::move(next));
}

void RandomHistory::Join(int replica, int source, size_t source_snapshot) {
  HistoryEvent event;
  event.type = HistoryEvent::Type::kJoin;
  event.source = source;
  event.source_snapshot = source_snapshot;
  const Record& theirs = snapshots(source)[source_snapshot];
  Record next = current(replica);
  next.Join(theirs);
  if (std::optional<HlcTimestamp> latest = MaxTimestamp(theirs)) {
    absl::StatusOr<HlcTimestamp> observed = replicas_[replica]->hlc.Observe(*latest);
    if (!observed.ok()) ADD_FAILURE() << observed.status();
  }
  Commit(replica, std::move(event), std::move(next));
}

void RandomHistory::Commit(int replica, HistoryEvent event, Record next) {
  Replica& state = *replicas_[replica];
  state.snapshots.push_back(std::move(next));
  event.replica = replica;
  event.snapshot = state.snapshots.size() - 1;
  events_.push_back(std::move(event));
}

Change RandomHistory::RandomChange(const Record& current) {
  Change change;
  const bool has_scope = current.scope().has_value();
  if (!has_scope || Chance(rng_, options_.scope_change_probability)) {
    change.scope = std::string(Pick(rng_, kScopes));
    // A reassignment alone, touching no field.
    if (has_scope && Chance(rng_, 0.3)) return change;
  }
  std::vector<const std::pair<const std::string, FieldSpec>*> fields;
  for (const auto& field : schema_->fields()) fields.push_back(&field);
  std::shuffle(fields.begin(), fields.end(), rng_);
  fields.resize(Uniform(rng_, 1, std::min<int64_t>(3, fields.size())));
  for (const auto* field : fields) {
    change.ops.push_back(RandomOperation(field->first, field->second, current));
  }
  return change;
}

FieldOp RandomHistory::RandomOperation(const std::string& name, const FieldSpec& spec,
                                       const Record& current) {
  switch (spec.kind) {
    case FieldKind::kLww:
    case FieldKind::kMv:
      return FieldOp{name, Assign{RandomValue(spec.value_type)}};
    case FieldKind::kCounter:
      return FieldOp{name, Increment{Uniform(rng_, -3, 7)}};
    case FieldKind::kSet: {
      std::vector<Value> elements;
      for (int64_t n = Uniform(rng_, 1, 2); n > 0; --n) {
        elements.push_back(RandomValue(spec.value_type));
      }
      if (Chance(rng_, 0.65)) return FieldOp{name, AddElements{std::move(elements)}};
      return FieldOp{name, RemoveElements{std::move(elements)}};
    }
    case FieldKind::kStatus: {
      // Never backwards: Write refuses that, and the generator makes only
      // valid changes.
      const FieldState* state = current.field(name);
      const uint32_t rank = state == nullptr ? 0 : std::get<StatusRegister>(*state).Rank().value();
      const int64_t next = Uniform(rng_, rank, spec.status_order.size() - 1);
      return FieldOp{name, SetStatus{spec.status_order[next]}};
    }
  }
  return FieldOp{name, Assign{RandomValue(spec.value_type)}};
}

Value RandomHistory::RandomValue(ValueType type) {
  // The schemas here use string and int values only.
  if (type == ValueType::kInt) return Pick(rng_, kInts);
  return std::string(Pick(rng_, kStrings));
}

std::array<Record, 3> SampleRecords(const CollectionSchema& schema, RandomHistory::Options options,
                                    uint64_t seed) {
  std::mt19937_64 shape(SplitMix64(seed));
  options.replicas = static_cast<int>(Uniform(shape, 2, std::max(2, options.replicas)));
  RandomHistory history(&schema, options, seed);
  history.Run(static_cast<int>(Uniform(shape, 2 * options.replicas, 8 * options.replicas)));
  const std::array<int, 3> replicas = history.ThreeReplicas();
  return {history.RandomSnapshot(replicas[0]), history.RandomSnapshot(replicas[1]),
          history.RandomSnapshot(replicas[2])};
}

std::array<VersionVector, 3> SampleVersionVectors(uint64_t seed) {
  std::array<Record, 3> records = SampleRecords(AllKindsSchema(), {.replicas = 5}, seed);
  return {records[0].context(), records[1].context(), records[2].context()};
}

std::array<DotContext, 3> SampleDotContexts(uint64_t seed) {
  std::mt19937_64 rng(SplitMix64(seed));
  RandomHistory history(&AllKindsSchema(), {.replicas = static_cast<int>(Uniform(rng, 2, 5))},
                        seed);
  history.Run(static_cast<int>(Uniform(rng, 2, 30)));
  // Replays the history as each replica's knowledge: its own dots one by one,
  // and from each merge either the sender's knowledge, the received context as
  // whole prefixes, or the dots of the received entries one by one (a cloud).
  std::vector<std::vector<DotContext>> knowledge(history.replicas(), {DotContext()});
  for (const HistoryEvent& event : history.events()) {
    DotContext learnt = knowledge[event.replica].back();
    if (event.type != HistoryEvent::Type::kJoin) {
      learnt.Insert(event.dot);
    } else if (const int64_t how = Uniform(rng, 0, 2); how == 0) {
      learnt.Join(knowledge[event.source][event.source_snapshot]);
    } else if (how == 1) {
      learnt.InsertPrefixes(history.snapshots(event.source)[event.source_snapshot].context());
    } else {
      for (const Dot& dot : EntryDots(history.snapshots(event.source)[event.source_snapshot])) {
        learnt.Insert(dot);
      }
    }
    knowledge[event.replica].push_back(std::move(learnt));
  }
  std::array<DotContext, 3> sample;
  const std::array<int, 3> replicas = history.ThreeReplicas();
  for (int i = 0; i < 3; ++i) {
    const std::vector<DotContext>& states = knowledge[replicas[i]];
    sample[i] = states[Uniform(rng, 0, states.size() - 1)];
  }
  return sample;
}

}  // namespace sanji::conflict
