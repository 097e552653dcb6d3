// Opening stores (ARCHITECTURE.md §2, §5): a store of another node, of a future
// format, a directory that is not a store, or a corrupt one is refused with a
// message that says which, and a refusal changes nothing on disk. A store
// whose identity token does not match starts a new incarnation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "store/files.h"
#include "store/key_layout.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class OpenTest : public StoreTest {
 protected:
  // A store with two records, closed.
  void CreateStore() {
    auto store = OpenStore();
    ASSERT_TRUE(store->Write(kTickets, "T-1", SetTitle("a")).ok());
    ASSERT_TRUE(store->Write(kTickets, "T-2", SetTitle("b")).ok());
  }

  // The one file of the store's LevelDB whose name contains `part`.
  std::string LevelDbFile(const std::string& part) {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(store_path() + "/leveldb")) {
      if (entry.path().filename().string().find(part) != std::string::npos) {
        found.push_back(entry.path().string());
      }
    }
    EXPECT_EQ(found.size(), 1u) << part;
    return found.empty() ? "" : found[0];
  }

  // Opens with `options`, expects `code`, and checks that not one file changed.
  absl::Status ExpectRefused(const Options& options, absl::StatusCode code) {
    const auto before = SnapshotTree(store_path());
    auto store = Store::Open(options);
    EXPECT_EQ(store.status().code(), code) << store.status();
    EXPECT_EQ(SnapshotTree(store_path()), before) << "a refused open changed the disk";
    return store.status();
  }
};

TEST_F(OpenTest, CreatesANewStoreWithAFreshIncarnation) {
  auto store = OpenStore();
  EXPECT_EQ(store->origin().node_id, kNode);
  EXPECT_NE(store->origin().incarnation, 0u);
  EXPECT_EQ(store->progress().counter, 0u);
  EXPECT_TRUE(std::filesystem::exists(store_path() + "/SANJI"));
  EXPECT_TRUE(std::filesystem::exists(store_path() + "/IDENTITY"));
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_F(OpenTest, RefusesAnotherNodesStore) {
  CreateStore();
  absl::Status status =
      ExpectRefused(MakeOptions("gutian/fengpu/shangban"), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("another node's store"), HasSubstr(kNode),
                    HasSubstr("gutian/fengpu/shangban"), HasSubstr(store_path())));
}

TEST_F(OpenTest, RefusesAFutureFormatVersion) {
  CreateStore();
  WriteFile(store_path() + "/SANJI", FormatDescriptor(Descriptor{kFormatVersion + 1, kNode}));
  absl::Status status = ExpectRefused(MakeOptions(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("newer Sanji"), HasSubstr("format version 2")));
}

TEST_F(OpenTest, RefusesADirectoryThatIsNotAStore) {
  std::filesystem::create_directories(store_path() + "/photos");
  WriteFile(store_path() + "/notes.txt", "村委会会议记录");
  WriteFile(store_path() + "/photos/a.jpg", std::string("\xff\xd8\xff", 3));
  absl::Status status = ExpectRefused(MakeOptions(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("not a Sanji store"), HasSubstr("notes.txt"), HasSubstr("photos")));
}

