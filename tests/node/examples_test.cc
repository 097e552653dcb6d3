// examples/: every config there loads with node/config's LoadConfig, so the
// files the README points to never rot. examples/gutian/ is the demo county
// that scripts/county runs, and must also be one working network: one node
// per id, one per address, parents that exist where the child dials them,
// and one schema everywhere (nodes whose schemas differ refuse to sync).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "node/config.h"

namespace sanji::node {
namespace {

const std::filesystem::path kExamples = SANJI_EXAMPLES_DIR;

// The .conf files under `dir`, sorted, so failures read the same every run.
std::vector<std::filesystem::path> ConfigsUnder(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> configs;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() == ".conf") configs.push_back(entry.path());
  }
  std::sort(configs.begin(), configs.end());
  return configs;
}

TEST(ExamplesTest, EveryConfigLoads) {
  const std::vector<std::filesystem::path> configs = ConfigsUnder(kExamples);
  // Eight demo nodes, and one config per level under deploy/.
  EXPECT_EQ(configs.size(), 11u);
  uint64_t fingerprint = 0;
  for (const std::filesystem::path& path : configs) {
    absl::StatusOr<LoadedConfig> loaded = LoadConfig(path.string());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    if (fingerprint == 0) fingerprint = loaded->schema.Fingerprint();
    EXPECT_EQ(loaded->schema.Fingerprint(), fingerprint) << path << " holds another schema";
    EXPECT_TRUE(loaded->schema.Collection("mediation_cases").ok()) << path;
  }
}

TEST(ExamplesTest, TheDemoCountyIsOneTree) {
  std::map<std::string, v1::NodeConfig> by_id;
  std::set<std::string> addresses;
  for (const std::filesystem::path& path : ConfigsUnder(kExamples / "gutian")) {
    absl::StatusOr<LoadedConfig> loaded = LoadConfig(path.string());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    const v1::NodeConfig& config = loaded->config;
    // scripts/county names a node's files after its id's last segment.
    const std::string id = config.node_id();
    EXPECT_EQ(path.stem().string(), id.substr(id.rfind('/') + 1)) << path;
    EXPECT_TRUE(by_id.emplace(id, config).second) << id << " twice";
    EXPECT_TRUE(addresses.insert(config.listen_address()).second) << path;
    EXPECT_TRUE(IsLoopbackAddress(config.listen_address())) << path;
  }
  ASSERT_EQ(by_id.size(), 8u);
  int townships = 0;
  int villages = 0;
  for (const auto& [id, config] : by_id) {
    const auto depth = std::count(id.begin(), id.end(), '/');
    EXPECT_EQ(config.leaf(), depth == 2) << id;
    townships += depth == 1;
    villages += depth == 2;
    // Below the county, the nearest ancestor comes first.
    if (depth > 0) {
      ASSERT_FALSE(config.parents().empty()) << id;
      EXPECT_EQ(config.parents(0).id(), id.substr(0, id.rfind('/'))) << id;
    }
    for (const v1::ParentConfig& parent : config.parents()) {
      auto found = by_id.find(parent.id());
      ASSERT_NE(found, by_id.end()) << id << " dials " << parent.id() << ", which is not there";
      EXPECT_EQ(parent.address(), found->second.listen_address()) << id << " -> " << parent.id();
      EXPECT_FALSE(found->second.leaf()) << id << " dials a leaf";
    }
  }
  EXPECT_EQ(townships, 2);
  EXPECT_EQ(villages, 5);
}

}  // namespace
}  // namespace sanji::node
