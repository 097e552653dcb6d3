// Scenario tests with golden transcripts (issue 4, "The simulator"): the
// named cases of ARCHITECTURE.md §3 and §4, each driven step by step on the
// example county through SimNetwork with transcripts on. Each test asserts
// the property it is about, then compares the transcript (every frame, write,
// refusal and cut, with this file's step headings and a dump of the relevant
// stores at the end) with tests/simulation/golden/<name>.txt.
// SANJI_UPDATE_GOLDEN=1 rewrites the golden files instead, so that a change
// of the protocol shows as a diff of them.
//
// The transcripts are deterministic: the stores are in memory at fixed paths
// and their clocks are manual, so the identity token a store derives (from
// its path, its clock and the previous token; store/options.h) and with it
// every incarnation number is the same in every run.
//
// One file of ~900 lines rather than one per scenario: the scenarios share
// the fixture, the transcript readers and the golden comparison, and each
// reads top to bottom as a script.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "codec/record_codec.h"
#include "config.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "replication/session.h"
#include "tests/conflict/test_util.h"
#include "tests/simulation/sim_network.h"

#ifndef SANJI_GOLDEN_DIR
#error "SANJI_GOLDEN_DIR must name tests/simulation/golden (set in CMakeLists.txt)"
#endif
#ifndef SANJI_EXAMPLE_SCHEMA
#error "SANJI_EXAMPLE_SCHEMA must name the example schema file (set in CMakeLists.txt)"
#endif

namespace sanji::simulation {
namespace {

using conflict::Change;
using conflict::Record;
using conflict::testutil::AddOp;
using conflict::testutil::AssignOp;
using conflict::testutil::Int;
using conflict::testutil::MakeChange;
using conflict::testutil::SetRead;
using conflict::testutil::StatusOp;
using conflict::testutil::Text;

const std::string kCounty = "gutian";
const std::string kFengpu = "gutian/fengpu";
const std::string kDongqiao = "gutian/dongqiao";
const std::string kXiaban = "gutian/fengpu/xiaban";
const std::string kShangban = "gutian/fengpu/shangban";
const std::vector<std::string> kAllNodes = {kCounty, kFengpu, kDongqiao, kXiaban, kShangban};

// --- Golden files ------------------------------------------------------------

// Compares `lines` with golden/<name>.txt, or rewrites the file when
// SANJI_UPDATE_GOLDEN=1.
void ExpectGolden(const std::string& name, const std::vector<std::string>& lines) {
  const std::string path = absl::StrCat(SANJI_GOLDEN_DIR, "/", name, ".txt");
  const std::string actual = absl::StrCat(absl::StrJoin(lines, "\n"), "\n");
  const char* update = std::getenv("SANJI_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    ASSERT_TRUE(out.good()) << "could not write " << path;
    std::cout << "rewrote " << path << "\n";
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "no golden file " << path
                         << "; run with SANJI_UPDATE_GOLDEN=1 to write it. Transcript:\n"
                         << actual;
  std::stringstream expected;
  expected << in.rdbuf();
  if (expected.str() == actual) return;
  std::vector<std::string> want;
  std::string line;
  while (std::getline(expected, line)) want.push_back(line);
  size_t i = 0;
  while (i < want.size() && i < lines.size() && want[i] == lines[i]) ++i;
  ADD_FAILURE() << "transcript differs from " << path << " at line " << i + 1
                << "\n  golden: " << (i < want.size() ? want[i] : "<end>")
                << "\n  actual: " << (i < lines.size() ? lines[i] : "<end>")
                << "\n(SANJI_UPDATE_GOLDEN=1 rewrites it.) Whole transcript:\n"
                << actual;
}

// --- Reading the transcript ----------------------------------------------------

// One item of a batch frame, as the transcript shows it.
struct Crossing {
  size_t line = 0;  // index in the transcript
  std::string from;
  std::string to;
  uint64_t batch = 0;
  std::string name;     // collection/key
  std::string context;  // the record's context, "{origin:counter, ...}"
  bool move_out = false;
};

// Every item of every batch frame in transcript[begin, end).
std::vector<Crossing> Crossings(const std::vector<std::string>& transcript, size_t begin = 0,
                                size_t end = std::string::npos) {
  static const std::regex kBatch(R"(^(\S+) -> (\S+): batch (\d+) \[(.*)\] watermark=)");
  static const std::regex kItem(R"(([a-z_]+/[^{\s,]+)(\{[^}]*\})( move-out)?)");
  std::vector<Crossing> out;
  for (size_t i = begin; i < std::min(end, transcript.size()); ++i) {
    std::smatch batch;
    if (!std::regex_search(transcript[i], batch, kBatch)) continue;
    const std::string items = batch[4];
    for (auto it = std::sregex_iterator(items.begin(), items.end(), kItem);
         it != std::sregex_iterator(); ++it) {
      out.push_back(Crossing{i, batch[1], batch[2], std::stoull(batch[3]), (*it)[1], (*it)[2],
                             (*it)[3].matched});
    }
  }
  return out;
}

// Sequences of the batches `from` acknowledged to `to` in transcript[begin, end).
std::set<uint64_t> Acked(const std::vector<std::string>& transcript, const std::string& from,
                         const std::string& to, size_t begin, size_t end) {
  const std::regex ack(absl::StrCat("^", from, " -> ", to, R"(: ack (\d+))"));
  std::set<uint64_t> out;
  for (size_t i = begin; i < std::min(end, transcript.size()); ++i) {
    std::smatch match;
    if (std::regex_search(transcript[i], match, ack)) out.insert(std::stoull(match[1]));
  }
  return out;
}

size_t CountContaining(const std::vector<std::string>& lines, const std::string& part) {
  return std::count_if(lines.begin(), lines.end(), [&](const std::string& line) {
    return line.find(part) != std::string::npos;
  });
}

// --- The fixture -----------------------------------------------------------------

class ScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<conflict::Schema> schema = conflict::testutil::BuildCountySchema();
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
  }

  // The example county: gutian; townships fengpu and dongqiao; villages
  // xiaban and shangban under fengpu, each with the county as its fallback.
  void BuildCounty(SimOptions options = {}) {
    options.transcript = true;
    network_ = std::make_unique<SimNetwork>(&schema_, options);
    ASSERT_TRUE(network_->AddNode(kCounty, {}).ok());
    ASSERT_TRUE(network_->AddNode(kFengpu, {kCounty}).ok());
    ASSERT_TRUE(network_->AddNode(kDongqiao, {kCounty}).ok());
    ASSERT_TRUE(network_->AddNode(kXiaban, {kFengpu, kCounty}).ok());
    ASSERT_TRUE(network_->AddNode(kShangban, {kFengpu, kCounty}).ok());
  }

  void Connect(const std::string& child, const std::string& parent) {
    const absl::Status connected = network_->Connect(child, parent);
    ASSERT_TRUE(connected.ok()) << connected;
  }

  // Every node but xiaban to its first parent.
  void ConnectAllButXiaban() {
    Connect(kFengpu, kCounty);
    Connect(kDongqiao, kCounty);
    Connect(kShangban, kFengpu);
  }
  void ConnectAll() {
    ConnectAllButXiaban();
    Connect(kXiaban, kFengpu);
  }

