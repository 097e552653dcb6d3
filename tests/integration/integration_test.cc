// A county, townships and villages as real sanjid processes on loopback,
// with mutual TLS (tests/integration/cluster.h). What ARCHITECTURE.md §1, §3
// and §4 promise, checked end to end: records flow up and down within each
// node's filter, a killed township's villages fail over to the county and
// return, an offline village catches up (by its link, or by a bundle each
// way on a USB stick), impostors are refused while the
// node serves the others, and a bad config names its line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "conflict/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "node/config.h"
#include "node/frame_codec.h"
#include "node/status_schema.h"
#include "store/store.h"
#include "sync.grpc.pb.h"
#include "tests/integration/test_county.h"
#include "tests/support/lenient_tls.h"

namespace sanji::integration {
namespace {

using ::testing::HasSubstr;

TEST(IntegrationTest, RecordsFlowUpAndDownWithinEachFilter) {
  TestCluster cluster;
  AddCounty(cluster, /*both_townships=*/true);
  cluster.StartAll();
  const std::vector<std::string> villages = {kXiaban, kDongkeng, kShangcun, kXiacun};

  // Each village records a service request in its own scope.
  for (const std::string& village : villages) {
    ASSERT_TRUE(
        Put(cluster, village, "service_requests", village + "/r1", village, "修路灯 " + village)
            .ok());
  }
  for (const std::string& village : villages) {
    EXPECT_TRUE(WaitFor([&] {
      return HasTitle(cluster, kCounty, "service_requests", village + "/r1", "修路灯 " + village);
    })) << village
        << "'s request did not reach the county";
  }

  // The county addresses a record to one village, then publishes a notice.
  ASSERT_TRUE(
      Put(cluster, kCounty, "service_requests", "county/for-xiaban", kXiaban, "县里派单").ok());
  ASSERT_TRUE(Put(cluster, kCounty, "notices", "flood-warning", kCounty, "防汛通知").ok());
  for (const std::string& village : villages) {
    EXPECT_TRUE(WaitFor([&] {
      return HasTitle(cluster, village, "notices", "flood-warning", "防汛通知");
    })) << "the notice did not reach "
        << village;
  }
  EXPECT_TRUE(WaitFor([&] {
    return HasTitle(cluster, kXiaban, "service_requests", "county/for-xiaban", "县里派单");
  }));
  // Every village has the notice, written after the addressed record: the
  // record would have reached them first.
  for (const char* village : {kDongkeng, kShangcun, kXiacun}) {
    EXPECT_EQ(TitleAt(cluster, village, "service_requests", "county/for-xiaban").status().code(),
              absl::StatusCode::kNotFound)
        << village;
  }
  // A village never holds another village's records, nor a township another
  // township's.
  EXPECT_EQ(
      TitleAt(cluster, kDongkeng, "service_requests", std::string(kXiaban) + "/r1").status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(
      TitleAt(cluster, kXikou, "service_requests", std::string(kXiaban) + "/r1").status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_TRUE(HasTitle(cluster, kFengpu, "service_requests", std::string(kXiaban) + "/r1",
                       "修路灯 " + std::string(kXiaban)));

  StopAllCleanly(cluster, {kXiacun, kShangcun, kDongkeng, kXiaban, kXikou, kFengpu, kCounty});
}

TEST(IntegrationTest, VillagesFailOverWhenTheirTownshipDiesAndReturn) {
  TestCluster cluster;
  AddCounty(cluster, /*both_townships=*/false);
  // The county's items received are counted exactly: no status records.
  for (const char* id : {kCounty, kFengpu, kXiaban, kDongkeng}) {
    cluster.EditConfig(id, [](v1::NodeConfig& config) { config.set_status_period_s(0); });
  }
  cluster.StartAll();
  constexpr int kPerVillage = 3000;

  std::thread xiaban([&] { PutMany(cluster, kXiaban, kXiaban, "x", kPerVillage); });
  std::thread dongkeng([&] { PutMany(cluster, kDongkeng, kDongkeng, "d", kPerVillage); });
  // Mid-sync: the township has started receiving.
  EXPECT_TRUE(WaitFor([&] {
    absl::StatusOr<v1::NodeStatus> status = cluster.Status(kFengpu);
    return status.ok() && status->items_received() > 0;
  }));
  cluster.Kill(kFengpu);
  xiaban.join();
  dongkeng.join();

  // Both villages fail over to the county and bring it everything.
  for (const char* village : {kXiaban, kDongkeng}) {
    EXPECT_TRUE(WaitFor([&] { return Caught(cluster, kCounty, village); }))
        << village << " did not reach the county after the township died";
    EXPECT_TRUE(WaitFor([&] { return LiveTo(cluster, village, kCounty); }));
  }
  // Nothing crossed twice into the county: each record once, whether the
  // township relayed it before it died or the village sent it after.
  absl::StatusOr<v1::NodeStatus> county = cluster.Status(kCounty);
  ASSERT_TRUE(county.ok());
  EXPECT_EQ(county->items_received(), 2u * kPerVillage);

  // The township comes back; its villages return to it, and it catches up.
  cluster.Start(kFengpu);
  for (const char* village : {kXiaban, kDongkeng}) {
    EXPECT_TRUE(WaitFor([&] { return LiveTo(cluster, village, kFengpu); }))
        << village << " did not return to its township";
    EXPECT_TRUE(WaitFor([&] { return Caught(cluster, kFengpu, village); }));
  }
  // A change made now goes village -> township -> county.
  ASSERT_TRUE(Put(cluster, kXiaban, "service_requests", "after", kXiaban, "回来了").ok());
  EXPECT_TRUE(
      WaitFor([&] { return HasTitle(cluster, kCounty, "service_requests", "after", "回来了"); }));
  county = cluster.Status(kCounty);
  ASSERT_TRUE(county.ok());
  EXPECT_EQ(county->items_received(), 2u * kPerVillage + 1);

  StopAllCleanly(cluster, {kDongkeng, kXiaban, kFengpu, kCounty});
}

TEST(IntegrationTest, KeepalivesNoticeAHungTownshipWithinSeconds) {
  Cluster cluster;
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kFengpu, {kCounty}, false);
  cluster.AddNode(kXiaban, {kFengpu, kCounty}, true);
  cluster.StartAll();
  ASSERT_TRUE(WaitFor([&] { return LiveTo(cluster, kXiaban, kFengpu); }));

  // The township hangs with its TCP connections open: no RST, no FIN, just
  // silence, as behind a dead 4G link. Keepalive (1 s + 1 s in these
  // configs) notices; the failover (1 s) follows.
  cluster.Freeze(kFengpu);
  const auto frozen = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitFor([&] { return LiveTo(cluster, kXiaban, kCounty); }, std::chrono::seconds(20)));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - frozen).count();
  std::printf("a hung township was left for the county after %.1f s\n", seconds);
  ASSERT_TRUE(Put(cluster, kXiaban, "service_requests", "while-hung", kXiaban, "照常").ok());
  EXPECT_TRUE(WaitFor(
      [&] { return HasTitle(cluster, kCounty, "service_requests", "while-hung", "照常"); }));

