// LinkRegistry: the sync links a node's children opened to it, for the
// admin status and for shutdown. A child that opens a new session while its
// old one still stands (it redialed after a link it saw die) replaces the
// old one, which is stopped with that reason (Aborted): the old session's
// end is logged as a replacement, and its child, if still there, is told so
// in a REPLACED refusal and in the call's status.
//
// Thread-safety: thread-safe.
#ifndef SANJI_NODE_LINK_REGISTRY_H_
#define SANJI_NODE_LINK_REGISTRY_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "admin.pb.h"
#include "node/sync_link.h"

namespace sanji::node {

class LinkRegistry {
 public:
  // Registers `link` of child `peer`, which called from `address`, and
  // stops any earlier link of the same peer. Returns 0, and registers
  // nothing, once StopAll() was called.
  uint64_t Add(const std::string& peer, const std::string& address, SyncLink* link) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return 0;
    for (auto& [id, entry] : links_) {
      if (entry.peer != peer) continue;
      entry.link->Stop(absl::AbortedError(absl::StrCat("a new session from ", peer, " at ", address,
                                                       " replaced this one")),
                       v1::Refusal::REPLACED);
    }
    links_.emplace(++last_id_, Entry{peer, link});
    return last_id_;
  }

  // After it returns, the registry no longer touches the link.
  void Remove(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    links_.erase(id);
  }

  // Stops every link and refuses new ones.
  void StopAll() {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& [id, entry] : links_) entry.link->Stop();
  }

  std::vector<v1::LinkStatus> Statuses() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<v1::LinkStatus> statuses;
    for (const auto& [id, entry] : links_) statuses.push_back(entry.link->Status());
    return statuses;
  }

 private:
  struct Entry {
    std::string peer;
    SyncLink* link;
  };
  mutable std::mutex mu_;
  std::map<uint64_t, Entry> links_;
  uint64_t last_id_ = 0;
  bool stopping_ = false;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_LINK_REGISTRY_H_
