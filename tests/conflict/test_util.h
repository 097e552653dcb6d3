// Helpers shared by the unit tests of conflict/: the example county schema of
// shared/design/DOMAIN.md, builders for changes, typed reads of a record's
// fields, a status check, and a replica that writes one record with its own
// origin, counter and HLC over a ManualClock.
//
// Header-only: everything is inline. Not thread-safe; tests run on one thread.
#ifndef SANJI_TESTS_CONFLICT_TEST_UTIL_H_
#define SANJI_TESTS_CONFLICT_TEST_UTIL_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conflict/change.h"
#include "conflict/clock.h"
#include "conflict/conflict_event.h"
#include "conflict/dot.h"
#include "conflict/dot_context.h"
#include "conflict/field.h"
#include "conflict/hlc.h"
#include "conflict/record.h"
#include "conflict/schema.h"
#include "conflict/status_macros.h"
#include "conflict/value.h"
#include "conflict/version_vector.h"
#include "gtest/gtest.h"

namespace sanji::conflict {

// Readable failure output for the library's value types (found by ADL).
inline void PrintTo(const Origin& origin, std::ostream* os) { *os << origin.ToString(); }
inline void PrintTo(const Dot& dot, std::ostream* os) { *os << dot.ToString(); }
inline void PrintTo(const HlcTimestamp& timestamp, std::ostream* os) {
  *os << "{" << timestamp.physical_micros << ", " << timestamp.logical << "} "
      << timestamp.ToString();
}
inline void PrintTo(const VersionVector& vector, std::ostream* os) { *os << vector.ToString(); }
inline void PrintTo(const DotContext& context, std::ostream* os) { *os << context.ToString(); }
inline void PrintTo(const Record& record, std::ostream* os) { *os << record.DebugString(); }
inline void PrintTo(const ConflictEvent& event, std::ostream* os) { *os << event.ToString(); }

namespace testutil {

// 2026-11-28T01:39:51.123456Z: "now" for the replicas of the tests.
inline constexpr int64_t kDemoMicros = 1'795'829'991'123'456;
inline constexpr int64_t kSecond = 1'000'000;

// The demo county of DOMAIN.md: node ids are also scopes.
inline constexpr absl::string_view kCounty = "gutian";
inline constexpr absl::string_view kFengpu = "gutian/fengpu";
inline constexpr absl::string_view kXiaban = "gutian/fengpu/xiaban";
inline constexpr absl::string_view kShangban = "gutian/fengpu/shangban";
inline constexpr absl::string_view kPingbu = "gutian/pingbu";

// --- Schema ----------------------------------------------------------------

inline FieldSpec LwwSpec(ValueType type = ValueType::kString) {
  return FieldSpec{FieldKind::kLww, type, {}};
}
inline FieldSpec MvSpec(ValueType type) { return FieldSpec{FieldKind::kMv, type, {}}; }
inline FieldSpec CounterSpec() { return FieldSpec{FieldKind::kCounter, ValueType::kInt, {}}; }
inline FieldSpec SetSpec(ValueType type = ValueType::kString) {
  return FieldSpec{FieldKind::kSet, type, {}};
}
inline FieldSpec StatusSpec(std::vector<std::string> order) {
  return FieldSpec{FieldKind::kStatus, ValueType::kString, std::move(order)};
}

using FieldList = std::vector<std::pair<std::string, FieldSpec>>;

inline absl::StatusOr<CollectionSchema> BuildCollection(std::string name, FieldList fields) {
  CollectionSchema collection(std::move(name));
  for (auto& [field_name, spec] : fields) {
    SANJI_RETURN_IF_ERROR(collection.AddField(field_name, std::move(spec)));
  }
  return collection;
}

inline std::vector<std::string> RequestStatuses() {
  return {"open", "assigned", "resolved", "closed"};
}

// The example county schema of DOMAIN.md. Text is string, money (fen) and
// counts are int.
inline absl::StatusOr<Schema> BuildCountySchema() {
  std::vector<std::pair<std::string, FieldList>> collections = {
      {"service_requests",
       {{"title", LwwSpec()},
        {"detail", LwwSpec()},
        {"requester", LwwSpec()},
        {"category", LwwSpec()},
        {"assignee", LwwSpec()},
        {"escalated_to", LwwSpec()},
        {"status", StatusSpec(RequestStatuses())},
        {"comments", SetSpec()}}},
      {"households",
       {{"name", LwwSpec()},
        {"members", LwwSpec(ValueType::kInt)},
        {"village", LwwSpec()},
        {"annual_income", MvSpec(ValueType::kInt)},
        {"support_measures", SetSpec()}}},
      {"microloans",
       {{"applicant", LwwSpec()},
        {"amount_fen", LwwSpec(ValueType::kInt)},
        {"purpose", LwwSpec()},
        {"status", StatusSpec({"applied", "approved", "disbursed", "repaid"})},
        {"repaid_fen", CounterSpec()}}},
      {"store_sales",
       {{"day", LwwSpec()},
        {"category", LwwSpec()},
        {"units", CounterSpec()},
        {"revenue_fen", CounterSpec()}}},
      {"mediation_cases",
       {{"parties", SetSpec()},
        {"summary", LwwSpec()},
        {"mediator", LwwSpec()},
        {"status", StatusSpec({"filed", "mediating", "settled"})}}},
      {"notices", {{"title", LwwSpec()}, {"body", LwwSpec()}, {"acknowledged_by", SetSpec()}}},
  };
  Schema schema;
  for (auto& [name, fields] : collections) {
    SANJI_ASSIGN_OR_RETURN(CollectionSchema collection, BuildCollection(name, std::move(fields)));
    SANJI_RETURN_IF_ERROR(schema.AddCollection(std::move(collection)));
  }
  return schema;
}

// A fixture holding the county schema and its collections.
class CountySchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Schema> schema = BuildCountySchema();
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    requests_ = schema_.Collection("service_requests").value();
    households_ = schema_.Collection("households").value();
    sales_ = schema_.Collection("store_sales").value();
  }