  cluster.Thaw(kFengpu);
  EXPECT_TRUE(WaitFor([&] { return LiveTo(cluster, kXiaban, kFengpu); }));
  EXPECT_TRUE(WaitFor([&] { return Caught(cluster, kFengpu, kXiaban); }));
  StopAllCleanly(cluster, {kXiaban, kFengpu, kCounty});
}

TEST(IntegrationTest, AVillageOfflineCatchesUpBothWays) {
  TestCluster cluster;
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kFengpu, {kCounty}, false);
  cluster.AddNode(kXiaban, {kFengpu, kCounty}, true);
  cluster.StartAll();
  ASSERT_TRUE(WaitFor([&] { return LiveTo(cluster, kXiaban, kFengpu); }));

  // Offline: the village runs with parents no one answers at.
  ASSERT_EQ(cluster.Stop(kXiaban), 0);
  cluster.SetParentAddresses(kXiaban, {{kFengpu, "127.0.0.1:1"}, {kCounty, "127.0.0.1:2"}});
  cluster.Start(kXiaban);
  constexpr int kEachSide = 10'000;
  std::thread village([&] { PutMany(cluster, kXiaban, kXiaban, "offline", kEachSide); });
  PutMany(cluster, kFengpu, kFengpu, "township", kEachSide);
  village.join();

