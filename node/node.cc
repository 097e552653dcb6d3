#include "node/node.h"

#include <filesystem>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "codec/vector_codec.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "node/log.h"
#include "node/tls.h"
#include "node/version.h"

namespace sanji::node {
namespace {

// The bytes a new incarnation of the store takes as its identity token
// (store/options.h): random, so that a store copied to another machine is
// told apart from the original.
std::string RandomIdentityToken() {
  std::random_device device;
  std::string token(16, '\0');
  for (char& byte : token) byte = static_cast<char>(device() & 0xff);
  return token;
}

// COMPRESSION_AUTO resolved to what the link uses.
v1::ParentConfig::Compression CompressionTo(const v1::ParentConfig& parent) {
  if (parent.compression() != v1::ParentConfig::COMPRESSION_AUTO) return parent.compression();
  // Village links are slow 4G; a link on this machine is not.
  return IsLoopbackAddress(parent.address()) ? v1::ParentConfig::COMPRESSION_NONE
                                             : v1::ParentConfig::COMPRESSION_ZSTD;
}

// The services that health answers for by name, besides "".
std::vector<std::string> HealthNames() {
  return {v1::RecordService::service_full_name(), v1::AdminService::service_full_name(),
          v1::Sync::service_full_name()};
}

// Everything the server serves, as reflection lists it (gRPC's v1alpha plugin
// lists the same, from the server's registered services).
std::vector<std::string> ReflectedServices() {
  std::vector<std::string> services = HealthNames();
  services.push_back(grpc::health::v1::Health::service_full_name());
  services.push_back(grpc::reflection::v1::ServerReflection::service_full_name());
  services.push_back("grpc.reflection.v1alpha.ServerReflection");  // gRPC's plugin; no header
  return services;
}

}  // namespace

Node::Node(LoadedConfig config, NodeOptions options)
    : config_(std::move(config)),
      options_(options),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_),
      started_micros_(clock_->NowMicros()),
      schemas_(conflict::SchemaVersion{0, config_.schema, ""}),
      authorizer_(config_.config.node_id(), options_.insecure) {}

Node::~Node() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Node>> Node::Start(LoadedConfig config, NodeOptions options) {
  std::unique_ptr<Node> node(new Node(std::move(config), options));
  if (absl::Status opened = node->Open(); !opened.ok()) {
    node->Shutdown();
    return opened;
  }
  return node;
}

