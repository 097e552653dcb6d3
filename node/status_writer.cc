#include "node/status_writer.h"

#include <algorithm>
#include <cassert>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "authz/identity.h"
#include "node/log.h"
#include "node/status_schema.h"

namespace sanji::node {
namespace {

namespace f = status_field;

std::string StateText(v1::LinkStatus::State state) {
  return absl::AsciiStrToLower(v1::LinkStatus::State_Name(state));
}

// The link to the parent, or null at the root.
const v1::LinkStatus* ParentLink(const v1::NodeStatus& status) {
  for (const v1::LinkStatus& link : status.links()) {
    if (link.role() == v1::LinkStatus::PARENT) return &link;
  }
  return nullptr;
}

// "child-id state last_contact_micros, ..." in peer order.
std::string ChildrenText(const v1::NodeStatus& status) {
  std::vector<std::string> children;
  for (const v1::LinkStatus& link : status.links()) {
    if (link.role() != v1::LinkStatus::CHILD) continue;
    children.push_back(
        absl::StrCat(link.peer(), " ", StateText(link.state()), " ", link.last_contact_micros()));
  }
  std::sort(children.begin(), children.end());
  return absl::StrJoin(children, ", ");
}

// Bytes of the regular files under `dir`; a file that vanishes meanwhile
// (LevelDB compacts) is skipped.
int64_t DiskBytes(const std::string& dir) {
  int64_t bytes = 0;
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code size_error;
    const uintmax_t size = it->is_regular_file(size_error) ? it->file_size(size_error) : 0;
    if (!size_error) bytes += static_cast<int64_t>(size);
  }
  return bytes;
}

// "name=count": the records of `collection` stored here (deleted ones
// included: Store::CountRecords reads keys only, so a count each period costs
// no record decoding), counted up to kMaxCountedRecords ("+" when the count
// stopped there); "name=?" if the store fails.
std::string CountOf(const store::Store& store, const std::string& collection) {
  absl::StatusOr<size_t> count = store.CountRecords(collection, kMaxCountedRecords);
  if (!count.ok()) return absl::StrCat(collection, "=?");
  return absl::StrCat(collection, "=", *count, *count == kMaxCountedRecords ? "+" : "");
}

// Counts over the application collections (not Sanji's own, '@').
std::string CountRecords(const store::Store& store, const conflict::Schema& schema) {
  std::vector<std::string> counts;
  for (const auto& [name, collection] : schema.collections()) {
    if (name.front() != '@') counts.push_back(CountOf(store, name));
  }
  return absl::StrJoin(counts, ", ");
}

void Assign(conflict::Change& change, const char* field, conflict::Value value) {
  change.ops.push_back(conflict::FieldOp{field, conflict::Assign{std::move(value)}});
}

}  // namespace

conflict::Change StatusChange(const v1::NodeStatus& status, const StatusFacts& facts) {
  conflict::Change change;
  change.scope = StatusScope(status.node_id());
  change.author = authz::Identity::Node(status.node_id()).Uri();
  Assign(change, f::kVersion, status.version());
  Assign(change, f::kSchemaVersion, static_cast<int64_t>(status.schema_version()));
  Assign(change, f::kIncarnation, int64_t{status.incarnation()});
  Assign(change, f::kStarted, status.started_micros());
  Assign(change, f::kUpdated, facts.now_micros);
  Assign(change, f::kPeriod, facts.period_s);
  Assign(change, f::kKnowledge, KnowledgeText(status.knowledge()));
  const v1::LinkStatus no_parent;
  const v1::LinkStatus* parent = ParentLink(status);
  const v1::LinkStatus& link = parent != nullptr ? *parent : no_parent;
  Assign(change, f::kParent, link.peer());
  Assign(change, f::kParentState, parent != nullptr ? StateText(link.state()) : "");
  Assign(change, f::kParentSince, link.since_micros());
  Assign(change, f::kParentContact, link.last_contact_micros());
  Assign(change, f::kParentError, link.last_error());
  Assign(change, f::kInSync, facts.in_sync_micros);
  // Unknown until a session with the parent exchanged hellos: "" then.
  const bool lag_known = parent != nullptr && link.has_peer_knowledge();
  const std::vector<OriginLag> lag =
      lag_known ? LagByOrigin(status.knowledge(), link.peer_knowledge()) : std::vector<OriginLag>();
  int64_t parent_lacks = 0;
  int64_t behind = 0;
  for (const OriginLag& entry : lag) {
    parent_lacks += static_cast<int64_t>(entry.peer_lacks);
    behind += static_cast<int64_t>(entry.lacks);
  }
  Assign(change, f::kParentLacks, parent_lacks);
  Assign(change, f::kBehind, behind);
  Assign(change, f::kLag, lag_known ? LagText(lag) : "");
  Assign(change, f::kChildren, ChildrenText(status));
  Assign(change, f::kRecords, facts.records);
  Assign(change, f::kRefusedItems, static_cast<int64_t>(status.refused_items()));
  Assign(change, f::kRefusedTimestamps, status.refused_remote_timestamps());
  Assign(change, f::kClockSkewSeen, status.clock_skew_seen_micros());
  Assign(change, f::kConflicts, facts.conflicts);
  Assign(change, f::kOpenConflicts, facts.open_conflicts);
  Assign(change, f::kDiskBytes, facts.disk_bytes);
  return change;
}

