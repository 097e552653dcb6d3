#include "codec/canonical_record.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "codec/record_codec.h"
#include "codec/record_wire.h"
#include "conflict/value.h"

namespace sanji::codec {

namespace {

using conflict::CollectionSchema;
using conflict::FieldKind;
using conflict::FieldSpec;
using conflict::HlcTimestamp;
using conflict::Value;
using conflict::ValueType;

using namespace wire;  // NOLINT: this file reads only the wire form

// What an entry carries besides its dot, by the part of the record it is in.
enum class Payload {
  kTimestamp,         // presence and deletes
  kTimestampedValue,  // the scope, lww and mv fields
  kValue,             // set elements
  kNumber,            // counter totals, status ranks
};

constexpr uint32_t Bit(int field) { return 1u << field; }
constexpr uint32_t kValueBits = Bit(kText) | Bit(kInteger) | Bit(kReal) | Bit(kFlag);

// The RecordEntry fields each payload may hold (the writer writes no other).
uint32_t AllowedBits(Payload payload) {
  constexpr uint32_t kDot = Bit(kEntryOrigin) | Bit(kEntryCounter);
  constexpr uint32_t kTime = Bit(kPhysicalMicros) | Bit(kLogical);
  switch (payload) {
    case Payload::kTimestamp:
      return kDot | kTime;
    case Payload::kTimestampedValue:
      return kDot | kTime | kValueBits;
    case Payload::kValue:
      return kDot | kValueBits;
    case Payload::kNumber:
      return kDot | Bit(kNumber);
  }
  return 0;
}

// The payload of a field of RecordField.StateKind `kind` (1 to 4).
Payload PayloadOf(uint64_t kind) {
  static constexpr Payload kPayloads[] = {Payload::kTimestampedValue, Payload::kNumber,
                                          Payload::kValue, Payload::kNumber};
  return kPayloads[kind - 1];
}

// Whether a field of `kind` (RecordField.StateKind) holds the state of `spec`.
bool KindMatches(uint64_t kind, FieldKind spec) {
  switch (spec) {
    case FieldKind::kLww:
    case FieldKind::kMv:
      return kind == v1::RecordField::REGISTER;
    case FieldKind::kCounter:
      return kind == v1::RecordField::COUNTER;
    case FieldKind::kSet:
      return kind == v1::RecordField::SET;
    case FieldKind::kStatus:
      return kind == v1::RecordField::STATUS;
  }
  return false;
}

// One RecordEntry as read; `text` points into the record's bytes.
struct Entry {
  uint32_t origin = 0;
  uint64_t counter = 0;
  HlcTimestamp timestamp;
  int value_type = -1;  // a ValueType, or -1 without a value
  absl::string_view text;
  int64_t integer = 0;
  double real = 0;
  bool flag = false;
  int64_t number = 0;
  uint32_t present = 0;  // Bit(n) for each field n written

  Value value() const {
    switch (value_type) {
      case 0:
        return Value(std::string(text));
      case 1:
        return Value(integer);
      case 2:
        return Value(real);
      default:
        return Value(flag);
    }
  }

  // Whether both hold the same value, as Value's == reads it, without
  // building one (this runs for every register entry received).
  bool SameValue(const Entry& other) const {
    if (value_type != other.value_type) return false;
    switch (value_type) {
      case 0:
        return text == other.text;
      case 1:
        return integer == other.integer;
      case 2:
        return real == other.real;
      default:
        return flag == other.flag;
    }
  }
};

// Value's order (the variant's: type first), on values that are not NaN.
int CompareValues(const Entry& a, const Entry& b) {
  if (a.value_type != b.value_type) return a.value_type < b.value_type ? -1 : 1;
  switch (a.value_type) {
    case 0:
      return a.text.compare(b.text);
    case 1:
      return a.integer < b.integer ? -1 : (b.integer < a.integer ? 1 : 0);
    case 2:
      return a.real < b.real ? -1 : (b.real < a.real ? 1 : 0);
    default:
      return static_cast<int>(a.flag) - static_cast<int>(b.flag);
  }
}

// DotKernel's entry order: dot (origin indexes follow the origins' order),
// then payload.
bool Before(const Entry& a, const Entry& b, Payload payload) {
  if (a.origin != b.origin) return a.origin < b.origin;
  if (a.counter != b.counter) return a.counter < b.counter;
  switch (payload) {
    case Payload::kTimestamp:
      return a.timestamp < b.timestamp;
    case Payload::kTimestampedValue:
      if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
      return CompareValues(a, b) < 0;
    case Payload::kValue:
      return CompareValues(a, b) < 0;
    case Payload::kNumber:
      return a.number < b.number;
  }
  return false;
}

// A range of the record's bytes still to read.
struct Cursor {
  const char* p;
  const char* end;

