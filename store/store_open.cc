// Store::Open: inspecting the directory, opening LevelDB, metadata checks and
// incarnations. See store.h and key_layout.h for the contract.
#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "conflict/status_macros.h"
#include "leveldb/write_batch.h"
#include "store/coding.h"
#include "store/files.h"
#include "store/key_layout.h"
#include "store/overlay_env.h"
#include "store/pread_env.h"
#include "store/store.h"

namespace sanji::store {

namespace {

std::string JoinPath(absl::string_view directory, absl::string_view name) {
  return absl::StrCat(directory, "/", name);
}

absl::Status ValidateOptions(const Options& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("store options: path is empty");
  if (options.schema == nullptr || options.clock == nullptr || options.env == nullptr) {
    return absl::InvalidArgumentError("store options: schema, clock and env are required");
  }
  if (options.node_id.empty() ||
      std::any_of(options.node_id.begin(), options.node_id.end(),
                  [](char c) { return absl::ascii_iscntrl(static_cast<unsigned char>(c)); })) {
    return absl::InvalidArgumentError(absl::StrCat("store options: node id \"", options.node_id,
                                                   "\" is empty or holds control characters"));
  }
  return absl::OkStatus();
}

// The names in `dir`, none if it does not exist. Directories are not
// assumed to be files: an in-memory Env (leveldb::NewMemEnv) has none, it
// lists every file whose name starts with "<dir>/", and FileExists is false
// for a directory there.
absl::StatusOr<std::vector<std::string>> Children(leveldb::Env* env, const std::string& dir) {
  std::vector<std::string> children;
  leveldb::Status status = env->GetChildren(dir, &children);
  if (!status.ok() && !env->FileExists(dir)) return children;  // no such directory
  if (!status.ok()) return FromLevelDb(status, absl::StrCat("listing ", dir));
  std::erase_if(children, [](const std::string& name) { return name == "." || name == ".."; });
  std::sort(children.begin(), children.end());
  return children;
}

// What Open must do with the directory.
enum class Inspection { kCreateStore, kCreateDatabase, kOpen };

// Decides from the directory listing and the SANJI descriptor alone, so every
// refusal here leaves the disk untouched.
absl::StatusOr<Inspection> Inspect(const Options& options) {
  leveldb::Env* env = options.env;
  const std::string& path = options.path;
  SANJI_ASSIGN_OR_RETURN(std::vector<std::string> children, Children(env, path));
  const std::string descriptor_tmp = absl::StrCat(kDescriptorFileName, ".tmp");
  std::erase(children, descriptor_tmp);  // a creation interrupted before its first rename
  if (children.empty()) return Inspection::kCreateStore;
  const std::string descriptor_path = JoinPath(path, kDescriptorFileName);
  SANJI_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadOptionalFile(env, descriptor_path));
  if (!text.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is not a Sanji store: it has no ", kDescriptorFileName, " descriptor but holds ",
        absl::StrJoin(children, ", "), "; refusing to touch it"));
  }
  SANJI_ASSIGN_OR_RETURN(Descriptor descriptor, ParseDescriptor(descriptor_path, *text));
  if (descriptor.format_version > kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the store at ", path, " has format version ", descriptor.format_version,
        ", written by a newer Sanji; this binary reads format versions up to ", kFormatVersion));
  }
  if (descriptor.format_version < kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat("the store at ", path, " has format version ",
                                                      descriptor.format_version,
                                                      ", which this binary cannot migrate"));
  }
  if (descriptor.node_id != options.node_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the store at ", path, " belongs to node \"", descriptor.node_id, "\", not to \"",
        options.node_id, "\"; refusing to open another node's store"));
  }
  const std::string db_path = JoinPath(path, kLevelDbDirName);
  if (env->FileExists(JoinPath(db_path, "CURRENT"))) return Inspection::kOpen;
  // LevelDB writes CURRENT last when it creates a database: without it, only
  // a creation that never committed anything is safe to redo.
  SANJI_ASSIGN_OR_RETURN(std::vector<std::string> db_files, Children(env, db_path));
  for (const std::string& name : db_files) {
    if (absl::EndsWith(name, ".log") || absl::EndsWith(name, ".ldb") ||
        absl::EndsWith(name, ".sst")) {
      return absl::DataLossError(absl::StrCat("the store at ", path, " is corrupt: ", db_path,
                                              " holds ", name, " but no CURRENT file"));
    }
  }
  return Inspection::kCreateDatabase;
}

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Hash(absl::string_view bytes, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ Mix(seed);  // FNV-1a, then mixed
  for (char c : bytes) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  return Mix(h);
}

