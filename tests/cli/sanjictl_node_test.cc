// sanjictl against a real sanjid (ARCHITECTURE.md §6: "sanjictl: table
// output by default and --json for scripts, exit codes that mean something";
// DOMAIN.md: Chinese text throughout). One node per test: plaintext with a
// schema holding every kind and type, or, for the TLS flags, the integration
// harness's node with its certificates; the conflicts test takes a county and
// its village from that harness, to make a conflict as the network does.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "admin.pb.h"
#include "api.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/cli/sanjictl_runner.h"
#include "tests/integration/cluster.h"

namespace sanji::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSchema[] = R"(schema {
  collections {
    name: "microloans"
    fields { name: "applicant" kind: LWW }
    fields { name: "amount_fen" kind: LWW type: INT }
    fields { name: "urgent" kind: LWW type: BOOL }
    fields { name: "rate" kind: MV type: DOUBLE }
    fields { name: "status" kind: STATUS status_order: ["applied", "approved", "repaid"] }
    fields { name: "repaid_fen" kind: COUNTER }
    fields { name: "tags" kind: SET }
  }
})";

// A loopback port no one listens on now (bound to 0, read, released).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// Starts sanjid with `config` (and --insecure if asked), its log in `log`.
pid_t StartSanjid(const fs::path& config, const fs::path& log, bool insecure) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (freopen(log.c_str(), "w", stderr) == nullptr) _exit(126);
    execl(SANJID_PATH, SANJID_PATH, "--config", config.c_str(), insecure ? "--insecure" : nullptr,
          nullptr);
    _exit(127);
  }
  return pid;
}

void StopSanjid(pid_t pid) {
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
}

template <typename Message>
Message FromJson(const std::string& json) {
  Message message;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &message).ok()) << json;
  return message;
}

// One plaintext sanjid (--insecure, loopback) with the schema above.
class SanjictlNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDirectory();
    address_ = absl::StrCat("127.0.0.1:", FreePort());
    std::ofstream(dir_ / "node.conf") << "node_id: \"gutian\"\nlisten_address: \"" << address_
                                      << "\"\ndata_dir: \"data\"\n"
                                      // No status record: the tests count the node's commits.
                                      << "status_period_s: 0\n"
                                      << kSchema << "\n";
    pid_ = StartSanjid(dir_ / "node.conf", dir_ / "sanjid.log", /*insecure=*/true);
    ASSERT_TRUE(integration::WaitFor([&] { return Ctl("status").exit_code == 0; },
                                     std::chrono::seconds(30)))
        << Contents(dir_ / "sanjid.log");
  }

  void TearDown() override {
    StopSanjid(pid_);
    fs::remove_all(dir_);
  }

  // sanjictl `args` against the node.
  Result Ctl(const std::string& args) {
    return RunSanjictl(dir_, absl::StrCat(args, " --insecure --endpoint ", address_));
  }

  fs::path dir_;
  std::string address_;
  pid_t pid_ = 0;
};

TEST_F(SanjictlNodeTest, PutTypesValuesByTheSchemaAndGetShowsThem) {
  Result put =
      Ctl("put microloans 林秀英-春耕 applicant=林秀英 amount_fen=500000 urgent=true rate=0.035 "
          "--incr repaid_fen=1200 --add tags=春耕 --add tags=茶叶 --scope gutian");
  ASSERT_EQ(put.exit_code, 0) << put.err;

  Result get = Ctl("get microloans 林秀英-春耕");
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr("key         林秀英-春耕\nscope       gutian\n"));
  const std::string fields = get.out.substr(get.out.find("FIELD"));
  EXPECT_EQ(fields,
            "FIELD       KIND     VALUE\n"
            "amount_fen  lww      500000\n"
            "applicant   lww      林秀英\n"
            "rate        mv       0.035\n"
            "repaid_fen  counter  1200\n"
            "status      status   applied\n"
            "tags        set      {春耕, 茶叶}\n"
            "urgent      lww      true\n");

  // A status advances through FIELD=VALUE; --json gives the record.
  ASSERT_EQ(Ctl("put microloans 林秀英-春耕 status=approved").exit_code, 0);
  const v1::Record record = FromJson<v1::Record>(Ctl("get microloans 林秀英-春耕 --json").out);
  EXPECT_EQ(record.fields().at("status").status(), "approved");
  EXPECT_EQ(record.fields().at("amount_fen").lww().integer(), 500000);
  EXPECT_EQ(record.fields().at("urgent").lww().flag(), true);
}