  bool AtEnd() const { return p == end; }
  // Whether the next byte is `tag` (every tag of a record is one byte).
  bool Next(uint32_t tag) const { return p != end && static_cast<uint8_t>(*p) == tag; }
  // Consumes `tag` if it is next.
  bool Take(uint32_t tag) {
    if (!Next(tag)) return false;
    ++p;
    return true;
  }
};

struct ScopeEntry {
  uint32_t origin;
  uint64_t counter;
  HlcTimestamp timestamp;
  absl::string_view text;
};

}  // namespace

// Reads one record's bytes strictly: the whole record into a
// CanonicalRecord, or its head alone. Each reading method returns false once
// it has failed (status_ says why).
class CanonicalReader {
 public:
  explicit CanonicalReader(absl::string_view bytes)
      : begin_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  // The whole record, checked against `schema`, into `out`.
  absl::Status Read(const CollectionSchema& schema, CanonicalRecord& out) {
    schema_ = &schema;
    Cursor c{begin_, end_};
    if (!ReadHeadParts(c) || !ReadTimestamps(c, kPresence, "presence", presence_) ||
        !ReadTimestamps(c, kDeletes, "deletes", deletes_) || !ReadFields(c) ||
        !ReadFormerScopes(c)) {
      return status_;
    }
    Where("record", -1);
    if (!End(c)) return status_;
    absl::StatusOr<conflict::Record> head = BuildHead();
    if (!head.ok()) return head.status();
    out.head_ = *std::move(head);
    out.schema_ = &schema;
    out.newest_ = newest_;
    out.clashing_fields_ = std::move(clashing_fields_);
    const bool one_scope = std::all_of(scope_.begin(), scope_.end(), [&](const ScopeEntry& entry) {
      return entry.text == scope_.front().text;
    });
    out.conflict_free_ = conflict_free_ && one_scope && !(presence_ > 0 && deletes_ > 0);
    return absl::OkStatus();
  }

  // The origins, the context and the scope, read as Read() reads them; the
  // parts after them are not looked at, but must start with one.
  absl::StatusOr<RecordHead> ReadHead() {
    Cursor c{begin_, end_};
    if (!ReadHeadParts(c)) return status_;
    const uint8_t next = c.AtEnd() ? 0 : static_cast<uint8_t>(*c.p);
    if (!c.AtEnd() &&
        (next < Tag(kPresence, kLengthDelimited) || next > Tag(kFormerScopes, kLengthDelimited) ||
         (next & 7) != kLengthDelimited)) {
      Where("record", -1);
      End(c);
      return status_;
    }
    // What BuildHead() would give as context() and scope(), without the
    // Record: every check its FromState makes was made while reading (dots
    // covered, a text scope).
    RecordHead head;
    for (size_t i = 0; i < origins_.size(); ++i) {
      head.context.Set(conflict::Origin{origins_[i].id, origins_[i].incarnation}, counters_[i]);
    }
    // The scope register's Winner(): the greatest (timestamp, dot); origin
    // indexes follow the origins' order.
    const ScopeEntry* winner = nullptr;
    for (const ScopeEntry& entry : scope_) {
      if (winner == nullptr || std::tie(winner->timestamp, winner->origin, winner->counter) <
                                   std::tie(entry.timestamp, entry.origin, entry.counter)) {
        winner = &entry;
      }
    }
    if (winner != nullptr) head.scope = std::string(winner->text);
    return head;
  }

 private:
  // ---- failures ----