std::string StatusDigest(const v1::NodeStatus& status, int64_t conflicts) {
  std::vector<std::string> links;
  for (const v1::LinkStatus& link : status.links()) {
    links.push_back(absl::StrCat(v1::LinkStatus::Role_Name(link.role()), " ", link.peer(), " ",
                                 StateText(link.state())));
  }
  // Child links come in registration order, which says nothing.
  std::sort(links.begin(), links.end());
  return absl::StrCat(absl::StrJoin(links, ", "), "; refused ", status.refused_items(), " ",
                      status.refused_remote_timestamps(), "; conflicts ", conflicts, "; schema ",
                      status.schema_version());
}

StatusWriter::StatusWriter(store::Store* store, conflict::SchemaSource schema,
                           CommitNotifier* notifier, const conflict::PhysicalClock* clock,
                           StatusWriterOptions options)
    : store_(store),
      schema_(schema),
      notifier_(notifier),
      clock_(clock),
      options_(std::move(options)),
      schedule_(std::chrono::microseconds(options_.period).count(),
                std::chrono::microseconds(
                    std::min<std::chrono::seconds>(options_.period, kStatusDebounce))
                    .count()) {
  assert(options_.status && options_.period.count() >= 1);
}

StatusWriter::~StatusWriter() { Stop(); }

void StatusWriter::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void StatusWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StatusWriter::Loop() {
  const auto poll = std::min<std::chrono::milliseconds>(options_.period, std::chrono::seconds(1));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    if (absl::Status ticked = Tick(); !ticked.ok()) {
      LogWarning("status record not written (retried in ", kStatusDebounce.count(),
                 " s at most): ", ticked.message());
    }
    lock.lock();
    wake_.wait_for(lock, poll, [this] { return stop_; });
  }
}

absl::Status StatusWriter::Tick() {
  const int64_t now = clock_->NowMicros();
  const v1::NodeStatus status = options_.status();
  const v1::LinkStatus* parent = ParentLink(status);
  if (parent != nullptr && parent->state() == v1::LinkStatus::LIVE) in_sync_micros_ = now;
  const int64_t conflicts = static_cast<int64_t>(store_->progress().conflict_next) - 1;
  std::string digest = StatusDigest(status, conflicts);
  if (!schedule_.Due(now, digest)) return absl::OkStatus();

  const int64_t period_micros = std::chrono::microseconds(options_.period).count();
  if (records_counted_micros_ == 0 || now - records_counted_micros_ >= period_micros ||
      now < records_counted_micros_) {
    records_ = CountRecords(*store_, *schema_);
    records_counted_micros_ = now;
    conflicts_counted_ = -1;
  }
  if (conflicts != conflicts_counted_) {
    absl::StatusOr<std::vector<store::ConflictLogEntry>> open =
        store_->ListConflicts(0, kMaxCountedOpenConflicts, store::ConflictFilter::kOpen);
    if (!open.ok()) return open.status();
    open_conflicts_ = static_cast<int64_t>(open->size());
    conflicts_counted_ = conflicts;
  }
  const StatusFacts facts{now,
                          options_.period.count(),
                          in_sync_micros_,
                          records_,
                          conflicts,
                          open_conflicts_,
                          DiskBytes(options_.data_dir)};
  absl::StatusOr<store::WriteResult> written =
      store_->Write(kStatusCollection, status.node_id(), StatusChange(status, facts));
  if (!written.ok()) {
    schedule_.Failed(now);
    return written.status();
  }
  notifier_->Notify();
  schedule_.Written(now, std::move(digest));
  return absl::OkStatus();
}

}  // namespace sanji::node
