// Random schedules over random trees (issue 4, "The simulator"): writes at
// every level within each node's authority, with faults, then healing and a
// run to quiescence, then the oracle check. SANJI_SIM_SCHEDULES sets how many
// schedules (default 500), SANJI_SIM_FIRST_SEED the first seed (default 1);
// SANJI_SEED replays one.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "codec/record_codec.h"
#include "config.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "replication/scope.h"
#include "tests/conflict/test_util.h"
#include "tests/simulation/sim_network.h"

namespace sanji::simulation {
namespace {

using conflict::Change;
using conflict::testutil::AddOp;
using conflict::testutil::AssignOp;
using conflict::testutil::IncrementOp;
using conflict::testutil::Int;
using conflict::testutil::MakeChange;
using conflict::testutil::RemoveOp;
using conflict::testutil::StatusOp;
using conflict::testutil::Text;
using replication::InSubtree;

constexpr int64_t kMillis = 1000;
constexpr int64_t kMaxSkew = 60 * 1'000'000LL;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value == nullptr ? fallback : std::strtoull(value, nullptr, 10);
}

struct Tree {
  std::vector<std::string> ids;  // parents before children
  std::map<std::string, std::vector<std::string>> parents;
};

// Depth 2-4 (levels, the root included), fan-out 1-5, at most 20 nodes.
Tree RandomTree(std::mt19937_64& rng) {
  Tree tree;
  const int depth = std::uniform_int_distribution<int>(2, 4)(rng);
  tree.ids.push_back("c");
  std::vector<std::string> level = {"c"};
  for (int d = 1; d < depth; ++d) {
    std::vector<std::string> next;
    for (const std::string& parent : level) {
      const int fan_out = std::uniform_int_distribution<int>(1, 5)(rng);
      for (int i = 0; i < fan_out && tree.ids.size() < 20; ++i) {
        const std::string id = absl::StrCat(parent, "/n", i);
        tree.ids.push_back(id);
        // The parent first; the root as the fallback of deeper nodes.
        tree.parents[id] =
            parent == "c" ? std::vector<std::string>{"c"} : std::vector<std::string>{parent, "c"};
        next.push_back(id);
      }
    }
    level = std::move(next);
  }
  return tree;
}

class Schedule {
 public:
  // With `schema_text` (a schema file), the county also publishes schema
  // versions at random moments (Publish), and writes use the fields of the
  // version the writing node runs; without it, no draw of the schedule's
  // random sequence changes, so the schedules of every other test stay as
  // they were.
  Schedule(uint64_t seed, const conflict::Schema* schema, bool on_disk, const std::string& root,
           const std::string* schema_text = nullptr)
      : rng_(seed), schema_(schema) {
    SimOptions options;
    options.on_disk = on_disk;
    options.disk_root = root;
    options.max_skew_micros = kMaxSkew;
    options.session.max_batch_items = std::uniform_int_distribution<size_t>(1, 8)(rng_);
    options.session.window = std::uniform_int_distribution<size_t>(1, 4)(rng_);
    options.session.push_delay_micros = 5 * kMillis;
    options.transcript = std::getenv("SANJI_SIM_TRACE") != nullptr;
    if (schema_text != nullptr) {
      options.schema_text = *schema_text;
      publish_schemas_ = google::protobuf::TextFormat::ParseFromString(*schema_text, &published_);
    }
    network_ = std::make_unique<SimNetwork>(schema, options);
    tree_ = RandomTree(rng_);
  }

  ::testing::AssertionResult Run(int steps) {
    for (const std::string& id : tree_.ids) {
      absl::Status added = network_->AddNode(id, tree_.parents[id]);
      if (!added.ok()) return ::testing::AssertionFailure() << added;
    }
    for (const std::string& id : tree_.ids) {
      if (id != "c") Connect(id, tree_.parents[id].front());
    }
    for (int step = 0; step < steps; ++step) {
      Step();
      if (!network_->violation().ok()) {
        for (const std::string& line : network_->transcript()) std::cout << line << "\n";
        return ::testing::AssertionFailure() << "step " << step << ": " << network_->violation();
      }
    }
    if (!publish_error_.ok()) return ::testing::AssertionFailure() << publish_error_;
    if (!bundle_error_.ok()) return ::testing::AssertionFailure() << bundle_error_;
    Heal();
    if (!network_->RunUntilQuiet()) return ::testing::AssertionFailure() << "no quiescence";
    absl::Status converged = network_->CheckConverged();
    if (!converged.ok()) {
      for (const std::string& line : network_->transcript()) std::cout << line << "\n";
      return ::testing::AssertionFailure() << converged;
    }
    if (::testing::AssertionResult versions = CheckSchemaVersions(); !versions) return versions;
    return CheckCounters();
  }

