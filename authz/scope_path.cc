#include "authz/scope_path.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sanji::authz {

bool IsPathSegment(absl::string_view segment) {
  if (segment.empty()) return false;
  for (char c : segment) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_' && c != '-') return false;
  }
  return true;
}

absl::Status ValidateScopePath(absl::string_view path, absl::string_view what) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (!IsPathSegment(segment)) {
      return absl::InvalidArgumentError(absl::StrCat(what, " \"", path,
                                                     "\" has an invalid segment \"", segment,
                                                     "\": a scope is ", kScopePathRule));
    }
  }
  return absl::OkStatus();
}

bool IsAncestorOrSelf(absl::string_view ancestor, absl::string_view scope) {
  if (!absl::StartsWith(scope, ancestor)) return false;
  return scope.size() == ancestor.size() || scope[ancestor.size()] == '/';
}

absl::string_view ParentOf(absl::string_view id) {
  const size_t slash = id.rfind('/');
  return slash == absl::string_view::npos ? absl::string_view() : id.substr(0, slash);
}

}  // namespace sanji::authz
