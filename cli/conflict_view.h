// How sanjictl shows a node's conflict log (proto/admin.proto ConflictEntry):
// the `conflicts ls` table and the `conflicts show` detail. Values are shown
// as `get` shows them (cli/format.h), kept side first; tables align Chinese
// by display width (cli/table.h).
//
// Thread-safety: pure functions. When an event was recorded and resolved is
// shown by FormatMicros (UTC) in both the table and the detail, so `ls` and
// `show` print the same text for it.
#ifndef SANJI_CLI_CONFLICT_VIEW_H_
#define SANJI_CLI_CONFLICT_VIEW_H_

#include <ostream>
#include <string>

#include "admin.pb.h"

namespace sanji::cli {

// "lww", "mv" or "delete" (a write concurrent with a delete).
std::string ConflictKindName(v1::ConflictEntry::Kind kind);

// The table of `entries`: SEQ, RECORD (collection/key), FIELD ("-" for a
// delete), KIND, VALUES (the kept value, then the other, separated by " | ";
// "(deleted)" for the delete's side), WHEN (recorded), RESOLVED ("no",
// when it was marked resolved here, or "by a later write" when settled). "no conflicts" when there
// are none, so that an empty answer is still an answer.
void PrintConflictTable(const v1::ListConflictsResponse& entries, std::ostream& out);

// Everything about one event: the record, field, kind, when it was recorded
// and resolved (as in the table) and, for each side, its value, change id
// ("node#incarnation:counter") and HLC time (to the microsecond, with its
// logical part, as the node's log writes it: these order lww writes).
void PrintConflict(const v1::ConflictEntry& entry, std::ostream& out);

}  // namespace sanji::cli

#endif  // SANJI_CLI_CONFLICT_VIEW_H_
