// DelayProxy: a TCP proxy on loopback that holds every byte for a one-way
// delay, and optionally paces it at a link rate, so that a test can put a
// real 4G link (hundreds of milliseconds of round trip, tens of kbit/s)
// between two real sanjid processes. This kernel has no netem; the proxy
// stands in for it.
//
// Each accepted connection gets a connection to the target; each direction
// is pumped by a thread of its own: a chunk read at time t leaves at
// max(t, when the link is free) + its transmission time at the rate, plus
// the delay. Closing one side closes the other after what it sent arrives.
//
// Thread-safety: construct, address() and the destructor from one thread;
// the proxy runs on threads of its own.
#ifndef SANJI_TESTS_INTEGRATION_DELAY_PROXY_H_
#define SANJI_TESTS_INTEGRATION_DELAY_PROXY_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sanji::integration {

struct DelayProxyOptions {
  // host:port of the server the proxy forwards to (IPv4 loopback).
  std::string target;
  // Half the round trip the proxy adds.
  std::chrono::milliseconds one_way_delay{0};
  // The link's rate each way in bytes per second; 0 for no limit.
  int64_t bytes_per_second = 0;
};

class DelayProxy {
 public:
  // Listens on a free loopback port at once; address() is valid on return
  // (empty if the socket could not be made).
  explicit DelayProxy(DelayProxyOptions options);
  // Closes every connection and joins the threads.
  ~DelayProxy();
  DelayProxy(const DelayProxy&) = delete;
  DelayProxy& operator=(const DelayProxy&) = delete;

  const std::string& address() const { return address_; }
  // Connections accepted so far (each dial of a child is one).
  int connections() const { return connections_.load(); }

 private:
  void AcceptLoop();
  void Pump(int from, int to);

  const DelayProxyOptions options_;
  std::string address_;
  int listen_fd_ = -1;
  // Written once at destruction and never read: stays readable, so every
  // thread's poll wakes on it.
  int stop_pipe_[2] = {-1, -1};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<int> fds_;              // guarded by mu_
  std::vector<std::thread> threads_;  // guarded by mu_
  std::thread acceptor_;
};

}  // namespace sanji::integration

#endif  // SANJI_TESTS_INTEGRATION_DELAY_PROXY_H_