  // Every node runs the newest published version, and every node holding a
  // record still holds each field of any version written to it (the oracle
  // check compares whole records; this names the field that went missing).
  ::testing::AssertionResult CheckSchemaVersions() {
    if (!publish_schemas_) return ::testing::AssertionSuccess();
    for (const std::string& id : tree_.ids) {
      const uint64_t runs = network_->node(id).schema().version();
      if (runs != additions_.size()) {
        return ::testing::AssertionFailure() << id << " runs schema version " << runs
                                             << "; the county published " << additions_.size();
      }
    }
    for (const auto& [collection, key, field] : written_fields_) {
      if (deleted_.contains(key)) continue;
      for (const std::string& id : tree_.ids) {
        absl::StatusOr<conflict::Record> held = network_->node(id).store().Get(collection, key);
        if (held.ok() && held->field(field) == nullptr) {
          return ::testing::AssertionFailure()
                 << id << " lost field " << field << " of " << collection << "/" << key << ": "
                 << held->DebugString();
        }
      }
    }
    return ::testing::AssertionSuccess();
  }

  // Counters equal the sum of the acknowledged increments, at every node
  // holding the record (records never deleted: a delete resets a counter).
  ::testing::AssertionResult CheckCounters() {
    for (const auto& [key, sum] : unit_sums_) {
      if (deleted_.contains(key)) continue;
      for (const std::string& id : tree_.ids) {
        absl::StatusOr<conflict::Record> held = network_->node(id).store().Get("store_sales", key);
        if (!held.ok()) continue;
        const int64_t units = conflict::testutil::CounterRead(*held, "units");
        if (units != sum) {
          return ::testing::AssertionFailure() << id << " counts " << units << " units of " << key
                                               << "; the acknowledged increments sum to " << sum;
        }
      }
    }
    return ::testing::AssertionSuccess();
  }

  // Makes Forge() send former-scope forgeries instead (ForgeFormerScope); a
  // separate switch, so that the schedules of every other seed stay as
  // they were.
  void ForgeFormerScopes() { forge_former_scopes_ = true; }
  // Makes the schedule carry USB bundles too (ExchangeBundle); a switch of
  // its own for the same reason.
  void ExchangeBundles() { bundles_ = true; }

  size_t node_count() const { return tree_.ids.size(); }
  size_t versions_published() const { return additions_.size(); }
  size_t fields_written() const { return written_fields_.size(); }
  int written_ahead() const { return written_ahead_; }
  int forgeries() const { return forgeries_; }
  uint64_t items_refused() const { return network_->items_refused(); }
  uint64_t items_sent() const { return network_->items_sent(); }
  uint64_t bundles_imported() const { return network_->bundles_imported(); }
  uint64_t bundle_items() const { return network_->bundle_items(); }
  int bundles_refused() const { return bundles_refused_; }
  int bundles_between_unlinked() const { return bundles_between_unlinked_; }
  int versions_by_bundle() const { return versions_by_bundle_; }

 private:
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[std::uniform_int_distribution<size_t>(0, items.size() - 1)(rng_)];
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  void Connect(const std::string& child, const std::string& parent) {
    if (!network_->LinkedParent(child).has_value()) (void)network_->Connect(child, parent);
  }

  void Step() {
    if (publish_schemas_ && Chance(0.02)) return Publish();
    if (bundles_ && Chance(0.03)) return ExchangeBundle();
    const int roll = std::uniform_int_distribution<int>(0, 99)(rng_);
    const auto links = network_->links();
    if (roll < 30) {
      WriteSomething();
    } else if (roll < 58) {
      if (links.empty()) return;
      const auto& [child, parent] = Pick(links);
      Chance(0.5) ? network_->DeliverToParent(child, parent)
                  : network_->DeliverToChild(child, parent);
    } else if (roll < 78) {
      if (links.empty()) return;
      const auto& [child, parent] = Pick(links);
      Chance(0.5) ? network_->ApplyAtParent(child, parent) : network_->ApplyAtChild(child, parent);
    } else if (roll < 88) {
      network_->AdvanceTime(std::uniform_int_distribution<int64_t>(1, 20)(rng_) * kMillis);
    } else {
      Fault(links);
    }
  }

