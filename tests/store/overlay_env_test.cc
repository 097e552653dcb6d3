// OverlayEnv (store/overlay_env.h): a trial open sees every change it makes,
// and the directory underneath sees none of them.
#include "store/overlay_env.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

std::string Read(leveldb::Env* env, const std::string& name) {
  std::string contents;
  EXPECT_TRUE(leveldb::ReadFileToString(env, name, &contents).ok()) << name;
  return contents;
}

std::vector<std::string> Children(leveldb::Env* env, const std::string& dir) {
  std::vector<std::string> children;
  EXPECT_TRUE(env->GetChildren(dir, &children).ok());
  std::erase_if(children, [](const std::string& name) { return name == "." || name == ".."; });
  std::sort(children.begin(), children.end());
  return children;
}

TEST(OverlayEnvTest, ChangesStayInTheOverlay) {
  TempDir dir;
  leveldb::Env* base = leveldb::Env::Default();
  const std::string a = dir.path() + "/a";
  const std::string b = dir.path() + "/b";
  ASSERT_TRUE(leveldb::WriteStringToFile(base, "base a", a).ok());
  ASSERT_TRUE(leveldb::WriteStringToFile(base, "base b", b).ok());
  const auto before = SnapshotTree(dir.path());

  OverlayEnv overlay(base);
  leveldb::WritableFile* raw = nullptr;
  ASSERT_TRUE(overlay.NewAppendableFile(a, &raw).ok());
  std::unique_ptr<leveldb::WritableFile> appended(raw);
  ASSERT_TRUE(appended->Append(" and more").ok());
  ASSERT_TRUE(appended->Close().ok());
  EXPECT_EQ(Read(&overlay, a), "base a and more");

  ASSERT_TRUE(leveldb::WriteStringToFile(&overlay, "new c", dir.path() + "/c.tmp").ok());
  ASSERT_TRUE(overlay.RenameFile(dir.path() + "/c.tmp", dir.path() + "/c").ok());
  ASSERT_TRUE(overlay.RenameFile(b, dir.path() + "/b2").ok());
  EXPECT_EQ(Read(&overlay, dir.path() + "/b2"), "base b");
  EXPECT_EQ(Read(&overlay, dir.path() + "/c"), "new c");
  EXPECT_FALSE(overlay.FileExists(b));
  ASSERT_TRUE(overlay.RemoveFile(a).ok());
  EXPECT_FALSE(overlay.FileExists(a));
  EXPECT_TRUE(overlay.RemoveFile(a).IsNotFound());
  EXPECT_EQ(Children(&overlay, dir.path()), (std::vector<std::string>{"b2", "c"}));
  uint64_t size = 0;
  ASSERT_TRUE(overlay.GetFileSize(dir.path() + "/b2", &size).ok());
  EXPECT_EQ(size, 6u);

  EXPECT_EQ(SnapshotTree(dir.path()), before);
}

}  // namespace
}  // namespace sanji::store::testing
