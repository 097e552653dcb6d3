#include "node/repeat_throttle.h"

#include <cassert>

namespace sanji::node {

RepeatThrottle::RepeatThrottle(absl::Duration interval) : interval_(interval) {
  assert(interval > absl::ZeroDuration());
}

bool RepeatThrottle::Add(const std::string& key, absl::Time now) {
  auto [it, opened] = episodes_.try_emplace(key, Episode{now, now, 0});
  Episode& episode = it->second;
  // Due() ends a quiet episode, but only when it is called in between: an
  // event after a long silence opens a new one even if nothing called it.
  if (!opened && episode.count == 0 && now - episode.last_event >= interval_) {
    episode = Episode{now, now, 0};
    opened = true;
  }
  if (opened) return true;
  ++episode.count;
  episode.last_event = now;
  return false;
}

std::vector<RepeatThrottle::Repeats> RepeatThrottle::Due(absl::Time now) {
  std::vector<Repeats> due;
  for (auto it = episodes_.begin(); it != episodes_.end();) {
    Episode& episode = it->second;
    if (episode.count > 0 && now - episode.last_line >= interval_) {
      due.push_back(Report(it->first, episode, now));
    } else if (episode.count == 0 && now - episode.last_event >= interval_) {
      it = episodes_.erase(it);
      continue;
    }
    ++it;
  }
  return due;
}

std::vector<RepeatThrottle::Repeats> RepeatThrottle::Flush(absl::Time now) {
  std::vector<Repeats> counted;
  for (auto& [key, episode] : episodes_) {
    if (episode.count > 0) counted.push_back(Report(key, episode, now));
  }
  return counted;
}

RepeatThrottle::Repeats RepeatThrottle::Report(const std::string& key, Episode& episode,
                                               absl::Time now) {
  Repeats repeats{key, episode.count, now - episode.last_line};
  episode.count = 0;
  episode.last_line = now;
  return repeats;
}

}  // namespace sanji::node
