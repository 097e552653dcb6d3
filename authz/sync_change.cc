#include "authz/sync_change.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "authz/answer.h"
#include "authz/scope_path.h"

namespace sanji::authz {
namespace {

using conflict::Origin;
using conflict::Record;

std::string DotText(const Origin& origin, uint64_t counter) {
  return absl::StrCat(origin.node_id.str(), "#", origin.incarnation, ":", counter);
}

// `stored`, read at most once.
class LazyStored {
 public:
  explicit LazyStored(StoredRecord stored) : stored_(stored) {}
  const Record* get() {
    if (!read_) {
      record_ = stored_();
      read_ = true;
    }
    return record_;
  }

 private:
  StoredRecord stored_;
  bool read_ = false;
  const Record* record_ = nullptr;
};

// The scopes `stored` is or was in at this node: its former scopes and the
// one it is in now (a record moved away from the child and back is the
// child's again).
std::vector<std::string> ScopesHeld(const Record* stored) {
  std::vector<std::string> scopes;
  if (stored == nullptr) return scopes;
  scopes = stored->DepartedScopes();
  if (std::optional<std::string> scope = stored->scope(); scope.has_value()) {
    scopes.push_back(*std::move(scope));
  }
  return scopes;
}

}  // namespace

bool Holds(const Record& record, absl::string_view node, bool relays) {
  const std::optional<std::string> scope = record.scope();
  if (!scope.has_value()) return false;
  if (InFilter(*scope, node)) return true;
  if (!relays) return false;
  const std::vector<std::string> departed = record.DepartedScopes();
  return std::any_of(departed.begin(), departed.end(),
                     [&](const std::string& former) { return InFilter(former, node); });
}

absl::Status CheckChangeFromParent(const ReceivedChange& change, absl::string_view self) {
  const std::optional<std::string> scope = change.record.scope();
  if (!scope.has_value()) return absl::PermissionDeniedError("a record without a scope");
  if (!change.move_out && !InFilter(*scope, self)) {
    return absl::PermissionDeniedError(
        absl::StrCat("scope ", *scope, " is outside the filter of ", self));
  }
  return absl::OkStatus();
}

absl::Status CheckChangeFromChild(const ReceivedChange& change, absl::string_view self,
                                  absl::string_view child, StoredRecord stored_record) {
  const Record& record = change.record;
  const std::optional<std::string> scope = record.scope();
  if (!scope.has_value()) return absl::PermissionDeniedError("a record without a scope");
  // Only a parent tells of a move-out: it is where the move was decided.
  if (change.move_out) return absl::PermissionDeniedError("a move-out from a child");
  if (!Holds(record, self, /*relays=*/true)) {
    return absl::PermissionDeniedError(absl::StrCat("scope ", *scope, " is outside ", self));
  }
  LazyStored stored(stored_record);
  for (const auto& [origin, counter] : record.context().entries()) {
    if (InSubtree(origin.node_id.str(), child)) continue;
    if (stored.get() == nullptr || stored.get()->context().Get(origin) < counter) {
      return absl::PermissionDeniedError(
          absl::StrCat("it carries change ", DotText(origin, counter), " from outside ", child,
                       "'s subtree, which ", self, " does not hold on this record"));
    }
  }
  // A scope the record left is added where the move was made, by a node with
  // authority over the old scope: one outside the child's subtree must be
  // one `self` holds on the record already. Otherwise a child could make
  // its records look as if they had been elsewhere (and be relayed there).
  for (const std::string& former : record.state().former_scopes) {
    if (InSubtree(former, child)) continue;
    if (stored.get() == nullptr || !stored.get()->state().former_scopes.contains(former)) {
      return absl::PermissionDeniedError(
          absl::StrCat("it lists ", former, " among the record's former scopes, outside ", child,
                       "'s subtree, which ", self, " does not hold on this record"));
    }
  }
  if (InSubtree(*scope, child)) return absl::OkStatus();
  const conflict::Dot& scope_dot = record.state().scope.Winner().dot;
  if (InSubtree(scope_dot.origin.node_id.str(), child)) {
    return absl::PermissionDeniedError(absl::StrCat(DotText(scope_dot.origin, scope_dot.counter),
                                                    " moves it to ", *scope, ", outside ", child,
                                                    "'s subtree"));
  }
  // A change made before a move away is legitimate; one to a record that
  // never was in the child's subtree (a county notice) is not. Where the
  // record was (or is) is what `self` holds of it, not what the child
  // claims: a child could list any scope among the record's former scopes,
  // or pair a known scope dot with a scope of its own. (The scope's dot is
  // from outside the child's subtree, so the loop above found the record
  // stored here.)
  const std::vector<std::string> scopes_held = ScopesHeld(stored.get());
  if (std::any_of(scopes_held.begin(), scopes_held.end(),
                  [&](const std::string& s) { return InSubtree(s, child); })) {
    return absl::OkStatus();
  }
  const std::string refused =
      absl::StrCat("it changes a record of scope ", *scope, ", outside ", child, "'s authority");
  if (change.collection == nullptr || change.whole == nullptr ||
      !HasAnswerFields(*change.collection)) {
    return absl::PermissionDeniedError(refused);
  }
  absl::StatusOr<Record> whole = (*change.whole)();
  if (!whole.ok()) return whole.status();
  absl::Status answered = CheckAnswerFromChild(*whole, *stored.get(), child, *change.collection);
  if (!answered.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat(refused, ", and not as answers: ", answered.message()));
  }
  return absl::OkStatus();
}

}  // namespace sanji::authz
