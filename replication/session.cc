#include "replication/session.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "authz/county_records.h"
#include "authz/scope_path.h"
#include "codec/record_codec.h"
#include "codec/vector_codec.h"
#include "replication/scope.h"

namespace sanji::replication {

using conflict::Dot;
using conflict::Origin;
using conflict::Record;
using conflict::VersionVector;

namespace {

constexpr uint64_t kUnbounded = std::numeric_limits<uint64_t>::max();

}  // namespace

Session::Session(SessionOptions options, conflict::SchemaSource schema,
                 const ReplicaReader* replica)
    : options_(std::move(options)),
      schema_(schema),
      replica_(replica),
      self_(replica->origin().node_id.str()) {}

void Session::Start(int64_t now_micros) {
  now_micros_ = now_micros;
  const std::unique_ptr<ReplicaSnapshot> snapshot = replica_->Snapshot();
  if (!snapshot->status().ok()) return Close(snapshot->status());
  // The cloud is a hint (a dot left out costs a resend, never a loss), so a
  // large one is cut rather than making the hello O(records).
  absl::StatusOr<std::vector<Dot>> cloud = snapshot->KnowledgeCloud(options_.max_hello_cloud);
  if (!cloud.ok()) return Close(cloud.status());
  announced_ = snapshot->Knowledge();
  conflict::DotContext sent(announced_);
  for (const Dot& dot : *cloud) sent.Insert(dot);
  v1::SyncFrame frame;
  v1::Hello& hello = *frame.mutable_hello();
  SetProtocolRange(hello);
  codec::EncodeOrigin(replica_->origin(), hello.mutable_origin());
  hello.set_schema_fingerprint(schema_->Fingerprint());
  hello.set_schema_version(schema_.version());
  hello.set_clock_micros(now_micros);
  codec::EncodeDotContext(sent, hello.mutable_knowledge());
  frames_.push_back(std::move(frame));
}

void SetProtocolRange(v1::Hello& hello) {
  hello.set_protocol_version(kOldestProtocolVersion);
  hello.set_newest_protocol_version(kProtocolVersion);
}

void Session::Receive(const v1::SyncFrame& frame) {
  if (closed_) return;
  if (frame.frame_case() == v1::SyncFrame::kRefusal) {
    Close(absl::FailedPreconditionError(absl::StrCat("the peer ended the session (",
                                                     v1::Refusal::Code_Name(frame.refusal().code()),
                                                     "): ", frame.refusal().message())));
    return;
  }
  if (frame.frame_case() == v1::SyncFrame::kHello) {
    if (peer_.has_value()) return Refuse(v1::Refusal::BAD_FRAME, "a second hello");
    return OnHello(frame.hello());
  }
  if (!peer_.has_value()) {
    return Refuse(v1::Refusal::BAD_FRAME, "a frame before the hello");
  }
  switch (frame.frame_case()) {
    case v1::SyncFrame::kBatch:
      return OnBatch(frame.batch());
    case v1::SyncFrame::kAck:
      return OnAck(frame.ack());
    default:
      return Refuse(v1::Refusal::BAD_FRAME, "an empty frame");
  }
}

void Session::OnHello(const v1::Hello& hello) {
  absl::StatusOr<Origin> origin = codec::DecodeOrigin(hello.origin());
  if (!origin.ok()) return Refuse(v1::Refusal::BAD_FRAME, std::string(origin.status().message()));
  const std::string& id = origin->node_id.str();
  // A version-1 peer names one version, in protocol_version.
  const uint32_t their_oldest = hello.protocol_version();
  const uint32_t their_newest = std::max(hello.newest_protocol_version(), their_oldest);
  if (their_newest < kOldestProtocolVersion || their_oldest > kProtocolVersion) {
    auto range = [](uint32_t oldest, uint32_t newest) {
      return oldest == newest ? absl::StrCat("protocol version ", oldest)
                              : absl::StrCat("protocol versions ", oldest, " to ", newest);
    };
    return Refuse(
        v1::Refusal::PROTOCOL_VERSION,
        absl::StrCat(id, " speaks ", range(their_oldest, their_newest), ", ", self_, " speaks ",
                     range(kOldestProtocolVersion, kProtocolVersion), ": upgrade the older node"));
  }
  if (!options_.authenticated_peer.empty() && id != options_.authenticated_peer) {
    return Refuse(v1::Refusal::WRONG_PLACE,
                  absl::StrCat("the hello names ", id, " but the peer authenticated as ",
                               options_.authenticated_peer));
  }
  const bool parent = options_.role == SessionOptions::Role::kChild;
  if (id == self_ || (parent ? !IsAncestorOrSelf(id, self_) : !InSubtree(id, self_))) {
    return Refuse(v1::Refusal::WRONG_PLACE,
                  absl::StrCat(id, " is not ", parent ? "an ancestor" : "a descendant", " of ",
                               self_, ", so it cannot be its ", parent ? "parent" : "child"));
  }
  absl::StatusOr<conflict::DotContext> knowledge = codec::DecodeDotContext(hello.knowledge());
  if (!knowledge.ok()) {
    return Refuse(v1::Refusal::BAD_FRAME, std::string(knowledge.status().message()));
  }
  peer_ = *origin;
  peer_id_ = id;
  peer_protocol_ = std::min(their_newest, kProtocolVersion);
  if (hello.has_schema_version()) peer_schema_version_ = hello.schema_version();
  NoteParentClock(hello.clock_micros());
  peer_known_ = knowledge->compact();
  peer_cloud_ = knowledge->cloud();
  told_ = peer_known_;
  if (options_.role == SessionOptions::Role::kChild) {
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> departures =
        replica_->Departures();
    if (!departures.ok()) return Close(departures.status());
    departures_to_send_ = *std::move(departures);
    for (const auto& name : departures_to_send_) departed_.try_emplace(name);
  }
  pass_wanted_ = true;
  Pump();
}

VersionVector Session::peer_knowledge() const {
  VersionVector knowledge = peer_known_;
  knowledge.Join(told_);
  return knowledge;
}

void Session::OnAck(const v1::Ack& ack) {
  if (in_flight_.empty() || ack.sequence() != in_flight_.front().sequence) {
    return Refuse(v1::Refusal::BAD_FRAME, absl::StrCat("an ack of batch ", ack.sequence(),
                                                       ", which is not the oldest in flight"));
  }
  // The parent holds the departed records this batch carried, unless it
  // refused some item of it: they may go from here.
  if (!in_flight_.front().departures.empty() && ack.refused_items() == 0) {
    ApplyBatch evict;
    for (DepartureSent& sent : in_flight_.front().departures) {
      evict.evictions.push_back(ApplyBatch::Eviction{std::move(sent.collection),
                                                     std::move(sent.key), std::move(sent.context)});
    }
    applies_.push_back(std::move(evict));
  }
  in_flight_.pop_front();
  NoteParentClock(ack.clock_micros());
  Pump();
}

void Session::NoteParentClock(int64_t clock_micros) {
  if (options_.role == SessionOptions::Role::kChild && clock_micros != 0) {
    parent_clock_ = clock_micros;
  }
}

void Session::OnBatch(const v1::SyncBatch& batch) {
  if (batch.sequence() != next_receive_sequence_) {
    return Refuse(v1::Refusal::BAD_FRAME, absl::StrCat("batch ", batch.sequence(), " where batch ",
                                                       next_receive_sequence_, " was due"));
  }
  ++next_receive_sequence_;
  ++stats_.batches_received;
  absl::StatusOr<VersionVector> watermark = codec::DecodeVersionVector(batch.watermark());
  if (!watermark.ok()) {
    return Refuse(v1::Refusal::BAD_FRAME, std::string(watermark.status().message()));
  }
  // The peer holds what its watermark names, adopted here or not: nothing
  // below it needs to go back.
  peer_known_.Join(*watermark);

  const std::unique_ptr<ReplicaSnapshot> snapshot = replica_->Snapshot();
  if (!snapshot->status().ok()) return Close(snapshot->status());
  const VersionVector known = snapshot->Knowledge();
  ApplyBatch apply;
  apply.sequence = batch.sequence();
  PendingApply pending{batch.sequence(), 0, {}};
  const VersionVector unannounced = KnownBeyondParentAndHello(known);
  for (const v1::SyncItem& item : batch.items()) {
    ++stats_.items_received;
    ApplyBatch::Item decoded;
    std::string reason = ReadItem(batch, item, decoded);
    if (reason.empty() && !unannounced.empty()) reason = MovesInUnannounced(decoded, known);
    if (!reason.empty()) {
      ++stats_.items_refused;
      ++pending.refused;
      // What the item would have brought must not be claimed by adopting the
      // peer's watermark past it, until the same changes arrive in an item
      // that is accepted. An item refused unread names its changes in its
      // head, if that much of it reads.
      VersionVector context = decoded.record.context();
      if (decoded.record.schema() == nullptr) {
        absl::StatusOr<codec::RecordHead> head = codec::ParseRecordHead(item.record());
        if (head.ok()) context = std::move(head->context);
      }
      for (const auto& [origin, counter] : context.entries()) {
        if (counter > known.Get(origin)) refused_dots_.insert(Dot{origin, counter});
      }
      refused_.push_back(RefusedItem{decoded.collection, decoded.key, std::move(reason)});
      continue;
    }
    for (const std::string& field : decoded.record.clashing_fields()) {
      ++stats_.fields_clashing;
      clashes_.push_back(FieldClash{decoded.collection, decoded.key, field});
    }
    // A move-out this node may keep for changes of its own the parent lacks.
    if (decoded.move_out) {
      decoded.others_held = ChangesOfOthers(decoded.collection, decoded.key);
      pending.departing.emplace_back(decoded.collection, decoded.key);
    }
    for (const auto& [origin, counter] : decoded.record.context().entries()) {
      refused_dots_.erase(Dot{origin, counter});
    }
    apply.items.push_back(std::move(decoded));
  }
  for (const auto& [origin, counter] : watermark->entries()) {
    if (!Adopts(origin)) continue;
    uint64_t cap = kUnbounded;
    for (auto it = refused_dots_.lower_bound(Dot{origin, 0});
         it != refused_dots_.end() && it->origin == origin; ++it) {
      cap = std::min(cap, it->counter - 1);
    }
    apply.knowledge.Set(origin, std::min(counter, cap));
  }
  for (const ApplyBatch::Item& item : apply.items) {
    if (item.move_out) continue;
    for (const auto& [origin, counter] : item.record.context().entries()) {
      if (counter > known.Get(origin) && counter > apply.knowledge.Get(origin)) {
        apply.held_dots.push_back(Dot{origin, counter});
      }
    }
  }
  applies_.push_back(std::move(apply));
  pending_applies_.push_back(std::move(pending));
}

VersionVector Session::KnownBeyondParentAndHello(const VersionVector& known) const {
  VersionVector beyond;
  if (options_.role != SessionOptions::Role::kChild) return beyond;
  for (const auto& [origin, counter] : known.entries()) {
    if (!InSubtree(origin.node_id.str(), self_) && counter > announced_.Get(origin) &&
        counter > peer_known_.Get(origin)) {
      beyond.Set(origin, counter);
    }
  }
  return beyond;
}

std::string Session::MovesInUnannounced(const ApplyBatch::Item& item, const VersionVector& known) {
  if (item.move_out) return "";
  absl::StatusOr<Record> record = item.record.Decode();
  if (!record.ok()) return "";
  const auto& scopes = record->state().scope.entries();
  if (std::all_of(scopes.begin(), scopes.end(),
                  [&](const auto& e) { return e.dot.counter <= known.Get(e.dot.origin); })) {
    return "";
  }
  if (restart_reason_.empty()) {
    restart_reason_ = absl::StrCat(self_, " learned changes from a node other than ", peer_id_,
                                   " since its hello; it ends the session so that the next hello "
                                   "tells them, and takes the records moving into its filter then");
  }
  return absl::StrCat("moves into ", self_, "'s filter while ", self_, " knows more than ",
                      peer_id_, " and its hello said; it comes again in the next session");
}

VersionVector Session::ChangesOfOthers(const std::string& collection,
                                       const std::string& key) const {
  VersionVector others;
  absl::StatusOr<Record> stored = replica_->Get(collection, key);
  if (!stored.ok()) return others;
  for (const auto& [origin, counter] : stored->context().entries()) {
    if (!authz::InSubtree(origin.node_id.str(), self_)) others.Set(origin, counter);
  }
  return others;
}

std::string Session::ReadItem(const v1::SyncBatch& batch, const v1::SyncItem& item,
                              ApplyBatch::Item& read) {
  if (item.collection() >= static_cast<uint32_t>(batch.collections_size())) {
    return absl::StrCat("collection index ", item.collection(), " beyond the batch's ",
                        batch.collections_size(), " collections");
  }
  read.collection = batch.collections(static_cast<int>(item.collection()));
  read.key = item.key();
  if (item.record().size() > options_.max_record_bytes) {
    return absl::StrCat("the record is ", item.record().size(), " bytes, more than the ",
                        options_.max_record_bytes, " bytes ", self_, " holds a record to");
  }
  // Structure, canonical form and the schema's kinds, in one walk of the
  // bytes; the store may then write them as they came. A collection the
  // schema does not name (a newer schema's) is kept and relayed as it came.
  absl::StatusOr<codec::CanonicalRecord> record =
      codec::CanonicalRecord::Read(item.record(), schema_->CollectionOrUnknown(read.collection));
  if (!record.ok()) return std::string(record.status().message());
  read.record = *std::move(record);
  read.move_out = item.move_out();
  std::string reason = CheckItem(read);
  // A node that relays the move-out to nodes below keeps the record.
  read.move_out = read.move_out && !Holds(read.record.head(), self_, options_.has_children);
  return reason;
}

std::string Session::CheckItem(const ApplyBatch::Item& item) {
  // As the store's HLC checks it (conflict/hlc.h), so that an item that
  // passes here is not refused by the store, failing its whole batch.
  int64_t ahead = 0;
  if (__builtin_sub_overflow(item.record.newest().physical_micros, now_micros_, &ahead) ||
      ahead > options_.max_skew_micros) {
    ++stats_.timestamps_refused;
    return absl::StrCat("a timestamp ", ahead / 1'000'000, " s ahead of the clock of ", self_,
                        " (the bound is ", options_.max_skew_micros / 1'000'000, " s)");
  }
  auto decode = [&] { return item.record.Decode(); };
  const authz::WholeRecord whole = decode;
  const authz::ReceivedChange change{.record = item.record.head(),
                                     .move_out = item.move_out,
                                     .collection = &schema_->CollectionOrUnknown(item.collection),
                                     .whole = &whole};
  absl::Status allowed;
  if (options_.role == SessionOptions::Role::kChild) {
    allowed = authz::CheckChangeFromParent(change, self_);
  } else {
    std::optional<Record> stored;
    allowed = authz::CheckChangeFromChild(change, self_, peer_id_, [&]() -> const Record* {
      absl::StatusOr<Record> got = replica_->Get(item.collection, item.key);
      if (!got.ok()) return nullptr;
      stored = *std::move(got);
      return &*stored;
    });
  }
  if (!allowed.ok()) return std::string(allowed.message());
  // Records only the county writes (the schema versions), from either side.
  return authz::CheckCountyAuthored(item.collection, item.record.head(), self_);
}

void Session::Applied(uint64_t sequence, const absl::Status& status) {
  if (closed_) return;
  if (sequence == 0) {
    if (!status.ok()) Close(status);
    return;
  }
  if (pending_applies_.empty() || pending_applies_.front().sequence != sequence) {
    Close(absl::InternalError(absl::StrCat("batch ", sequence, " reported applied out of order")));
    return;
  }
  PendingApply pending = std::move(pending_applies_.front());
  pending_applies_.pop_front();
  if (!status.ok()) {
    frames_.emplace_back();
    v1::Refusal& refusal = *frames_.back().mutable_refusal();
    refusal.set_code(v1::Refusal::STORE_ERROR);
    refusal.set_message(
        absl::StrCat(self_, " could not apply batch ", sequence, ": ", status.ToString()));
    Close(status);
    return;
  }
  frames_.emplace_back();
  v1::Ack& ack = *frames_.back().mutable_ack();
  ack.set_sequence(sequence);
  ack.set_refused_items(pending.refused);
  ack.set_clock_micros(now_micros_);
  for (auto& name : pending.departing) {
    departed_.try_emplace(name);
    departures_to_send_.push_back(std::move(name));
  }
  if (!restart_reason_.empty()) return Close(absl::AbortedError(restart_reason_));
  Pump();
}

void Session::StoreChanged() {
  if (closed_ || !peer_.has_value()) return;
  if (options_.push_delay_micros <= 0) {
    pass_wanted_ = true;
    Pump();
  } else if (!push_at_micros_.has_value()) {
    push_at_micros_ = now_micros_ + options_.push_delay_micros;
  }
}

void Session::Tick(int64_t now_micros) {
  // The push delay is a span of time, not a time of day: a clock set back (a
  // correction) takes a pending push back with it, or the push would wait
  // for the clock to get back to where it was.
  if (push_at_micros_.has_value() && now_micros < now_micros_) {
    *push_at_micros_ -= now_micros_ - now_micros;
  }
  now_micros_ = now_micros;
  if (closed_ || !push_at_micros_.has_value() || now_micros_ < *push_at_micros_) return;
  push_at_micros_.reset();
  pass_wanted_ = true;
  Pump();
}

bool Session::idle() const {
  return peer_.has_value() && !closed_ && pass_ == nullptr && !pass_wanted_ &&
         !push_at_micros_.has_value() && in_flight_.empty() && pending_applies_.empty() &&
         departures_to_send_.empty();
}

void Session::EndWithRefusal(v1::Refusal::Code code, const std::string& message) {
  if (!closed_) Refuse(code, message);
}

void Session::Refuse(v1::Refusal::Code code, const std::string& message) {
  frames_.emplace_back();
  v1::Refusal& refusal = *frames_.back().mutable_refusal();
  refusal.set_code(code);
  refusal.set_message(message);
  Close(absl::FailedPreconditionError(
      absl::StrCat("refused the peer (", v1::Refusal::Code_Name(code), "): ", message)));
}

void Session::Close(absl::Status status) {
  closed_ = true;
  close_status_ = std::move(status);
  pass_.reset();
}

// --- Sending ---------------------------------------------------------------

bool Session::Streams(const Origin& origin) const {
  // A parent adopts from a child only the knowledge of origins in the child's
  // subtree (DESIGN.md, "Adoption"), so only those are streamed up.
  return options_.role == SessionOptions::Role::kParent || InSubtree(origin.node_id.str(), self_);
}

bool Session::Adopts(const Origin& origin) const {
  return options_.role == SessionOptions::Role::kChild || InSubtree(origin.node_id.str(), peer_id_);
}

bool Session::PeerKnows(const Dot& dot) const {
  return dot.counter <= peer_known_.Get(dot.origin) || peer_cloud_.contains(dot);
}

std::optional<Origin> Session::StreamOf(const VersionVector& context) const {
  for (const auto& [origin, counter] : context.entries()) {
    if (!Streams(origin)) continue;
    if (counter <= pass_->reference.Get(origin) || pass_->cloud.contains(Dot{origin, counter})) {
      continue;
    }
    return origin;
  }
  return std::nullopt;
}

bool Session::ParentWouldRefuse(const VersionVector& context) const {
  if (options_.role != SessionOptions::Role::kChild) return false;
  for (const auto& [origin, counter] : context.entries()) {
    if (!Streams(origin) && !PeerKnows(Dot{origin, counter})) return true;
  }
  return false;
}

void Session::Pump() {
  while (!closed_ && peer_.has_value() && in_flight_.size() < options_.window) {
    v1::SyncFrame frame;
    v1::SyncBatch& batch = *frame.mutable_batch();
    size_t bytes = 0;
    SendPending(batch, bytes);
    if (pass_ == nullptr && pass_wanted_) {
      pass_wanted_ = false;
      StartPass();
      if (closed_) return;
    }
    if (pass_ != nullptr && !FillFromPass(batch, bytes)) EndPass();
    if (closed_) return;
    AddWatermark(batch);
    if (batch.items_size() == 0 && batch.watermark().entries_size() == 0) return;
    batch.set_sequence(next_send_sequence_++);
    in_flight_.push_back(InFlight{batch.sequence(), std::exchange(departures_in_batch_, {})});
    ++stats_.batches_sent;
    stats_.frame_bytes_sent += frame.ByteSizeLong();
    frames_.push_back(std::move(frame));
  }
}

void Session::SendPending(v1::SyncBatch& batch, size_t& bytes) {
  CompleteMovesIn(batch, bytes);
  for (const auto& [collection, key] : std::exchange(departures_to_send_, {})) {
    absl::StatusOr<Record> record = replica_->Get(collection, key);
    if (!record.ok() || Holds(*record, self_, options_.has_children) ||
        !Holds(*record, peer_id_, /*relays=*/true)) {
      departed_.erase({collection, key});  // evicted, or back in the filter
      continue;
    }
    if (ParentWouldRefuse(record->context())) {
      HoldBack(collection, key, record->context(), peer_known_, peer_cloud_);
      continue;
    }
    AddDeparture(batch, bytes, collection, key, record->context(), codec::SerializeRecord(*record));
  }
  // Held-back items go once the parent's watermarks show it has what made
  // them refusable.
  std::erase_if(held_back_, [&](const HeldBack& held) {
    absl::StatusOr<Record> record = replica_->Get(held.collection, held.key);
    if (!record.ok()) return true;
    if (ParentWouldRefuse(record->context())) return false;
    AddStreamed(batch, bytes, held.collection, held.key, record->context(),
                codec::SerializeRecord(*record), /*move_out=*/false);
    CountAsHeld(record->context());
    return true;
  });
}

void Session::CountAsHeld(const VersionVector& context) {
  for (const auto& [origin, counter] : context.entries()) {
    const Dot dot{origin, counter};
    if (!PeerKnows(dot)) peer_cloud_.insert(dot);
    if (pass_ != nullptr && counter > pass_->reference.Get(origin)) pass_->cloud.insert(dot);
  }
}

void Session::HoldBack(const std::string& collection, const std::string& key,
                       const VersionVector& context, const VersionVector& reference,
                       const absl::btree_set<Dot>& cloud) {
  ++stats_.items_held_back;
  HeldBack held{collection, key, {}};
  for (const auto& [origin, counter] : context.entries()) {
    if (Streams(origin) && counter > reference.Get(origin) &&
        !cloud.contains(Dot{origin, counter})) {
      held.missing.push_back(Dot{origin, counter});
    }
  }
  // Held again (it departed, or a later pass met it): the dots it was
  // already held for stay missing, though the reference may count them by
  // now (a pass that ended past them), until the item goes.
  auto earlier = std::find_if(held_back_.begin(), held_back_.end(), [&](const HeldBack& other) {
    return other.collection == collection && other.key == key;
  });
  if (earlier != held_back_.end()) {
    for (const Dot& dot : earlier->missing) {
      if (std::find(held.missing.begin(), held.missing.end(), dot) == held.missing.end()) {
        held.missing.push_back(dot);
      }
    }
    *earlier = std::move(held);
    return;
  }
  held_back_.push_back(std::move(held));
}

void Session::AddStreamed(v1::SyncBatch& batch, size_t& bytes, const std::string& collection,
                          const std::string& key, const VersionVector& context,
                          std::string record_bytes, bool move_out) {
  if (!departed_.empty() && departed_.contains({collection, key})) {
    AddDeparture(batch, bytes, collection, key, context, std::move(record_bytes));
  } else {
    AddItem(batch, bytes, collection, key, context, std::move(record_bytes), move_out);
  }
}

void Session::StartPass() {
  auto pass = std::make_unique<Pass>();
  pass->snapshot = replica_->Snapshot();
  if (!pass->snapshot->status().ok()) return Close(pass->snapshot->status());
  pass->knowledge = pass->snapshot->Knowledge();
  pass->reference = peer_known_;
  pass->cloud = peer_cloud_;
  const VersionVector frontier = pass->snapshot->IndexFrontier();
  for (const auto& [origin, top] : frontier.entries()) {
    if (Streams(origin) && top > peer_known_.Get(origin)) pass->origins.emplace_back(origin, top);
  }
  if (options_.role == SessionOptions::Role::kParent) {
    for (const auto& [origin, counter] : peer_known_.entries()) {
      if (!InSubtree(origin.node_id.str(), peer_id_) && counter > pass->knowledge.Get(origin)) {
        pass->peer_ahead.Set(origin, counter);
      }
    }
  }
  pass->position = pass->origins.empty() ? 0 : pass->reference.Get(pass->origins.front().first);
  pass_ = std::move(pass);
  ++stats_.passes;
}

void Session::EndPass() {
  // Only up to this store's knowledge: a record of the origin below the
  // frontier but above the knowledge may still arrive here (it travels with
  // another origin's change), and the next pass must find it. What went out
  // above the knowledge is in peer_cloud_, so it does not go twice.
  for (const auto& [origin, top] : pass_->origins) {
    peer_known_.Advance(Dot{origin, std::min(top, pass_->knowledge.Get(origin))});
  }
  absl::erase_if(peer_cloud_, [&](const Dot& dot) { return peer_known_.Covers(dot); });
  last_knowledge_ = std::move(pass_->knowledge);
  pass_.reset();
}

bool Session::FillFromPass(v1::SyncBatch& batch, size_t& bytes) {
  Pass& pass = *pass_;
  while (pass.current < pass.origins.size()) {
    const Origin& origin = pass.origins[pass.current].first;
    if (pass.cursor == nullptr) pass.cursor = pass.snapshot->ChangesSince(origin, pass.position);
    ChangeCursor& cursor = *pass.cursor;
    for (; cursor.Valid(); cursor.Next()) {
      if (static_cast<size_t>(batch.items_size()) >= options_.max_batch_items ||
          bytes >= options_.max_batch_bytes) {
        return true;
      }
      // Most records go or not on their head alone, and go as stored.
      const codec::RecordHead& head = cursor.head();
      pass.position = cursor.counter();
      if (!head.scope.has_value()) continue;
      // To a child, a record that left its filter goes as a move-out.
      bool move_out = false;
      if (!InFilter(*head.scope, peer_id_)) {
        absl::StatusOr<bool> held_there = PeerMayHold(cursor);
        if (!held_there.ok()) {
          Close(held_there.status());
          return false;
        }
        if (!*held_there) continue;
        move_out = options_.role == SessionOptions::Role::kParent;
      }
      // Sent once per pass: in the stream of the first origin (in session
      // order) whose dot the peer lacks.
      if (StreamOf(head.context) != origin) continue;
      if (ParentWouldRefuse(head.context)) {
        HoldBack(cursor.collection(), cursor.key(), head.context, pass.reference, pass.cloud);
        continue;
      }
      if (!move_out && !pass.peer_ahead.empty()) {
        if (absl::Status noted = NoteMoveIn(cursor); !noted.ok()) {
          Close(noted);
          return false;
        }
      }
      AddStreamed(batch, bytes, cursor.collection(), cursor.key(), head.context,
                  cursor.record_bytes(), move_out);
    }
    if (!cursor.status().ok()) {
      Close(cursor.status());
      return false;
    }
    pass.cursor.reset();
    if (++pass.current < pass.origins.size()) {
      pass.position = pass.reference.Get(pass.origins[pass.current].first);
    }
  }
  return false;
}

absl::Status Session::NoteMoveIn(const ChangeCursor& cursor) {
  absl::StatusOr<Record> record = codec::ParseRecord(cursor.record_bytes());
  if (!record.ok()) {
    return absl::DataLossError(absl::StrCat("record \"", cursor.collection(), "\"/\"", cursor.key(),
                                            "\": ", record.status().message()));
  }
  // A scope the child knows means the child took the record into its filter
  // before: it holds every change its knowledge claims.
  const auto& scopes = record->state().scope.entries();
  if (std::all_of(scopes.begin(), scopes.end(), [&](const auto& e) { return PeerKnows(e.dot); })) {
    return absl::OkStatus();
  }
  const auto earlier = std::find_if(moves_in_.begin(), moves_in_.end(), [&](const auto& move) {
    return move.collection == cursor.collection() && move.key == cursor.key();
  });
  MoveInToComplete& move =
      earlier != moves_in_.end()
          ? *earlier
          : moves_in_.emplace_back(MoveInToComplete{cursor.collection(), cursor.key(), {}, {}, {}});
  move.wait_for.Join(pass_->peer_ahead);
  for (const auto& [origin, counter] : record->context().entries()) {
    const Dot dot{origin, counter};
    if (!PeerKnows(dot) &&
        std::find(move.missing.begin(), move.missing.end(), dot) == move.missing.end()) {
      move.missing.push_back(dot);
    }
  }
  return absl::OkStatus();
}

void Session::CompleteMovesIn(v1::SyncBatch& batch, size_t& bytes) {
  if (moves_in_.empty()) return;
  // The knowledge first, then the records: each record read is at least as
  // new as the knowledge, so it holds every change the knowledge claims.
  const std::unique_ptr<ReplicaSnapshot> snapshot = replica_->Snapshot();
  if (!snapshot->status().ok()) return Close(snapshot->status());
  const VersionVector knowledge = snapshot->Knowledge();
  std::erase_if(moves_in_, [&](const MoveInToComplete& move) {
    if (!knowledge.Covers(move.wait_for)) return false;
    absl::StatusOr<Record> record = replica_->Get(move.collection, move.key);
    if (!record.ok() || record->context() == move.sent) return true;
    const std::optional<std::string> scope = record->scope();
    // Moved out again since: the pass sends the move-out.
    if (!scope.has_value() || !InFilter(*scope, peer_id_)) return true;
    AddItem(batch, bytes, move.collection, move.key, record->context(),
            codec::SerializeRecord(*record), /*move_out=*/false);
    CountAsHeld(record->context());
    return true;
  });
}

absl::StatusOr<bool> Session::PeerMayHold(const ChangeCursor& cursor) const {
  absl::StatusOr<Record> record = codec::ParseRecord(cursor.record_bytes());
  if (!record.ok()) {
    return absl::DataLossError(absl::StrCat("record \"", cursor.collection(), "\"/\"", cursor.key(),
                                            "\": ", record.status().message()));
  }
  if (options_.role == SessionOptions::Role::kChild) {
    return Holds(*record, peer_id_, /*relays=*/true);
  }
  const std::vector<std::string> departed = record->DepartedScopes();
  return std::any_of(departed.begin(), departed.end(),
                     [&](const std::string& s) { return InFilter(s, peer_id_); });
}

std::string Session::ForProtocolOne(std::string record_bytes) {
  // A version-1 node refuses every field its schema does not name, Sanji's
  // own @authors among them (docs/SCHEMA.md, "Protocol versions").
  absl::StatusOr<Record> record = codec::ParseRecord(record_bytes);
  if (!record.ok() || !record->field(Record::kAuthorsField, conflict::StateKind::kSet)) {
    return record_bytes;
  }
  return codec::SerializeRecord(record->WithoutAuthors());
}

void Session::AddItem(v1::SyncBatch& batch, size_t& bytes, absl::string_view collection,
                      absl::string_view key, const VersionVector& context, std::string record_bytes,
                      bool move_out) {
  if (pass_ != nullptr) {
    for (const auto& [origin, counter] : context.entries()) {
      if (counter > pass_->knowledge.Get(origin)) peer_cloud_.insert(Dot{origin, counter});
    }
  }
  for (MoveInToComplete& move : moves_in_) {
    if (move.collection == collection && move.key == key) move.sent = context;
  }
  int index = 0;
  while (index < batch.collections_size() && batch.collections(index) != collection) ++index;
  if (index == batch.collections_size()) batch.add_collections(std::string(collection));
  v1::SyncItem& item = *batch.add_items();
  item.set_collection(static_cast<uint32_t>(index));
  item.set_key(std::string(key));
  if (peer_protocol_ == 1) record_bytes = ForProtocolOne(std::move(record_bytes));
  item.set_record(std::move(record_bytes));
  item.set_move_out(move_out);
  const size_t payload = collection.size() + key.size() + item.record().size();
  bytes += payload;
  stats_.item_payload_bytes_sent += payload;
  ++stats_.items_sent;
  if (move_out) ++stats_.move_outs_sent;
}

void Session::AddDeparture(v1::SyncBatch& batch, size_t& bytes, const std::string& collection,
                           const std::string& key, const VersionVector& context,
                           std::string record_bytes) {
  std::optional<VersionVector>& sent = departed_[{collection, key}];
  if (sent == context) return;
  sent = context;
  AddItem(batch, bytes, collection, key, context, std::move(record_bytes), /*move_out=*/false);
  departures_in_batch_.push_back(DepartureSent{collection, key, context});
}

void Session::AddWatermark(v1::SyncBatch& batch) {
  const VersionVector& knowledge = pass_ != nullptr ? pass_->knowledge : last_knowledge_;
  // Where each origin's scan stands: everything at or below it that the peer
  // lacked has gone out (in this batch or an earlier one).
  auto scanned_to = [&](const Origin& origin) -> uint64_t {
    if (pass_ == nullptr) return kUnbounded;
    for (size_t i = 0; i < pass_->origins.size(); ++i) {
      if (pass_->origins[i].first != origin) continue;
      if (i < pass_->current) return kUnbounded;
      return i == pass_->current ? pass_->position : pass_->reference.Get(origin);
    }
    return kUnbounded;
  };
  // A held-back item keeps the peer from claiming the dots it would bring,
  // and a move in still to complete the dots it brought.
  absl::btree_map<Origin, uint64_t> cap;
  auto cap_below = [&](const std::vector<Dot>& missing) {
    for (const Dot& dot : missing) {
      auto [it, inserted] = cap.try_emplace(dot.origin, dot.counter - 1);
      if (!inserted) it->second = std::min(it->second, dot.counter - 1);
    }
  };
  for (const HeldBack& held : held_back_) cap_below(held.missing);
  for (const MoveInToComplete& move : moves_in_) cap_below(move.missing);
  v1::VersionVector* out = batch.mutable_watermark();
  for (const auto& [origin, counter] : knowledge.entries()) {
    if (!Streams(origin)) continue;
    uint64_t mark = std::min(counter, scanned_to(origin));
    if (auto it = cap.find(origin); it != cap.end()) mark = std::min(mark, it->second);
    // Worth sending if the peer may adopt more, or if it shows this side knows
    // more than its hello said (the peer may be holding items back for that).
    if (mark <= told_.Get(origin) && mark <= announced_.Get(origin)) continue;
    if (mark > told_.Get(origin)) told_.Set(origin, mark);
    if (mark > announced_.Get(origin)) announced_.Set(origin, mark);
    v1::VersionVector::Entry& entry = *out->add_entries();
    codec::EncodeOrigin(origin, entry.mutable_origin());
    entry.set_counter(mark);
  }
}

}  // namespace sanji::replication
