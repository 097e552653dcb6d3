#include "bench/engine_driver.h"

#include <time.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/storage_workload.h"
#include "replication/store_replica.h"

namespace sanji::bench {
namespace {

using Clock = std::chrono::steady_clock;
using replication::Session;
using replication::SessionOptions;

// Runs `step` and adds its duration to `seconds`.
template <typename Step>
auto Timed(double& seconds, Step&& step) {
  struct Add {
    double& seconds;
    Clock::time_point start = Clock::now();
    ~Add() { seconds += std::chrono::duration<double>(Clock::now() - start).count(); }
  } add{seconds};
  return step();
}

// Serialized frames one way. Pop blocks until a frame arrives or the channel
// is closed and empty.
class Channel {
 public:
  void Push(std::string frame) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      frames_.push_back(std::move(frame));
    }
    ready_.notify_one();
  }
  std::optional<std::string> Pop(double& waited) {
    std::unique_lock<std::mutex> lock(mu_);
    if (frames_.empty() && !closed_) {
      Timed(waited, [&] { ready_.wait(lock, [&] { return !frames_.empty() || closed_; }); });
    }
    return TakeLocked();
  }
  std::optional<std::string> TryPop() {
    std::lock_guard<std::mutex> lock(mu_);
    return TakeLocked();
  }
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    ready_.notify_all();
  }

 private:
  std::optional<std::string> TakeLocked() {
    if (frames_.empty()) return std::nullopt;
    std::string frame = std::move(frames_.front());
    frames_.pop_front();
    return frame;
  }

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::string> frames_;
  bool closed_ = false;
};

// One side of the session: its engine, the store it applies to, and where
// its frames go.
class SessionEnd {
 public:
  SessionEnd(BenchNode& node, SessionOptions options, Channel& out)
      : node_(node), session_(std::move(options), &node.schema(), &node.replica()), out_(out) {}

  void Start() {
    Timed(times.session, [&] { session_.Start(kBenchMicros); });
    Flush();
  }

  void Deliver(std::string bytes) {
    auto frame = std::make_unique<v1::SyncFrame>();
    if (!Timed(times.parse, [&] { return frame->ParseFromString(bytes); })) {
      error =
          absl::DataLossError(absl::StrCat(node_.node_id(), " got a frame that does not parse"));
      return;
    }
    Count(*frame, bytes.size());
    Timed(times.session, [&] { session_.Receive(*frame); });
    Timed(times.free, [&] {
      frame.reset();
      std::string().swap(bytes);
    });
    Flush();
  }

  const Session& session() const { return session_; }
  bool Failed() const { return !error.ok() || session_.closed(); }

  SideTimes times;
  FlowBytes received;
  absl::Status error;

 private:
  // Sends the session's frames and applies its batches, until it has none.
  void Flush() {
    for (;;) {
      std::vector<v1::SyncFrame> frames = session_.TakeFrames();
      for (v1::SyncFrame& frame : frames) {
        std::string bytes = Timed(times.serialize, [&] { return frame.SerializeAsString(); });
        out_.Push(std::move(bytes));
      }
      Timed(times.free, [&] { frames.clear(); });
      for (const replication::RefusedItem& refused : session_.TakeRefusedItems()) {
        if (error.ok()) {
          error = absl::InternalError(
              absl::StrCat(node_.node_id(), " refused ", refused.key, ": ", refused.reason));
        }
      }
      std::vector<replication::ApplyBatch> applies = session_.TakeApplies();
      if (applies.empty()) return;
      for (replication::ApplyBatch& batch : applies) {
        const uint64_t sequence = batch.sequence;
        const absl::Status applied = Timed(times.apply, [&] {
          return replication::ApplyToStore(node_.store(), std::move(batch)).status();
        });
        Timed(times.session, [&] { session_.Applied(sequence, applied); });
      }
      Timed(times.free, [&] { applies.clear(); });
    }
  }

