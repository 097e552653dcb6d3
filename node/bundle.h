// Bundles: offline sync by file (node/DESIGN.md, "Offline bundles"). A
// bundle is one direction of a sync session between this node and a parent
// or child with no link between them, carried on a USB stick.
//
// Both ends drive a real replication::Session, so a bundle holds exactly
// what a live session would send and is applied with exactly a live
// session's checks:
//  - Export: a Session with this node's role toward the target is fed a
//    hello of the target (its knowledge from its last status record, or the
//    hello of a bundle the target made) and runs one pass, each batch
//    acknowledged at once; the bundle is this side's hello and batches
//    (node/bundle_format.h). Exporting writes nothing to the store: the
//    evictions a session makes once its parent acknowledges departed
//    records are left undone (nothing has reached the parent yet), so those
//    records go again with the next bundle or session.
//  - Import: after the file's own checks (bundle_format.h) and the target
//    id, a Session with this node's role toward the exporter receives the
//    exporter's hello and batches; each batch it accepts is applied as a
//    live link applies one (node/session_apply.h) and the other links are
//    told, so they push it on. It sends nothing (window 0): there is no one
//    to send to. A batch is one atomic commit, and merges are joins, so
//    importing a bundle twice changes nothing.
//
// Roles follow the tree as live sessions do: toward an ancestor this node is
// the child; toward a node below it (unless it is a leaf) it is the parent.
// Anything else is refused with FailedPrecondition. The ancestors, not the
// configured parents: a parent's config entry is the address a live link
// dials, and a bundle dials nothing. A node started with no parents (taken
// offline) is the one that needs a bundle, from its township or, as a live
// link fails over, from the county. Trust is not widened by it: the session
// makes the same checks toward any ancestor (it refuses anyone else as a
// parent), and accepts from it only records in this node's filter, whose
// every change an ancestor's filter covers.
//
// A bundle's batches are computed against a knowledge of the target; their
// watermarks are true only for a store holding at least that much. The
// header carries it and the import refuses a store that holds less (one
// restored from an older backup), rather than adopt knowledge of changes it
// does not have.
//
// Thread-safety: Export and Import may run concurrently with each other and
// with live links (each runs a session of its own; the store, the notifier
// and the totals are thread-safe).
#ifndef SANJI_NODE_BUNDLE_H_
#define SANJI_NODE_BUNDLE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "admin.pb.h"
#include "node/bundle_format.h"
#include "node/sync_link.h"
#include "replication/session.h"

namespace sanji::node {

struct BundleOptions {
  std::string node_id;
  // The node takes no children (config leaf).
  bool leaf = false;
  // Batch limits and the skew bound, as the node's links use them; the role,
  // peer, window and has_children are set per bundle.
  replication::SessionOptions session;
  // A frame that expands to more than this is refused, as on a link.
  size_t max_frame_bytes = 16 << 20;
};

class Bundles {
 public:
  // REQUIRES: what `environment` points to outlives this object.
  Bundles(LinkEnvironment environment, BundleOptions options);

  // Writes a bundle for request.target to `sink` (see the file comment).
  // Errors: FailedPrecondition when the target is neither an ancestor nor
  // below this node, or when this node holds no status record of it and no
  // target_hello was given (the message says what to do); InvalidArgument
  // for a target_hello of another node; the session's close status (a
  // target_hello of another schema or protocol version); the sink's error.
  absl::Status Export(const v1::ExportBundleRequest& request, BundleWriter::Sink sink) const;

  // Checks and applies `bytes`, a bundle for this node. Errors: those of
  // ReadBundle; FailedPrecondition for a bundle made for another node, by a
  // node that is neither an ancestor nor below this one, against more
  // knowledge than this store holds, or refused by the session (the
  // message says why, and how many batches were applied before);
  // DataLoss for a frame that does not decode; the store's error.
  absl::StatusOr<v1::ImportBundleResponse> Import(absl::string_view bytes) const;

 private:
  // This node's role in a session with `peer` (see the file comment).
  absl::StatusOr<replication::SessionOptions::Role> RoleToward(const std::string& peer) const;
  replication::SessionOptions SessionOptionsToward(replication::SessionOptions::Role role,
                                                   const std::string& peer) const;
  // The hello the export's session receives as the target's.
  absl::StatusOr<v1::Hello> TargetHello(const v1::ExportBundleRequest& request) const;
  // The target's hello as its status record here tells it.
  absl::StatusOr<v1::Hello> HelloFromStatusRecord(const std::string& target) const;
  // OK if this store holds every change `knowledge` names.
  absl::Status CheckHolds(const v1::BundleHeader& header) const;

  const LinkEnvironment environment_;
  const BundleOptions options_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_BUNDLE_H_