// A token for a new incarnation: Options::identity_token, else derived from
// the path, the clock and the previous token. Never equal to `previous`.
std::string NewToken(const Options& options, const std::string& previous) {
  if (!options.identity_token.empty() && options.identity_token != previous) {
    return options.identity_token;
  }
  const std::string input = absl::StrCat(options.path, "|", options.clock->NowMicros(), "|",
                                         previous, "|", options.identity_token);
  std::string token;
  PutFixed64BigEndian(&token, Hash(input, 1));
  PutFixed64BigEndian(&token, Hash(input, 2));
  return token;
}

// Never 0 and never `previous` (key_layout.h, "Incarnations").
uint32_t NewIncarnation(const std::string& token, uint32_t previous) {
  uint32_t incarnation = static_cast<uint32_t>(Hash(token, previous) & 0x7fffffff);
  if (incarnation == 0) incarnation = 1;
  if (incarnation == previous) incarnation = incarnation == 0x7fffffff ? 1 : incarnation + 1;
  return incarnation;
}

std::string IdentityFileContents(const std::string& token) { return ToHex(token) + "\n"; }

// Commits a new incarnation (counter 0) and then rewrites the IDENTITY file.
absl::Status StartIncarnation(const Options& options, leveldb::DB* db, StoreMetadata& metadata) {
  metadata.identity_token = NewToken(options, metadata.identity_token);
  metadata.incarnation = NewIncarnation(metadata.identity_token, metadata.incarnation);
  metadata.progress.counter = 0;
  leveldb::WriteBatch batch;
  PutAllMetadata(metadata, &batch);
  leveldb::WriteOptions sync;
  sync.sync = true;
  leveldb::Status status = db->Write(sync, &batch);
  if (!status.ok()) {
    return FromLevelDb(status, absl::StrCat("starting a new incarnation of ", options.path));
  }
  return WriteFileAtomically(options.env, options.identity_path,
                             IdentityFileContents(metadata.identity_token));
}

// Cross-checks the metadata with the options and the origin index, with a
// constant number of reads.
absl::Status CheckMetadata(const Options& options, leveldb::DB* db, const StoreMetadata& metadata) {
  auto corrupt = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("the store at ", options.path, " is corrupt: ", why));
  };
  if (metadata.format_version != kFormatVersion) {
    return corrupt(absl::StrCat("metadata has format version ", metadata.format_version,
                                " but the descriptor has ", kFormatVersion));
  }
  if (metadata.node_id != options.node_id) {
    return corrupt(absl::StrCat("metadata names node \"", metadata.node_id,
                                "\" but the descriptor names \"", options.node_id, "\""));
  }
  const conflict::Origin origin{metadata.node_id, metadata.incarnation};
  const uint64_t counter = metadata.progress.counter;
  if (metadata.progress.knowledge.Get(origin) != counter) {
    return corrupt(absl::StrCat("knowledge of ", origin.ToString(), " is ",
                                metadata.progress.knowledge.Get(origin), " but the counter is ",
                                counter));
  }
  // The newest index entry of this origin must not be above the counter.
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
  const std::string prefix = OriginIndexPrefix(origin);
  it->Seek(PrefixSuccessor(prefix));
  it->Valid() ? it->Prev() : it->SeekToLast();
  if (!it->status().ok()) return FromLevelDb(it->status(), "reading the origin index");
  conflict::Origin found;
  uint64_t last = 0;
  if (it->Valid() && it->key().starts_with(prefix) &&
      ParseOriginIndexKey(absl::string_view(it->key().data(), it->key().size()), &found, &last) &&
      last > counter) {
    return corrupt(absl::StrCat("the origin index holds ", origin.ToString(), ":", last,
                                ", beyond the counter ", counter));
  }
  return absl::OkStatus();
}

struct LevelDbParts {
  std::unique_ptr<leveldb::Cache> cache;
  std::unique_ptr<const leveldb::FilterPolicy> filter;
  std::unique_ptr<leveldb::DB> db;
};