// Each --incr, --add, --remove or --status takes one FIELD=VALUE: the
// assignments written after one are assignments still, not set elements.
TEST_F(SanjictlNodeTest, RepeatedFlagsTakeOneValueEach) {
  Result put =
      Ctl("put microloans 黄志强-香菇 --add tags=春耕 applicant=黄志强 --incr repaid_fen=5 "
          "amount_fen=3000000 --add tags=茶叶 --status status=approved --scope gutian");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  const std::string get = Ctl("get microloans 黄志强-香菇").out;
  EXPECT_EQ(get.substr(get.find("FIELD")),
            "FIELD       KIND     VALUE\n"
            "amount_fen  lww      3000000\n"
            "applicant   lww      黄志强\n"
            "repaid_fen  counter  5\n"
            "status      status   approved\n"
            "tags        set      {春耕, 茶叶}\n");
}

TEST_F(SanjictlNodeTest, ValueOfTheWrongTypeIsAUsageErrorNamingTheField) {
  Result put = Ctl("put microloans k amount_fen=五千 --scope gutian");
  EXPECT_EQ(put.exit_code, 2);
  EXPECT_THAT(put.err, HasSubstr("field amount_fen (lww of int) takes an integer: \"五千\""));
  // Nothing was written.
  EXPECT_EQ(Ctl("get microloans k").exit_code, 3);
}

TEST_F(SanjictlNodeTest, LsAlignsChineseKeysAndStopsAtTheLimit) {
  ASSERT_EQ(Ctl("put microloans 甲 applicant=王 --scope gutian").exit_code, 0);
  ASSERT_EQ(Ctl("put microloans b2 applicant=李四 --scope gutian").exit_code, 0);
  ASSERT_EQ(Ctl("put microloans 乙丙 amount_fen=7 --scope gutian").exit_code, 0);

  Result ls = Ctl("ls microloans");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  // Keys in byte order; each SCOPE starts in the same column.
  std::vector<std::string> lines;
  for (size_t at = 0, next; (next = ls.out.find('\n', at)) != std::string::npos; at = next + 1) {
    lines.push_back(ls.out.substr(at, next - at));
  }
  ASSERT_EQ(lines.size(), 4u) << ls.out;
  EXPECT_EQ(lines[1].substr(0, 14), "b2    gutian  ");
  EXPECT_EQ(lines[2].substr(0, 14), "乙丙  gutian");
  EXPECT_EQ(lines[3].substr(0, 13), "甲    gutian");
  EXPECT_THAT(lines[2], HasSubstr("amount_fen=7"));

  Result limited = Ctl("ls microloans --limit 2");
  EXPECT_THAT(limited.out, HasSubstr("more records: raise --limit"));
  const v1::ListResponse page = FromJson<v1::ListResponse>(Ctl("ls microloans b --json").out);
  ASSERT_EQ(page.records_size(), 1);
  EXPECT_EQ(page.records(0).key(), "b2");
  EXPECT_TRUE(page.next_page_token().empty());

  // Issue 22: a cut JSON listing says so with the token that goes on.
  const v1::ListResponse cut =
      FromJson<v1::ListResponse>(Ctl("ls microloans --limit 2 --json").out);
  ASSERT_EQ(cut.records_size(), 2);
  ASSERT_FALSE(cut.next_page_token().empty());
  const v1::ListResponse rest = FromJson<v1::ListResponse>(
      Ctl(absl::StrCat("ls microloans --json --page-token ", cut.next_page_token())).out);
  ASSERT_EQ(rest.records_size(), 1);
  EXPECT_EQ(rest.records(0).key(), "甲");
  EXPECT_TRUE(rest.next_page_token().empty());
}

