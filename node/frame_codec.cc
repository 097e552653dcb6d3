#include "node/frame_codec.h"

#include <zstd.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace sanji::node {

void FrameEncoder::ContextDeleter::operator()(void* context) const {
  ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(context));
}

void FrameDecoder::ContextDeleter::operator()(void* context) const {
  ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(context));
}

FrameEncoder::FrameEncoder(bool compress, int level)
    : context_(compress ? ZSTD_createCCtx() : nullptr), level_(level) {}

FrameEncoder::~FrameEncoder() = default;

absl::Status FrameEncoder::Encode(const v1::SyncFrame& frame, v1::WireFrame& wire) {
  wire.Clear();
  std::string serialized = frame.SerializeAsString();
  frame_bytes_ += serialized.size();
  if (context_ == nullptr || serialized.size() < kMinCompressedFrameBytes) {
    wire.set_encoding(v1::WireFrame::PLAIN);
    payload_bytes_ += serialized.size();
    *wire.mutable_payload() = std::move(serialized);
    return absl::OkStatus();
  }
  std::string& payload = *wire.mutable_payload();
  payload.resize(ZSTD_compressBound(serialized.size()));
  const size_t written =
      ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(context_.get()), payload.data(), payload.size(),
                        serialized.data(), serialized.size(), level_);
  if (ZSTD_isError(written)) {
    return absl::InternalError(
        absl::StrCat("zstd could not compress a frame: ", ZSTD_getErrorName(written)));
  }
  payload.resize(written);
  wire.set_encoding(v1::WireFrame::ZSTD);
  payload_bytes_ += written;
  return absl::OkStatus();
}

FrameDecoder::FrameDecoder(size_t max_frame_bytes)
    : max_frame_bytes_(max_frame_bytes), context_(ZSTD_createDCtx()) {}

FrameDecoder::~FrameDecoder() = default;

absl::Status FrameDecoder::Decode(const v1::WireFrame& wire, v1::SyncFrame& frame) {
  const std::string* serialized = &wire.payload();
  switch (wire.encoding()) {
    case v1::WireFrame::PLAIN:
      break;
    case v1::WireFrame::ZSTD: {
      const std::string& payload = wire.payload();
      const unsigned long long size = ZSTD_getFrameContentSize(payload.data(), payload.size());
      if (size == ZSTD_CONTENTSIZE_ERROR) {
        return absl::DataLossError(
            absl::StrCat("a zstd frame of ", payload.size(), " bytes is not a zstd frame"));
      }
      if (size == ZSTD_CONTENTSIZE_UNKNOWN) {
        return absl::DataLossError("a zstd frame does not say how large it expands");
      }
      if (size > max_frame_bytes_) {
        return absl::DataLossError(absl::StrCat("a zstd frame expands to ", size,
                                                " bytes, beyond the limit of ", max_frame_bytes_));
      }
      buffer_.resize(size);
      const size_t expanded =
          ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(context_.get()), buffer_.data(),
                              buffer_.size(), payload.data(), payload.size());
      if (ZSTD_isError(expanded) || expanded != size) {
        return absl::DataLossError(absl::StrCat(
            "a zstd frame of ", payload.size(), " bytes does not expand: ",
            ZSTD_isError(expanded) ? ZSTD_getErrorName(expanded) : "size differs from its header"));
      }
      serialized = &buffer_;
      break;
    }
    default:
      return absl::DataLossError(
          absl::StrCat("a frame has unknown encoding ", static_cast<int>(wire.encoding())));
  }
  if (serialized->size() > max_frame_bytes_) {
    return absl::DataLossError(absl::StrCat("a frame of ", serialized->size(),
                                            " bytes exceeds the limit of ", max_frame_bytes_));
  }
  if (!frame.ParseFromString(*serialized)) {
    return absl::DataLossError(
        absl::StrCat("a frame of ", serialized->size(), " bytes does not parse as a SyncFrame"));
  }
  return absl::OkStatus();
}

}  // namespace sanji::node