absl::Status Node::Open() {
  const v1::NodeConfig& config = config_.config;
  if (options_.insecure) {
    if (!IsLoopbackAddress(config.listen_address())) {
      return absl::FailedPreconditionError(
          absl::StrCat("--insecure is refused on ", config.listen_address(),
                       ", which is not a loopback address: plaintext may only stay on this "
                       "machine"));
    }
    for (const v1::ParentConfig& parent : config.parents()) {
      if (!IsLoopbackAddress(parent.address())) {
        return absl::FailedPreconditionError(absl::StrCat("--insecure is refused: parent ",
                                                          parent.id(), " at ", parent.address(),
                                                          " is not a loopback address"));
      }
    }
    LogWarning(
        "--insecure: plaintext links, no certificates, peers not authenticated; "
        "for tests on this machine only");
  } else {
    if (absl::Status named = CheckCertificateNamesNode(config.tls(), config.node_id());
        !named.ok()) {
      return named;
    }
  }

  // A fresh node's data directory may sit under directories not made yet
  // (/var/lib/sanji/...): make them, as an operator would expect.
  std::error_code made;
  std::filesystem::create_directories(std::filesystem::path(config.data_dir()).parent_path(), made);
  if (made) {
    return absl::FailedPreconditionError(absl::StrCat("cannot create the directories of data_dir ",
                                                      config.data_dir(), ": ", made.message()));
  }
  store::Options store_options;
  store_options.path = config.data_dir();
  store_options.node_id = config.node_id();
  store_options.schema = &schemas_;
  store_options.clock = clock_;
  store_options.max_skew_micros = int64_t{config.max_clock_skew_seconds()} * 1'000'000;
  store_options.reference_clock = &parent_clock_;
  store_options.on_clock_step = [](conflict::HlcTimestamp from, conflict::HlcTimestamp to) {
    LogWarning("clock: the saved clock ", from.ToString(),
               " was ahead of this machine's clock and of the parent's by more than half the "
               "skew bound (a clock that ran ahead was corrected): it steps back to ",
               to.ToString(), ", so that the parent accepts this node's new writes");
  };
  store_options.max_record_bytes = config.max_record_bytes();
  store_options.identity_token = RandomIdentityToken();
  absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(store_options);
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  replica_ = std::make_unique<replication::StoreReplica>(store_.get());
  LogInfo("store open at ", config.data_dir(), ": incarnation ", store_->origin().incarnation,
          ", counter ", store_->progress().counter);
  if (absl::Status clock = CheckSavedClock(); !clock.ok()) return clock;
  adopter_ = std::make_unique<SchemaAdopter>(store_.get(), &schemas_, &notifier_, config.node_id());
  absl::StatusOr<uint64_t> adopted = adopter_->AdoptNewest();
  if (!adopted.ok()) return adopted.status();
  LogInfo("schema: running version ", *adopted, *adopted == 0 ? " (the config's)" : "");

  const LinkEnvironment environment{store_.get(), replica_.get(), &schemas_,     &notifier_,
                                    clock_,       &totals_,       &parent_clock_};
  SyncLinkOptions link;
  link.session.max_batch_items = config.sync().max_batch_items();
  link.session.max_batch_bytes = config.sync().max_batch_bytes();
  link.session.window = config.sync().window();
  link.session.push_delay_micros = int64_t{config.sync().push_delay_ms()} * 1000;
  link.session.max_skew_micros = store_options.max_skew_micros;
  link.session.max_record_bytes = store_options.max_record_bytes;
  link.session.has_children = !config.leaf();
  link.max_frame_bytes = config.max_message_bytes();
  link.hello_timeout = std::chrono::milliseconds(config.timeouts().call_deadline_ms());

  SyncServiceImpl::Options sync_options;
  sync_options.node_id = config.node_id();
  sync_options.leaf = config.leaf();
  sync_options.link = link;
  sync_service_ =
      std::make_unique<SyncServiceImpl>(environment, sync_options, &children_, &authorizer_);
  record_service_ = std::make_unique<RecordServiceImpl>(
      store_.get(), &schemas_, &notifier_, &authorizer_, config.max_message_bytes() / 2);
  BundleOptions bundle_options;
  bundle_options.node_id = config.node_id();
  bundle_options.leaf = config.leaf();
  bundle_options.session = link.session;
  bundle_options.max_frame_bytes = link.max_frame_bytes;
  bundles_ = std::make_unique<Bundles>(environment, std::move(bundle_options));
  admin_service_ =
      std::make_unique<AdminServiceImpl>(store_.get(), &schemas_, bundles_.get(), &authorizer_,
                                         adopter_.get(), [this] { return Status(); });

  std::shared_ptr<grpc::ServerCredentials> server_credentials;
  if (options_.insecure) {
    server_credentials = grpc::InsecureServerCredentials();
  } else {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        ServerCredentials(config.tls());
    if (!credentials.ok()) return credentials.status();
    server_credentials = *std::move(credentials);
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // gRPC's health service runs on its own message code, outside protobuf's
  // descriptor pool: naming the generated health messages links their
  // descriptors into sanjid, so that both reflection services can describe
  // grpc.health.v1.Health, not only list it.
  static_cast<void>(grpc::health::v1::HealthCheckRequest::descriptor());
  reflection_v1_ = std::make_unique<ReflectionV1Service>(ReflectedServices());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen_address(), server_credentials, &port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes()));
  builder.SetMaxSendMessageSize(static_cast<int>(config.max_message_bytes()));
  // The server pings its children too (a village that vanished is noticed),
  // and lets them ping as often as the shortest keepalive a config allows.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(config.timeouts().keepalive_time_ms()));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             static_cast<int>(config.timeouts().keepalive_timeout_ms()));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 500);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  builder.RegisterService(sync_service_.get());
  builder.RegisterService(record_service_.get());
  builder.RegisterService(admin_service_.get());
  builder.RegisterService(reflection_v1_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen_address(),
                                               ": the port is in use or the address is not "
                                               "one of this machine's"));
  }
  // Stock clients and load balancers ask health for the service they call,
  // not only for "".
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  for (const std::string& name : HealthNames()) health->SetServingStatus(name, true);
  health->SetServingStatus(true);
  LogInfo("sanjid ", kSanjiVersion, " serving on ", config.listen_address(), " (port ", port_,
          options_.insecure ? ", plaintext)" : ", mutual TLS)");

  adopter_->Start();
  if (config.parents_size() > 0) {
    DialerOptions dialer;
    for (const v1::ParentConfig& parent : config.parents()) {
      dialer.parents.push_back({parent.id(), parent.address(), CompressionTo(parent)});
    }
    dialer.timeouts = config.timeouts();
    dialer.max_message_bytes = config.max_message_bytes();
    dialer.link = link;
    if (options_.insecure) {
      dialer.credentials =
          [](const std::string&) -> absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> {
        return grpc::InsecureChannelCredentials();
      };
    } else {
      const v1::TlsConfig tls = config.tls();
      dialer.credentials = [tls](const std::string& id) { return ChannelCredentials(tls, id); };
    }
    dialer_ = std::make_unique<ParentDialer>(environment, std::move(dialer));
    dialer_->Start();
  }
  if (config.status_period_s() == 0) return absl::OkStatus();  // the record is off
  StatusWriterOptions status;
  status.period = std::chrono::seconds(config.status_period_s());
  status.data_dir = config.data_dir();
  status.status = [this] { return Status(); };
  status_writer_ = std::make_unique<StatusWriter>(store_.get(), &schemas_, &notifier_, clock_,
                                                  std::move(status));
  status_writer_->Start();
  return absl::OkStatus();
}

