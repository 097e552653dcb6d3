// Store::Backup: a consistent copy that opens as a store of its own, with a
// new incarnation wherever it is opened (store.h, key_layout.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

using ::testing::HasSubstr;

class BackupTest : public StoreConformanceTest {
 protected:
  std::string backup_path() const { return dir_.path() + "/backup"; }

  // Opens the copy at backup_path() as the store it is.
  std::unique_ptr<Store> OpenBackup() {
    Options options = MakeOptions();
    options.path = backup_path();
    return OpenStore(options);
  }
};

TEST_P(BackupTest, TheCopyHoldsEverythingAndStartsANewIncarnation) {
  std::unique_ptr<Store> store = OpenStore();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        store->Write(kTickets, absl::StrCat("t", i), SetTitle(absl::StrCat("水管 ", i))).ok());
  }
  ASSERT_TRUE(store->Delete(kTickets, "t7", "").ok());
  absl::StatusOr<BackupResult> copied = store->Backup(backup_path());
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(copied->incarnation, store->origin().incarnation);
  EXPECT_EQ(copied->knowledge, store->Knowledge());
  EXPECT_GT(copied->keys, 100u);
  // Writes after the snapshot are not in the copy.
  ASSERT_TRUE(store->Write(kTickets, "later", SetTitle("后来")).ok());

  std::unique_ptr<Store> restored = OpenBackup();
  ASSERT_NE(restored, nullptr);
  EXPECT_NE(restored->origin().incarnation, store->origin().incarnation);
  EXPECT_TRUE(restored->CheckConsistency().ok()) << restored->CheckConsistency();
  absl::StatusOr<conflict::Record> record = restored->Get(kTickets, "t49");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(TitleOf(*record), "水管 49");
  EXPECT_FALSE(restored->Get(kTickets, "t7")->alive());
  EXPECT_TRUE(absl::IsNotFound(restored->Get(kTickets, "later").status()));
  // The original's changes are known under its old origin; new writes take
  // the new one, from counter 1.
  EXPECT_EQ(restored->Knowledge().Get(store->origin()), 51u);
  absl::StatusOr<WriteResult> written = restored->Write(kTickets, "new", SetTitle("新"));
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->dot.origin, restored->origin());
  EXPECT_EQ(written->dot.counter, 1u);
}

TEST_P(BackupTest, TheOriginalsIdentityFileBesideTheCopyStillGivesANewIncarnation) {
  if (GetParam() == EnvKind::kMemory) GTEST_SKIP() << "copies files on disk";
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_TRUE(store->Write(kTickets, "t1", SetTitle("一")).ok());
  ASSERT_TRUE(store->Backup(backup_path()).ok());
  // An operator restores by copying the backup over the data directory but
  // leaves the installation's IDENTITY file in place.
  std::filesystem::copy_file(store_path() + "/IDENTITY", backup_path() + "/IDENTITY");
  std::unique_ptr<Store> restored = OpenBackup();
  ASSERT_NE(restored, nullptr);
  EXPECT_NE(restored->origin().incarnation, store->origin().incarnation);
}

TEST_P(BackupTest, ANonEmptyDirectoryIsRefusedAndLeftAlone) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_TRUE(store->Write(kTickets, "t1", SetTitle("一")).ok());
  ASSERT_TRUE(store->Backup(backup_path()).ok());
  absl::StatusOr<BackupResult> again = store->Backup(backup_path());
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  EXPECT_THAT(again.status().message(), HasSubstr("not empty"));
  EXPECT_NE(OpenBackup(), nullptr);
}

SANJI_STORE_CONFORMANCE(BackupTest);

}  // namespace
}  // namespace sanji::store::testing
