// StatusSchedule: when a node writes its status record (node/status_schema.h).
// A pure decision over times the caller passes in, so tests drive it with
// made-up clocks and no thread.
//
// A write is due at start; when what the record says has changed in a way
// the operator cares about (a link changing state, new refusals or
// conflicts: the caller condenses that into a `digest`) and the last attempt
// is at least `debounce` old; and when the last successful write is `period`
// old. Every write commits locally and goes up the tree, so a link that
// flaps writes at most once per debounce, and a quiet node once per period.
// A failed write is retried after the debounce, not at every look.
//
// Thread-safety: a value; not safe for concurrent use.
#ifndef SANJI_NODE_STATUS_SCHEDULE_H_
#define SANJI_NODE_STATUS_SCHEDULE_H_

#include <cstdint>
#include <optional>
#include <string>

namespace sanji::node {

class StatusSchedule {
 public:
  // REQUIRES: 0 < debounce_micros <= period_micros.
  StatusSchedule(int64_t period_micros, int64_t debounce_micros);

  // Whether to write at `now` (micros) when the record would say `digest`.
  bool Due(int64_t now, const std::string& digest) const;
  // A write of `digest` at `now` succeeded.
  void Written(int64_t now, std::string digest);
  // A write at `now` failed.
  void Failed(int64_t now);

 private:
  const int64_t period_;
  const int64_t debounce_;
  std::optional<int64_t> last_attempt_;
  std::optional<int64_t> last_written_;
  std::string written_digest_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_STATUS_SCHEDULE_H_
