#include "conflict/dot_context.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sanji::conflict {

void DotContext::Insert(const Dot& dot) {
  if (Covers(dot)) return;
  cloud_.insert(dot);
  Compact();
}

void DotContext::InsertPrefixes(const VersionVector& vector) {
  compact_.Join(vector);
  Compact();
}

void DotContext::Join(const DotContext& other) {
  compact_.Join(other.compact_);
  cloud_.insert(other.cloud_.begin(), other.cloud_.end());
  Compact();
}

void DotContext::Compact() {
  // The cloud is ordered by (origin, counter), so each origin's dots come in
  // ascending order and one pass suffices.
  for (auto it = cloud_.begin(); it != cloud_.end();) {
    const uint64_t known = compact_.Get(it->origin);
    if (it->counter == known + 1) {
      compact_.Advance(*it);
    } else if (it->counter > known) {
      ++it;
      continue;
    }
    it = cloud_.erase(it);
  }
}

std::string DotContext::ToString() const {
  return absl::StrCat(
      compact_.ToString(), " + [",
      absl::StrJoin(cloud_, ", ",
                    [](std::string* out, const Dot& dot) { absl::StrAppend(out, dot.ToString()); }),
      "]");
}

}  // namespace sanji::conflict
