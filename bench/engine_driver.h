// A small driver of one sync session between two BenchNodes for the engine
// benchmark (bench/engine_bench.cc), in the manner of the simulator
// (tests/simulation/sim_network.h) but without its checks: each side is a
// replication::Session over its node's store; frames cross as serialized
// bytes (so each is serialized and parsed once, as on a wire); each
// ApplyBatch is applied with replication::ApplyToStore and reported back with
// Session::Applied, which sends the ack. The driver times each of those steps
// per side, so a run says where its time went.
//
// Two ways to drive it:
//  - kOne: one thread delivers a frame each way in turn, until nothing is in
//    flight. The time is the sum of both sides' work.
//  - kTwo: each side on its own thread, frames passed through a queue each
//    way, as two machines would run it: the child's scan and serialization of
//    batch n+1 overlap the parent's parse and apply of batch n (the session's
//    window lets the child run ahead). The run ends when the child is idle:
//    every batch acknowledged, so the parent has applied all of it.
//
// ThreadCpuSeconds: CPU time of the calling thread; ProcessCpuSeconds: of
// the process.
//
// Thread-safety: RunSession is thread-compatible; it uses the two nodes'
// stores (thread-safe) from at most two threads of its own.
#ifndef SANJI_BENCH_ENGINE_DRIVER_H_
#define SANJI_BENCH_ENGINE_DRIVER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "bench/engine_workload.h"
#include "replication/session.h"

namespace sanji::bench {

// Seconds one side spent in each step of a run.
struct SideTimes {
  double parse = 0;      // SyncFrame::ParseFromString of received frames
  double session = 0;    // Session::Start / Receive / Applied: the engine,
                         // including its store reads and record codec
  double apply = 0;      // replication::ApplyToStore
  double serialize = 0;  // SyncFrame::SerializeAsString of frames to send
  double free = 0;       // destroying frames and applied batches
  double wait = 0;       // blocked, waiting for the peer's next frame (kTwo)
  // CPU time of the thread that ran this side (kTwo; with kOne the child's
  // holds both sides' and the parent's is 0). LevelDB's background
  // compaction runs on a thread of its own and is not in it.
  double cpu = 0;
};

// What crossed one way: every frame, and the items of its batches.
struct FlowBytes {
  uint64_t frames = 0;
  uint64_t frame_bytes = 0;  // serialized SyncFrames: hello, batches, acks
  uint64_t items = 0;
  uint64_t record_bytes = 0;      // SyncItem.record: codec::SerializeRecord
  uint64_t key_bytes = 0;         // SyncItem.key
  uint64_t collection_bytes = 0;  // collection name bytes, once per item
};

struct SessionRun {
  // Not OK if a side closed the session, refused an item, or the run ended
  // with a side not idle.
  absl::Status status;
  // From the Start() calls until both sides are idle with every frame
  // delivered.
  double seconds = 0;
  // CPU time of the whole process during the run: both sides and LevelDB's
  // background compactions.
  double process_cpu_seconds = 0;
  SideTimes child_times, parent_times;
  FlowBytes up, down;  // child -> parent, parent -> child
  replication::SessionStats child_stats, parent_stats;
};

enum class Threads { kOne, kTwo };

double ThreadCpuSeconds();
double ProcessCpuSeconds();

// Runs one session between `child` (role kChild) and `parent` (role kParent,
// has_children) until both sides are idle. `options` gives the batch limits
// and window; role, peer and has_children are set here.
// REQUIRES: `parent`'s node id is an ancestor of `child`'s.
SessionRun RunSession(BenchNode& child, BenchNode& parent,
                      const replication::SessionOptions& options, Threads threads);

}  // namespace sanji::bench

#endif  // SANJI_BENCH_ENGINE_DRIVER_H_
