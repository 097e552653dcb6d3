// node/config: the files of tests/node/testdata load complete (defaults
// filled, paths absolute, schema built), and every bad config is refused with
// "FILE:LINE:COL: <field> <problem>" (ARCHITECTURE.md §6: "errors that name
// the line").
#include "node/config.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace sanji::node {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kTestdata = SANJI_NODE_TESTDATA;

// A schema of one collection, for configs that are about something else.
constexpr char kSchema[] =
    R"(schema { collections { name: "notices" fields { name: "title" kind: LWW } } })";

// Each test writes its files into a directory of its own, so that bad.conf
// and its schema files never leak between cases.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) / "sanji_config_test" /
           absl::StrCat(test->test_suite_name(), ".", test->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigTest, VillageLoadsWithDefaultsFilledAndPathsAbsolute) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfig(kTestdata + "/village.conf");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const v1::NodeConfig& config = loaded->config;
  EXPECT_EQ(config.node_id(), "gutian/fengpu/dongkeng");
  ASSERT_EQ(config.parents_size(), 2);
  EXPECT_EQ(config.parents(0).id(), "gutian/fengpu");
  EXPECT_EQ(config.parents(1).id(), "gutian");

  EXPECT_EQ(config.data_dir(), kTestdata + "/data");
  EXPECT_EQ(config.tls().ca_file(), kTestdata + "/tls/county-ca.pem");
  EXPECT_EQ(config.tls().cert_file(), kTestdata + "/tls/dongkeng.pem");
  EXPECT_EQ(config.tls().key_file(), kTestdata + "/tls/dongkeng.key");
  EXPECT_EQ(config.schema_file(), kTestdata + "/county_schema.textproto");

  // Written values stay; what was left out takes proto/config.proto's default.
  EXPECT_EQ(config.sync().max_batch_bytes(), 262144u);
  EXPECT_EQ(config.sync().window(), 2u);
  EXPECT_EQ(config.sync().max_batch_items(), 1000u);
  EXPECT_EQ(config.sync().push_delay_ms(), 1u);
  EXPECT_EQ(config.timeouts().backoff_initial_ms(), 1000u);
  EXPECT_EQ(config.timeouts().backoff_max_ms(), 60000u);
  EXPECT_EQ(config.timeouts().call_deadline_ms(), 10000u);
  EXPECT_EQ(config.timeouts().keepalive_time_ms(), 10000u);
  EXPECT_EQ(config.timeouts().keepalive_timeout_ms(), 5000u);
  EXPECT_EQ(config.timeouts().failover_after_ms(), 15000u);
  EXPECT_EQ(config.timeouts().primary_probe_ms(), 30000u);
  EXPECT_EQ(config.max_clock_skew_seconds(), 300u);
  EXPECT_EQ(config.max_message_bytes(), 16u << 20);
  EXPECT_EQ(config.max_record_bytes(), 1u << 20);
}

TEST_F(ConfigTest, SchemaFileBuildsTheSchema) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfig(kTestdata + "/village.conf");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  absl::StatusOr<const conflict::CollectionSchema*> requests =
      loaded->schema.Collection("service_requests");
  ASSERT_TRUE(requests.ok()) << requests.status();
  absl::StatusOr<uint32_t> rank = (*requests)->StatusRank("status", "resolved");
  ASSERT_TRUE(rank.ok()) << rank.status();
  EXPECT_EQ(*rank, 2u);
  absl::StatusOr<const conflict::CollectionSchema*> households =
      loaded->schema.Collection("households");
  ASSERT_TRUE(households.ok()) << households.status();
  absl::StatusOr<const conflict::FieldSpec*> income = (*households)->Field("annual_income");
  ASSERT_TRUE(income.ok()) << income.status();
  EXPECT_EQ((*income)->kind, conflict::FieldKind::kMv);
  EXPECT_EQ((*income)->value_type, conflict::ValueType::kInt);
}