absl::StatusOr<LevelDbParts> OpenLevelDb(const Options& options, leveldb::Env* env, bool create) {
  LevelDbParts parts;
  parts.cache.reset(leveldb::NewLRUCache(options.block_cache_size));
  if (options.bloom_bits_per_key > 0) {
    parts.filter.reset(leveldb::NewBloomFilterPolicy(options.bloom_bits_per_key));
  }
  leveldb::Options db_options;
  db_options.env = env;
  db_options.create_if_missing = create;
  db_options.error_if_exists = create;
  // Refuse a corrupt store at open rather than skip what LevelDB cannot read.
  db_options.paranoid_checks = true;
  db_options.write_buffer_size = options.write_buffer_size;
  db_options.block_cache = parts.cache.get();
  db_options.filter_policy = parts.filter.get();
  leveldb::DB* db = nullptr;
  const std::string db_path = JoinPath(options.path, kLevelDbDirName);
  leveldb::Status status = leveldb::DB::Open(db_options, db_path, &db);
  if (!status.ok()) {
    return FromLevelDb(status, absl::StrCat("opening the store at ", options.path));
  }
  parts.db.reset(db);
  return parts;
}

struct OpenedDb {
  LevelDbParts parts;
  // nullopt if nothing was ever committed (a creation not finished).
  std::optional<StoreMetadata> metadata;
};

// Opens LevelDB through `env` and reads and checks the metadata, with
// checksums verified: everything Open checks before it writes.
absl::StatusOr<OpenedDb> OpenAndCheck(const Options& options, leveldb::Env* env, bool create) {
  OpenedDb opened;
  SANJI_ASSIGN_OR_RETURN(opened.parts, OpenLevelDb(options, env, create));
  leveldb::DB* db = opened.parts.db.get();
  leveldb::ReadOptions verified;
  verified.verify_checksums = true;
  auto read = ReadMetadata(db, verified);
  if (absl::IsNotFound(read.status())) return opened;
  if (!read.ok()) {
    return Annotate(read.status(), absl::StrCat("the store at ", options.path, " is corrupt"));
  }
  SANJI_RETURN_IF_ERROR(CheckMetadata(options, db, *read));
  opened.metadata = *std::move(read);
  return opened;
}

// Opening an existing LevelDB rewrites files (a new MANIFEST, CURRENT and
// log, LOG rotated, a recovered log flushed into a table) before the store
// can tell that it is corrupt. So a trial open runs first in a copy-on-write
// view that writes nothing through (store/overlay_env.h): a store it refuses
// is left exactly as it was. It costs a second open, without fsyncs, and
// after a crash a second replay of the log.
absl::Status TrialOpen(const Options& options, leveldb::Env* env) {
  OverlayEnv overlay(env);
  return OpenAndCheck(options, &overlay, /*create=*/false).status();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(Options options) {
  SANJI_RETURN_IF_ERROR(ValidateOptions(options));
  if (options.identity_path.empty()) {
    options.identity_path = JoinPath(options.path, kIdentityFileName);
  }
  SANJI_ASSIGN_OR_RETURN(Inspection inspection, Inspect(options));
  if (inspection == Inspection::kCreateStore) {
    options.env->CreateDir(options.path);  // may exist (empty); the write below reports errors
    SANJI_RETURN_IF_ERROR(
        WriteFileAtomically(options.env, JoinPath(options.path, kDescriptorFileName),
                            FormatDescriptor(Descriptor{kFormatVersion, options.node_id})));
  }
  std::unique_ptr<leveldb::Env> pread_env;
  if (options.pread_table_reads && options.env == leveldb::Env::Default()) {
    pread_env = std::make_unique<PreadEnv>(options.env);
  }
  leveldb::Env* db_env = pread_env != nullptr ? pread_env.get() : options.env;
  if (inspection == Inspection::kOpen) SANJI_RETURN_IF_ERROR(TrialOpen(options, db_env));
  SANJI_ASSIGN_OR_RETURN(OpenedDb opened,
                         OpenAndCheck(options, db_env, inspection != Inspection::kOpen));
  LevelDbParts& parts = opened.parts;
  StoreMetadata metadata;
  bool new_incarnation = false;
  if (!opened.metadata.has_value()) {
    // Created now, or a creation interrupted before its first commit.
    metadata.format_version = kFormatVersion;
    metadata.node_id = options.node_id;
    new_incarnation = true;
  } else {
    metadata = *std::move(opened.metadata);
    SANJI_ASSIGN_OR_RETURN(std::optional<std::string> identity,
                           ReadOptionalFile(options.env, options.identity_path));
    new_incarnation = identity != IdentityFileContents(metadata.identity_token);
  }
  if (new_incarnation) SANJI_RETURN_IF_ERROR(StartIncarnation(options, parts.db.get(), metadata));
  const conflict::Origin origin{metadata.node_id, metadata.incarnation};
  // A store without metadata never committed, so it holds no record.
  const bool holds_records = opened.metadata.has_value();
  return std::unique_ptr<Store>(new Store(std::move(options), origin, std::move(pread_env),
                                          std::move(parts.cache), std::move(parts.filter),
                                          std::move(parts.db), metadata.progress, holds_records));
}

Store::Store(Options options, conflict::Origin origin, std::unique_ptr<leveldb::Env> pread_env,
             std::unique_ptr<leveldb::Cache> cache,
             std::unique_ptr<const leveldb::FilterPolicy> filter, std::unique_ptr<leveldb::DB> db,
             const Progress& progress, bool holds_records)
    : options_(std::move(options)),
      origin_(std::move(origin)),
      pread_env_(std::move(pread_env)),
      db_env_(pread_env_ != nullptr ? pread_env_.get() : options_.env),
      cache_(std::move(cache)),
      filter_(std::move(filter)),
      db_(std::move(db)),
      key_filter_(/*complete=*/!holds_records),
      hlc_(options_.clock, conflict::HybridLogicalClock::Options{options_.max_skew_micros,
                                                                 options_.reference_clock}),
      progress_(progress) {
  hlc_.Restore(progress.hlc_last);
  if (holds_records) key_filter_filler_ = std::thread([this] { FillKeyFilter(); });
}

void Store::FillKeyFilter() {
  const std::string index_prefix = OriginIndexSpacePrefix();
  std::string resume_at = index_prefix;
  bool skip_resume_key = false;  // the first chunk has not read resume_at
  std::vector<std::string> record_keys;
  while (!closing_.load(std::memory_order_relaxed)) {
    record_keys.clear();
    bool scanned_all = false;
    {
      std::shared_lock<std::shared_mutex> db_lock(db_mu_);
      if (!CheckOpen().ok()) return;
      leveldb::ReadOptions read_options;
      read_options.fill_cache = false;  // a scan must not evict the hot set
      std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(read_options));
      it->Seek(resume_at);
      if (skip_resume_key && it->Valid() && it->key() == leveldb::Slice(resume_at)) it->Next();
      for (; it->Valid() && it->key().starts_with(index_prefix) &&
             record_keys.size() < options_.key_filter_fill_chunk;
           it->Next()) {
        RecordKeyOfName(absl::string_view(it->value().data(), it->value().size()),
                        &record_keys.emplace_back());
        resume_at.assign(it->key().data(), it->key().size());
      }
      if (!it->status().ok()) return;  // lookups go on reading LevelDB
      scanned_all = !it->Valid() || !it->key().starts_with(index_prefix);
    }
    skip_resume_key = true;
    key_filter_.AddAll(record_keys);
    if (options_.key_filter_chunk_done_for_test) options_.key_filter_chunk_done_for_test();
    if (scanned_all) {
      key_filter_.MarkComplete();
      return;
    }
  }
}

