#include "bench/counting_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sanji::bench {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

absl::Status Errno(const char* call) {
  return absl::InternalError(absl::StrCat("counting proxy: ", call, ": ", std::strerror(errno)));
}

// gRPC sets TCP_NODELAY on its own sockets; the proxy must not add Nagle's
// delay in between, or the latency it adds differs from a direct link's.
void NoDelay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CountingProxy>> CountingProxy::Start(int upstream_port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const absl::Status error = Errno("bind/listen");
    close(fd);
    return error;
  }
  std::unique_ptr<CountingProxy> proxy(
      new CountingProxy(fd, ntohs(address.sin_port), upstream_port));
  proxy->acceptor_ = std::thread([raw = proxy.get()] { raw->Accept(); });
  return proxy;
}

CountingProxy::CountingProxy(int listen_fd, int port, int upstream_port)
    : listen_fd_(listen_fd), port_(port), upstream_port_(upstream_port) {}

CountingProxy::~CountingProxy() {
  std::vector<std::thread> pumps;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    // Shutdown, not close: it wakes the threads blocked on these sockets.
    shutdown(listen_fd_, SHUT_RDWR);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    pumps.swap(pumps_);
  }
  for (std::thread& pump : pumps) pump.join();
  for (int fd : fds_) close(fd);
  close(listen_fd_);
}

std::string CountingProxy::address() const { return absl::StrCat("127.0.0.1:", port_); }

void CountingProxy::Accept() {
  for (;;) {
    const int down = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (down < 0) return;  // shut down (or out of descriptors: the dial fails)
    const int64_t accepted_micros = absl::ToUnixMicros(absl::Now());
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (offline_) {
        close(down);
        continue;
      }
    }
    const int up = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in upstream = Loopback(upstream_port_);
    if (up < 0 || connect(up, reinterpret_cast<const sockaddr*>(&upstream), sizeof upstream) != 0) {
      if (up >= 0) close(up);
      close(down);  // the child sees its parent unreachable, as it would be
      continue;
    }
    NoDelay(down);
    NoDelay(up);
    std::lock_guard<std::mutex> lock(mu_);
    fds_.push_back(down);
    fds_.push_back(up);
    ++connections_.count;
    connections_.last_accept_micros = accepted_micros;
    if (stopping_) {
      shutdown(down, SHUT_RDWR);
      shutdown(up, SHUT_RDWR);
    }
    pumps_.emplace_back([this, down, up] { Pump(down, up, bytes_up_); });
    pumps_.emplace_back([this, down, up] { Pump(up, down, bytes_down_); });
  }
}

void CountingProxy::Sever() {
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd : fds_) shutdown(fd, SHUT_RDWR);
}

void CountingProxy::SetOffline(bool offline) {
  std::lock_guard<std::mutex> lock(mu_);
  offline_ = offline;
}

CountingProxy::Connections CountingProxy::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_;
}

void CountingProxy::Pump(int from, int to, std::atomic<uint64_t>& count) {
  char buffer[64 << 10];
  for (;;) {
    const ssize_t got = read(from, buffer, sizeof buffer);
    if (got <= 0) break;
    count.fetch_add(static_cast<uint64_t>(got), std::memory_order_relaxed);
    for (ssize_t sent = 0; sent < got;) {
      // MSG_NOSIGNAL: a peer gone away ends the pump, not the process.
      const ssize_t wrote = send(to, buffer + sent, static_cast<size_t>(got - sent), MSG_NOSIGNAL);
      if (wrote <= 0) return;
      sent += wrote;
    }
  }
  shutdown(to, SHUT_WR);
}

}  // namespace sanji::bench
