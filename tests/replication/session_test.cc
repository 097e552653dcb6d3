// Session handshake rules (replication/DESIGN.md, "States of a session
// side") on real stores in memory. Streaming is tested over many schedules by
// tests/simulation/.
#include "replication/session.h"

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "codec/record_codec.h"
#include "conflict/clock.h"
#include "conflict/schema_holder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leveldb/helpers/memenv.h"
#include "replication/store_replica.h"
#include "store/store.h"
#include "tests/conflict/test_util.h"

namespace sanji::replication {
namespace {

using ::testing::HasSubstr;

class SessionTest : public conflict::testutil::CountySchemaTest {
 protected:
  struct Node {
    std::unique_ptr<store::Store> store;
    std::unique_ptr<StoreReplica> replica;
  };

  Node OpenNode(const std::string& id) {
    store::Options options;
    options.path = "/session_test/" + absl::StrReplaceAll(id, {{"/", "_"}});
    options.env = env_.get();
    options.node_id = id;
    options.schema = &schema_;
    options.clock = &clock_;
    auto opened = store::Store::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    Node node;
    node.store = *std::move(opened);
    node.replica = std::make_unique<StoreReplica>(node.store.get());
    return node;
  }

  std::unique_ptr<Session> MakeSession(const Node& node, SessionOptions::Role role,
                                       std::string authenticated_peer = "") {
    SessionOptions options;
    options.role = role;
    options.authenticated_peer = std::move(authenticated_peer);
    return std::make_unique<Session>(options, &schema_, node.replica.get());
  }

  // Delivers frames both ways until neither side has anything to say.
  // Returns every frame sent, in order.
  std::vector<v1::SyncFrame> Exchange(Session& a, Session& b) {
    std::vector<v1::SyncFrame> all;
    for (bool moved = true; moved;) {
      moved = false;
      for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
        for (const v1::SyncFrame& frame : from->TakeFrames()) {
          all.push_back(frame);
          to->Receive(frame);
          moved = true;
        }
        for (const ApplyBatch& batch : from->TakeApplies()) {
          from->Applied(batch.sequence, absl::OkStatus());
          moved = true;
        }
      }
    }
    return all;
  }

  // A village and its township, each with its side of a session between them.
  struct Link {
    Node township;
    Node village;
    std::unique_ptr<Session> child;
    std::unique_ptr<Session> parent;
  };
  Link Linked() {
    Link link{OpenNode("gutian/fengpu"), OpenNode("gutian/fengpu/xiaban"), nullptr, nullptr};
    link.child = MakeSession(link.village, SessionOptions::Role::kChild, "gutian/fengpu");
    link.parent = MakeSession(link.township, SessionOptions::Role::kParent, "gutian/fengpu/xiaban");
    return link;
  }

  // Exchanges the hellos of a parent's and a child's session over empty
  // stores, so that the next frames are batches.
  void Handshake(Session& child, Session& parent) {
    child.Start(clock_.NowMicros());
    parent.Start(clock_.NowMicros());
    ASSERT_EQ(Exchange(child, parent).size(), 2u);
  }

  // The bytes of a new record of `collection` (as `schema` has it) written
  // at `dot`, `ahead_micros` after the clock, with a title and, if named,
  // one more text field.
  std::string RecordBytes(const conflict::CollectionSchema& collection, const conflict::Dot& dot,
                          const std::string& scope, int64_t ahead_micros = 0,
                          const std::string& also = "") {
    conflict::Change change{
        {conflict::testutil::AssignOp("title", conflict::testutil::Text("路灯坏了"))}, scope};
    if (!also.empty()) {
      change.ops.push_back(conflict::testutil::AssignOp(also, conflict::testutil::Text("有")));
    }
    absl::StatusOr<conflict::Record> record =
        conflict::Record().Write(collection, change, dot, {clock_.NowMicros() + ahead_micros, 0});
    EXPECT_TRUE(record.ok()) << record.status();
    return codec::SerializeRecord(*record);
  }

