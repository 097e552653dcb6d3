#include "tests/integration/cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cli/cert_authority.h"
#include "google/protobuf/text_format.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "node/tls.h"
#include "tests/support/poll_until.h"

namespace sanji::integration {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

bool WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  return out.good();
}

// A port no one listens on now: bound to port 0, read, released. Another
// process could take it before the node does; on a test machine that is
// rare, and the node's start fails loudly if it happens.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

v1::FieldConfig Field(const std::string& name, v1::FieldConfig::Kind kind,
                      std::vector<std::string> order = {}) {
  v1::FieldConfig field;
  field.set_name(name);
  field.set_kind(kind);
  for (std::string& value : order) field.add_status_order(std::move(value));
  return field;
}

// Spawns argv with stdout and stderr into `log_path`; returns the pid, or 0
// if it could not start.
// posix_spawn, not fork: fork runs gRPC's fork handlers in this process,
// which leave its TLS handshakes stalled for seconds afterwards.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return spawned == 0 ? pid : 0;
}

// Waits for `pid` up to `timeout`; its exit code, 128 + signal, or -1.
int WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  int result = -1;
  WaitFor(
      [&] {
        int status = 0;
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done != pid) return false;
        result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return true;
      },
      timeout);
  return result;
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv) {
  char path[] = "/tmp/sanji-command-XXXXXX";
  const int fd = mkstemp(path);
  close(fd);
  CommandResult result;
  const pid_t pid = Spawn(argv, path);
  if (pid != 0) result.exit_code = WaitExit(pid, std::chrono::seconds(60));
  result.output = ReadFile(path);
  unlink(path);
  return result;
}

void PrepareCall(grpc::ClientContext& context, std::chrono::milliseconds timeout) {
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  context.set_wait_for_ready(true);
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  return testing::PollUntil(condition, timeout);
}

v1::SchemaConfig TestSchema() {
  v1::SchemaConfig schema;
  v1::CollectionConfig* requests = schema.add_collections();
  requests->set_name("service_requests");
  *requests->add_fields() = Field("title", v1::FieldConfig::LWW);
  *requests->add_fields() =
      Field("status", v1::FieldConfig::STATUS, {"open", "assigned", "resolved", "closed"});
  *requests->add_fields() = Field("visits", v1::FieldConfig::COUNTER);
  *requests->add_fields() = Field("tags", v1::FieldConfig::SET);
  v1::CollectionConfig* notices = schema.add_collections();
  notices->set_name("notices");
  *notices->add_fields() = Field("title", v1::FieldConfig::LWW);
  *notices->add_fields() = Field("body", v1::FieldConfig::LWW);
  return schema;
}

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/sanji-cluster-XXXXXX");
  dir_ = mkdtemp(pattern.data());
  ca_dir_ = dir_ + "/ca";
  const CommandResult ca =
      RunCommand({SANJICTL_PATH, "cert", "ca", "--dir", ca_dir_, "--county", "gutian"});
  if (ca.exit_code != 0) Fail(absl::StrCat("sanjictl cert ca failed: ", ca.output));
  ca_file_ = ca_dir_ + "/ca.pem";
  operator_tls_ = Issue(authz::Identity::Operator("integration-test", "gutian"));
}

Cluster::~Cluster() {
  for (auto& [id, node] : nodes_) {
    if (node.pid > 0) {
      kill(node.pid, SIGKILL);
      WaitExit(node.pid, std::chrono::seconds(10));
    }
  }
  if (getenv("SANJI_KEEP_CLUSTER") == nullptr) std::filesystem::remove_all(dir_);
}