  // Names the part being read, for errors: `part` and its index (-1: none).
  void Where(const char* part, int index) {
    part_ = part;
    index_ = index;
  }
  bool Fail(const Cursor& at, absl::string_view what) {
    std::string part = part_;
    if (!field_.empty()) part = absl::StrCat("field \"", field_, "\", ", part_);
    if (index_ >= 0) absl::StrAppend(&part, " ", index_);
    status_ = absl::DataLossError(absl::StrCat("record bytes (", end_ - begin_, "), ", part, ": ",
                                               what, " (byte ", at.p - begin_, ")"));
    return false;
  }
  bool Refuse(std::string message) {
    status_ = absl::InvalidArgumentError(std::move(message));
    return false;
  }

  // ---- wire primitives: only the forms the writer produces ----

  bool Varint(Cursor& c, uint64_t& value) {
    if (c.p != c.end && static_cast<uint8_t>(*c.p) < 0x80) {
      value = static_cast<uint8_t>(*c.p++);
      return true;
    }
    uint64_t result = 0;
    for (int i = 0; i < 10; ++i) {
      if (c.p == c.end) return Fail(c, "a varint cut short");
      const uint8_t byte = static_cast<uint8_t>(*c.p++);
      result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        if (byte == 0) return Fail(c, "a varint with a superfluous last byte");
        if (i == 9 && byte > 1) return Fail(c, "a varint beyond 64 bits");
        value = result;
        return true;
      }
    }
    return Fail(c, "a varint beyond 64 bits");
  }
  // A varint field the writer omits when zero, so never zero when present.
  bool NonZero(Cursor& c, uint64_t& value, uint64_t max = std::numeric_limits<uint64_t>::max()) {
    if (!Varint(c, value)) return false;
    if (value == 0) return Fail(c, "a zero written out (the writer omits zeros)");
    if (value > max) return Fail(c, absl::StrCat("value ", value, " beyond 32 bits"));
    return true;
  }
  bool Bytes(Cursor& c, absl::string_view& bytes) {
    uint64_t length = 0;
    if (!Varint(c, length)) return false;
    if (length > static_cast<uint64_t>(c.end - c.p)) {
      return Fail(c, absl::StrCat("a length of ", length, " beyond the end"));
    }
    bytes = absl::string_view(c.p, length);
    c.p += length;
    return true;
  }
  // The body of the length-delimited field whose tag was just read.
  bool Body(Cursor& c, Cursor& body) {
    absl::string_view bytes;
    if (!Bytes(c, bytes)) return false;
    body = Cursor{bytes.data(), bytes.data() + bytes.size()};
    return true;
  }
  bool End(const Cursor& body) {
    return body.AtEnd() ||
           Fail(body, absl::StrCat("field ", static_cast<uint8_t>(*body.p) >> 3, " of wire type ",
                                   *body.p & 7, " where none is written"));
  }

  // ---- the parts of a record, in the writer's order ----

  bool ReadHeadParts(Cursor& c) { return ReadOrigins(c) && ReadContext(c) && ReadScope(c); }

  bool ReadOrigins(Cursor& c) {
    while (c.Take(Tag(kOrigins, kLengthDelimited))) {
      Where("origin", static_cast<int>(origins_.size()));
      Cursor body;
      absl::string_view id;
      uint64_t incarnation = 0;
      if (!Body(c, body)) return false;
      if (!body.Take(Tag(kNodeId, kLengthDelimited))) return Fail(body, "no node id");
      if (!Bytes(body, id)) return false;
      if (id.empty()) return Fail(body, "an empty node id");
      if (body.Take(Tag(kIncarnation, kVarint))) {
        if (!NonZero(body, incarnation, std::numeric_limits<uint32_t>::max())) return false;
      }
      if (!End(body)) return false;
      const RawOrigin origin{id, static_cast<uint32_t>(incarnation)};
      if (!origins_.empty() && !(origins_.back() < origin)) {
        return Fail(body, "origins out of order or repeated");
      }
      origins_.push_back(origin);
    }
    return true;
  }