  // Back online.
  ASSERT_EQ(cluster.Stop(kXiaban), 0);
  cluster.SetParentAddresses(
      kXiaban, {{kFengpu, cluster.address(kFengpu)}, {kCounty, cluster.address(kCounty)}});
  const auto start = std::chrono::steady_clock::now();
  cluster.Start(kXiaban);
  EXPECT_TRUE(WaitFor(
      [&] { return Caught(cluster, kFengpu, kXiaban) && Caught(cluster, kXiaban, kFengpu); }));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("offline village caught up %d + %d changes in %.2f s\n", kEachSide, kEachSide,
              seconds);
  EXPECT_TRUE(WaitFor([&] { return Caught(cluster, kCounty, kXiaban); }));
  EXPECT_TRUE(HasTitle(cluster, kXiaban, "service_requests", "township-9999",
                       "水管漏水 township 第9999号"));
  EXPECT_TRUE(
      HasTitle(cluster, kCounty, "service_requests", "offline-9999", "水管漏水 offline 第9999号"));
  // And the lag each side shows of the other comes down to nothing.
  for (const std::string node : {kXiaban, kFengpu}) {
    EXPECT_TRUE(WaitFor([&] { return Apart(cluster, node).empty(); }))
        << node << ": " << Apart(cluster, node);
  }

  StopAllCleanly(cluster, {kXiaban, kFengpu, kCounty});
}

v1::ImportBundleResponse ImportedJson(const CommandResult& result) {
  v1::ImportBundleResponse response;
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(result.output, &response).ok())
      << result.output;
  return response;
}