v1::TlsConfig Cluster::Issue(const authz::Identity& identity) {
  const std::string out = absl::StrCat(dir_, "/certs");
  std::vector<std::string> command = {SANJICTL_PATH, "cert",      "issue", "--ca-dir",
                                      ca_dir_,       "--out-dir", out};
  switch (identity.kind) {
    case authz::Identity::Kind::kNode:
      // As the demo county issues them: every node listens on loopback, and
      // stock clients dial it as localhost or 127.0.0.1 and check that name.
      command.insert(command.end(),
                     {"--node", identity.name, "--dns", "localhost", "--ip", "127.0.0.1"});
      break;
    case authz::Identity::Kind::kOperator:
      command.insert(command.end(), {"--operator", identity.name, "--scope", identity.scope});
      break;
    case authz::Identity::Kind::kApp:
      command.insert(command.end(), {"--app", identity.name, "--scope", identity.scope});
      break;
    case authz::Identity::Kind::kLocal:
      Fail("a plaintext caller has no certificate to issue");
      return v1::TlsConfig();
  }
  const CommandResult issued = RunCommand(command);
  if (issued.exit_code != 0) {
    Fail(absl::StrCat("sanjictl cert issue ", identity.Uri(), " failed: ", issued.output));
  }
  v1::TlsConfig tls;
  tls.set_ca_file(ca_file_);
  const std::string base = absl::StrCat(out, "/", cli::CertificateStem(identity));
  tls.set_cert_file(base + ".pem");
  tls.set_key_file(base + ".key");
  return tls;
}

void Cluster::AddNode(const std::string& id, const std::vector<std::string>& parents, bool leaf) {
  Node node;
  node.id = id;
  const std::string name = absl::StrReplaceAll(id, {{"/", "_"}});
  node.address = absl::StrCat("127.0.0.1:", FreePort());
  node.config_path = absl::StrCat(dir_, "/", name, ".conf");
  node.log_path = absl::StrCat(dir_, "/", name, ".log");
  v1::NodeConfig& config = node.config;
  config.set_node_id(id);
  config.set_listen_address(node.address);
  config.set_data_dir(absl::StrCat(dir_, "/data/", name));
  config.set_leaf(leaf);
  *config.mutable_tls() = Issue(authz::Identity::Node(id));
  *config.mutable_schema() = options_.schema;
  for (const std::string& parent : parents) {
    v1::ParentConfig* entry = config.add_parents();
    entry->set_id(parent);
    entry->set_address(nodes_.at(parent).address);
  }
  // Short enough that failures and failovers show within a second or two.
  v1::TimeoutConfig* timeouts = config.mutable_timeouts();
  timeouts->set_call_deadline_ms(5000);
  timeouts->set_keepalive_time_ms(1000);
  timeouts->set_keepalive_timeout_ms(1000);
  timeouts->set_backoff_initial_ms(50);
  timeouts->set_backoff_max_ms(500);
  timeouts->set_failover_after_ms(1000);
  timeouts->set_primary_probe_ms(1000);
  WriteConfig(node);
  nodes_.emplace(id, std::move(node));
}

void Cluster::SetParentAddresses(const std::string& id,
                                 const std::vector<std::pair<std::string, std::string>>& parents) {
  EditConfig(id, [&](v1::NodeConfig& config) {
    config.clear_parents();
    for (const auto& [parent, address] : parents) {
      v1::ParentConfig* entry = config.add_parents();
      entry->set_id(parent);
      entry->set_address(address);
    }
  });
}

void Cluster::EditConfig(const std::string& id, const std::function<void(v1::NodeConfig&)>& edit) {
  Node& node = nodes_.at(id);
  edit(node.config);
  WriteConfig(node);
}

void Cluster::WriteConfig(const Node& node) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(node.config, &text);
  std::filesystem::create_directories(std::filesystem::path(node.config_path).parent_path());
  if (!WriteFile(node.config_path, text)) Fail(absl::StrCat("cannot write ", node.config_path));
}

void Cluster::Fail(const std::string& error) {
  if (error_.ok()) error_ = absl::InternalError(error);
  if (options_.on_error) {
    options_.on_error(error);
  } else {
    std::fprintf(stderr, "cluster: %s\n", error.c_str());
  }
}

