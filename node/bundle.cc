#include "node/bundle.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "authz/scope_path.h"
#include "codec/vector_codec.h"
#include "conflict/status_macros.h"
#include "node/log.h"
#include "node/record_view.h"
#include "node/session_apply.h"
#include "node/status_schema.h"
#include "replication/scope.h"
#include "store/files.h"

namespace sanji::node {
namespace {

using Role = replication::SessionOptions::Role;

// At most this many refused items go into an import's response; every one
// is logged.
constexpr int kMaxRefusedReported = 100;

}  // namespace

Bundles::Bundles(LinkEnvironment environment, BundleOptions options)
    : environment_(environment), options_(std::move(options)) {}

absl::StatusOr<Role> Bundles::RoleToward(const std::string& peer) const {
  const std::string& self = options_.node_id;
  if (authz::StrictlyBelow(self, peer)) return Role::kChild;
  if (authz::StrictlyBelow(peer, self)) {
    if (!options_.leaf) return Role::kParent;
    return absl::FailedPreconditionError(
        absl::StrCat(self,
                     " is a leaf node and takes no children, so no bundle goes between it "
                     "and ",
                     peer));
  }
  return absl::FailedPreconditionError(
      absl::StrCat(peer, " is neither an ancestor of ", self,
                   " nor a node below it: a bundle goes only where a live session could"));
}

replication::SessionOptions Bundles::SessionOptionsToward(Role role,
                                                          const std::string& peer) const {
  replication::SessionOptions session = options_.session;
  session.role = role;
  session.authenticated_peer = peer;
  session.has_children = !options_.leaf;
  return session;
}

absl::StatusOr<v1::Hello> Bundles::HelloFromStatusRecord(const std::string& target) const {
  const std::string& self = options_.node_id;
  absl::StatusOr<conflict::Record> record = environment_.store->Get(kStatusCollection, target);
  if (absl::IsNotFound(record.status()) || (record.ok() && !record->alive())) {
    return absl::FailedPreconditionError(absl::StrCat(
        self, " holds no status record of ", target,
        " (a node's status reaches only its ancestors, once it has synced with them), so it does "
        "not know what ",
        target, " holds: export with --knowledge FILE, a bundle ", target, " made (at ", target,
        ": sanjictl export --for ", self, " --knowledge-only -o FILE)"));
  }
  if (!record.ok()) return record.status();
  SANJI_ASSIGN_OR_RETURN(const conflict::CollectionSchema* collection,
                         environment_.schema->Collection(kStatusCollection));
  v1::Record status;
  RecordToApi(*collection, kStatusCollection, target, *record, &status);
  const auto field = [&](const char* name) -> const v1::Value& {
    const auto found = status.fields().find(name);
    return found == status.fields().end() ? v1::Value::default_instance() : found->second.lww();
  };
  absl::StatusOr<v1::VersionVector> knowledge =
      ParseKnowledgeText(field(status_field::kKnowledge).text());
  if (!knowledge.ok()) {
    return store::Annotate(knowledge.status(), absl::StrCat("the status record of ", target));
  }
  v1::Hello hello;
  replication::SetProtocolRange(hello);
  hello.mutable_origin()->set_node_id(target);
  hello.mutable_origin()->set_incarnation(
      static_cast<uint32_t>(field(status_field::kIncarnation).integer()));
  // The record does not say the target's schema: this node's is assumed, and
  // the target's session checks it when it imports.
  hello.set_schema_fingerprint(environment_.schema->Fingerprint());
  *hello.mutable_knowledge()->mutable_compact() = *std::move(knowledge);
  return hello;
}

absl::StatusOr<v1::Hello> Bundles::TargetHello(const v1::ExportBundleRequest& request) const {
  if (!request.has_target_hello()) return HelloFromStatusRecord(request.target());
  v1::Hello hello = request.target_hello();
  if (hello.origin().node_id() != request.target()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the knowledge given is the hello of ", hello.origin().node_id(), ", not of ",
                     request.target(), ": give a bundle ", request.target(), " made"));
  }
  // Only the compact knowledge: the header records it, and the importer
  // checks that it still holds that much. Records of the cloud's dots are
  // sent again (a join changes nothing).
  hello.mutable_knowledge()->clear_cloud();
  return hello;
}

absl::Status Bundles::Export(const v1::ExportBundleRequest& request,
                             BundleWriter::Sink sink) const {
  const std::string& target = request.target();
  SANJI_ASSIGN_OR_RETURN(const Role role, RoleToward(target));
  v1::SyncFrame target_hello;
  if (!request.knowledge_only()) {
    SANJI_ASSIGN_OR_RETURN(*target_hello.mutable_hello(), TargetHello(request));
  }
  v1::BundleHeader header;
  header.set_exporter(options_.node_id);
  header.set_target(target);
  header.set_created_micros(environment_.clock->NowMicros());
  *header.mutable_target_knowledge() = target_hello.hello().knowledge().compact();
  BundleWriter writer(std::move(header), std::move(sink));

  replication::Session session(SessionOptionsToward(role, target), environment_.schema,
                               environment_.replica);
  session.Start(environment_.clock->NowMicros());
  if (!request.knowledge_only()) session.Receive(target_hello);
  for (;;) {
    std::vector<v1::SyncFrame> frames = session.TakeFrames();
    // Only evictions of departed records, made when a batch that carried
    // them is acknowledged: not done, since the parent has nothing yet.
    session.TakeApplies();
    if (frames.empty() || session.closed()) break;
    for (const v1::SyncFrame& frame : frames) {
      SANJI_RETURN_IF_ERROR(writer.AddFrame(frame));
      if (!frame.has_batch()) continue;
      // The target applies the bundle in order and whole, or not at all
      // (then the next bundle or session starts from its knowledge again).
      v1::SyncFrame ack;
      ack.mutable_ack()->set_sequence(frame.batch().sequence());
      session.Receive(ack);
    }
  }
  if (session.closed()) {
    return store::Annotate(session.close_status(), absl::StrCat("no bundle for ", target));
  }
  if (!request.knowledge_only() && !session.idle()) {
    return absl::InternalError(
        absl::StrCat("the session for the bundle for ", target, " did not finish its pass"));
  }
  SANJI_RETURN_IF_ERROR(writer.Finish());
  LogInfo("exported a bundle for ", target, ": ", writer.frames() - 1, " batches, ",
          session.stats().items_sent, " items, ", writer.bytes(), " bytes");
  return absl::OkStatus();
}