// Nodes replicate only when their schemas' fingerprints match: the county's
// inline schema and the villages' schema file must describe the same thing.
TEST_F(ConfigTest, InlineSchemaMatchesTheSchemaFile) {
  absl::StatusOr<LoadedConfig> county = LoadConfig(kTestdata + "/county.conf");
  absl::StatusOr<LoadedConfig> village = LoadConfig(kTestdata + "/village.conf");
  ASSERT_TRUE(county.ok()) << county.status();
  ASSERT_TRUE(village.ok()) << village.status();
  // The three written, and Sanji's own that every schema holds: the node
  // status (ARCHITECTURE.md §6) and the published schema versions (docs/SCHEMA.md).
  EXPECT_EQ(county->schema.collections().size(), 5u);
  EXPECT_TRUE(county->schema.Collection("@status").ok());
  EXPECT_TRUE(county->schema.Collection("@schema").ok());
  EXPECT_EQ(county->schema.Fingerprint(), village->schema.Fingerprint());
  EXPECT_TRUE(county->config.parents().empty());
  EXPECT_EQ(county->config.sync().window(), 8u);
}

// A written 0 means "at once" for the push delay, not "the default".
TEST_F(ConfigTest, AWrittenZeroPushDelayStaysZero) {
  absl::StatusOr<LoadedConfig> county = LoadConfig(kTestdata + "/county.conf");
  ASSERT_TRUE(county.ok()) << county.status();
  EXPECT_EQ(county->config.sync().push_delay_ms(), 0u);
  EXPECT_EQ(county->config.sync().window(), 8u);
  EXPECT_EQ(county->config.status_period_s(), 60u);
}

TEST_F(ConfigTest, FormatConfigKeepsUtf8AndRoundTrips) {
  absl::StatusOr<LoadedConfig> county = LoadConfig(kTestdata + "/county.conf");
  ASSERT_TRUE(county.ok()) << county.status();
  const std::string text = FormatConfig(county->config);
  EXPECT_THAT(text, HasSubstr("data_dir: \"/var/lib/sanji/古田县\""));

  absl::StatusOr<LoadedConfig> again = LoadConfig(Write("county.conf", text));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(again->config, county->config))
      << FormatConfig(again->config);
}

TEST_F(ConfigTest, MissingFileIsNotFound) {
  const std::string path = (dir_ / "absent.conf").string();
  absl::StatusOr<LoadedConfig> loaded = LoadConfig(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(path));
}

TEST_F(ConfigTest, MissingSchemaFileIsNamedWhereItIsWritten) {
  const std::string path = Write("node.conf", R"(node_id: "gutian"
listen_address: "127.0.0.1:7070"
data_dir: "data"
schema_file: "absent.textproto"
)");
  absl::StatusOr<LoadedConfig> loaded = LoadConfig(path, {.insecure = true});
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(loaded.status().message()),
              StartsWith(absl::StrCat(path, ":4:1: schema_file: ")));
  EXPECT_THAT(std::string(loaded.status().message()),
              HasSubstr((dir_ / "absent.textproto").string()));
}

// Problems inside a schema file name that file and its line, not the config.
TEST_F(ConfigTest, SchemaFileErrorsNameTheSchemaFile) {
  const std::string config = R"(node_id: "gutian"
listen_address: "127.0.0.1:7070"
data_dir: "data"
schema_file: "schema.textproto"
)";
  const std::string path = Write("node.conf", config);
  const std::string schema = Write("schema.textproto", R"(collections {
  name: "notices"
  fields { name: "title" kind: LWW type: TEXT }
}
)");
  absl::StatusOr<LoadedConfig> loaded = LoadConfig(path, {.insecure = true});
  EXPECT_THAT(std::string(loaded.status().message()), StartsWith(absl::StrCat(schema, ":3:47: ")));
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("TEXT"));

  Write("schema.textproto", R"(collections {
  name: "notices"
  fields { name: "title" kind: LWW }
  fields { name: "level" kind: COUNTER type: INT }
}
)");
  loaded = LoadConfig(path, {.insecure = true});
  EXPECT_EQ(std::string(loaded.status().message()),
            absl::StrCat(schema,
                         ":4:40: collections[0].fields[1].type is set on \"level\", a COUNTER "
                         "field, whose values have a fixed type"));
}

