// What an operator types after `sanjictl put COLLECTION KEY`, turned into the
// operations of a v1::PutRequest, each value typed by the node's schema:
//
//   title=村口路灯不亮        lww or mv: assign, parsed as the field's type;
//                             status: advance to this value
//   --incr visits=2           counter: add N (negative subtracts)
//   --add tags=照明           set: add an element (repeatable)
//   --remove tags=照明        set: remove an element (repeatable)
//   --status status=resolved  status: advance (the same as status=resolved)
//
// Every error is InvalidArgument naming the field, its kind and type, and the
// text that does not fit, e.g.
//   field amount_fen (lww of int) takes an integer: "三百" is not one
// except an unknown field (InvalidArgument from the schema, naming it).
//
// Thread-safety: pure functions.
#ifndef SANJI_CLI_PUT_INPUT_H_
#define SANJI_CLI_PUT_INPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api.pb.h"
#include "conflict/schema.h"

namespace sanji::cli {

// Each entry is "field=value" as typed (the value may itself contain '=').
struct PutInput {
  std::vector<std::string> assign;
  std::vector<std::string> increment;
  std::vector<std::string> add;
  std::vector<std::string> remove;
  std::vector<std::string> set_status;
};

// The operations `input` asks for on a record of `collection`, one per field
// (a field's --add elements go into one operation), in field-name order.
// Errors (see the file comment) also for two different operations on one
// field, or one field assigned twice.
absl::StatusOr<std::vector<v1::FieldOperation>> OperationsFromInput(
    const conflict::CollectionSchema& collection, const PutInput& input);

}  // namespace sanji::cli

#endif  // SANJI_CLI_PUT_INPUT_H_
