#include "tests/store/fault_injection_env.h"

#include <unistd.h>

#include <memory>
#include <utility>
#include <vector>

namespace sanji::store::testing {

namespace {

// A writable file that asks the Env before each Append and Sync.
class TrackedFile : public leveldb::WritableFile {
 public:
  TrackedFile(FaultInjectionEnv* env, std::string name, leveldb::WritableFile* target)
      : env_(env), name_(std::move(name)), target_(target) {}

  leveldb::Status Append(const leveldb::Slice& data) override {
    bool drop = false;
    leveldb::Status status = env_->OnAppend(name_, data.size(), &drop);
    if (!status.ok() || drop) return status;
    return target_->Append(data);
  }
  leveldb::Status Close() override { return target_->Close(); }
  leveldb::Status Flush() override { return target_->Flush(); }
  leveldb::Status Sync() override {
    bool drop = false;
    // Flush first so that the bytes counted as appended are in the file when
    // DropUnsyncedData truncates it, synced or not.
    leveldb::Status status = target_->Flush();
    if (status.ok()) status = env_->OnSync(name_, &drop);
    if (!status.ok() || drop) return status;
    return target_->Sync();
  }

 private:
  FaultInjectionEnv* const env_;
  const std::string name_;
  std::unique_ptr<leveldb::WritableFile> target_;
};

leveldb::Status Truncate(const std::string& name, uint64_t size) {
  if (::truncate(name.c_str(), static_cast<off_t>(size)) != 0) {
    return leveldb::Status::IOError(name, "truncate failed");
  }
  return leveldb::Status::OK();
}

}  // namespace

FaultInjectionEnv::FaultInjectionEnv(leveldb::Env* base) : EnvWrapper(base) {}

leveldb::Status FaultInjectionEnv::Track(const std::string& name, uint64_t initial_size,
                                         leveldb::WritableFile* file,
                                         leveldb::WritableFile** result) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    FileState& state = files_[name];
    // A file opened again keeps what was durable of it.
    state.size = initial_size;
    state.synced = std::min(state.synced, initial_size);
    if (initial_size > 0 && !state.ever_synced && state.synced == 0) {
      state.synced = initial_size;  // existed before tracking began: durable
      state.ever_synced = true;
    }
  }
  *result = new TrackedFile(this, name, file);
  return leveldb::Status::OK();
}

leveldb::Status FaultInjectionEnv::NewWritableFile(const std::string& name,
                                                   leveldb::WritableFile** result) {
  *result = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (space_left_.has_value() && *space_left_ == 0) return NoSpace(name);
  }
  leveldb::WritableFile* file = nullptr;
  leveldb::Status status = target()->NewWritableFile(name, &file);
  if (!status.ok()) return status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    files_.erase(name);  // truncated: a new file, nothing durable yet
  }
  return Track(name, 0, file, result);
}

leveldb::Status FaultInjectionEnv::NewAppendableFile(const std::string& name,
                                                     leveldb::WritableFile** result) {
  *result = nullptr;
  uint64_t size = 0;
  if (!target()->GetFileSize(name, &size).ok()) size = 0;
  leveldb::WritableFile* file = nullptr;
  leveldb::Status status = target()->NewAppendableFile(name, &file);
  if (!status.ok()) return status;
  return Track(name, size, file, result);
}

leveldb::Status FaultInjectionEnv::RemoveFile(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (frozen_) return leveldb::Status::OK();
    files_.erase(name);
  }
  return target()->RemoveFile(name);
}

leveldb::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (frozen_) return leveldb::Status::OK();
    auto node = files_.extract(from);
    files_.erase(to);
    if (!node.empty()) {
      node.key() = to;
      files_.insert(std::move(node));
    }
  }
  return target()->RenameFile(from, to);
}

void FaultInjectionEnv::FreezeAfter(std::optional<uint64_t> operations) {
  std::lock_guard<std::mutex> lock(mu_);
  operations_left_ = operations;
  if (operations == 0) frozen_ = true;
}

bool FaultInjectionEnv::frozen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return frozen_;
}

bool FaultInjectionEnv::CountOperation() {
  if (frozen_) return true;
  if (operations_left_.has_value()) {
    if (*operations_left_ == 0) {
      frozen_ = true;
      return true;
    }
    --*operations_left_;
  }
  return false;
}

leveldb::Status FaultInjectionEnv::NoSpace(const std::string& name) {
  ++refused_writes_;
  return leveldb::Status::IOError(name, "No space left on device");
}

leveldb::Status FaultInjectionEnv::OnAppend(const std::string& name, size_t bytes, bool* drop) {
  std::lock_guard<std::mutex> lock(mu_);
  *drop = CountOperation();
  if (*drop) return leveldb::Status::OK();
  if (space_left_.has_value()) {
    if (*space_left_ < bytes) return NoSpace(name);
    *space_left_ -= bytes;
  }
  files_[name].size += bytes;
  return leveldb::Status::OK();
}

leveldb::Status FaultInjectionEnv::OnSync(const std::string& name, bool* drop) {
  std::lock_guard<std::mutex> lock(mu_);
  *drop = CountOperation();
  if (*drop) return leveldb::Status::OK();
  if (space_left_.has_value() && *space_left_ == 0) return NoSpace(name);
  FileState& state = files_[name];
  state.synced = state.size;
  state.ever_synced = true;
  return leveldb::Status::OK();
}

leveldb::Status FaultInjectionEnv::DropUnsyncedData(std::mt19937_64& rng) {
  std::map<std::string, FileState> files;
  {
    std::lock_guard<std::mutex> lock(mu_);
    files.swap(files_);
    frozen_ = false;
    operations_left_.reset();
  }
  leveldb::Status first;
  for (const auto& [name, state] : files) {
    leveldb::Status status;
    if (!state.ever_synced) {
      status = target()->RemoveFile(name);
    } else if (state.size > state.synced) {
      const uint64_t torn = rng() % (state.size - state.synced + 1);
      status = Truncate(name, state.synced + torn);
    }
    if (first.ok() && !status.ok() && !status.IsNotFound()) first = status;
  }
  return first;
}

void FaultInjectionEnv::SetSpaceBudget(std::optional<uint64_t> bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  space_left_ = bytes;
}

uint64_t FaultInjectionEnv::refused_writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refused_writes_;
}

}  // namespace sanji::store::testing
