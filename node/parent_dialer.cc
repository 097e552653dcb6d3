#include "node/parent_dialer.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "node/log.h"
#include "node/sync_service.h"
#include "sync.grpc.pb.h"

namespace sanji::node {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class ClientFrameStream final : public FrameStream {
 public:
  ClientFrameStream(grpc::ClientContext* context,
                    grpc::ClientReaderWriter<v1::WireFrame, v1::WireFrame>* stream)
      : context_(context), stream_(stream) {}

  bool Read(v1::WireFrame& frame) override { return stream_->Read(&frame); }
  bool Write(const v1::WireFrame& frame) override { return stream_->Write(frame); }
  void CloseSend() override { stream_->WritesDone(); }
  void Cancel() override { context_->TryCancel(); }

 private:
  grpc::ClientContext* const context_;
  grpc::ClientReaderWriter<v1::WireFrame, v1::WireFrame>* const stream_;
};

}  // namespace

grpc::ChannelArguments ParentChannelArguments(const v1::TimeoutConfig& timeouts,
                                              uint32_t max_message_bytes) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(timeouts.keepalive_time_ms()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(timeouts.keepalive_timeout_ms()));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Pings go on however long the link carries no data (a live session that
  // is in sync is quiet): a dead link must be noticed then too.
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetMaxReceiveMessageSize(static_cast<int>(max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(max_message_bytes));
  // Each dial gets a fresh channel with its own subchannel, so gRPC's
  // backoff of an earlier failed channel never delays it.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // gRPC takes the minimum reconnect backoff as the time a connection
  // attempt (TCP, TLS and the first HTTP/2 frames: three round trips or more)
  // may take, so it is the dial's deadline, not a short backoff: at 100 ms, a
  // village behind a 4G link of 60 ms round trip never connected. The dialer
  // spaces its own redials; gRPC's first retry stays quick.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, static_cast<int>(timeouts.call_deadline_ms()));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(timeouts.backoff_max_ms()));
  return args;
}

ParentDialer::ParentDialer(LinkEnvironment environment, DialerOptions options)
    : environment_(environment), options_(std::move(options)) {
  SetIdleStatus(0, v1::LinkStatus::CONNECTING, "");
}

ParentDialer::~ParentDialer() { Stop(); }

void ParentDialer::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ParentDialer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    if (current_link_ != nullptr) current_link_->Stop();
    if (current_context_ != nullptr) current_context_->TryCancel();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

v1::LinkStatus ParentDialer::Status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_link_ != nullptr ? current_link_->Status() : idle_status_;
}

void ParentDialer::SetIdleStatus(size_t index, v1::LinkStatus::State state,
                                 const std::string& error) {
  const DialerOptions::Parent& parent = options_.parents[index];
  std::lock_guard<std::mutex> lock(mu_);
  idle_status_.set_role(v1::LinkStatus::PARENT);
  // Another parent's knowledge says nothing of how far this one is.
  if (idle_status_.peer() != parent.id) {
    idle_status_.clear_peer_knowledge();
    idle_status_.clear_peer_schema_version();
  }
  idle_status_.set_peer(parent.id);
  idle_status_.set_address(parent.address);
  if (idle_status_.state() != state) {
    idle_status_.set_state(state);
    idle_status_.set_since_micros(environment_.clock->NowMicros());
  }
  if (!error.empty()) idle_status_.set_last_error(error);
  idle_status_.set_compressed(parent.compression == v1::ParentConfig::COMPRESSION_ZSTD);
}

bool ParentDialer::Wait(milliseconds duration) {
  std::unique_lock<std::mutex> lock(mu_);
  return !wake_.wait_for(lock, duration, [&] { return stop_; });
}

void ParentDialer::Loop() {
  const v1::TimeoutConfig& timeouts = options_.timeouts;
  const milliseconds initial_backoff(timeouts.backoff_initial_ms());
  const milliseconds max_backoff(timeouts.backoff_max_ms());
  const milliseconds failover_after(timeouts.failover_after_ms());
  std::mt19937_64 random(std::random_device{}());

  size_t index = 0;
  milliseconds backoff = initial_backoff;
  SteadyClock::time_point failing_since = SteadyClock::now();
  for (;;) {
    bool preempted = false;
    const bool established = RunOnce(index, preempted);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    if (preempted) {
      LogInfo("returning to ", options_.parents[0].id, ", which answers again");
      index = 0;
      backoff = initial_backoff;
      failing_since = SteadyClock::now();
      continue;
    }
    if (established) {
      backoff = initial_backoff;
      failing_since = SteadyClock::now();
    } else if (options_.parents.size() > 1 &&
               SteadyClock::now() - failing_since >= failover_after) {
      const size_t next = (index + 1) % options_.parents.size();
      LogWarning(options_.parents[index].id, " unreachable for ", failover_after.count(),
                 " ms; failing over to ", options_.parents[next].id);
      index = next;
      backoff = initial_backoff;
      failing_since = SteadyClock::now();
      continue;
    }
    SetIdleStatus(index, v1::LinkStatus::BACKOFF, "");
    const milliseconds wait(
        std::uniform_int_distribution<int64_t>(backoff.count() / 2, backoff.count())(random));
    if (!Wait(wait)) return;
    backoff = std::min(backoff * 2, max_backoff);
  }
}