  bool ReadContext(Cursor& c) {
    for (size_t i = 0; i < origins_.size(); ++i) {
      Where("context entry", static_cast<int>(i));
      if (!c.Take(Tag(kContext, kLengthDelimited))) {
        return Fail(c, absl::StrCat("missing: the context has ", i, " entries for ",
                                    origins_.size(), " origins"));
      }
      Cursor body;
      uint64_t origin = 0;
      uint64_t counter = 0;
      if (!Body(c, body)) return false;
      if (body.Take(Tag(kContextOrigin, kVarint))) {
        if (!NonZero(body, origin)) return false;
      }
      if (origin != i) return Fail(body, absl::StrCat("names origin ", origin));
      if (!body.Take(Tag(kContextCounter, kVarint))) return Fail(body, "no counter");
      if (!NonZero(body, counter) || !End(body)) return false;
      counters_.push_back(counter);
    }
    Where("context", -1);
    if (c.Next(Tag(kContext, kLengthDelimited))) {
      return Fail(c, absl::StrCat("more entries than the ", origins_.size(), " origins"));
    }
    return true;
  }

  // Reads the entries of repeated field `field` of the current message,
  // checks each dot and their order, and passes each to `visit`.
  template <typename Visit>
  bool ReadEntries(Cursor& c, int field, Payload payload, const char* part, Visit visit) {
    Entry previous;
    int count = 0;
    while (c.Take(Tag(field, kLengthDelimited))) {
      Where(part, count);
      Cursor body;
      Entry entry;
      if (!Body(c, body) || !ReadEntry(body, entry)) return false;
      if ((entry.present & ~AllowedBits(payload)) != 0) {
        return Fail(body, "a field this part of a record never holds");
      }
      if (payload != Payload::kTimestamp && payload != Payload::kNumber && entry.value_type < 0) {
        return Fail(body, "no value");
      }
      if (entry.origin >= origins_.size()) {
        return Fail(body, absl::StrCat("origin index ", entry.origin, " beyond the record's ",
                                       origins_.size(), " origins"));
      }
      if (entry.counter > counters_[entry.origin]) {
        return Fail(body, "a dot the record's causal context does not cover");
      }
      if (count > 0 && !Before(previous, entry, payload)) {
        return Fail(body, "entries out of order or repeated");
      }
      if (!visit(body, entry)) return false;
      previous = entry;
      ++count;
    }
    return true;
  }

  bool ReadEntry(Cursor body, Entry& entry) {
    int last = 0;
    while (!body.AtEnd()) {
      const uint8_t tag = static_cast<uint8_t>(*body.p);
      const int field = tag >> 3;
      if (tag >= 0x80 || field == 0 || field > kNumber) {
        return Fail(body, absl::StrCat("an unknown field (tag byte ", tag, ")"));
      }
      if (field <= last) return Fail(body, absl::StrCat("field ", field, " after field ", last));
      const WireType type = field == kText ? kLengthDelimited : field == kReal ? kFixed64 : kVarint;
      if ((tag & 7) != type) {
        return Fail(body, absl::StrCat("field ", field, " of wire type ", tag & 7));
      }
      if ((Bit(field) & kValueBits) != 0 && (entry.present & kValueBits) != 0) {
        return Fail(body, "two values");
      }
      ++body.p;
      last = field;
      entry.present |= Bit(field);
      if (!ReadEntryField(body, field, entry)) return false;
    }
    return true;
  }

  bool ReadEntryField(Cursor& body, int field, Entry& entry) {
    constexpr uint64_t k32 = std::numeric_limits<uint32_t>::max();
    uint64_t value = 0;
    switch (field) {
      case kText:
        entry.value_type = static_cast<int>(ValueType::kString);
        // As Record::CheckAgainst: applications read text as UTF-8 `string`.
        return Bytes(body, entry.text) &&
               (conflict::IsValidUtf8(entry.text) || Fail(body, "text that is not UTF-8"));
      case kReal:
        if (body.end - body.p < 8) return Fail(body, "a double cut short");
        std::memcpy(&entry.real, body.p, sizeof(entry.real));  // little-endian, as protobuf
        body.p += 8;
        entry.value_type = static_cast<int>(ValueType::kDouble);
        return !std::isnan(entry.real) || Fail(body, "a NaN value");
      case kInteger:
        if (!Varint(body, value)) return false;
        entry.integer = UnZigZag(value);
        entry.value_type = static_cast<int>(ValueType::kInt);
        return true;
      case kFlag:
        if (!Varint(body, value)) return false;
        entry.flag = value == 1;
        entry.value_type = static_cast<int>(ValueType::kBool);
        return value <= 1 || Fail(body, absl::StrCat("a bool written as ", value));
      case kEntryOrigin:
        if (!NonZero(body, value, k32)) return false;
        entry.origin = static_cast<uint32_t>(value);
        return true;
      case kEntryCounter:
        return NonZero(body, entry.counter);
      case kPhysicalMicros:
        if (!NonZero(body, value)) return false;
        entry.timestamp.physical_micros = static_cast<int64_t>(value);
        return true;
      case kLogical:
        if (!NonZero(body, value, k32)) return false;
        entry.timestamp.logical = static_cast<uint32_t>(value);
        return true;
      default:  // kNumber
        if (!NonZero(body, value)) return false;
        entry.number = UnZigZag(value);
        return true;
    }
  }

