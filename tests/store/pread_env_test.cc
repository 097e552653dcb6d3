// PreadEnv (store/pread_env.h): random reads of a real file return its bytes
// at any offset, short at its end, and a missing file is NotFound.
#include "store/pread_env.h"

#include <gtest/gtest.h>

#include <memory>

#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

TEST(PreadEnvTest, ReadsAtAnyOffset) {
  TempDir dir;
  PreadEnv env(leveldb::Env::Default());
  const std::string name = dir.path() + "/table";
  std::string contents;
  for (int i = 0; i < 10000; ++i) contents.push_back(static_cast<char>('a' + i % 26));
  ASSERT_TRUE(leveldb::WriteStringToFile(&env, contents, name).ok());

  leveldb::RandomAccessFile* raw = nullptr;
  ASSERT_TRUE(env.NewRandomAccessFile(name, &raw).ok());
  std::unique_ptr<leveldb::RandomAccessFile> file(raw);
  char scratch[100];
  leveldb::Slice read;
  ASSERT_TRUE(file->Read(4097, 100, &read, scratch).ok());
  EXPECT_EQ(read.ToString(), contents.substr(4097, 100));
  ASSERT_TRUE(file->Read(9950, 100, &read, scratch).ok());
  EXPECT_EQ(read.ToString(), contents.substr(9950));  // short at the end

  EXPECT_TRUE(env.NewRandomAccessFile(dir.path() + "/missing", &raw).IsNotFound());
  EXPECT_EQ(raw, nullptr);
}

}  // namespace
}  // namespace sanji::store::testing
