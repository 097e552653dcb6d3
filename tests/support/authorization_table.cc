#include "tests/support/authorization_table.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sanji::testing {

std::string AuthorizationTablePath() {
  return absl::StrCat(SANJI_SOURCE_DIR, "/docs/authorization-table.txt");
}

absl::StatusOr<std::vector<AuthorizationCell>> ReadAuthorizationTable(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::vector<std::string> scopes;
  std::vector<AuthorizationCell> cells;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.empty()) continue;
    if (words[0] == "#") {
      // The header names the columns; other comments are prose.
      if (words.size() > 3 && words[1] == "identity" && words[2] == "rpc") {
        scopes.assign(words.begin() + 3, words.end());
      }
      continue;
    }
    if (words[0].front() == '#') continue;
    if (scopes.empty() || words.size() != scopes.size() + 2) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", words.size(),
                                                     " cells, expected ", scopes.size() + 2));
    }
    for (size_t i = 0; i < scopes.size(); ++i) {
      AuthorizationCell cell{words[0], words[1], scopes[i]};
      const std::string& outcome = words[i + 2];
      if (outcome == "allow") {
        cell.outcome = AuthorizationCell::Outcome::kAllow;
      } else if (outcome == "deny") {
        cell.outcome = AuthorizationCell::Outcome::kDeny;
      } else if (outcome == "refused") {
        cell.outcome = AuthorizationCell::Outcome::kRefused;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", number, ": unknown outcome \"", outcome, "\""));
      }
      cells.push_back(std::move(cell));
    }
  }
  if (cells.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " has no rows"));
  return cells;
}

std::optional<authz::Identity> CellIdentity(const std::string& identity) {
  const std::vector<std::string> parts = absl::StrSplit(identity, ':');
  if (parts[0] == "node" && parts.size() == 2) return authz::Identity::Node(parts[1]);
  if (parts[0] == "operator" && parts.size() == 3) {
    return authz::Identity::Operator(parts[1], parts[2]);
  }
  if (parts[0] == "app" && parts.size() == 3) return authz::Identity::App(parts[1], parts[2]);
  return std::nullopt;
}

}  // namespace sanji::testing