  void Fault(const std::vector<std::pair<std::string, std::string>>& links) {
    const int roll = std::uniform_int_distribution<int>(0, 99)(rng_);
    if (roll < 25 && !links.empty()) {
      const auto& [child, parent] = Pick(links);  // a session cut mid-batch
      network_->Cut(child, parent);
    } else if (roll < 55) {
      // Reconnect someone, sometimes to its fallback (failover).
      const std::string& id = Pick(tree_.ids);
      if (id == "c" || network_->LinkedParent(id).has_value()) return;
      const auto& parents = tree_.parents[id];
      Connect(id, parents.size() > 1 && Chance(0.3) ? parents[1] : parents[0]);
    } else if (roll < 65) {
      (void)network_->CrashAndRestart(Pick(tree_.ids));
    } else if (roll < 80) {
      // Clock skew: mostly within the bound, sometimes beyond it.
      SimNode& node = network_->node(Pick(tree_.ids));
      node.clock_offset_micros =
          Chance(0.2) ? 3 * kMaxSkew
                      : std::uniform_int_distribution<int64_t>(-kMaxSkew / 2, kMaxSkew / 2)(rng_);
      network_->AdvanceTime(0);
    } else if (!links.empty()) {
      Forge(Pick(links));
    }
  }

  // A child sends a record with a dot it may not introduce: one from outside
  // its subtree, or its own on a record outside its authority.
  void Forge(const std::pair<std::string, std::string>& link) {
    const auto& [child, parent] = link;
    if (forge_former_scopes_) return ForgeFormerScope(child, parent);
    const bool foreign_dot = Chance(0.5);
    const conflict::Origin origin{foreign_dot ? parent : child, 7};
    const std::string scope = foreign_dot ? child : parent;
    const conflict::CollectionSchema& requests = *schema_->Collection("service_requests").value();
    absl::StatusOr<conflict::Record> record = conflict::Record().Write(
        requests, MakeChange({AssignOp("title", Text("forged"))}, scope),
        conflict::Dot{origin, 1'000'000}, conflict::HlcTimestamp{network_->now_micros(), 0});
    if (!record.ok()) return;
    v1::SyncBatch batch;
    batch.add_collections("service_requests");
    v1::SyncItem& item = *batch.add_items();
    item.set_key(absl::StrCat("forged-", forgeries_));
    item.set_record(codec::SerializeRecord(*record));
    ++forgeries_;
    network_->InjectToParent(child, parent, std::move(batch));
  }

  // Whether the record's scope is or ever was in `node`'s subtree.
  static bool WasInSubtree(const conflict::Record& record, const std::string& node) {
    std::vector<std::string> scopes = record.DepartedScopes();
    if (record.scope().has_value()) scopes.push_back(*record.scope());
    return std::any_of(scopes.begin(), scopes.end(),
                       [&](const std::string& scope) { return InSubtree(scope, node); });
  }

