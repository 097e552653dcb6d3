// The node status collection, `@status` (ARCHITECTURE.md §6): each node
// writes one record about itself, which replicates up the tree like any
// record, and `sanjictl tree` reads them at any node.
//
// Where the records live. The record's key is the node id; its scope is the
// node id with a last segment "@status" ("gutian/fengpu/@status"). By the
// filter rule (replication/scope.h, InFilter) such a scope is held by the
// node and every ancestor and by no one else: not by siblings, and not by
// the node's descendants, which a scope equal to the node id would reach
// (an ancestor-or-self scope flows down: county notices reach every
// village). Node ids are segments of [a-z0-9_-] (node/config.h), so the
// "@status" segment never names a node. The node writes in its own subtree,
// so its authority and its parent's checks accept the record unchanged.
//
// Field kinds. Every field is lww: one node writes its record, so there is
// no concurrent writer and a register never loses a write; each write
// replaces a snapshot (totals since start, the links now), which counters
// would turn into sums of deltas that a restart or a new incarnation breaks.
// Times are integer microseconds since the Unix epoch, 0 for never. Lists
// (knowledge, children, record counts) are compact text: they are read by
// people and by `sanjictl tree`, never merged field by field.
//
// Thread-safety: constants and pure functions.
#ifndef SANJI_NODE_STATUS_SCHEMA_H_
#define SANJI_NODE_STATUS_SCHEMA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conflict/schema.h"
#include "record.pb.h"

namespace sanji::node {

inline constexpr char kStatusCollection[] = "@status";

// The fields of a status record.
namespace status_field {
inline constexpr char kVersion[] = "version";          // string: sanjid's version
inline constexpr char kIncarnation[] = "incarnation";  // int: the store's
inline constexpr char kStarted[] = "started";          // int: micros the process started
inline constexpr char kUpdated[] = "updated";          // int: micros of this write
inline constexpr char kPeriod[] = "period_s";  // int: the writer's period; staleness is by it
// string: "node#incarnation:counter, ..." for each origin, the counter up to
// which the node holds its changes.
inline constexpr char kKnowledge[] = "knowledge";
// The link to the parent (empty / 0 at the root): its id, its state
// ("connecting", "catching_up", "live", "backoff"), since when (micros),
// the last frame received (micros), and the last error.
inline constexpr char kParent[] = "parent";
inline constexpr char kParentState[] = "parent_state";
inline constexpr char kParentSince[] = "parent_since";
inline constexpr char kParentContact[] = "parent_contact";
inline constexpr char kParentError[] = "parent_error";
// int: the last time (micros) this node saw its parent link live: how long
// it has been out of sync is `updated` minus this.
inline constexpr char kInSync[] = "in_sync";
// Changes between this node and its parent, from the two knowledges as the
// last session knew them (LagByOrigin): ints, the totals over origins of
// what this node holds that the parent lacks (`parent_lacks`, changes still
// to go up) and of what the parent holds that this node lacks (`behind`);
// and a string, LagText of the origins where either is non-zero ("" while
// no session with the parent has said its knowledge: lag unknown).
inline constexpr char kParentLacks[] = "parent_lacks";
inline constexpr char kBehind[] = "behind";
inline constexpr char kLag[] = "lag";
// string: "child-id state last_contact_micros, ..." for each child link now.
inline constexpr char kChildren[] = "children";
// string: "collection=count, ..." records stored (deleted ones included) of each application
// collection; a count that stopped at the cap ends in "+".
inline constexpr char kRecords[] = "records";
inline constexpr char kRefusedItems[] = "refused_items";            // int: since start
inline constexpr char kRefusedTimestamps[] = "refused_timestamps";  // int: clock skew
// int: micros, the most an accepted remote timestamp was ahead of this
// node's clock since start (v1::NodeStatus.clock_skew_seen_micros).
inline constexpr char kClockSkewSeen[] = "clock_skew_seen";
inline constexpr char kConflicts[] = "conflicts";  // int: conflict log entries ever
// int: conflict events open here (neither resolved here nor settled by a
// later change: store::ConflictFilter::kOpen), up to kMaxCountedOpenConflicts.
inline constexpr char kOpenConflicts[] = "open_conflicts";
inline constexpr char kDiskBytes[] = "disk_bytes";  // int: bytes under data_dir
// int: the schema version the node runs (NodeStatus.schema_version); absent
// in the records of nodes older than published schemas.
inline constexpr char kSchemaVersion[] = "schema_version";
}  // namespace status_field

// The fields of a schema version, `@schema` (authz/county_records.h):
// its number, and the schema file's text as the county published it.
namespace schema_field {
inline constexpr char kVersion[] = "version";  // int
inline constexpr char kText[] = "text";        // string: a SchemaConfig in text format
}  // namespace schema_field

// The scope of node `node_id`'s status record (see the file comment).
std::string StatusScope(absl::string_view node_id);

// "gutian/fengpu#1:12, ...": for each origin (node and incarnation), the
// counter up to which the node holds its changes; "-" when empty. The
// record's knowledge field, and how sanjictl shows knowledge.
std::string KnowledgeText(const v1::VersionVector& knowledge);
// The inverse of KnowledgeText: how an ancestor reads a node's knowledge
// back from its status record (for an offline bundle, node/bundle.h).
// Errors: InvalidArgument naming the entry that does not parse.
absl::StatusOr<v1::VersionVector> ParseKnowledgeText(absl::string_view text);

// How far apart two nodes are for one origin: the changes (counters) of it
// that this node holds and the peer lacks, and those the peer holds and this
// node lacks.
struct OriginLag {
  std::string origin;  // "node#incarnation"
  uint64_t peer_lacks = 0;
  uint64_t lacks = 0;
};

// For each origin where `self` and `peer` (two nodes' knowledges) differ,
// in origin order. Counters count every change of an origin, in the filter
// of either node or not; knowledge adoption (replication/DESIGN.md) makes
// two nodes in sync agree on the origins they share.
std::vector<OriginLag> LagByOrigin(const v1::VersionVector& self, const v1::VersionVector& peer);

// "gutian/fengpu/xiaban#1 +12 -0, gutian#1 +0 -3"; "0" when in sync.
std::string LagText(const std::vector<OriginLag>& lag);

// Adds Sanji's own collections (`@status`, `@schema`) to `schema`. node/config.cc's
// schema building calls it, once: every schema a node or sanjictl builds
// holds them. Errors: InvalidArgument if `schema` holds them already.
absl::Status AddSystemCollections(conflict::Schema& schema);

}  // namespace sanji::node

#endif  // SANJI_NODE_STATUS_SCHEMA_H_
