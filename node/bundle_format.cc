#include "node/bundle_format.h"

#include <openssl/evp.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sanji::node {
namespace {

constexpr size_t kLengthBytes = 4;

std::string LengthPrefix(size_t length) {
  std::string prefix(kLengthBytes, '\0');
  for (size_t i = 0; i < kLengthBytes; ++i) {
    prefix[i] = static_cast<char>((length >> (8 * (kLengthBytes - 1 - i))) & 0xff);
  }
  return prefix;
}

uint32_t ReadLength(absl::string_view bytes) {
  uint32_t length = 0;
  for (size_t i = 0; i < kLengthBytes; ++i) {
    length = (length << 8) | static_cast<uint8_t>(bytes[i]);
  }
  return length;
}

std::string Sha256(absl::string_view bytes) {
  std::string digest(32, '\0');
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(digest.data()), &size,
             EVP_sha256(), nullptr);
  return digest;
}

}  // namespace

void BundleWriter::HashDeleter::operator()(void* context) const {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context));
}

BundleWriter::BundleWriter(v1::BundleHeader header, Sink sink)
    : hash_(EVP_MD_CTX_new()), sink_(std::move(sink)), encoder_(/*compress=*/true) {
  if (hash_ == nullptr ||
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(hash_.get()), EVP_sha256(), nullptr) != 1) {
    status_ = absl::InternalError("cannot start a SHA-256 digest");
    return;
  }
  buffer_ = std::string(kBundleMagic);
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(hash_.get()), buffer_.data(), buffer_.size());
  header.set_format_version(kBundleFormatVersion);
  v1::BundleRecord record;
  *record.mutable_header() = std::move(header);
  AppendRecord(record);
}

BundleWriter::~BundleWriter() = default;

void BundleWriter::AppendRecord(const v1::BundleRecord& record) {
  const size_t start = buffer_.size();
  const std::string body = record.SerializeAsString();
  buffer_ += LengthPrefix(body.size());
  buffer_ += body;
  // Everything before the trailer counts in the checksum.
  if (!record.has_trailer() && status_.ok()) {
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(hash_.get()), buffer_.data() + start,
                     buffer_.size() - start);
  }
}

absl::Status BundleWriter::AddFrame(const v1::SyncFrame& frame) {
  if (!status_.ok()) return status_;
  v1::BundleRecord record;
  status_ = encoder_.Encode(frame, *record.mutable_frame());
  if (!status_.ok()) return status_;
  AppendRecord(record);
  ++frames_;
  return Drain(/*all=*/false);
}

absl::Status BundleWriter::Finish() {
  if (!status_.ok()) return status_;
  std::string digest(32, '\0');
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(hash_.get()),
                         reinterpret_cast<unsigned char*>(digest.data()), &size) != 1) {
    return status_ = absl::InternalError("cannot finish the SHA-256 digest");
  }
  v1::BundleRecord record;
  record.mutable_trailer()->set_frames(frames_);
  record.mutable_trailer()->set_sha256(std::move(digest));
  AppendRecord(record);
  return Drain(/*all=*/true);
}

absl::Status BundleWriter::Drain(bool all) {
  size_t taken = 0;
  while (status_.ok() &&
         (buffer_.size() - taken >= kBundleChunkBytes || (all && taken < buffer_.size()))) {
    const size_t piece = std::min(kBundleChunkBytes, buffer_.size() - taken);
    status_ = sink_(absl::string_view(buffer_).substr(taken, piece));
    taken += piece;
    bytes_ += piece;
  }
  buffer_.erase(0, taken);
  return status_;
}

absl::StatusOr<Bundle> ReadBundle(absl::string_view bytes, absl::string_view name) {
  if (!absl::StartsWith(bytes, kBundleMagic)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " is not a Sanji bundle: it does not begin with \"", kBundleMagic,
                     "\" (", bytes.size(), " bytes)"));
  }
  auto truncated = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(name, " is truncated: ", what, " (", bytes.size(),
                                            " bytes); copy it again from its source"));
  };
  auto corrupt = [&](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat(name, " is corrupt: ", what, "; copy it again from its source"));
  };
  Bundle bundle;
  size_t offset = kBundleMagic.size();
  std::optional<v1::BundleTrailer> trailer;
  size_t trailer_offset = 0;
  for (size_t index = 0; !trailer.has_value(); ++index) {
    if (offset == bytes.size()) {
      return truncated(absl::StrCat("it ends after ", index, " records, before its trailer"));
    }
    if (bytes.size() - offset < kLengthBytes) {
      return truncated(absl::StrCat("it ends inside the length of record ", index + 1));
    }
    const uint32_t length = ReadLength(bytes.substr(offset));
    if (bytes.size() - offset - kLengthBytes < length) {
      return truncated(absl::StrCat("record ", index + 1, " of ", length, " bytes at byte ", offset,
                                    " runs past the end"));
    }
    v1::BundleRecord record;
    if (!record.ParseFromArray(bytes.data() + offset + kLengthBytes, static_cast<int>(length))) {
      return corrupt(absl::StrCat("record ", index + 1, " at byte ", offset, " does not parse"));
    }
    const bool first = index == 0;
    if (first != record.has_header()) {
      return corrupt(
          absl::StrCat("record ", index + 1, first ? " is not the header" : " is a second header"));
    }
    if (record.has_header()) {
      bundle.header = std::move(*record.mutable_header());
    } else if (record.has_frame()) {
      bundle.frames.push_back(std::move(*record.mutable_frame()));
    } else if (record.has_trailer()) {
      trailer = std::move(*record.mutable_trailer());
      trailer_offset = offset;
    } else {
      return corrupt(absl::StrCat("record ", index + 1, " is empty"));
    }
    offset += kLengthBytes + length;
  }
  if (offset != bytes.size()) {
    return corrupt(absl::StrCat(bytes.size() - offset, " bytes follow the trailer"));
  }
  const std::string digest = Sha256(bytes.substr(0, trailer_offset));
  if (trailer->sha256() != digest) {
    return corrupt(absl::StrCat("its SHA-256 is ", absl::BytesToHexString(digest),
                                " but its trailer says ",
                                absl::BytesToHexString(trailer->sha256())));
  }
  if (trailer->frames() != bundle.frames.size()) {
    return corrupt(absl::StrCat("it holds ", bundle.frames.size(), " frames but its trailer says ",
                                trailer->frames()));
  }
  if (bundle.header.format_version() > kBundleFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, " has bundle format version ", bundle.header.format_version(),
        ", written by a newer Sanji; this one reads versions up to ", kBundleFormatVersion));
  }
  return bundle;
}

}  // namespace sanji::node