  // A child claims a record was once in a scope it never was in: its own
  // change of a record it holds from outside its subtree, listing its own
  // scope among the record's former scopes; or a new record of its own that
  // lists the parent's scope.
  void ForgeFormerScope(const std::string& child, const std::string& parent) {
    const conflict::Dot dot{conflict::Origin{child, 7}, 1'000'000};
    const conflict::HlcTimestamp now{network_->now_micros(), 0};
    std::string collection = "service_requests";
    std::string key = absl::StrCat("forged-", forgeries_);
    absl::StatusOr<conflict::Record> record;
    for (int attempt = 0; attempt < 8 && !keys_.empty() && !record.ok(); ++attempt) {
      const auto& [held_collection, held_key] = Pick(keys_);
      absl::StatusOr<conflict::Record> held =
          network_->node(child).store().Get(held_collection, held_key);
      if (!held.ok() || !held->scope().has_value() || InSubtree(*held->scope(), child)) continue;
      // A record that is or was once in the child's subtree takes changes
      // from it by design (made before the move away, or not: the record
      // cannot tell): only a record never there makes the claim false.
      // Every node's copy is asked, so that no move made anywhere is missed,
      // and the record is never moved again: a move into the child's subtree
      // that reached the parent before the forgery would make it pass.
      if (std::any_of(tree_.ids.begin(), tree_.ids.end(), [&](const std::string& id) {
            absl::StatusOr<conflict::Record> copy =
                network_->node(id).store().Get(held_collection, held_key);
            return copy.ok() && WasInSubtree(*copy, child);
          })) {
        continue;
      }
      frozen_.insert({held_collection, held_key});
      record = held->Write(*schema_->Collection(held_collection).value(),
                           RandomChange(held_collection), dot, now);
      collection = held_collection;
      key = held_key;
    }
    std::string claimed = child;
    if (!record.ok()) {
      collection = "service_requests";
      key = absl::StrCat("forged-", forgeries_);
      claimed = parent;
      record = conflict::Record().Write(*schema_->Collection(collection).value(),
                                        MakeChange({AssignOp("title", Text("forged"))}, child), dot,
                                        now);
    }
    if (!record.ok()) return;
    conflict::RecordState state = record->state();
    state.former_scopes.insert(claimed);
    absl::StatusOr<conflict::Record> forged = conflict::Record::FromState(std::move(state));
    if (!forged.ok()) return;
    v1::SyncBatch batch;
    batch.add_collections(collection);
    v1::SyncItem& item = *batch.add_items();
    item.set_key(key);
    item.set_record(codec::SerializeRecord(*forged));
    ++forgeries_;
    network_->InjectToParent(child, parent, std::move(batch));
  }

  // A USB bundle between a node and one of its ancestors, either way,
  // whatever their links: mostly the two are not linked to each other, and
  // either may be partitioned from everyone.
  void ExchangeBundle() {
    const std::string& below = Pick(tree_.ids);
    if (below == "c") return;
    std::vector<std::string> ancestors;
    for (const std::string& other : tree_.ids) {
      if (other != below && InSubtree(below, other)) ancestors.push_back(other);
    }
    const std::string& above = Pick(ancestors);
    const bool down = Chance(0.5);
    const std::string& from = down ? above : below;
    const std::string& to = down ? below : above;
    const uint64_t version = network_->node(to).schema().version();
    const bool linked = network_->Linked(below, above);
    absl::StatusOr<v1::ImportBundleResponse> imported = network_->ExchangeBundle(from, to);
    if (!imported.ok()) {
      // A session's refusal (a clock beyond the skew bound; a store that
      // refuses a batch its clock, set back since, would stamp) is the
      // bundle's answer; anything else is a bug.
      ++bundles_refused_;
      if (!absl::IsFailedPrecondition(imported.status()) &&
          !absl::IsOutOfRange(imported.status()) && bundle_error_.ok()) {
        bundle_error_ = absl::InternalError(
            absl::StrCat("the bundle ", from, " -> ", to, ": ", imported.status().ToString()));
      }
      return;
    }
    if (!linked) ++bundles_between_unlinked_;
    if (network_->node(to).schema().version() > version) ++versions_by_bundle_;
  }

  // The county publishes version N+1: a field added to a collection, or a
  // new collection, as an operator's `sanjictl schema publish` does
  // (compatible by the rules of change, which Publish checks).
  void Publish() {
    const size_t number = additions_.size() + 1;
    // Odd versions add an lww field, even ones a set: two wire kinds.
    const bool set = number % 2 == 0;
    Addition addition{"", absl::StrCat(set ? "tags_v" : "note_v", number)};
    v1::CollectionConfig* target = nullptr;
    if (Chance(0.3)) {
      addition.collection = absl::StrCat("programme_v", number);
      target = published_.add_collections();
      target->set_name(addition.collection);
    } else {
      target = published_.mutable_collections(
          std::uniform_int_distribution<int>(0, published_.collections_size() - 1)(rng_));
      addition.collection = target->name();
    }
    v1::FieldConfig& field = *target->add_fields();
    field.set_name(addition.field);
    field.set_kind(set ? v1::FieldConfig::SET : v1::FieldConfig::LWW);
    std::string text;
    google::protobuf::TextFormat::PrintToString(published_, &text);
    absl::StatusOr<node::SchemaAdopter::Published> done = network_->Publish("c", text);
    if (!done.ok() || done->version != number) {
      publish_error_ = absl::InternalError(absl::StrCat(
          "publishing version ", number, ": ",
          done.ok() ? absl::StrCat("published as ", done->version) : done.status().ToString()));
      publish_schemas_ = false;
      return;
    }
    additions_.push_back(std::move(addition));
  }

