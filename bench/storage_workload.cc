#include "bench/storage_workload.h"

#include <stdlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "codec/canonical_record.h"
#include "codec/record_codec.h"
#include "conflict/change.h"

namespace sanji::bench {

namespace {

// Text of the kind a village service desk types, cut to `chars` characters.
std::string ChineseText(std::mt19937_64& rng, size_t chars) {
  static constexpr const char* kPhrases[] = {"村民反映",     "路灯不亮",  "水管漏水", "低保申请",
                                             "医保报销",     "道路破损",  "垃圾清运", "请尽快处理",
                                             "已联系网格员", "需乡镇协调"};
  std::string text;
  while (text.size() < chars * 3) text += kPhrases[rng() % std::size(kPhrases)];
  return text.substr(0, chars * 3);  // each of these characters is 3 bytes of UTF-8
}

}  // namespace

conflict::Schema RequestSchema() {
  conflict::CollectionSchema requests(kRequests);
  for (const char* field : kRequestTextFields) {
    (void)requests.AddField(field, conflict::FieldSpec::Lww());
  }
  (void)requests.AddField("status", conflict::FieldSpec::Status({std::begin(kRequestStatuses),
                                                                 std::end(kRequestStatuses)}));
  conflict::Schema schema;
  (void)schema.AddCollection(std::move(requests));
  return schema;
}

store::Options BenchStoreOptions(const std::string& path, const conflict::Schema& schema,
                                 const conflict::PhysicalClock& clock) {
  store::Options options;
  options.path = path;
  options.node_id = kVillage;
  options.schema = &schema;
  options.clock = &clock;
  return options;
}

BenchDir::BenchDir() {
  const char* base = getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp", "/sanji_storage_bench.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) std::perror(pattern.c_str());
  path_ = pattern;
}

BenchDir::~BenchDir() {
  std::error_code error;
  std::filesystem::remove_all(path_, error);
}

RequestStream::RequestStream(uint64_t seed) : schema_(RequestSchema()), rng_(seed) {}

conflict::Record RequestStream::Next(std::string* key) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng_()));
  *key = absl::StrCat(kVillage, "/req-", hex);
  conflict::Change change;
  change.scope = kVillage;
  // ~300 bytes of record encoding: the text, field names, dots and timestamps.
  change.ops.push_back({"title", conflict::Assign{ChineseText(rng_, 8)}});
  change.ops.push_back({"detail", conflict::Assign{ChineseText(rng_, 24)}});
  change.ops.push_back({"requester", conflict::Assign{ChineseText(rng_, 3)}});
  change.ops.push_back({"status", conflict::SetStatus{"open"}});
  change.author = kVillageApp;
  ++counter_;
  const conflict::HlcTimestamp timestamp{kBenchMicros - 1000, static_cast<uint32_t>(counter_ % 64)};
  const conflict::CollectionSchema* requests = *schema_.Collection(kRequests);
  return *conflict::Record().Write(*requests, change, {origin_, counter_}, timestamp);
}

absl::StatusOr<store::RemoteBatch> NextBatch(RequestStream& stream, size_t count,
                                             const conflict::CollectionSchema& requests) {
  store::RemoteBatch batch;
  batch.items.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::string key;
    absl::StatusOr<codec::CanonicalRecord> record =
        codec::CanonicalRecord::Read(codec::SerializeRecord(stream.Next(&key)), requests);
    if (!record.ok()) return record.status();
    batch.items.push_back({kRequests, std::move(key), *std::move(record)});
  }
  batch.knowledge.Set(stream.origin(), stream.counter());
  return batch;
}

namespace {

int64_t StatusKiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atoll(line.c_str() + std::strlen(field));
  }
  return -1;
}

}  // namespace

int64_t VmRssKiB() { return StatusKiB("VmRSS:"); }
int64_t VmHwmKiB() { return StatusKiB("VmHWM:"); }
int64_t RssAnonKiB() { return StatusKiB("RssAnon:"); }
int64_t RssFileKiB() { return StatusKiB("RssFile:"); }

}  // namespace sanji::bench