void Cluster::Start(const std::string& id) {
  Node& node = nodes_.at(id);
  if (node.pid != 0) return Fail(absl::StrCat(id, " is running"));
  node.pid = Spawn({SANJID_PATH, "--config", node.config_path}, node.log_path);
  if (node.pid == 0) return Fail(absl::StrCat("cannot start ", SANJID_PATH, " for ", id));
  std::shared_ptr<grpc::Channel> channel = Channel(id);
  std::unique_ptr<grpc::health::v1::Health::Stub> health =
      grpc::health::v1::Health::NewStub(channel);
  bool exited = false;
  const bool serving = WaitFor(
      [&] {
        int status = 0;
        if (waitpid(node.pid, &status, WNOHANG) == node.pid) {
          exited = true;
          node.pid = 0;
          return true;
        }
        grpc::ClientContext context;
        PrepareCall(context, std::chrono::seconds(1));
        grpc::health::v1::HealthCheckRequest request;
        grpc::health::v1::HealthCheckResponse response;
        return health->Check(&context, request, &response).ok() &&
               response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
      },
      std::chrono::seconds(30));
  if (!serving || exited) Fail(absl::StrCat(id, " did not start serving:\n", Log(id)));
}

void Cluster::StartAll() {
  for (auto& [id, node] : nodes_) {
    if (node.pid == 0) Start(id);
  }
}

int Cluster::Stop(const std::string& id) {
  Node& node = nodes_.at(id);
  if (node.pid == 0) return -1;
  // An idle connection of this process would hold up the node's graceful
  // shutdown for two seconds (its GOAWAY waits for a ping this process does
  // not poll for): close it first.
  channels_.erase(id);
  kill(node.pid, SIGTERM);
  int code = WaitExit(node.pid, std::chrono::seconds(30));
  if (code == -1) {
    kill(node.pid, SIGKILL);
    WaitExit(node.pid, std::chrono::seconds(10));
  }
  node.pid = 0;
  return code;
}

void Cluster::Kill(const std::string& id) {
  Node& node = nodes_.at(id);
  if (node.pid == 0) return;
  kill(node.pid, SIGKILL);
  WaitExit(node.pid, std::chrono::seconds(10));
  node.pid = 0;
}

void Cluster::Freeze(const std::string& id) { kill(nodes_.at(id).pid, SIGSTOP); }

void Cluster::Thaw(const std::string& id) { kill(nodes_.at(id).pid, SIGCONT); }

bool Cluster::Running(const std::string& id) const { return nodes_.at(id).pid != 0; }

std::string Cluster::Log(const std::string& id) const { return ReadFile(nodes_.at(id).log_path); }

std::shared_ptr<grpc::Channel> Cluster::Channel(const std::string& id) {
  if (auto found = channels_.find(id); found != channels_.end()) return found->second;
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      node::ChannelCredentials(operator_tls_, id);
  if (!credentials.ok()) {
    Fail(absl::StrCat("no credentials for ", id, ": ", credentials.status().ToString()));
    return grpc::CreateChannel(nodes_.at(id).address, grpc::InsecureChannelCredentials());
  }
  // gRPC's default reconnect backoff (1 s, growing) would make a test wait
  // seconds for a node that just started listening.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(nodes_.at(id).address, *credentials, args);
  channels_.emplace(id, channel);
  return channel;
}

std::unique_ptr<v1::RecordService::Stub> Cluster::Records(const std::string& id) {
  return v1::RecordService::NewStub(Channel(id));
}

std::unique_ptr<v1::AdminService::Stub> Cluster::Admin(const std::string& id) {
  return v1::AdminService::NewStub(Channel(id));
}

absl::StatusOr<v1::NodeStatus> Cluster::Status(const std::string& id) {
  grpc::ClientContext context;
  PrepareCall(context, std::chrono::seconds(5));
  v1::NodeStatus status;
  const grpc::Status called = Admin(id)->Status(&context, v1::StatusRequest(), &status);
  if (!called.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(called.error_code()), called.error_message());
  }
  return status;
}

}  // namespace sanji::integration