  // A write of a field some version added, at most the version `id` runs,
  // to a record of that collection `id` may change, or a new one.
  void WriteNewField(const std::string& id, const std::vector<std::string>& subtree) {
    const size_t runs = network_->node(id).schema().version();
    const size_t index = std::uniform_int_distribution<size_t>(0, runs - 1)(rng_);
    const Addition& addition = additions_[index];
    const std::string text = absl::StrCat("新", std::uniform_int_distribution<int>(0, 99)(rng_));
    Change change = absl::StartsWith(addition.field, "tags_")
                        ? MakeChange({AddOp(addition.field, {Text(text)})})
                        : MakeChange({AssignOp(addition.field, Text(text))});
    std::vector<std::pair<std::string, std::string>> candidates;
    for (const auto* keys : {&keys_, &programme_keys_}) {
      for (const auto& entry : *keys) {
        if (entry.first == addition.collection) candidates.push_back(entry);
      }
    }
    std::string key;
    for (int attempt = 0; attempt < 4 && !candidates.empty() && Chance(0.7); ++attempt) {
      const auto& [collection, held_key] = Pick(candidates);
      absl::StatusOr<conflict::Record> held = network_->node(id).store().Get(collection, held_key);
      if (!held.ok() || !held->scope().has_value() || !InSubtree(*held->scope(), id)) continue;
      key = held_key;
      break;
    }
    const bool create = key.empty();
    if (create) {
      key = absl::StrCat(id, "-", created_++);
      change.scope = Pick(subtree);
    }
    if (!network_->Write(id, addition.collection, key, change).ok()) return;
    written_fields_.emplace(addition.collection, key, addition.field);
    // A field some node does not know yet: it must keep and relay it.
    if (std::any_of(tree_.ids.begin(), tree_.ids.end(), [&](const std::string& other) {
          return network_->node(other).schema().version() <= index;
        })) {
      ++written_ahead_;
    }
    if (!create) return;
    // Records of the base collections join the others' edits, moves and
    // deletes; a programme's only get writes of its own fields.
    (absl::StartsWith(addition.collection, "programme_") ? programme_keys_ : keys_)
        .emplace_back(addition.collection, key);
  }

  void WriteSomething() {
    const std::string& id = Pick(tree_.ids);
    if (!network_->node(id).up()) return;
    // The nodes this one has authority over.
    std::vector<std::string> subtree;
    for (const std::string& other : tree_.ids) {
      if (InSubtree(other, id)) subtree.push_back(other);
    }
    if (publish_schemas_ && network_->node(id).schema().version() > 0 && Chance(0.35)) {
      return WriteNewField(id, subtree);
    }
    // Mostly edit an existing record this node holds and may change;
    // otherwise create one.
    for (int attempt = 0; attempt < 4 && !keys_.empty() && Chance(0.7); ++attempt) {
      const auto& [collection, key] = Pick(keys_);
      absl::StatusOr<conflict::Record> held = network_->node(id).store().Get(collection, key);
      if (!held.ok() || !held->scope().has_value() || !InSubtree(*held->scope(), id)) continue;
      if (held->alive() && Chance(0.08)) {
        if (network_->Delete(id, collection, key).ok()) deleted_.insert(key);
        return;
      }
      Change change = RandomChange(collection);
      // A reassignment (never of a record a forgery targets: ForgeFormerScope).
      if (subtree.size() > 1 && Chance(0.15) && !frozen_.contains({collection, key})) {
        change.scope = Pick(subtree);
      }
      if (network_->Write(id, collection, key, change).ok()) CountUnits(collection, key, change);
      return;
    }
    static const std::vector<std::string> kCollections = {"service_requests", "households",
                                                          "store_sales"};
    const std::string& collection = Pick(kCollections);
    const std::string key = absl::StrCat(id, "-", created_++);
    Change change = RandomChange(collection);
    change.scope = Pick(subtree);
    if (network_->Write(id, collection, key, change).ok()) {
      keys_.emplace_back(collection, key);
      CountUnits(collection, key, change);
    }
  }

