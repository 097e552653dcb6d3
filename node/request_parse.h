// Requests of the applications' API parsed by Sanji rather than by gRPC, so
// that a malformed one is refused with a message that names what is wrong.
//
// gRPC's own parse of a protobuf request answers any failure with INTERNAL
// and an empty message, and libprotobuf logs the reason in its own format.
// The common failure is text that is not UTF-8 (a proto3 `string` must be):
// api.proto promises INVALID_ARGUMENT naming the field, which only a parse
// that can look at the bytes itself can give.
//
// Thread-safety: pure functions.
#ifndef SANJI_NODE_REQUEST_PARSE_H_
#define SANJI_NODE_REQUEST_PARSE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"

namespace sanji::node {

// Parses `bytes` into `request`. Errors: InvalidArgument naming the first
// string field whose text is not UTF-8 (as FindNonUtf8Field does), or saying
// that the bytes are not a `request` message at all.
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message& request);

// The path of the first string field of `wire` (the encoding of a message of
// `type`) whose text is not UTF-8, e.g. "PutRequest.ops[0].assign.text", or
// nullopt if there is none (or `wire` is cut short before one).
std::optional<std::string> FindNonUtf8Field(const google::protobuf::Descriptor& type,
                                            absl::string_view wire);

}  // namespace sanji::node

#endif  // SANJI_NODE_REQUEST_PARSE_H_
