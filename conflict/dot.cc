#include "conflict/dot.h"

#include "absl/strings/str_cat.h"

namespace sanji::conflict {

const std::shared_ptr<const std::string>& NodeId::Empty() {
  static const auto* const empty =
      new std::shared_ptr<const std::string>(std::make_shared<const std::string>());
  return *empty;
}

std::string Origin::ToString() const { return absl::StrCat(node_id.str(), "#", incarnation); }

std::string Dot::ToString() const { return absl::StrCat(origin.ToString(), ":", counter); }

}  // namespace sanji::conflict
