// Change: what an application asks of one record in one local write. All its
// field operations commit together under one dot.
//
// Thread-safety: plain values.
#ifndef SANJI_CONFLICT_CHANGE_H_
#define SANJI_CONFLICT_CHANGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "conflict/value.h"

namespace sanji::conflict {

// lww and mv fields.
struct Assign {
  Value value;
};
// counter fields; negative to decrement.
struct Increment {
  int64_t delta = 0;
};
// set fields.
struct AddElements {
  std::vector<Value> elements;
};
struct RemoveElements {
  std::vector<Value> elements;
};
// status fields: a name from the field's ordered list, not behind the current.
struct SetStatus {
  std::string status;
};

using FieldOperation = std::variant<Assign, Increment, AddElements, RemoveElements, SetStatus>;

// "assign", "increment", "add", "remove", "set_status".
absl::string_view OperationName(const FieldOperation& operation);

struct FieldOp {
  std::string field;
  FieldOperation operation;
};

struct Change {
  Change() = default;
  Change(std::vector<FieldOp> ops, std::optional<std::string> scope, std::string author = "")
      : ops(std::move(ops)), scope(std::move(scope)), author(std::move(author)) {}

  std::vector<FieldOp> ops;
  // Sets (or moves) the record's scope. Required when the record is new.
  std::optional<std::string> scope;
  // Who made the change: the identity of the caller at the node that took
  // it (authz/identity.h). The record keeps it with the change's dot while
  // any part of the change is still in the record (Record::AuthorOf). Empty:
  // not recorded.
  std::string author;
  // An answer (authz/answer.h): the change writes only answer fields of a
  // record outside its writer's authority, and is an annotation of it: the
  // record's presence, deletes, scope and status starts stay as they are,
  // so an answer made offline never revives a record deleted meanwhile.
  // Such a change sets no scope, and answers a record that exists.
  bool answer = false;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_CHANGE_H_
