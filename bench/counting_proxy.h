// CountingProxy: a TCP proxy on loopback that forwards each connection it
// accepts to one upstream address and counts the bytes that cross it each
// way. The network benchmark (bench/network_bench.cc) puts it between a
// child sanjid and its parent to measure what a link really carries (TLS
// records, HTTP/2 frames, whatever compression the link uses), the same way
// for every compression choice: gRPC's gzip compresses inside the transport,
// where the node's own counters (LinkStatus.wire_bytes_*) cannot see it.
//
// It copies bytes with blocking reads and writes, two threads per
// connection: simple, and at loopback speed the cost is the same for every
// choice it compares.
//
// The compare benchmark (bench/compare_bench.cc) also uses it as the link's
// switch: Sever() drops every connection, as a link that fails does, and
// while offline the proxy closes each connection it accepts, so the child
// finds its parent unreachable; the accept time of the last connection it
// forwarded starts the clock of the next session.
//
// Thread-safety: the counters may be read from any thread; Start and the
// destructor from one.
#ifndef SANJI_BENCH_COUNTING_PROXY_H_
#define SANJI_BENCH_COUNTING_PROXY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace sanji::bench {

class CountingProxy {
 public:
  // Listens on 127.0.0.1 on a port the kernel chooses and forwards to
  // 127.0.0.1:`upstream_port`. Errors: Internal naming the failed call.
  static absl::StatusOr<std::unique_ptr<CountingProxy>> Start(int upstream_port);
  // Closes the listener and every connection, and joins the threads.
  ~CountingProxy();
  CountingProxy(const CountingProxy&) = delete;
  CountingProxy& operator=(const CountingProxy&) = delete;

  // "127.0.0.1:<port>", for the child to dial.
  std::string address() const;
  // Bytes from the dialing side to upstream, and back, over all connections.
  uint64_t bytes_up() const { return bytes_up_.load(std::memory_order_relaxed); }
  uint64_t bytes_down() const { return bytes_down_.load(std::memory_order_relaxed); }

  // Ends every connection now: both ends see it closed.
  void Sever();
  // While offline, connections are closed as soon as they are accepted.
  void SetOffline(bool offline);
  // How many connections were forwarded upstream, and the wall-clock time
  // (microseconds since the epoch, the clock of LinkStatus.since_micros)
  // when the latest of them was accepted (0 before the first).
  struct Connections {
    uint64_t count = 0;
    int64_t last_accept_micros = 0;
  };
  Connections connections() const;

 private:
  CountingProxy(int listen_fd, int port, int upstream_port);
  void Accept();
  // Copies from `from` to `to` until `from` ends, then ends `to`'s writes.
  void Pump(int from, int to, std::atomic<uint64_t>& count);

  const int listen_fd_;
  const int port_;
  const int upstream_port_;
  std::atomic<uint64_t> bytes_up_{0};
  std::atomic<uint64_t> bytes_down_{0};
  std::thread acceptor_;
  mutable std::mutex mu_;
  bool stopping_ = false;           // guarded by mu_
  bool offline_ = false;            // guarded by mu_
  Connections connections_;         // guarded by mu_
  std::vector<int> fds_;            // guarded by mu_: every connection's sockets
  std::vector<std::thread> pumps_;  // guarded by mu_
};

}  // namespace sanji::bench

#endif  // SANJI_BENCH_COUNTING_PROXY_H_
