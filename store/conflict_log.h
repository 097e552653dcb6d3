// ConflictLogEntry: one conflict event as the store records it, with the
// record it happened to and when, and its byte encoding in the conflict log
// key space (store/key_layout.h).
//
// Value encoding (varints and length-prefixed strings, store/coding.h):
//   collection, key, recorded_at (varint physical as uint64, varint logical),
//   kind (varint), field, kept side, other side; a side is
//   node_id, incarnation, counter, physical, logical, value tag (0 none,
//   1 string, 2 int, 3 double, 4 bool) and the value's bytes.
//
// Thread-safety: plain values and pure functions.
#ifndef SANJI_STORE_CONFLICT_LOG_H_
#define SANJI_STORE_CONFLICT_LOG_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conflict/conflict_event.h"
#include "conflict/hlc.h"

namespace sanji::store {

struct ConflictLogEntry {
  uint64_t sequence = 0;
  std::string collection;
  std::string key;
  // The HLC time of the commit that recorded the event.
  conflict::HlcTimestamp recorded_at;
  conflict::ConflictEvent event;
  // When ResolveConflict marked it resolved; nullopt while unresolved. Kept
  // apart from the entry (store/key_layout.h, key space 0x06).
  std::optional<conflict::HlcTimestamp> resolved_at;
  // Read, never stored: a later change settled the event in the record as
  // the store holds it now (conflict::SettledBy), or the record is no longer
  // held here (moved away). Resolving at one node writes the chosen value,
  // which settles the same event at every node it reaches.
  bool settled = false;

  friend bool operator==(const ConflictLogEntry&, const ConflictLogEntry&) = default;
};

// Encodes everything but `sequence`, which is the key, `resolved_at` and
// `settled`.
std::string EncodeConflictLogEntry(const ConflictLogEntry& entry);
// Errors: DataLoss naming the sequence if `bytes` is malformed.
absl::StatusOr<ConflictLogEntry> DecodeConflictLogEntry(uint64_t sequence, absl::string_view bytes);

// A resolution (key space 0x06): the HLC time it was recorded.
std::string EncodeConflictResolution(conflict::HlcTimestamp resolved_at);
// Errors: DataLoss naming the sequence if `bytes` is malformed.
absl::StatusOr<conflict::HlcTimestamp> DecodeConflictResolution(uint64_t sequence,
                                                                absl::string_view bytes);

}  // namespace sanji::store

#endif  // SANJI_STORE_CONFLICT_LOG_H_
