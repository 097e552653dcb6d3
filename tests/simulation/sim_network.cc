#include "tests/simulation/sim_network.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "authz/county_records.h"
#include "codec/record_codec.h"
#include "codec/vector_codec.h"
#include "conflict/status_macros.h"
#include "leveldb/helpers/memenv.h"
#include "node/bundle_format.h"
#include "node/config.h"
#include "node/frame_codec.h"
#include "replication/scope.h"

namespace sanji::simulation {

using conflict::Record;
using conflict::VersionVector;
using replication::ApplyBatch;
using replication::Session;
using replication::SessionOptions;

namespace {

// A bundle sink that keeps the bytes in memory (the USB stick).
node::BundleWriter::Sink AppendTo(std::string& bytes) {
  return [&bytes](absl::string_view piece) {
    bytes.append(piece.data(), piece.size());
    return absl::OkStatus();
  };
}

// The hello a knowledge-only bundle carries, as sanjictl export --knowledge
// reads it.
absl::StatusOr<v1::Hello> HelloOf(absl::string_view bytes) {
  SANJI_ASSIGN_OR_RETURN(const node::Bundle bundle, node::ReadBundle(bytes, "the knowledge"));
  v1::SyncFrame frame;
  node::FrameDecoder decoder(node::kMaxBundleBytes);
  if (bundle.frames.empty()) return absl::DataLossError("the knowledge bundle holds no frame");
  SANJI_RETURN_IF_ERROR(decoder.Decode(bundle.frames.front(), frame));
  if (!frame.has_hello()) return absl::DataLossError("the knowledge bundle holds no hello");
  return frame.hello();
}

}  // namespace

SimNode::SimNode(std::string id, std::vector<std::string> parents, const conflict::Schema* schema,
                 const SimOptions& options, int64_t now_micros)
    : id_(std::move(id)),
      parents_(std::move(parents)),
      schema_(schema),
      options_(options),
      clock_(now_micros) {
  if (!options_.on_disk) memory_env_.reset(leveldb::NewMemEnv(leveldb::Env::Default()));
}

SimNode::~SimNode() { Crash(); }

absl::Status SimNode::Open() {
  store::Options store_options;
  if (options_.on_disk) {
    // Flat names: a node's store must not sit inside its parent's.
    store_options.path =
        (std::filesystem::path(options_.disk_root) / absl::StrReplaceAll(id_, {{"/", "_"}}))
            .string();
  } else {
    store_options.path = absl::StrCat("/sim/", absl::StrReplaceAll(id_, {{"/", "_"}}));
    store_options.env = memory_env_.get();
  }
  store_options.node_id = id_;
  if (!options_.schema_text.empty()) {
    // A restarted sanjid starts at its config's schema and adopts what its
    // store holds.
    absl::StatusOr<conflict::Schema> initial =
        node::ParseSchemaFile("sim schema", options_.schema_text);
    if (!initial.ok()) return initial.status();
    holder_ = std::make_unique<conflict::SchemaHolder>(
        conflict::SchemaVersion{0, *std::move(initial), options_.schema_text});
  }
  store_options.schema = schema();
  store_options.clock = &clock_;
  store_options.max_skew_micros = options_.max_skew_micros;
  // Small memtables: many stores live at once.
  store_options.write_buffer_size = 1 << 20;
  store_options.block_cache_size = 1 << 20;
  absl::StatusOr<std::unique_ptr<store::Store>> opened = store::Store::Open(store_options);
  if (!opened.ok()) return opened.status();
  store_ = *std::move(opened);
  replica_ = std::make_unique<replication::StoreReplica>(store_.get());
  if (holder_ != nullptr) {
    adopter_ = std::make_unique<node::SchemaAdopter>(store_.get(), holder_.get(), &notifier_, id_);
  }
  return AdoptNewestSchema();
}

void SimNode::Crash() {
  replica_.reset();
  adopter_.reset();
  store_.reset();
  holder_.reset();
}

conflict::SchemaSource SimNode::schema() const {
  if (holder_ != nullptr) return holder_.get();
  return schema_;
}

absl::Status SimNode::AdoptNewestSchema() {
  if (adopter_ == nullptr) return absl::OkStatus();
  return adopter_->AdoptNewest().status();
}

SimNetwork::SimNetwork(const conflict::Schema* schema, SimOptions options)
    : schema_(schema), options_(std::move(options)), now_micros_(1'700'000'000'000'000) {}

SimNetwork::~SimNetwork() {
  links_.clear();  // sessions hold snapshots of the stores
  nodes_.clear();
}

absl::Status SimNetwork::AddNode(const std::string& id, std::vector<std::string> parents) {
  auto node = std::make_unique<SimNode>(id, std::move(parents), schema_, options_, now_micros_);
  if (absl::Status opened = node->Open(); !opened.ok()) return opened;
  nodes_[id] = std::move(node);
  CheckKnowledge(id);
  return absl::OkStatus();
}

std::vector<std::string> SimNetwork::node_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, node] : nodes_) ids.push_back(id);
  return ids;
}