TEST_F(SanjictlNodeTest, RmDeletesAndGetShowsTheTombstone) {
  ASSERT_EQ(Ctl("put microloans gone applicant=x --scope gutian").exit_code, 0);
  Result rm = Ctl("rm microloans gone");
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(rm.out, "deleted microloans/gone\n");
  EXPECT_THAT(Ctl("get microloans gone").out, HasSubstr("deleted     yes"));
  EXPECT_THAT(Ctl("ls microloans").out, Not(HasSubstr("gone")));
}

TEST_F(SanjictlNodeTest, StatusJsonIsTheNodeStatus) {
  ASSERT_EQ(Ctl("put microloans k applicant=x --scope gutian").exit_code, 0);
  Result status = Ctl("status --json");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const v1::NodeStatus parsed = FromJson<v1::NodeStatus>(status.out);
  EXPECT_EQ(parsed.node_id(), "gutian");
  EXPECT_EQ(parsed.listen_address(), address_);
  EXPECT_EQ(parsed.commits(), 1u);
  EXPECT_EQ(parsed.knowledge().entries_size(), 1);
  // Issue 22: node ids inside the knowledge read as text, not base64.
  EXPECT_THAT(status.out, HasSubstr(R"("origin":{"node_id":"gutian")")) << status.out;

  Result table = Ctl("status");
  EXPECT_THAT(table.out, HasSubstr("node         gutian\n"));
  EXPECT_THAT(table.out, HasSubstr("no sync links"));
}

TEST_F(SanjictlNodeTest, WatchPrintsOneLinePerRecord) {
  ASSERT_EQ(Ctl("put microloans 甲 applicant=王 --scope gutian").exit_code, 0);
  // watch runs until stopped: `timeout` stops it (exit 124) after it printed.
  Result stopped = RunSanjictl(
      dir_, absl::StrCat("watch microloans --from-start --insecure --endpoint ", address_),
      "timeout 2");
  EXPECT_EQ(stopped.exit_code, 124) << stopped.err;
  EXPECT_THAT(stopped.out, HasSubstr("microloans/甲  gutian  applicant=王, status=applied\n"));
}

TEST_F(SanjictlNodeTest, ExitCodesSayWhatWentWrong) {
  Result missing = Ctl("get microloans nobody");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, HasSubstr("nobody"));
  EXPECT_EQ(Ctl("get nosuch k").exit_code, 3);
  EXPECT_EQ(Ctl("put nosuch k a=b").exit_code, 3);

  for (const char* usage : {"get microloans", "put", "ls microloans --limit 0", "status --bad",
                            "put microloans k nosuch=1", "put microloans k tags=x"}) {
    EXPECT_EQ(Ctl(usage).exit_code, 2) << usage;
  }

  Result unreachable =
      RunSanjictl(dir_, absl::StrCat("status --insecure --endpoint 127.0.0.1:", FreePort()));
  EXPECT_EQ(unreachable.exit_code, 5);
  EXPECT_THAT(unreachable.err, HasSubstr("node at 127.0.0.1:"));

  Result no_tls = RunSanjictl(dir_, absl::StrCat("status --endpoint ", address_));
  EXPECT_EQ(no_tls.exit_code, 2);
  EXPECT_THAT(no_tls.err, HasSubstr("pass --ca FILE or set SANJI_CA"));
  EXPECT_EQ(RunSanjictl(dir_, "status --insecure --endpoint 10.1.2.3:7000").exit_code, 2);
}