  // `collection` with one field changed or added.
  static conflict::CollectionSchema WithField(const conflict::CollectionSchema& collection,
                                              const std::string& name, conflict::FieldSpec spec) {
    conflict::CollectionSchema changed(collection.name());
    for (const auto& [field, field_spec] : collection.fields()) {
      if (field != name) {
        EXPECT_TRUE(changed.AddField(field, field_spec).ok());
      }
    }
    EXPECT_TRUE(changed.AddField(name, std::move(spec)).ok());
    return changed;
  }

  static v1::SyncFrame Batch(const std::vector<std::pair<std::string, std::string>>& items) {
    v1::SyncFrame frame;
    v1::SyncBatch& batch = *frame.mutable_batch();
    batch.set_sequence(1);
    batch.add_collections("service_requests");
    for (const auto& [key, bytes] : items) {
      v1::SyncItem& item = *batch.add_items();
      item.set_key(key);
      item.set_record(bytes);
    }
    return frame;
  }

  std::unique_ptr<leveldb::Env> env_{leveldb::NewMemEnv(leveldb::Env::Default())};
  conflict::ManualClock clock_{conflict::testutil::kDemoMicros};
};

TEST_F(SessionTest, StoresInSyncExchangeOnlyTheirHellos) {
  Node township = OpenNode("gutian/fengpu");
  Node county = OpenNode("gutian");
  auto child = MakeSession(township, SessionOptions::Role::kChild, "gutian");
  auto parent = MakeSession(county, SessionOptions::Role::kParent, "gutian/fengpu");
  child->Start(clock_.NowMicros());
  parent->Start(clock_.NowMicros());
  const std::vector<v1::SyncFrame> frames = Exchange(*child, *parent);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[0].has_hello());
  EXPECT_TRUE(frames[1].has_hello());
  EXPECT_TRUE(child->idle());
  EXPECT_TRUE(parent->idle());
  EXPECT_EQ(child->peer()->node_id.str(), "gutian");
}

// docs/SCHEMA.md, "Protocol versions": each hello names the schema version
// its sender runs, and each side reads the other's, even where they differ.
TEST_F(SessionTest, EachHelloNamesTheSchemaVersionItsSenderRuns) {
  Node township = OpenNode("gutian/fengpu");
  Node county = OpenNode("gutian");
  const conflict::SchemaHolder county_schema({3, schema_, ""});
  const conflict::SchemaHolder township_schema({2, schema_, ""});
  SessionOptions child_options;
  child_options.role = SessionOptions::Role::kChild;
  SessionOptions parent_options;
  parent_options.role = SessionOptions::Role::kParent;
  Session child(child_options, &township_schema, township.replica.get());
  Session parent(parent_options, &county_schema, county.replica.get());
  EXPECT_FALSE(parent.peer_schema_version().has_value()) << "unknown before the hello";
  child.Start(clock_.NowMicros());
  parent.Start(clock_.NowMicros());
  const std::vector<v1::SyncFrame> frames = Exchange(child, parent);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].hello().schema_version(), 2u);
  EXPECT_EQ(frames[1].hello().schema_version(), 3u);
  EXPECT_EQ(child.peer_schema_version(), std::optional<uint64_t>(3));
  EXPECT_EQ(parent.peer_schema_version(), std::optional<uint64_t>(2));
  EXPECT_TRUE(child.idle());
}

TEST_F(SessionTest, APeerOutOfPlaceIsRefusedWithBothIds) {
  Node village = OpenNode("gutian/fengpu/xiaban");
  Node sibling = OpenNode("gutian/fengpu/shangban");
  auto child = MakeSession(village, SessionOptions::Role::kChild);
  auto impostor = MakeSession(sibling, SessionOptions::Role::kParent);
  impostor->Start(clock_.NowMicros());
  child->Start(clock_.NowMicros());
  child->TakeFrames();
  for (const v1::SyncFrame& frame : impostor->TakeFrames()) child->Receive(frame);

  ASSERT_TRUE(child->closed());
  EXPECT_THAT(child->close_status().message(),
              HasSubstr("gutian/fengpu/shangban is not an ancestor"));
  const std::vector<v1::SyncFrame> out = child->TakeFrames();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].refusal().code(), v1::Refusal::WRONG_PLACE);
}

