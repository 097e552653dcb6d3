// What `sanjictl status` prints of a node's v1::NodeStatus: a table of the
// node (identity, uptime, commits, knowledge, item totals), then one row per
// sync link (role, peer, address, state, since, last contact, items sent,
// received and refused, LAG "+N -M": changes this node holds that the peer
// lacks and the other way, "-" until the peer's hello said its knowledge,
// and the last error), then, when any link has lag, the changes apart by
// origin. Times are local; uptime is counted to `now_micros`.
//
// Thread-safety: a pure function of its arguments (and the local time zone).
#ifndef SANJI_CLI_NODE_STATUS_VIEW_H_
#define SANJI_CLI_NODE_STATUS_VIEW_H_

#include <cstdint>
#include <ostream>

#include "admin.pb.h"

namespace sanji::cli {

void PrintNodeStatus(const v1::NodeStatus& status, int64_t now_micros, std::ostream& out);

}  // namespace sanji::cli

#endif  // SANJI_CLI_NODE_STATUS_VIEW_H_
