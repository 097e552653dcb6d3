// Store::CheckConsistency: the invariants between records, the origin index,
// the knowledge, the conflict log and its resolutions, and the metadata
// (store.h), checked over one snapshot. For the tests now and `sanjictl
// check` later; it reads the whole store.
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codec/record_codec.h"
#include "conflict/status_macros.h"
#include "store/coding.h"
#include "store/conflict_log.h"
#include "store/files.h"
#include "store/key_layout.h"
#include "store/metadata.h"
#include "store/store.h"

namespace sanji::store {

namespace {

// Collects the first problems found; the check goes on after each.
class Problems {
 public:
  void Add(std::string problem) {
    ++count_;
    if (first_.size() < kShown) first_.push_back(std::move(problem));
  }
  absl::Status ToStatus() const {
    if (count_ == 0) return absl::OkStatus();
    return absl::DataLossError(absl::StrCat("consistency check found ", count_,
                                            " problem(s): ", absl::StrJoin(first_, "; ")));
  }

 private:
  static constexpr size_t kShown = 10;
  size_t count_ = 0;
  std::vector<std::string> first_;
};

absl::string_view View(const leveldb::Slice& slice) { return {slice.data(), slice.size()}; }

std::string Name(const std::string& collection, const std::string& key) {
  return absl::StrCat("record \"", collection, "\"/\"", key, "\"");
}

// Every record parses, fits the schema, and each context entry is indexed to
// it; no dot of `origin` is above `counter`.
void CheckRecords(leveldb::DB* db, const leveldb::ReadOptions& options,
                  const conflict::Schema& schema, const conflict::Origin& origin, uint64_t counter,
                  Problems& problems, std::vector<std::string>* field_clashes) {
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(options));
  const std::string prefix = RecordSpacePrefix();
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string collection;
    std::string key;
    if (!ParseRecordKey(View(it->key()), &collection, &key)) {
      problems.Add("a malformed record key");
      continue;
    }
    const std::string name = Name(collection, key);
    auto record = codec::ParseRecord(View(it->value()));
    if (!record.ok()) {
      problems.Add(absl::StrCat(name, ": ", record.status().message()));
      continue;
    }
    const conflict::CollectionSchema& collection_schema = schema.CollectionOrUnknown(collection);
    absl::Status fits = record->CheckAgainst(collection_schema);
    if (field_clashes != nullptr) {
      for (const std::string& field : record->ClashingFields(collection_schema)) {
        field_clashes->push_back(absl::StrCat(collection, "/", key, ": ", field));
      }
    }
    if (!fits.ok()) problems.Add(absl::StrCat(name, ": ", fits.message()));
    if (record->context().Get(origin) > counter) {
      problems.Add(absl::StrCat(name, " holds ", origin.ToString(), ":",
                                record->context().Get(origin), ", beyond the counter ", counter));
    }
    const std::string record_name = RecordName(collection, key);
    for (const auto& [entry_origin, entry_counter] : record->context().entries()) {
      std::string indexed;
      const std::string dot = absl::StrCat(entry_origin.ToString(), ":", entry_counter);
      leveldb::Status status =
          db->Get(options, OriginIndexKey(entry_origin, entry_counter), &indexed);
      if (status.IsNotFound()) {
        problems.Add(absl::StrCat(name, ": context entry ", dot, " is not indexed"));
      } else if (!status.ok()) {
        problems.Add(FromLevelDb(status, "reading the index").ToString());
      } else if (indexed != record_name) {
        problems.Add(absl::StrCat(name, ": index entry ", dot, " names another record"));
      }
    }
  }
  if (!it->status().ok()) problems.Add(FromLevelDb(it->status(), "scanning records").ToString());
}

// Every index entry names a record whose context entry for the origin is the
// entry's counter.
void CheckIndex(leveldb::DB* db, const leveldb::ReadOptions& options, Problems& problems) {
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(options));
  const std::string prefix = OriginIndexSpacePrefix();
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    conflict::Origin origin;
    uint64_t counter = 0;
    std::string collection;
    std::string key;
    if (!ParseOriginIndexKey(View(it->key()), &origin, &counter) ||
        !ParseRecordName(View(it->value()), &collection, &key)) {
      problems.Add("a malformed origin index entry");
      continue;
    }
    const std::string dot = absl::StrCat(origin.ToString(), ":", counter);
    std::string bytes;
    leveldb::Status status = db->Get(options, RecordKey(collection, key), &bytes);
    if (!status.ok()) {
      problems.Add(absl::StrCat("index entry ", dot, " dangles: ", Name(collection, key), " ",
                                status.ToString()));
      continue;
    }
    auto record = codec::ParseRecord(bytes);
    if (record.ok() && record->context().Get(origin) != counter) {
      problems.Add(absl::StrCat("index entry ", dot, " is stale: ", Name(collection, key), " has ",
                                record->context().Get(origin)));
    }
  }
  if (!it->status().ok()) problems.Add(FromLevelDb(it->status(), "scanning the index").ToString());
}

