#include "replication/scope.h"

#include <algorithm>

namespace sanji::replication {

bool Holds(const conflict::Record& record, absl::string_view node, bool relays) {
  const std::optional<std::string> scope = record.scope();
  if (!scope.has_value()) return false;
  if (InFilter(*scope, node)) return true;
  if (!relays) return false;
  const std::vector<std::string> departed = record.DepartedScopes();
  return std::any_of(departed.begin(), departed.end(),
                     [&](const std::string& former) { return InFilter(former, node); });
}

}  // namespace sanji::replication