  void CountUnits(const std::string& collection, const std::string& key, const Change& change) {
    if (collection != "store_sales") return;
    for (const conflict::FieldOp& op : change.ops) {
      if (const auto* increment = std::get_if<conflict::Increment>(&op.operation);
          increment != nullptr && op.field == "units") {
        unit_sums_[key] += increment->delta;
      }
    }
  }

  Change RandomChange(const std::string& collection) {
    const int roll = std::uniform_int_distribution<int>(0, 3)(rng_);
    const std::string text = absl::StrCat("值", std::uniform_int_distribution<int>(0, 99)(rng_));
    if (collection == "service_requests") {
      static const std::vector<std::string> kStatuses = {"open", "assigned", "resolved", "closed"};
      switch (roll) {
        case 0:
          return MakeChange({AssignOp("title", Text(text))});
        case 1:
          return MakeChange({StatusOp("status", Pick(kStatuses))});
        case 2:
          return MakeChange({AddOp("comments", {Text(text)})});
        default:
          return MakeChange({RemoveOp("comments", {Text(text)}), AssignOp("detail", Text(text))});
      }
    }
    if (collection == "households") {
      const int64_t income = std::uniform_int_distribution<int64_t>(1000, 90000)(rng_);
      return roll < 2 ? MakeChange({AssignOp("annual_income", Int(income))})
                      : MakeChange({AssignOp("name", Text(text)),
                                    AddOp("support_measures", {Text(text)})});
    }
    return MakeChange({IncrementOp("units", std::uniform_int_distribution<int64_t>(-3, 9)(rng_)),
                       IncrementOp("revenue_fen", 150)});
  }

  void Heal() {
    for (const std::string& id : tree_.ids) network_->node(id).clock_offset_micros = 0;
    // Let the clock pass every timestamp a fast clock wrote.
    network_->AdvanceTime(4 * kMaxSkew);
    for (const auto& [child, parent] : network_->links()) network_->Cut(child, parent);
    for (const std::string& id : tree_.ids) {
      if (id != "c") Connect(id, tree_.parents[id].front());
    }
  }

  std::mt19937_64 rng_;
  const conflict::Schema* schema_;
  std::unique_ptr<SimNetwork> network_;
  Tree tree_;
  std::vector<std::pair<std::string, std::string>> keys_;
  int created_ = 0;
  std::map<std::string, int64_t> unit_sums_;  // store_sales key -> acknowledged units
  std::set<std::string> deleted_;
  int forgeries_ = 0;
  bool forge_former_scopes_ = false;
  // Records a former-scope forgery targeted: never reassigned afterwards.
  std::set<std::pair<std::string, std::string>> frozen_;

  bool bundles_ = false;
  absl::Status bundle_error_;
  int bundles_refused_ = 0;
  // Imported between a node and an ancestor it had no link with.
  int bundles_between_unlinked_ = 0;
  // Imports after which the importer ran a newer schema version.
  int versions_by_bundle_ = 0;

  // What version N (additions_[N-1]) added: a field of a collection (which
  // may be new in that version).
  struct Addition {
    std::string collection;
    std::string field;
  };
  bool publish_schemas_ = false;
  v1::SchemaConfig published_;  // the newest version's schema
  std::vector<Addition> additions_;
  absl::Status publish_error_;
  // Records of the collections versions added (programme_vN).
  std::vector<std::pair<std::string, std::string>> programme_keys_;
  // (collection, key, field) of every acknowledged write of a version's field.
  std::set<std::tuple<std::string, std::string, std::string>> written_fields_;
  // Writes of a field that some node's version did not have then.
  int written_ahead_ = 0;
};

// The seeds a test runs: one in SANJI_SIM_SCHEDULES / `divisor` schedules
// from SANJI_SIM_FIRST_SEED (defaults 500 and 1), or SANJI_SEED alone.
std::pair<uint64_t, uint64_t> SeedsToRun(uint64_t divisor) {
  const uint64_t first_seed = EnvOr("SANJI_SEED", EnvOr("SANJI_SIM_FIRST_SEED", 1));
  if (std::getenv("SANJI_SEED") != nullptr) return {first_seed, 1};
  return {first_seed, EnvOr("SANJI_SIM_SCHEDULES", 500) / divisor};
}

// What the USB bundles of a test's schedules did.
struct BundleTotals {
  uint64_t imported = 0;
  uint64_t items = 0;
  uint64_t refused = 0;
  uint64_t between_unlinked = 0;
  uint64_t versions_adopted = 0;