TEST_F(SessionTest, AHelloNamingAnotherIdThanTheCertificateIsRefused) {
  Node county = OpenNode("gutian");
  Node village = OpenNode("gutian/fengpu/xiaban");
  auto parent = MakeSession(county, SessionOptions::Role::kParent, "gutian/fengpu/shangban");
  auto child = MakeSession(village, SessionOptions::Role::kChild);
  child->Start(clock_.NowMicros());
  parent->Start(clock_.NowMicros());
  for (const v1::SyncFrame& frame : child->TakeFrames()) parent->Receive(frame);
  ASSERT_TRUE(parent->closed());
  EXPECT_THAT(parent->close_status().message(),
              HasSubstr("names gutian/fengpu/xiaban but the peer authenticated as "
                        "gutian/fengpu/shangban"));
}

TEST_F(SessionTest, AFrameBeforeTheHelloEndsTheSession) {
  Node county = OpenNode("gutian");
  auto parent = MakeSession(county, SessionOptions::Role::kParent);
  parent->Start(clock_.NowMicros());
  v1::SyncFrame ack;
  ack.mutable_ack()->set_sequence(1);
  parent->Receive(ack);
  ASSERT_TRUE(parent->closed());
  EXPECT_THAT(parent->close_status().message(), HasSubstr("before the hello"));
}

TEST_F(SessionTest, ARefusalFromThePeerEndsTheSessionWithItsReason) {
  Node county = OpenNode("gutian");
  auto parent = MakeSession(county, SessionOptions::Role::kParent);
  parent->Start(clock_.NowMicros());
  v1::SyncFrame refusal;
  refusal.mutable_refusal()->set_code(v1::Refusal::SCHEMA_MISMATCH);
  refusal.mutable_refusal()->set_message("schema fingerprint 1 at a, 2 at b");
  parent->Receive(refusal);
  ASSERT_TRUE(parent->closed());
  EXPECT_THAT(parent->close_status().message(), HasSubstr("SCHEMA_MISMATCH"));
  EXPECT_THAT(parent->close_status().message(), HasSubstr("1 at a, 2 at b"));
}

// Every check a received item goes through (DESIGN.md, "Receiving"): each
// bad item is refused with its reason, counted in the ack, and the others
// are applied as they came, also those holding a field the receiver's schema
// does not name or names with another kind (kept, and relayed, untouched).
TEST_F(SessionTest, EachBadItemFromAChildIsRefusedWithItsReasonAndTheRestApplied) {
  Link link = Linked();
  ASSERT_NO_FATAL_FAILURE(Handshake(*link.child, *link.parent));
  const conflict::Origin& origin = link.village.store->origin();
  const std::string xiaban = "gutian/fengpu/xiaban";
  const std::string good = RecordBytes(*requests_, {origin, 1}, xiaban);
  const conflict::FieldSpec lww = conflict::FieldSpec::Lww();
  v1::SyncFrame frame = Batch({
      {"good", good},
      {"wrong-kind",
       RecordBytes(WithField(*requests_, "comments", lww), {origin, 2}, xiaban, 0, "comments")},
      {"unknown-field",
       RecordBytes(WithField(*requests_, "photo_url", lww), {origin, 3}, xiaban, 0, "photo_url")},
      {"not-canonical", good + std::string("\x40\x01", 2)},
      {"cut-short", good.substr(0, good.size() - 3)},
      {"from-the-future", RecordBytes(*requests_, {origin, 4}, xiaban, 10 * 60 * 1'000'000LL)},
      {"moved-away", RecordBytes(*requests_, {origin, 5}, "gutian/fengpu/shangban")},
      {"other-collection", good},
  });
  frame.mutable_batch()->mutable_items(7)->set_collection(3);
  link.parent->Receive(frame);

  ASSERT_FALSE(link.parent->closed()) << link.parent->close_status();
  std::vector<std::string> refused;
  for (const RefusedItem& item : link.parent->TakeRefusedItems()) {
    refused.push_back(item.key + ": " + item.reason);
  }
  EXPECT_THAT(
      refused,
      ::testing::ElementsAre(
          HasSubstr("not-canonical: record bytes"), HasSubstr("cut-short: record bytes"),
          HasSubstr("from-the-future: a timestamp 600 s ahead of the clock of gutian/fengpu"),
          HasSubstr("moved-away: gutian/fengpu/xiaban#"),
          HasSubstr(": collection index 3 beyond the batch's 1 collections")));
  EXPECT_THAT(refused[0], HasSubstr("where none is written"));
  EXPECT_THAT(refused[3], HasSubstr("moves it to gutian/fengpu/shangban, outside"));
  // Only the one beyond the skew bound counts as a refused timestamp.
  EXPECT_EQ(link.parent->stats().items_refused, 5u);
  EXPECT_EQ(link.parent->stats().timestamps_refused, 1u);

  std::vector<ApplyBatch> applies = link.parent->TakeApplies();
  ASSERT_EQ(applies.size(), 1u);
  ASSERT_EQ(applies[0].items.size(), 3u);
  EXPECT_EQ(applies[0].items[0].key, "good");
  EXPECT_EQ(applies[0].items[0].record.bytes(), good);
  EXPECT_EQ(applies[0].items[1].key, "wrong-kind");
  EXPECT_EQ(applies[0].items[2].key, "unknown-field");
  ASSERT_TRUE(ApplyToStore(*link.township.store, std::move(applies[0])).ok());
  link.parent->Applied(1, absl::OkStatus());
  const std::vector<v1::SyncFrame> out = link.parent->TakeFrames();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].ack().refused_items(), 5u);
  absl::StatusOr<conflict::Record> stored = link.township.store->Get("service_requests", "good");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(codec::SerializeRecord(*stored), good);
}

