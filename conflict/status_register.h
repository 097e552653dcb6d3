// StatusRegister: the state of `status` fields, whose values come from an
// ordered list in the schema (open < assigned < resolved < closed). It holds
// ranks in that list. Concurrent advances are all kept and the read is the
// furthest, so a ticket never moves backwards because an old replica synced
// late; a local write may not move it back either (Record::Write refuses).
//
// Thread-safety: a value type.
#ifndef SANJI_CONFLICT_STATUS_REGISTER_H_
#define SANJI_CONFLICT_STATUS_REGISTER_H_

#include <cstdint>
#include <optional>

#include "conflict/causal_field.h"

namespace sanji::conflict {

class StatusRegister : public CausalField<uint32_t> {
 public:
  // Sets the status to `rank`, replacing every rank the writer saw.
  void Advance(const Dot& dot, uint32_t rank);
  // The furthest rank, or nullopt when unset.
  std::optional<uint32_t> Rank() const;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_STATUS_REGISTER_H_