absl::Status Store::ReopenLevelDb() {
  db_.reset();  // releases LevelDB's lock on the directory
  SANJI_ASSIGN_OR_RETURN(OpenedDb opened, OpenAndCheck(options_, db_env_, /*create=*/false));
  if (!opened.metadata.has_value()) {
    return absl::DataLossError(
        absl::StrCat("the store at ", options_.path, " lost its metadata while open"));
  }
  LevelDbParts& parts = opened.parts;
  StoreMetadata& metadata = *opened.metadata;
  if (metadata.incarnation != origin_.incarnation) {
    return absl::DataLossError(
        absl::StrCat("the store at ", options_.path, " changed incarnation while open"));
  }
  hlc_.Restore(std::max(metadata.progress.hlc_last, hlc_.Last()));
  cache_ = std::move(parts.cache);
  filter_ = std::move(parts.filter);
  db_ = std::move(parts.db);
  {
    // The reopened store may hold a batch whose commit failed: read again.
    std::lock_guard<std::mutex> lock(summary_mu_);
    summary_.reset();
    ++summary_generation_;
  }
  std::lock_guard<std::mutex> lock(mu_);
  progress_ = std::move(metadata.progress);
  return absl::OkStatus();
}

Store::~Store() {
  closing_.store(true, std::memory_order_relaxed);
  if (key_filter_filler_.joinable()) key_filter_filler_.join();
  std::unique_lock<std::shared_mutex> db_lock(db_mu_);
  if (db_ == nullptr) return;
  // Flush the memtable so the next Open replays no log: compacting a range
  // above every key space makes LevelDB write the memtable out and touch no
  // table file.
  const std::string above_all(1, '\xff');
  const leveldb::Slice begin(above_all);
  db_->CompactRange(&begin, &begin);
}

}  // namespace sanji::store