// --insecure is sanjid's flag, not the config's: with it a node on loopback
// needs no tls block, and none is made up for it.
TEST_F(ConfigTest, InsecureNodeOnLoopbackNeedsNoTls) {
  const std::string path = Write("node.conf", absl::StrCat(R"(node_id: "gutian"
listen_address: "localhost:7070"
data_dir: "data"
)",
                                                           kSchema));
  EXPECT_EQ(LoadConfig(path).status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<LoadedConfig> loaded = LoadConfig(path, {.insecure = true});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_FALSE(loaded->config.has_tls());
  EXPECT_EQ(loaded->config.data_dir(), (dir_ / "data").string());
}

TEST(BuildSchemaTest, ErrorsNameThePathWithoutAFile) {
  v1::SchemaConfig config;
  v1::FieldConfig* field = config.add_collections()->add_fields();
  field->set_name("status");
  field->set_kind(v1::FieldConfig::STATUS);
  absl::StatusOr<conflict::Schema> schema = BuildSchema(config);
  EXPECT_EQ(schema.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(schema.status().message()),
            "collections[0].fields[0].status_order is missing: \"status\" is a STATUS field");
}

TEST(BuildSchemaTest, ADeprecatedFieldIsKeptAndMarked) {
  absl::StatusOr<conflict::Schema> schema = ParseSchemaFile("schema.textproto", R"(
collections {
  name: "service_requests"
  fields { name: "title" kind: LWW }
  fields { name: "photo" kind: LWW deprecated: true }
}
)");
  ASSERT_TRUE(schema.ok()) << schema.status();
  absl::StatusOr<const conflict::CollectionSchema*> requests =
      schema->Collection("service_requests");
  ASSERT_TRUE(requests.ok());
  EXPECT_TRUE((*requests)->fields().at("photo").deprecated);
  EXPECT_FALSE((*requests)->fields().at("title").deprecated);
}

// aliases: the earlier names, oldest first; the first is the stored name.
TEST(BuildSchemaTest, ARenamedFieldIsStoredUnderItsFirstAlias) {
  absl::StatusOr<conflict::Schema> schema = ParseSchemaFile("schema.textproto", R"(
collections {
  name: "households"
  fields { name: "contact_phone" kind: LWW aliases: "phone" aliases: "mobile" }
}
)");
  ASSERT_TRUE(schema.ok()) << schema.status();
  const conflict::CollectionSchema& households = *schema->Collection("households").value();
  ASSERT_TRUE(households.fields().contains("phone"));
  EXPECT_EQ(households.fields().at("phone").renamed_to,
            (std::vector<std::string>{"mobile", "contact_phone"}));
  EXPECT_EQ(households.ApiName("phone"), "contact_phone");

  absl::StatusOr<conflict::Schema> clash = ParseSchemaFile("schema.textproto", R"(
collections {
  name: "households"
  fields { name: "contact_phone" kind: LWW aliases: "phone" }
  fields { name: "phone" kind: LWW }
}
)");
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(clash.status().message()),
              ::testing::AllOf(::testing::HasSubstr("schema.textproto:5:"),
                               ::testing::HasSubstr("declares field \"phone\" twice")));
}

TEST(IsLoopbackAddressTest, KnowsLoopbackFromTheNetwork) {
  for (const char* loopback :
       {"127.0.0.1:7070", "127.8.9.10:1", "localhost:7070", "LocalHost:80", "[::1]:7070"}) {
    EXPECT_TRUE(IsLoopbackAddress(loopback)) << loopback;
  }
  for (const char* network : {"0.0.0.0:7070", "[::]:7070", "10.0.0.1:7070", "128.0.0.1:7070",
                              "county.sanji.internal:7070", "127.0.0.1", "::1:7070", ""}) {
    EXPECT_FALSE(IsLoopbackAddress(network)) << network;
  }
}