// ARCHITECTURE.md §6 and issue 6: a village with no link syncs by USB stick.
// The township exports what the village lacks by the village's last status
// record; the village imports it and answers with a return bundle computed
// against the township's knowledge from that bundle; both then hold the
// same records, a second import changes nothing, and when the link comes
// back the live session carries none of those records again.
TEST(IntegrationTest, ABundleEachWayOnAUsbStickSyncsAVillageWithNoLink) {
  TestCluster cluster;
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kFengpu, {kCounty}, false);
  cluster.AddNode(kXiaban, {kFengpu, kCounty}, true);
  cluster.StartAll();
  const v1::TlsConfig tls = cluster.Issue(authz::Identity::Operator("operator", kCounty));
  ASSERT_TRUE(WaitFor([&] { return LiveTo(cluster, kXiaban, kFengpu); }));
  // The township holds the village's status record, with its knowledge.
  ASSERT_TRUE(WaitFor([&] { return Caught(cluster, kFengpu, kXiaban); }));

  // No link: the village runs with no parents in its config, as the README
  // takes a village offline (issue 22: it still trades bundles).
  ASSERT_EQ(cluster.Stop(kXiaban), 0);
  cluster.SetParentAddresses(kXiaban, {});
  cluster.Start(kXiaban);
  constexpr int kEachSide = 300;
  PutMany(cluster, kXiaban, kXiaban, "offline", kEachSide);
  PutMany(cluster, kFengpu, kFengpu, "township", kEachSide);
  PutMany(cluster, kFengpu, "gutian/fengpu/dongkeng", "dongkeng", 10);  // not the village's

  const std::string down = cluster.dir() + "/down.bundle";
  const std::string up = cluster.dir() + "/up.bundle";
  CommandResult exported = Ctl(cluster, tls, kFengpu, {"export", "--for", kXiaban, "-o", down});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_THAT(exported.output, HasSubstr("gutian/fengpu/xiaban"));
  const v1::ImportBundleResponse into_village =
      ImportedJson(Ctl(cluster, tls, kXiaban, {"import", down, "--json"}));
  EXPECT_GE(into_village.items_received(), static_cast<uint64_t>(kEachSide));
  EXPECT_EQ(into_village.items_refused(), 0u);

  exported =
      Ctl(cluster, tls, kXiaban, {"export", "--for", kFengpu, "--knowledge", down, "-o", up});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const v1::ImportBundleResponse into_township =
      ImportedJson(Ctl(cluster, tls, kFengpu, {"import", up, "--json"}));
  EXPECT_GE(into_township.items_received(), static_cast<uint64_t>(kEachSide));
  EXPECT_EQ(into_township.items_refused(), 0u);

  // Both hold the same service requests of the village's filter.
  std::map<std::string, std::string> at_village = ServiceRequests(cluster, kXiaban);
  std::map<std::string, std::string> at_township = ServiceRequests(cluster, kFengpu);
  EXPECT_EQ(at_village.size(), 2u * kEachSide);
  EXPECT_EQ(at_village.count("dongkeng-0"), 0u);
  std::erase_if(at_township,
                [](const auto& entry) { return entry.first.starts_with("dongkeng-"); });
  EXPECT_EQ(at_village, at_township);
  EXPECT_EQ(at_village["township-299"], "水管漏水 township 第299号");
  EXPECT_EQ(at_township["offline-299"], "水管漏水 offline 第299号");

  // Again: nothing changes, and the import says so (issue 22).
  absl::StatusOr<v1::NodeStatus> before = cluster.Status(kFengpu);
  ASSERT_TRUE(before.ok());
  const CommandResult again = Ctl(cluster, tls, kFengpu, {"import", up});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr(absl::StrCat(into_township.items_received(),
                                                   " records received, 0 changed (already had "
                                                   "all of them)")));
  absl::StatusOr<v1::NodeStatus> after = cluster.Status(kFengpu);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Knows(*after, kXiaban), Knows(*before, kXiaban));
  EXPECT_EQ(ServiceRequests(cluster, kXiaban), at_village);
  // A bundle for the village is refused at the township.
  const CommandResult wrong = Ctl(cluster, tls, kFengpu, {"import", down});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_THAT(wrong.output, HasSubstr("the bundle is for gutian/fengpu/xiaban"));

  // The link comes back: the live session sends none of those records again
  // (only the village's status record, rewritten since the bundle).
  ASSERT_EQ(cluster.Stop(kXiaban), 0);
  cluster.SetParentAddresses(
      kXiaban, {{kFengpu, cluster.address(kFengpu)}, {kCounty, cluster.address(kCounty)}});
  cluster.Start(kXiaban);
  ASSERT_TRUE(WaitFor([&] { return LiveTo(cluster, kXiaban, kFengpu); }));
  absl::StatusOr<v1::NodeStatus> village = cluster.Status(kXiaban);
  ASSERT_TRUE(village.ok());
  const v1::LinkStatus* link = ParentLink(*village);
  ASSERT_NE(link, nullptr);
  std::printf(
      "bundles carried %llu records down and %llu up; the live session then sent %llu "
      "and received %llu\n",
      static_cast<unsigned long long>(into_village.items_received()),
      static_cast<unsigned long long>(into_township.items_received()),
      static_cast<unsigned long long>(link->items_sent()),
      static_cast<unsigned long long>(link->items_received()));
  EXPECT_EQ(link->items_received(), 0u);
  EXPECT_LE(link->items_sent(), 2u);
  EXPECT_EQ(village->items_received(), 0u);
  EXPECT_LE(village->items_sent(), 2u);
  EXPECT_EQ(ServiceRequests(cluster, kXiaban), at_village);

  StopAllCleanly(cluster, {kXiaban, kFengpu, kCounty});
}

// Opens a sync stream to `node` presenting `tls`, whoever issued it, and says
// hello as
// `claimed_id`; returns the first frame the node answers with, or the
// stream's error.
// A sync session a test drives frame by frame, as `tls` (any certificate),
// to `node`: what a child that misbehaves, or vanishes, looks like.
class RawSession {
 public:
  RawSession(Cluster& cluster, const std::string& node, const v1::TlsConfig& tls)
      : stub_(v1::Sync::NewStub(grpc::CreateChannel(
            cluster.address(node),
            testing::LenientTlsCredentials(tls.ca_file(), {{tls.key_file(), tls.cert_file()}})))) {
    // Fail fast, not wait-for-ready: a refused handshake must end the call.
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    stream_ = stub_->Session(&context_);
  }

