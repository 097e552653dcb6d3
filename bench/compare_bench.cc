// Sanji against PouchDB, side by side (issue 7), in one run on loopback:
// the same workload on real sanjid processes (mutual TLS, the network
// benchmark's machinery, bench/network_workload.h) and on PouchDB nodes,
// each a Node.js process serving its LevelDB-backed database over HTTP with
// express-pouchdb (bench/compare/pouchdb_node.js, driven by
// bench/compare/driver.js, which says what it runs on that side).
//
// The workload: n service requests (~300 bytes as Sanji encodes them: Chinese
// title, detail and requester, a status; the same generator for both, the
// PouchDB documents exported to a JSON-lines file) written at a village while
// offline, then
//  - catch-up, one hop: the village replicates to a fresh township through a
//    counting TCP proxy (bytes on the wire both ways, per record), with each
//    process's peak resident set (VmHWM);
//  - catch-up, two hops: a fresh township forwards to a fresh county while it
//    receives; until the county holds everything;
//  - incremental: 1,000 more requests written at the village while its link is
//    down, then one sync;
//  - no-op: a fresh sync with nothing new, connection and handshake included
//    (median of kNoOpRepeats), at n and, for Sanji, at 1M records;
//  - live: one put every 50 ms at the village for a minute, received by a
//    watch (Sanji) or a continuous _changes feed (PouchDB) at the county.
//
// How Sanji's syncs are timed. Catch-up: from the village's spawn until the
// receiver's knowledge (AdminService.Status) covers the village's counter.
// Incremental and no-op: the village dials through the proxy, which is the
// link's switch (bench/counting_proxy.h): it drops the connection (and, for
// the incremental sync, refuses new ones while the records are written); the
// village's dialer redials after its backoff. The clock starts when the proxy
// accepts the new connection (so the backoff wait is left out; the TCP
// connection, TLS handshake, hellos and batches are in) and stops at the
// village link's LIVE since_micros (node/sync_link.h: hellos exchanged,
// nothing in flight either way, nothing left to send), both wall clock.
// PouchDB's are timed around db.replicate.to() in the village's process;
// its one-shot replications go through its own counting proxy too.
//
// Each figure is printed for both systems with the ratio Sanji/PouchDB, and
// each target of issue 7 as a {"target":...} line. Knobs (environment):
// SANJI_COMPARE_RECORDS (100000), SANJI_COMPARE_LARGE (1000000; the no-op's
// second size, Sanji only; 0 skips it), SANJI_COMPARE_LIVE_SECONDS (60),
// SANJI_COMPARE_BATCH_SIZES (500,1000,2000: tried besides PouchDB's default
// of 100), SANJI_SEED. Node.js and npm are required: `npm ci` installs
// bench/compare/package-lock.json into build/bench/compare-node on first use.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/engine_workload.h"
#include "bench/harness/json_lines_reporter.h"
#include "bench/network_workload.h"
#include "conflict/status_macros.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "node/tls.h"

extern char** environ;

