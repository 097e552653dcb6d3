// The network as `sanjictl tree` shows it: the nodes' status records
// (@status, node/status_schema.h) of one node's subtree, each under its
// parent, with whether it is online.
//
// A node is offline when its record is older than three of its periods (it
// stopped reporting, or its reports stopped arriving: the record is stale),
// since the time of that record; or when the record says its parent link is
// not connected (connecting or backoff; catching up counts as connected:
// batches are flowing), since the link entered that state. With both, the
// earlier time. The county has no parent link, so only its record's age
// counts.
//
// Thread-safety: pure functions (times are passed in, so output for fixed
// records and a fixed `now` is fixed: the golden tests rely on it).
#ifndef SANJI_CLI_STATUS_TREE_H_
#define SANJI_CLI_STATUS_TREE_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <vector>

#include "absl/strings/string_view.h"
#include "api.pb.h"

namespace sanji::cli {

// Whether `record` (a @status record) is stale at `now_micros`: older than
// three of its node's periods.
bool IsStale(const v1::Record& record, int64_t now_micros);

// When `record` (a @status record) makes its node offline at `now_micros`,
// and since when; nullopt when it is online.
std::optional<int64_t> OfflineSince(const v1::Record& record, int64_t now_micros);

// The records of `root`'s subtree (the node and every node below it; others
// are dropped), parents before their children, siblings by id.
std::vector<v1::Record> SubtreeRecords(std::vector<v1::Record> records, absl::string_view root);

// The table of `tree`: NODE (indented two columns per level, named relative
// to the nearest node shown above it), STATE ("online" or "OFFLINE <for how
// long>"), PARENT (the link's state, "via <id>" when it is not the node's
// own parent in the tree: a failover), LAG (how long the node had been out of
// sync with its parent when it reported, then "+N -M" when it held N changes
// its parent lacked and lacked M changes its parent held), CONFLICTS (open ones: neither resolved
// nor settled by a later write), REFUSED (items, and
// "+N skew" for remote timestamps refused), REPORTED (the record's age).
// A stale record's PARENT and LAG are prefixed "was " ("was live", "was 0s
// +3 -0"): they are the last known, as of REPORTED, not the present. A fresh
// record of a node whose link is down shows them unprefixed: the node itself
// says, now, that its link is down.
// REQUIRES: `records` as SubtreeRecords returns them for `root`.
void PrintStatusTree(const std::vector<v1::Record>& records, absl::string_view root,
                     int64_t now_micros, std::ostream& out);

}  // namespace sanji::cli

#endif  // SANJI_CLI_STATUS_TREE_H_
