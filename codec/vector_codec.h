// Codec between conflict/'s origins, dots, version vectors and dot contexts
// and their protobuf messages (proto/record.proto).
//
// Decoding checks what a corrupt or hostile message could break: a missing
// origin, a zero counter, unsorted or repeated entries. Errors are DataLoss
// and name what is wrong.
//
// Thread-safety: pure functions.
#ifndef SANJI_CODEC_VECTOR_CODEC_H_
#define SANJI_CODEC_VECTOR_CODEC_H_

#include "absl/status/statusor.h"
#include "conflict/dot.h"
#include "conflict/dot_context.h"
#include "conflict/version_vector.h"
#include "record.pb.h"

namespace sanji::codec {

// v1::Origin (in vectors, dots and hellos) and v1::RecordOrigin (in a
// record's origin table) differ only in the id's declared type.
void EncodeOrigin(const conflict::Origin& origin, v1::Origin* out);
void EncodeOrigin(const conflict::Origin& origin, v1::RecordOrigin* out);
absl::StatusOr<conflict::Origin> DecodeOrigin(const v1::Origin& message);
absl::StatusOr<conflict::Origin> DecodeOrigin(const v1::RecordOrigin& message);

void EncodeDot(const conflict::Dot& dot, v1::Dot* out);
absl::StatusOr<conflict::Dot> DecodeDot(const v1::Dot& message);

void EncodeVersionVector(const conflict::VersionVector& vector, v1::VersionVector* out);
absl::StatusOr<conflict::VersionVector> DecodeVersionVector(const v1::VersionVector& message);

void EncodeDotContext(const conflict::DotContext& context, v1::DotContext* out);
absl::StatusOr<conflict::DotContext> DecodeDotContext(const v1::DotContext& message);

}  // namespace sanji::codec

#endif  // SANJI_CODEC_VECTOR_CODEC_H_
