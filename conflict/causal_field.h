// CausalField<Payload>: the base of every field type of a record. It owns a
// DotKernel and gives each type the same join, so the types differ only in
// their mutators and their read.
//
// Mutators of the derived types change the field in place and are meant for a
// copy of the current state: Record::Write takes the record's state, applies
// the change to a copy and returns that successor state. They assume the
// writer holds every entry of the field, which a local write does.
//
// Thread-safety: a value type; const methods may run concurrently.
#ifndef SANJI_CONFLICT_CAUSAL_FIELD_H_
#define SANJI_CONFLICT_CAUSAL_FIELD_H_

#include <vector>

#include "conflict/dot_kernel.h"

namespace sanji::conflict {

template <typename PayloadT>
class CausalField {
 public:
  using Payload = PayloadT;
  using Entry = typename DotKernel<Payload>::Entry;

  const std::vector<Entry>& entries() const { return kernel_.entries(); }
  bool empty() const { return kernel_.empty(); }

  // Adds an entry as it was read from storage or the wire. The codec's entry
  // point; a local write uses the type's own mutators.
  void InsertDecoded(Dot dot, Payload payload) {
    kernel_.Insert(std::move(dot), std::move(payload));
  }

  // See DotKernel::Join.
  void Join(const VersionVector& context, const CausalField& other,
            const VersionVector& other_context) {
    kernel_.Join(context, other.kernel_, other_context);
  }

  // See DotKernel::EraseCovered.
  void EraseCovered(const VersionVector& other_context) { kernel_.EraseCovered(other_context); }

  friend bool operator==(const CausalField&, const CausalField&) = default;

 protected:
  DotKernel<Payload> kernel_;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_CAUSAL_FIELD_H_
