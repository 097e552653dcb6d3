// Offline bundles in one process (node/bundle_format.h, node/bundle.h): the
// file's round trip and every kind of bad file refused with its own error;
// then a township and its village, each a real store, with no link between
// them, brought into sync by a bundle each way, and the checks an import
// makes (the right node, the right place in the tree, a store that holds
// what the bundle assumes).
#include "node/bundle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "node/bundle_format.h"
#include "node/status_schema.h"
#include "replication/store_replica.h"
#include "tests/store/store_test_util.h"

namespace sanji::node {
namespace {

using store::testing::kStartMicros;
using store::testing::kTickets;
using store::testing::SetTitle;
using store::testing::TempDir;
using store::testing::TitleOf;
using ::testing::HasSubstr;

constexpr char kCounty[] = "gutian";
constexpr char kTownship[] = "gutian/fengpu";
constexpr char kVillage[] = "gutian/fengpu/xiaban";

// A bundle of a header and `frames` batches of `items` items each (made up:
// the format does not look inside them), of bytes that do not compress.
std::string MakeBundle(int frames, int items) {
  std::mt19937 bits(42);
  v1::BundleHeader header;
  header.set_exporter(kTownship);
  header.set_target(kVillage);
  header.set_created_micros(kStartMicros);
  std::string bytes;
  size_t largest = 0;
  BundleWriter writer(header, [&](absl::string_view piece) {
    largest = std::max(largest, piece.size());
    bytes.append(piece.data(), piece.size());
    return absl::OkStatus();
  });
  v1::SyncFrame hello;
  hello.mutable_hello()->set_protocol_version(1);
  EXPECT_TRUE(writer.AddFrame(hello).ok());
  for (int f = 0; f < frames; ++f) {
    v1::SyncFrame batch;
    batch.mutable_batch()->set_sequence(f + 1);
    batch.mutable_batch()->add_collections(kTickets);
    for (int i = 0; i < items; ++i) {
      v1::SyncItem* item = batch.mutable_batch()->add_items();
      item->set_key(absl::StrCat("路灯-", f, "-", i));
      std::string record(200, '\0');
      for (char& byte : record) byte = static_cast<char>(bits());
      item->set_record(std::move(record));
    }
    EXPECT_TRUE(writer.AddFrame(batch).ok());
  }
  EXPECT_TRUE(writer.Finish().ok());
  EXPECT_LE(largest, kBundleChunkBytes);
  EXPECT_EQ(writer.bytes(), bytes.size());
  return bytes;
}

TEST(BundleFormatTest, WhatIsWrittenReadsBackFrameByFrame) {
  const std::string bytes = MakeBundle(3, 2000);
  EXPECT_GT(bytes.size(), kBundleChunkBytes);  // handed out in several pieces
  absl::StatusOr<Bundle> bundle = ReadBundle(bytes, "b");
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(bundle->header.format_version(), kBundleFormatVersion);
  EXPECT_EQ(bundle->header.exporter(), kTownship);
  EXPECT_EQ(bundle->header.target(), kVillage);
  ASSERT_EQ(bundle->frames.size(), 4u);
  FrameDecoder decoder(16 << 20);
  v1::SyncFrame frame;
  ASSERT_TRUE(decoder.Decode(bundle->frames[3], frame).ok());
  ASSERT_TRUE(frame.has_batch());
  EXPECT_EQ(frame.batch().sequence(), 3u);
  EXPECT_EQ(frame.batch().items(1999).key(), "路灯-2-1999");
}

TEST(BundleFormatTest, AFileThatIsNotABundleIsAUsageError) {
  for (const std::string& bytes : {std::string(), std::string("SANJI"), std::string("hello world"),
                                   std::string("-----BEGIN CERTIFICATE-----\n")}) {
    absl::Status read = ReadBundle(bytes, "notes.txt").status();
    EXPECT_TRUE(absl::IsInvalidArgument(read)) << read;
    EXPECT_THAT(read.message(), HasSubstr("notes.txt is not a Sanji bundle"));
  }
}

TEST(BundleFormatTest, EveryTruncationIsRefusedAsTruncated) {
  const std::string bytes = MakeBundle(2, 50);
  for (size_t length = kBundleMagic.size(); length < bytes.size(); ++length) {
    absl::Status read = ReadBundle(bytes.substr(0, length), "b").status();
    ASSERT_TRUE(absl::IsDataLoss(read)) << "cut at " << length << ": " << read;
    ASSERT_THAT(read.message(), HasSubstr("truncated")) << "cut at " << length;
  }
}

TEST(BundleFormatTest, AChangedByteOrBytesAfterTheEndAreRefused) {
  const std::string bytes = MakeBundle(2, 50);
  for (size_t at = kBundleMagic.size(); at < bytes.size(); ++at) {
    std::string changed = bytes;
    changed[at] ^= 0x20;
    absl::Status read = ReadBundle(changed, "b").status();
    // A changed length may also make the bundle look truncated.
    ASSERT_TRUE(absl::IsDataLoss(read)) << "byte " << at << ": " << read;
  }
  // A byte in the middle of the last batch: the records still parse, and the
  // checksum tells.
  std::string changed = bytes;
  changed[bytes.size() - 200] ^= 0x01;
  EXPECT_THAT(ReadBundle(changed, "b").status().message(), HasSubstr("b is corrupt: its SHA-256"));
  EXPECT_THAT(ReadBundle(bytes + "x", "b").status().message(),
              HasSubstr("1 bytes follow the trailer"));
}

// One node of the test: a real store in a temporary directory and the
// parts a bundle works with.
class TestNode {
 public:
  // A node's config lists no parents here: bundles need none (node/bundle.h).
  TestNode(std::string id, bool leaf) : id_(std::move(id)) {
    EXPECT_TRUE(AddSystemCollections(schema_).ok());
    store::Options options;
    options.path = dir_.path() + "/store";
    options.node_id = id_;
    options.schema = &schema_;
    options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    replica_ = std::make_unique<replication::StoreReplica>(store_.get());
    BundleOptions bundle_options;
    bundle_options.node_id = id_;
    bundle_options.leaf = leaf;
    bundle_options.session.max_batch_items = 7;  // several batches
    bundles_ = std::make_unique<Bundles>(
        LinkEnvironment{store_.get(), replica_.get(), &schema_, &notifier_, &clock_, &totals_},
        std::move(bundle_options));
  }

