// Origins and dots: the names of changes.
//
// An Origin is one life of one node: its id (also its scope path, e.g.
// "gutian/fengpu/xiaban") and an incarnation number. A box re-imaged with the
// same id starts a new incarnation, so it never reuses a counter the old one
// may already have handed out. A Dot (origin, counter) names exactly one
// change; counters of one origin start at 1 and are dense at that origin.
//
// Thread-safety: plain values. NodeId copies share one immutable string, so
// copies may be made and read from any thread.
#ifndef SANJI_CONFLICT_DOT_H_
#define SANJI_CONFLICT_DOT_H_

#include <compare>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace sanji::conflict {

// A node id, shared rather than copied: every field entry of every record
// names the origin of its dot, and records are copied and merged on every hop,
// so copying a NodeId costs a reference count, not an allocation.
class NodeId {
 public:
  NodeId() : text_(Empty()) {}
  NodeId(absl::string_view text)  // NOLINT: implicit, ids are written as text
      : text_(std::make_shared<const std::string>(text)) {}
  NodeId(const char* text) : NodeId(absl::string_view(text)) {}         // NOLINT
  NodeId(const std::string& text) : NodeId(absl::string_view(text)) {}  // NOLINT

  const std::string& str() const { return *text_; }
  bool empty() const { return text_->empty(); }

  friend bool operator==(const NodeId& a, const NodeId& b) {
    return a.text_ == b.text_ || *a.text_ == *b.text_;
  }
  friend std::strong_ordering operator<=>(const NodeId& a, const NodeId& b) {
    if (a.text_ == b.text_) return std::strong_ordering::equal;
    return *a.text_ <=> *b.text_;
  }

 private:
  static const std::shared_ptr<const std::string>& Empty();

  std::shared_ptr<const std::string> text_;  // never null
};

struct Origin {
  NodeId node_id;
  uint32_t incarnation = 0;

  friend auto operator<=>(const Origin&, const Origin&) = default;
  friend bool operator==(const Origin&, const Origin&) = default;
  // "gutian/fengpu/xiaban#2"
  std::string ToString() const;
};

struct Dot {
  Origin origin;
  uint64_t counter = 0;

  friend auto operator<=>(const Dot&, const Dot&) = default;
  friend bool operator==(const Dot&, const Dot&) = default;
  // "gutian/fengpu/xiaban#2:17"
  std::string ToString() const;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_DOT_H_