  bool ReadScope(Cursor& c) {
    return ReadEntries(
        c, kScope, Payload::kTimestampedValue, "scope entry",
        [&](const Cursor& at, const Entry& entry) {
          if (entry.value_type != static_cast<int>(ValueType::kString)) {
            return Fail(at, "the scope is not a string");
          }
          scope_.push_back(ScopeEntry{entry.origin, entry.counter, entry.timestamp, entry.text});
          Observe(entry.timestamp);
          return true;
        });
  }

  bool ReadTimestamps(Cursor& c, int field, const char* part, int& count) {
    return ReadEntries(c, field, Payload::kTimestamp, part, [&](const Cursor&, const Entry& entry) {
      Observe(entry.timestamp);
      ++count;
      return true;
    });
  }

  bool ReadFields(Cursor& c) {
    const CollectionSchema& schema = *schema_;
    auto spec = schema.fields().begin();
    std::pair<absl::string_view, uint64_t> previous;
    for (int index = 0; c.Take(Tag(kFields, kLengthDelimited)); ++index) {
      field_ = {};
      Where("field", index);
      Cursor body;
      absl::string_view name;
      uint64_t kind = 0;
      if (!Body(c, body)) return false;
      if (!body.Take(Tag(kFieldName, kLengthDelimited))) return Fail(body, "no name");
      if (!Bytes(body, name)) return false;
      field_ = name;
      Where("kind", -1);
      if (!body.Take(Tag(kFieldKind, kVarint))) return Fail(body, "no kind");
      if (!NonZero(body, kind)) return false;
      if (kind > v1::RecordField::STATUS) return Fail(body, absl::StrCat("unknown kind ", kind));
      // Sorted by name, then kind (conflict/field.h, FieldKey).
      if (index > 0 && !(previous < std::pair(name, kind))) {
        return Fail(body, "fields out of order or repeated");
      }
      previous = {name, kind};
      // Both are sorted by name: walk the schema along. A field the schema
      // does not name, or names with another kind, is kept as it came
      // (Record::CheckAgainst).
      while (spec != schema.fields().end() && absl::string_view(spec->first) < name) ++spec;
      const bool named = spec != schema.fields().end() && absl::string_view(spec->first) == name;
      const bool known = named && KindMatches(kind, spec->second.kind);
      if (named && !known && (clashing_fields_.empty() || clashing_fields_.back() != name)) {
        clashing_fields_.emplace_back(name);
      }
      if (!ReadFieldEntries(body, name, kind, known ? &spec->second : nullptr) || !End(body)) {
        return false;
      }
    }
    field_ = {};
    return true;
  }

