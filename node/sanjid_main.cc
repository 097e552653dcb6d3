// sanjid: the Sanji node daemon. The same binary at every level of the tree;
// the config says which node it is.
//
//   sanjid --config FILE [--insecure] [--reset-clock]
//
// Exit codes: 0 after a clean stop (SIGTERM or SIGINT), 1 if the node cannot
// start (the message names the file, line or part at fault), 2 for a usage
// error.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "node/config.h"
#include "node/log.h"
#include "node/node.h"
#include "node/version.h"

namespace {

int Run(const std::string& config_path, bool insecure, bool reset_clock) {
  // Signals are taken by sigwait below, on this thread: block them before
  // any other thread starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  sanji::node::LoadOptions load_options;
  load_options.insecure = insecure;
  absl::StatusOr<sanji::node::LoadedConfig> config =
      sanji::node::LoadConfig(config_path, load_options);
  if (!config.ok()) {
    std::fprintf(stderr, "sanjid: %s\n", std::string(config.status().message()).c_str());
    return 1;
  }
  sanji::node::SetLogNodeId(config->config.node_id());
  sanji::node::RouteGrpcLogs();
  sanji::node::RouteProtobufLogs();
  sanji::node::NodeOptions options;
  options.insecure = insecure;
  options.reset_clock = reset_clock;
  absl::StatusOr<std::unique_ptr<sanji::node::Node>> node =
      sanji::node::Node::Start(*std::move(config), options);
  if (!node.ok()) {
    sanji::node::LogError("cannot start: ", node.status().ToString());
    return 1;
  }
  int signal = 0;
  sigwait(&signals, &signal);
  sanji::node::LogInfo("stopping on ", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  (*node)->Shutdown();
  sanji::node::FlushRepeatedGrpcLogs();
  sanji::node::LogInfo("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("sanjid: a Sanji replication node", "sanjid");
  std::string config_path;
  bool insecure = false;
  bool reset_clock = false;
  app.add_option("--config", config_path, "the node's config (protobuf text format)")->required();
  app.add_flag("--insecure", insecure,
               "plaintext without certificates; refused unless every address is loopback");
  app.add_flag("--reset-clock", reset_clock,
               "this machine's clock is right now: a saved clock ahead of it (left by a clock "
               "that ran ahead) steps back to it");
  app.set_version_flag("--version", std::string("sanjid ") + sanji::node::kSanjiVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }
  return Run(config_path, insecure, reset_clock);
}
