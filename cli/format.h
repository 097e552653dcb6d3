// How sanjictl shows what a node returns: values, records, times, and the
// --json form. Tables go through cli/table.h, so Chinese text aligns.
//
// Thread-safety: pure functions (times are shown in UTC, whatever the
// machine's zone: the node's log writes UTC, and a county's operators compare
// times across nodes and machines).
#ifndef SANJI_CLI_FORMAT_H_
#define SANJI_CLI_FORMAT_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "api.pb.h"
#include "google/protobuf/message.h"

namespace sanji::cli {

// Text as it is (no quotes: tables separate cells), numbers in decimal,
// flags as true/false.
std::string FormatValue(const v1::Value& value);

// A field as `get` lists it: its kind ("lww", "mv", "counter", "set",
// "status") and what it reads as. Several mv values (concurrent writes not
// yet resolved) are all shown, separated by " | "; set elements as
// "{a, b}".
struct FieldView {
  std::string kind;
  std::string value;
};
FieldView ViewField(const v1::FieldValue& field);

// One line about a record for `ls` and `watch`, at most `width` columns:
// its title field if it has one, else its fields as "name=value, ...".
std::string Summary(const v1::Record& record, size_t width);

// Microseconds since the Unix epoch as UTC "YYYY-MM-DD HH:MM:SSZ" (the "Z"
// says the zone); "-" for 0 (never happened). Every time sanjictl prints to
// the second goes through here, so two commands never show one instant
// differently.
std::string FormatMicros(int64_t micros);

// A change id as conflict/ writes it in logs: "gutian/fengpu/xiaban#3:17".
std::string FormatChangeId(const v1::ChangeId& change);

// A duration in whole seconds, e.g. "3h2m5s"; "0s" for none.
std::string FormatSeconds(int64_t seconds);

// How a field the node's schema does not describe reads: KIND "? <state
// kind>, <why>" (e.g. "? register, not in this node's schema").
FieldView ViewUnknownField(const v1::UnknownField& field);

// `record` for `get` and `put`: key, scope, deleted, updated, then a table of
// its fields, those the schema does not describe last, marked "?", then (for
// `get --history`) a table of the changes it still holds: when, which change,
// by whom, and which fields.
void PrintRecord(const v1::Record& record, std::ostream& out);

// `message` as protobuf JSON on one line (field names as in the .proto,
// zero values included, map entries sorted by key), for --json. The same
// message prints the same bytes in every call and every process, so outputs
// can be diffed and hashed. Errors: Internal if it can not be
// converted (it always can for sanji's messages).
absl::Status PrintJson(const google::protobuf::Message& message, std::ostream& out);

}  // namespace sanji::cli

#endif  // SANJI_CLI_FORMAT_H_