  Schema schema_;
  const CollectionSchema* requests_ = nullptr;
  const CollectionSchema* households_ = nullptr;
  const CollectionSchema* sales_ = nullptr;
};

// --- Changes ---------------------------------------------------------------

inline Value Text(std::string text) { return Value(std::move(text)); }
inline Value Int(int64_t number) { return Value(number); }

inline FieldOp AssignOp(std::string field, Value value) {
  return FieldOp{std::move(field), Assign{std::move(value)}};
}
inline FieldOp IncrementOp(std::string field, int64_t delta) {
  return FieldOp{std::move(field), Increment{delta}};
}
inline FieldOp AddOp(std::string field, std::vector<Value> elements) {
  return FieldOp{std::move(field), AddElements{std::move(elements)}};
}
inline FieldOp RemoveOp(std::string field, std::vector<Value> elements) {
  return FieldOp{std::move(field), RemoveElements{std::move(elements)}};
}
inline FieldOp StatusOp(std::string field, std::string status) {
  return FieldOp{std::move(field), SetStatus{std::move(status)}};
}

inline Change MakeChange(std::vector<FieldOp> ops) { return Change{std::move(ops), std::nullopt}; }
inline Change MakeChange(std::vector<FieldOp> ops, absl::string_view scope) {
  return Change{std::move(ops), std::string(scope)};
}

// --- Reads -----------------------------------------------------------------

inline const ValueRegister* RegisterOf(const Record& record, absl::string_view field) {
  const FieldState* state = record.field(field);
  return state == nullptr ? nullptr : std::get_if<ValueRegister>(state);
}

// The lww read of `field`, nullopt when it holds nothing.
inline std::optional<Value> LwwRead(const Record& record, absl::string_view field) {
  const ValueRegister* values = RegisterOf(record, field);
  if (values == nullptr) return std::nullopt;
  return values->Winner().payload.value;
}

// The mv read: every sibling's value, in entry (dot) order.
inline std::vector<Value> MvRead(const Record& record, absl::string_view field) {
  std::vector<Value> out;
  if (const ValueRegister* values = RegisterOf(record, field)) {
    for (const auto& entry : values->entries()) out.push_back(entry.payload.value);
  }
  return out;
}

