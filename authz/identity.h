// Who calls a node (ARCHITECTURE.md §4, docs/AUTHORIZATION.md): the identity
// a certificate of the county's CA names in its one sanji:// URI SAN.
//
//   sanji://node/<node id>               a node; its scope is its id
//   sanji://operator/<name>/<scope>      a person with sanjictl who
//                                        administers the nodes of a subtree
//   sanji://app/<name>/<scope>           an application that reads and
//                                        writes the records of a subtree
//
// The name is one segment; the rest of the path is the scope, so
// "sanji://app/clinic/gutian/fengpu/xiaban" is application clinic for
// village xiaban. A plaintext caller of a node started with --insecure
// (loopback only, for development) has no certificate: it is kLocal.
//
// Thread-safety: a value type; pure functions.
#ifndef SANJI_AUTHZ_IDENTITY_H_
#define SANJI_AUTHZ_IDENTITY_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sanji::authz {

inline constexpr absl::string_view kSanjiUriScheme = "sanji://";

struct Identity {
  enum class Kind { kNode, kOperator, kApp, kLocal };
  Kind kind = Kind::kNode;
  // The node's id, or the operator's or application's name; empty for kLocal.
  std::string name;
  // The subtree the identity acts for: a node's id, the scope an operator or
  // application certificate was issued for; empty for kLocal.
  std::string scope;

  static Identity Node(std::string id) { return {Kind::kNode, id, id}; }
  static Identity Operator(std::string name, std::string scope) {
    return {Kind::kOperator, std::move(name), std::move(scope)};
  }
  static Identity App(std::string name, std::string scope) {
    return {Kind::kApp, std::move(name), std::move(scope)};
  }
  static Identity Local() { return {Kind::kLocal, "", ""}; }

  // The URI its certificate carries ("sanji://app/clinic/gutian/..."), or
  // "a plaintext caller" for kLocal: how refusals and logs name a caller.
  std::string Uri() const;
  friend bool operator==(const Identity&, const Identity&) = default;
};

// The identity `uri` names. InvalidArgument naming the URI and what is wrong
// with it: not sanji://, an unknown kind (the client kind of older
// certificates included: they are reissued as operator or app), a bad name
// or scope (authz/scope_path.h), or no scope for an operator or app.
absl::StatusOr<Identity> IdentityFromUri(absl::string_view uri);

// OK if `identity` is well formed, as IdentityFromUri(identity.Uri()) checks.
absl::Status ValidateIdentity(const Identity& identity);

}  // namespace sanji::authz

#endif  // SANJI_AUTHZ_IDENTITY_H_
