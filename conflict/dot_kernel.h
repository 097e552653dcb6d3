// DotKernel<Payload>: the state shared by every causal field type, after
// Almeida/Baquero's delta-enabled CRDTs: a set of (dot, payload) entries that
// is read under a causal context kept outside it (a record's version vector,
// shared by all the fields of that record, as in their ORMap).
//
// Join rule, the only way two kernels combine: an entry survives if both sides
// have it, or if one side has it and the other side's context does not cover
// its dot (the other side never saw it, rather than saw and removed it). This
// is what makes removal need no tombstones: a removed entry is simply absent
// under a context that covers its dot.
//
// Entries are sorted by (dot, payload) and unique, so equal states compare and
// encode identically. One dot may carry several payloads (one write adding two
// set elements).
//
// Thread-safety: a value type; const methods may run concurrently.
#ifndef SANJI_CONFLICT_DOT_KERNEL_H_
#define SANJI_CONFLICT_DOT_KERNEL_H_

#include <algorithm>
#include <utility>
#include <vector>

#include "conflict/dot.h"
#include "conflict/version_vector.h"

namespace sanji::conflict {

template <typename Payload>
class DotKernel {
 public:
  struct Entry {
    Dot dot;
    Payload payload;

    friend bool operator==(const Entry&, const Entry&) = default;
    friend bool operator<(const Entry& a, const Entry& b) {
      if (a.dot != b.dot) return a.dot < b.dot;
      return a.payload < b.payload;
    }
  };

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  void Clear() { entries_.clear(); }

  void Insert(Dot dot, Payload payload) {
    Entry entry{std::move(dot), std::move(payload)};
    auto it = std::lower_bound(entries_.begin(), entries_.end(), entry);
    if (it == entries_.end() || !(*it == entry)) entries_.insert(it, std::move(entry));
  }

  template <typename Predicate>
  void EraseIf(Predicate predicate) {
    std::erase_if(entries_, predicate);
  }

  // Joins `other` (read under `other_context`) into this kernel (read under
  // `context`). The caller joins the contexts afterwards.
  void Join(const VersionVector& context, const DotKernel& other,
            const VersionVector& other_context) {
    if (entries_ == other.entries_) return;
    if (!AddsAnything(context, other)) {
      EraseCoveredAbsent(other, other_context);
      return;
    }
    std::vector<Entry> joined;
    joined.reserve(entries_.size() + other.entries_.size());
    auto a = entries_.begin();
    auto b = other.entries_.begin();
    while (a != entries_.end() || b != other.entries_.end()) {
      if (b == other.entries_.end() || (a != entries_.end() && *a < *b)) {
        if (!other_context.Covers(a->dot)) joined.push_back(std::move(*a));
        ++a;
      } else if (a == entries_.end() || *b < *a) {
        if (!context.Covers(b->dot)) joined.push_back(*b);
        ++b;
      } else {
        joined.push_back(std::move(*a));
        ++a;
        ++b;
      }
    }
    entries_ = std::move(joined);
  }

  // Joins with a side that holds no entries under `other_context`: drops the
  // entries that context covers (the other side saw and removed them).
  void EraseCovered(const VersionVector& other_context) {
    EraseIf([&](const Entry& entry) { return other_context.Covers(entry.dot); });
  }

  friend bool operator==(const DotKernel&, const DotKernel&) = default;

 private:
  // Whether `other` holds an entry this kernel lacks and `context` does not
  // cover, i.e. whether the join must grow this kernel.
  bool AddsAnything(const VersionVector& context, const DotKernel& other) const {
    for (const Entry& entry : other.entries_) {
      if (context.Covers(entry.dot)) continue;
      if (!std::binary_search(entries_.begin(), entries_.end(), entry)) return true;
    }
    return false;
  }

  // The join when `other` adds nothing: keep an entry here if `other` holds it
  // too or `other_context` does not cover it. Allocates nothing.
  void EraseCoveredAbsent(const DotKernel& other, const VersionVector& other_context) {
    EraseIf([&](const Entry& entry) {
      return other_context.Covers(entry.dot) &&
             !std::binary_search(other.entries_.begin(), other.entries_.end(), entry);
    });
  }

  std::vector<Entry> entries_;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_DOT_KERNEL_H_
