#include "conflict/version_vector.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sanji::conflict {

namespace {
bool OriginLess(const VersionVector::Entry& entry, const Origin& origin) {
  return entry.first < origin;
}
}  // namespace

std::vector<VersionVector::Entry>::iterator VersionVector::LowerBound(const Origin& origin) {
  return std::lower_bound(entries_.begin(), entries_.end(), origin, OriginLess);
}

std::vector<VersionVector::Entry>::const_iterator VersionVector::LowerBound(
    const Origin& origin) const {
  return std::lower_bound(entries_.begin(), entries_.end(), origin, OriginLess);
}

uint64_t VersionVector::Get(const Origin& origin) const {
  // A record's context names a handful of origins, usually sharing the
  // NodeId of the origin asked about: an equality scan beats ordered search.
  if (entries_.size() <= kLinearScanLimit) {
    for (const Entry& entry : entries_) {
      if (entry.first == origin) return entry.second;
    }
    return 0;
  }
  auto it = LowerBound(origin);
  return it != entries_.end() && it->first == origin ? it->second : 0;
}

bool VersionVector::Covers(const VersionVector& other) const {
  for (const auto& [origin, counter] : other.entries_) {
    if (Get(origin) < counter) return false;
  }
  return true;
}

void VersionVector::Advance(const Dot& dot) {
  if (dot.counter == 0) return;
  auto it = LowerBound(dot.origin);
  if (it != entries_.end() && it->first == dot.origin) {
    it->second = std::max(it->second, dot.counter);
  } else {
    entries_.insert(it, Entry{dot.origin, dot.counter});
  }
}

void VersionVector::Set(const Origin& origin, uint64_t counter) {
  auto it = LowerBound(origin);
  const bool present = it != entries_.end() && it->first == origin;
  if (counter == 0) {
    if (present) entries_.erase(it);
  } else if (present) {
    it->second = counter;
  } else {
    entries_.insert(it, Entry{origin, counter});
  }
}

void VersionVector::Join(const VersionVector& other) {
  if (other.entries_.empty()) return;
  // Common case: the other side knows no origin this one does not; raise the
  // counters in place.
  if (other.entries_.size() <= entries_.size()) {
    bool same_origins = true;
    auto a = entries_.begin();
    for (const Entry& theirs : other.entries_) {
      while (a != entries_.end() && a->first < theirs.first) ++a;
      if (a == entries_.end() || !(a->first == theirs.first)) {
        same_origins = false;
        break;
      }
    }
    if (same_origins) {
      auto mine = entries_.begin();
      for (const Entry& theirs : other.entries_) {
        while (!(mine->first == theirs.first)) ++mine;
        mine->second = std::max(mine->second, theirs.second);
      }
      return;
    }
  }
  std::vector<Entry> joined;
  joined.reserve(entries_.size() + other.entries_.size());
  auto a = entries_.begin();
  auto b = other.entries_.begin();
  while (a != entries_.end() || b != other.entries_.end()) {
    if (b == other.entries_.end() || (a != entries_.end() && a->first < b->first)) {
      joined.push_back(std::move(*a++));
    } else if (a == entries_.end() || b->first < a->first) {
      joined.push_back(*b++);
    } else {
      joined.push_back(Entry{std::move(a->first), std::max(a->second, b->second)});
      ++a;
      ++b;
    }
  }
  entries_ = std::move(joined);
}

CausalOrder VersionVector::Compare(const VersionVector& other) const {
  const bool covers_other = Covers(other);
  const bool covered_by_other = other.Covers(*this);
  if (covers_other && covered_by_other) return CausalOrder::kEqual;
  if (covers_other) return CausalOrder::kAfter;
  if (covered_by_other) return CausalOrder::kBefore;
  return CausalOrder::kConcurrent;
}

std::string VersionVector::ToString() const {
  return absl::StrCat("{",
                      absl::StrJoin(entries_, ", ",
                                    [](std::string* out, const Entry& entry) {
                                      absl::StrAppend(out, entry.first.ToString(), ":",
                                                      entry.second);
                                    }),
                      "}");
}

}  // namespace sanji::conflict