void CheckConflictLog(leveldb::DB* db, const leveldb::ReadOptions& options, uint64_t next,
                      Problems& problems) {
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(options));
  const std::string prefix = ConflictLogSpacePrefix();
  it->Seek(PrefixSuccessor(prefix));
  it->Valid() ? it->Prev() : it->SeekToLast();
  uint64_t last = 0;
  if (it->Valid() && it->key().starts_with(prefix) && ParseConflictLogKey(View(it->key()), &last) &&
      last >= next) {
    problems.Add(absl::StrCat("conflict event ", last, " is not below the next sequence ", next));
  }
}

// Every resolution has a well-formed key, decodes, and marks a conflict
// event that is logged below the next sequence.
void CheckConflictResolutions(leveldb::DB* db, const leveldb::ReadOptions& options, uint64_t next,
                              Problems& problems) {
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(options));
  const std::string prefix = ConflictResolutionSpacePrefix();
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    uint64_t sequence = 0;
    if (!ParseConflictResolutionKey(View(it->key()), &sequence)) {
      problems.Add("a malformed conflict resolution key");
      continue;
    }
    const std::string name = absl::StrCat("the resolution of conflict event ", sequence);
    auto resolved_at = DecodeConflictResolution(sequence, View(it->value()));
    if (!resolved_at.ok()) problems.Add(std::string(resolved_at.status().message()));
    if (sequence >= next) {
      problems.Add(absl::StrCat(name, " is not below the next sequence ", next));
      continue;
    }
    std::string entry;
    leveldb::Status status = db->Get(options, ConflictLogKey(sequence), &entry);
    if (status.IsNotFound()) {
      problems.Add(absl::StrCat(name, " has no conflict log entry"));
    } else if (!status.ok()) {
      problems.Add(
          FromLevelDb(status, absl::StrCat("reading conflict event ", sequence)).ToString());
    }
  }
  if (!it->status().ok()) {
    problems.Add(FromLevelDb(it->status(), "scanning the conflict resolutions").ToString());
  }
}

// Every departure mark names a stored record; every knowledge cloud dot is
// above the knowledge (the knowledge removes the dots it covers).
void CheckDeparturesAndCloud(leveldb::DB* db, const leveldb::ReadOptions& options,
                             const conflict::VersionVector& knowledge, Problems& problems) {
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(options));
  const std::string departures = DepartureSpacePrefix();
  for (it->Seek(departures); it->Valid() && it->key().starts_with(departures); it->Next()) {
    std::string collection;
    std::string key;
    if (!ParseRecordName(View(it->key()).substr(departures.size()), &collection, &key)) {
      problems.Add("a malformed departure key");
      continue;
    }
    std::string unused;
    if (db->Get(options, RecordKey(collection, key), &unused).IsNotFound()) {
      problems.Add(absl::StrCat("departure of ", Name(collection, key), " names no record"));
    }
  }
  const std::string cloud = KnowledgeCloudSpacePrefix();
  for (it->Seek(cloud); it->Valid() && it->key().starts_with(cloud); it->Next()) {
    conflict::Dot dot;
    if (!ParseKnowledgeCloudKey(View(it->key()), &dot)) {
      problems.Add("a malformed knowledge cloud key");
    } else if (knowledge.Covers(dot)) {
      problems.Add(absl::StrCat("knowledge cloud dot ", dot.origin.ToString(), ":", dot.counter,
                                " is covered by the knowledge"));
    }
  }
  if (!it->status().ok()) {
    problems.Add(FromLevelDb(it->status(), "scanning departures and the cloud").ToString());
  }
}

}  // namespace

absl::Status Store::CheckConsistency(std::vector<std::string>* field_clashes) const {
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  SANJI_RETURN_IF_ERROR(CheckOpen());
  const leveldb::Snapshot* snapshot = db_->GetSnapshot();
  leveldb::ReadOptions options;
  options.snapshot = snapshot;
  options.fill_cache = false;
  options.verify_checksums = true;
  Problems problems;
  auto metadata = ReadMetadata(db_.get(), options);
  if (!metadata.ok()) {
    problems.Add(std::string(metadata.status().message()));
  } else {
    const Progress& stored = metadata->progress;
    const conflict::Origin origin{metadata->node_id, metadata->incarnation};
    if (!(origin == origin_)) {
      problems.Add(absl::StrCat("metadata names origin ", origin.ToString(), ", open as ",
                                origin_.ToString()));
    }
    if (stored.knowledge.Get(origin) != stored.counter) {
      problems.Add(absl::StrCat("knowledge of ", origin.ToString(), " is ",
                                stored.knowledge.Get(origin), " but the counter is ",
                                stored.counter));
    }
    CheckRecords(db_.get(), options, *options_.schema, origin, stored.counter, problems,
                 field_clashes);
    CheckIndex(db_.get(), options, problems);
    CheckConflictLog(db_.get(), options, stored.conflict_next, problems);
    CheckConflictResolutions(db_.get(), options, stored.conflict_next, problems);
    CheckDeparturesAndCloud(db_.get(), options, stored.knowledge, problems);
  }
  db_->ReleaseSnapshot(snapshot);
  return problems.ToStatus();
}

}  // namespace sanji::store
