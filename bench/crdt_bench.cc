// The cost of merging and encoding one record: what every replicated record
// pays on every hop. Issue target: join + encode of a 10-field record within
// 2 µs on one core (a node must move >= 200k records/s).
//
// The record is a service request of the example county: eight lww text
// fields, a status and a set of comments, written at a village and edited
// concurrently at its township, so the join has real work on every field.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/harness/json_lines_reporter.h"
#include "codec/record_codec.h"
#include "conflict/hlc.h"
#include "conflict/record.h"
#include "conflict/schema.h"

namespace sanji::conflict {
namespace {

constexpr const char* kLwwFields[] = {"title",    "detail",       "requester", "category",
                                      "assignee", "escalated_to", "phone",     "address"};

CollectionSchema RequestSchema() {
  CollectionSchema schema("service_requests");
  for (const char* name : kLwwFields) (void)schema.AddField(name, FieldSpec::Lww());
  (void)schema.AddField("status", FieldSpec::Status({"open", "assigned", "resolved", "closed"}));
  (void)schema.AddField("comments", FieldSpec::Set());
  return schema;
}

struct ConcurrentPair {
  Record village;
  Record township;
};

// Both sides start from one created record, then edit it concurrently.
ConcurrentPair MakePair() {
  const CollectionSchema schema = RequestSchema();
  const Origin village{"gutian/fengpu/xiaban", 1};
  const Origin township{"gutian/fengpu", 1};
  const int64_t now = 1'795'000'000'000'000;
  Change create{{}, "gutian/fengpu/xiaban"};
  for (const char* name : kLwwFields) {
    create.ops.push_back({name, Assign{std::string("村民反映路灯坏了，请尽快处理-") + name}});
  }
  create.ops.push_back({"status", SetStatus{"open"}});
  create.ops.push_back({"comments", AddElements{{std::string("已登记")}}});
  Record base = *Record().Write(schema, create, {village, 41}, {now, 0});

  Change village_edit;
  for (int i = 0; i < 4; ++i) {
    village_edit.ops.push_back({kLwwFields[i], Assign{std::string("村里更新-") + kLwwFields[i]}});
  }
  village_edit.ops.push_back({"comments", AddElements{{std::string("村民补充")}}});
  Change township_edit;
  for (int i = 2; i < 8; ++i) {
    township_edit.ops.push_back({kLwwFields[i], Assign{std::string("乡镇处理-") + kLwwFields[i]}});
  }
  township_edit.ops.push_back({"status", SetStatus{"assigned"}});
  return ConcurrentPair{*base.Write(schema, village_edit, {village, 57}, {now + 10, 0}),
                        *base.Write(schema, township_edit, {township, 9}, {now + 20, 0})};
}

// A receiver merges into the record it just read from its store, which it
// owns: the copies that stand for that read are made outside the timed part,
// a batch at a time, so the figure is the merge alone.
class OwnedCopies {
 public:
  explicit OwnedCopies(const Record& original) : original_(original) {}
  // The next fresh copy; refills (untimed) when the batch is used up.
  Record& Next(benchmark::State& state) {
    if (next_ == copies_.size()) {
      state.PauseTiming();
      copies_.assign(kBatch, original_);
      next_ = 0;
      state.ResumeTiming();
    }
    return copies_[next_++];
  }

 private:
  static constexpr size_t kBatch = 512;
  const Record& original_;
  std::vector<Record> copies_;
  size_t next_ = 0;
};

void BM_Join10Field(benchmark::State& state) {
  const ConcurrentPair pair = MakePair();
  OwnedCopies local(pair.village);
  for (auto _ : state) {
    Record& merged = local.Next(state);
    merged.Join(pair.township);
    benchmark::DoNotOptimize(merged);
  }
}
BENCHMARK(BM_Join10Field);

void BM_Encode10Field(benchmark::State& state) {
  Record merged = MakePair().village;
  merged.Join(MakePair().township);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string encoded = codec::SerializeRecord(merged);
    bytes = encoded.size();
    benchmark::DoNotOptimize(encoded);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Encode10Field);

void BM_Decode10Field(benchmark::State& state) {
  Record merged = MakePair().village;
  merged.Join(MakePair().township);
  const std::string encoded = codec::SerializeRecord(merged);
  for (auto _ : state) {
    auto decoded = codec::ParseRecord(encoded);
    benchmark::DoNotOptimize(decoded);
  }
}
BENCHMARK(BM_Decode10Field);

// What a receiver does per record: merge the incoming state, encode to store.
void BM_JoinEncode10Field(benchmark::State& state) {
  const ConcurrentPair pair = MakePair();
  OwnedCopies local(pair.village);
  for (auto _ : state) {
    Record& merged = local.Next(state);
    merged.Join(pair.township);
    std::string encoded = codec::SerializeRecord(merged);
    benchmark::DoNotOptimize(encoded);
  }
}
BENCHMARK(BM_JoinEncode10Field);

SANJI_BENCH_INIT(CrdtTargets) {
  sanji::bench::SetBenchName("crdt");
  sanji::bench::SetCounterUnit("bytes", "B");
  // With --benchmark_repetitions the median is the figure; without, the run.
  sanji::bench::AddComputedTarget(
      "join_encode_10field_ns",
      [](const sanji::bench::Figures& figures) {
        auto median = figures.Get("BM_JoinEncode10Field_median");
        return median.has_value() ? median : figures.Get("BM_JoinEncode10Field");
      },
      2000, sanji::bench::Goal::kAtMost);
}

}  // namespace
}  // namespace sanji::conflict