namespace sanji::bench {
namespace {

using integration::Cluster;

constexpr char kBench[] = "compare";
constexpr int kMoreRecords = 1000;
constexpr int kNoOpRepeats = 20;
constexpr int kIncrementalRepeats = 3;
constexpr auto kLiveInterval = std::chrono::milliseconds(50);
constexpr auto kSyncTimeout = std::chrono::seconds(60);
// Flat: the no-op sync at the large size takes at most this many times as
// long as at the small one.
constexpr double kFlatRatio = 1.5;

size_t EnvSize(const char* name, size_t fallback) {
  const char* text = std::getenv(name);
  size_t value = 0;
  if (text == nullptr || !absl::SimpleAtoi(text, &value)) return fallback;
  return value;
}

size_t Records() { return std::max<size_t>(EnvSize("SANJI_COMPARE_RECORDS", 100'000), 1); }
size_t LargeRecords() { return EnvSize("SANJI_COMPARE_LARGE", 1'000'000); }
int LiveWrites() {
  const size_t seconds = EnvSize("SANJI_COMPARE_LIVE_SECONDS", 60);
  return static_cast<int>(std::max<size_t>(1, seconds * 1000 / kLiveInterval.count()));
}
std::vector<int> BatchSizes() {
  const char* text = std::getenv("SANJI_COMPARE_BATCH_SIZES");
  std::vector<int> sizes = {0};  // PouchDB's default
  for (absl::string_view part : absl::StrSplit(text != nullptr ? text : "500,1000,2000", ',')) {
    int size = 0;
    if (absl::SimpleAtoi(part, &size) && size > 0) sizes.push_back(size);
  }
  return sizes;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrCat(one, " ", five, " ", fifteen);
}

void Progress(const std::string& what) {
  std::fprintf(stderr, "compare bench: %s (load %s)\n", what.c_str(), LoadAverage().c_str());
}

// --- The records -----------------------------------------------------------------

// A service request as an application writes it.
struct Request {
  std::string key;
  std::vector<std::pair<std::string, std::string>> text;  // field, value
};

Request NextRequest(RequestStream& stream) {
  Request request;
  const conflict::Change change = ChangeOf(stream.Next(&request.key));
  for (const conflict::FieldOp& op : change.ops) {
    if (const auto* assign = std::get_if<conflict::Assign>(&op.operation)) {
      request.text.emplace_back(op.field, std::get<std::string>(assign->value));
    }
  }
  return request;
}

// The PouchDB document of `request`: its key as _id, its fields.
std::string Document(const Request& request) {
  std::string json = absl::StrCat("{\"_id\":", JsonString(request.key));
  for (const auto& [field, value] : request.text) {
    absl::StrAppend(&json, ",", JsonString(field), ":", JsonString(value));
  }
  return json + ",\"status\":\"open\"}";
}

v1::PutRequest PutOf(const Request& request) {
  v1::PutRequest put;
  put.set_collection(kRequests);
  put.set_key(request.key);
  put.set_scope(kVillage);
  for (const auto& [field, value] : request.text) {
    v1::FieldOperation* op = put.add_ops();
    op->set_field(field);
    op->mutable_assign()->set_text(value);
  }
  v1::FieldOperation* status = put.add_ops();
  status->set_field("status");
  status->set_set_status("open");
  return put;
}

// --- Running Node.js -----------------------------------------------------------

// Runs `argv` (looked up in PATH) with `env` added to the environment; its
// stderr is this process's, its stdout returned if `capture`, else sent to
// stderr too. Error if it cannot start or exits non-zero.
absl::StatusOr<std::string> Run(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env, bool capture) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> environment(env);
  for (char** entry = environ; *entry != nullptr; ++entry) environment.emplace_back(*entry);
  std::vector<char*> envp;
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, capture ? out[1] : STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  std::string output;
  if (spawned == 0) {
    char buffer[4096];
    for (ssize_t got; (got = read(out[0], buffer, sizeof buffer)) > 0;) output.append(buffer, got);
  }
  close(out[0]);
  if (spawned != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", argv[0], ": ", std::strerror(spawned)));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(absl::StrJoin(argv, " ").substr(0, 200),
                                            " failed (wait status ", status, ")"));
  }
  return output;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Checks for node and npm and installs the pinned PouchDB packages into
// SANJI_COMPARE_NODE_DIR when its package-lock.json differs from ours.
absl::Status PrepareNode() {
  for (const char* tool : {"node", "npm"}) {
    absl::StatusOr<std::string> version = Run({tool, "--version"}, {}, /*capture=*/true);
    if (!version.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the PouchDB side needs Node.js (v18 or later) and npm, and `", tool,
                       " --version` failed: ", version.status().message(),
                       ". On Debian 12: apt-get install nodejs npm"));
    }
    std::fprintf(stderr, "compare bench: %s %s", tool, version->c_str());
  }
  const std::string source = SANJI_COMPARE_SOURCE_DIR;
  const std::string target = SANJI_COMPARE_NODE_DIR;
  const std::string lock = ReadFile(source + "/package-lock.json");
  if (std::filesystem::exists(target + "/node_modules") &&
      ReadFile(target + "/package-lock.json") == lock) {
    return absl::OkStatus();
  }
  std::filesystem::create_directories(target);
  for (const char* file : {"package.json", "package-lock.json"}) {
    std::filesystem::copy_file(source + "/" + file, target + "/" + file,
                               std::filesystem::copy_options::overwrite_existing);
  }
  Progress(absl::StrCat("npm ci into ", target));
  return Run({"npm", "ci", "--no-audit", "--no-fund", "--prefix", target}, {}, false).status();
}

// --- The PouchDB side ------------------------------------------------------------

using Figures = std::map<std::string, double>;

struct PouchResult {
  absl::Status status;
  Figures figures;
  double seconds = 0;
};

// Writes the documents of the records file: n backlog, kMoreRecords
// incremental, `live` live ones. Returns their mean size in bytes.
absl::StatusOr<double> WriteDocuments(const std::string& path, size_t records, int live) {
  std::ofstream out(path);
  RequestStream stream(WorkloadSeed(kBench) + 1'000'003);
  const size_t count = records + kMoreRecords + static_cast<size_t>(live);
  size_t bytes = 0;
  for (size_t i = 0; i < count; ++i) {
    const std::string document = Document(NextRequest(stream));
    bytes += document.size();
    out << document << '\n';
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return static_cast<double>(bytes) / static_cast<double>(count);
}

absl::Status RunPouchDB(PouchResult& result) {
  BenchDir dir;
  const std::string records = dir.path() + "/records.jsonl";
  SANJI_ASSIGN_OR_RETURN(result.figures["document_bytes"],
                         WriteDocuments(records, Records(), LiveWrites()));
  std::vector<std::string> sizes;
  for (int size : BatchSizes()) sizes.push_back(absl::StrCat(size));
  const std::string config = absl::StrCat(
      "{\"records\":", JsonString(records), ",\"work\":", JsonString(dir.path() + "/work"),
      ",\"n\":", Records(), ",\"more\":", kMoreRecords, ",\"batch_sizes\":[",
      absl::StrJoin(sizes, ","), "],\"noop_repeats\":", kNoOpRepeats,
      ",\"live_writes\":", LiveWrites(), ",\"live_interval_ms\":", kLiveInterval.count(), "}");
  Progress("PouchDB side: bench/compare/driver.js");
  const Clock::time_point start = Clock::now();
  SANJI_ASSIGN_OR_RETURN(const std::string output,
                         Run({"node", absl::StrCat(SANJI_COMPARE_SOURCE_DIR, "/driver.js"), config},
                             {absl::StrCat("NODE_PATH=", SANJI_COMPARE_NODE_DIR, "/node_modules")},
                             /*capture=*/true));
  result.seconds = Seconds(Clock::now() - start);
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    const std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    double value = 0;
    if (parts.size() == 3 && parts[0] == "figure" && absl::SimpleAtod(parts[2], &value)) {
      result.figures[std::string(parts[1])] = value;
    }
  }
  return absl::OkStatus();
}

const PouchResult& PouchDB() {
  static const PouchResult* result = [] {
    auto* run = new PouchResult;
    run->status = RunPouchDB(*run);
    return run;
  }();
  return *result;
}

// --- The Sanji side ----------------------------------------------------------------

struct SanjiResult {
  absl::Status status;
  Figures figures;
  double seconds = 0;
};

// A copy of `backlog`'s store, for a run that adds records to it.
absl::StatusOr<std::unique_ptr<Backlog>> CopyOf(const Backlog& backlog) {
  auto copy = std::make_unique<Backlog>();
  copy->path = copy->dir.path() + "/village";
  copy->counter = backlog.counter;
  std::error_code error;
  std::filesystem::copy(backlog.path, copy->path, std::filesystem::copy_options::recursive, error);
  if (error) return absl::InternalError(absl::StrCat("copy ", backlog.path, ": ", error.message()));
  return copy;
}

absl::StatusOr<v1::LinkStatus> VillageLink(Cluster& cluster) {
  SANJI_ASSIGN_OR_RETURN(const v1::NodeStatus status, cluster.Status(kVillage));
  if (status.links_size() == 0) return absl::InternalError("the village has no link");
  return status.links(0);
}

// Waits for the village's next session through the proxy, after
// `connections` earlier ones, to be LIVE; returns its time from the proxy's
// accept of its connection to LIVE, in ms.
absl::StatusOr<double> NextSessionMillis(Tree& tree, uint64_t connections) {
  const Clock::time_point deadline = Clock::now() + kSyncTimeout;
  for (;;) {
    const CountingProxy::Connections now = tree.proxy->connections();
    if (now.count > connections) {
      SANJI_ASSIGN_OR_RETURN(const v1::LinkStatus link, VillageLink(*tree.cluster));
      if (link.state() == v1::LinkStatus::LIVE && link.since_micros() >= now.last_accept_micros) {
        if (tree.proxy->connections().count != connections + 1) {
          return absl::InternalError("the village dialed more than once for one session");
        }
        return static_cast<double>(link.since_micros() - now.last_accept_micros) / 1e3;
      }
    }
    if (Clock::now() > deadline) return absl::DeadlineExceededError("no new session in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// Drops the village's connection and times the fresh session that follows.
absl::StatusOr<double> NoOpSync(Tree& tree) {
  const uint64_t connections = tree.proxy->connections().count;
  tree.proxy->Sever();
  return NextSessionMillis(tree, connections);
}

// Takes the village offline, writes kMoreRecords at it from 16 clients,
// brings it back and times the session that carries them.
absl::StatusOr<double> IncrementalSync(Tree& tree, RequestStream& stream) {
  Cluster& cluster = *tree.cluster;
  tree.proxy->SetOffline(true);
  tree.proxy->Sever();
  if (!integration::WaitFor([&] {
        const absl::StatusOr<v1::LinkStatus> link = VillageLink(cluster);
        return link.ok() && link->state() != v1::LinkStatus::LIVE;
      })) {
    return absl::DeadlineExceededError("the village did not notice its link drop");
  }
  std::vector<v1::PutRequest> puts;
  for (int i = 0; i < kMoreRecords; ++i) puts.push_back(PutOf(NextRequest(stream)));
  constexpr int kWriters = 16;
  std::vector<std::thread> writers;
  std::vector<grpc::Status> results(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::unique_ptr<v1::RecordService::Stub> village = cluster.Records(kVillage);
      for (size_t i = static_cast<size_t>(w); i < puts.size(); i += kWriters) {
        grpc::ClientContext context;
        integration::PrepareCall(context);
        v1::PutResponse response;
        if (grpc::Status put = village->Put(&context, puts[i], &response); !put.ok()) {
          results[w] = put;
          return;
        }
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  for (const grpc::Status& result : results) {
    if (!result.ok()) return absl::InternalError(absl::StrCat("put: ", result.error_message()));
  }
  SANJI_ASSIGN_OR_RETURN(const v1::NodeStatus village, cluster.Status(kVillage));
  const uint64_t counter = KnownCounter(village, kVillage);
  const uint64_t connections = tree.proxy->connections().count;
  tree.proxy->SetOffline(false);
  SANJI_ASSIGN_OR_RETURN(const double millis, NextSessionMillis(tree, connections));
  SANJI_ASSIGN_OR_RETURN(const v1::NodeStatus township, cluster.Status(kTownship));
  if (KnownCounter(township, kVillage) < counter) {
    return absl::InternalError("the village was LIVE before the township had its records");
  }
  return millis;
}

double Median(std::vector<double> values) { return Quantile(std::move(values), 0.5); }

// The transport's share of a fresh session: a new channel to the township
// (its own subchannel pool, so nothing is reused) with a client certificate
// of the county CA, timed from its creation until a first call (the health
// check) returns: TCP, TLS handshake, HTTP/2 setup and one round trip.
absl::StatusOr<double> FreshTlsCallMillis(Cluster& cluster, const v1::TlsConfig& tls) {
  SANJI_ASSIGN_OR_RETURN(const std::shared_ptr<grpc::ChannelCredentials> credentials,
                         node::ChannelCredentials(tls, kTownship));
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  const Clock::time_point start = Clock::now();
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(cluster.address(kTownship), credentials, args);
  std::unique_ptr<grpc::health::v1::Health::Stub> health =
      grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  integration::PrepareCall(context);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status checked = health->Check(&context, {}, &response);
  const double millis = Seconds(Clock::now() - start) * 1e3;
  if (!checked.ok()) return absl::InternalError(absl::StrCat("health: ", checked.error_message()));
  return millis;
}

// kNoOpRepeats fresh no-op sessions in `tree`: their median, min and max in
// ms; and the median of as many fresh TLS channels' first calls.
absl::Status NoOps(Tree& tree, const std::string& prefix, Figures& figures) {
  std::vector<double> millis;
  for (int i = 0; i < kNoOpRepeats; ++i) {
    SANJI_ASSIGN_OR_RETURN(const double one, NoOpSync(tree));
    millis.push_back(one);
  }
  figures[prefix + "_ms"] = Median(millis);
  figures[prefix + "_min_ms"] = *std::min_element(millis.begin(), millis.end());
  figures[prefix + "_max_ms"] = *std::max_element(millis.begin(), millis.end());
  const v1::TlsConfig tls =
      tree.cluster->Issue(authz::Identity::Operator("compare-bench", "gutian"));
  SANJI_RETURN_IF_ERROR(tree.cluster->error());
  std::vector<double> calls;
  for (int i = 0; i < kNoOpRepeats; ++i) {
    SANJI_ASSIGN_OR_RETURN(const double one, FreshTlsCallMillis(*tree.cluster, tls));
    calls.push_back(one);
  }
  figures[prefix + "_tls_call_ms"] = Median(calls);
  return absl::OkStatus();
}

void AddCatchUp(const std::string& prefix, const Backlog& backlog, const CatchUp& run,
                Figures& figures) {
  figures[prefix + "_seconds"] = run.seconds;
  figures[prefix + "_first_hop_seconds"] = run.first_hop_seconds;
  figures[prefix + "_records_per_s"] = static_cast<double>(backlog.counter) / run.seconds;
  for (const auto& [node, kib] : run.peak_rss_kib) {
    const std::string name = node == kVillage    ? "village"
                             : node == kTownship ? "township"
                                                 : "county";
    figures[absl::StrCat(prefix, "_", name, "_peak_rss_mb")] = static_cast<double>(kib) / 1024;
  }
}

// A one-hop catch-up of `backlog` through the proxy: its figures, and the
// TCP bytes per record both ways as `prefix`_wire_bytes_per_record.
absl::Status OneHop(const Backlog& backlog, v1::ParentConfig::Compression compression,
                    const std::string& prefix, Tree& tree, Figures& figures) {
  SANJI_RETURN_IF_ERROR(
      BuildTree(backlog, {.two_hops = false, .compression = compression, .proxy = true}, tree));
  SANJI_ASSIGN_OR_RETURN(const CatchUp run, RunCatchUp(backlog, tree));
  AddCatchUp(prefix, backlog, run, figures);
  const double records = static_cast<double>(backlog.counter);
  figures[prefix + "_wire_bytes_per_record"] =
      static_cast<double>(tree.proxy->bytes_up() + tree.proxy->bytes_down()) / records;
  figures[prefix + "_wire_up_bytes_per_record"] =
      static_cast<double>(tree.proxy->bytes_up()) / records;
  figures[prefix + "_wire_down_bytes_per_record"] =
      static_cast<double>(tree.proxy->bytes_down()) / records;
  return absl::OkStatus();
}

absl::Status RunSanji(SanjiResult& result) {
  Figures& figures = result.figures;
  const Backlog& backlog = BacklogOf(Records(), kBench);
  SANJI_RETURN_IF_ERROR(backlog.status);
  figures["fill_seconds"] = backlog.fill_seconds;
  {
    // What a village's link carries by default: zstd (COMPRESSION_AUTO
    // leaves it off only to a loopback parent, as here).
    Progress("Sanji one hop, zstd, through the proxy");
    Tree tree;
    SANJI_RETURN_IF_ERROR(
        OneHop(backlog, v1::ParentConfig::COMPRESSION_ZSTD, "one_hop_zstd", tree, figures));
    SANJI_RETURN_IF_ERROR(StopTree(tree));
  }
  {
    Progress("Sanji one hop (loopback default: plain), no-op and incremental syncs");
    SANJI_ASSIGN_OR_RETURN(const std::unique_ptr<Backlog> copy, CopyOf(backlog));
    Tree tree;
    SANJI_RETURN_IF_ERROR(
        OneHop(*copy, v1::ParentConfig::COMPRESSION_AUTO, "one_hop", tree, figures));
    SANJI_RETURN_IF_ERROR(NoOps(tree, "noop", figures));
    RequestStream stream(WorkloadSeed(kBench) + 2'000'003);
    std::vector<double> millis;
    for (int i = 0; i < kIncrementalRepeats; ++i) {
      SANJI_ASSIGN_OR_RETURN(const double one, IncrementalSync(tree, stream));
      millis.push_back(one);
    }
    figures["incremental_ms"] = Median(millis);
    figures["incremental_max_ms"] = *std::max_element(millis.begin(), millis.end());
    SANJI_RETURN_IF_ERROR(StopTree(tree));
  }
  {
    Progress("Sanji two hops, then live");
    Tree tree;
    SANJI_RETURN_IF_ERROR(BuildTree(backlog, {.two_hops = true}, tree));
    SANJI_ASSIGN_OR_RETURN(const CatchUp run, RunCatchUp(backlog, tree));
    AddCatchUp("two_hops", backlog, run, figures);
    SANJI_ASSIGN_OR_RETURN(const std::vector<double> live,
                           MeasureLive(tree, LiveWrites(), kLiveInterval));
    figures["live_writes"] = LiveWrites();
    figures["live_received"] = static_cast<double>(live.size());
    figures["live_p50_ms"] = Quantile(live, 0.5);
    figures["live_p90_ms"] = Quantile(live, 0.9);
    figures["live_p99_ms"] = Quantile(live, 0.99);
    figures["live_max_ms"] = *std::max_element(live.begin(), live.end());
    SANJI_RETURN_IF_ERROR(StopTree(tree));
  }
  if (LargeRecords() > 0) {
    Progress(absl::StrCat("Sanji ", SizeName(LargeRecords()), ": fill, one hop, no-op syncs"));
    const Backlog& large = BacklogOf(LargeRecords(), kBench);
    SANJI_RETURN_IF_ERROR(large.status);
    figures["large_fill_seconds"] = large.fill_seconds;
    Tree tree;
    SANJI_RETURN_IF_ERROR(
        OneHop(large, v1::ParentConfig::COMPRESSION_AUTO, "large_one_hop", tree, figures));
    SANJI_RETURN_IF_ERROR(NoOps(tree, "large_noop", figures));
    SANJI_RETURN_IF_ERROR(StopTree(tree));
  }
  return absl::OkStatus();
}

const SanjiResult& Sanji() {
  static const SanjiResult* result = [] {
    auto* run = new SanjiResult;
    const Clock::time_point start = Clock::now();
    run->status = RunSanji(*run);
    run->seconds = Seconds(Clock::now() - start);
    return run;
  }();
  return *result;
}

// --- Reporting -----------------------------------------------------------------------

std::optional<double> Get(const Figures& figures, const std::string& name) {
  const auto it = figures.find(name);
  if (it == figures.end()) return std::nullopt;
  return it->second;
}

void ReportRaw(benchmark::State& state, const absl::Status& status, const Figures& figures,
               double seconds) {
  if (!status.ok()) return Fail(state, status);
  for (auto _ : state) state.SetIterationTime(seconds);
  for (const auto& [name, value] : figures) state.counters[name] = value;
}

void BM_PouchDB(benchmark::State& state) {
  // Without Node.js there is nothing to compare with: say so and stop
  // before the Sanji side's minutes of work.
  if (const absl::Status ready = PrepareNode(); !ready.ok()) {
    std::fprintf(stderr, "compare bench: %s\n", std::string(ready.message()).c_str());
    std::exit(1);
  }
  const PouchResult& pouch = PouchDB();
  ReportRaw(state, pouch.status, pouch.figures, pouch.seconds);
}

void BM_Sanji(benchmark::State& state) {
  const SanjiResult& sanji = Sanji();
  ReportRaw(state, sanji.status, sanji.figures, sanji.seconds);
}

// PouchDB's figure `name` at its best batch size ("one_hop_<best>_..." for
// the one-hop runs, "<prefix>_best..." for those after it, which it measured
// only when the best is not the default).
std::optional<double> PouchBest(const Figures& pouch, const std::string& one_hop_suffix,
                                const std::string& default_name, const std::string& best_name) {
  const std::optional<double> best = Get(pouch, "best_batch_size");
  if (!best) return std::nullopt;
  if (!one_hop_suffix.empty()) {
    const std::string size = *best == 100 ? "default" : absl::StrCat(static_cast<int>(*best));
    return Get(pouch, absl::StrCat("one_hop_", size, "_", one_hop_suffix));
  }
  if (std::optional<double> value = Get(pouch, best_name)) return value;
  return Get(pouch, default_name);
}

// One figure of both systems: sanji_<name>, pouchdb_<name>,
// pouchdb_best_<name> and their ratios Sanji/PouchDB, <name>_ratio and
// <name>_best_ratio.
struct Pair {
  std::string name;
  std::optional<double> sanji;
  std::optional<double> pouch;
  std::optional<double> pouch_best;
  bool ratio = true;  // false for counts that are the same by design
};

// Reports `pairs`; the run's time is Sanji's `seconds` (its figure for it).
void ReportPairs(benchmark::State& state, const std::vector<Pair>& pairs, double seconds) {
  if (!Sanji().status.ok()) return Fail(state, Sanji().status);
  if (!PouchDB().status.ok()) return Fail(state, PouchDB().status);
  for (auto _ : state) state.SetIterationTime(std::max(seconds, 1e-9));
  for (const Pair& pair : pairs) {
    if (pair.sanji) state.counters["sanji_" + pair.name] = *pair.sanji;
    if (pair.pouch) state.counters["pouchdb_" + pair.name] = *pair.pouch;
    if (pair.pouch_best) state.counters["pouchdb_best_" + pair.name] = *pair.pouch_best;
    if (!pair.ratio) continue;
    if (pair.sanji && pair.pouch && *pair.pouch != 0) {
      state.counters[pair.name + "_ratio"] = *pair.sanji / *pair.pouch;
    }
    if (pair.sanji && pair.pouch_best && *pair.pouch_best != 0) {
      state.counters[pair.name + "_best_ratio"] = *pair.sanji / *pair.pouch_best;
    }
  }
}

Pair OneHopPair(const std::string& name, const std::string& sanji_name) {
  const Figures& pouch = PouchDB().figures;
  return {name, Get(Sanji().figures, sanji_name), Get(pouch, "one_hop_default_" + name),
          PouchBest(pouch, name, "", "")};
}

Pair LaterPair(const std::string& name, const std::string& sanji_name,
               const std::string& pouch_default, const std::string& pouch_best) {
  const Figures& pouch = PouchDB().figures;
  return {name, Get(Sanji().figures, sanji_name), Get(pouch, pouch_default),
          PouchBest(pouch, "", pouch_default, pouch_best)};
}

void BM_CatchUpOneHop(benchmark::State& state) {
  const Figures& sanji = Sanji().figures;
  std::vector<Pair> pairs = {
      OneHopPair("records_per_s", "one_hop_records_per_s"),
      OneHopPair("seconds", "one_hop_seconds"),
      // Sanji's wire figure is its default for a village's link (zstd);
      // the loopback default (plain frames) beside it.
      OneHopPair("wire_bytes_per_record", "one_hop_zstd_wire_bytes_per_record"),
      OneHopPair("township_peak_rss_mb", "one_hop_township_peak_rss_mb"),
      OneHopPair("village_peak_rss_mb", "one_hop_village_peak_rss_mb"),
  };
  Pair plain = OneHopPair("wire_bytes_per_record", "one_hop_wire_bytes_per_record");
  plain.name = "plain_wire_bytes_per_record";
  pairs.push_back(plain);
  const std::optional<double> best = Get(PouchDB().figures, "best_batch_size");
  if (best) pairs.push_back({"batch_size", std::nullopt, 100, best});
  ReportPairs(state, pairs, Get(sanji, "one_hop_seconds").value_or(0));
}

void BM_CatchUpTwoHops(benchmark::State& state) {
  std::vector<Pair> pairs;
  for (const char* figure : {"records_per_s", "seconds", "first_hop_seconds", "village_peak_rss_mb",
                             "township_peak_rss_mb", "county_peak_rss_mb"}) {
    pairs.push_back(LaterPair(figure, absl::StrCat("two_hops_", figure),
                              absl::StrCat("two_hops_default_", figure),
                              absl::StrCat("two_hops_best_", figure)));
  }
  ReportPairs(state, pairs, Get(Sanji().figures, "two_hops_seconds").value_or(0));
}

void BM_Incremental(benchmark::State& state) {
  ReportPairs(state,
              {LaterPair("ms", "incremental_ms", "incremental_default_ms", "incremental_best_ms")},
              Get(Sanji().figures, "incremental_ms").value_or(0) / 1e3);
}

void BM_NoOp(benchmark::State& state) {
  std::vector<Pair> pairs;
  pairs.push_back(
      {"tls_call_ms", Get(Sanji().figures, "noop_tls_call_ms"), std::nullopt, std::nullopt});
  for (const char* figure : {"ms", "min_ms", "max_ms"}) {
    pairs.push_back(LaterPair(figure, absl::StrCat("noop_", figure),
                              absl::StrCat("noop_default_", figure),
                              absl::StrCat("noop_best_", figure)));
  }
  ReportPairs(state, pairs, Get(Sanji().figures, "noop_ms").value_or(0) / 1e3);
}

void BM_NoOpLarge(benchmark::State& state) {
  const Figures& sanji = Sanji().figures;
  const std::optional<double> small = Get(sanji, "noop_ms");
  const std::optional<double> large = Get(sanji, "large_noop_ms");
  std::vector<Pair> pairs = {
      {"ms", large, std::nullopt, std::nullopt},
      {"max_ms", Get(sanji, "large_noop_max_ms"), std::nullopt, std::nullopt}};
  if (small && large)
    pairs.push_back({"large_vs_small_ratio", *large / *small, std::nullopt, std::nullopt});
  ReportPairs(state, pairs, large.value_or(0) / 1e3);
}

void BM_Live(benchmark::State& state) {
  std::vector<Pair> pairs;
  for (const char* figure : {"p50_ms", "p90_ms", "p99_ms", "max_ms", "received", "writes"}) {
    const std::string name = absl::StrCat("live_", figure);
    pairs.push_back(
        {figure, Get(Sanji().figures, name), Get(PouchDB().figures, name), std::nullopt});
  }
  ReportPairs(state, pairs, Get(Sanji().figures, "live_p50_ms").value_or(0) / 1e3);
}

// --- Registration ----------------------------------------------------------------------

std::string RunName(const char* name) { return absl::StrCat(name, "/", SizeName(Records())); }

SANJI_BENCH_INIT(CompareBenchmarks) {
  SetBenchName(kBench);
  // This process only calls (see bench/network_bench.cc): gRPC 1.51 drives a
  // connecting channel from its backup poller. Before gRPC starts.
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "10", /*overwrite=*/0);
  // PouchDB first: a machine without Node.js fails at once.
  Manual(benchmark::RegisterBenchmark("BM_PouchDB", BM_PouchDB));
  Manual(benchmark::RegisterBenchmark("BM_Sanji", BM_Sanji));
  Manual(benchmark::RegisterBenchmark(RunName("BM_CatchUpOneHop").c_str(), BM_CatchUpOneHop));
  Manual(benchmark::RegisterBenchmark(RunName("BM_CatchUpTwoHops").c_str(), BM_CatchUpTwoHops));
  Manual(benchmark::RegisterBenchmark(absl::StrCat("BM_Incremental/", kMoreRecords).c_str(),
                                      BM_Incremental));
  Manual(benchmark::RegisterBenchmark(RunName("BM_NoOp").c_str(), BM_NoOp));
  if (LargeRecords() > 0) {
    Manual(benchmark::RegisterBenchmark(absl::StrCat("BM_NoOp/", SizeName(LargeRecords())).c_str(),
                                        BM_NoOpLarge));
  }
  Manual(benchmark::RegisterBenchmark("BM_Live", BM_Live));

  for (const auto& [suffix, unit] :
       std::vector<std::pair<const char*, const char*>>{{"_records_per_s", "records/s"},
                                                        {"_seconds", "s"},
                                                        {"_ms", "ms"},
                                                        {"_mb", "MB"},
                                                        {"_bytes_per_record", "B"},
                                                        {"_bytes", "B"},
                                                        {"_batch_size", "docs"},
                                                        {"_ratio", "ratio"},
                                                        {"_received", "records"},
                                                        {"_writes", "writes"}}) {
    SetCounterUnitBySuffix(suffix, unit);
  }
}

SANJI_BENCH_INIT(CompareTargets) {
  const std::string size = SizeName(Records());
  const std::string one_hop = RunName("BM_CatchUpOneHop");
  const std::string two_hops = RunName("BM_CatchUpTwoHops");
  const std::string incremental = absl::StrCat("BM_Incremental/", kMoreRecords);
  const std::string noop = RunName("BM_NoOp");
  for (const char* best : {"", "_best"}) {
    // Sanji's records/s over PouchDB's, at PouchDB's default batch size and
    // at its best.
    AddTarget(absl::StrCat("catch_up_one_hop_", size, "_vs_pouchdb", best),
              ManualRunMetric(one_hop, absl::StrCat("records_per_s", best, "_ratio")), 40,
              Goal::kAtLeast);
    AddTarget(absl::StrCat("catch_up_two_hops_", size, "_vs_pouchdb", best),
              ManualRunMetric(two_hops, absl::StrCat("records_per_s", best, "_ratio")), 40,
              Goal::kAtLeast);
    // How many times faster: PouchDB's time over Sanji's.
    const std::string pouch = absl::StrCat("pouchdb", best, "_ms");
    AddComputedTarget(
        absl::StrCat("incremental_", kMoreRecords, "_speedup_vs_pouchdb", best),
        Ratio(ManualRunMetric(incremental, pouch), ManualRunMetric(incremental, "sanji_ms")), 50,
        Goal::kAtLeast);
    AddComputedTarget(absl::StrCat("noop_", size, "_speedup_vs_pouchdb", best),
                      Ratio(ManualRunMetric(noop, pouch), ManualRunMetric(noop, "sanji_ms")), 20,
                      Goal::kAtLeast);
  }
  if (LargeRecords() > 0) {
    AddTarget(absl::StrCat("noop_flat_", SizeName(LargeRecords()), "_vs_", size),
              ManualRunMetric(absl::StrCat("BM_NoOp/", SizeName(LargeRecords())),
                              "sanji_large_vs_small_ratio"),
              kFlatRatio, Goal::kAtMost);
  }
  for (const char* best : {"", "_best"}) {
    AddTarget(absl::StrCat("wire_bytes_per_record_vs_pouchdb", best),
              ManualRunMetric(one_hop, absl::StrCat("wire_bytes_per_record", best, "_ratio")), 0.5,
              Goal::kAtMost);
    AddTarget(absl::StrCat("receiving_peak_rss_vs_pouchdb", best),
              ManualRunMetric(one_hop, absl::StrCat("township_peak_rss_mb", best, "_ratio")), 0.5,
              Goal::kAtMost);
  }
  AddTarget("live_p99_vs_pouchdb", ManualRunMetric("BM_Live", "p99_ms_ratio"), 0.25, Goal::kAtMost);
}

}  // namespace
}  // namespace sanji::bench
