#include "node/sync_link.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "codec/vector_codec.h"
#include "node/log.h"
#include "node/session_apply.h"

namespace sanji::node {
namespace {

using SteadyClock = std::chrono::steady_clock;

// With nothing to push, the session still ticks now and then (its skew
// checks read the time).
constexpr std::chrono::milliseconds kIdleTick{1000};

}  // namespace

SyncLink::SyncLink(LinkEnvironment environment, SyncLinkOptions options, FrameStream* stream)
    : environment_(environment),
      options_(std::move(options)),
      log_label_(absl::StrCat("link ", options_.peer_label)),
      stream_(stream),
      session_(options_.session, environment_.schema, environment_.replica),
      encoder_(options_.compress),
      decoder_(options_.max_frame_bytes) {
  status_.set_role(options_.session.role == replication::SessionOptions::Role::kChild
                       ? v1::LinkStatus::PARENT
                       : v1::LinkStatus::CHILD);
  status_.set_peer(options_.peer_label);
  status_.set_address(options_.address);
  status_.set_state(v1::LinkStatus::CONNECTING);
  status_.set_since_micros(NowMicros());
  status_.set_compressed(options_.compress);
}

SyncLink::~SyncLink() {
  if (reader_.joinable()) reader_.join();
}

void SyncLink::Stop(absl::Status reason, v1::Refusal::Code code) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;  // the first reason stands
    stop_ = true;
    stop_reason_ = std::move(reason);
    stop_code_ = code;
  }
  wake_.notify_one();
}

bool SyncLink::established() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return status_.state() == v1::LinkStatus::CATCHING_UP || status_.state() == v1::LinkStatus::LIVE;
}

v1::LinkStatus SyncLink::Status() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return status_;
}

absl::Status SyncLink::Run() {
  listener_ = environment_.notifier->AddListener([this] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      store_changed_ = true;
    }
    wake_.notify_one();
  });
  reader_ = std::thread([this] {
    v1::WireFrame wire;
    while (stream_->Read(wire)) {
      // Decoded here, off the driver's thread: expanding and parsing the
      // next batch overlaps the driver's apply of this one.
      v1::SyncFrame frame;
      const absl::Status decoded = decoder_.Decode(wire, frame);
      std::lock_guard<std::mutex> lock(mu_);
      wire_bytes_received_ += wire.payload().size();
      if (!decoded.ok()) {
        frame_error_ = absl::DataLossError(
            absl::StrCat("from ", options_.peer_label, ": ", decoded.message()));
        break;
      }
      inbox_.push_back(std::move(frame));
      wake_.notify_one();
    }
    std::lock_guard<std::mutex> lock(mu_);
    reader_done_ = true;
    wake_.notify_one();
  });

  const SteadyClock::time_point hello_deadline = SteadyClock::now() + options_.hello_timeout;
  session_.Start(NowMicros());
  absl::Status result;
  bool stream_broken = !Flush();
  // When a store change the session was told of is due to be pushed; max()
  // when none is waiting.
  constexpr SteadyClock::time_point kNoPush = SteadyClock::time_point::max();
  SteadyClock::time_point push_due = kNoPush;
  while (!stream_broken && !session_.closed()) {
    std::deque<v1::SyncFrame> frames;
    absl::Status frame_error;
    bool changed = false, closed = false, stop = false;
    absl::Status stop_reason;
    v1::Refusal::Code stop_code = v1::Refusal::CODE_UNSPECIFIED;
    {
      std::unique_lock<std::mutex> lock(mu_);
      SteadyClock::time_point wake_at = SteadyClock::now() + kIdleTick;
      wake_at = std::min(wake_at, push_due);
      if (!session_.peer().has_value()) wake_at = std::min(wake_at, hello_deadline);
      wake_.wait_until(lock, wake_at,
                       [&] { return !inbox_.empty() || store_changed_ || reader_done_ || stop_; });
      frames.swap(inbox_);
      frame_error = frame_error_;
      changed = std::exchange(store_changed_, false);
      closed = reader_done_;
      stop = stop_;
      stop_reason = stop_reason_;
      stop_code = stop_code_;
    }
    if (stop) {
      result = stop_reason;
      // The peer learns why in a refusal (and the stream ends as after any
      // refusal), unless the node is stopping, which must be prompt.
      if (stop_code != v1::Refusal::CODE_UNSPECIFIED) {
        session_.EndWithRefusal(stop_code, std::string(stop_reason.message()));
        if (!Flush()) stream_broken = true;
      }
      break;
    }
    for (const v1::SyncFrame& frame : frames) {
      session_.Receive(frame);
      if (const std::optional<int64_t> parent_clock = session_.TakeParentClock();
          parent_clock.has_value() && environment_.parent_clock != nullptr) {
        environment_.parent_clock->Update(*parent_clock);
      }
      if (!Flush()) stream_broken = true;
      if (stream_broken || session_.closed()) break;
    }
    if (stream_broken || session_.closed()) break;
    if (!frame_error.ok()) {
      // The peer sent a frame that does not decode: nothing more is read
      // from it; it is told why, and the stream ends below.
      result = frame_error;
      session_.EndWithRefusal(v1::Refusal::BAD_FRAME, std::string(frame_error.message()));
      if (!Flush()) stream_broken = true;
      break;
    }
    if (changed) {
      session_.StoreChanged();
      if (push_due == kNoPush) {
        push_due =
            SteadyClock::now() + std::chrono::microseconds(options_.session.push_delay_micros);
      }
    }
    session_.Tick(NowMicros());
    if (SteadyClock::now() >= push_due) push_due = kNoPush;
    if (!Flush()) break;
    UpdateStatus();
    if (closed && frames.empty()) {
      result = absl::UnavailableError(
          stream_->Broken()
              ? absl::StrCat("the connection to ", options_.peer_label, " (", options_.address,
                             ") broke: no answer to keepalive pings, or reset")
              : absl::StrCat(options_.peer_label, " closed the stream"));
      break;
    }
    if (!session_.peer().has_value() && SteadyClock::now() >= hello_deadline) {
      result = absl::DeadlineExceededError(absl::StrCat(
          options_.peer_label, " sent no hello within ", options_.hello_timeout.count(), " ms"));
      break;
    }
  }
  environment_.notifier->RemoveListener(listener_);

  if (session_.closed()) {
    // A refusal either way: the frames are written; let the peer see them
    // and close, within a grace period. A refusal for a reason of this
    // link's (above) keeps that reason as the result.
    if (result.ok()) result = session_.close_status();
    stream_->CloseSend();
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, options_.close_grace, [&] { return reader_done_; });
  } else if (result.ok()) {
    result = absl::UnavailableError(
        absl::StrCat("the stream to ", options_.peer_label, " broke while writing"));
  }
  bool peer_closed;
  bool bad_frame;
  {
    std::lock_guard<std::mutex> lock(mu_);
    peer_closed = reader_done_ && frame_error_.ok();
    bad_frame = !frame_error_.ok();
  }
  // A parent that refused a bad frame ends the call with its status, which
  // names the reason (its reader has stopped: nothing blocks); cancelling
  // would tell the child only CANCELLED.
  const bool ends_by_status =
      bad_frame && options_.session.role == replication::SessionOptions::Role::kParent;
  if (!peer_closed && !ends_by_status) stream_->Cancel();
  reader_.join();
  UpdateStatus();
  return result;
}