absl::StatusOr<store::WriteResult> SimNetwork::Write(const std::string& id,
                                                     const std::string& collection,
                                                     const std::string& key,
                                                     const conflict::Change& change) {
  return Acknowledged(id, collection, key, node(id).store().Write(collection, key, change));
}

absl::StatusOr<store::WriteResult> SimNetwork::Delete(const std::string& id,
                                                      const std::string& collection,
                                                      const std::string& key) {
  return Acknowledged(id, collection, key, node(id).store().Delete(collection, key, ""));
}

absl::StatusOr<node::SchemaAdopter::Published> SimNetwork::Publish(const std::string& id,
                                                                   const std::string& text) {
  absl::StatusOr<node::SchemaAdopter::Published> published =
      node(id).adopter().Publish("", text, id);
  if (!published.ok()) return published;
  // Publish wrote the version's record; log it as the write it is.
  const std::string key = absl::StrCat(published->version);
  absl::StatusOr<Record> record = node(id).store().Get(authz::kSchemaCollection, key);
  if (!record.ok()) return record.status();
  oracle_[{authz::kSchemaCollection, key}].Join(*record);
  if (options_.transcript) {
    transcript_.push_back(absl::StrCat("-- ", id, " publishes schema version ", key));
  }
  NotifyStoreChanged(id, nullptr);
  CheckKnowledge(id);
  return published;
}

absl::StatusOr<store::WriteResult> SimNetwork::Acknowledged(
    const std::string& id, const std::string& collection, const std::string& key,
    absl::StatusOr<store::WriteResult> result) {
  if (!result.ok()) return result;
  oracle_[{collection, key}].Join(result->record);
  if (options_.transcript) {
    transcript_.push_back(absl::StrCat("-- ", id, " writes ", collection, "/", key, " ",
                                       result->record.DebugString()));
  }
  NotifyStoreChanged(id, nullptr);
  CheckKnowledge(id);
  return result;
}

absl::Status SimNetwork::Connect(const std::string& child, const std::string& parent) {
  if (!node(child).up() || !node(parent).up()) {
    return absl::FailedPreconditionError(absl::StrCat(child, " or ", parent, " is down"));
  }
  if (LinkedParent(child).has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(child, " is already linked"));
  }
  auto link = std::make_unique<SimLink>();
  link->child = child;
  link->parent = parent;
  SessionOptions child_options = options_.session;
  child_options.role = SessionOptions::Role::kChild;
  child_options.authenticated_peer = parent;
  child_options.has_children = HasChildren(child);
  child_options.max_skew_micros = options_.max_skew_micros;
  SessionOptions parent_options = options_.session;
  parent_options.role = SessionOptions::Role::kParent;
  parent_options.authenticated_peer = child;
  parent_options.has_children = true;
  parent_options.max_skew_micros = options_.max_skew_micros;
  link->child_side =
      std::make_unique<Session>(child_options, node(child).schema(), &node(child).replica());
  link->parent_side =
      std::make_unique<Session>(parent_options, node(parent).schema(), &node(parent).replica());
  SimLink& added = *links_.emplace_back(std::move(link));
  added.child_side->Start(node(child).clock().NowMicros());
  Drain(added, /*child_side=*/true);
  added.parent_side->Start(node(parent).clock().NowMicros());
  Drain(added, /*child_side=*/false);
  return absl::OkStatus();
}

void SimNetwork::Cut(const std::string& child, const std::string& parent) {
  std::erase_if(links_, [&](const std::unique_ptr<SimLink>& link) {
    return link->child == child && link->parent == parent;
  });
  if (options_.transcript)
    transcript_.push_back(absl::StrCat("-- link ", child, " - ", parent, " cut"));
}

