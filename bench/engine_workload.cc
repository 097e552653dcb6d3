#include "bench/engine_workload.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "bench/storage_workload.h"
#include "conflict/value_register.h"

namespace sanji::bench {

absl::StatusOr<std::unique_ptr<BenchNode>> BenchNode::Open(const std::string& path,
                                                           const std::string& node_id) {
  std::unique_ptr<BenchNode> node(new BenchNode(path, node_id));
  store::Options options = BenchStoreOptions(path, node->schema_, node->clock_);
  options.node_id = node_id;
  absl::StatusOr<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
  if (!opened.ok()) return opened.status();
  node->store_ = *std::move(opened);
  node->replica_ = std::make_unique<replication::StoreReplica>(node->store_.get());
  return node;
}

absl::Status BenchNode::Reopen(std::unique_ptr<BenchNode>& node) {
  const std::string path = node->path_;
  const std::string node_id = node->node_id_;
  node.reset();
  absl::StatusOr<std::unique_ptr<BenchNode>> opened = Open(path, node_id);
  if (!opened.ok()) return opened.status();
  node = *std::move(opened);
  return absl::OkStatus();
}

BenchNode::BenchNode(std::string path, std::string node_id)
    : path_(std::move(path)),
      node_id_(std::move(node_id)),
      schema_(RequestSchema()),
      clock_(kBenchMicros) {}

BenchNode::~BenchNode() {
  replica_.reset();
  store_.reset();
}

conflict::Change ChangeOf(const conflict::Record& record) {
  conflict::Change change;
  change.scope = kVillage;
  for (const char* field : {"title", "detail", "requester"}) {
    const conflict::FieldState* state = record.field(field);
    if (state == nullptr) continue;
    const auto& text = std::get<conflict::ValueRegister>(*state);
    change.ops.push_back({field, conflict::Assign{text.Winner().payload.value}});
  }
  change.ops.push_back({"status", conflict::SetStatus{"open"}});
  // As the village's application writes it through RecordService, which
  // names the caller (conflict/record.h, "authors").
  change.author = kVillageApp;
  return change;
}

absl::Status FillVillage(store::Store& village, size_t records, int writers, uint64_t seed,
                         const std::vector<conflict::FieldOp>& extra_ops) {
  std::mutex mu;
  absl::Status first_error;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(writers));
  for (int w = 0; w < writers; ++w) {
    const size_t share = records / writers + (static_cast<size_t>(w) < records % writers ? 1 : 0);
    threads.emplace_back([&, w, share] {
      RequestStream stream(seed + static_cast<uint64_t>(w));
      for (size_t i = 0; i < share; ++i) {
        std::string key;
        conflict::Change change = ChangeOf(stream.Next(&key));
        change.ops.insert(change.ops.end(), extra_ops.begin(), extra_ops.end());
        absl::StatusOr<store::WriteResult> written = village.Write(kRequests, key, change);
        if (!written.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.ok()) first_error = written.status();
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return first_error;
}

size_t RecordsFromEnv(size_t fallback) {
  const char* text = std::getenv("SANJI_ENGINE_RECORDS");
  if (text == nullptr || *text == '\0') return fallback;
  const unsigned long long value = std::strtoull(text, nullptr, 10);
  return value > 0 ? static_cast<size_t>(value) : fallback;
}

}  // namespace sanji::bench