  // Dials xiaban to fengpu and steps the session until xiaban has applied
  // and acknowledged `batches` batches and one more batch has arrived
  // unapplied; then cuts. Returns the records of the acknowledged batches.
  std::set<std::string> CatchUpAndCut(int batches) {
    const size_t begin = transcript().size();
    Connect(kXiaban, kFengpu);
    network_->DeliverToParent(kXiaban, kFengpu);  // xiaban's hello: fengpu sends batches
    network_->DeliverToChild(kXiaban, kFengpu);   // fengpu's hello
    for (int i = 0; i < batches; ++i) {
      network_->DeliverToChild(kXiaban, kFengpu);  // batch i + 1
      network_->ApplyAtChild(kXiaban, kFengpu);
      network_->DeliverToParent(kXiaban, kFengpu);  // its ack: fengpu sends the next batch
    }
    network_->DeliverToChild(kXiaban, kFengpu);  // arrives, is not applied
    EXPECT_TRUE(network_->Linked(kXiaban, kFengpu));
    network_->Cut(kXiaban, kFengpu);
    std::set<uint64_t> expected_acks;
    for (int i = 1; i <= batches; ++i) expected_acks.insert(i);
    const std::set<uint64_t> acked =
        Acked(transcript(), kXiaban, kFengpu, begin, std::string::npos);
    EXPECT_EQ(acked, expected_acks);
    std::set<std::string> applied;
    for (const Crossing& item : Crossings(transcript(), begin)) {
      if (item.from == kFengpu && acked.contains(item.batch)) applied.insert(item.name);
    }
    EXPECT_EQ(Held(kXiaban), applied);
    return applied;
  }

  // Dials xiaban to fengpu again and runs to quiescence: no record of
  // `applied` crosses again, none crosses twice, and xiaban ends with
  // `expected`.
  void ExpectResumeSendsNothingApplied(const std::set<std::string>& applied,
                                       const std::set<std::string>& expected) {
    Step("xiaban dials fengpu again");
    const size_t begin = transcript().size();
    Connect(kXiaban, kFengpu);
    ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
    std::set<std::string> resent;
    for (const Crossing& item : Crossings(transcript(), begin)) {
      EXPECT_FALSE(applied.contains(item.name))
          << item.name << item.context << " was applied before the cut (line " << item.line + 1
          << ")";
      EXPECT_TRUE(resent.insert(item.name).second) << item.name << " sent twice";
    }
    EXPECT_EQ(Held(kXiaban), expected);
  }

  // An application write; the test fails if the store refuses it.
  Record Write(const std::string& id, const std::string& collection, const std::string& key,
               const Change& change) {
    absl::StatusOr<store::WriteResult> written = network_->Write(id, collection, key, change);
    EXPECT_TRUE(written.ok()) << id << " " << collection << "/" << key << ": " << written.status();
    return written.ok() ? written->record : Record();
  }

  void RunUntilQuiet() {
    ASSERT_TRUE(network_->RunUntilQuiet()) << "no quiescence";
    ASSERT_TRUE(network_->violation().ok()) << network_->violation();
  }

  const std::vector<std::string>& transcript() const { return network_->transcript(); }

  // A heading in the golden file, after the transcript lines so far.
  void Step(const std::string& heading) {
    Flush();
    lines_.push_back(absl::StrCat("## ", heading));
  }

  void Flush() {
    const std::vector<std::string>& all = transcript();
    for (; flushed_ < all.size(); ++flushed_) lines_.push_back(all[flushed_]);
  }

  // Live records of every collection at `id`, as collection/key.
  std::set<std::string> Held(const std::string& id) {
    std::set<std::string> out;
    for (const auto& [collection, unused] : schema_.collections()) {
      absl::StatusOr<store::ListPage> page =
          network_->node(id).store().List(collection, "", "", 1000);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) continue;
      for (const store::ListEntry& entry : page->entries) {
        out.insert(absl::StrCat(collection, "/", entry.key));
      }
    }
    return out;
  }

  // Appends the final state of `ids` (knowledge and live records) and
  // compares everything with the golden file.
  void ExpectTranscript(const std::string& name, const std::vector<std::string>& ids) {
    Step("final state");
    for (const std::string& id : ids) {
      store::Store& store = network_->node(id).store();
      lines_.push_back(absl::StrCat(id, " knowledge=", store.Knowledge().ToString()));
      for (const std::string& held : Held(id)) {
        const size_t slash = held.find('/');
        absl::StatusOr<Record> record = store.Get(held.substr(0, slash), held.substr(slash + 1));
        lines_.push_back(
            absl::StrCat("  ", held, " ", record.ok() ? record->DebugString() : "<unreadable>"));
      }
    }
    ExpectGolden(name, lines_);
  }

  // A batch of one item from xiaban to fengpu that xiaban's engine did not
  // make (a forgery); the session goes on as if xiaban had sent it.
  void InjectFromXiaban(const std::string& collection, const std::string& key,
                        const Record& record) {
    v1::SyncBatch batch;
    batch.add_collections(collection);
    v1::SyncItem& item = *batch.add_items();
    item.set_key(key);
    item.set_record(codec::SerializeRecord(record));
    network_->InjectToParent(kXiaban, kFengpu, std::move(batch), /*seamless=*/true);
  }

  // Builds the county, links everyone, has the county publish its flood-drill
  // notice and runs until quiet. Returns the notice as the county wrote it.
  Record PublishFloodDrillNotice() {
    BuildCounty();
    if (HasFatalFailure()) return Record();
    Step("everyone linked; the county publishes a notice");
    ConnectAll();
    const Record published = Write(kCounty, "notices", "county-flood-drill",
                                   MakeChange({AssignOp("title", Text("防汛演练通知"))}, kCounty));
    RunUntilQuiet();
    return published;
  }

  // The county's notice as xiaban holds it, with its title changed under
  // xiaban's next dot: a change xiaban has no authority to make.
  Record XiabanEditsTheNotice(const conflict::HlcTimestamp& now) {
    absl::StatusOr<Record> notice =
        network_->node(kXiaban).store().Get("notices", "county-flood-drill");
    EXPECT_TRUE(notice.ok()) << notice.status();
    if (!notice.ok()) return Record();
    const conflict::Origin xiaban = network_->node(kXiaban).store().origin();
    absl::StatusOr<Record> changed = notice->Write(
        *schema_.Collection("notices").value(), MakeChange({AssignOp("title", Text("演练取消"))}),
        conflict::Dot{xiaban, network_->node(kXiaban).store().progress().counter + 1}, now);
    EXPECT_TRUE(changed.ok()) << changed.status();
    return changed.ok() ? *std::move(changed) : Record();
  }

  // `record` with `scope` added to its former scopes, as a forger makes it.
  static Record WithFormerScope(const Record& record, const std::string& scope) {
    conflict::RecordState state = record.state();
    state.former_scopes.insert(scope);
    absl::StatusOr<Record> forged = Record::FromState(std::move(state));
    EXPECT_TRUE(forged.ok()) << forged.status();
    return forged.ok() ? *std::move(forged) : record;
  }

  // Failover and return (below), with fengpu back with the county before
  // or after xiaban is back with fengpu.
  void FailOverAndReturn(bool township_rejoins_first, const std::string& golden);

  // Every store equals its filter of the acknowledged writes (and holds
  // nothing nobody wrote).
  void ExpectConverged() {
    const absl::Status converged = network_->CheckConverged();
    EXPECT_TRUE(converged.ok()) << converged;
  }
  // Then the golden comparison.
  void ExpectConvergedAndTranscript(const std::string& name, const std::vector<std::string>& ids) {
    ExpectConverged();
    ExpectTranscript(name, ids);
  }

