// Cluster: real sanjid processes on loopback for the integration tests, each
// with its own store, config and certificate (issued by `sanjictl cert`
// from a county CA made for the test). Ports are chosen free by the kernel.
//
// Nodes are started with short timeouts (keepalive, backoff, failover) so
// that failures and failovers show within a second or two; every wait is on
// a condition with a deadline, never a sleep.
//
// The integration tests and the network benchmark (bench/network_bench.cc)
// both run it, so it does not depend on a test framework: a harness failure
// (a certificate not issued, a node that does not start) goes to
// ClusterOptions::on_error, which a test turns into a test failure, and is
// kept for error(). The method that failed returns as an ASSERT would.
//
// Thread-safety: one thread (the stubs and channels it returns are gRPC's,
// usable from any thread).
#ifndef SANJI_TESTS_INTEGRATION_CLUSTER_H_
#define SANJI_TESTS_INTEGRATION_CLUSTER_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "admin.grpc.pb.h"
#include "api.grpc.pb.h"
#include "authz/identity.h"
#include "config.pb.h"
#include "grpcpp/grpcpp.h"

namespace sanji::integration {

// What a command printed (stdout and stderr together) and its exit code.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::vector<std::string>& argv);

// A deadline `timeout` from now, and wait-for-ready: a call on a channel
// that is (re)connecting waits for it, and its thread drives the connection
// meanwhile (without a call in flight, gRPC polls a connecting channel only
// every 5 s, its backup poller's period).
void PrepareCall(grpc::ClientContext& context,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Waits until `condition` holds or `timeout` passes; returns whether it held.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(60));

// The collections every test node holds: service_requests (title lww,
// status open<assigned<resolved<closed, visits counter, tags set) and
// notices (title lww, body lww).
v1::SchemaConfig TestSchema();

struct ClusterOptions {
  // The schema of every node.
  v1::SchemaConfig schema = TestSchema();
  // Called with each harness failure; if unset, the failure is printed to
  // stderr. Either way error() returns the first.
  std::function<void(const std::string&)> on_error;
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options = {});
  // Kills every node still running and removes the directory.
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Adds node `id` (its certificate, a free port and a config) whose parents,
  // in order, are the nodes `parents` (already added). Villages are leaves.
  void AddNode(const std::string& id, const std::vector<std::string>& parents, bool leaf);
  // Rewrites the node's config with these parent addresses (ids taken from
  // `parents` in order), for a node to be (re)started: a node whose parents
  // are unreachable ports is offline.
  void SetParentAddresses(const std::string& id,
                          const std::vector<std::pair<std::string, std::string>>& parents);

  // Starts the process and waits until it serves (health SERVING).
  void Start(const std::string& id);
  void StartAll();
  // SIGTERM, then waits; returns the exit code (-1 if it did not exit within
  // 30 s, after which it is killed).
  int Stop(const std::string& id);
  // SIGKILL, then waits.
  void Kill(const std::string& id);
  bool Running(const std::string& id) const;
  // SIGSTOP / SIGCONT: a node that hangs with its connections open, as one
  // behind a dead 4G link looks to its peers.
  void Freeze(const std::string& id);
  void Thaw(const std::string& id);

  // Changes the node's config and rewrites its file, for a node to be
  // (re)started.
  void EditConfig(const std::string& id, const std::function<void(v1::NodeConfig&)>& edit);
  const v1::NodeConfig& config(const std::string& id) const { return nodes_.at(id).config; }
  // The running node's process id, or 0.
  pid_t pid(const std::string& id) const { return nodes_.at(id).pid; }
  // The first harness failure, or OK.
  const absl::Status& error() const { return error_; }

  const std::string& address(const std::string& id) const { return nodes_.at(id).address; }
  const std::string& config_path(const std::string& id) const { return nodes_.at(id).config_path; }
  const std::string& dir() const { return dir_; }
  // The node's TLS files.
  const v1::TlsConfig& tls(const std::string& id) const { return nodes_.at(id).config.tls(); }
  // What the node logged so far.
  std::string Log(const std::string& id) const;

  // Issues a certificate for `identity` (sanjictl cert issue) and returns
  // TLS files for it. A node's certificate also names localhost and
  // 127.0.0.1 (DNS and IP SANs), as the demo county's do.
  v1::TlsConfig Issue(const authz::Identity& identity);
  // The county CA's certificate.
  const std::string& ca_file() const { return ca_file_; }

  // Clients of node `id`, with the test operator's certificate (operator
  // integration-test of the whole county).
  std::unique_ptr<v1::RecordService::Stub> Records(const std::string& id);
  std::unique_ptr<v1::AdminService::Stub> Admin(const std::string& id);
  std::shared_ptr<grpc::Channel> Channel(const std::string& id);
  // AdminService.Status, or an error.
  absl::StatusOr<v1::NodeStatus> Status(const std::string& id);

 private:
  struct Node {
    std::string id;
    std::string address;
    std::string config_path;
    std::string log_path;
    v1::NodeConfig config;
    pid_t pid = 0;
  };
  void WriteConfig(const Node& node);
  void Fail(const std::string& error);

  ClusterOptions options_;
  absl::Status error_;
  std::string dir_;
  std::string ca_dir_;
  std::string ca_file_;
  v1::TlsConfig operator_tls_;
  std::map<std::string, Node> nodes_;
  // One channel per node, made on first use; it reconnects by itself.
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

}  // namespace sanji::integration

#endif  // SANJI_TESTS_INTEGRATION_CLUSTER_H_
