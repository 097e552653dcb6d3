#include "store/conflict_log.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "store/coding.h"

namespace sanji::store {

namespace {

using conflict::ConflictEvent;
using conflict::ConflictSide;
using conflict::HlcTimestamp;
using conflict::Value;

void PutTimestamp(std::string* out, HlcTimestamp timestamp) {
  PutVarint64(out, static_cast<uint64_t>(timestamp.physical_micros));
  PutVarint64(out, timestamp.logical);
}

bool GetTimestamp(absl::string_view* in, HlcTimestamp* timestamp) {
  uint64_t physical = 0;
  uint64_t logical = 0;
  if (!GetVarint64(in, &physical) || !GetVarint64(in, &logical) || logical > UINT32_MAX) {
    return false;
  }
  *timestamp = HlcTimestamp{static_cast<int64_t>(physical), static_cast<uint32_t>(logical)};
  return true;
}

void PutValue(std::string* out, const std::optional<Value>& value) {
  if (!value.has_value()) {
    PutVarint64(out, 0);
    return;
  }
  PutVarint64(out, value->index() + 1);
  if (const auto* text = std::get_if<std::string>(&*value)) {
    PutLengthPrefixed(out, *text);
  } else if (const auto* integer = std::get_if<int64_t>(&*value)) {
    PutVarint64(out, static_cast<uint64_t>(*integer));
  } else if (const auto* real = std::get_if<double>(&*value)) {
    uint64_t bits = 0;
    std::memcpy(&bits, real, sizeof bits);
    PutFixed64BigEndian(out, bits);
  } else {
    PutVarint64(out, std::get<bool>(*value) ? 1 : 0);
  }
}

bool GetValue(absl::string_view* in, std::optional<Value>* value) {
  uint64_t tag = 0;
  if (!GetVarint64(in, &tag)) return false;
  std::string text;
  uint64_t number = 0;
  switch (tag) {
    case 0:
      value->reset();
      return true;
    case 1:
      if (!GetLengthPrefixed(in, &text)) return false;
      *value = Value(std::move(text));
      return true;
    case 2:
      if (!GetVarint64(in, &number)) return false;
      *value = Value(static_cast<int64_t>(number));
      return true;
    case 3: {
      if (!GetFixed64BigEndian(in, &number)) return false;
      double real = 0;
      std::memcpy(&real, &number, sizeof real);
      *value = Value(real);
      return true;
    }
    case 4:
      if (!GetVarint64(in, &number) || number > 1) return false;
      *value = Value(number == 1);
      return true;
    default:
      return false;
  }
}

void PutSide(std::string* out, const ConflictSide& side) {
  PutLengthPrefixed(out, side.dot.origin.node_id.str());
  PutVarint64(out, side.dot.origin.incarnation);
  PutVarint64(out, side.dot.counter);
  PutTimestamp(out, side.timestamp);
  PutValue(out, side.value);
}

bool GetSide(absl::string_view* in, ConflictSide* side) {
  std::string node_id;
  uint64_t incarnation = 0;
  if (!GetLengthPrefixed(in, &node_id) || !GetVarint64(in, &incarnation) ||
      incarnation > UINT32_MAX || !GetVarint64(in, &side->dot.counter) ||
      !GetTimestamp(in, &side->timestamp) || !GetValue(in, &side->value)) {
    return false;
  }
  side->dot.origin =
      conflict::Origin{conflict::NodeId(node_id), static_cast<uint32_t>(incarnation)};
  return true;
}

}  // namespace

std::string EncodeConflictLogEntry(const ConflictLogEntry& entry) {
  std::string out;
  PutLengthPrefixed(&out, entry.collection);
  PutLengthPrefixed(&out, entry.key);
  PutTimestamp(&out, entry.recorded_at);
  PutVarint64(&out, static_cast<uint64_t>(entry.event.kind));
  PutLengthPrefixed(&out, entry.event.field);
  PutSide(&out, entry.event.kept);
  PutSide(&out, entry.event.other);
  // The authors come last: entries written before they were recorded end
  // at the sides.
  PutLengthPrefixed(&out, entry.event.kept.author);
  PutLengthPrefixed(&out, entry.event.other.author);
  return out;
}

absl::StatusOr<ConflictLogEntry> DecodeConflictLogEntry(uint64_t sequence,
                                                        absl::string_view bytes) {
  ConflictLogEntry entry;
  entry.sequence = sequence;
  uint64_t kind = 0;
  const bool ok =
      GetLengthPrefixed(&bytes, &entry.collection) && GetLengthPrefixed(&bytes, &entry.key) &&
      GetTimestamp(&bytes, &entry.recorded_at) && GetVarint64(&bytes, &kind) &&
      kind <= static_cast<uint64_t>(ConflictEvent::Kind::kWriteConcurrentWithDelete) &&
      GetLengthPrefixed(&bytes, &entry.event.field) && GetSide(&bytes, &entry.event.kept) &&
      GetSide(&bytes, &entry.event.other) &&
      (bytes.empty() || (GetLengthPrefixed(&bytes, &entry.event.kept.author) &&
                         GetLengthPrefixed(&bytes, &entry.event.other.author) && bytes.empty()));
  if (!ok) {
    return absl::DataLossError(absl::StrCat("conflict log entry ", sequence, " is malformed"));
  }
  entry.event.kind = static_cast<ConflictEvent::Kind>(kind);
  return entry;
}

std::string EncodeConflictResolution(HlcTimestamp resolved_at) {
  std::string out;
  PutTimestamp(&out, resolved_at);
  return out;
}

absl::StatusOr<HlcTimestamp> DecodeConflictResolution(uint64_t sequence, absl::string_view bytes) {
  HlcTimestamp resolved_at;
  if (!GetTimestamp(&bytes, &resolved_at) || !bytes.empty()) {
    return absl::DataLossError(
        absl::StrCat("the resolution of conflict event ", sequence, " is malformed"));
  }
  return resolved_at;
}

}  // namespace sanji::store
