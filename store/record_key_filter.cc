#include "store/record_key_filter.h"

#include <mutex>

#include "absl/hash/hash.h"

namespace sanji::store {
namespace {

// Bits set per key within its block. With ~10 bits per key and 512-bit
// blocks, 6 gives about 1% false positives.
constexpr int kBitsPerKey = 6;
constexpr int kBitIndexWidth = 9;  // log2(512)
// Blocks per segment of `capacity` keys at about 10 bits per key.
constexpr size_t kKeysPerBlock = 51;

uint64_t HashOf(absl::string_view record_key) {
  return static_cast<uint64_t>(absl::HashOf(record_key));
}

// The hash's bits are used twice (a block from the high half, bit positions
// from a remix of the whole), so remix with a bijective finalizer
// (MurmurHash3's) to decorrelate them.
uint64_t Remix(uint64_t hash) {
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ULL;
  hash ^= hash >> 33;
  return hash;
}

size_t BlockIndex(uint64_t hash, size_t blocks) {
  // Lemire's multiply-shift range reduction of the high 32 bits.
  return static_cast<size_t>(((hash >> 32) * static_cast<uint64_t>(blocks)) >> 32);
}

}  // namespace

RecordKeyFilter::RecordKeyFilter(bool complete) : complete_(complete) {}

bool RecordKeyFilter::MayContainLocked(uint64_t hash) const {
  const uint64_t bits = Remix(hash);
  for (const Segment& segment : segments_) {
    const Block& block = segment.blocks[BlockIndex(hash, segment.blocks.size())];
    bool all_set = true;
    for (int i = 0; i < kBitsPerKey && all_set; ++i) {
      const uint64_t bit = (bits >> (i * kBitIndexWidth)) & 511;
      all_set = (block[bit >> 6] >> (bit & 63)) & 1;
    }
    if (all_set) return true;
  }
  return false;
}

void RecordKeyFilter::AddLocked(absl::string_view record_key) {
  const uint64_t hash = HashOf(record_key);
  if (MayContainLocked(hash)) return;
  if (segments_.empty() || segments_.back().keys >= segments_.back().capacity) {
    Segment segment;
    segment.capacity = segments_.empty() ? kFirstSegmentKeys : 2 * segments_.back().capacity;
    segment.blocks.assign(segment.capacity / kKeysPerBlock + 1, Block{});
    segments_.push_back(std::move(segment));
  }
  Segment& segment = segments_.back();
  Block& block = segment.blocks[BlockIndex(hash, segment.blocks.size())];
  const uint64_t bits = Remix(hash);
  for (int i = 0; i < kBitsPerKey; ++i) {
    const uint64_t bit = (bits >> (i * kBitIndexWidth)) & 511;
    block[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
  ++segment.keys;
  ++keys_;
}

void RecordKeyFilter::Add(absl::string_view record_key) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  AddLocked(record_key);
}

void RecordKeyFilter::AddAll(const std::vector<std::string>& record_keys) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (const std::string& record_key : record_keys) AddLocked(record_key);
}

void RecordKeyFilter::MarkComplete() {
  std::unique_lock<std::shared_mutex> lock(mu_);
  complete_ = true;
}

bool RecordKeyFilter::complete() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return complete_;
}

bool RecordKeyFilter::CertainlyAbsent(absl::string_view record_key) const {
  const uint64_t hash = HashOf(record_key);
  std::shared_lock<std::shared_mutex> lock(mu_);
  return complete_ && !MayContainLocked(hash);
}

size_t RecordKeyFilter::keys() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return keys_;
}

size_t RecordKeyFilter::memory_bytes() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  size_t bytes = 0;
  for (const Segment& segment : segments_) bytes += segment.blocks.size() * sizeof(Block);
  return bytes;
}

}  // namespace sanji::store
