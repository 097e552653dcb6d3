#include "bench/network_workload.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/engine_workload.h"
#include "bench/harness/json_lines_reporter.h"
#include "conflict/status_macros.h"
#include "node/config.h"
#include "node/system_clock.h"

namespace sanji::bench {
namespace {

using integration::Cluster;

constexpr int kFillWriters = 128;
constexpr auto kPollInterval = std::chrono::milliseconds(2);
constexpr auto kCatchUpTimeout = std::chrono::minutes(5);

// What every record of a backlog with added fields sets in them.
std::vector<conflict::FieldOp> AddedFieldOps() {
  return {{"priority", conflict::Assign{std::string("紧急")}},
          {"visits", conflict::Increment{1}},
          {"tags", conflict::AddElements{{std::string("路灯"), std::string("夜间")}}}};
}

absl::Status Fill(Backlog& backlog, size_t records, const char* bench, bool added_fields) {
  backlog.path = backlog.dir.path() + "/village";
  backlog.schema = added_fields ? AddedFieldsSchemaConfig() : RequestSchemaConfig();
  SANJI_ASSIGN_OR_RETURN(const conflict::Schema schema, node::BuildSchema(backlog.schema));
  const node::SystemClock clock;  // sanjid's: the township checks the skew
  store::Options options = BenchStoreOptions(backlog.path, schema, clock);
  SANJI_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, store::Store::Open(options));
  const Clock::time_point start = Clock::now();
  SANJI_RETURN_IF_ERROR(
      FillVillage(*store, records, kFillWriters, WorkloadSeed(bench),
                  added_fields ? AddedFieldOps() : std::vector<conflict::FieldOp>{}));
  backlog.fill_seconds = Seconds(Clock::now() - start);
  backlog.counter = store->progress().counter;
  return absl::OkStatus();
}

// What a Watch at the top node received: when each live record arrived.
class Arrivals {
 public:
  explicit Arrivals(int writes) : at_(static_cast<size_t>(writes)) {}
  void Add(int index, Clock::time_point at) {
    std::lock_guard<std::mutex> lock(mu_);
    if (index >= 0 && static_cast<size_t>(index) < at_.size() && !at_[index]) at_[index] = at;
  }
  std::vector<std::optional<Clock::time_point>> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return at_;
  }

 private:
  std::mutex mu_;
  std::vector<std::optional<Clock::time_point>> at_;
};

constexpr char kLivePrefix[] = "gutian/fengpu/xiaban/live-";

v1::PutRequest LivePut(int index) {
  v1::PutRequest put;
  put.set_collection(kRequests);
  put.set_key(absl::StrCat(kLivePrefix, index));
  put.set_scope(kVillage);
  v1::FieldOperation* title = put.add_ops();
  title->set_field("title");
  title->mutable_assign()->set_text("路灯不亮，请尽快处理");
  v1::FieldOperation* detail = put.add_ops();
  detail->set_field("detail");
  detail->mutable_assign()->set_text(
      "村民反映村口路灯不亮已有三天，夜间出行不便，已联系网格员，需乡镇协调电工上门维修。");
  v1::FieldOperation* status = put.add_ops();
  status->set_field("status");
  status->set_set_status("open");
  return put;
}

// Puts `writes` records at the village, one every `interval`; returns each
// put's start.
absl::StatusOr<std::vector<Clock::time_point>> PutPaced(Cluster& cluster, int writes,
                                                        std::chrono::microseconds interval) {
  std::unique_ptr<v1::RecordService::Stub> village = cluster.Records(kVillage);
  std::vector<Clock::time_point> starts;
  const Clock::time_point first = Clock::now();
  for (int i = 0; i < writes; ++i) {
    std::this_thread::sleep_until(first + i * interval);
    starts.push_back(Clock::now());
    grpc::ClientContext context;
    v1::PutResponse response;
    const grpc::Status put = village->Put(&context, LivePut(i), &response);
    if (!put.ok()) return absl::InternalError(absl::StrCat("put ", i, ": ", put.error_message()));
  }
  return starts;
}

// The user + system CPU time of every child this process has reaped.
double ChildrenCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// "village", "township" or "county": how counters name a node.
std::string NodeName(const std::string& node) {
  return node == kVillage ? "village" : node == kTownship ? "township" : "county";
}

}  // namespace

double Seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

void Fail(benchmark::State& state, const absl::Status& status) {
  state.SkipWithError(std::string(status.ToString()).c_str());
}

std::string SizeName(size_t records) {
  return records % 1'000'000 == 0 ? absl::StrCat(records / 1'000'000, "m")
         : records % 1000 == 0    ? absl::StrCat(records / 1000, "k")
                                  : absl::StrCat(records);
}

