#include "authz/identity.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "authz/scope_path.h"

namespace sanji::authz {
namespace {

constexpr absl::string_view kNodeKind = "node/";
constexpr absl::string_view kOperatorKind = "operator/";
constexpr absl::string_view kAppKind = "app/";

absl::Status Malformed(absl::string_view uri, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("identity URI ", uri, " ", why));
}

// "<name>/<scope>" of an operator or application.
absl::StatusOr<Identity> NamedForScope(absl::string_view uri, absl::string_view rest,
                                       Identity::Kind kind) {
  const size_t slash = rest.find('/');
  const absl::string_view name = rest.substr(0, slash);
  if (!IsPathSegment(name)) {
    return Malformed(uri, absl::StrCat("has the invalid name \"", name,
                                       "\": a name is one or more of [a-z0-9_-]"));
  }
  if (slash == absl::string_view::npos) {
    return Malformed(uri,
                     "names no scope: an operator or application acts for a subtree, "
                     "as in sanji://app/<name>/<scope>");
  }
  const absl::string_view scope = rest.substr(slash + 1);
  if (absl::Status valid = ValidateScopePath(scope); !valid.ok()) {
    return Malformed(uri, valid.message());
  }
  return Identity{kind, std::string(name), std::string(scope)};
}

}  // namespace

std::string Identity::Uri() const {
  switch (kind) {
    case Kind::kNode:
      return absl::StrCat(kSanjiUriScheme, kNodeKind, name);
    case Kind::kOperator:
      return absl::StrCat(kSanjiUriScheme, kOperatorKind, name, "/", scope);
    case Kind::kApp:
      return absl::StrCat(kSanjiUriScheme, kAppKind, name, "/", scope);
    case Kind::kLocal:
      break;
  }
  return "a plaintext caller";
}

absl::StatusOr<Identity> IdentityFromUri(absl::string_view uri) {
  absl::string_view rest = uri;
  if (!absl::ConsumePrefix(&rest, kSanjiUriScheme)) return Malformed(uri, "is not sanji://");
  if (absl::ConsumePrefix(&rest, kNodeKind)) {
    if (absl::Status valid = ValidateScopePath(rest, "node id"); !valid.ok()) {
      return Malformed(uri, valid.message());
    }
    return Identity::Node(std::string(rest));
  }
  if (absl::ConsumePrefix(&rest, kOperatorKind)) {
    return NamedForScope(uri, rest, Identity::Kind::kOperator);
  }
  if (absl::ConsumePrefix(&rest, kAppKind)) return NamedForScope(uri, rest, Identity::Kind::kApp);
  if (absl::StartsWith(rest, "client/")) {
    return Malformed(uri,
                     "is a client certificate of an older Sanji, which says neither what "
                     "it may do nor where: issue an operator or app certificate instead "
                     "(sanjictl cert issue --operator NAME --scope S, or --app NAME "
                     "--scope S)");
  }
  return Malformed(uri, "has an unknown kind: node, operator and app are the kinds");
}

absl::Status ValidateIdentity(const Identity& identity) {
  if (identity.kind == Identity::Kind::kLocal) return absl::OkStatus();
  return IdentityFromUri(identity.Uri()).status();
}

}  // namespace sanji::authz
