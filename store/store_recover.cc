// Store's recovery after a failed commit: probe that the disk takes writes
// again, then reopen LevelDB in place. See store.h, "Write errors and
// recovery", for the contract and why the store never writes to a LevelDB
// instance again after a failed commit.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "conflict/status_macros.h"
#include "store/files.h"
#include "store/store.h"

namespace sanji::store {

namespace {

constexpr absl::string_view kProbeFileName = "WRITE_PROBE";
constexpr size_t kProbeChunkBytes = 64 << 10;

}  // namespace

absl::Status Store::ProbeWritable() const {
  leveldb::Env* env = options_.env;
  const std::string name = absl::StrCat(options_.path, "/", kProbeFileName);
  leveldb::WritableFile* raw = nullptr;
  leveldb::Status status = env->NewWritableFile(name, &raw);
  std::unique_ptr<leveldb::WritableFile> file(raw);
  const std::string chunk(kProbeChunkBytes, '\0');
  for (size_t written = 0; status.ok() && written < kRecoveryProbeBytes;
       written += kProbeChunkBytes) {
    status = file->Append(chunk);
  }
  if (status.ok()) status = file->Sync();
  if (status.ok()) status = file->Close();
  file.reset();
  env->RemoveFile(name);  // best effort: a failed probe may have left a part
  if (!status.ok()) return FromLevelDb(status, "probing");
  return absl::OkStatus();
}

absl::Status Store::RecoverFromWriteError() {
  const std::string context =
      absl::StrCat("the store at ", options_.path, " takes no writes since a commit failed (",
                   last_write_error_.message(), "); reads still work");
  absl::Status probe = ProbeWritable();
  if (!probe.ok()) return Annotate(probe, context);
  std::unique_lock<std::shared_mutex> db_lock(db_mu_);
  const int snapshots = live_snapshots_.load();
  if (snapshots > 0) {
    return absl::UnavailableError(
        absl::StrCat(context, ": reopening waits for ", snapshots,
                     " snapshots and change iterators (sync streams) to close"));
  }
  absl::Status reopened = ReopenLevelDb();
  if (!reopened.ok()) return Annotate(reopened, absl::StrCat(context, ": reopening"));
  reopen_needed_ = false;
  last_write_error_ = absl::OkStatus();
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.reopens;
  return absl::OkStatus();
}

}  // namespace sanji::store
