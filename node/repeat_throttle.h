// RepeatThrottle: which of a stream of repeated events get a log line. A
// village dialling with a bad certificate fails its handshake on every
// redial, for as long as nobody fixes it; one line per attempt buries the
// rest of the log, and none hides it.
//
// Events have a key (their cause). The first event of a key opens an
// episode and is logged in full. Later events of that key are counted, and
// reported as one line ("N more in the last D") at most once per interval.
// An episode ends once a whole interval passes with nothing counted and no
// event; the key's next event opens a new one, logged in full again.
//
// Pure: time is passed in (node/log.cc passes the wall clock), so tests
// drive it without a clock.
// Thread-safety: not thread-safe; the caller serialises calls.
#ifndef SANJI_NODE_REPEAT_THROTTLE_H_
#define SANJI_NODE_REPEAT_THROTTLE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace sanji::node {

class RepeatThrottle {
 public:
  // Events of one key counted since its last line.
  struct Repeats {
    std::string key;
    int64_t count = 0;
    // From that last line (the episode's first event or its last report) to
    // the time of the report.
    absl::Duration over;
  };

  // REQUIRES: interval > 0.
  explicit RepeatThrottle(absl::Duration interval);

  // An event of `key` at `now`. True when it opens an episode: log it in
  // full. False when it was counted, for a later Due or Flush.
  // REQUIRES: Due(now) was called first, so that an episode whose repeats
  // are due is reported before the event that follows them.
  bool Add(const std::string& key, absl::Time now);

  // The repeats due at `now`, by key: of each episode whose last line is at
  // least an interval old and that counted events since. Ends the episodes
  // that were quiet for an interval.
  std::vector<Repeats> Due(absl::Time now);

  // Every counted repeat, due or not, by key (when the node stops: nothing
  // counted goes unsaid).
  std::vector<Repeats> Flush(absl::Time now);

 private:
  struct Episode {
    absl::Time last_line;
    absl::Time last_event;
    int64_t count = 0;
  };
  // Reports `episode`'s count at `now` and starts counting afresh.
  static Repeats Report(const std::string& key, Episode& episode, absl::Time now);

  const absl::Duration interval_;
  std::map<std::string, Episode> episodes_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_REPEAT_THROTTLE_H_
