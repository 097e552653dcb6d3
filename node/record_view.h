// Conversions between the application API (proto/api.proto) and conflict/'s
// types: what a request asks becomes a conflict::Change, and a stored
// conflict::Record becomes the v1::Record an application reads. RecordService
// and sanjictl both use them, so a record reads the same through either.
//
// Only the shape of a request is checked here (something is set where
// something must be); what the schema allows (field names, kinds, value
// types, status names) is checked by the store against the schema, once.
//
// Thread-safety: pure functions.
#ifndef SANJI_NODE_RECORD_VIEW_H_
#define SANJI_NODE_RECORD_VIEW_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api.pb.h"
#include "conflict/change.h"
#include "conflict/dot.h"
#include "conflict/hlc.h"
#include "conflict/record.h"
#include "conflict/schema.h"
#include "conflict/value.h"
#include "conflict/version_vector.h"

namespace sanji::node {

// Errors: InvalidArgument naming `where` (e.g. `ops[0].assign`) when the
// value has no alternative set.
absl::StatusOr<conflict::Value> ValueFromApi(const v1::Value& value, absl::string_view where);
void ValueToApi(const conflict::Value& value, v1::Value* out);

// The change a Put asks for: its scope and its operations, in order.
// Errors: InvalidArgument naming the operation (its index and field) when it
// has no field name, no operation, or a value with no alternative.
absl::StatusOr<conflict::Change> ChangeFromApi(const v1::PutRequest& request);

// How `record` reads to an application: each field of `collection` that
// holds something, read by its kind (the lww winner, every mv sibling value
// once, the counter total, the set's elements, the furthest status), the
// scope, the causal context and the newest timestamp. What `collection` does
// not describe (a field it does not name or names with another state kind,
// a status beyond its order) goes to unknown_fields, read by its state kind.
// `schema` may be conflict::Schema::CollectionOrUnknown's stand-in for a
// collection the schema does not name: then every field is unknown.
void RecordToApi(const conflict::CollectionSchema& schema, absl::string_view collection,
                 absl::string_view key, const conflict::Record& record, v1::Record* out);

// The changes `record` still holds something of, into out->changes (see
// v1::RecordChange): oldest first, then in dot order.
void ChangesToApi(const conflict::Record& record, v1::Record* out);

void DotToApi(const conflict::Dot& dot, v1::ChangeId* out);
void TimestampToApi(const conflict::HlcTimestamp& timestamp, v1::HybridTimestamp* out);

// A watch cursor (WatchEvent.cursor) is a version vector, serialized as a
// record.proto VersionVector: for each origin, the counter up to which the
// watch has passed that origin's changes.
std::string EncodeCursor(const conflict::VersionVector& cursor);
// Errors: InvalidArgument if `bytes` is not a cursor EncodeCursor made.
absl::StatusOr<conflict::VersionVector> DecodeCursor(absl::string_view bytes);

// A List page token (ListResponse.next_page_token) is opaque to clients: the
// listing it continues (collection and key prefix) and the last key sent, in
// web-safe base64 so that it is valid UTF-8 text. Binding it to its listing
// lets a token passed to another listing be refused rather than silently
// start somewhere in the middle.
std::string EncodePageToken(absl::string_view collection, absl::string_view key_prefix,
                            absl::string_view last_key);
// The last key sent of the listing `token` continues. Errors:
// InvalidArgument naming ListRequest.page_token when `token` is not one
// EncodePageToken made, or was made for another collection or prefix.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view collection,
                                            absl::string_view key_prefix);

}  // namespace sanji::node

#endif  // SANJI_NODE_RECORD_VIEW_H_