benchmark::internal::Benchmark* Manual(benchmark::internal::Benchmark* bench) {
  return bench->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

v1::SchemaConfig RequestSchemaConfig() {
  v1::SchemaConfig schema;
  v1::CollectionConfig* requests = schema.add_collections();
  requests->set_name(kRequests);
  for (const char* name : kRequestTextFields) {
    v1::FieldConfig* field = requests->add_fields();
    field->set_name(name);
    field->set_kind(v1::FieldConfig::LWW);
  }
  v1::FieldConfig* status = requests->add_fields();
  status->set_name("status");
  status->set_kind(v1::FieldConfig::STATUS);
  for (const char* value : kRequestStatuses) status->add_status_order(value);
  return schema;
}

v1::SchemaConfig AddedFieldsSchemaConfig() {
  v1::SchemaConfig schema = RequestSchemaConfig();
  v1::CollectionConfig* requests = schema.mutable_collections(0);
  for (const auto& [name, kind] :
       {std::pair{"priority", v1::FieldConfig::LWW}, std::pair{"visits", v1::FieldConfig::COUNTER},
        std::pair{"tags", v1::FieldConfig::SET}}) {
    v1::FieldConfig* field = requests->add_fields();
    field->set_name(name);
    field->set_kind(kind);
  }
  return schema;
}

std::vector<size_t> BacklogsFromEnv(const char* bench) {
  const char* text = std::getenv("SANJI_NETWORK_RECORDS");
  const std::string list = text != nullptr && *text != '\0' ? text : "100000,1000000";
  std::vector<size_t> values;
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    size_t value = 0;
    if (absl::SimpleAtoi(part, &value) && value > 0) values.push_back(value);
  }
  if (values.empty()) values.push_back(100000);
  std::fprintf(stderr, "%s bench: backlogs of %s records (SANJI_NETWORK_RECORDS)\n", bench,
               list.c_str());
  return values;
}

Backlog& BacklogOf(size_t records, const char* bench, bool added_fields) {
  using Backlogs = std::map<std::pair<size_t, bool>, std::unique_ptr<Backlog>>;
  static auto* backlogs = new Backlogs;
  static const std::unique_ptr<Backlogs> owner(backlogs);
  std::unique_ptr<Backlog>& backlog = (*backlogs)[{records, added_fields}];
  if (backlog == nullptr) {
    backlog = std::make_unique<Backlog>();
    backlog->status = Fill(*backlog, records, bench, added_fields);
    std::fprintf(stderr, "%s bench: filled %zu records%s in %.1f s\n", bench, records,
                 added_fields ? " with the added fields" : "", backlog->fill_seconds);
  }
  return *backlog;
}

uint64_t KnownCounter(const v1::NodeStatus& status, const std::string& node_id) {
  uint64_t counter = 0;
  for (const v1::VersionVector::Entry& entry : status.knowledge().entries()) {
    if (entry.origin().node_id() == node_id) counter = std::max(counter, entry.counter());
  }
  return counter;
}

int64_t PeakRssKiB(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

std::vector<std::string> Tree::nodes() const {
  if (two_hops) return {kVillage, kTownship, kCounty};
  return {kVillage, kTownship};
}

absl::Status BuildTree(const Backlog& backlog, const TreeOptions& options, Tree& tree) {
  tree.two_hops = options.two_hops;
  Cluster& cluster = *tree.cluster;
  if (options.two_hops) {
    cluster.AddNode(kCounty, {}, /*leaf=*/false);
    cluster.AddNode(kTownship, {kCounty}, /*leaf=*/false);
  } else {
    cluster.AddNode(kTownship, {}, /*leaf=*/false);
  }
  cluster.AddNode(kVillage, {kTownship}, /*leaf=*/true);
  for (const std::string& node : tree.nodes()) {
    cluster.EditConfig(node, [&](v1::NodeConfig& config) {
      *config.mutable_schema() =
          node == kVillage ? backlog.schema : options.receiver_schema.value_or(backlog.schema);
    });
  }
  SANJI_RETURN_IF_ERROR(cluster.error());
  if (options.two_hops) cluster.Start(kCounty);
  cluster.Start(kTownship);
  SANJI_RETURN_IF_ERROR(cluster.error());
  std::string parent_address = cluster.address(kTownship);
  if (options.proxy) {
    const std::string& address = cluster.address(kTownship);
    int port = 0;
    if (!absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port)) {
      return absl::InternalError(absl::StrCat("no port in ", address));
    }
    SANJI_ASSIGN_OR_RETURN(tree.proxy, CountingProxy::Start(port));
    parent_address = tree.proxy->address();
  }
  cluster.EditConfig(kVillage, [&](v1::NodeConfig& config) {
    config.set_data_dir(backlog.path);
    config.mutable_parents(0)->set_address(parent_address);
    config.mutable_parents(0)->set_compression(options.compression);
  });
  return cluster.error();
}