// A record above the receiver's bound is refused on its own; the rest of the
// batch is applied.
TEST_F(SessionTest, ARecordAboveTheBoundIsRefusedOnItsOwn) {
  Link link = Linked();
  const conflict::Origin& origin = link.village.store->origin();
  const std::string small = RecordBytes(*requests_, {origin, 1}, "gutian/fengpu/xiaban");
  const std::string large =
      RecordBytes(*requests_, {origin, 2}, "gutian/fengpu/xiaban/store-by-the-bridge");
  ASSERT_GT(large.size(), small.size());
  SessionOptions options;
  options.role = SessionOptions::Role::kParent;
  options.authenticated_peer = "gutian/fengpu/xiaban";
  options.max_record_bytes = small.size();
  link.parent = std::make_unique<Session>(options, &schema_, link.township.replica.get());
  ASSERT_NO_FATAL_FAILURE(Handshake(*link.child, *link.parent));

  link.parent->Receive(Batch({{"large", large}, {"small", small}}));
  ASSERT_FALSE(link.parent->closed()) << link.parent->close_status();
  const std::vector<RefusedItem> refused = link.parent->TakeRefusedItems();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].key, "large");
  EXPECT_EQ(refused[0].reason,
            absl::StrCat("the record is ", large.size(), " bytes, more than the ", small.size(),
                         " bytes gutian/fengpu holds a record to"));
  const std::vector<ApplyBatch> applies = link.parent->TakeApplies();
  ASSERT_EQ(applies.size(), 1u);
  ASSERT_EQ(applies[0].items.size(), 1u);
  EXPECT_EQ(applies[0].items[0].key, "small");
}

TEST_F(SessionTest, AChildRefusesARecordOutsideItsFilterFromItsParent) {
  Link link = Linked();
  ASSERT_NO_FATAL_FAILURE(Handshake(*link.child, *link.parent));
  const conflict::Dot dot{link.township.store->origin(), 1};
  link.child->Receive(
      Batch({{"shangban-only", RecordBytes(*requests_, dot, "gutian/fengpu/shangban")},
             {"for-xiaban", RecordBytes(*requests_, dot, "gutian/fengpu/xiaban")}}));
  const std::vector<RefusedItem> refused = link.child->TakeRefusedItems();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].key, "shangban-only");
  EXPECT_EQ(refused[0].reason,
            "scope gutian/fengpu/shangban is outside the filter of gutian/fengpu/xiaban");
  const std::vector<ApplyBatch> applies = link.child->TakeApplies();
  ASSERT_EQ(applies.size(), 1u);
  ASSERT_EQ(applies[0].items.size(), 1u);
  EXPECT_EQ(applies[0].items[0].key, "for-xiaban");
}

