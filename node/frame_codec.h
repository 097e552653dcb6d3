// Sync frames on the wire (proto/sync.proto, WireFrame): a serialized
// SyncFrame, compressed with zstd where the link asks for it.
//
// Why zstd over whole batches and not gRPC's own compression: gRPC's gzip
// costs about 12 µs of CPU per 300-byte record here and caps a stream near
// 85k records/s; zstd at level 1 over a batch of a thousand similar records
// compresses better (they share field names, scopes and origins) for a
// fraction of the CPU (BENCHMARKS.md, "Network"). Small frames (hellos,
// acks) go plain: compressing them saves nothing.
//
// A received frame is checked before it is expanded: an unknown encoding, a
// compressed frame that does not say its size, or one that would expand
// beyond the link's limit is refused (DataLoss naming the sizes), so a
// corrupt or hostile frame cannot make the node allocate without bound.
//
// Thread-safety: an encoder or decoder is used by one thread at a time (each
// holds a zstd context, reused across frames).
#ifndef SANJI_NODE_FRAME_CODEC_H_
#define SANJI_NODE_FRAME_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "sync.pb.h"

namespace sanji::node {

// Frames smaller than this go plain even on a compressed link.
inline constexpr size_t kMinCompressedFrameBytes = 512;

class FrameEncoder {
 public:
  // `compress`: zstd at `level` for frames of at least
  // kMinCompressedFrameBytes.
  explicit FrameEncoder(bool compress, int level = 1);
  ~FrameEncoder();
  FrameEncoder(const FrameEncoder&) = delete;
  FrameEncoder& operator=(const FrameEncoder&) = delete;

  // Fills `wire` with `frame`. Errors: Internal if zstd fails.
  absl::Status Encode(const v1::SyncFrame& frame, v1::WireFrame& wire);

  bool compress() const { return context_ != nullptr; }
  // Serialized SyncFrame bytes and WireFrame payload bytes, so far.
  uint64_t frame_bytes() const { return frame_bytes_; }
  uint64_t payload_bytes() const { return payload_bytes_; }

 private:
  struct ContextDeleter {
    void operator()(void* context) const;
  };
  std::unique_ptr<void, ContextDeleter> context_;
  const int level_;
  uint64_t frame_bytes_ = 0;
  uint64_t payload_bytes_ = 0;
};

class FrameDecoder {
 public:
  // Frames that expand to more than `max_frame_bytes` are refused.
  explicit FrameDecoder(size_t max_frame_bytes);
  ~FrameDecoder();
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Errors: DataLoss naming what is wrong with the frame.
  absl::Status Decode(const v1::WireFrame& wire, v1::SyncFrame& frame);

 private:
  struct ContextDeleter {
    void operator()(void* context) const;
  };
  const size_t max_frame_bytes_;
  std::unique_ptr<void, ContextDeleter> context_;
  std::string buffer_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_FRAME_CODEC_H_