  // Sends a hello claiming `id` (an empty store).
  absl::Status SendHello(const std::string& id) {
    v1::SyncFrame hello;
    hello.mutable_hello()->set_protocol_version(1);
    hello.mutable_hello()->mutable_origin()->set_node_id(id);
    hello.mutable_hello()->mutable_origin()->set_incarnation(1);
    absl::StatusOr<conflict::Schema> schema = node::BuildSchema(TestSchema());
    if (!schema.ok()) return schema.status();
    hello.mutable_hello()->set_schema_fingerprint(schema->Fingerprint());
    v1::WireFrame wire;
    SANJI_RETURN_IF_ERROR(node::FrameEncoder(false).Encode(hello, wire));
    return Send(wire);
  }
  absl::Status Send(const v1::WireFrame& wire) {
    if (!stream_->Write(wire)) return absl::UnavailableError("the stream broke");
    return absl::OkStatus();
  }
  // The next frame, or the call's status once it ended.
  absl::StatusOr<v1::SyncFrame> Next() {
    v1::WireFrame answer;
    if (!stream_->Read(&answer)) return Finish();
    v1::SyncFrame frame;
    SANJI_RETURN_IF_ERROR(node::FrameDecoder(1 << 20).Decode(answer, frame));
    return frame;
  }
  // The peer's next refusal (past its hello and any batches), or the
  // call's status.
  absl::StatusOr<v1::SyncFrame> NextRefusal() {
    absl::StatusOr<v1::SyncFrame> frame = Next();
    while (frame.ok() && !frame->has_refusal()) frame = Next();
    return frame;
  }
  // Closes this side and returns the call's status.
  absl::Status Finish() {
    stream_->WritesDone();
    const grpc::Status finished = stream_->Finish();
    return absl::Status(static_cast<absl::StatusCode>(finished.error_code()),
                        finished.error_message());
  }
  void Cancel() { context_.TryCancel(); }

 private:
  std::unique_ptr<v1::Sync::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::WireFrame, v1::WireFrame>> stream_;
};

absl::StatusOr<v1::SyncFrame> HelloAs(Cluster& cluster, const std::string& node,
                                      const v1::TlsConfig& tls, const std::string& claimed_id) {
  RawSession session(cluster, node, tls);
  SANJI_RETURN_IF_ERROR(session.SendHello(claimed_id));
  absl::StatusOr<v1::SyncFrame> frame = session.NextRefusal();
  if (frame.ok()) session.Cancel();
  return frame;
}

// `sanjictl tree` at the county, as the operator runs it (the built binary,
// the operator's certificate); "" if it failed.
std::string TreeAtCounty(Cluster& cluster, const v1::TlsConfig& tls, bool json = false) {
  std::vector<std::string> argv = {
      SANJICTL_PATH, "tree",        "--endpoint", cluster.address(kCounty),
      "--ca",        tls.ca_file(), "--cert",     tls.cert_file(),
      "--key",       tls.key_file()};
  if (json) argv.push_back("--json");
  const CommandResult tree = RunCommand(argv);
  return tree.exit_code == 0 ? tree.output : "";
}

// The STATE cell of node `name` (as the tree names it) in `tree`: "online",
// "OFFLINE", or "" if the node is not listed.
std::string TreeState(const std::string& tree, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(tree, '\n')) {
    const std::vector<absl::string_view> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (cells.size() > 1 && cells[0] == name) return std::string(cells[1]);
  }
  return "";
}

// ARCHITECTURE.md §6: each node writes its status into a system collection
// that replicates upward; `sanjictl tree` at the county shows the whole
// network from it, offline villages included (issue 6: offline when the
// record is older than three periods).
TEST(IntegrationTest, TheCountyTreeShowsEveryNodeAndAKilledVillageGoesOffline) {
  TestCluster cluster;
  AddCounty(cluster, /*both_townships=*/false);
  for (const char* id : {kCounty, kFengpu, kXiaban, kDongkeng}) {
    cluster.EditConfig(id, [](v1::NodeConfig& config) { config.set_status_period_s(1); });
  }
  cluster.StartAll();
  const v1::TlsConfig tls = cluster.Issue(authz::Identity::Operator("operator", kCounty));

  std::string tree;
  EXPECT_TRUE(WaitFor(
      [&] {
        tree = TreeAtCounty(cluster, tls);
        return TreeState(tree, kCounty) == "online" && TreeState(tree, "fengpu") == "online" &&
               TreeState(tree, "xiaban") == "online" && TreeState(tree, "dongkeng") == "online";
      },
      std::chrono::seconds(10)))
      << tree;
  v1::ListResponse records;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(TreeAtCounty(cluster, tls, true), &records).ok());
  EXPECT_EQ(records.records_size(), 4);
  // Only the node writes its status.
  EXPECT_EQ(Put(cluster, kCounty, "@status", kXiaban, kXiaban, "x").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Killed, it reports no more: offline once its record is 3 periods old.
  cluster.Kill(kXiaban);
  EXPECT_TRUE(WaitFor(
      [&] {
        tree = TreeAtCounty(cluster, tls);
        return TreeState(tree, "xiaban") == "OFFLINE";
      },
      std::chrono::seconds(10)))
      << tree;
  EXPECT_EQ(TreeState(tree, "dongkeng"), "online") << tree;
  EXPECT_EQ(TreeState(tree, "fengpu"), "online") << tree;
}