  // `spec`: the schema's, or nullptr for a field it does not know, whose
  // values are not checked against a type.
  bool ReadFieldEntries(Cursor& body, absl::string_view name, uint64_t kind,
                        const FieldSpec* spec) {
    const Payload payload = PayloadOf(kind);
    int count = 0;
    // Registers: whether every entry holds the first one's value. Equal
    // values are not a conflict (conflict/conflict_event.h), nor are a field's
    // the schema does not know: NewConflicts does not read them.
    Entry first;
    bool one_value = true;
    const bool read = ReadEntries(
        body, kFieldEntries, payload, "entry", [&](const Cursor& at, const Entry& entry) {
          if (count++ == 0) first = entry;
          if (payload == Payload::kTimestampedValue) {
            Observe(entry.timestamp);
            one_value = one_value && entry.SameValue(first);
          }
          if (kind == v1::RecordField::STATUS &&
              (entry.number < 0 || entry.number > std::numeric_limits<uint32_t>::max())) {
            return Fail(at, absl::StrCat("status rank ", entry.number, " out of range"));
          }
          if (payload == Payload::kNumber || spec == nullptr ||
              entry.value_type == static_cast<int>(spec->value_type)) {
            return true;
          }
          return Refuse(absl::StrCat("field \"", name, "\" of \"", schema_->name(), "\" holds ",
                                     conflict::ValueTypeName(spec->value_type), " values, got ",
                                     conflict::ValueToString(entry.value())));
        });
    if (!read) return false;
    if (count == 0) return Fail(body, "no entries");
    if (payload == Payload::kTimestampedValue && !one_value && spec != nullptr) {
      conflict_free_ = false;
    }
    return true;
  }

  bool ReadFormerScopes(Cursor& c) {
    for (int index = 0; c.Take(Tag(kFormerScopes, kLengthDelimited)); ++index) {
      Where("former scope", index);
      absl::string_view scope;
      if (!Bytes(c, scope)) return false;
      if (index > 0 && !(former_.back() < scope)) {
        return Fail(c, "former scopes out of order or repeated");
      }
      former_.push_back(scope);
    }
    return true;
  }

  void Observe(const HlcTimestamp& timestamp) {
    if (newest_ < timestamp) newest_ = timestamp;
  }

  // The head Record (see CanonicalRecord::head()) of what was read.
  absl::StatusOr<conflict::Record> BuildHead() const {
    absl::InlinedVector<conflict::Origin, 4> origins;
    conflict::RecordState state;
    for (size_t i = 0; i < origins_.size(); ++i) {
      origins.push_back(conflict::Origin{origins_[i].id, origins_[i].incarnation});
      state.context.Set(origins.back(), counters_[i]);
    }
    for (const ScopeEntry& entry : scope_) {
      state.scope.InsertDecoded(
          conflict::Dot{origins[entry.origin], entry.counter},
          conflict::TimestampedValue{entry.timestamp, std::string(entry.text)});
    }
    for (absl::string_view former : former_)
      state.former_scopes.emplace_hint(state.former_scopes.end(), former);
    return conflict::Record::FromState(std::move(state));
  }

  struct RawOrigin {
    absl::string_view id;
    uint32_t incarnation;
    // Origin's order: node id, then incarnation.
    friend bool operator<(const RawOrigin& a, const RawOrigin& b) {
      const int order = a.id.compare(b.id);
      return order != 0 ? order < 0 : a.incarnation < b.incarnation;
    }
  };

  const char* const begin_;
  const char* const end_;
  const CollectionSchema* schema_ = nullptr;  // Read() only

  absl::InlinedVector<RawOrigin, 4> origins_;
  absl::InlinedVector<uint64_t, 4> counters_;
  absl::InlinedVector<ScopeEntry, 2> scope_;
  absl::InlinedVector<absl::string_view, 2> former_;
  int presence_ = 0;
  int deletes_ = 0;
  HlcTimestamp newest_;
  bool conflict_free_ = true;  // as far as the fields go
  std::vector<std::string> clashing_fields_;

  // Where a failure happened, for its message.
  const char* part_ = "record";
  int index_ = -1;
  absl::string_view field_;
  absl::Status status_;
};

absl::StatusOr<CanonicalRecord> CanonicalRecord::Read(std::string bytes,
                                                      const conflict::CollectionSchema& schema) {
  CanonicalRecord record;
  record.bytes_ = std::move(bytes);
  absl::Status read = CanonicalReader(record.bytes_).Read(schema, record);
  if (!read.ok()) return read;
  return record;
}

absl::StatusOr<RecordHead> ParseRecordHead(absl::string_view bytes) {
  return CanonicalReader(bytes).ReadHead();
}

absl::StatusOr<conflict::Record> CanonicalRecord::Decode() const { return ParseRecord(bytes_); }

}  // namespace sanji::codec