TEST_F(OpenTest, RefusesAGarbledDescriptor) {
  CreateStore();
  WriteFile(store_path() + "/SANJI", "sanji-store\nformat_version one\n");
  absl::Status status = ExpectRefused(MakeOptions(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("SANJI"));
}

TEST_F(OpenTest, RefusesTableFilesWithoutCurrent) {
  CreateStore();
  std::filesystem::remove(store_path() + "/leveldb/CURRENT");
  absl::Status status = ExpectRefused(MakeOptions(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("corrupt"), HasSubstr("CURRENT")));
}

TEST_F(OpenTest, RefusesACorruptLevelDb) {
  CreateStore();
  WriteFile(store_path() + "/leveldb/CURRENT", "MANIFEST-999999\n");
  absl::Status status = ExpectRefused(MakeOptions(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr(store_path()));
}

// LevelDB rewrites its MANIFEST, CURRENT and log, and rotates LOG, when it
// opens; a store found corrupt must not be touched by the attempt.
TEST_F(OpenTest, RefusesACorruptManifestAndChangesNothing) {
  CreateStore();
  const std::string manifest = LevelDbFile("MANIFEST-");
  std::string bytes = ReadFile(manifest);
  ASSERT_GT(bytes.size(), 20u);
  bytes[bytes.size() / 2] ^= 0x55;  // the record's checksum no longer matches
  WriteFile(manifest, bytes);
  absl::Status status = ExpectRefused(MakeOptions(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), AllOf(HasSubstr(store_path()), HasSubstr("orrupt")));
}

TEST_F(OpenTest, RefusesACorruptTableAndChangesNothing) {
  CreateStore();
  const std::string table = LevelDbFile(".ldb");
  std::string bytes = ReadFile(table);
  ASSERT_GT(bytes.size(), 48u);
  for (size_t i = bytes.size() - 8; i < bytes.size(); ++i) bytes[i] = 0;  // the footer's magic
  WriteFile(table, bytes);
  absl::Status status = ExpectRefused(MakeOptions(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), AllOf(HasSubstr(store_path()), HasSubstr("corrupt")));
}

TEST_F(OpenTest, FinishesACreationInterruptedBeforeLevelDb) {
  std::filesystem::create_directories(store_path());
  WriteFile(store_path() + "/SANJI", FormatDescriptor(Descriptor{kFormatVersion, kNode}));
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Write(kTickets, "T-1", SetTitle("a")).ok());
}

// A clean close flushes the memtable, so the next Open has no log to replay
// (open time must not grow with what was written before the restart).
TEST_F(OpenTest, CloseLeavesNoLogToReplay) {
  CreateStore();
  size_t logs = 0;
  for (const auto& [name, bytes] : SnapshotTree(store_path())) {
    if (!name.ends_with(".log")) continue;
    ++logs;
    EXPECT_TRUE(bytes.empty()) << name << " holds " << bytes.size() << " bytes";
  }
  EXPECT_EQ(logs, 1u);
}

TEST_F(OpenTest, ReopeningKeepsTheIncarnation) {
  CreateStore();
  const conflict::Origin first = OpenStore()->origin();
  EXPECT_EQ(OpenStore()->origin(), first);
}

// The LevelDB data arrives without the IDENTITY file of the installation that
// wrote it (restored from a backup, copied to a new box): it may be behind
// counters already handed out, so it must not hand them out again.
TEST_F(OpenTest, StartsANewIncarnationWhenTheIdentityFileDoesNotMatch) {
  CreateStore();
  conflict::Origin old_origin = OpenStore()->origin();
  std::filesystem::remove(store_path() + "/IDENTITY");
  auto store = OpenStore();
  const conflict::Origin origin = store->origin();
  EXPECT_EQ(origin.node_id, old_origin.node_id);
  EXPECT_NE(origin.incarnation, old_origin.incarnation);
  EXPECT_EQ(store->progress().counter, 0u);
  EXPECT_EQ(store->Knowledge().Get(old_origin), 2u);  // what it holds of its old life
  auto write = store->Write(kTickets, "T-3", SetTitle("c"));
  ASSERT_TRUE(write.ok()) << write.status();
  EXPECT_EQ(write->dot, (conflict::Dot{origin, 1}));
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
  store.reset();

  WriteFile(store_path() + "/IDENTITY", "0123456789abcdef\n");  // another installation's
  EXPECT_NE(OpenStore()->origin(), origin);
}

TEST_F(OpenTest, InjectedTokenDecidesTheIncarnation) {
  Options options = MakeOptions();
  options.identity_token = "token-a";
  const conflict::Origin first = OpenStore(options)->origin();
  TempDir other;
  options.path = other.path() + "/store";
  EXPECT_EQ(OpenStore(options)->origin(), first);  // deterministic from the token
  options.identity_token = "token-b";
  TempDir third;
  options.path = third.path() + "/store";
  EXPECT_NE(OpenStore(options)->origin(), first);
}

TEST_F(OpenTest, RefusesBadOptions) {
  Options options = MakeOptions();
  options.schema = nullptr;
  EXPECT_EQ(Store::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = MakeOptions("bad\nid");
  EXPECT_EQ(Store::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(store_path()));
}

}  // namespace
}  // namespace sanji::store::testing