  absl::StatusOr<std::string> Export(const std::string& target,
                                     const std::string& knowledge_bundle = "",
                                     bool knowledge_only = false) {
    v1::ExportBundleRequest request;
    request.set_target(target);
    request.set_knowledge_only(knowledge_only);
    if (!knowledge_bundle.empty()) {
      absl::StatusOr<Bundle> bundle = ReadBundle(knowledge_bundle, "knowledge");
      if (!bundle.ok()) return bundle.status();
      v1::SyncFrame hello;
      FrameDecoder decoder(16 << 20);
      EXPECT_TRUE(decoder.Decode(bundle->frames.front(), hello).ok());
      *request.mutable_target_hello() = hello.hello();
    }
    std::string bytes;
    absl::Status exported = bundles_->Export(request, [&](absl::string_view piece) {
      bytes.append(piece.data(), piece.size());
      return absl::OkStatus();
    });
    if (!exported.ok()) return exported;
    return bytes;
  }

  void Put(const std::string& key, const std::string& title, const std::string& scope) {
    ASSERT_TRUE(store_->Write(kTickets, key, SetTitle(title, scope)).ok());
  }

  std::string Title(const std::string& key) {
    absl::StatusOr<conflict::Record> record = store_->Get(kTickets, key);
    return record.ok() ? TitleOf(*record) : "";
  }

  store::Store& store() { return *store_; }
  Bundles& bundles() { return *bundles_; }
  CommitNotifier& notifier() { return notifier_; }
  const LinkTotals& totals() const { return totals_; }