absl::StatusOr<Clock::time_point> WaitKnows(Cluster& cluster, const std::string& node,
                                            uint64_t counter, Clock::time_point deadline) {
  for (;;) {
    absl::StatusOr<v1::NodeStatus> status = cluster.Status(node);
    const Clock::time_point now = Clock::now();
    if (status.ok() && KnownCounter(*status, kVillage) >= counter) return now;
    if (now > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(node, " did not catch up with ", kVillage, ":", counter, " in time; ",
                       status.ok() ? absl::StrCat("it knows ", KnownCounter(*status, kVillage))
                                   : status.status().ToString()));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

absl::StatusOr<CatchUp> RunCatchUp(const Backlog& backlog, Tree& tree) {
  Cluster& cluster = *tree.cluster;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + kCatchUpTimeout;
  cluster.Start(kVillage);
  SANJI_RETURN_IF_ERROR(cluster.error());
  CatchUp result;
  SANJI_ASSIGN_OR_RETURN(const Clock::time_point township_done,
                         WaitKnows(cluster, kTownship, backlog.counter, deadline));
  result.first_hop_seconds = Seconds(township_done - start);
  SANJI_ASSIGN_OR_RETURN(const Clock::time_point top_done,
                         WaitKnows(cluster, tree.top(), backlog.counter, deadline));
  result.seconds = Seconds(top_done - start);
  SANJI_ASSIGN_OR_RETURN(const v1::NodeStatus village, cluster.Status(kVillage));
  if (village.links_size() > 0) result.village_link = village.links(0);
  for (const std::string& node : tree.nodes()) {
    result.peak_rss_kib[node] = PeakRssKiB(cluster.pid(node));
  }
  return result;
}

void ReportCatchUp(benchmark::State& state, const Backlog& backlog, const CatchUp& run,
                   const Tree& tree) {
  for (auto _ : state) state.SetIterationTime(run.seconds);
  const double records = static_cast<double>(backlog.counter);
  state.counters["records"] = records;
  state.counters["records_per_s"] = records / run.seconds;
  state.counters["seconds"] = run.seconds;
  state.counters["first_hop_seconds"] = run.first_hop_seconds;
  state.counters["fill_seconds"] = backlog.fill_seconds;
  const v1::LinkStatus& link = run.village_link;
  state.counters["link_bytes_per_record"] =
      static_cast<double>(link.wire_bytes_sent() + link.wire_bytes_received()) / records;
  for (const auto& [node, kib] : run.peak_rss_kib) {
    state.counters[NodeName(node) + "_peak_rss_mb"] = static_cast<double>(kib) / 1024;
  }
  for (const auto& [node, seconds] : tree.cpu_seconds) {
    state.counters[NodeName(node) + "_cpu_us_per_record"] = seconds * 1e6 / records;
  }
}

absl::Status StopTree(Tree& tree) {
  for (const std::string& node : tree.nodes()) {
    // The one child reaped between the two calls is the node: its whole
    // life's CPU, which a running process cannot be asked for by getrusage.
    const double before = ChildrenCpuSeconds();
    if (const int code = tree.cluster->Stop(node); code != 0) {
      return absl::InternalError(
          absl::StrCat(node, " exited with ", code, ":\n", tree.cluster->Log(node)));
    }
    tree.cpu_seconds[node] = ChildrenCpuSeconds() - before;
  }
  return absl::OkStatus();
}

double Quantile(std::vector<double> values, double q) {
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(at), values.end());
  return values[at];
}

absl::StatusOr<std::vector<double>> MeasureLive(Tree& tree, int writes,
                                                std::chrono::microseconds interval) {
  std::unique_ptr<v1::RecordService::Stub> top = tree.cluster->Records(tree.top());
  grpc::ClientContext watch_context;
  v1::WatchRequest watch;
  watch.set_collection(kRequests);
  watch.set_key_prefix(kLivePrefix);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> events = top->Watch(&watch_context, watch);
  events->WaitForInitialMetadata();  // from here on, every commit is delivered
  Arrivals arrivals(writes);
  std::thread reader([&] {
    v1::WatchEvent event;
    while (events->Read(&event)) {
      int index = -1;
      (void)absl::SimpleAtoi(absl::string_view(event.key()).substr(sizeof kLivePrefix - 1), &index);
      arrivals.Add(index, Clock::now());
    }
  });
  const absl::StatusOr<std::vector<Clock::time_point>> starts =
      PutPaced(*tree.cluster, writes, interval);
  // The last records' way up, with room for a slow fsync.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  watch_context.TryCancel();
  reader.join();
  (void)events->Finish();
  if (!starts.ok()) return starts.status();

  std::vector<double> millis;
  const std::vector<std::optional<Clock::time_point>> arrived = arrivals.Take();
  for (size_t i = 0; i < arrived.size(); ++i) {
    if (arrived[i]) millis.push_back(Seconds(*arrived[i] - (*starts)[i]) * 1e3);
  }
  if (millis.empty()) {
    return absl::InternalError(absl::StrCat("no live record reached ", tree.top()));
  }
  return millis;
}

}  // namespace sanji::bench