bool SimNetwork::Linked(const std::string& child, const std::string& parent) const {
  return std::any_of(links_.begin(), links_.end(), [&](const std::unique_ptr<SimLink>& link) {
    return link->child == child && link->parent == parent;
  });
}

std::optional<std::string> SimNetwork::LinkedParent(const std::string& child) const {
  for (const auto& link : links_) {
    if (link->child == child) return link->parent;
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> SimNetwork::links() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& link : links_) out.emplace_back(link->child, link->parent);
  return out;
}

absl::Status SimNetwork::CrashAndRestart(const std::string& id) {
  std::erase_if(links_, [&](const std::unique_ptr<SimLink>& link) {
    return link->child == id || link->parent == id;
  });
  node(id).Crash();
  if (absl::Status opened = node(id).Open(); !opened.ok()) return opened;
  CheckKnowledge(id);
  return absl::OkStatus();
}

node::Bundles SimNetwork::BundlesOf(const std::string& id) {
  SimNode& sim_node = node(id);
  node::BundleOptions options;
  options.node_id = id;
  options.leaf = !HasChildren(id);
  options.session = options_.session;
  options.session.max_skew_micros = options_.max_skew_micros;
  const node::LinkEnvironment environment{&sim_node.store(),
                                          &sim_node.replica(),
                                          sim_node.schema(),
                                          &sim_node.notifier(),
                                          &sim_node.clock(),
                                          &bundle_totals_,
                                          nullptr};
  return node::Bundles(environment, std::move(options));
}

absl::StatusOr<v1::ImportBundleResponse> SimNetwork::ExchangeBundle(const std::string& from,
                                                                    const std::string& to) {
  if (!node(from).up() || !node(to).up()) {
    return absl::FailedPreconditionError(absl::StrCat(from, " or ", to, " is down"));
  }
  v1::ExportBundleRequest ask;
  ask.set_target(from);
  ask.set_knowledge_only(true);
  std::string knowledge;
  SANJI_RETURN_IF_ERROR(BundlesOf(to).Export(ask, AppendTo(knowledge)));
  v1::ExportBundleRequest request;
  request.set_target(to);
  SANJI_ASSIGN_OR_RETURN(*request.mutable_target_hello(), HelloOf(knowledge));
  std::string bundle;
  SANJI_RETURN_IF_ERROR(BundlesOf(from).Export(request, AppendTo(bundle)));
  if (options_.transcript) TranscribeBundle(from, to, bundle);
  absl::StatusOr<v1::ImportBundleResponse> imported = BundlesOf(to).Import(bundle);
  if (imported.ok()) {
    ++bundles_imported_;
    bundle_items_ += imported->items_received();
    items_refused_ += imported->items_refused();
  }
  if (options_.transcript) {
    transcript_.push_back(
        imported.ok()
            ? absl::StrCat("-- bundle ", from, " -> ", to, ": ", imported->batches(), " batches, ",
                           imported->items_received(), " items, ", imported->records_changed(),
                           " records changed, ", imported->items_refused(), " refused")
            : absl::StrCat("-- bundle ", from, " -> ", to,
                           " refused: ", imported.status().message()));
  }
  if (absl::Status adopted = node(to).AdoptNewestSchema(); !adopted.ok()) Fail(adopted);
  NotifyStoreChanged(to, nullptr);
  CheckKnowledge(to);
  return imported;
}

void SimNetwork::TranscribeBundle(const std::string& from, const std::string& to,
                                  absl::string_view bytes) {
  absl::StatusOr<node::Bundle> bundle = node::ReadBundle(bytes, "the bundle");
  if (!bundle.ok()) return Fail(bundle.status());
  node::FrameDecoder decoder(node::kMaxBundleBytes);
  for (const v1::WireFrame& wire : bundle->frames) {
    v1::SyncFrame frame;
    if (absl::Status decoded = decoder.Decode(wire, frame); !decoded.ok()) return Fail(decoded);
    transcript_.push_back(absl::StrCat(from, " => ", to, " (bundle): ", Describe(frame)));
  }
}

bool SimNetwork::HasChildren(const std::string& id) const {
  return std::any_of(nodes_.begin(), nodes_.end(), [&](const auto& entry) {
    const std::vector<std::string>& parents = entry.second->parents();
    return std::find(parents.begin(), parents.end(), id) != parents.end();
  });
}