// The HLC's reference clock (conflict/hlc.h, "StepBack"): a child reads its
// parent's clock from the parent's hello and from each ack, once per
// reading; a parent takes no child's clock for one.
TEST_F(SessionTest, AChildReadsItsParentsClockFromItsHelloAndAcks) {
  Link link = Linked();
  link.child->Start(clock_.NowMicros());
  const int64_t hello_time = clock_.NowMicros() + 7'000'000;
  link.parent->Start(hello_time);
  Exchange(*link.child, *link.parent);
  EXPECT_EQ(link.child->TakeParentClock(), hello_time);
  EXPECT_EQ(link.child->TakeParentClock(), std::nullopt);
  EXPECT_EQ(link.parent->TakeParentClock(), std::nullopt);

  const conflict::Change change{
      {conflict::testutil::AssignOp("title", conflict::testutil::Text("路灯"))},
      "gutian/fengpu/xiaban"};
  ASSERT_TRUE(link.village.store->Write("service_requests", "R-1", change).ok());
  const int64_t ack_time = hello_time + 9'000'000;
  link.parent->Tick(ack_time);
  link.child->StoreChanged();
  link.child->Tick(clock_.NowMicros() + SessionOptions().push_delay_micros);
  Exchange(*link.child, *link.parent);
  EXPECT_EQ(link.child->TakeParentClock(), ack_time);
}

// A clock set back between a store change and its push (NTP corrects a
// clock that ran ahead) does not hold the push back until the clock is where
// it was: the push delay is a span of time.
TEST_F(SessionTest, AClockSetBackDoesNotHoldBackAPendingPush) {
  Link link = Linked();
  ASSERT_NO_FATAL_FAILURE(Handshake(*link.child, *link.parent));
  const conflict::Change change{
      {conflict::testutil::AssignOp("title", conflict::testutil::Text("路灯"))},
      "gutian/fengpu/xiaban"};
  ASSERT_TRUE(link.village.store->Write("service_requests", "R-1", change).ok());
  link.child->StoreChanged();
  clock_.Advance(-10 * 60 * 1'000'000LL);
  link.child->Tick(clock_.NowMicros());
  EXPECT_TRUE(link.child->TakeFrames().empty()) << "the delay has not passed";
  clock_.Advance(SessionOptions().push_delay_micros);
  link.child->Tick(clock_.NowMicros());
  const std::vector<v1::SyncFrame> frames = link.child->TakeFrames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].batch().items_size(), 1);
}

// --- Frames of protocol version 1 -------------------------------------------
//
// golden/protocol_1/ holds the frames a village and its township sent each
// other in protocol version 1, recorded from the code of that version
// (commit 47ccf4d, by a test it held): the township's hello, the village's
// hello, the village's first batch (one request) and the township's ack. A
// node must keep talking to a peer that still sends them (issue 16,
// "Protocol versions").

std::string GoldenPath(const std::string& name) {
  return absl::StrCat(SANJI_PROTOCOL_GOLDEN_DIR, "/protocol_1/", name, ".binpb");
}