absl::Status Node::CheckSavedClock() {
  if (options_.reset_clock) {
    absl::StatusOr<std::optional<conflict::HlcTimestamp>> stepped =
        store_->StepClockBack(clock_->NowMicros(), /*min_lead_micros=*/0);
    if (!stepped.ok()) return stepped.status();
    if (!stepped->has_value()) {
      LogInfo("clock: --reset-clock: the saved clock ", store_->progress().hlc_last.ToString(),
              " is not ahead of this machine's clock; nothing to reset");
    }  // else on_clock_step logged it
    return absl::OkStatus();
  }
  const int64_t lead = store_->ClockLeadMicros();
  if (lead > 0) {
    LogWarning("clock: the saved clock ", store_->progress().hlc_last.ToString(), " is ",
               absl::FormatDuration(absl::Microseconds(lead)),
               " ahead of this machine's clock: writes are stamped from the saved clock (its "
               "logical part counts them) until this machine's clock catches up. If this "
               "machine's clock is right and the saved one came from a clock that ran ahead, "
               "the node steps back once its parent's clock confirms it; a node without a "
               "parent needs sanjid --reset-clock");
  }
  return absl::OkStatus();
}

void Node::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) server_->GetHealthCheckService()->SetServingStatus(false);
  if (status_writer_ != nullptr) status_writer_->Stop();
  if (adopter_ != nullptr) adopter_->Stop();
  if (dialer_ != nullptr) dialer_->Stop();
  children_.StopAll();
  notifier_.WakeAll();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
  }
  status_writer_.reset();
  adopter_.reset();
  dialer_.reset();
  server_.reset();
  reflection_v1_.reset();
  admin_service_.reset();
  bundles_.reset();
  record_service_.reset();
  sync_service_.reset();
  replica_.reset();
  if (store_ != nullptr) {
    store_.reset();
    LogInfo("store flushed and closed");
  }
}

v1::NodeStatus Node::Status() const {
  v1::NodeStatus status;
  status.set_node_id(config_.config.node_id());
  status.set_version(kSanjiVersion);
  status.set_schema_version(schemas_.Current()->number);
  status.set_started_micros(started_micros_);
  status.set_listen_address(config_.config.listen_address());
  if (store_ == nullptr) return status;
  status.set_incarnation(store_->origin().incarnation);
  codec::EncodeVersionVector(store_->Knowledge(), status.mutable_knowledge());
  if (dialer_ != nullptr) *status.add_links() = dialer_->Status();
  std::vector<v1::LinkStatus> children = children_.Statuses();
  for (v1::LinkStatus& link : children) *status.add_links() = std::move(link);
  status.set_refused_items(totals_.items_refused);
  status.set_fields_clashing(totals_.fields_clashing);
  status.set_items_sent(totals_.items_sent);
  status.set_items_received(totals_.items_received);
  const store::StoreStats stats = store_->stats();
  status.set_commits(stats.commits);
  // The store refuses what reaches it; the sessions refuse most of it
  // earlier, item by item, so that one bad clock does not fail a batch.
  status.set_refused_remote_timestamps(stats.refused_remote_timestamps +
                                       static_cast<int64_t>(totals_.timestamps_refused));
  status.set_clock_skew_seen_micros(stats.max_remote_ahead_micros);
  status.set_calls_refused(authorizer_.refused());
  status.set_clock_lead_micros(store_->ClockLeadMicros());
  status.set_clock_steps_back(static_cast<uint64_t>(stats.clock_steps_back));
  return status;
}

}  // namespace sanji::node