bool SyncLink::Flush() {
  for (;;) {
    for (const v1::SyncFrame& frame : session_.TakeFrames()) {
      v1::WireFrame wire;
      if (absl::Status encoded = encoder_.Encode(frame, wire); !encoded.ok()) {
        LogError("link ", options_.peer_label, ": ", encoded.message());
        return false;
      }
      if (!stream_->Write(wire)) return false;
    }
    if (!ApplySessionOutput(session_, *environment_.store, *environment_.notifier, listener_,
                            log_label_)
             .applied) {
      return true;
    }
  }
}

void SyncLink::UpdateStatus() {
  const replication::SessionStats& stats = session_.stats();
  uint64_t received;
  {
    std::lock_guard<std::mutex> lock(mu_);
    received = wire_bytes_received_;
  }
  v1::LinkStatus::State state = v1::LinkStatus::CONNECTING;
  if (session_.peer().has_value()) {
    state = session_.idle() ? v1::LinkStatus::LIVE : v1::LinkStatus::CATCHING_UP;
  }
  LinkTotals& totals = *environment_.totals;
  totals.items_sent += stats.items_sent - counted_.items_sent;
  totals.items_received += stats.items_received - counted_.items_received;
  totals.items_refused += stats.items_refused - counted_.items_refused;
  totals.timestamps_refused += stats.timestamps_refused - counted_.timestamps_refused;
  totals.fields_clashing += stats.fields_clashing - counted_.fields_clashing;
  counted_ = stats;
  const int64_t now = NowMicros();
  std::lock_guard<std::mutex> lock(status_mu_);
  if (state != status_.state()) {
    if (state == v1::LinkStatus::LIVE) {
      LogInfo("link ", options_.peer_label, ": in sync (", stats.items_sent, " items sent, ",
              stats.items_received, " received)");
    }
    status_.set_state(state);
    status_.set_since_micros(now);
  }
  if (received != status_.wire_bytes_received()) status_.set_last_contact_micros(now);
  status_.set_batches_sent(stats.batches_sent);
  status_.set_items_sent(stats.items_sent);
  status_.set_batches_received(stats.batches_received);
  status_.set_items_received(stats.items_received);
  status_.set_items_refused(stats.items_refused);
  status_.set_wire_bytes_sent(encoder_.payload_bytes());
  status_.set_wire_bytes_received(received);
  if (session_.peer().has_value()) {
    conflict::VersionVector peer_knowledge = session_.peer_knowledge();
    if (!status_.has_peer_knowledge() || peer_knowledge != published_peer_knowledge_) {
      published_peer_knowledge_ = std::move(peer_knowledge);
      codec::EncodeVersionVector(published_peer_knowledge_, status_.mutable_peer_knowledge());
    }
    if (session_.peer_schema_version().has_value()) {
      status_.set_peer_schema_version(*session_.peer_schema_version());
    }
  }
  if (session_.closed()) status_.set_last_error(std::string(session_.close_status().message()));
}

}  // namespace sanji::node
