// SchemaHolder: the schema a node runs now, swapped without a restart when
// the county publishes a newer version (docs/SCHEMA.md, "The schema as
// data"); SchemaSource: how a component (the store, a session, a service)
// reads it.
//
// Every version a holder ever adopted stays alive as long as the holder: a
// county publishes a version every few months, so a node holds a handful,
// and a reader's pointer (a batch being checked, a watch stream, a decoded
// record's CollectionSchema) stays valid across an adoption without
// reference counting on the hot path. A reader takes the current version
// once per call or batch; two reads may see two versions, which the rules of
// change (conflict/schema_rules.h) make compatible.
//
// Thread-safety: SchemaHolder is thread-safe (Current is one atomic load;
// Adopt serializes on a mutex). SchemaSource is a value; its reads are as
// thread-safe as what it points to.
#ifndef SANJI_CONFLICT_SCHEMA_HOLDER_H_
#define SANJI_CONFLICT_SCHEMA_HOLDER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "conflict/schema.h"

namespace sanji::conflict {

// One version of a deployment's schema: its number (0 for the config's
// starting schema, which no one published), the schema, and the text it was
// built from (empty if none).
struct SchemaVersion {
  uint64_t number = 0;
  Schema schema;
  std::string text;
};

class SchemaHolder {
 public:
  explicit SchemaHolder(SchemaVersion initial);

  SchemaHolder(const SchemaHolder&) = delete;
  SchemaHolder& operator=(const SchemaHolder&) = delete;

  // The version adopted last. Never null; valid as long as the holder.
  const SchemaVersion* Current() const { return current_.load(std::memory_order_acquire); }

  // Makes `next` current if its number is greater than the current one's.
  // Returns whether it did; an older or equal version is left alone, so
  // versions that arrive in any order end on the newest.
  bool Adopt(SchemaVersion next);

 private:
  // std::mutex rather than absl::Mutex: Debian's Abseil is not built for
  // TSan, which would not see absl::Mutex order the accesses.
  std::mutex mu_;
  std::vector<std::unique_ptr<const SchemaVersion>> versions_ ABSL_GUARDED_BY(mu_);
  std::atomic<const SchemaVersion*> current_;
};

// Where a component reads its schema: a fixed one (tests, tools, a store
// opened offline) or a holder's current version, read at each use. Used like
// the `const Schema*` it replaces: `source->Collection(name)`.
class SchemaSource {
 public:
  SchemaSource() = default;
  SchemaSource(std::nullptr_t) {}  // NOLINT: none, as a null `const Schema*`
  // Implicit, so that code written for a fixed schema still passes one.
  SchemaSource(const Schema* fixed) : fixed_(fixed) {}           // NOLINT
  SchemaSource(const SchemaHolder* holder) : holder_(holder) {}  // NOLINT

  // REQUIRES: not null. The current schema; valid as long as its holder.
  const Schema& operator*() const { return holder_ ? holder_->Current()->schema : *fixed_; }
  const Schema* operator->() const { return &**this; }
  // The number of the current version; 0 for a fixed schema.
  uint64_t version() const { return holder_ ? holder_->Current()->number : 0; }

  bool operator==(std::nullptr_t) const { return fixed_ == nullptr && holder_ == nullptr; }

 private:
  const Schema* fixed_ = nullptr;
  const SchemaHolder* holder_ = nullptr;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_SCHEMA_HOLDER_H_