  void Add(const Schedule& schedule) {
    imported += schedule.bundles_imported();
    items += schedule.bundle_items();
    refused += static_cast<uint64_t>(schedule.bundles_refused());
    between_unlinked += static_cast<uint64_t>(schedule.bundles_between_unlinked());
    versions_adopted += static_cast<uint64_t>(schedule.versions_by_bundle());
  }
  // Bundles were imported, mostly between nodes with no link to each other,
  // and carried records (each schedule's oracle check shows they landed
  // right).
  void ExpectCarried(uint64_t schedules) const {
    EXPECT_GT(imported, schedules);
    EXPECT_GT(between_unlinked, imported / 2);
    EXPECT_GT(items, schedules);
    EXPECT_LT(refused, imported);
  }
  friend std::ostream& operator<<(std::ostream& out, const BundleTotals& totals) {
    return out << totals.imported << " bundles imported (" << totals.between_unlinked
               << " between nodes not linked to each other) with " << totals.items << " items, "
               << totals.refused << " refused, " << totals.versions_adopted
               << " imports that brought a newer schema version";
  }
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class RandomSimulationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<conflict::Schema> schema = conflict::testutil::BuildCountySchema();
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
  }
  conflict::Schema schema_;
};

// Partitions, failovers, crashes, forgeries and USB bundles at random: every
// store converges with the oracle.
TEST_F(RandomSimulationTest, EveryStoreConvergesToItsFilterOfAllAcknowledgedWrites) {
  const auto [first_seed, count] = SeedsToRun(1);
  uint64_t nodes = 0;
  uint64_t items = 0;
  uint64_t forgeries = 0;
  uint64_t refused = 0;
  BundleTotals bundles;
  for (uint64_t seed = first_seed; seed < first_seed + count; ++seed) {
    Schedule schedule(seed, &schema_, /*on_disk=*/false, "");
    schedule.ExchangeBundles();
    const ::testing::AssertionResult result = schedule.Run(300);
    ASSERT_TRUE(result) << "seed " << seed << " (replay with SANJI_SEED=" << seed << ")";
    nodes += schedule.node_count();
    items += schedule.items_sent();
    forgeries += schedule.forgeries();
    refused += schedule.items_refused();
    bundles.Add(schedule);
  }
  std::cout << count << " schedules from seed " << first_seed << ", " << nodes << " nodes, "
            << items << " items sent, " << forgeries << " forgeries injected, " << refused
            << " items refused, " << bundles << "\n";
  // Forgeries cut off before delivery are not refused, but most are (each
  // schedule's CheckConverged shows none landed).
  if (count >= 50) {
    EXPECT_GT(refused, forgeries / 4);
    bundles.ExpectCarried(count);
  }
}

// Former scopes a child claims for a record (ForgeFormerScope) never land:
// a change of a record outside the child's subtree is judged by where the
// parent's own copy has been, and a new former scope outside the child's
// subtree must be one the parent holds.
TEST_F(RandomSimulationTest, ForgedFormerScopesNeverLand) {
  const auto [first_seed, count] = SeedsToRun(5);
  uint64_t forgeries = 0;
  uint64_t refused = 0;
  for (uint64_t seed = first_seed; seed < first_seed + count; ++seed) {
    Schedule schedule(seed, &schema_, /*on_disk=*/false, "");
    schedule.ForgeFormerScopes();
    const ::testing::AssertionResult result = schedule.Run(300);
    ASSERT_TRUE(result) << "seed " << seed << " (replay with SANJI_SEED=" << seed << ")";
    forgeries += schedule.forgeries();
    refused += schedule.items_refused();
  }
  std::cout << count << " schedules from seed " << first_seed << ", " << forgeries
            << " former-scope forgeries injected, " << refused << " items refused\n";
  if (count >= 50) {
    EXPECT_GT(refused, forgeries / 4);
  }
}

