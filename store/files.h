// The store's small files (the SANJI descriptor and the IDENTITY token, see
// store/key_layout.h) and the conversion of LevelDB statuses, all through a
// leveldb::Env so that tests can inject faults.
//
// Thread-safety: functions; concurrent calls on the same file are the
// caller's problem (Open is the only user).
#ifndef SANJI_STORE_FILES_H_
#define SANJI_STORE_FILES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leveldb/env.h"
#include "leveldb/status.h"

namespace sanji::store {

// LevelDB's status as an absl::Status whose message starts with `context`:
// NotFound, Corruption -> DataLoss, "No space left" -> ResourceExhausted,
// other I/O errors -> Unavailable, the rest Internal.
absl::Status FromLevelDb(const leveldb::Status& status, absl::string_view context);

// `status` with `context` and ": " before its message, same code.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

struct Descriptor {
  uint32_t format_version = 0;
  std::string node_id;
};

std::string FormatDescriptor(const Descriptor& descriptor);
// Errors: DataLoss naming `file_name` and the bad line.
absl::StatusOr<Descriptor> ParseDescriptor(absl::string_view file_name, absl::string_view text);

// The file's contents, or nullopt if it does not exist.
absl::StatusOr<std::optional<std::string>> ReadOptionalFile(leveldb::Env* env,
                                                            const std::string& file_name);

// Writes `contents` to a temporary file, syncs it and renames it over
// `file_name`, so readers see the old or the new contents, never a mix.
absl::Status WriteFileAtomically(leveldb::Env* env, const std::string& file_name,
                                 absl::string_view contents);

}  // namespace sanji::store

#endif  // SANJI_STORE_FILES_H_