// export, import and backup: each failure with its exit code and a message
// naming the problem. (A bundle carried between two nodes, end to end, is in
// tests/integration/.)
TEST_F(SanjictlNodeTest, BundleAndBackupExitCodesSayWhatWentWrong) {
  // The county knows nothing of what a node below it holds yet.
  Result unknown = Ctl("export --for gutian/fengpu -o down.bundle");
  EXPECT_EQ(unknown.exit_code, 1) << unknown.err;
  EXPECT_THAT(unknown.err, HasSubstr("holds no status record of gutian/fengpu"));
  EXPECT_FALSE(fs::exists(dir_ / "down.bundle"));
  EXPECT_FALSE(fs::exists(dir_ / "down.bundle.part"));
  Result elsewhere = Ctl("export --for hongshan --knowledge-only -o k.bundle");
  EXPECT_EQ(elsewhere.exit_code, 1);
  EXPECT_THAT(elsewhere.err, HasSubstr("hongshan is neither an ancestor of gutian"));

  Result knowledge = Ctl("export --for gutian/fengpu --knowledge-only -o k.bundle");
  ASSERT_EQ(knowledge.exit_code, 0) << knowledge.err;
  EXPECT_THAT(knowledge.out, HasSubstr("knowledge only"));
  const std::string bytes = Contents(dir_ / "k.bundle");
  ASSERT_FALSE(bytes.empty());

  // Made for another node.
  Result wrong_node = Ctl("import k.bundle");
  EXPECT_EQ(wrong_node.exit_code, 1);
  EXPECT_THAT(wrong_node.err, HasSubstr("the bundle is for gutian/fengpu (made by gutian); this "
                                        "node is gutian"));
  // Not there, not a bundle, cut short, changed.
  EXPECT_EQ(Ctl("import nosuch.bundle").exit_code, 3);
  std::ofstream(dir_ / "notes.txt") << "收据\n";
  Result not_bundle = Ctl("import notes.txt");
  EXPECT_EQ(not_bundle.exit_code, 2);
  EXPECT_THAT(not_bundle.err, HasSubstr("notes.txt is not a Sanji bundle"));
  EXPECT_EQ(Ctl("export --for gutian/fengpu --knowledge notes.txt -o x.bundle").exit_code, 2);
  std::ofstream(dir_ / "cut.bundle", std::ios::binary) << bytes.substr(0, bytes.size() - 10);
  Result cut = Ctl("import cut.bundle");
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_THAT(cut.err, HasSubstr("cut.bundle is truncated"));
  std::string changed = bytes;
  changed[changed.size() / 2] ^= 0x01;
  std::ofstream(dir_ / "changed.bundle", std::ios::binary) << changed;
  Result corrupt = Ctl("import changed.bundle");
  EXPECT_EQ(corrupt.exit_code, 1);
  EXPECT_THAT(corrupt.err, HasSubstr("changed.bundle is"));
  // Usage.
  EXPECT_EQ(Ctl("export -o x.bundle").exit_code, 2);
  EXPECT_EQ(Ctl("export --for gutian/fengpu").exit_code, 2);
  EXPECT_EQ(Ctl("export --for gutian/fengpu -o x --knowledge k.bundle --knowledge-only").exit_code,
            2);
  EXPECT_EQ(Ctl("import").exit_code, 2);

  Result backup = Ctl("backup -o backup");
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_THAT(backup.out, HasSubstr((dir_ / "backup").string()));
  EXPECT_TRUE(fs::exists(dir_ / "backup" / "SANJI"));
  EXPECT_FALSE(fs::exists(dir_ / "backup" / "IDENTITY"));
  Result again = Ctl("backup -o backup");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("exists and is not empty"));
}

// Over mutual TLS, with the operator's client certificate given by flags
// after the subcommand or by the SANJI_* variables. The integration harness
// makes the CA, the certificates and the config; sanjictl itself waits for
// the node to serve.
TEST(SanjictlTlsTest, StatusOverMutualTlsWithFlagsOrEnvironment) {
  integration::Cluster cluster;
  cluster.AddNode("gutian", {}, /*leaf=*/false);
  const v1::TlsConfig tls = cluster.Issue(authz::Identity::Operator("operator", "gutian"));
  const fs::path dir = FreshTestDirectory();
  const pid_t pid = StartSanjid(cluster.config_path("gutian"), dir / "sanjid.log", false);
  const std::string flags =
      absl::StrCat(" --endpoint ", cluster.address("gutian"), " --ca ", tls.ca_file(), " --cert ",
                   tls.cert_file(), " --key ", tls.key_file());
  Result by_flags;
  EXPECT_TRUE(integration::WaitFor(
      [&] {
        by_flags = RunSanjictl(dir, absl::StrCat("status --json", flags));
        return by_flags.exit_code == 0;
      },
      std::chrono::seconds(30)))
      << by_flags.err << Contents(dir / "sanjid.log");
  EXPECT_EQ(FromJson<v1::NodeStatus>(by_flags.out).node_id(), "gutian");

  Result by_env =
      RunSanjictl(dir, absl::StrCat("--endpoint ", cluster.address("gutian"), " status"),
                  absl::StrCat("SANJI_CA=", tls.ca_file(), " SANJI_CERT=", tls.cert_file(),
                               " SANJI_KEY=", tls.key_file()));
  EXPECT_EQ(by_env.exit_code, 0) << by_env.err;
  EXPECT_THAT(by_env.out, HasSubstr("node         gutian\n"));

  // A missing TLS file is named.
  Result no_key = RunSanjictl(
      dir, absl::StrCat("status --endpoint ", cluster.address("gutian"), " --ca ", tls.ca_file(),
                        " --cert ", tls.cert_file(), " --key nowhere.key"));
  EXPECT_EQ(no_key.exit_code, 3);
  EXPECT_THAT(no_key.err, HasSubstr("nowhere.key"));
  StopSanjid(pid);
  fs::remove_all(dir);
}