absl::Status Bundles::CheckHolds(const v1::BundleHeader& header) const {
  SANJI_ASSIGN_OR_RETURN(const conflict::VersionVector assumed,
                         codec::DecodeVersionVector(header.target_knowledge()));
  const conflict::VersionVector held = environment_.store->Knowledge();
  for (const auto& [origin, counter] : assumed.entries()) {
    if (held.Get(origin) >= counter) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        "the bundle from ", header.exporter(), " was made for a store of ", header.target(),
        " holding the changes of ", origin.ToString(), " up to ", counter,
        ", but this one holds "
        "them only up to ",
        held.Get(origin),
        " (restored from an older copy?): have a new bundle made against this node's knowledge "
        "(sanjictl export --for ",
        header.exporter(),
        " --knowledge-only here, then export "
        "--knowledge FILE there)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ImportBundleResponse> Bundles::Import(absl::string_view bytes) const {
  SANJI_ASSIGN_OR_RETURN(Bundle bundle, ReadBundle(bytes, "the bundle"));
  const v1::BundleHeader& header = bundle.header;
  const std::string& exporter = header.exporter();
  if (header.target() != options_.node_id) {
    return absl::FailedPreconditionError(absl::StrCat("the bundle is for ", header.target(),
                                                      " (made by ", exporter, "); this node is ",
                                                      options_.node_id));
  }
  SANJI_ASSIGN_OR_RETURN(const Role role, RoleToward(exporter));
  SANJI_RETURN_IF_ERROR(CheckHolds(header));

  replication::SessionOptions session_options = SessionOptionsToward(role, exporter);
  session_options.window = 0;  // receive only: there is no one to send to
  replication::Session session(session_options, environment_.schema, environment_.replica);
  session.Start(environment_.clock->NowMicros());
  const std::string label = absl::StrCat("bundle from ", exporter);
  v1::ImportBundleResponse response;
  *response.mutable_header() = header;
  FrameDecoder decoder(options_.max_frame_bytes);
  absl::Status frame_error;
  uint64_t records_changed = 0;
  for (size_t i = 0; i < bundle.frames.size() && !session.closed(); ++i) {
    v1::SyncFrame frame;
    frame_error = decoder.Decode(bundle.frames[i], frame);
    if (!frame_error.ok()) {
      frame_error = store::Annotate(frame_error, absl::StrCat(label, ", frame ", i + 1));
      break;
    }
    session.Tick(environment_.clock->NowMicros());
    session.Receive(frame);
    SessionOutput output;
    do {
      session.TakeFrames();  // its hello and acks: no one reads them
      output = ApplySessionOutput(session, *environment_.store, *environment_.notifier,
                                  /*self=*/0, label);
      records_changed += output.records_changed;
      for (replication::RefusedItem& item : output.refused) {
        if (response.refused_size() >= kMaxRefusedReported) break;
        v1::RefusedChange* refused = response.add_refused();
        refused->set_collection(std::move(item.collection));
        refused->set_key(std::move(item.key));
        refused->set_reason(std::move(item.reason));
      }
    } while (output.applied && !session.closed());
  }
  const replication::SessionStats& stats = session.stats();
  environment_.totals->items_received += stats.items_received;
  environment_.totals->items_refused += stats.items_refused;
  environment_.totals->timestamps_refused += stats.timestamps_refused;
  environment_.totals->fields_clashing += stats.fields_clashing;
  response.set_batches(stats.batches_received);
  response.set_items_received(stats.items_received);
  response.set_items_refused(stats.items_refused);
  response.set_records_changed(records_changed);
  const std::string applied = absl::StrCat(stats.batches_received, " batches applied before");
  if (!frame_error.ok()) return store::Annotate(frame_error, applied);
  if (session.closed()) {
    const absl::Status& closed = session.close_status();
    return absl::Status(closed.code(), absl::StrCat("the ", label, " was refused (", applied,
                                                    "): ", closed.message()));
  }
  if (!session.peer().has_value()) {
    return absl::DataLossError(absl::StrCat("the ", label, " holds no hello"));
  }
  LogInfo("imported a ", label, ": ", stats.batches_received, " batches, ", stats.items_received,
          " items, ", records_changed, " records changed, ", stats.items_refused, " refused");
  return response;
}

}  // namespace sanji::node
