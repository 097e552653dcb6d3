#include "node/request_parse.h"

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "conflict/value.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/support/proto_buffer_reader.h"

namespace sanji::node {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;

std::optional<std::string> FindIn(const Descriptor& type, absl::string_view wire,
                                  const std::string& path) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(wire.data()),
                                            static_cast<int>(wire.size()));
  // Occurrences so far of each repeated field, for its index in the path.
  absl::flat_hash_map<int, int> occurrences;
  while (const uint32_t tag = in.ReadTag()) {
    const FieldDescriptor* field = type.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    const bool delimited =
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    if (field == nullptr || !delimited ||
        (field->type() != FieldDescriptor::TYPE_STRING &&
         field->type() != FieldDescriptor::TYPE_MESSAGE)) {
      if (!WireFormatLite::SkipField(&in, tag)) return std::nullopt;
      continue;
    }
    uint32_t length = 0;
    std::string bytes;
    if (!in.ReadVarint32(&length) || !in.ReadString(&bytes, static_cast<int>(length))) {
      return std::nullopt;
    }
    std::string where = absl::StrCat(path, ".", field->name());
    if (field->is_repeated()) absl::StrAppend(&where, "[", occurrences[field->number()]++, "]");
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (!conflict::IsValidUtf8(bytes)) return where;
    } else if (std::optional<std::string> found = FindIn(*field->message_type(), bytes, where)) {
      return found;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> FindNonUtf8Field(const Descriptor& type, absl::string_view wire) {
  return FindIn(type, wire, type.name());
}

absl::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message& request) {
  // ProtoBufferReader reads the slices in place (it takes a non-const
  // pointer but does not change the buffer): the usual case copies nothing.
  grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(&bytes));
  if (request.ParseFromZeroCopyStream(&reader)) return absl::OkStatus();
  std::vector<grpc::Slice> slices;
  std::string wire;
  if (bytes.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      wire.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  if (std::optional<std::string> field = FindNonUtf8Field(*request.GetDescriptor(), wire)) {
    return absl::InvalidArgumentError(
        absl::StrCat(*field, " is not valid UTF-8 text (every string of the API must be)"));
  }
  return absl::InvalidArgumentError(absl::StrCat("the request is not a ",
                                                 request.GetDescriptor()->full_name(),
                                                 " message: its bytes do not parse"));
}

}  // namespace sanji::node
