#include "store/metadata.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "codec/vector_codec.h"
#include "conflict/status_macros.h"
#include "record.pb.h"
#include "store/coding.h"
#include "store/files.h"
#include "store/key_layout.h"

namespace sanji::store {

namespace {

std::string Fixed32(uint32_t value) {
  std::string out;
  PutFixed32BigEndian(&out, value);
  return out;
}

std::string Fixed64(uint64_t value) {
  std::string out;
  PutFixed64BigEndian(&out, value);
  return out;
}

std::string Timestamp(conflict::HlcTimestamp timestamp) {
  std::string out = Fixed64(static_cast<uint64_t>(timestamp.physical_micros));
  PutFixed32BigEndian(&out, timestamp.logical);
  return out;
}

absl::Status Malformed(absl::string_view name) {
  return absl::DataLossError(absl::StrCat("store metadata \"", name, "\" is malformed"));
}

// Reads one metadata value; DataLoss if it is missing.
class MetadataReader {
 public:
  MetadataReader(leveldb::DB* db, const leveldb::ReadOptions& options)
      : db_(db), options_(options) {}

  absl::StatusOr<std::string> Raw(absl::string_view name, const std::string& key) {
    std::string value;
    leveldb::Status status = db_->Get(options_, key, &value);
    if (status.IsNotFound()) {
      return absl::DataLossError(absl::StrCat("store metadata \"", name, "\" is missing"));
    }
    if (!status.ok()) return FromLevelDb(status, absl::StrCat("reading metadata ", name));
    return value;
  }

  absl::StatusOr<uint64_t> Fixed64(absl::string_view name) {
    SANJI_ASSIGN_OR_RETURN(std::string raw, Raw(name, MetadataKey(name)));
    absl::string_view in = raw;
    uint64_t value = 0;
    if (!GetFixed64BigEndian(&in, &value) || !in.empty()) return Malformed(name);
    return value;
  }

  absl::StatusOr<uint32_t> Fixed32(absl::string_view name) {
    SANJI_ASSIGN_OR_RETURN(std::string raw, Raw(name, MetadataKey(name)));
    absl::string_view in = raw;
    uint32_t value = 0;
    if (!GetFixed32BigEndian(&in, &value) || !in.empty()) return Malformed(name);
    return value;
  }

  absl::StatusOr<conflict::HlcTimestamp> Timestamp(absl::string_view name) {
    SANJI_ASSIGN_OR_RETURN(std::string raw, Raw(name, MetadataKey(name)));
    absl::string_view in = raw;
    uint64_t physical = 0;
    uint32_t logical = 0;
    if (!GetFixed64BigEndian(&in, &physical) || !GetFixed32BigEndian(&in, &logical) ||
        !in.empty()) {
      return Malformed(name);
    }
    return conflict::HlcTimestamp{static_cast<int64_t>(physical), logical};
  }

  absl::StatusOr<conflict::VersionVector> Knowledge() {
    SANJI_ASSIGN_OR_RETURN(std::string raw, Raw("knowledge", KnowledgeKey()));
    v1::VersionVector message;
    if (!message.ParseFromString(raw)) return Malformed("knowledge");
    auto vector = codec::DecodeVersionVector(message);
    if (!vector.ok()) {
      return absl::DataLossError(
          absl::StrCat("store knowledge is malformed: ", vector.status().message()));
    }
    return *std::move(vector);
  }

 private:
  leveldb::DB* db_;
  const leveldb::ReadOptions& options_;
};

}  // namespace

void PutAllMetadata(const StoreMetadata& metadata, leveldb::WriteBatch* batch) {
  batch->Put(MetadataKey(meta::kFormatVersion), Fixed32(metadata.format_version));
  batch->Put(MetadataKey(meta::kNodeId), metadata.node_id);
  batch->Put(MetadataKey(meta::kIncarnation), Fixed32(metadata.incarnation));
  batch->Put(MetadataKey(meta::kIdentityToken), metadata.identity_token);
  PutProgress(metadata.progress, batch);
}

void PutProgress(const Progress& progress, leveldb::WriteBatch* batch) {
  batch->Put(MetadataKey(meta::kCounter), Fixed64(progress.counter));
  batch->Put(MetadataKey(meta::kConflictNext), Fixed64(progress.conflict_next));
  batch->Put(MetadataKey(meta::kHlcLast), Timestamp(progress.hlc_last));
  v1::VersionVector knowledge;
  codec::EncodeVersionVector(progress.knowledge, &knowledge);
  batch->Put(KnowledgeKey(), knowledge.SerializeAsString());
}

absl::StatusOr<StoreMetadata> ReadMetadata(leveldb::DB* db, const leveldb::ReadOptions& options) {
  MetadataReader reader(db, options);
  StoreMetadata metadata;
  auto version = reader.Fixed32(meta::kFormatVersion);
  if (!version.ok()) {
    // No format version and no record, index or knowledge: nothing was ever
    // committed; the caller decides whether that is an interrupted creation.
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(options));
    it->SeekToFirst();
    if (!it->Valid() && it->status().ok()) return absl::NotFoundError("the store is empty");
    return version.status();
  }
  metadata.format_version = *version;
  SANJI_ASSIGN_OR_RETURN(metadata.node_id, reader.Raw(meta::kNodeId, MetadataKey(meta::kNodeId)));
  SANJI_ASSIGN_OR_RETURN(metadata.incarnation, reader.Fixed32(meta::kIncarnation));
  if (metadata.incarnation == 0) return Malformed(meta::kIncarnation);
  SANJI_ASSIGN_OR_RETURN(metadata.identity_token,
                         reader.Raw(meta::kIdentityToken, MetadataKey(meta::kIdentityToken)));
  Progress& progress = metadata.progress;
  SANJI_ASSIGN_OR_RETURN(progress.counter, reader.Fixed64(meta::kCounter));
  SANJI_ASSIGN_OR_RETURN(progress.conflict_next, reader.Fixed64(meta::kConflictNext));
  if (progress.conflict_next == 0) return Malformed(meta::kConflictNext);
  SANJI_ASSIGN_OR_RETURN(progress.hlc_last, reader.Timestamp(meta::kHlcLast));
  SANJI_ASSIGN_OR_RETURN(progress.knowledge, reader.Knowledge());
  return metadata;
}

absl::StatusOr<conflict::VersionVector> ReadKnowledge(leveldb::DB* db,
                                                      const leveldb::ReadOptions& options) {
  return MetadataReader(db, options).Knowledge();
}

}  // namespace sanji::store
