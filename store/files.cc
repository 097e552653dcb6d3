#include "store/files.h"

#include <memory>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "store/key_layout.h"

namespace sanji::store {

absl::Status FromLevelDb(const leveldb::Status& status, absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(context, ": ", status.ToString());
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsIOError()) {
    if (status.ToString().find("No space left") != std::string::npos) {
      return absl::ResourceExhaustedError(message);
    }
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

std::string FormatDescriptor(const Descriptor& descriptor) {
  return absl::StrCat(kDescriptorMagic, "\nformat_version ", descriptor.format_version,
                      "\nnode_id ", descriptor.node_id, "\n");
}

absl::StatusOr<Descriptor> ParseDescriptor(absl::string_view file_name, absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  auto bad = [&](size_t line, absl::string_view why) {
    return absl::DataLossError(absl::StrCat(file_name, ":", line + 1, ": ", why,
                                            "; this is not a Sanji store descriptor"));
  };
  if (lines.size() != 4 || !lines[3].empty()) return bad(0, "expected exactly three lines");
  if (lines[0] != kDescriptorMagic)
    return bad(0, absl::StrCat("expected \"", kDescriptorMagic, "\""));
  Descriptor descriptor;
  absl::string_view version = lines[1];
  if (!absl::ConsumePrefix(&version, "format_version ") ||
      !absl::SimpleAtoi(version, &descriptor.format_version) || descriptor.format_version == 0) {
    return bad(1, "expected \"format_version <positive number>\"");
  }
  absl::string_view node_id = lines[2];
  if (!absl::ConsumePrefix(&node_id, "node_id ") || node_id.empty()) {
    return bad(2, "expected \"node_id <id>\"");
  }
  descriptor.node_id = std::string(node_id);
  return descriptor;
}

absl::StatusOr<std::optional<std::string>> ReadOptionalFile(leveldb::Env* env,
                                                            const std::string& file_name) {
  if (!env->FileExists(file_name)) return std::optional<std::string>();
  std::string contents;
  leveldb::Status status = leveldb::ReadFileToString(env, file_name, &contents);
  if (!status.ok()) return FromLevelDb(status, absl::StrCat("reading ", file_name));
  return std::optional<std::string>(std::move(contents));
}

absl::Status WriteFileAtomically(leveldb::Env* env, const std::string& file_name,
                                 absl::string_view contents) {
  const std::string temp_name = file_name + ".tmp";
  const std::string context = absl::StrCat("writing ", file_name);
  leveldb::WritableFile* raw_file = nullptr;
  leveldb::Status status = env->NewWritableFile(temp_name, &raw_file);
  if (!status.ok()) return FromLevelDb(status, context);
  std::unique_ptr<leveldb::WritableFile> file(raw_file);
  status = file->Append(leveldb::Slice(contents.data(), contents.size()));
  if (status.ok()) status = file->Sync();
  if (status.ok()) status = file->Close();
  if (status.ok()) status = env->RenameFile(temp_name, file_name);
  if (!status.ok()) {
    env->RemoveFile(temp_name);  // best effort: a stray .tmp is harmless
    return FromLevelDb(status, context);
  }
  return absl::OkStatus();
}

}  // namespace sanji::store
