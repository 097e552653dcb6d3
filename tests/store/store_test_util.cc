#include "tests/store/store_test_util.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sanji::store::testing {

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

Options StoreTest::MakeOptions(const std::string& node_id) const {
  Options options;
  options.path = store_path();
  options.node_id = node_id;
  options.schema = &schema_;
  options.clock = &clock_;
  options.max_skew_micros = 60'000'000;
  return options;
}

std::unique_ptr<Store> StoreTest::OpenStore(Options options) {
  auto store = Store::Open(std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

}  // namespace sanji::store::testing
