#include "tests/store/store_test_util.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "conflict/value_register.h"
#include "leveldb/helpers/memenv.h"

namespace sanji::store::testing {

uint64_t TestSeed() {
  const char* text = getenv("SANJI_SEED");
  uint64_t seed = 0;
  if (text != nullptr && *text != '\0') {
    seed = strtoull(text, nullptr, 10);
  } else {
    std::random_device device;  // tests may draw a seed, as long as they print it
    seed = (uint64_t{device()} << 32) | device();
  }
  std::printf("seed %llu (replay with SANJI_SEED=%llu)\n", static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  return seed;
}

std::string TitleOf(const conflict::Record& record) {
  const auto* state = record.field("title");
  if (state == nullptr) return "";
  const auto& winner = std::get<conflict::ValueRegister>(*state).Winner();
  const auto* text = std::get_if<std::string>(&winner.payload.value);
  return text == nullptr ? "" : *text;
}

TempDir::TempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/sanji_store_test.XXXXXX";
  char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr) << "mkdtemp " << pattern;
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code error;
  std::filesystem::remove_all(path_, error);
}

std::map<std::string, std::string> SnapshotTree(const std::string& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string relative = std::filesystem::relative(entry.path(), root).string();
    if (entry.is_directory()) {
      files[relative + "/"] = "";
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    files[relative] = bytes.str();
  }
  return files;
}

conflict::Schema TestSchema() {
  using conflict::FieldSpec;
  conflict::CollectionSchema tickets(kTickets);
  EXPECT_TRUE(tickets.AddField("title", FieldSpec::Lww()).ok());
  EXPECT_TRUE(tickets.AddField("note", FieldSpec::Mv()).ok());
  EXPECT_TRUE(tickets.AddField("amount_fen", FieldSpec::Lww(conflict::ValueType::kInt)).ok());
  EXPECT_TRUE(tickets.AddField("visits", FieldSpec::Counter()).ok());
  EXPECT_TRUE(tickets.AddField("tags", FieldSpec::Set()).ok());
  EXPECT_TRUE(
      tickets.AddField("status", FieldSpec::Status({"open", "assigned", "resolved", "closed"}))
          .ok());
  conflict::Schema schema;
  EXPECT_TRUE(schema.AddCollection(std::move(tickets)).ok());
  return schema;
}

conflict::Change SetTitle(const std::string& title, std::optional<std::string> scope) {
  conflict::Change change;
  change.ops.push_back(conflict::FieldOp{"title", conflict::Assign{title}});
  change.scope = std::move(scope);
  return change;
}

void MakeTitleConflicts(Store& store, const conflict::Schema& schema) {
  const auto title_and_amount = [](const std::string& title, int64_t amount_fen) {
    conflict::Change change = SetTitle(title);
    change.ops.push_back(conflict::FieldOp{"amount_fen", conflict::Assign{amount_fen}});
    return change;
  };
  ASSERT_TRUE(store.Write(kTickets, "T-1", title_and_amount("村里写的", 3000)).ok());
  const auto* tickets = *schema.Collection(kTickets);
  auto township = conflict::Record().Write(*tickets, title_and_amount("镇上写的", 3500),
                                           {{"gutian/fengpu", 4}, 1}, {kStartMicros + 10, 0});
  ASSERT_TRUE(township.ok()) << township.status();
  RemoteBatch batch;
  batch.items.push_back({kTickets, "T-1", *township});
  ASSERT_TRUE(store.ApplyRemote(batch).ok());
  ASSERT_EQ(store.ListConflicts(0, 0)->size(), 2u);
}

Options StoreTest::MakeOptions(const std::string& node_id) const {
  Options options;
  options.path = store_path();
  options.node_id = node_id;
  options.schema = &schema_;
  options.clock = &clock_;
  options.max_skew_micros = 60'000'000;
  options.env = store_env_;
  return options;
}

std::unique_ptr<Store> StoreTest::OpenStore(Options options) {
  auto store = Store::Open(std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

void StoreTest::UseMemoryEnv() {
  memory_env_.reset(leveldb::NewMemEnv(leveldb::Env::Default()));
  store_env_ = memory_env_.get();
}

std::map<std::string, std::string> StoreTest::StoreFiles() const {
  if (memory_env_ == nullptr) return SnapshotTree(store_path());
  // An in-memory Env lists every file under the directory, at any depth.
  std::vector<std::string> names;
  EXPECT_TRUE(store_env_->GetChildren(store_path(), &names).ok());
  std::map<std::string, std::string> files;
  for (const std::string& name : names) {
    EXPECT_TRUE(leveldb::ReadFileToString(store_env_, store_path() + "/" + name, &files[name]).ok())
        << name;
  }
  return files;
}

void StoreTest::ExpectReapplyChangesNothing(Store& store, const RemoteBatch& batch) const {
  ASSERT_TRUE(store.ApplyRemote(batch).ok());
  const auto files = StoreFiles();
  const Progress progress = store.progress();
  const StoreStats stats = store.stats();

  ASSERT_TRUE(store.ApplyRemote(batch).ok());
  EXPECT_EQ(StoreFiles(), files);
  EXPECT_EQ(store.progress().hlc_last, progress.hlc_last);
  EXPECT_EQ(store.progress().knowledge, progress.knowledge);
  EXPECT_EQ(store.progress().conflict_next, progress.conflict_next);
  EXPECT_EQ(store.stats().commits, stats.commits);
  EXPECT_TRUE(store.CheckConsistency().ok()) << store.CheckConsistency();
}

std::string EnvKindName(const ::testing::TestParamInfo<EnvKind>& info) {
  return info.param == EnvKind::kDisk ? "Disk" : "Memory";
}

}  // namespace sanji::store::testing