 private:
  const std::string id_;
  TempDir dir_;
  conflict::Schema schema_ = store::testing::TestSchema();
  conflict::ManualClock clock_{kStartMicros};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<replication::StoreReplica> replica_;
  CommitNotifier notifier_;
  LinkTotals totals_;
  std::unique_ptr<Bundles> bundles_;
};

class BundleTest : public ::testing::Test {
 protected:
  BundleTest() : township_(kTownship, false), village_(kVillage, true) {
    for (int i = 0; i < 20; ++i) {
      village_.Put(absl::StrCat("village-", i), absl::StrCat("水管漏水 ", i), kVillage);
      township_.Put(absl::StrCat("township-", i), absl::StrCat("通知 ", i), kTownship);
    }
    // Not in the village's filter: it must not travel.
    township_.Put("sibling", "东坑的", "gutian/fengpu/dongkeng");
  }

  TestNode township_;
  TestNode village_;
};

TEST_F(BundleTest, ABundleEachWayBringsBothStoresIntoSyncAndASecondImportChangesNothing) {
  // The township knows nothing of the village: the village says what it
  // holds first.
  absl::StatusOr<std::string> knowledge = village_.Export(kTownship, "", /*knowledge_only=*/true);
  ASSERT_TRUE(knowledge.ok()) << knowledge.status();
  absl::StatusOr<std::string> down = township_.Export(kVillage, *knowledge);
  ASSERT_TRUE(down.ok()) << down.status();

  const uint64_t commits = village_.notifier().commits();
  absl::StatusOr<v1::ImportBundleResponse> imported = village_.bundles().Import(*down);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->items_received(), 20u);
  EXPECT_EQ(imported->records_changed(), 20u);
  EXPECT_EQ(imported->items_refused(), 0u);
  EXPECT_GE(imported->batches(), 3u);                 // 20 records, 7 a batch
  EXPECT_GT(village_.notifier().commits(), commits);  // the live links are told
  EXPECT_EQ(village_.totals().items_received, 20u);
  EXPECT_EQ(village_.Title("township-19"), "通知 19");
  EXPECT_EQ(village_.Title("sibling"), "");

  // The return bundle, against the township's knowledge from its bundle.
  absl::StatusOr<std::string> up = village_.Export(kTownship, *down);
  ASSERT_TRUE(up.ok()) << up.status();
  imported = township_.bundles().Import(*up);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->items_received(), 20u);  // the township's own records do not go back
  EXPECT_EQ(township_.Title("village-19"), "水管漏水 19");
  EXPECT_EQ(township_.store().Knowledge().Get(village_.store().origin()), 20u);
  EXPECT_EQ(village_.store().Knowledge().Get(township_.store().origin()), 21u);

  // Again: nothing changes, and the import says so (issue 22).
  const conflict::VersionVector knows = township_.store().Knowledge();
  imported = township_.bundles().Import(*up);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->items_received(), 20u);
  EXPECT_EQ(imported->records_changed(), 0u);
  EXPECT_EQ(township_.store().Knowledge(), knows);
  EXPECT_TRUE(township_.store().CheckConsistency().ok());
  imported = village_.bundles().Import(*down);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->records_changed(), 0u);
  EXPECT_TRUE(village_.store().CheckConsistency().ok());

  // In sync now: a bundle against the latest knowledge carries no record.
  absl::StatusOr<std::string> latest = village_.Export(kTownship, "", true);
  ASSERT_TRUE(latest.ok());
  absl::StatusOr<std::string> nothing = township_.Export(kVillage, *latest);
  ASSERT_TRUE(nothing.ok());
  imported = village_.bundles().Import(*nothing);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->items_received(), 0u);
}

// Issue 22: a village started with no parents in its config (README: how a
// village is taken offline) is exactly the one that needs a bundle. It takes
// one from the county, an ancestor it would fail over to, and answers it; a
// live session's checks still hold: the county's record for another village
// does not reach it.
TEST_F(BundleTest, ANodeWithNoParentsConfiguredTradesBundlesWithAnAncestor) {
  TestNode county(kCounty, false);
  county.Put("notice", "全县通知", kCounty);
  county.Put("other-village", "东坑的", "gutian/fengpu/dongkeng");
  absl::StatusOr<std::string> knowledge = village_.Export(kCounty, "", /*knowledge_only=*/true);
  ASSERT_TRUE(knowledge.ok()) << knowledge.status();
  absl::StatusOr<std::string> down = county.Export(kVillage, *knowledge);
  ASSERT_TRUE(down.ok()) << down.status();
  absl::StatusOr<v1::ImportBundleResponse> imported = village_.bundles().Import(*down);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(village_.Title("notice"), "全县通知");
  EXPECT_EQ(village_.Title("other-village"), "");

  absl::StatusOr<std::string> up = village_.Export(kCounty, *down);
  ASSERT_TRUE(up.ok()) << up.status();
  imported = county.bundles().Import(*up);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(county.Title("village-19"), "水管漏水 19");
}