// One bad config: its text, where the error must point, and what it says.
struct BadConfig {
  std::string name;
  std::string text;
  std::string where;  // "LINE:COL", or "" when nothing written is to blame
  std::string what;   // a part of the message after the place
  bool insecure = true;
};

// gtest prints a parameter's bytes unless told how.
void PrintTo(const BadConfig& bad, std::ostream* out) { *out << bad.name; }

class BadConfigTest : public ConfigTest, public ::testing::WithParamInterface<BadConfig> {};

TEST_P(BadConfigTest, NamesFileLineAndField) {
  const BadConfig& bad = GetParam();
  const std::string path = Write("bad.conf", bad.text);
  absl::StatusOr<LoadedConfig> loaded = LoadConfig(path, {.insecure = bad.insecure});
  ASSERT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << loaded.status();
  const std::string place = bad.where.empty() ? path : absl::StrCat(path, ":", bad.where);
  EXPECT_THAT(std::string(loaded.status().message()), StartsWith(absl::StrCat(place, ": ")));
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(bad.what));
}

// A config the cases below break one line at a time: `lines` then data_dir and
// the schema. The cases run with --insecure, so that only those about tls need
// a tls block.
std::string Good(const std::string& lines) {
  return absl::StrCat(lines, "\ndata_dir: \"data\"\n", kSchema, "\n");
}

