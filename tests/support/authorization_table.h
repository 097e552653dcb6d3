// The authorization table (docs/authorization-table.txt), read for the tests
// that check it: one cell per identity, RPC and scope.
//
// Thread-safety: a pure function of the file.
#ifndef SANJI_TESTS_SUPPORT_AUTHORIZATION_TABLE_H_
#define SANJI_TESTS_SUPPORT_AUTHORIZATION_TABLE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "authz/identity.h"

namespace sanji::testing {

struct AuthorizationCell {
  // As the file writes it: "node:gutian", "app:clinic:gutian/fengpu/xiaban",
  // "other-ca", "none".
  std::string identity;
  std::string rpc;    // "Put", "Session", ...
  std::string scope;  // the column
  enum class Outcome { kAllow, kDeny, kRefused } outcome = Outcome::kDeny;
};

// The path of the table in the source tree.
std::string AuthorizationTablePath();

// Every cell of the table at `path`, row by row. InvalidArgument naming the
// line of a row with the wrong number of cells or an unknown outcome.
absl::StatusOr<std::vector<AuthorizationCell>> ReadAuthorizationTable(const std::string& path);

// The identity a cell's identity column names; nullopt for the callers the
// TLS handshake refuses ("other-ca", "none"): they never reach the rule.
std::optional<authz::Identity> CellIdentity(const std::string& identity);

}  // namespace sanji::testing

#endif  // SANJI_TESTS_SUPPORT_AUTHORIZATION_TABLE_H_