TEST_F(BundleTest, ABundleForAnotherNodeIsRefusedNamingBoth) {
  absl::StatusOr<std::string> knowledge = village_.Export(kTownship, "", true);
  ASSERT_TRUE(knowledge.ok());
  absl::StatusOr<std::string> down = township_.Export(kVillage, *knowledge);
  ASSERT_TRUE(down.ok());
  absl::Status refused = township_.bundles().Import(*down).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("the bundle is for gutian/fengpu/xiaban (made by "
                                           "gutian/fengpu); this node is gutian/fengpu"));
}

TEST_F(BundleTest, OnlyAnAncestorOrANodeBelowGetsABundle) {
  absl::Status sibling = township_.Export("gutian/xikou", "", true).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(sibling)) << sibling;
  EXPECT_THAT(
      sibling.message(),
      HasSubstr("gutian/xikou is neither an ancestor of gutian/fengpu nor a node below it"));
  EXPECT_THAT(village_.Export("gutian/fengpu/dongkeng", "", true).status().message(),
              HasSubstr("is neither an ancestor"));
  EXPECT_THAT(village_.Export(kVillage, "", true).status().message(),
              HasSubstr("is neither an ancestor"));
  // A village takes no children.
  absl::Status below = village_.Export("gutian/fengpu/xiaban/x", "", true).status();
  EXPECT_THAT(below.message(), HasSubstr("is a leaf node"));
}

TEST_F(BundleTest, WithoutAStatusRecordOrAKnowledgeFileTheExportSaysWhatToDo) {
  absl::Status unknown = township_.Export(kVillage).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(unknown)) << unknown;
  EXPECT_THAT(unknown.message(), HasSubstr("holds no status record of gutian/fengpu/xiaban"));
  EXPECT_THAT(unknown.message(), HasSubstr("--knowledge"));
  // A knowledge file of the wrong node.
  absl::StatusOr<std::string> township_knowledge = township_.Export(kVillage, "", true);
  ASSERT_TRUE(township_knowledge.ok());
  absl::Status wrong = township_.Export(kVillage, *township_knowledge).status();
  EXPECT_TRUE(absl::IsInvalidArgument(wrong)) << wrong;
}

TEST_F(BundleTest, AStoreHoldingLessThanTheBundleAssumesRefusesIt) {
  absl::StatusOr<std::string> knowledge = village_.Export(kTownship, "", true);
  ASSERT_TRUE(knowledge.ok());
  absl::StatusOr<std::string> down = township_.Export(kVillage, *knowledge);
  ASSERT_TRUE(down.ok());
  // The village's store replaced by an empty one (a restore gone wrong).
  TestNode fresh(kVillage, true);
  absl::Status refused = fresh.bundles().Import(*down).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("holds them only up to 0"));
  EXPECT_EQ(fresh.Title("township-0"), "");
}

TEST_F(BundleTest, ACorruptBundleAppliesNothing) {
  absl::StatusOr<std::string> knowledge = village_.Export(kTownship, "", true);
  ASSERT_TRUE(knowledge.ok());
  absl::StatusOr<std::string> down = township_.Export(kVillage, *knowledge);
  ASSERT_TRUE(down.ok());
  std::string corrupt = *down;
  corrupt[corrupt.size() / 2] ^= 0x01;
  EXPECT_TRUE(absl::IsDataLoss(village_.bundles().Import(corrupt).status()));
  EXPECT_TRUE(absl::IsDataLoss(village_.bundles().Import(down->substr(0, 100)).status()));
  EXPECT_EQ(village_.Title("township-0"), "");
}

}  // namespace
}  // namespace sanji::node