SimLink* SimNetwork::FindLink(const std::string& child, const std::string& parent) {
  for (auto& link : links_) {
    if (link->child == child && link->parent == parent) return link.get();
  }
  return nullptr;
}

void SimNetwork::DeliverToParent(const std::string& child, const std::string& parent) {
  if (SimLink* link = FindLink(child, parent)) Deliver(*link, /*up=*/true);
  DropClosedLinks();
}

void SimNetwork::DeliverToChild(const std::string& child, const std::string& parent) {
  if (SimLink* link = FindLink(child, parent)) Deliver(*link, /*up=*/false);
  DropClosedLinks();
}

void SimNetwork::ApplyAtParent(const std::string& child, const std::string& parent) {
  if (SimLink* link = FindLink(child, parent)) Apply(*link, /*at_parent=*/true);
  DropClosedLinks();
}

void SimNetwork::ApplyAtChild(const std::string& child, const std::string& parent) {
  if (SimLink* link = FindLink(child, parent)) Apply(*link, /*at_parent=*/false);
  DropClosedLinks();
}

void SimNetwork::InjectToParent(const std::string& child, const std::string& parent,
                                v1::SyncBatch batch, bool seamless) {
  if (SimLink* link = FindLink(child, parent)) {
    batch.set_sequence(++link->last_sequence_up);
    if (seamless) link->injected_up.push_back(batch.sequence());
    v1::SyncFrame frame;
    *frame.mutable_batch() = std::move(batch);
    link->to_parent.push_back(frame.SerializeAsString());
    Deliver(*link, /*up=*/true);
  }
  DropClosedLinks();
}

void SimNetwork::Deliver(SimLink& link, bool up) {
  std::deque<std::string>& queue = up ? link.to_parent : link.to_child;
  if (queue.empty()) return;
  v1::SyncFrame frame;
  if (!frame.ParseFromString(queue.front())) {
    Fail(absl::InternalError("a frame in flight does not parse"));
    return;
  }
  queue.pop_front();
  Session& receiver = up ? *link.parent_side : *link.child_side;
  const std::string& id = up ? link.parent : link.child;
  receiver.Tick(node(id).clock().NowMicros());
  receiver.Receive(frame);
  Drain(link, /*child_side=*/!up);
}

void SimNetwork::Apply(SimLink& link, bool at_parent) {
  std::deque<ApplyBatch>& queue = at_parent ? link.parent_applies : link.child_applies;
  if (queue.empty()) return;
  ApplyBatch batch = std::move(queue.front());
  queue.pop_front();
  const std::string& id = at_parent ? link.parent : link.child;
  for (const ApplyBatch::Item& item : batch.items) {
    if (!item.move_out && !replication::Holds(item.record.head(), id, HasChildren(id))) {
      Fail(absl::InternalError(absl::StrCat(id, " was asked to apply ", item.collection, "/",
                                            item.key, " of scope ",
                                            item.record.head().scope().value_or("-"))));
    }
  }
  const uint64_t sequence = batch.sequence;
  const bool changed = !batch.items.empty() || !batch.knowledge.empty();
  const absl::Status applied =
      replication::ApplyToStore(node(id).store(), std::move(batch)).status();
  // The engine checked skew when the batch arrived; a clock set back since
  // then makes the store refuse it (the session ends and is redialed). Any
  // other failure is a bug.
  if (!applied.ok() && !absl::IsOutOfRange(applied)) Fail(applied);
  // As sanjid's adopter after a commit (before the next batch is checked).
  if (applied.ok() && changed) {
    if (absl::Status adopted = node(id).AdoptNewestSchema(); !adopted.ok()) Fail(adopted);
  }
  Session& session = at_parent ? *link.parent_side : *link.child_side;
  session.Applied(sequence, applied);
  Drain(link, /*child_side=*/!at_parent);
  if (applied.ok() && changed) {
    NotifyStoreChanged(id, &link);
  }
  CheckKnowledge(id);
}