// 0 when the field holds nothing.
inline int64_t CounterRead(const Record& record, absl::string_view field) {
  const FieldState* state = record.field(field);
  if (state == nullptr) return 0;
  const auto* counter = std::get_if<CausalCounter>(state);
  return counter == nullptr ? 0 : counter->Total();
}

inline std::vector<Value> SetRead(const Record& record, absl::string_view field) {
  const FieldState* state = record.field(field);
  if (state == nullptr) return {};
  const auto* set = std::get_if<OrSet>(state);
  return set == nullptr ? std::vector<Value>() : set->Elements();
}

inline std::optional<uint32_t> StatusRead(const Record& record, absl::string_view field) {
  const FieldState* state = record.field(field);
  if (state == nullptr) return std::nullopt;
  const auto* status = std::get_if<StatusRegister>(state);
  return status == nullptr ? std::nullopt : status->Rank();
}

// --- Status checks -----------------------------------------------------------

// Succeeds if `status` has `code` and its message contains every one of
// `parts`; otherwise says which is missing.
inline ::testing::AssertionResult HasError(const absl::Status& status, absl::StatusCode code,
                                           std::initializer_list<absl::string_view> parts) {
  if (status.code() != code) {
    return ::testing::AssertionFailure()
           << "expected code " << absl::StatusCodeToString(code) << ", got " << status;
  }
  const std::string message(status.message());
  for (absl::string_view part : parts) {
    if (message.find(std::string(part)) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "message \"" << message << "\" does not name \"" << part << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

// --- A replica ---------------------------------------------------------------

// One node (origin, dot counter, HLC over its own ManualClock) holding its copy
// of one record. Writes take fresh dots and HLC timestamps, so the dot rules
// of dot.h hold. Receive() merges without touching the HLC: tests set the
// clocks to choose which write has the greater timestamp.
class Replica {
 public:
  explicit Replica(absl::string_view node_id, int64_t now_micros = kDemoMicros,
                   uint32_t incarnation = 1)
      : origin_{std::string(node_id), incarnation},
        clock_(now_micros),
        hlc_(&clock_, HybridLogicalClock::Options()) {}
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  const Origin& origin() const { return origin_; }
  ManualClock& clock() { return clock_; }
  const Record& record() const { return record_; }
  // The dot and timestamp of this replica's latest write or delete.
  const Dot& last_dot() const { return last_dot_; }
  HlcTimestamp last_timestamp() const { return last_timestamp_; }

  // Writes `change` to this replica's record; on error the record and the
  // dot counter are unchanged.
  absl::Status Write(const CollectionSchema& schema, const Change& change) {
    const Dot dot{origin_, counter_ + 1};
    const HlcTimestamp timestamp = hlc_.Now();
    SANJI_ASSIGN_OR_RETURN(Record next, record_.Write(schema, change, dot, timestamp));
    Commit(std::move(next), dot, timestamp);
    return absl::OkStatus();
  }

  void Delete() {
    const Dot dot{origin_, counter_ + 1};
    const HlcTimestamp timestamp = hlc_.Now();
    Commit(record_.Delete(dot, timestamp), dot, timestamp);
  }

  // Merges another replica's copy into this one.
  void Receive(const Record& other) { record_.Join(other); }
  void Receive(const Replica& other) { Receive(other.record()); }

 private:
  void Commit(Record next, const Dot& dot, HlcTimestamp timestamp) {
    record_ = std::move(next);
    counter_ = dot.counter;
    last_dot_ = dot;
    last_timestamp_ = timestamp;
  }

  Origin origin_;
  ManualClock clock_;
  HybridLogicalClock hlc_;
  uint64_t counter_ = 0;
  Record record_;
  Dot last_dot_;
  HlcTimestamp last_timestamp_;
};

// `a` joined with `b`, leaving both unchanged.
inline Record Joined(Record a, const Record& b) {
  a.Join(b);
  return a;
}

}  // namespace testutil
}  // namespace sanji::conflict

#endif  // SANJI_TESTS_CONFLICT_TEST_UTIL_H_
