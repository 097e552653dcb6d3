#include "store/pread_env.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

namespace sanji::store {

namespace {

leveldb::Status PosixError(const std::string& context, int error) {
  if (error == ENOENT) return leveldb::Status::NotFound(context, strerror(error));
  return leveldb::Status::IOError(context, strerror(error));
}

int DescriptorBudget() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 50;
  if (limit.rlim_cur == RLIM_INFINITY) return 10000;
  return static_cast<int>(limit.rlim_cur / 5);
}

class PreadFile final : public leveldb::RandomAccessFile {
 public:
  // `fd` is -1 if the file opens for each read; otherwise this file owns it
  // and returns its slot to `left` when closed.
  PreadFile(std::string name, int fd, std::atomic<int>* left)
      : name_(std::move(name)), fd_(fd), left_(left) {}

  ~PreadFile() override {
    if (fd_ < 0) return;
    ::close(fd_);
    left_->fetch_add(1);
  }

  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    int fd = fd_;
    if (fd < 0) {
      fd = ::open(name_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return PosixError(name_, errno);
    }
    leveldb::Status status;
    const ssize_t read = ::pread(fd, scratch, n, static_cast<off_t>(offset));
    *result = leveldb::Slice(scratch, read < 0 ? 0 : static_cast<size_t>(read));
    if (read < 0) status = PosixError(name_, errno);
    if (fd != fd_) ::close(fd);
    return status;
  }

 private:
  const std::string name_;
  const int fd_;
  std::atomic<int>* const left_;
};

}  // namespace

PreadEnv::PreadEnv(leveldb::Env* base) : EnvWrapper(base), descriptors_left_(DescriptorBudget()) {}

leveldb::Status PreadEnv::NewRandomAccessFile(const std::string& name,
                                              leveldb::RandomAccessFile** result) {
  *result = nullptr;
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return PosixError(name, errno);
  if (descriptors_left_.fetch_sub(1) > 0) {
    *result = new PreadFile(name, fd, &descriptors_left_);
    return leveldb::Status::OK();
  }
  descriptors_left_.fetch_add(1);
  ::close(fd);
  *result = new PreadFile(name, -1, nullptr);
  return leveldb::Status::OK();
}

}  // namespace sanji::store