void SimNetwork::Drain(SimLink& link, bool child_side) {
  Session& session = child_side ? *link.child_side : *link.parent_side;
  const std::string& from = child_side ? link.child : link.parent;
  const std::string& to = child_side ? link.parent : link.child;
  for (v1::SyncFrame& frame : session.TakeFrames()) {
    if (!link.injected_up.empty() && !Reseat(link, child_side, frame)) continue;
    if (frame.has_batch()) {
      if (child_side) link.last_sequence_up = frame.batch().sequence();
      auto& sent = child_side ? link.sent_up : link.sent_down;
      for (const v1::SyncItem& item : frame.batch().items()) {
        ++items_sent_;
        absl::StatusOr<Record> record = codec::ParseRecord(item.record());
        if (!record.ok()) {
          Fail(record.status());
          continue;
        }
        const std::string name =
            absl::StrCat(frame.batch().collections(static_cast<int>(item.collection())), "/",
                         item.key(), item.move_out() ? " move-out" : "");
        auto [it, inserted] = sent.try_emplace(name, record->context());
        if (!inserted && it->second == record->context()) {
          Fail(absl::InternalError(
              absl::StrCat(name, " crossed ", from, " -> ", to,
                           " twice in one session, unchanged: ", record->context().ToString())));
        }
        it->second = record->context();
      }
    }
    if (options_.transcript) {
      transcript_.push_back(absl::StrCat(from, " -> ", to, ": ", Describe(frame)));
    }
    (child_side ? link.to_parent : link.to_child).push_back(frame.SerializeAsString());
  }
  for (ApplyBatch& batch : session.TakeApplies()) {
    (child_side ? link.child_applies : link.parent_applies).push_back(std::move(batch));
  }
  for (const replication::RefusedItem& refused : session.TakeRefusedItems()) {
    ++link.items_refused;
    ++items_refused_;
    if (options_.transcript) {
      transcript_.push_back(absl::StrCat("   ", from, " refused ", refused.collection, "/",
                                         refused.key, ": ", refused.reason));
    }
  }
  if (session.closed() && options_.transcript) {
    transcript_.push_back(absl::StrCat("   ", from, " closed: ", session.close_status().message()));
  }
}

bool SimNetwork::Reseat(SimLink& link, bool child_side, v1::SyncFrame& frame) {
  const std::vector<uint64_t>& injected = link.injected_up;
  if (child_side && frame.has_batch()) {
    frame.mutable_batch()->set_sequence(frame.batch().sequence() + injected.size());
  } else if (!child_side && frame.has_ack()) {
    const uint64_t sequence = frame.ack().sequence();
    if (std::find(injected.begin(), injected.end(), sequence) != injected.end()) {
      if (options_.transcript) {
        transcript_.push_back(
            absl::StrCat(link.parent, " -> (kept from ", link.child, "): ", Describe(frame)));
      }
      return false;
    }
    const auto below =
        std::count_if(injected.begin(), injected.end(), [&](uint64_t s) { return s < sequence; });
    frame.mutable_ack()->set_sequence(sequence - static_cast<uint64_t>(below));
  }
  return true;
}

void SimNetwork::NotifyStoreChanged(const std::string& id, const SimLink* except) {
  for (auto& link : links_) {
    if (link.get() == except) continue;
    if (link->child == id) {
      link->child_side->StoreChanged();
      Drain(*link, true);
    } else if (link->parent == id) {
      link->parent_side->StoreChanged();
      Drain(*link, false);
    }
  }
}

void SimNetwork::AdvanceTime(int64_t micros) {
  now_micros_ += micros;
  for (auto& [id, node] : nodes_) node->clock().Set(now_micros_ + node->clock_offset_micros);
  for (auto& link : links_) {
    link->child_side->Tick(node(link->child).clock().NowMicros());
    Drain(*link, true);
    link->parent_side->Tick(node(link->parent).clock().NowMicros());
    Drain(*link, false);
  }
  DropClosedLinks();
}

bool SimNetwork::RunUntilQuiet(int max_rounds) {
  for (int round = 0; round < max_rounds; ++round) {
    bool moved = false;
    for (size_t i = 0; i < links_.size(); ++i) {
      SimLink& link = *links_[i];
      while (!link.closed() && (!link.to_parent.empty() || !link.to_child.empty() ||
                                !link.parent_applies.empty() || !link.child_applies.empty())) {
        moved = true;
        Deliver(link, true);
        Deliver(link, false);
        Apply(link, true);
        Apply(link, false);
      }
    }
    DropClosedLinks();
    if (moved) continue;
    const bool idle = std::all_of(links_.begin(), links_.end(), [](const auto& link) {
      return link->child_side->idle() && link->parent_side->idle();
    });
    if (idle) return true;
    AdvanceTime(options_.session.push_delay_micros);
  }
  return false;
}