  void Count(const v1::SyncFrame& frame, size_t bytes) {
    ++received.frames;
    received.frame_bytes += bytes;
    if (!frame.has_batch()) return;
    const v1::SyncBatch& batch = frame.batch();
    for (const v1::SyncItem& item : batch.items()) {
      ++received.items;
      received.record_bytes += item.record().size();
      received.key_bytes += item.key().size();
      if (item.collection() < static_cast<uint32_t>(batch.collections_size())) {
        received.collection_bytes += batch.collections(static_cast<int>(item.collection())).size();
      }
    }
  }

  BenchNode& node_;
  Session session_;
  Channel& out_;
};

SessionOptions WithRole(SessionOptions options, SessionOptions::Role role, const std::string& peer,
                        bool has_children) {
  options.role = role;
  options.authenticated_peer = peer;
  options.has_children = has_children;
  return options;
}

double CpuSeconds(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Delivers a frame each way in turn until none is in flight.
void RunOnOneThread(SessionEnd& child, SessionEnd& parent, Channel& up, Channel& down) {
  const double cpu_start = ThreadCpuSeconds();
  child.Start();
  parent.Start();
  for (bool moved = true; moved && !child.Failed() && !parent.Failed();) {
    moved = false;
    if (std::optional<std::string> frame = up.TryPop()) {
      parent.Deliver(*std::move(frame));
      moved = true;
    }
    if (std::optional<std::string> frame = down.TryPop()) {
      child.Deliver(*std::move(frame));
      moved = true;
    }
  }
  child.times.cpu = ThreadCpuSeconds() - cpu_start;
}

// Each side on its own thread; the child's thread ends the run when it is
// idle (everything it sent is acknowledged), or either side ends it on a
// failure.
void RunOnTwoThreads(SessionEnd& child, SessionEnd& parent, Channel& up, Channel& down) {
  auto loop = [&up, &down](SessionEnd& end, Channel& in, bool is_child) {
    const double cpu_start = ThreadCpuSeconds();
    end.Start();
    while (std::optional<std::string> frame = in.Pop(end.times.wait)) {
      end.Deliver(*std::move(frame));
      if (end.Failed() || (is_child && end.session().idle())) break;
    }
    up.Close();
    down.Close();
    end.times.cpu = ThreadCpuSeconds() - cpu_start;
  };
  std::thread parent_thread(loop, std::ref(parent), std::ref(up), false);
  loop(child, down, true);
  parent_thread.join();
}

absl::Status Outcome(const SessionEnd& child, const SessionEnd& parent) {
  for (const SessionEnd* end : {&child, &parent}) {
    if (!end->error.ok()) return end->error;
    if (end->session().closed()) return end->session().close_status();
  }
  if (!child.session().idle() || !parent.session().idle()) {
    return absl::InternalError("the session stopped with a side not idle");
  }
  return absl::OkStatus();
}

}  // namespace

double ThreadCpuSeconds() { return CpuSeconds(CLOCK_THREAD_CPUTIME_ID); }
double ProcessCpuSeconds() { return CpuSeconds(CLOCK_PROCESS_CPUTIME_ID); }

SessionRun RunSession(BenchNode& child, BenchNode& parent, const SessionOptions& options,
                      Threads threads) {
  Channel up;
  Channel down;
  SessionEnd child_end(
      child,
      WithRole(options, SessionOptions::Role::kChild, parent.node_id(), /*has_children=*/false),
      up);
  SessionEnd parent_end(
      parent,
      WithRole(options, SessionOptions::Role::kParent, child.node_id(), /*has_children=*/true),
      down);
  const double cpu_start = ProcessCpuSeconds();
  const Clock::time_point start = Clock::now();
  if (threads == Threads::kOne) {
    RunOnOneThread(child_end, parent_end, up, down);
  } else {
    RunOnTwoThreads(child_end, parent_end, up, down);
  }
  SessionRun run;
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.process_cpu_seconds = ProcessCpuSeconds() - cpu_start;
  run.status = Outcome(child_end, parent_end);
  run.child_times = child_end.times;
  run.parent_times = parent_end.times;
  run.up = parent_end.received;
  run.down = child_end.received;
  run.child_stats = child_end.session().stats();
  run.parent_stats = parent_end.session().stats();
  return run;
}

}  // namespace sanji::bench