// A conflict made honestly: a county and its village write one mv field while
// apart (the village runs with a parent no one answers at), then reconnect.
// The county lists the event, a person resolves it by writing the value they
// chose, and the store stays consistent.
TEST(SanjictlConflictsTest, ConcurrentWritesShowUpAndAPersonResolvesThem) {
  constexpr char kCounty[] = "gutian";
  constexpr char kVillage[] = "gutian/xiaban";
  integration::ClusterOptions options{
      .on_error = [](const std::string& error) { ADD_FAILURE() << error; }};
  v1::CollectionConfig* households = options.schema.add_collections();
  households->set_name("households");
  v1::FieldConfig* income = households->add_fields();
  income->set_name("annual_income");
  income->set_kind(v1::FieldConfig::MV);
  income->set_type(v1::FieldConfig::INT);
  v1::FieldConfig* name = households->add_fields();
  name->set_name("name");
  name->set_kind(v1::FieldConfig::LWW);
  name->set_type(v1::FieldConfig::STRING);
  integration::Cluster cluster(options);
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kVillage, {kCounty}, true);
  const v1::TlsConfig tls = cluster.Issue(authz::Identity::Operator("operator", "gutian"));
  const fs::path dir = FreshTestDirectory();
  const auto ctl = [&](const std::string& node, const std::string& args) {
    return RunSanjictl(
        dir, absl::StrCat(args, " --endpoint ", cluster.address(node), " --ca ", tls.ca_file(),
                          " --cert ", tls.cert_file(), " --key ", tls.key_file()));
  };

  // The record reaches the village first, so only the income and the name
  // conflict.
  cluster.StartAll();
  ASSERT_EQ(ctl(kCounty, "put households 林家 annual_income=40000 --scope gutian/xiaban").exit_code,
            0);
  ASSERT_TRUE(
      integration::WaitFor([&] { return ctl(kVillage, "get households 林家").exit_code == 0; },
                           std::chrono::seconds(10)));

  ASSERT_EQ(cluster.Stop(kVillage), 0);
  cluster.SetParentAddresses(kVillage, {{kCounty, "127.0.0.1:1"}});
  cluster.Start(kVillage);
  ASSERT_EQ(ctl(kVillage, "put households 林家 annual_income=52000 name=林秀").exit_code, 0);
  ASSERT_EQ(ctl(kCounty, "put households 林家 annual_income=48000 name=林秀英").exit_code, 0);
  ASSERT_EQ(cluster.Stop(kVillage), 0);
  cluster.SetParentAddresses(kVillage, {{kCounty, cluster.address(kCounty)}});
  cluster.Start(kVillage);

  v1::ListConflictsResponse listed;
  ASSERT_TRUE(integration::WaitFor(
      [&] {
        listed = FromJson<v1::ListConflictsResponse>(ctl(kCounty, "conflicts ls --json").out);
        return listed.entries_size() >= 2;
      },
      std::chrono::seconds(10)))
      << cluster.Log(kCounty);
  ASSERT_EQ(listed.entries_size(), 2);
  const bool income_first = listed.entries(0).field() == "annual_income";
  const v1::ConflictEntry& event = listed.entries(income_first ? 0 : 1);
  const v1::ConflictEntry& name_event = listed.entries(income_first ? 1 : 0);
  EXPECT_EQ(name_event.field(), "name");
  EXPECT_EQ(name_event.kind(), v1::ConflictEntry::LWW_OVERWRITE);
  EXPECT_EQ(event.collection(), "households");
  EXPECT_EQ(event.key(), "林家");
  EXPECT_EQ(event.field(), "annual_income");
  EXPECT_EQ(event.kind(), v1::ConflictEntry::MV_SIBLINGS);
  EXPECT_FALSE(event.resolved());
  const std::string seq = absl::StrCat(event.sequence());

  Result table = ctl(kCounty, "conflicts ls");
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("households/林家  annual_income  mv "));
  EXPECT_THAT(table.out, HasSubstr("52000"));
  EXPECT_THAT(table.out, HasSubstr("48000"));
  Result show = ctl(kCounty, "conflicts show " + seq);
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("kind          mv\n"));
  EXPECT_THAT(show.out, HasSubstr("change  gutian/xiaban#"));

  // Unknown events are NotFound, and resolving one writes nothing.
  Result unknown = ctl(kCounty, "conflicts show 999");
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_THAT(unknown.err, HasSubstr("999"));
  EXPECT_EQ(ctl(kCounty, "conflicts resolve 999 --value 1").exit_code, 3);

  Result resolve = ctl(kCounty, "conflicts resolve " + seq + " --value 50000");
  ASSERT_EQ(resolve.exit_code, 0) << resolve.err;
  EXPECT_EQ(resolve.out, absl::StrCat("wrote households/林家 annual_income = 50000\n"
                                      "resolved conflict ",
                                      seq, "\n"));
  const v1::Record record = FromJson<v1::Record>(ctl(kCounty, "get households 林家 --json").out);
  ASSERT_EQ(record.fields().at("annual_income").mv().values_size(), 1);
  EXPECT_EQ(record.fields().at("annual_income").mv().values(0).integer(), 50000);

  // Keeping the lww name that won is a write of it too, so that every node
  // reads the event settled.
  Result keep = ctl(kCounty, absl::StrCat("conflicts resolve ", name_event.sequence()));
  ASSERT_EQ(keep.exit_code, 0) << keep.err;
  EXPECT_EQ(keep.out,
            absl::StrCat("kept the value households/林家 name reads now (written again, so that "
                         "every node reads it settled)\nresolved conflict ",
                         name_event.sequence(), "\n"));

  EXPECT_EQ(ctl(kCounty, "conflicts ls").out, "no conflicts\n");
  const auto all =
      FromJson<v1::ListConflictsResponse>(ctl(kCounty, "conflicts ls --all --json").out);
  ASSERT_EQ(all.entries_size(), 2);
  for (const v1::ConflictEntry& entry : all.entries()) {
    EXPECT_TRUE(entry.resolved());
    EXPECT_GT(entry.resolved_at().physical_micros(), 0);
  }
  EXPECT_THAT(ctl(kCounty, "conflicts ls --all").out, Not(HasSubstr("  no\n")));

  // The village logged the same events when it merged; the values written
  // here settle them there once they arrive: nothing is left open anywhere.
  ASSERT_TRUE(
      integration::WaitFor([&] { return ctl(kVillage, "conflicts ls").out == "no conflicts\n"; },
                           std::chrono::seconds(10)))
      << ctl(kVillage, "conflicts ls").out;
  const auto at_village =
      FromJson<v1::ListConflictsResponse>(ctl(kVillage, "conflicts ls --all --json").out);
  ASSERT_EQ(at_village.entries_size(), 2);
  for (const v1::ConflictEntry& entry : at_village.entries()) {
    EXPECT_FALSE(entry.resolved());
    EXPECT_TRUE(entry.settled()) << entry.field();
  }
  EXPECT_THAT(ctl(kVillage, "conflicts ls --all").out, HasSubstr("by a later write\n"));

  Result check = ctl(kCounty, "check");
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_EQ(check.out, "consistent\n");
  EXPECT_TRUE(FromJson<v1::CheckResponse>(ctl(kCounty, "check --json").out).consistent());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sanji::cli