void SimNetwork::DropClosedLinks() {
  std::erase_if(links_, [](const std::unique_ptr<SimLink>& link) { return link->closed(); });
}

void SimNetwork::CheckKnowledge(const std::string& id) {
  SimNode& sim_node = node(id);
  if (!sim_node.up()) return;
  const VersionVector knowledge = sim_node.store().Snapshot()->Knowledge();
  VersionVector& last = last_knowledge_[id];
  if (!knowledge.Covers(last)) {
    Fail(absl::InternalError(absl::StrCat("the knowledge of ", id, " went back from ",
                                          last.ToString(), " to ", knowledge.ToString())));
  }
  last = knowledge;
}

void SimNetwork::Fail(absl::Status status) {
  if (violation_.ok()) violation_ = std::move(status);
}

absl::Status SimNetwork::CheckConverged() {
  if (!violation_.ok()) return violation_;
  for (auto& [id, sim_node] : nodes_) {
    store::Store& store = sim_node->store();
    for (const auto& [name, expected] : oracle_) {
      const auto& [collection, key] = name;
      absl::StatusOr<Record> actual = store.Get(collection, key);
      const bool wanted = replication::Holds(expected, id, HasChildren(id));
      if (wanted && !actual.ok()) {
        return absl::InternalError(absl::StrCat(id, " lacks ", collection, "/", key, ": ",
                                                actual.status().message(), "; expected ",
                                                expected.DebugString()));
      }
      if (wanted && !(*actual == expected)) {
        return absl::InternalError(absl::StrCat(id, " holds ", collection, "/", key, " as ",
                                                actual->DebugString(), "; expected ",
                                                expected.DebugString()));
      }
      if (!wanted && actual.ok()) {
        return absl::InternalError(absl::StrCat(id, " holds ", collection, "/", key,
                                                " which it should not: ", actual->DebugString()));
      }
    }
    // Nothing that no application wrote (a refused forgery) landed.
    for (const auto& [collection, unused] : sim_node->schema()->collections()) {
      std::string token;
      do {
        absl::StatusOr<store::ListPage> page = store.List(collection, "", token, 1000);
        if (!page.ok()) return page.status();
        for (const store::ListEntry& entry : page->entries) {
          if (!oracle_.contains({collection, entry.key})) {
            return absl::InternalError(
                absl::StrCat(id, " holds ", collection, "/", entry.key, " that nobody wrote"));
          }
        }
        token = page->next_page_token;
      } while (!token.empty());
    }
    if (absl::Status consistent = store.CheckConsistency(); !consistent.ok()) {
      return absl::InternalError(absl::StrCat(id, ": ", consistent.message()));
    }
  }
  return absl::OkStatus();
}

std::string SimNetwork::Describe(const v1::SyncFrame& frame) const {
  switch (frame.frame_case()) {
    case v1::SyncFrame::kHello: {
      absl::StatusOr<conflict::DotContext> knowledge =
          codec::DecodeDotContext(frame.hello().knowledge());
      return absl::StrCat("hello knowledge=",
                          knowledge.ok() ? knowledge->compact().ToString() : "?");
    }
    case v1::SyncFrame::kBatch: {
      const v1::SyncBatch& batch = frame.batch();
      std::vector<std::string> items;
      for (const v1::SyncItem& item : batch.items()) {
        absl::StatusOr<Record> record = codec::ParseRecord(item.record());
        items.push_back(absl::StrCat(batch.collections(static_cast<int>(item.collection())), "/",
                                     item.key(), record.ok() ? record->context().ToString() : "?",
                                     item.move_out() ? " move-out" : ""));
      }
      absl::StatusOr<VersionVector> watermark = codec::DecodeVersionVector(batch.watermark());
      return absl::StrCat("batch ", batch.sequence(), " [", absl::StrJoin(items, ", "),
                          "] watermark=", watermark.ok() ? watermark->ToString() : "?");
    }
    case v1::SyncFrame::kAck:
      return absl::StrCat("ack ", frame.ack().sequence(),
                          frame.ack().refused_items() > 0
                              ? absl::StrCat(" refused=", frame.ack().refused_items())
                              : "");
    case v1::SyncFrame::kRefusal:
      return absl::StrCat("refusal ", v1::Refusal::Code_Name(frame.refusal().code()), ": ",
                          frame.refusal().message());
    default:
      return "empty frame";
  }
}

}  // namespace sanji::simulation