// TLS files for xiaban issued by another CA of the same county name (a
// stolen laptop's CA, a test county's): trusting this cluster's CA, so that
// only the node refuses. Empty (and a test failure) if sanjictl failed.
v1::TlsConfig ForeignXiaban(Cluster& cluster) {
  const std::string other_ca = cluster.dir() + "/other-ca";
  const CommandResult ca =
      RunCommand({SANJICTL_PATH, "cert", "ca", "--dir", other_ca, "--county", "gutian"});
  const CommandResult issued = RunCommand({SANJICTL_PATH, "cert", "issue", "--ca-dir", other_ca,
                                           "--node", kXiaban, "--out-dir", other_ca});
  v1::TlsConfig foreign;
  if (ca.exit_code != 0 || issued.exit_code != 0) {
    ADD_FAILURE() << ca.output << issued.output;
    return foreign;
  }
  foreign.set_ca_file(cluster.ca_file());
  foreign.set_cert_file(other_ca + "/node.gutian.fengpu.xiaban.pem");
  foreign.set_key_file(other_ca + "/node.gutian.fengpu.xiaban.key");
  return foreign;
}

TEST(IntegrationTest, ImpostorsAreRefusedAndTheNodeServesTheOthers) {
  TestCluster cluster;
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kFengpu, {kCounty}, false);
  cluster.AddNode(kXiaban, {kFengpu, kCounty}, true);
  cluster.AddNode(kDongkeng, {kFengpu, kCounty}, true);
  cluster.StartAll();

  // A certificate from another CA: the handshake fails.
  const v1::TlsConfig foreign = ForeignXiaban(cluster);
  ASSERT_FALSE(foreign.cert_file().empty());
  absl::StatusOr<v1::SyncFrame> answer = HelloAs(cluster, kFengpu, foreign, kXiaban);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << answer.status();

  // A village's certificate dialling the county as a township: refused,
  // naming both.
  answer = HelloAs(cluster, kCounty, cluster.tls(kXiaban), kFengpu);
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_TRUE(answer->has_refusal()) << answer->DebugString();
  EXPECT_EQ(answer->refusal().code(), v1::Refusal::WRONG_PLACE);
  EXPECT_THAT(answer->refusal().message(), HasSubstr(kXiaban));

  // A village pushing a record in another village's scope: dongkeng's store
  // gets one written past its RecordService (which would refuse it), then
  // dongkeng syncs: its township refuses that record, counts it, and takes
  // the rest.
  ASSERT_EQ(cluster.Stop(kDongkeng), 0);
  {
    absl::StatusOr<conflict::Schema> schema = node::BuildSchema(TestSchema());
    ASSERT_TRUE(schema.ok());
    conflict::ManualClock clock(absl::GetCurrentTimeNanos() / 1000);
    store::Options options;
    options.path = cluster.dir() + "/data/gutian_fengpu_dongkeng";
    options.node_id = kDongkeng;
    options.schema = &*schema;
    options.clock = &clock;
    absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    conflict::Change forged;
    forged.scope = kXiaban;
    forged.ops.push_back({"title", conflict::Assign{std::string("冒名工单")}});
    ASSERT_TRUE((*store)->Write("service_requests", "forged", forged).ok());
    conflict::Change honest;
    honest.scope = kDongkeng;
    honest.ops.push_back({"title", conflict::Assign{std::string("正常工单")}});
    ASSERT_TRUE((*store)->Write("service_requests", "honest", honest).ok());
  }
  cluster.Start(kDongkeng);
  EXPECT_TRUE(WaitFor(
      [&] { return HasTitle(cluster, kCounty, "service_requests", "honest", "正常工单"); }));
  absl::StatusOr<v1::NodeStatus> township = cluster.Status(kFengpu);
  ASSERT_TRUE(township.ok());
  EXPECT_GE(township->refused_items(), 1u);
  EXPECT_EQ(TitleAt(cluster, kFengpu, "service_requests", "forged").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(TitleAt(cluster, kXiaban, "service_requests", "forged").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(cluster.Log(kFengpu), HasSubstr("refused service_requests/forged"));

  // And the township serves the others all along.
  ASSERT_TRUE(Put(cluster, kXiaban, "service_requests", "still", kXiaban, "照常").ok());
  EXPECT_TRUE(
      WaitFor([&] { return HasTitle(cluster, kCounty, "service_requests", "still", "照常"); }));

  StopAllCleanly(cluster, {kDongkeng, kXiaban, kFengpu, kCounty});
}

// The log lines of `node` that contain `text`.
std::vector<std::string> LogLines(Cluster& cluster, const std::string& node,
                                  const std::string& text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(cluster.Log(node), '\n')) {
    if (absl::StrContains(line, text)) lines.emplace_back(line);
  }
  return lines;
}