  conflict::Schema schema_;
  std::unique_ptr<SimNetwork> network_;
  std::vector<std::string> lines_;
  size_t flushed_ = 0;
};

// --- First sync of an empty village ------------------------------------------

// §4: "Node N holds records whose scope is an ancestor-or-self of N's scope,
// or a descendant of it. A village never receives another village's
// records." §3: records travel as current state, once.
TEST_F(ScenarioTest, FirstSyncOfAnEmptyVillage) {
  ASSERT_NO_FATAL_FAILURE(BuildCounty());
  Step("the county, both townships and shangban are linked and write");
  ConnectAllButXiaban();
  Write(kCounty, "notices", "county-spring-subsidy",
        MakeChange({AssignOp("title", Text("春耕补贴发放通知"))}, kCounty));
  Write(kFengpu, "notices", "fengpu-water-cut",
        MakeChange({AssignOp("title", Text("枫浦镇周六停水"))}, kFengpu));
  Write(kDongqiao, "notices", "dongqiao-market",
        MakeChange({AssignOp("title", Text("东桥集市改期"))}, kDongqiao));
  Write(kCounty, "service_requests", "county-to-xiaban",
        MakeChange({AssignOp("title", Text("危房改造复查")), StatusOp("status", "assigned")},
                   kXiaban));
  Write(kCounty, "service_requests", "county-to-shangban",
        MakeChange({AssignOp("title", Text("低保材料补交"))}, kShangban));
  Write(kFengpu, "service_requests", "fengpu-to-xiaban",
        MakeChange({AssignOp("title", Text("村道修补")), AssignOp("assignee", Text("夏坂村委"))},
                   kXiaban));
  Write(kShangban, "service_requests", "shangban-streetlight",
        MakeChange({AssignOp("title", Text("路灯不亮"))}, kShangban));
  Write(kShangban, "households", "shangban-wang",
        MakeChange({AssignOp("name", Text("王建国"))}, kShangban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  Step("xiaban, empty, dials fengpu for the first time");
  ASSERT_TRUE(Held(kXiaban).empty());
  const size_t begin = transcript().size();
  const uint64_t items_before = network_->items_sent();
  Connect(kXiaban, kFengpu);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  // Exactly its filter: the notices of its county and township, and what the
  // county and the township addressed to it; nothing of dongqiao or shangban.
  const std::set<std::string> filter = {"notices/county-spring-subsidy", "notices/fengpu-water-cut",
                                        "service_requests/county-to-xiaban",
                                        "service_requests/fengpu-to-xiaban"};
  EXPECT_EQ(Held(kXiaban), filter);
  // Each of those crossed once, and nothing else crossed either way.
  std::multiset<std::string> sent;
  for (const Crossing& item : Crossings(transcript(), begin)) {
    EXPECT_EQ(item.from, kFengpu) << item.name;
    EXPECT_FALSE(item.move_out) << item.name;
    sent.insert(item.name);
  }
  EXPECT_EQ(sent, std::multiset<std::string>(filter.begin(), filter.end()));
  EXPECT_EQ(network_->items_sent() - items_before, filter.size());
  EXPECT_EQ(network_->items_refused(), 0u);
  ExpectConvergedAndTranscript("first_sync_of_an_empty_village", {kFengpu, kXiaban});
}

// --- Resume mid-batch --------------------------------------------------------------

// §3: "An interrupted session resumes where it stopped": batches applied and
// acknowledged before a cut are not sent again.
TEST_F(ScenarioTest, ResumeMidBatch) {
  SimOptions options;
  options.session.max_batch_items = 2;
  options.session.window = 2;
  ASSERT_NO_FATAL_FAILURE(BuildCounty(options));
  Step("fengpu holds a notice of the county and nine requests for xiaban");
  ConnectAllButXiaban();
  Write(kCounty, "notices", "county-flood-season",
        MakeChange({AssignOp("title", Text("汛期值班安排"))}, kCounty));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  std::set<std::string> expected = {"notices/county-flood-season"};
  for (int i = 1; i <= 9; ++i) {
    const std::string key = absl::StrFormat("household-visit-%02d", i);
    Write(kFengpu, "service_requests", key,
          MakeChange({AssignOp("title", Text(absl::StrCat("入户走访第", i, "户")))}, kXiaban));
    expected.insert(absl::StrCat("service_requests/", key));
  }
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  Step("xiaban dials fengpu; two batches are applied and acknowledged, then the link is cut");
  const std::set<std::string> applied = CatchUpAndCut(2);
  ASSERT_EQ(applied.size(), 4u);
  ASSERT_NO_FATAL_FAILURE(ExpectResumeSendsNothingApplied(applied, expected));
  ExpectConvergedAndTranscript("resume_mid_batch", {kXiaban});
}

// The same upward: xiaban catches fengpu up on its offline writes.
TEST_F(ScenarioTest, ResumeMidBatchUpward) {
  SimOptions options;
  options.session.max_batch_items = 2;
  options.session.window = 1;
  ASSERT_NO_FATAL_FAILURE(BuildCounty(options));
  Step("xiaban registers six households before it is ever linked");
  ConnectAllButXiaban();
  std::set<std::string> expected;
  for (int i = 1; i <= 6; ++i) {
    const std::string key = absl::StrFormat("xiaban-household-%02d", i);
    Write(kXiaban, "households", key,
          MakeChange({AssignOp("name", Text(absl::StrCat("夏坂第", i, "户")))}, kXiaban));
    expected.insert(absl::StrCat("households/", key));
  }

  Step("xiaban dials fengpu; fengpu applies and acknowledges batch 1, then the link is cut");
  const size_t first = transcript().size();
  Connect(kXiaban, kFengpu);
  network_->DeliverToChild(kXiaban, kFengpu);   // fengpu's hello: xiaban sends batch 1
  network_->DeliverToParent(kXiaban, kFengpu);  // xiaban's hello
  network_->DeliverToParent(kXiaban, kFengpu);  // batch 1
  network_->ApplyAtParent(kXiaban, kFengpu);
  network_->DeliverToChild(kXiaban, kFengpu);   // its ack: xiaban sends batch 2
  network_->DeliverToParent(kXiaban, kFengpu);  // batch 2 arrives, is not applied
  network_->Cut(kXiaban, kFengpu);
  const size_t second = transcript().size();
  std::set<std::string> applied;
  const std::set<uint64_t> acked = Acked(transcript(), kFengpu, kXiaban, first, second);
  for (const Crossing& item : Crossings(transcript(), first, second)) {
    if (item.from == kXiaban && acked.contains(item.batch)) applied.insert(item.name);
  }
  ASSERT_EQ(acked, std::set<uint64_t>{1});
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(Held(kFengpu), applied);

  Step("xiaban dials fengpu again");
  Connect(kXiaban, kFengpu);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  for (const Crossing& item : Crossings(transcript(), second)) {
    if (item.to != kFengpu) continue;
    EXPECT_FALSE(applied.contains(item.name)) << item.name << " was applied before the cut";
  }
  EXPECT_EQ(Held(kFengpu), expected);
  ExpectConvergedAndTranscript("resume_mid_batch_upward", {kFengpu});
}

// The same with records that two origins touched: each travels in the
// stream of the first origin (gutian), and the batch's watermark cannot cover
// its other dot (gutian/fengpu's stream has not been scanned yet), so the
// receiver holds that dot beyond its knowledge.
// The receiver's store keeps those dots (its knowledge cloud) and its next
// hello names them, so the second session does not send the records again.
TEST_F(ScenarioTest, ResumeMidBatchOfRecordsTouchedByTwoOrigins) {
  SimOptions options;
  options.session.max_batch_items = 2;
  options.session.window = 1;
  ASSERT_NO_FATAL_FAILURE(BuildCounty(options));
  Step("the county files three requests for xiaban; fengpu comments on each");
  ConnectAllButXiaban();
  std::set<std::string> expected;
  for (int i = 1; i <= 3; ++i) {
    const std::string key = absl::StrFormat("subsidy-check-%02d", i);
    Write(kCounty, "service_requests", key,
          MakeChange({AssignOp("title", Text(absl::StrCat("补贴核查第", i, "户")))}, kXiaban));
    expected.insert(absl::StrCat("service_requests/", key));
  }
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  for (int i = 1; i <= 3; ++i) {
    Write(kFengpu, "service_requests", absl::StrFormat("subsidy-check-%02d", i),
          MakeChange({AddOp("comments", {Text("镇里已核对")})}));
  }
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  Step("xiaban dials fengpu; batch 1 is applied and acknowledged, then the link is cut");
  const std::set<std::string> applied = CatchUpAndCut(1);
  ASSERT_EQ(applied.size(), 2u);
  ASSERT_NO_FATAL_FAILURE(ExpectResumeSendsNothingApplied(applied, expected));
  ExpectConvergedAndTranscript("resume_mid_batch_of_records_touched_by_two_origins", {kXiaban});
}

// --- Failover and return ---------------------------------------------------------

// §1: a child's parents are "its township first, the county as a fallback";
// §3: "failover to the county and back transfers nothing twice".
void ScenarioTest::FailOverAndReturn(bool township_rejoins_first, const std::string& golden) {
  ASSERT_NO_FATAL_FAILURE(BuildCounty());
  Step("everyone linked; xiaban files a request");
  ConnectAll();
  Write(kXiaban, "service_requests", "xiaban-water-pipe",
        MakeChange({AssignOp("title", Text("水管漏水")), StatusOp("status", "open")}, kXiaban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  Step("fengpu goes down; xiaban writes meanwhile");
  network_->Cut(kXiaban, kFengpu);
  network_->Cut(kShangban, kFengpu);
  network_->Cut(kFengpu, kCounty);
  Write(kXiaban, "service_requests", "xiaban-water-pipe",
        MakeChange({AddOp("comments", {Text("村委已登记")})}));
  Write(kXiaban, "households", "xiaban-li",
        MakeChange({AssignOp("name", Text("李秀英")), AssignOp("village", Text("夏坂"))}, kXiaban));

  Step("xiaban fails over to gutian; the county addresses a request to it");
  const size_t failover = transcript().size();
  Connect(kXiaban, kCounty);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  Write(kCounty, "service_requests", "county-to-xiaban",
        MakeChange({AssignOp("title", Text("防汛物资清点"))}, kXiaban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  EXPECT_TRUE(Held(kCounty).contains("households/xiaban-li"));
  EXPECT_TRUE(Held(kXiaban).contains("service_requests/county-to-xiaban"));

  auto township_rejoins = [&] {
    Step("fengpu comes back and dials gutian; shangban dials fengpu");
    const size_t rejoin = transcript().size();
    Connect(kFengpu, kCounty);
    Connect(kShangban, kFengpu);
    ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
    // The county sends fengpu only what fengpu lacks; fengpu sends up nothing.
    for (const Crossing& item : Crossings(transcript(), rejoin)) {
      EXPECT_EQ(item.from, kCounty) << item.name << item.context;
    }
  };
  if (township_rejoins_first) {
    ASSERT_NO_FATAL_FAILURE(township_rejoins());
  }
  Step("xiaban returns to fengpu");
  network_->Cut(kXiaban, kCounty);
  const size_t back = transcript().size();
  Connect(kXiaban, kFengpu);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  for (const Crossing& item : Crossings(transcript(), back)) {
    // Back with fengpu, xiaban sends up at most its offline writes (if the
    // county has not passed them to fengpu) and receives nothing.
    EXPECT_FALSE(township_rejoins_first) << item.name << item.context;
    EXPECT_EQ(item.from, kXiaban) << item.name << item.context;
  }
  if (!township_rejoins_first) {
    ASSERT_NO_FATAL_FAILURE(township_rejoins());
  }

  Step("xiaban writes again, through fengpu");
  Write(kXiaban, "service_requests", "xiaban-water-pipe",
        MakeChange({StatusOp("status", "resolved")}));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  // No state of a record reached fengpu or xiaban twice: fengpu got xiaban's
  // offline writes from the county or from xiaban, not both.
  std::map<std::string, int> arrivals;  // "to name context"
  for (const Crossing& item : Crossings(transcript(), failover)) {
    const int count = ++arrivals[absl::StrCat(item.to, " ", item.name, item.context)];
    EXPECT_EQ(count, 1) << item.name << item.context << " reached " << item.to << " again (from "
                        << item.from << ", line " << item.line + 1 << ")";
  }
  for (const std::string& id : {kCounty, kFengpu, kXiaban}) {
    absl::StatusOr<Record> pipe =
        network_->node(id).store().Get("service_requests", "xiaban-water-pipe");
    ASSERT_TRUE(pipe.ok()) << id << ": " << pipe.status();
    EXPECT_EQ(*pipe, network_->oracle().at({"service_requests", "xiaban-water-pipe"})) << id;
  }
  ExpectConvergedAndTranscript(golden, {kCounty, kFengpu, kXiaban});
}

TEST_F(ScenarioTest, FailoverAndReturn) {
  FailOverAndReturn(/*township_rejoins_first=*/true, "failover_and_return");
}

// The same, but xiaban is back with fengpu before fengpu is back with the
// county: fengpu gets xiaban's offline writes from xiaban, and the county,
// which had them from xiaban directly, does not send them down again.
TEST_F(ScenarioTest, FailoverAndReturnBeforeTheTownshipRejoins) {
  FailOverAndReturn(/*township_rejoins_first=*/false,
                    "failover_and_return_before_the_township_rejoins");
}

// --- Move-out -----------------------------------------------------------------------

// §4: "A record whose scope changes leaves the old village's store"; the old
// village's knowledge stays correct (it does not shrink).
TEST_F(ScenarioTest, MoveOut) {
  ASSERT_NO_FATAL_FAILURE(BuildCounty());
  Step("fengpu addresses a request to xiaban");
  ConnectAll();
  Write(kFengpu, "service_requests", "village-gate-lamp",
        MakeChange({AssignOp("title", Text("村口路灯不亮")), AssignOp("assignee", Text("夏坂村委")),
                    StatusOp("status", "assigned")},
                   kXiaban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  ASSERT_TRUE(Held(kXiaban).contains("service_requests/village-gate-lamp"));
  const conflict::VersionVector before = network_->node(kXiaban).store().Knowledge();

  Step("fengpu reassigns it to shangban");
  Write(kFengpu, "service_requests", "village-gate-lamp",
        MakeChange({AssignOp("assignee", Text("上坂村委"))}, kShangban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  EXPECT_FALSE(Held(kXiaban).contains("service_requests/village-gate-lamp"));
  EXPECT_TRUE(absl::IsNotFound(
      network_->node(kXiaban).store().Get("service_requests", "village-gate-lamp").status()));
  absl::StatusOr<Record> at_shangban =
      network_->node(kShangban).store().Get("service_requests", "village-gate-lamp");
  ASSERT_TRUE(at_shangban.ok()) << at_shangban.status();
  EXPECT_EQ(at_shangban->scope(), kShangban);
  const conflict::VersionVector after = network_->node(kXiaban).store().Knowledge();
  EXPECT_TRUE(after.Covers(before)) << before.ToString() << " -> " << after.ToString();
  EXPECT_EQ(CountContaining(transcript(), "move-out"), 1u);
  ExpectConvergedAndTranscript("move_out", {kFengpu, kXiaban, kShangban});
}

// §4: "a move-out never drops a change the old village has not yet passed up".
TEST_F(ScenarioTest, MoveOutAfterConcurrentEdit) {
  ASSERT_NO_FATAL_FAILURE(BuildCounty());
  Step("fengpu addresses a request to xiaban");
  ConnectAll();
  Write(kFengpu, "service_requests", "well-water-test",
        MakeChange({AssignOp("title", Text("水井水质检测")), StatusOp("status", "assigned")},
                   kXiaban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  const conflict::VersionVector before = network_->node(kXiaban).store().Knowledge();

  Step("xiaban is offline: it edits the request while fengpu reassigns it to shangban");
  network_->Cut(kXiaban, kFengpu);
  Write(kXiaban, "service_requests", "well-water-test",
        MakeChange({AddOp("comments", {Text("已取水样")}), AssignOp("detail", Text("送检中"))}));
  Write(kFengpu, "service_requests", "well-water-test",
        MakeChange({AssignOp("assignee", Text("上坂村委"))}, kShangban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  Step("xiaban dials fengpu again");
  Connect(kXiaban, kFengpu);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  for (const std::string& id : {kCounty, kFengpu, kShangban}) {
    absl::StatusOr<Record> record =
        network_->node(id).store().Get("service_requests", "well-water-test");
    ASSERT_TRUE(record.ok()) << id << ": " << record.status();
    EXPECT_EQ(record->scope(), kShangban) << id;
    EXPECT_EQ(SetRead(*record, "comments"), std::vector<conflict::Value>{Text("已取水样")})
        << id << " lost xiaban's edit: " << record->DebugString();
  }
  EXPECT_FALSE(Held(kXiaban).contains("service_requests/well-water-test"));
  const conflict::VersionVector after = network_->node(kXiaban).store().Knowledge();
  EXPECT_TRUE(after.Covers(before)) << before.ToString() << " -> " << after.ToString();
  ExpectConvergedAndTranscript("move_out_after_concurrent_edit", {kFengpu, kXiaban, kShangban});
}

// The same across townships, and back: the county moves xiaban's request to
// a dongqiao village's scope (gutian/dongqiao), then back to xiaban. Every
// store ends with its filter of the result (fengpu, which relays, may keep
// the record it held under a former scope; scope.h, Holds).
TEST_F(ScenarioTest, MoveOutToAnotherTownshipAndBack) {
  ASSERT_NO_FATAL_FAILURE(BuildCounty());
  Step("the county addresses a request to xiaban");
  ConnectAll();
  Write(kCounty, "service_requests", "boundary-survey",
        MakeChange({AssignOp("title", Text("林地边界复测"))}, kXiaban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  ASSERT_TRUE(Held(kXiaban).contains("service_requests/boundary-survey"));

  Step("the county moves it to dongqiao");
  Write(kCounty, "service_requests", "boundary-survey",
        MakeChange({AssignOp("assignee", Text("东桥镇林业站"))}, kDongqiao));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  EXPECT_FALSE(Held(kXiaban).contains("service_requests/boundary-survey"));
  EXPECT_TRUE(Held(kDongqiao).contains("service_requests/boundary-survey"));
  ASSERT_NO_FATAL_FAILURE(ExpectConverged());

  Step("the county moves it back to xiaban");
  Write(kCounty, "service_requests", "boundary-survey",
        MakeChange({AssignOp("assignee", Text("夏坂村委"))}, kXiaban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  EXPECT_TRUE(Held(kXiaban).contains("service_requests/boundary-survey"));
  EXPECT_FALSE(Held(kDongqiao).contains("service_requests/boundary-survey"));
  ExpectConvergedAndTranscript("move_out_to_another_township_and_back",
                               {kFengpu, kDongqiao, kXiaban});
}

// --- Forged dot refused -----------------------------------------------------------

// §4: "A parent accepts from a child only new dots whose origin is in the
// child's subtree ... Anything else is refused, logged and counted; the
// session goes on."
TEST_F(ScenarioTest, ForgedDotRefused) {
  ASSERT_NO_FATAL_FAILURE(BuildCounty());
  Step("everyone linked; the county publishes a notice, xiaban files a request");
  ConnectAll();
  Write(kCounty, "notices", "county-flood-drill",
        MakeChange({AssignOp("title", Text("防汛演练通知"))}, kCounty));
  Write(kXiaban, "service_requests", "xiaban-bridge",
        MakeChange({AssignOp("title", Text("便桥护栏松动"))}, kXiaban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  const conflict::CollectionSchema& requests = *schema_.Collection("service_requests").value();
  const conflict::HlcTimestamp now{network_->now_micros(), 0};
  const conflict::Origin xiaban = network_->node(kXiaban).store().origin();
  const conflict::Origin shangban = network_->node(kShangban).store().origin();
  const uint64_t refused_before = network_->items_refused();

  Step("xiaban sends a request carrying a dot of shangban");
  absl::StatusOr<Record> foreign = Record().Write(
      requests, MakeChange({AssignOp("title", Text("伪造的上坂请求"))}, kXiaban),
      conflict::Dot{shangban, network_->node(kShangban).store().progress().counter + 1}, now);
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  InjectFromXiaban("service_requests", "forged-shangban-dot", *foreign);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  Step("xiaban sends a change of the county's notice with its own next dot");
  Record changed;
  ASSERT_NO_FATAL_FAILURE(changed = XiabanEditsTheNotice(now));
  InjectFromXiaban("notices", "county-flood-drill", changed);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  EXPECT_EQ(network_->items_refused() - refused_before, 2u);
  EXPECT_EQ(CountContaining(transcript(),
                            "gutian/fengpu refused service_requests/forged-shangban-dot: "
                            "it carries change gutian/fengpu/shangban#"),
            1u);
  EXPECT_EQ(CountContaining(transcript(),
                            "gutian/fengpu refused notices/county-flood-drill: "
                            "it changes a record of scope gutian, outside"),
            1u);
  EXPECT_EQ(CountContaining(transcript(), "refused=1"), 2u);

  Step("the session goes on: xiaban's next request flows up");
  Write(kXiaban, "service_requests", "xiaban-culvert",
        MakeChange({AssignOp("title", Text("涵洞堵塞"))}, kXiaban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  EXPECT_TRUE(network_->Linked(kXiaban, kFengpu));
  EXPECT_EQ(CountContaining(transcript(), "closed:"), 0u);
  EXPECT_TRUE(Held(kCounty).contains("service_requests/xiaban-culvert"));

  // Never stored anywhere: no node holds the forged request, and every copy
  // of the notice is the county's (CheckConverged compares each store with
  // the acknowledged writes and finds no record nobody wrote).
  for (const std::string& id : kAllNodes) {
    EXPECT_TRUE(absl::IsNotFound(
        network_->node(id).store().Get("service_requests", "forged-shangban-dot").status()))
        << id;
  }
  ExpectConvergedAndTranscript("forged_dot_refused", {kCounty, kFengpu, kXiaban});
}

// §4 again, with dots the parent has already received: a village replays the
// county's own dot on a new county notice, and on a changed copy of the
// county's notice. Neither is a new dot, but both create or modify a record
// outside the village's authority ("A node may create or modify only records
// at or below its own scope").
// Both are refused: a change from outside the child's subtree must be one
// the township holds on that very record, and a record outside the child's
// subtree that never was in it is outside its authority.
TEST_F(ScenarioTest, ForgedReplayOfAKnownDotRefused) {
  Record published;
  ASSERT_NO_FATAL_FAILURE(published = PublishFloodDrillNotice());
  const conflict::CollectionSchema& notices = *schema_.Collection("notices").value();
  const conflict::Dot county_dot{network_->node(kCounty).store().origin(), 1};
  const conflict::HlcTimestamp now{network_->now_micros(), 0};
  const uint64_t refused_before = network_->items_refused();

  Step("xiaban sends a new county notice under the county's dot 1");
  absl::StatusOr<Record> planted = Record().Write(
      notices, MakeChange({AssignOp("title", Text("取消全部补贴"))}, kCounty), county_dot, now);
  ASSERT_TRUE(planted.ok()) << planted.status();
  InjectFromXiaban("notices", "forged-county-notice", *planted);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  Step("xiaban sends the county's notice with another title under the same dot");
  absl::StatusOr<Record> altered = Record().Write(
      notices, MakeChange({AssignOp("title", Text("演练取消"))}, kCounty), county_dot, now);
  ASSERT_TRUE(altered.ok()) << altered.status();
  InjectFromXiaban("notices", "county-flood-drill", *altered);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  EXPECT_EQ(network_->items_refused() - refused_before, 2u);
  for (const std::string& id : kAllNodes) {
    EXPECT_FALSE(Held(id).contains("notices/forged-county-notice")) << id;
    absl::StatusOr<Record> notice = network_->node(id).store().Get("notices", "county-flood-drill");
    ASSERT_TRUE(notice.ok()) << id;
    EXPECT_EQ(*notice, published) << id;
  }
  ExpectConvergedAndTranscript("forged_replay_of_a_known_dot_refused",
                               {kCounty, kFengpu, kDongqiao});
}

// §4 once more: a change of a record outside the child's subtree passes only
// if the record was in the child's subtree before (its departed scopes). The
// former scopes a child sends are its own claim: xiaban edits the county's
// notice under its own next dot and lists its own scope among the notice's
// former scopes, then files a request of its own that claims to have been
// dongqiao's (which would have it relayed to dongqiao as a ghost). Both are
// refused: where a record was is read from the township's own copy, and a
// former scope outside the child's subtree must be one the township holds.
TEST_F(ScenarioTest, ForgedFormerScopeRefused) {
  Record published;
  ASSERT_NO_FATAL_FAILURE(published = PublishFloodDrillNotice());
  const conflict::HlcTimestamp now{network_->now_micros(), 0};
  const conflict::Origin xiaban = network_->node(kXiaban).store().origin();
  const uint64_t refused_before = network_->items_refused();

  Step("xiaban edits the notice under its own dot and claims it was once its own");
  Record changed;
  ASSERT_NO_FATAL_FAILURE(changed = XiabanEditsTheNotice(now));
  InjectFromXiaban("notices", "county-flood-drill", WithFormerScope(changed, kXiaban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  Step("xiaban files a request and claims it was once dongqiao's");
  const conflict::CollectionSchema& requests = *schema_.Collection("service_requests").value();
  absl::StatusOr<Record> request = Record().Write(
      requests, MakeChange({AssignOp("title", Text("便桥护栏松动"))}, kXiaban),
      conflict::Dot{xiaban, network_->node(kXiaban).store().progress().counter + 2}, now);
  ASSERT_TRUE(request.ok()) << request.status();
  InjectFromXiaban("service_requests", "claimed-elsewhere", WithFormerScope(*request, kDongqiao));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());

  EXPECT_EQ(network_->items_refused() - refused_before, 2u);
  for (const char* refusal :
       {"notices/county-flood-drill: it changes a record of scope gutian, outside",
        "service_requests/claimed-elsewhere: it lists gutian/dongqiao among the record's former "
        "scopes"}) {
    EXPECT_EQ(CountContaining(transcript(), absl::StrCat("gutian/fengpu refused ", refusal)), 1u)
        << refusal;
  }
  for (const std::string& id : {kCounty, kFengpu}) {
    absl::StatusOr<Record> held = network_->node(id).store().Get("notices", "county-flood-drill");
    ASSERT_TRUE(held.ok()) << id;
    EXPECT_EQ(*held, published) << id;
  }
  for (const std::string& id : kAllNodes) {
    if (id == kXiaban) continue;
    EXPECT_FALSE(Held(id).contains("service_requests/claimed-elsewhere")) << id;
  }
}

// --- Version mismatch -------------------------------------------------------------

// Drives the two sessions of one link by hand (SimNetwork links share one
// protocol and one schema), transcribing every frame.
class HandLink {
 public:
  HandLink(const std::string& child, const conflict::Schema* child_schema,
           const std::string& parent, const conflict::Schema* parent_schema, SimNetwork& network,
           std::vector<std::string>& lines)
      : child_(child), parent_(parent), lines_(lines) {
    replication::SessionOptions options;
    options.role = replication::SessionOptions::Role::kChild;
    options.authenticated_peer = parent;
    child_side_ = std::make_unique<replication::Session>(options, child_schema,
                                                         &network.node(child).replica());
    options.role = replication::SessionOptions::Role::kParent;
    options.authenticated_peer = child;
    options.has_children = true;
    parent_side_ = std::make_unique<replication::Session>(options, parent_schema,
                                                          &network.node(parent).replica());
    child_side_->Start(network.now_micros());
    parent_side_->Start(network.now_micros());
  }

  replication::Session& child_side() { return *child_side_; }
  replication::Session& parent_side() { return *parent_side_; }

  // The child's pending frames, with `edit` applied to each first.
  std::vector<v1::SyncFrame> TakeFromChild(void (*edit)(v1::SyncFrame&) = nullptr) {
    std::vector<v1::SyncFrame> frames = child_side_->TakeFrames();
    for (v1::SyncFrame& frame : frames) {
      if (edit != nullptr) edit(frame);
      lines_.push_back(absl::StrCat(child_, " -> ", parent_, ": ", Describe(frame)));
    }
    return frames;
  }
  std::vector<v1::SyncFrame> TakeFromParent() {
    std::vector<v1::SyncFrame> frames = parent_side_->TakeFrames();
    for (const v1::SyncFrame& frame : frames) {
      lines_.push_back(absl::StrCat(parent_, " -> ", child_, ": ", Describe(frame)));
    }
    return frames;
  }
  void Deliver(replication::Session& to, const std::string& id,
               const std::vector<v1::SyncFrame>& frames) {
    for (const v1::SyncFrame& frame : frames) {
      to.Receive(frame);
      if (to.closed()) {
        lines_.push_back(absl::StrCat("   ", id, " closed: ", to.close_status().message()));
        return;
      }
    }
  }
  // Hellos both ways, the child's first; then whatever each side answers.
  void Run(void (*edit_child)(v1::SyncFrame&)) {
    std::vector<v1::SyncFrame> up = TakeFromChild(edit_child);
    std::vector<v1::SyncFrame> down = TakeFromParent();
    Deliver(*parent_side_, parent_, up);
    std::vector<v1::SyncFrame> answer = TakeFromParent();
    down.insert(down.end(), answer.begin(), answer.end());
    Deliver(*child_side_, child_, down);
    TakeFromChild();  // sent after its peer hung up: transcribed, not delivered
  }

 private:
  static std::string Describe(const v1::SyncFrame& frame) {
    switch (frame.frame_case()) {
      case v1::SyncFrame::kHello:
        return absl::StrFormat(
            "hello protocol=%d..%d schema=%016x", frame.hello().protocol_version(),
            frame.hello().newest_protocol_version(), frame.hello().schema_fingerprint());
      case v1::SyncFrame::kRefusal:
        return absl::StrCat("refusal ", v1::Refusal::Code_Name(frame.refusal().code()), ": ",
                            frame.refusal().message());
      case v1::SyncFrame::kBatch:
        return absl::StrCat("batch ", frame.batch().sequence(), " (", frame.batch().items_size(),
                            " items)");
      case v1::SyncFrame::kAck:
        return absl::StrCat("ack ", frame.ack().sequence());
      default:
        return "empty frame";
    }
  }

  const std::string child_;
  const std::string parent_;
  std::vector<std::string>& lines_;
  std::unique_ptr<replication::Session> child_side_;
  std::unique_ptr<replication::Session> parent_side_;
};

// The county schema with one more field in service_requests.
conflict::Schema ExtendedSchema(const conflict::Schema& base) {
  conflict::Schema extended;
  for (const auto& [name, collection] : base.collections()) {
    conflict::CollectionSchema copy = collection;
    if (name == "service_requests") {
      EXPECT_TRUE(copy.AddField("photo_url", conflict::testutil::LwwSpec()).ok());
    }
    EXPECT_TRUE(extended.AddCollection(std::move(copy)).ok());
  }
  return extended;
}

// Issue 4: "A version mismatch ends the session with a refusal that says
// what differs"; issue 16: only peers with no protocol version in common are
// refused, naming both ranges, and peers of different schemas sync.
TEST_F(ScenarioTest, ProtocolRangesAndSchemas) {
  ASSERT_NO_FATAL_FAILURE(BuildCounty());
  Write(kFengpu, "notices", "fengpu-water-cut",
        MakeChange({AssignOp("title", Text("枫浦镇周六停水"))}, kFengpu));
  Step("xiaban speaks protocol versions 3 to 4 to fengpu, which speaks 1 to 2");
  Flush();
  {
    HandLink link(kXiaban, &schema_, kFengpu, &schema_, *network_, lines_);
    link.Run([](v1::SyncFrame& frame) {
      if (!frame.has_hello()) return;
      frame.mutable_hello()->set_protocol_version(3);
      frame.mutable_hello()->set_newest_protocol_version(4);
    });
    EXPECT_TRUE(link.parent_side().closed());
    EXPECT_TRUE(link.child_side().closed());
    EXPECT_TRUE(conflict::testutil::HasError(
        link.parent_side().close_status(), absl::StatusCode::kFailedPrecondition,
        {"PROTOCOL_VERSION", "gutian/fengpu/xiaban speaks protocol versions 3 to 4",
         "gutian/fengpu speaks protocol versions 1 to 2"}));
    EXPECT_TRUE(conflict::testutil::HasError(
        link.child_side().close_status(), absl::StatusCode::kFailedPrecondition,
        {"the peer ended the session (PROTOCOL_VERSION)", "versions 3 to 4", "1 to 2"}));
    EXPECT_EQ(link.parent_side().stats().batches_sent, 0u);
  }

  Step("xiaban holds a schema with one more field (service_requests.photo_url): they sync");
  const conflict::Schema extended = ExtendedSchema(schema_);
  ASSERT_NE(extended.Fingerprint(), schema_.Fingerprint());
  {
    HandLink link(kXiaban, &extended, kFengpu, &schema_, *network_, lines_);
    link.Run(nullptr);
    EXPECT_FALSE(link.parent_side().closed()) << link.parent_side().close_status();
    EXPECT_FALSE(link.child_side().closed()) << link.child_side().close_status();
    EXPECT_EQ(link.parent_side().stats().batches_sent, 1u) << "the notice";
  }
  ExpectTranscript("protocol_ranges_and_schemas", {kXiaban});
}

// --- Offline bundles ------------------------------------------------------------

// The example county's schema file: every node's starting version.
std::string ExampleSchema() {
  std::ifstream in(SANJI_EXAMPLE_SCHEMA);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The example schema with one more lww field in service_requests.
std::string ExampleSchemaWith(const std::string& field_name) {
  v1::SchemaConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(ExampleSchema(), &config))
      << SANJI_EXAMPLE_SCHEMA;
  for (v1::CollectionConfig& collection : *config.mutable_collections()) {
    if (collection.name() != "service_requests") continue;
    v1::FieldConfig& field = *collection.add_fields();
    field.set_name(field_name);
    field.set_kind(v1::FieldConfig::LWW);
  }
  std::string out;
  google::protobuf::TextFormat::PrintToString(config, &out);
  return out;
}

// Issue 16: a schema version "reaches every node like any record: down live
// links, through relays, and in USB bundles" (node/bundle.h). No node is
// linked to any other: the county publishes version 1 and writes a request
// for xiaban with the new field, xiaban writes a household, and bundles alone
// carry each to the other; xiaban adopts the version from its bundle. Only
// then does everyone link, and every store converges.
TEST_F(ScenarioTest, BundlesBetweenNodesNeverLinked) {
  SimOptions options;
  options.schema_text = ExampleSchema();
  ASSERT_FALSE(options.schema_text.empty()) << SANJI_EXAMPLE_SCHEMA;
  ASSERT_NO_FATAL_FAILURE(BuildCounty(options));
  Step("no links; the county publishes version 1 (service_requests.photo_url) and writes with it");
  absl::StatusOr<node::SchemaAdopter::Published> published =
      network_->Publish(kCounty, ExampleSchemaWith("photo_url"));
  ASSERT_TRUE(published.ok()) << published.status();
  ASSERT_EQ(published->version, 1u);
  const Record request =
      Write(kCounty, "service_requests", "county-photo-check",
            MakeChange({AssignOp("title", Text("危房拍照复查")),
                        AssignOp("photo_url", Text("https://gutian.example/p/1.jpg"))},
                       kXiaban));
  const Record household = Write(kXiaban, "households", "xiaban-chen",
                                 MakeChange({AssignOp("name", Text("陈秀英"))}, kXiaban));
  EXPECT_EQ(network_->node(kXiaban).schema().version(), 0u);

  Step("dongqiao is neither an ancestor of xiaban nor below it: no bundle goes");
  EXPECT_TRUE(conflict::testutil::HasError(network_->ExchangeBundle(kDongqiao, kXiaban).status(),
                                           absl::StatusCode::kFailedPrecondition,
                                           {"neither an ancestor", kXiaban}));

  Step("a bundle from the county to xiaban");
  absl::StatusOr<v1::ImportBundleResponse> down = network_->ExchangeBundle(kCounty, kXiaban);
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(down->items_refused(), 0u);
  EXPECT_EQ(network_->node(kXiaban).schema().version(), 1u) << "adopted from the bundle";
  absl::StatusOr<Record> held =
      network_->node(kXiaban).store().Get("service_requests", "county-photo-check");
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(*held, request);
  EXPECT_NE(held->field("photo_url"), nullptr) << held->DebugString();

  Step("the same exchange again carries nothing");
  absl::StatusOr<v1::ImportBundleResponse> again = network_->ExchangeBundle(kCounty, kXiaban);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->items_received(), 0u);
  EXPECT_EQ(again->records_changed(), 0u);

  Step("a bundle from xiaban to the county");
  absl::StatusOr<v1::ImportBundleResponse> up = network_->ExchangeBundle(kXiaban, kCounty);
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->items_received(), 1u) << "xiaban's household";
  held = network_->node(kCounty).store().Get("households", "xiaban-chen");
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(*held, household);
  EXPECT_TRUE(network_->links().empty());
  EXPECT_EQ(network_->bundles_imported(), 3u);

  Step("everyone links and catches up");
  ConnectAll();
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  for (const std::string& id : kAllNodes) {
    EXPECT_EQ(network_->node(id).schema().version(), 1u) << id;
  }
  ExpectConvergedAndTranscript("bundles_between_nodes_never_linked", {kCounty, kXiaban});
}

// Found by bundles in the random schedules (seed 326 of
// EveryStoreConvergesToItsFilterOfAllAcknowledgedWrites with
// Schedule::ExchangeBundles) and reached here by live links alone: xiaban
// holds fengpu's change of a township record, fails over to the county,
// which meanwhile moved the record to shangban without that change, and
// sends xiaban the move-out. The change the county lacks is fengpu's, not
// xiaban's: fengpu holds it and passes it up, while xiaban, outside the
// record's filter now, never could. So xiaban drops the record
// (ApplyBatch::Item::others_held) rather than keep it outside its filter
// for good.
TEST_F(ScenarioTest, AVillageDropsAMovedOutRecordKeptOnlyForItsTownshipsChange) {
  ASSERT_NO_FATAL_FAILURE(BuildCounty());
  ConnectAll();
  Write(kFengpu, "households", "fengpu-li", MakeChange({AssignOp("name", Text("李"))}, kFengpu));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  network_->Cut(kFengpu, kCounty);
  Write(kFengpu, "households", "fengpu-li", MakeChange({AssignOp("name", Text("李明"))}));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());  // xiaban holds fengpu's change
  Write(kCounty, "households", "fengpu-li",
        MakeChange({AssignOp("name", Text("李华"))}, kShangban));
  network_->Cut(kXiaban, kFengpu);
  Connect(kXiaban, kCounty);  // failover: the county sends a move-out
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  network_->Cut(kXiaban, kCounty);
  Connect(kFengpu, kCounty);
  Connect(kXiaban, kFengpu);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  EXPECT_FALSE(Held(kXiaban).contains("households/fengpu-li"));
  ExpectConverged();
}

// Found by bundles in the random schedules (seed 2247 of
// EveryStoreConvergesToItsFilterOfAllAcknowledgedWrites with
// Schedule::ExchangeBundles) and reached here by live links alone: xiaban's
// copy of its record carries a county change fengpu lacks, so xiaban holds
// its own later change back (fengpu would refuse the county's). Its pass
// ends past that change, fengpu's move-out of the record arrives, and the
// record departs and is held again. Held again, it must still keep the
// watermark below its own change: claimed as known, fengpu would pass the
// claim to the county, and neither would ever ask for the change.
TEST_F(ScenarioTest, AReHeldDepartureKeepsTheWatermarkBelowTheChangeItHolds) {
  ASSERT_NO_FATAL_FAILURE(BuildCounty());
  ConnectAll();
  Write(kXiaban, "households", "xiaban-wang", MakeChange({AssignOp("name", Text("王"))}, kXiaban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  network_->Cut(kFengpu, kCounty);
  network_->Cut(kXiaban, kFengpu);
  Connect(kXiaban, kCounty);  // failover: the county's change reaches xiaban alone
  Write(kCounty, "households", "xiaban-wang", MakeChange({AssignOp("members", Int(4))}));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  network_->Cut(kXiaban, kCounty);
  Write(kXiaban, "households", "xiaban-wang", MakeChange({AssignOp("name", Text("王芳"))}));
  Write(kXiaban, "households", "xiaban-zhao", MakeChange({AssignOp("name", Text("赵"))}, kXiaban));
  Write(kFengpu, "households", "xiaban-wang", MakeChange({}, kShangban));
  Connect(kXiaban, kFengpu);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  Connect(kFengpu, kCounty);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  ExpectConverged();
}

// The setup of the two tests below: everyone linked, shangban's household
// record everywhere, then fengpu cut from the county and a county change of
// the record that fengpu lacks. (Both end by linking fengpu to the county.)
class MoveInScenarioTest : public ScenarioTest {
 protected:
  void CountyChangesShangbansRecordFengpuCutOff() {
    ASSERT_NO_FATAL_FAILURE(BuildCounty());
    ConnectAll();
    Write(kShangban, "households", "shangban-liu",
          MakeChange({AssignOp("name", Text("刘"))}, kShangban));
    ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
    network_->Cut(kFengpu, kCounty);
    Write(kCounty, "households", "shangban-liu", MakeChange({AssignOp("members", Int(5))}));
  }
  // Fengpu rejoins the county, which sends it the change: it must reach
  // xiaban, which holds the record now.
  void FengpuRejoinsAndAllConverge() {
    Connect(kFengpu, kCounty);
    ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
    ExpectConverged();
  }
};

// Found by bundles in the random schedules (seed 3435 of
// EveryStoreConvergesToItsFilterOfAllAcknowledgedWrites) and reached here by
// live links alone: xiaban fails over to the county and learns the county's
// changes up to its latest, among them one to a record of shangban's that
// xiaban's filter did not take. Fengpu, cut from the county, lacks that
// change and moves the record to xiaban. Xiaban's knowledge claims the
// change, so once fengpu has it, fengpu must still send it: the move into
// xiaban's filter went out while fengpu knew less of the county than xiaban.
TEST_F(MoveInScenarioTest, ARecordMovedInFromAParentThatKnewLessStillGetsWhatItLacked) {
  ASSERT_NO_FATAL_FAILURE(CountyChangesShangbansRecordFengpuCutOff());
  network_->Cut(kXiaban, kFengpu);
  Connect(kXiaban, kCounty);  // failover: xiaban learns the county's knowledge
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  network_->Cut(kXiaban, kCounty);
  Write(kFengpu, "households", "shangban-liu", MakeChange({}, kXiaban));
  Connect(kXiaban, kFengpu);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  ASSERT_NO_FATAL_FAILURE(FengpuRejoinsAndAllConverge());
}

// As above, with xiaban learning the county's change mid-session, from the
// county's USB bundle (seed 3435): fengpu sends the move not knowing xiaban
// knows more. Xiaban refuses the record, ends the session once the batch is
// acknowledged, and on the next one its hello tells fengpu what it knows.
TEST_F(MoveInScenarioTest, AChildThatLearnsMoreMidSessionTakesAMoveInFromTheNextSession) {
  ASSERT_NO_FATAL_FAILURE(CountyChangesShangbansRecordFengpuCutOff());
  absl::StatusOr<v1::ImportBundleResponse> bundle = network_->ExchangeBundle(kCounty, kXiaban);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  Write(kFengpu, "households", "shangban-liu", MakeChange({}, kXiaban));
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  EXPECT_FALSE(network_->Linked(kXiaban, kFengpu));
  EXPECT_EQ(CountContaining(transcript(), "xiaban refused households/shangban-liu: moves into"),
            1u);
  Connect(kXiaban, kFengpu);
  ASSERT_NO_FATAL_FAILURE(RunUntilQuiet());
  EXPECT_TRUE(Held(kXiaban).contains("households/shangban-liu"));
  ASSERT_NO_FATAL_FAILURE(FengpuRejoinsAndAllConverge());
}

}  // namespace
}  // namespace sanji::simulation
