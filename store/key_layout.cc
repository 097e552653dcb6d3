#include "store/key_layout.h"

#include "store/coding.h"

namespace sanji::store {

namespace {

std::string Tag(KeySpace space) { return std::string(1, static_cast<char>(space)); }

bool ConsumeTag(absl::string_view* key, KeySpace space) {
  if (key->empty() || (*key)[0] != static_cast<char>(space)) return false;
  key->remove_prefix(1);
  return true;
}

}  // namespace

std::string MetadataKey(absl::string_view name) {
  std::string key = Tag(KeySpace::kMetadata);
  key.append(name.data(), name.size());
  return key;
}

std::string RecordName(absl::string_view collection, absl::string_view key) {
  std::string name;
  PutEscaped(&name, collection);
  PutEscaped(&name, key);
  return name;
}

std::string RecordKey(absl::string_view collection, absl::string_view key) {
  return Tag(KeySpace::kRecord) + RecordName(collection, key);
}

void RecordKeyOfName(absl::string_view name, std::string* record_key) {
  record_key->assign(Tag(KeySpace::kRecord));
  record_key->append(name.data(), name.size());
}

std::string RecordRangePrefix(absl::string_view collection, absl::string_view key_prefix) {
  std::string prefix = Tag(KeySpace::kRecord);
  PutEscaped(&prefix, collection);
  PutEscaped(&prefix, key_prefix, /*terminate=*/false);
  return prefix;
}

std::string RecordSpacePrefix() { return Tag(KeySpace::kRecord); }

bool ParseRecordName(absl::string_view name, std::string* collection, std::string* record_key) {
  return GetEscaped(&name, collection) && GetEscaped(&name, record_key) && name.empty();
}

bool ParseRecordKey(absl::string_view key, std::string* collection, std::string* record_key) {
  return ConsumeTag(&key, KeySpace::kRecord) && ParseRecordName(key, collection, record_key);
}

namespace {

// esc(node_id) fixed32 BE incarnation [fixed64 BE counter] after `space`'s tag.
std::string DotPrefix(KeySpace space, const conflict::Origin& origin) {
  std::string prefix = Tag(space);
  PutEscaped(&prefix, origin.node_id.str());
  PutFixed32BigEndian(&prefix, origin.incarnation);
  return prefix;
}

std::string DotKey(KeySpace space, const conflict::Origin& origin, uint64_t counter) {
  std::string key = DotPrefix(space, origin);
  PutFixed64BigEndian(&key, counter);
  return key;
}

bool ParseDotKey(KeySpace space, absl::string_view key, conflict::Origin* origin,
                 uint64_t* counter) {
  std::string node_id;
  uint32_t incarnation = 0;
  if (!ConsumeTag(&key, space) || !GetEscaped(&key, &node_id) ||
      !GetFixed32BigEndian(&key, &incarnation) || !GetFixed64BigEndian(&key, counter) ||
      !key.empty()) {
    return false;
  }
  *origin = conflict::Origin{conflict::NodeId(node_id), incarnation};
  return true;
}

}  // namespace

std::string OriginIndexPrefix(const conflict::Origin& origin) {
  return DotPrefix(KeySpace::kOriginIndex, origin);
}

std::string OriginIndexKey(const conflict::Origin& origin, uint64_t counter) {
  return DotKey(KeySpace::kOriginIndex, origin, counter);
}

std::string OriginIndexSpacePrefix() { return Tag(KeySpace::kOriginIndex); }

bool ParseOriginIndexKey(absl::string_view key, conflict::Origin* origin, uint64_t* counter) {
  return ParseDotKey(KeySpace::kOriginIndex, key, origin, counter);
}

std::string KnowledgeCloudKey(const conflict::Dot& dot) {
  return DotKey(KeySpace::kKnowledgeCloud, dot.origin, dot.counter);
}

std::string KnowledgeCloudSpacePrefix() { return Tag(KeySpace::kKnowledgeCloud); }

bool ParseKnowledgeCloudKey(absl::string_view key, conflict::Dot* dot) {
  return ParseDotKey(KeySpace::kKnowledgeCloud, key, &dot->origin, &dot->counter);
}

std::string KnowledgeKey() { return Tag(KeySpace::kKnowledge); }

std::string ConflictLogKey(uint64_t sequence) {
  std::string key = Tag(KeySpace::kConflictLog);
  PutFixed64BigEndian(&key, sequence);
  return key;
}

std::string ConflictResolutionKey(uint64_t sequence) {
  std::string key = Tag(KeySpace::kConflictResolution);
  PutFixed64BigEndian(&key, sequence);
  return key;
}

std::string DepartureKey(absl::string_view collection, absl::string_view key) {
  return Tag(KeySpace::kDeparture) + RecordName(collection, key);
}

std::string DepartureSpacePrefix() { return Tag(KeySpace::kDeparture); }

std::string ConflictLogSpacePrefix() { return Tag(KeySpace::kConflictLog); }

bool ParseConflictLogKey(absl::string_view key, uint64_t* sequence) {
  return ConsumeTag(&key, KeySpace::kConflictLog) && GetFixed64BigEndian(&key, sequence) &&
         key.empty();
}

std::string ConflictResolutionSpacePrefix() { return Tag(KeySpace::kConflictResolution); }

bool ParseConflictResolutionKey(absl::string_view key, uint64_t* sequence) {
  return ConsumeTag(&key, KeySpace::kConflictResolution) && GetFixed64BigEndian(&key, sequence) &&
         key.empty();
}

}  // namespace sanji::store