// Issue 22 §5: a session that ends says why, to the log and to the peer. A
// child's new session replacing its old one is a replacement, not "the node
// is stopping"; a frame that does not decode is named to the child in a
// refusal and in the call's status, not a bare CANCELLED.
TEST(IntegrationTest, ASessionThatEndsTellsTheLogAndThePeerWhy) {
  TestCluster cluster;
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kFengpu, {kCounty}, false);
  cluster.AddNode(kXiaban, {kFengpu, kCounty}, true);  // its certificate; not started
  cluster.Start(kCounty);
  cluster.Start(kFengpu);

  RawSession old_session(cluster, kFengpu, cluster.tls(kXiaban));
  ASSERT_TRUE(old_session.SendHello(kXiaban).ok());
  absl::StatusOr<v1::SyncFrame> hello = old_session.Next();
  ASSERT_TRUE(hello.ok() && hello->has_hello()) << hello.status();
  RawSession new_session(cluster, kFengpu, cluster.tls(kXiaban));
  ASSERT_TRUE(new_session.SendHello(kXiaban).ok());

  absl::StatusOr<v1::SyncFrame> told = old_session.NextRefusal();
  ASSERT_TRUE(told.ok()) << told.status();
  ASSERT_TRUE(told->has_refusal()) << told->DebugString();
  EXPECT_EQ(told->refusal().code(), v1::Refusal::REPLACED);
  EXPECT_THAT(told->refusal().message(),
              HasSubstr("a new session from gutian/fengpu/xiaban at ipv4:127.0.0.1:"));
  const absl::Status old_end = old_session.Finish();
  EXPECT_EQ(old_end.code(), absl::StatusCode::kAborted) << old_end;
  EXPECT_THAT(old_end.message(), HasSubstr("replaced this one"));
  ASSERT_TRUE(WaitFor([&] { return !LogLines(cluster, kFengpu, "replaced this one").empty(); }))
      << cluster.Log(kFengpu);
  EXPECT_THAT(LogLines(cluster, kFengpu, "the node is stopping"), ::testing::IsEmpty());

  v1::WireFrame garbage;
  garbage.set_payload("\xff\xff\xff not a frame");
  ASSERT_TRUE(new_session.Send(garbage).ok());
  told = new_session.NextRefusal();
  ASSERT_TRUE(told.ok()) << told.status();
  ASSERT_TRUE(told->has_refusal()) << told->DebugString();
  EXPECT_EQ(told->refusal().code(), v1::Refusal::BAD_FRAME);
  const absl::Status bad_end = new_session.Finish();
  EXPECT_EQ(bad_end.code(), absl::StatusCode::kDataLoss) << bad_end;
  EXPECT_THAT(bad_end.message(), HasSubstr("from gutian/fengpu/xiaban"));
  StopAllCleanly(cluster, {kFengpu, kCounty});
}