const std::vector<BadConfig> kBadConfigs = {
    // Parse errors, from protobuf's parser.
    {"UnknownField", "nodeid: \"gutian\"\n", "1:7", "no field named \"nodeid\""},
    {"BadEnumValue",
     Good("node_id: \"gutian/fengpu\"\nlisten_address: \"127.0.0.1:7070\"\n"
          "parents { id: \"gutian\" address: \"a:1\" compression: GZIP }"),
     "3:57", "Unknown enumeration value of \"GZIP\" for field \"compression\""},
    {"WrongType",
     Good("node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\nsync { window: \"four\" }"),
     "3:16", "Expected integer"},
    {"TwoSchemaSources", Good("node_id: \"gutian\"\nschema_file: \"schema.textproto\""), "4:8",
     "Field \"schema\" is specified along with field \"schema_file\", another member of oneof"},
    // Identity.
    {"NodeIdMissing", Good("listen_address: \"127.0.0.1:7070\""), "", "node_id is missing"},
    {"NodeIdNotAScopePath", Good("node_id: \"Gutian/Fengpu\"\nlisten_address: \"127.0.0.1:7070\""),
     "1:1", "node_id \"Gutian/Fengpu\" is not a scope path"},
    {"NodeIdEmptySegment", Good("node_id: \"gutian//fengpu\"\nlisten_address: \"127.0.0.1:7070\""),
     "1:1", "node_id \"gutian//fengpu\" is not a scope path"},
    {"ListenAddressMissing", Good("node_id: \"gutian\""), "", "listen_address is missing"},
    {"ListenAddressNoPort", Good("node_id: \"gutian\"\nlisten_address: \"127.0.0.1\""), "2:1",
     "listen_address \"127.0.0.1\" is not host:port"},
    {"ListenPortOutOfRange", Good("node_id: \"gutian\"\nlisten_address: \"127.0.0.1:70000\""),
     "2:1", "listen_address \"127.0.0.1:70000\" has port \"70000\", not in 1..65535"},
    {"InsecureOffLoopback", Good("node_id: \"gutian\"\nlisten_address: \"0.0.0.0:7070\""), "2:1",
     "listen_address \"0.0.0.0:7070\" is not loopback, and --insecure"},
    // Parents.
    {"ParentNotAnAncestor",
     Good("node_id: \"gutian/fengpu/dongkeng\"\nlisten_address: \"127.0.0.1:7070\"\n"
          "parents { id: \"gutian/pingbu\" address: \"pingbu:7070\" }"),
     "3:11",
     "parents[0].id \"gutian/pingbu\" is not an ancestor of node_id \"gutian/fengpu/dongkeng\""},
    {"ParentIsTheNodeItself",
     Good("node_id: \"gutian/fengpu\"\nlisten_address: \"127.0.0.1:7070\"\n"
          "parents { id: \"gutian/fengpu\" address: \"fengpu:7070\" }"),
     "3:11", "parents[0].id \"gutian/fengpu\" is node_id itself, not an ancestor"},
    {"ParentPrefixIsNotAnAncestor",
     Good("node_id: \"gutian/fengpu\"\nlisten_address: \"127.0.0.1:7070\"\n"
          "parents { id: \"gut\" address: \"gut:7070\" }"),
     "3:11", "parents[0].id \"gut\" is not an ancestor"},
    {"ParentAddressNotHostPort",
     Good("node_id: \"gutian/fengpu/dongkeng\"\nlisten_address: \"127.0.0.1:7070\"\n"
          "parents { id: \"gutian/fengpu\" address: \"fengpu:7070\" }\n"
          "parents {\n"
          "  id: \"gutian\"\n"
          "  address: \"gutian-county\"\n"
          "}"),
     "6:3", "parents[1].address \"gutian-county\" is not host:port"},
    {"CompressionNumberOutsideEnum",
     Good("node_id: \"gutian/fengpu\"\nlisten_address: \"127.0.0.1:7070\"\n"
          "parents { id: \"gutian\" address: \"county:7070\" compression: 7 }"),
     "3:47",
     "parents[0].compression 7 is not COMPRESSION_AUTO, COMPRESSION_NONE, COMPRESSION_ZSTD or "
     "COMPRESSION_GZIP"},
    {"ParentRepeated",
     Good("node_id: \"gutian/fengpu/dongkeng\"\nlisten_address: \"127.0.0.1:7070\"\n"
          "parents { id: \"gutian\" address: \"county:7070\" }\n"
          "parents { id: \"gutian\" address: \"county2:7070\" }"),
     "4:11", "parents[1].id \"gutian\" repeats parents[0]"},
    {"ParentAddressRepeated",
     Good("node_id: \"gutian/fengpu/dongkeng\"\nlisten_address: \"127.0.0.1:7070\"\n"
          "parents { id: \"gutian/fengpu\" address: \"county:7070\" }\n"
          "parents { id: \"gutian\" address: \"county:7070\" }"),
     "4:24", "parents[1].address \"county:7070\" repeats parents[0].address"},
    // Storage and TLS.
    {"DataDirMissing",
     absl::StrCat("node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\n", kSchema), "",
     "data_dir is missing"},
    {"TlsMissing", Good("node_id: \"gutian\"\nlisten_address: \"0.0.0.0:7070\""), "",
     "tls.ca_file is missing (or run sanjid with --insecure", false},
    {"TlsPartial",
     Good("node_id: \"gutian\"\nlisten_address: \"0.0.0.0:7070\"\n"
          "tls {\n  ca_file: \"ca.pem\"\n  key_file: \"gutian.key\"\n}"),
     "3:1", "tls.cert_file is missing: tls needs ca_file, cert_file and key_file", false},
    // Schema.
    {"SchemaMissing", "node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\ndata_dir: \"d\"\n",
     "", "schema is missing"},
    {"SchemaEmpty",
     "node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\ndata_dir: \"d\"\nschema {}\n", "4:1",
     "schema.collections is empty"},
    {"FieldWithoutKind",
     "node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\ndata_dir: \"d\"\n"
     "schema { collections { name: \"notices\" fields { name: \"title\" } } }\n",
     "4:40", "schema.collections[0].fields[0].kind of \"title\" is missing: write LWW, MV"},
    {"StatusWithoutOrder",
     "node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\ndata_dir: \"d\"\n"
     "schema { collections {\n  name: \"service_requests\"\n  fields { name: \"status\" kind: "
     "STATUS }\n} }\n",
     "6:3",
     "schema.collections[0].fields[0].status_order is missing: \"status\" is a STATUS field"},
    {"StatusOrderOnLww",
     "node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\ndata_dir: \"d\"\n"
     "schema { collections {\n  name: \"service_requests\"\n"
     "  fields { name: \"assignee\" kind: LWW status_order: \"open\" }\n} }\n",
     "6:39", "schema.collections[0].fields[0].status_order is set on \"assignee\", a LWW field"},
    {"StatusRepeatsAValue",
     "node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\ndata_dir: \"d\"\n"
     "schema { collections {\n  name: \"service_requests\"\n"
     "  fields { name: \"status\" kind: STATUS status_order: [\"open\", \"closed\", \"open\"] }\n} "
     "}\n",
     "6:3",
     "schema.collections[0].fields[0]: status field \"status\" of \"service_requests\" lists "
     "\"open\" twice"},
    {"FieldDeclaredTwice",
     "node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\ndata_dir: \"d\"\n"
     "schema { collections {\n  name: \"notices\"\n  fields { name: \"title\" kind: LWW }\n"
     "  fields { name: \"title\" kind: MV }\n} }\n",
     "7:3",
     "schema.collections[0].fields[1]: collection \"notices\" declares field \"title\" twice"},
    {"ReservedCollectionName",
     "node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\ndata_dir: \"d\"\n"
     "schema {\n  collections { name: \"@status\" fields { name: \"title\" kind: LWW } }\n}\n",
     "5:3", "schema.collections[0]: collection name \"@status\" starts with '@'"},
    {"KindNumberOutsideEnum",
     "node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\ndata_dir: \"d\"\n"
     "schema { collections { name: \"notices\" fields { name: \"title\" kind: 9 } } }\n",
     "4:63", "schema.collections[0].fields[0].kind of \"title\" is 9: write LWW"},
    {"NegativeWindow",
     Good("node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\nsync { window: -1 }"), "3:16",
     "Expected integer, got: -"},
    {"CollectionWithoutFields",
     "node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\ndata_dir: \"d\"\n"
     "schema {\n  collections { name: \"notices\" }\n}\n",
     "5:3", "schema.collections[0] \"notices\" has no fields"},
    {"CollectionDeclaredTwice",
     "node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\ndata_dir: \"d\"\n"
     "schema {\n  collections { name: \"notices\" fields { name: \"title\" kind: LWW } }\n"
     "  collections { name: \"notices\" fields { name: \"body\" kind: LWW } }\n}\n",
     "6:3", "schema.collections[1]: collection \"notices\" declared twice"},
    // Numeric settings.
    {"WindowTooLarge",
     Good("node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\nsync {\n  window: 500\n}"),
     "4:3", "sync.window 500 is not in 1..64"},
    {"KeepaliveTooFrequent",
     Good("node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\ntimeouts { keepalive_time_ms: "
          "10 }"),
     "3:12", "timeouts.keepalive_time_ms 10 is not in 1000.."},
    {"BatchTooLargeForDefaultMessage",
     Good("node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\nsync { max_batch_bytes: "
          "16777216 }"),
     "3:8", "sync.max_batch_bytes 16777216 is more than max_message_bytes 16777216 (default) / 2"},
    {"MessageTooSmallForDefaultBatch",
     Good("node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\nmax_message_bytes: 1048576"),
     "3:1", "sync.max_batch_bytes 1048576 (default) is more than max_message_bytes 1048576 / 2"},
    {"RecordTooLargeForDefaultMessage",
     Good("node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\nmax_record_bytes: 8388608"),
     "3:1", "max_record_bytes 8388608 is more than max_message_bytes 16777216 (default) / 4"},
    {"BackoffInitialAboveMax",
     Good("node_id: \"gutian\"\nlisten_address: \"127.0.0.1:7070\"\n"
          "timeouts { backoff_initial_ms: 60000 }"),
     "3:12",
     "timeouts.backoff_initial_ms 60000 is more than timeouts.backoff_max_ms 30000 (default)"},
};

INSTANTIATE_TEST_SUITE_P(Config, BadConfigTest, ::testing::ValuesIn(kBadConfigs),
                         [](const ::testing::TestParamInfo<BadConfig>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace sanji::node
