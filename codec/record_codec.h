// Codec between conflict::Record and its protobuf form v1::RecordState
// (proto/record.proto): what the store keeps on disk and the sync engine
// sends. Encoding is deterministic: equal records give identical bytes.
//
// Decoding never trusts its input: an origin index out of range, an entry
// without the payload its field kind needs, an unknown field kind, or parts
// that break the record's canonical form (see Record::FromState) are DataLoss
// errors naming the field. Decoding does not check the record against a
// schema: that is Record::CheckAgainst, done by whoever knows the collection.
//
// Thread-safety: pure functions.
#ifndef SANJI_CODEC_RECORD_CODEC_H_
#define SANJI_CODEC_RECORD_CODEC_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conflict/record.h"
#include "conflict/version_vector.h"
#include "record.pb.h"

namespace sanji::codec {

void EncodeRecord(const conflict::Record& record, v1::RecordState* out);
absl::StatusOr<conflict::Record> DecodeRecord(const v1::RecordState& message);

// The wire and disk bytes of a record: the serialized EncodeRecord() message,
// written directly (see record_writer.h).
std::string SerializeRecord(const conflict::Record& record);
absl::StatusOr<conflict::Record> ParseRecord(absl::string_view bytes);

// What sync reads of a record to decide where it goes: its causal context and
// its current scope, equal to the fully decoded record's context() and
// scope().
struct RecordHead {
  conflict::VersionVector context;
  std::optional<std::string> scope;
};

// Decodes only the head of SerializeRecord() bytes: the origins, the context
// and the scope, read by the strict reader of CanonicalRecord (their
// canonical form, origin indexes, every dot covered, a text scope; defined in
// canonical_record.cc); the parts after them are not looked at. A sender
// that forwards stored bytes as they are needs no more, and costs a fraction
// of a ParseRecord. Errors: DataLoss naming the part and the byte offset.
absl::StatusOr<RecordHead> ParseRecordHead(absl::string_view bytes);

}  // namespace sanji::codec

#endif  // SANJI_CODEC_RECORD_CODEC_H_