// Issue 22 §5: a child that froze fails keepalive; the parent's log says the
// connection broke, not that the child closed the stream.
TEST(IntegrationTest, AFrozenChildIsLoggedAsAConnectionThatBroke) {
  TestCluster cluster;
  cluster.AddNode(kFengpu, {}, false);
  cluster.AddNode(kXiaban, {kFengpu}, true);
  cluster.StartAll();
  ASSERT_TRUE(WaitFor([&] { return LiveTo(cluster, kXiaban, kFengpu); }));
  cluster.Freeze(kXiaban);
  EXPECT_TRUE(WaitFor(
      [&] { return !LogLines(cluster, kFengpu, "the connection to gutian/fengpu/xiaban").empty(); },
      std::chrono::seconds(20)))
      << cluster.Log(kFengpu);
  EXPECT_THAT(LogLines(cluster, kFengpu, "no answer to keepalive pings"),
              ::testing::Not(::testing::IsEmpty()));
  EXPECT_THAT(LogLines(cluster, kFengpu, "closed the stream"), ::testing::IsEmpty());
  cluster.Thaw(kXiaban);
  StopAllCleanly(cluster, {kXiaban, kFengpu});
}

// Issue 22 §5: a certificate the node refuses left one raw gRPC line per
// attempt ("Handshake failed with fatal error SSL_ERROR_SSL: ..."). The
// node logs the cause once per episode, then counts; stopping reports the
// count not yet reported. (No peer address: gRPC 1.51 does not give one,
// node/log.cc.)
TEST(IntegrationTest, RepeatedTlsRefusalsAreLoggedOnceWithTheirCause) {
  TestCluster cluster;
  cluster.AddNode(kFengpu, {}, false);
  cluster.AddNode(kXiaban, {kFengpu}, true);  // its name, on the foreign certificate
  cluster.Start(kFengpu);
  const v1::TlsConfig foreign = ForeignXiaban(cluster);
  ASSERT_FALSE(foreign.cert_file().empty());

  constexpr int kAttempts = 6;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    // Each on its own channel, so each dials and fails its own handshake
    // (the call ends once the node has refused it).
    EXPECT_EQ(HelloAs(cluster, kFengpu, foreign, kXiaban).status().code(),
              absl::StatusCode::kUnavailable);
  }
  const std::string cause =
      "TLS handshake refused: the peer's certificate was not issued by this county's CA, or has "
      "expired (certificate verify failed)";
  ASSERT_TRUE(
      WaitFor([&] { return !LogLines(cluster, kFengpu, cause).empty(); }, std::chrono::seconds(10)))
      << cluster.Log(kFengpu);
  ASSERT_EQ(cluster.Stop(kFengpu), 0);

  EXPECT_THAT(LogLines(cluster, kFengpu, cause), ::testing::SizeIs(1)) << cluster.Log(kFengpu);
  EXPECT_THAT(LogLines(cluster, kFengpu, "Handshake failed"), ::testing::IsEmpty());
  // The repeats, every one counted, in one line when the node stopped.
  const std::vector<std::string> repeats = LogLines(cluster, kFengpu, "TLS handshake refused ");
  ASSERT_THAT(repeats, ::testing::SizeIs(1)) << cluster.Log(kFengpu);
  EXPECT_THAT(repeats[0], ::testing::ContainsRegex(absl::StrCat(
                              "refused ", kAttempts - 1,
                              " more times in the last [0-9]+s: the peer's certificate was not "
                              "issued by this county's CA")));
}

TEST(IntegrationTest, ABadConfigFailsToStartNamingItsLine) {
  TestCluster cluster;
  const std::string path = cluster.dir() + "/bad.conf";
  {
    std::FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs(
        "node_id: \"gutian/fengpu\"\nlisten_address: \"127.0.0.1:7001\"\n"
        "data_dir: \"data\"\nparents { id: \"gutian\" address: \"gutian-county\" }\n",
        file);
    std::fclose(file);
  }
  const CommandResult run = RunCommand({SANJID_PATH, "--config", path, "--insecure"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("bad.conf:4:"));
  EXPECT_THAT(run.output, HasSubstr("gutian-county"));

  const CommandResult usage = RunCommand({SANJID_PATH});
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
}

}  // namespace
}  // namespace sanji::integration