// Seeds beyond the default range that once found a bug (each comment names
// it), kept in every run, each in the mode of the test that found it.
TEST_F(RandomSimulationTest, SeedsThatFoundBugsStillConverge) {
  struct Found {
    uint64_t seed;
    bool forge_former_scopes;  // found by ForgedFormerScopesNeverLand
    bool bundles = false;      // found with USB bundles in the schedule
  };
  const std::vector<Found> seeds = {
      {1001, false},   // a record below the frontier of an origin arriving after the scan
      {1254, false},   // a move-out not relayed by a township to its villages
      {1438, false},   // a held-back record's dots counted as known at the end of a pass
      {3209, true},    // a released held-back record, changed since, sent again by the next pass
      {8825, false},   // a departed record pushed twice in one batch
      {24637, false},  // a parent never telling a child it received what it held back
      {2247, false, true},  // a held-back record held again, its own change claimed as sent
      {3435, false, true},  // a move into a village from a township that knew less of the county
  };
  for (const Found& found : seeds) {
    Schedule schedule(found.seed, &schema_, /*on_disk=*/false, "");
    if (found.forge_former_scopes) schedule.ForgeFormerScopes();
    if (found.bundles) schedule.ExchangeBundles();
    ASSERT_TRUE(schedule.Run(300))
        << "seed " << found.seed << " (replay with SANJI_SEED=" << found.seed
        << (found.forge_former_scopes ? " --gtest_filter=*ForgedFormerScopesNeverLand" : "") << ")";
  }
}

// Schema versions published at random moments, amid the partitions,
// failovers, crashes and USB bundles of the schedule (issue 16, "Tests"):
// every node converges with the oracle, holds every field of every version
// written to the records it holds (nodes on older versions keep and relay
// fields they do not know), and runs the newest version, some of them
// adopted from a bundle. A tenth of the schedules of the first test
// (SANJI_SIM_SCHEDULES; 2000 in simulation_test_slow).
TEST_F(RandomSimulationTest, EveryNodeAdoptsTheNewestPublishedSchemaAndLosesNoField) {
  const std::string text = ReadFile(SANJI_EXAMPLE_SCHEMA);
  ASSERT_FALSE(text.empty()) << SANJI_EXAMPLE_SCHEMA;
  const auto [first_seed, count] = SeedsToRun(10);
  uint64_t versions = 0;
  uint64_t fields = 0;
  uint64_t ahead = 0;
  BundleTotals bundles;
  for (uint64_t seed = first_seed; seed < first_seed + count; ++seed) {
    Schedule schedule(seed, &schema_, /*on_disk=*/false, "", &text);
    schedule.ExchangeBundles();
    const ::testing::AssertionResult result = schedule.Run(300);
    ASSERT_TRUE(result) << "seed " << seed << " (replay with SANJI_SEED=" << seed
                        << " --gtest_filter=*EveryNodeAdoptsTheNewestPublishedSchema*)";
    versions += schedule.versions_published();
    fields += schedule.fields_written();
    ahead += schedule.written_ahead();
    bundles.Add(schedule);
  }
  std::cout << count << " schedules from seed " << first_seed << ", " << versions
            << " schema versions published, " << fields << " (record, new field) pairs written, "
            << ahead << " writes of a field some node did not know yet, " << bundles << "\n";
  if (count >= 50) {
    EXPECT_GT(versions, count);
    EXPECT_GT(fields, count);
    EXPECT_GT(ahead, count / 2);
    bundles.ExpectCarried(count);
    // Some version reached a node first by bundle, and was adopted.
    EXPECT_GT(bundles.versions_adopted, 0u);
  }
}

// The same on real LevelDB stores on disk, fewer schedules (fsync per commit).
TEST_F(RandomSimulationTest, ConvergesOnDiskStores) {
  const uint64_t seed = EnvOr("SANJI_SEED", 7);
  const std::string root = ::testing::TempDir() + "/sanji_sim_" + std::to_string(seed);
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  for (uint64_t s = seed; s < seed + 3; ++s) {
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    Schedule schedule(s, &schema_, /*on_disk=*/true, root);
    ASSERT_TRUE(schedule.Run(200)) << "seed " << s;
  }
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace sanji::simulation