bool ParentDialer::RunOnce(size_t index, bool& preempted) {
  const DialerOptions::Parent& parent = options_.parents[index];
  SetIdleStatus(index, v1::LinkStatus::CONNECTING, "");
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      options_.credentials(parent.id);
  if (!credentials.ok()) {
    LogError("cannot dial ", parent.id, ": ", credentials.status().message());
    SetIdleStatus(index, v1::LinkStatus::BACKOFF, std::string(credentials.status().message()));
    return false;
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      parent.address, *credentials,
      ParentChannelArguments(options_.timeouts, options_.max_message_bytes));
  std::unique_ptr<v1::Sync::Stub> stub = v1::Sync::NewStub(channel);

  grpc::ClientContext context;
  const bool zstd = parent.compression == v1::ParentConfig::COMPRESSION_ZSTD;
  const bool gzip = parent.compression == v1::ParentConfig::COMPRESSION_GZIP;
  if (zstd) context.AddMetadata(kCompressionMetadataKey, kCompressionZstd);
  if (gzip) {
    context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    context.AddMetadata(kCompressionMetadataKey, kCompressionGzip);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return false;
    current_context_ = &context;
  }
  std::unique_ptr<grpc::ClientReaderWriter<v1::WireFrame, v1::WireFrame>> stream =
      stub->Session(&context);
  ClientFrameStream frames(&context, stream.get());

  SyncLinkOptions link_options = options_.link;
  link_options.session.role = replication::SessionOptions::Role::kChild;
  // With TLS the channel has checked that the parent's certificate names
  // this id; the session checks that its hello does too.
  link_options.session.authenticated_peer = parent.id;
  link_options.compress = zstd;
  link_options.peer_label = parent.id;
  link_options.address = parent.address;
  SyncLink link(environment_, std::move(link_options), &frames);
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_link_ = &link;
    if (stop_) link.Stop();
  }

  struct Probe {
    std::mutex mu;
    std::condition_variable done_changed;
    bool done = false;
  } probe;
  std::thread prober;
  if (index != 0) {
    prober = std::thread([&] {
      const DialerOptions::Parent& primary = options_.parents[0];
      const milliseconds period(options_.timeouts.primary_probe_ms());
      for (;;) {
        {
          std::unique_lock<std::mutex> lock(probe.mu);
          if (probe.done_changed.wait_for(lock, period, [&] { return probe.done; })) return;
        }
        absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> primary_credentials =
            options_.credentials(primary.id);
        if (!primary_credentials.ok()) continue;
        std::shared_ptr<grpc::Channel> primary_channel = grpc::CreateCustomChannel(
            primary.address, *primary_credentials,
            ParentChannelArguments(options_.timeouts, options_.max_message_bytes));
        primary_channel->GetState(/*try_to_connect=*/true);
        if (primary_channel->WaitForConnected(std::chrono::system_clock::now() +
                                              milliseconds(options_.timeouts.call_deadline_ms()))) {
          preempted = true;
          link.Stop();
          return;
        }
      }
    });
  }

  LogInfo("dialing ", parent.id, " at ", parent.address,
          zstd ? " (zstd)" : (gzip ? " (gzip)" : ""));
  const absl::Status ended = link.Run();
  if (prober.joinable()) {
    {
      std::lock_guard<std::mutex> lock(probe.mu);
      probe.done = true;
    }
    probe.done_changed.notify_all();
    prober.join();
  }
  const bool established = link.established();
  const v1::LinkStatus final_status = link.Status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_link_ = nullptr;
    current_context_ = nullptr;
  }
  const grpc::Status finished = stream->Finish();
  std::string why = ended.ToString();
  if (!finished.ok() && finished.error_code() != grpc::StatusCode::CANCELLED) {
    why = absl::StrCat("rpc ", finished.error_code(), ": ", finished.error_message());
  }
  if (!preempted) LogWarning("session with ", parent.id, " ended: ", why);
  SetIdleStatus(index, v1::LinkStatus::BACKOFF, why);
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t since = idle_status_.since_micros();
    const v1::LinkStatus::State state = idle_status_.state();
    const std::string last_error = idle_status_.last_error();
    idle_status_ = final_status;
    idle_status_.set_state(state);
    idle_status_.set_since_micros(since);
    idle_status_.set_last_error(last_error);
  }
  return established;
}

}  // namespace sanji::node