v1::SyncFrame ReadGolden(const std::string& name) {
  std::ifstream in(GoldenPath(name), std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  v1::SyncFrame frame;
  EXPECT_TRUE(in.good() && frame.ParseFromString(bytes.str())) << "no golden frame " << name;
  return frame;
}

// A township of today's code takes a protocol-1 village's hello and batch,
// applies its record and acks it; a village of today's code takes a
// protocol-1 township's hello and ack.
TEST_F(SessionTest, ThePeersOfProtocolOneStillTalk) {
  Link link = Linked();
  link.parent->Start(clock_.NowMicros());
  link.parent->TakeFrames();
  link.parent->Receive(ReadGolden("village_hello"));
  link.parent->Receive(ReadGolden("village_batch"));
  ASSERT_FALSE(link.parent->closed()) << link.parent->close_status();
  EXPECT_FALSE(link.parent->peer_schema_version().has_value()) << "an old hello names none";
  std::vector<ApplyBatch> applies = link.parent->TakeApplies();
  ASSERT_EQ(applies.size(), 1u);
  ASSERT_TRUE(ApplyToStore(*link.township.store, std::move(applies[0])).ok());
  link.parent->Applied(1, absl::OkStatus());
  const std::vector<v1::SyncFrame> acks = link.parent->TakeFrames();
  ASSERT_FALSE(acks.empty());
  EXPECT_EQ(acks[0].ack().sequence(), 1u);
  EXPECT_EQ(acks[0].ack().refused_items(), 0u);
  absl::StatusOr<conflict::Record> stored =
      link.township.store->Get("service_requests", "xiaban-0001");
  ASSERT_TRUE(stored.ok()) << stored.status();

  // The village side: the old township's hello and its ack of batch 1.
  const conflict::Change change{
      {conflict::testutil::AssignOp("title", conflict::testutil::Text("路灯坏了"))},
      "gutian/fengpu/xiaban",
      "sanji://app/clinic/gutian/fengpu/xiaban"};
  ASSERT_TRUE(link.village.store->Write("service_requests", "xiaban-0001", change).ok());
  link.child->Start(clock_.NowMicros());
  link.child->Receive(ReadGolden("township_hello"));
  ASSERT_FALSE(link.child->closed()) << link.child->close_status();
  std::vector<v1::SyncFrame> sent = link.child->TakeFrames();
  ASSERT_GE(sent.size(), 1u);
  EXPECT_EQ(sent[0].hello().protocol_version(), 1u) << "an old peer reads field 1 only";
  // A version-1 township refuses fields its schema does not name: the
  // record goes without its authors.
  int items = 0;
  for (const v1::SyncFrame& frame : sent) {
    for (const v1::SyncItem& item : frame.batch().items()) {
      absl::StatusOr<conflict::Record> record = codec::ParseRecord(item.record());
      ASSERT_TRUE(record.ok()) << record.status();
      EXPECT_EQ(record->field(conflict::Record::kAuthorsField, conflict::StateKind::kSet), nullptr);
      ++items;
    }
  }
  EXPECT_EQ(items, 1);
  link.child->Receive(ReadGolden("township_ack"));
  EXPECT_FALSE(link.child->closed()) << link.child->close_status();
}

// Held-back records (DESIGN.md, "Sending: passes", rule 3) cross once. A
// village holds back a record for a county change its township lacks (the
// village got it directly, by failover) and changes it again; when the
// township's watermark shows the county change, the record goes as it is now.
// A pass whose reference is below the village's newer change, the next one
// or the one running, must not send it again unchanged (seed 3209 of the
// simulation).
class HeldBackTest : public SessionTest {
 protected:
  // The county's notice R-1 for xiaban, commented on at xiaban, held back by
  // a session the village then starts with `options`.
  void SetUp() override {
    SessionTest::SetUp();
    absl::StatusOr<store::WriteResult> notice = county_.store->Write(
        "service_requests", "R-1",
        {{conflict::testutil::AssignOp("title", conflict::testutil::Text("停水"))}, kXiaban});
    ASSERT_TRUE(notice.ok()) << notice.status();
    notice_ = notice->record;
    ASSERT_NO_FATAL_FAILURE(GiveNotice(*link_.village.store));
    ASSERT_NO_FATAL_FAILURE(Comment());
  }

  void StartSessions(SessionOptions child_options) {
    child_options.role = SessionOptions::Role::kChild;
    child_options.authenticated_peer = "gutian/fengpu";
    link_.child = std::make_unique<Session>(child_options, &schema_, link_.village.replica.get());
    link_.child->Start(clock_.NowMicros());
    link_.parent->Start(clock_.NowMicros());
    Exchange(*link_.child, *link_.parent);
    ASSERT_EQ(link_.child->stats().items_held_back, 1u);
  }

  // The county's notice lands at `store` as from a session with the county.
  void GiveNotice(store::Store& store) {
    absl::StatusOr<codec::CanonicalRecord> record =
        codec::CanonicalRecord::Read(codec::SerializeRecord(notice_), *requests_);
    ASSERT_TRUE(record.ok()) << record.status();
    ApplyBatch batch;
    batch.items.push_back({"service_requests", "R-1", *std::move(record), false, {}});
    batch.knowledge = notice_.context();
    ASSERT_TRUE(ApplyToStore(store, std::move(batch)).ok());
  }

  // A comment on R-1, or a new record `key` of xiaban's.
  void Comment(const std::string& key = "R-1") {
    conflict::Change change = conflict::testutil::MakeChange(
        {conflict::testutil::AddOp("comments", {conflict::testutil::Text("收到")})});
    if (key != "R-1") change.scope = kXiaban;  // a new record
    ASSERT_TRUE(link_.village.store->Write("service_requests", key, change).ok());
  }

  // The township receives the notice and tells the village so in a
  // watermark, which the village applies: the frames both sides send.
  std::vector<v1::SyncFrame> TownshipLearnsTheNotice() {
    GiveNotice(*link_.township.store);
    link_.parent->StoreChanged();
    clock_.Advance(SessionOptions().push_delay_micros);
    link_.parent->Tick(clock_.NowMicros());
    return Exchange(*link_.child, *link_.parent);
  }

  static int TimesSent(const std::vector<v1::SyncFrame>& frames, const std::string& key) {
    int sent = 0;
    for (const v1::SyncFrame& frame : frames) {
      for (const v1::SyncItem& item : frame.batch().items()) sent += item.key() == key ? 1 : 0;
    }
    return sent;
  }

  static constexpr char kXiaban[] = "gutian/fengpu/xiaban";
  Node county_ = OpenNode("gutian");
  Link link_ = Linked();
  conflict::Record notice_;
};

TEST_F(HeldBackTest, AReleasedRecordIsNotSentAgainByTheNextPass) {
  ASSERT_NO_FATAL_FAILURE(StartSessions(SessionOptions()));
  ASSERT_NO_FATAL_FAILURE(Comment());
  link_.child->StoreChanged();  // the pass waits for the push delay
  std::vector<v1::SyncFrame> frames = TownshipLearnsTheNotice();
  link_.child->Tick(clock_.NowMicros());
  for (const v1::SyncFrame& frame : Exchange(*link_.child, *link_.parent)) frames.push_back(frame);

  ASSERT_FALSE(link_.child->closed()) << link_.child->close_status();
  EXPECT_EQ(TimesSent(frames, "R-1"), 1);
  EXPECT_EQ(link_.child->stats().items_sent, 1u);
}

TEST_F(HeldBackTest, ARecordReleasedDuringAPassIsNotSentAgainByIt) {
  SessionOptions options;
  options.max_batch_items = 1;
  options.window = 1;
  ASSERT_NO_FATAL_FAILURE(StartSessions(options));
  // Records the pass sends before it reaches R-1's new change.
  for (const std::string key : {"X-1", "X-2", "X-3"}) ASSERT_NO_FATAL_FAILURE(Comment(key));
  ASSERT_NO_FATAL_FAILURE(Comment());
  link_.child->StoreChanged();
  clock_.Advance(SessionOptions().push_delay_micros);
  link_.child->Tick(clock_.NowMicros());
  // The pass's first batch waits in flight while the township learns the
  // notice; its ack then releases R-1 with the pass under way.
  std::vector<v1::SyncFrame> frames = link_.child->TakeFrames();
  ASSERT_EQ(frames.size(), 1u);
  for (const v1::SyncFrame& frame : TownshipLearnsTheNotice()) frames.push_back(frame);
  link_.parent->Receive(frames.front());
  for (const v1::SyncFrame& frame : Exchange(*link_.child, *link_.parent)) frames.push_back(frame);

  ASSERT_FALSE(link_.child->closed()) << link_.child->close_status();
  EXPECT_EQ(TimesSent(frames, "R-1"), 1);
  EXPECT_EQ(link_.child->stats().items_sent, 4u);
}

}  // namespace
}  // namespace sanji::replication
