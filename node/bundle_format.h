// The offline bundle file (proto/bundle.proto has the byte layout): written
// as it is made, in pieces small enough for one gRPC message each, and read
// back whole with every check made before any frame is looked at.
//
// What ReadBundle refuses, in this order, each with its own error:
//  - not a bundle at all (InvalidArgument): it does not begin with the magic;
//  - truncated (DataLoss, "truncated"): a record runs past the end, or the
//    bytes end before the trailer;
//  - corrupt (DataLoss, "corrupt"): a record that does not parse, records
//    out of order, bytes after the trailer, or a checksum that does not
//    match;
//  - too new (FailedPrecondition): a format version this binary does not
//    read.
// Whether the bundle is for this node, and whether its frames pass a sync
// session's checks, is for the importer (node/bundle.h).
//
// Thread-safety: a BundleWriter is used by one thread; ReadBundle is a pure
// function.
#ifndef SANJI_NODE_BUNDLE_FORMAT_H_
#define SANJI_NODE_BUNDLE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bundle.pb.h"
#include "node/frame_codec.h"
#include "sync.pb.h"

namespace sanji::node {

inline constexpr absl::string_view kBundleMagic = "SANJIBDL";
inline constexpr uint32_t kBundleFormatVersion = 1;
// The writer hands its bytes out in pieces of at most this size (one gRPC
// message each, well under any max_message_bytes).
inline constexpr size_t kBundleChunkBytes = 256 << 10;
// A node reads a bundle it imports into memory whole; larger ones are
// refused (ResourceExhausted). A catch-up of a village of 100k records
// compresses to a few tens of MB.
inline constexpr size_t kMaxBundleBytes = size_t{1} << 30;

class BundleWriter {
 public:
  // Receives the bundle's bytes, in order, in pieces of at most
  // kBundleChunkBytes. An error stops the writer: every later call returns
  // it.
  using Sink = std::function<absl::Status(absl::string_view bytes)>;

  // Writes the magic and `header` (its format_version is set here).
  BundleWriter(v1::BundleHeader header, Sink sink);
  ~BundleWriter();
  BundleWriter(const BundleWriter&) = delete;
  BundleWriter& operator=(const BundleWriter&) = delete;

  // Adds a frame, zstd-compressed as a link would send it.
  absl::Status AddFrame(const v1::SyncFrame& frame);
  // Writes the trailer and hands out the last bytes. REQUIRES: called once,
  // last.
  absl::Status Finish();

  uint64_t frames() const { return frames_; }
  uint64_t bytes() const { return bytes_; }

 private:
  void AppendRecord(const v1::BundleRecord& record);
  // Hands out whole chunks (all that is buffered if `all`).
  absl::Status Drain(bool all);

  struct HashDeleter {
    void operator()(void* context) const;
  };
  std::unique_ptr<void, HashDeleter> hash_;  // an EVP_MD_CTX over the bytes so far
  Sink sink_;
  FrameEncoder encoder_;
  std::string buffer_;
  absl::Status status_;
  uint64_t frames_ = 0;
  uint64_t bytes_ = 0;
};

// A bundle as read and checked: its frames are still encoded (decode each
// with a FrameDecoder, which bounds what a frame may expand to).
struct Bundle {
  v1::BundleHeader header;
  std::vector<v1::WireFrame> frames;
};

// Reads and checks `bytes` (see the file comment for the errors). `name`
// names the bundle in errors ("fengpu.bundle", "the bundle").
absl::StatusOr<Bundle> ReadBundle(absl::string_view bytes, absl::string_view name);

}  // namespace sanji::node

#endif  // SANJI_NODE_BUNDLE_FORMAT_H_
