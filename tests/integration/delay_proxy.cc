#include "tests/integration/delay_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <deque>

namespace sanji::integration {
namespace {

using Clock = std::chrono::steady_clock;

bool ParseLoopbackTarget(const std::string& target, sockaddr_in& address) {
  const size_t colon = target.rfind(':');
  if (colon == std::string::npos) return false;
  address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::stoi(target.substr(colon + 1))));
  return inet_pton(AF_INET, target.substr(0, colon).c_str(), &address.sin_addr) == 1;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t written = send(fd, data, size, MSG_NOSIGNAL);
    if (written <= 0) return false;
    data += written;
    size -= static_cast<size_t>(written);
  }
  return true;
}

struct Chunk {
  Clock::time_point leaves_at;
  std::string bytes;
};

}  // namespace

DelayProxy::DelayProxy(DelayProxyOptions options) : options_(std::move(options)) {
  if (pipe(stop_pipe_) != 0) return;
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return;
  }
  address_ = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

DelayProxy::~DelayProxy() {
  if (stop_pipe_[1] >= 0) {
    const char stop = 0;
    (void)!write(stop_pipe_[1], &stop, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  for (std::thread& thread : threads_) thread.join();
  for (int fd : fds_) close(fd);
  for (int fd : {listen_fd_, stop_pipe_[0], stop_pipe_[1]}) {
    if (fd >= 0) close(fd);
  }
}

void DelayProxy::AcceptLoop() {
  sockaddr_in target{};
  if (!ParseLoopbackTarget(options_.target, target)) return;
  for (;;) {
    pollfd polled[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(polled, 2, -1) < 0 || polled[1].revents != 0) return;
    const int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    const int server = socket(AF_INET, SOCK_STREAM, 0);
    if (server < 0 ||
        connect(server, reinterpret_cast<const sockaddr*>(&target), sizeof(target)) != 0) {
      close(client);
      if (server >= 0) close(server);
      continue;
    }
    // The proxy's own buffering must not add delay of its own.
    const int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    connections_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    fds_.push_back(client);
    fds_.push_back(server);
    threads_.emplace_back([this, client, server] { Pump(client, server); });
    threads_.emplace_back([this, client, server] { Pump(server, client); });
  }
}

void DelayProxy::Pump(int from, int to) {
  std::deque<Chunk> in_flight;
  Clock::time_point link_free_at = Clock::now();
  bool source_open = true;
  char buffer[16 * 1024];
  for (;;) {
    int timeout_ms = -1;
    if (!in_flight.empty()) {
      timeout_ms =
          static_cast<int>(std::max<int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(
                                                    in_flight.front().leaves_at - Clock::now())
                                                    .count()));
    } else if (!source_open) {
      shutdown(to, SHUT_WR);
      return;
    }
    pollfd polled[2] = {{from, static_cast<short>(source_open ? POLLIN : 0), 0},
                        {stop_pipe_[0], POLLIN, 0}};
    if (poll(polled, 2, timeout_ms) < 0 || polled[1].revents != 0) return;
    if (source_open && polled[0].revents != 0) {
      const ssize_t got = recv(from, buffer, sizeof(buffer), 0);
      if (got <= 0) {
        source_open = false;
      } else {
        const Clock::time_point now = Clock::now();
        link_free_at = std::max(link_free_at, now);
        if (options_.bytes_per_second > 0) {
          link_free_at += std::chrono::microseconds(got * 1'000'000 / options_.bytes_per_second);
        }
        in_flight.push_back(
            {link_free_at + options_.one_way_delay, std::string(buffer, static_cast<size_t>(got))});
      }
    }
    while (!in_flight.empty() && in_flight.front().leaves_at <= Clock::now()) {
      if (!WriteAll(to, in_flight.front().bytes.data(), in_flight.front().bytes.size())) {
        shutdown(from, SHUT_RD);
        return;
      }
      in_flight.pop_front();
    }
  }
}

}  // namespace sanji::integration
