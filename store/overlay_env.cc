#include "store/overlay_env.h"

#include <algorithm>
#include <cstdarg>

#include "leveldb/helpers/memenv.h"

namespace sanji::store {

namespace {

class DiscardingLogger : public leveldb::Logger {
 public:
  void Logv(const char*, std::va_list) override {}
};

leveldb::Status NotFound(const std::string& name) {
  return leveldb::Status::NotFound(name, "removed in the overlay");
}

}  // namespace

OverlayEnv::OverlayEnv(leveldb::Env* base) : EnvWrapper(base), overlay_(leveldb::NewMemEnv(base)) {}

OverlayEnv::~OverlayEnv() = default;

OverlayEnv::Source OverlayEnv::Find(const std::string& name) {
  if (overlay_->FileExists(name)) return Source::kOverlay;
  if (hidden_.count(name) > 0) return Source::kNone;
  return target()->FileExists(name) ? Source::kBase : Source::kNone;
}

template <typename Read>
leveldb::Status OverlayEnv::ReadFrom(const std::string& name, Read read) {
  std::lock_guard<std::mutex> lock(mu_);
  switch (Find(name)) {
    case Source::kOverlay:
      return read(overlay_.get());
    case Source::kBase:
      return read(target());
    default:
      return NotFound(name);
  }
}

leveldb::Status OverlayEnv::CopyUp(const std::string& name) {
  std::string contents;
  leveldb::Status status = leveldb::ReadFileToString(target(), name, &contents);
  if (status.ok()) status = leveldb::WriteStringToFile(overlay_.get(), contents, name);
  return status;
}

leveldb::Status OverlayEnv::NewSequentialFile(const std::string& name,
                                              leveldb::SequentialFile** result) {
  return ReadFrom(name, [&](leveldb::Env* env) { return env->NewSequentialFile(name, result); });
}

leveldb::Status OverlayEnv::NewRandomAccessFile(const std::string& name,
                                                leveldb::RandomAccessFile** result) {
  return ReadFrom(name, [&](leveldb::Env* env) { return env->NewRandomAccessFile(name, result); });
}

leveldb::Status OverlayEnv::NewWritableFile(const std::string& name,
                                            leveldb::WritableFile** result) {
  std::lock_guard<std::mutex> lock(mu_);
  return overlay_->NewWritableFile(name, result);
}

leveldb::Status OverlayEnv::NewAppendableFile(const std::string& name,
                                              leveldb::WritableFile** result) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Find(name) == Source::kBase) {
    leveldb::Status status = CopyUp(name);
    if (!status.ok()) return status;
  }
  return overlay_->NewAppendableFile(name, result);
}

bool OverlayEnv::FileExists(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  return Find(name) != Source::kNone;
}

leveldb::Status OverlayEnv::GetChildren(const std::string& dir, std::vector<std::string>* result) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> base;
  leveldb::Status status = target()->GetChildren(dir, &base);
  std::vector<std::string> added;
  overlay_->GetChildren(dir, &added);  // in memory: cannot fail
  if (!status.ok() && added.empty()) return status;
  result->clear();
  for (const std::string& child : base) {
    if (hidden_.count(dir + "/" + child) == 0) result->push_back(child);
  }
  for (const std::string& child : added) {
    // The in-memory Env lists files at any depth; keep the direct children.
    if (child.find('/') == std::string::npos) result->push_back(child);
  }
  std::sort(result->begin(), result->end());
  result->erase(std::unique(result->begin(), result->end()), result->end());
  return leveldb::Status::OK();
}

leveldb::Status OverlayEnv::RemoveFile(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  const Source source = Find(name);
  if (source == Source::kNone) return NotFound(name);
  if (source == Source::kOverlay) overlay_->RemoveFile(name);
  hidden_.insert(name);  // the base file, if any, stays hidden
  return leveldb::Status::OK();
}

// Directories are not modelled: the trial opens a database that exists.
leveldb::Status OverlayEnv::CreateDir(const std::string&) { return leveldb::Status::OK(); }
leveldb::Status OverlayEnv::RemoveDir(const std::string&) { return leveldb::Status::OK(); }

leveldb::Status OverlayEnv::GetFileSize(const std::string& name, uint64_t* size) {
  return ReadFrom(name, [&](leveldb::Env* env) { return env->GetFileSize(name, size); });
}

leveldb::Status OverlayEnv::RenameFile(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  const Source source = Find(from);
  if (source == Source::kNone) return NotFound(from);
  if (source == Source::kBase) {
    leveldb::Status status = CopyUp(from);
    if (!status.ok()) return status;
  }
  leveldb::Status status = overlay_->RenameFile(from, to);
  if (status.ok()) hidden_.insert(from);
  return status;
}

leveldb::Status OverlayEnv::NewLogger(const std::string&, leveldb::Logger** result) {
  *result = new DiscardingLogger;
  return leveldb::Status::OK();
}

}  // namespace sanji::store
