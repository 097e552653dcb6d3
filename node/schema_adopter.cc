#include "node/schema_adopter.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "authz/county_records.h"
#include "conflict/schema_rules.h"
#include "conflict/status_macros.h"
#include "node/config.h"
#include "node/log.h"
#include "node/record_view.h"
#include "node/status_schema.h"

namespace sanji::node {
namespace {

using authz::kSchemaCollection;

// How long the adopter's thread waits for a commit before it looks anyway
// (and sees whether it is stopping).
constexpr auto kIdleWait = std::chrono::milliseconds(500);
// The least time between two looks while commits flow: a catch-up commits
// batch after batch, and each look lists the stored versions. A version
// that arrives is adopted within this much of its commit.
constexpr auto kLeastInterval = std::chrono::milliseconds(100);

// One `@schema` record as the adopter reads it.
struct StoredVersion {
  uint64_t number = 0;
  std::string text;
};

// The version `entry` holds, or nullopt for a record that is not one the
// county wrote (authz/county_records.h) or lacks its fields.
std::optional<StoredVersion> ReadVersion(const conflict::CollectionSchema& collection,
                                         const store::ListEntry& entry, absl::string_view node_id) {
  if (!authz::CheckCountyAuthored(kSchemaCollection, entry.record, node_id).empty()) {
    return std::nullopt;
  }
  v1::Record record;
  RecordToApi(collection, kSchemaCollection, entry.key, entry.record, &record);
  const auto number = record.fields().find(schema_field::kVersion);
  const auto text = record.fields().find(schema_field::kText);
  if (number == record.fields().end() || text == record.fields().end()) return std::nullopt;
  if (number->second.lww().integer() <= 0) return std::nullopt;
  return StoredVersion{static_cast<uint64_t>(number->second.lww().integer()),
                       text->second.lww().text()};
}

// Every version the store holds, newest first.
absl::StatusOr<std::vector<StoredVersion>> StoredVersions(const store::Store& store,
                                                          const conflict::Schema& schema,
                                                          absl::string_view node_id) {
  SANJI_ASSIGN_OR_RETURN(const conflict::CollectionSchema* collection,
                         schema.Collection(kSchemaCollection));
  std::vector<StoredVersion> versions;
  std::string token;
  do {
    SANJI_ASSIGN_OR_RETURN(store::ListPage page, store.List(kSchemaCollection, "", token, 1000));
    for (const store::ListEntry& entry : page.entries) {
      std::optional<StoredVersion> version = ReadVersion(*collection, entry, node_id);
      if (version.has_value()) versions.push_back(*std::move(version));
    }
    token = std::move(page.next_page_token);
  } while (!token.empty());
  std::sort(versions.begin(), versions.end(),
            [](const StoredVersion& a, const StoredVersion& b) { return a.number > b.number; });
  return versions;
}

}  // namespace

SchemaAdopter::SchemaAdopter(store::Store* store, conflict::SchemaHolder* holder,
                             CommitNotifier* notifier, std::string node_id)
    : store_(store), holder_(holder), notifier_(notifier), node_id_(std::move(node_id)) {}

SchemaAdopter::~SchemaAdopter() { Stop(); }

absl::StatusOr<uint64_t> SchemaAdopter::AdoptNewest() {
  std::lock_guard<std::mutex> lock(mu_);
  const conflict::SchemaVersion* current = holder_->Current();
  SANJI_ASSIGN_OR_RETURN(std::vector<StoredVersion> versions,
                         StoredVersions(*store_, current->schema, node_id_));
  for (StoredVersion& version : versions) {
    if (version.number <= current->number) break;
    const std::string name = absl::StrCat("schema version ", version.number);
    absl::StatusOr<conflict::Schema> schema = ParseSchemaFile(name, version.text);
    if (!schema.ok()) {
      // A newer sanjid's schema syntax, or a store that holds junk: run the
      // newest version this node can read.
      if (version.number > last_refused_) {
        last_refused_ = version.number;
        LogWarning("schema: cannot adopt version ", version.number, ": ",
                   schema.status().message());
      }
      continue;
    }
    const std::vector<std::string> changes = conflict::DiffSchemas(current->schema, *schema);
    const uint64_t was = current->number;
    holder_->Adopt({version.number, *std::move(schema), std::move(version.text)});
    LogInfo("schema: adopted version ", holder_->Current()->number, " (was ", was, "), ",
            changes.size(), " changes");
    break;
  }
  return holder_->Current()->number;
}

absl::StatusOr<uint64_t> SchemaAdopter::NewestStored() const {
  SANJI_ASSIGN_OR_RETURN(std::vector<StoredVersion> versions,
                         StoredVersions(*store_, holder_->Current()->schema, node_id_));
  return versions.empty() ? 0 : versions.front().number;
}

absl::StatusOr<SchemaAdopter::Published> SchemaAdopter::Publish(absl::string_view file_name,
                                                                absl::string_view text,
                                                                absl::string_view author) {
  SANJI_ASSIGN_OR_RETURN(
      conflict::Schema next,
      ParseSchemaFile(file_name.empty() ? "schema" : file_name, std::string(text)));
  std::lock_guard<std::mutex> lock(mu_);
  const conflict::SchemaVersion* current = holder_->Current();
  SANJI_RETURN_IF_ERROR(conflict::CheckCompatible(current->schema, next));
  if (current->number > 0 && conflict::DiffSchemas(current->schema, next).empty()) {
    return absl::FailedPreconditionError(absl::StrCat("the schema changes nothing from version ",
                                                      current->number, ", which the county runs"));
  }
  SANJI_ASSIGN_OR_RETURN(const uint64_t stored, NewestStored());
  Published published;
  published.previous_version = current->number;
  published.version = std::max(current->number, stored) + 1;
  conflict::Change change;
  change.scope = std::string(authz::CountyOf(node_id_));
  change.ops.push_back(
      {schema_field::kVersion, conflict::Assign{static_cast<int64_t>(published.version)}});
  change.ops.push_back({schema_field::kText, conflict::Assign{std::string(text)}});
  change.author = std::string(author);
  SANJI_RETURN_IF_ERROR(
      store_->Write(kSchemaCollection, absl::StrCat(published.version), change).status());
  notifier_->Notify();
  holder_->Adopt({published.version, std::move(next), std::string(text)});
  LogInfo("schema: published version ", published.version, " (was ", published.previous_version,
          ")");
  return published;
}

void SchemaAdopter::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SchemaAdopter::Stop() {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  notifier_->WakeAll();
  if (thread_.joinable()) thread_.join();
}

void SchemaAdopter::Run() {
  for (;;) {
    // Read before looking, so that a commit while it looks is looked at next.
    const uint64_t seen = notifier_->commits();
    absl::StatusOr<uint64_t> adopted = AdoptNewest();
    if (!adopted.ok()) {
      LogWarning("schema: cannot read the stored versions: ", adopted.status().message());
    }
    {
      std::unique_lock<std::mutex> lock(run_mu_);
      if (stop_requested_.wait_for(lock, kLeastInterval, [&] { return stopping_; })) return;
    }
    notifier_->WaitBeyond(seen, std::chrono::steady_clock::now() + kIdleWait);
  }
}

}  // namespace sanji::node
