// Store::Backup: a consistent copy of the store into a new directory. See
// store.h for the contract.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conflict/status_macros.h"
#include "leveldb/filter_policy.h"
#include "leveldb/write_batch.h"
#include "store/db_snapshot.h"
#include "store/files.h"
#include "store/key_layout.h"
#include "store/metadata.h"
#include "store/store.h"

namespace sanji::store {
namespace {

// Keys and values are written to the copy in batches of about this size;
// only the last is synced (LevelDB's log is sequential, so syncing it makes
// every earlier write durable too).
constexpr size_t kCopyBatchBytes = 1 << 20;

// OK if `path` does not exist or is an empty directory.
absl::Status CheckEmpty(leveldb::Env* env, const std::string& path) {
  std::vector<std::string> children;
  if (!env->GetChildren(path, &children).ok()) return absl::OkStatus();  // no such directory
  std::erase_if(children, [](const std::string& name) { return name == "." || name == ".."; });
  if (children.empty()) return absl::OkStatus();
  return absl::AlreadyExistsError(
      absl::StrCat(path, " exists and is not empty (it holds ", children.front(),
                   children.size() > 1 ? absl::StrCat(" and ", children.size() - 1, " more") : "",
                   "): a backup goes into a new or empty directory"));
}

}  // namespace

absl::StatusOr<BackupResult> Store::Backup(const std::string& path) const {
  leveldb::Env* env = options_.env;
  SANJI_RETURN_IF_ERROR(CheckEmpty(env, path));
  std::shared_ptr<const DbSnapshot> snapshot;
  {
    std::shared_lock<std::shared_mutex> db_lock(db_mu_);
    SANJI_RETURN_IF_ERROR(CheckOpen());
    snapshot = std::make_shared<const DbSnapshot>(db_.get(), &live_snapshots_);
  }
  const leveldb::ReadOptions read = snapshot->ReadOptions(/*fill_cache=*/false);
  SANJI_ASSIGN_OR_RETURN(const StoreMetadata metadata, ReadMetadata(snapshot->db(), read));
  BackupResult result;
  result.incarnation = metadata.incarnation;
  result.knowledge = metadata.progress.knowledge;

  env->CreateDir(path);  // may exist (empty); the open below reports errors
  const std::string db_path = absl::StrCat(path, "/", kLevelDbDirName);
  std::unique_ptr<const leveldb::FilterPolicy> filter;
  if (options_.bloom_bits_per_key > 0) {
    filter.reset(leveldb::NewBloomFilterPolicy(options_.bloom_bits_per_key));
  }
  leveldb::Options copy_options;
  copy_options.env = env;
  copy_options.create_if_missing = true;
  copy_options.error_if_exists = true;
  copy_options.write_buffer_size = options_.write_buffer_size;
  copy_options.filter_policy = filter.get();
  auto copy = [&]() -> absl::Status {
    leveldb::DB* opened = nullptr;
    leveldb::Status status = leveldb::DB::Open(copy_options, db_path, &opened);
    if (!status.ok()) return FromLevelDb(status, absl::StrCat("creating the backup at ", path));
    const std::unique_ptr<leveldb::DB> db(opened);
    const std::string identity_key = MetadataKey(meta::kIdentityToken);
    std::unique_ptr<leveldb::Iterator> it(snapshot->db()->NewIterator(read));
    leveldb::WriteBatch batch;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      // No IDENTITY file matches an empty token: the copy starts a new
      // incarnation wherever it is opened.
      const bool identity = it->key() == identity_key;
      batch.Put(it->key(), identity ? leveldb::Slice() : it->value());
      ++result.keys;
      result.bytes += it->key().size() + it->value().size();
      if (batch.ApproximateSize() < kCopyBatchBytes) continue;
      status = db->Write(leveldb::WriteOptions(), &batch);
      if (!status.ok()) return FromLevelDb(status, absl::StrCat("writing the backup at ", path));
      batch.Clear();
    }
    if (!it->status().ok()) return FromLevelDb(it->status(), "reading the store for a backup");
    leveldb::WriteOptions synced;
    synced.sync = true;
    status = db->Write(synced, &batch);
    if (!status.ok()) return FromLevelDb(status, absl::StrCat("writing the backup at ", path));
    return absl::OkStatus();
  };
  absl::Status copied = copy();
  if (copied.ok()) {
    copied = WriteFileAtomically(env, absl::StrCat(path, "/", kDescriptorFileName),
                                 FormatDescriptor(Descriptor{kFormatVersion, options_.node_id}));
  }
  if (!copied.ok()) {
    leveldb::DestroyDB(db_path, copy_options);
    env->RemoveDir(db_path);
    env->RemoveDir(path);
    return copied;
  }
  return result;
}

}  // namespace sanji::store
