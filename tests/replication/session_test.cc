// Session handshake rules (replication/DESIGN.md, "States of a session
// side") on real stores in memory. Streaming is tested over many schedules by
// tests/simulation/.
#include "replication/session.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "conflict/clock.h"
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

}  // namespace
}  // namespace sanji::replication
