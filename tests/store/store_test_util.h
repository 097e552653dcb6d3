// Helpers shared by the store tests: a temporary directory, a byte-exact
// picture of a directory tree, the test schema and the store fixtures, on
// disk or in memory.
#ifndef SANJI_TESTS_STORE_STORE_TEST_UTIL_H_
#define SANJI_TESTS_STORE_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "conflict/change.h"
#include "conflict/clock.h"
#include "conflict/schema.h"
#include "leveldb/env.h"
#include "store/store.h"

namespace sanji::store::testing {

inline constexpr char kNode[] = "gutian/fengpu/xiaban";
inline constexpr char kTickets[] = "tickets";
// 2026-11-28, in microseconds.
inline constexpr int64_t kStartMicros = 1'795'824'000'000'000LL;

// The seed of a randomised test: $SANJI_SEED if set, else a fresh one.
// Printed (with how to replay it) so that a failure can be reproduced.
uint64_t TestSeed();

// The winning title of a record ("" if it has none).
std::string TitleOf(const conflict::Record& record);

// A fresh directory under $TEST_TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every file under a directory, by relative path, with its bytes.
std::map<std::string, std::string> SnapshotTree(const std::string& root);

// tickets: title (lww), note (mv), amount_fen (lww int), visits (counter),
// tags (set), status (open < assigned < resolved < closed).
conflict::Schema TestSchema();

conflict::Change SetTitle(const std::string& title,
                          std::optional<std::string> scope = std::string(kNode));

// Where a store's files live: a real directory, or leveldb::NewMemEnv (the
// simulator's in-memory store).
enum class EnvKind { kDisk, kMemory };

// Writes ticket T-1 at `store` (of TestSchema), then applies a concurrent
// township write of other values of its amount and title (the same scope,
// which is no conflict): two conflict events, 1 of amount_fen and 2 of the
// title, both open.
void MakeTitleConflicts(Store& store, const conflict::Schema& schema);

class StoreTest : public ::testing::Test {
 protected:
  StoreTest() : schema_(TestSchema()), clock_(kStartMicros) {}

  // Options for store_path() on store_env_.
  Options MakeOptions(const std::string& node_id = kNode) const;
  // Opens the store at store_path(), failing the test on error.
  std::unique_ptr<Store> OpenStore(Options options);
  std::unique_ptr<Store> OpenStore() { return OpenStore(MakeOptions()); }
  std::string store_path() const { return dir_.path() + "/store"; }
  // Every file of the store, by path relative to store_path(), with its
  // bytes, read through store_env_ (SnapshotTree on disk).
  std::map<std::string, std::string> StoreFiles() const;

  // Applies `batch` twice and expects the second time to change nothing: not
  // a byte of the store, nor its progress, nor its commit count.
  void ExpectReapplyChangesNothing(Store& store, const RemoteBatch& batch) const;

  // Makes store_env_ an in-memory Env, for the rest of the test.
  void UseMemoryEnv();

  TempDir dir_;
  conflict::Schema schema_;
  conflict::ManualClock clock_;
  std::unique_ptr<leveldb::Env> memory_env_;
  leveldb::Env* store_env_ = leveldb::Env::Default();
};

// The store conformance suites: each runs on disk and in memory, so that the
// in-memory store the simulator uses passes the same tests. A fixture
// derives from this and instantiates itself with SANJI_STORE_CONFORMANCE.
class StoreConformanceTest : public StoreTest, public ::testing::WithParamInterface<EnvKind> {
 protected:
  StoreConformanceTest() {
    if (GetParam() == EnvKind::kMemory) UseMemoryEnv();
  }
};

std::string EnvKindName(const ::testing::TestParamInfo<EnvKind>& info);

#define SANJI_STORE_CONFORMANCE(fixture)                                                 \
  INSTANTIATE_TEST_SUITE_P(Env, fixture,                                                 \
                           ::testing::Values(::sanji::store::testing::EnvKind::kDisk,    \
                                             ::sanji::store::testing::EnvKind::kMemory), \
                           ::sanji::store::testing::EnvKindName)

}  // namespace sanji::store::testing

#endif  // SANJI_TESTS_STORE_STORE_TEST_UTIL_H_
