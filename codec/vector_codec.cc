#include "codec/vector_codec.h"

#include "absl/strings/str_cat.h"
#include "conflict/status_macros.h"

namespace sanji::codec {

namespace {

template <typename OriginMessage>
void EncodeOriginTo(const conflict::Origin& origin, OriginMessage* out) {
  out->set_node_id(origin.node_id.str());
  out->set_incarnation(origin.incarnation);
}

template <typename OriginMessage>
absl::StatusOr<conflict::Origin> DecodeOriginFrom(const OriginMessage& message) {
  if (message.node_id().empty()) return absl::DataLossError("origin has an empty node id");
  return conflict::Origin{message.node_id(), message.incarnation()};
}

}  // namespace

void EncodeOrigin(const conflict::Origin& origin, v1::Origin* out) { EncodeOriginTo(origin, out); }

void EncodeOrigin(const conflict::Origin& origin, v1::RecordOrigin* out) {
  EncodeOriginTo(origin, out);
}

absl::StatusOr<conflict::Origin> DecodeOrigin(const v1::Origin& message) {
  return DecodeOriginFrom(message);
}

absl::StatusOr<conflict::Origin> DecodeOrigin(const v1::RecordOrigin& message) {
  return DecodeOriginFrom(message);
}

void EncodeDot(const conflict::Dot& dot, v1::Dot* out) {
  EncodeOrigin(dot.origin, out->mutable_origin());
  out->set_counter(dot.counter);
}

absl::StatusOr<conflict::Dot> DecodeDot(const v1::Dot& message) {
  SANJI_ASSIGN_OR_RETURN(conflict::Origin origin, DecodeOrigin(message.origin()));
  if (message.counter() == 0) {
    return absl::DataLossError(absl::StrCat("dot of ", origin.ToString(), " has counter 0"));
  }
  return conflict::Dot{std::move(origin), message.counter()};
}

void EncodeVersionVector(const conflict::VersionVector& vector, v1::VersionVector* out) {
  out->mutable_entries()->Reserve(static_cast<int>(vector.size()));
  for (const auto& [origin, counter] : vector.entries()) {
    v1::VersionVector::Entry* entry = out->add_entries();
    EncodeOrigin(origin, entry->mutable_origin());
    entry->set_counter(counter);
  }
}

absl::StatusOr<conflict::VersionVector> DecodeVersionVector(const v1::VersionVector& message) {
  conflict::VersionVector vector;
  const conflict::Origin* previous = nullptr;
  for (const v1::VersionVector::Entry& entry : message.entries()) {
    SANJI_ASSIGN_OR_RETURN(conflict::Origin origin, DecodeOrigin(entry.origin()));
    if (entry.counter() == 0) {
      return absl::DataLossError(
          absl::StrCat("version vector entry of ", origin.ToString(), " has counter 0"));
    }
    if (previous != nullptr && !(*previous < origin)) {
      return absl::DataLossError(
          absl::StrCat("version vector entries are not sorted at ", origin.ToString()));
    }
    vector.Set(origin, entry.counter());
    previous = &vector.entries().back().first;
  }
  return vector;
}

void EncodeDotContext(const conflict::DotContext& context, v1::DotContext* out) {
  EncodeVersionVector(context.compact(), out->mutable_compact());
  for (const conflict::Dot& dot : context.cloud()) EncodeDot(dot, out->add_cloud());
}

absl::StatusOr<conflict::DotContext> DecodeDotContext(const v1::DotContext& message) {
  SANJI_ASSIGN_OR_RETURN(conflict::VersionVector compact, DecodeVersionVector(message.compact()));
  conflict::DotContext context(std::move(compact));
  for (const v1::Dot& dot_message : message.cloud()) {
    SANJI_ASSIGN_OR_RETURN(conflict::Dot dot, DecodeDot(dot_message));
    context.Insert(dot);
  }
  return context;
}

}  // namespace sanji::codec
