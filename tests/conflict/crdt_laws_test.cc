// The join laws, for every state-based CRDT of conflict/.
//
// ARCHITECTURE.md §2: "Merge is a pure join: commutative, associative,
// idempotent — proven by property tests over random states, not by a few
// examples." One TYPED_TEST_SUITE over the field kinds (a record whose
// collection has that one field), whole records (every kind, scope changes and
// deletes), version vectors and dot contexts, written against the StateCrdt
// concept. The states a, b, c of a case come from one random history (other
// replicas, other points in time): only states of one system are joinable.
#include <array>
#include <cstdint>
#include <string>
#include <type_traits>

#include "conflict/dot_context.h"
#include "conflict/field.h"
#include "conflict/record.h"
#include "conflict/state_crdt.h"
#include "conflict/version_vector.h"
#include "gtest/gtest.h"
#include "tests/conflict/random_history.h"

namespace sanji::conflict {
namespace {

static_assert(StateCrdt<Record>);
static_assert(StateCrdt<VersionVector>);
static_assert(StateCrdt<DotContext>);

// Every dot `small` holds, `big` holds too (per origin, by enumeration rather
// than by comparing representations).
bool VersionVectorCovers(const VersionVector& big, const VersionVector& small) {
  for (const auto& [origin, counter] : small.entries()) {
    if (!big.Covers(Dot{origin, counter})) return false;
  }
  return true;
}

bool DotContextCovers(const DotContext& big, const DotContext& small) {
  for (const auto& [origin, counter] : small.compact().entries()) {
    for (uint64_t c = 1; c <= counter; ++c) {
      if (!big.Covers(Dot{origin, c})) return false;
    }
  }
  for (const Dot& dot : small.cloud()) {
    if (!big.Covers(dot)) return false;
  }
  return true;
}

// A kind tag: the state type, how to sample three states of one history, how
// to check that one state's context covers another's, and how to print one.
template <FieldKind kKind>
struct FieldKindTag {
  using State = Record;
  static std::array<Record, 3> Sample(uint64_t seed) {
    return SampleRecords(SingleFieldSchema(kKind), {.replicas = 4}, seed);
  }
  static bool ContextCovers(const Record& big, const Record& small) {
    return VersionVectorCovers(big.context(), small.context());
  }
  static std::string Describe(const Record& state) { return sanji::conflict::Describe(state); }
};

struct Lww : FieldKindTag<FieldKind::kLww> {};
struct Mv : FieldKindTag<FieldKind::kMv> {};
struct Counter : FieldKindTag<FieldKind::kCounter> {};
struct Set : FieldKindTag<FieldKind::kSet> {};
struct Status : FieldKindTag<FieldKind::kStatus> {};

struct WholeRecord : FieldKindTag<FieldKind::kLww> {
  static std::array<Record, 3> Sample(uint64_t seed) {
    return SampleRecords(
        AllKindsSchema(),
        {.replicas = 5, .delete_probability = 0.08, .scope_change_probability = 0.15}, seed);
  }
};

struct VersionVectorKind {
  using State = VersionVector;
  static std::array<VersionVector, 3> Sample(uint64_t seed) { return SampleVersionVectors(seed); }
  static bool ContextCovers(const VersionVector& big, const VersionVector& small) {
    return VersionVectorCovers(big, small);
  }
  static std::string Describe(const VersionVector& state) { return state.ToString(); }
};

struct DotContextKind {
  using State = DotContext;
  static std::array<DotContext, 3> Sample(uint64_t seed) { return SampleDotContexts(seed); }
  static bool ContextCovers(const DotContext& big, const DotContext& small) {
    return DotContextCovers(big, small);
  }
  static std::string Describe(const DotContext& state) { return state.ToString(); }
};

template <typename Kind>
class CrdtLawsTest : public ::testing::Test {
 protected:
  using State = typename Kind::State;
  static_assert(StateCrdt<State>);

  static State Joined(const State& x, const State& y) {
    State joined = x;
    joined.Join(y);
    return joined;
  }

  // Runs `law(a, b, c)` over PropertyCases() triples, printing the states of
  // the failing one.
  template <typename Law>
  static void ForEachTriple(Law law) {
    ForEachCase(PropertyCases(), [&](uint64_t seed) {
      const std::array<State, 3> states = Kind::Sample(seed);
      law(states[0], states[1], states[2]);
      if (::testing::Test::HasFailure()) {
        ADD_FAILURE() << "the states of the failing case:\na = " << Kind::Describe(states[0])
                      << "\nb = " << Kind::Describe(states[1])
                      << "\nc = " << Kind::Describe(states[2]);
      }
    });
  }
};

class KindNames {
 public:
  template <typename Kind>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<Kind, Lww>) return "Lww";
    if constexpr (std::is_same_v<Kind, Mv>) return "Mv";
    if constexpr (std::is_same_v<Kind, Counter>) return "Counter";
    if constexpr (std::is_same_v<Kind, Set>) return "Set";
    if constexpr (std::is_same_v<Kind, Status>) return "Status";
    if constexpr (std::is_same_v<Kind, WholeRecord>) return "WholeRecord";
    if constexpr (std::is_same_v<Kind, VersionVectorKind>) return "VersionVector";
    return "DotContext";
  }
};

using Kinds =
    ::testing::Types<Lww, Mv, Counter, Set, Status, WholeRecord, VersionVectorKind, DotContextKind>;
TYPED_TEST_SUITE(CrdtLawsTest, Kinds, KindNames);

// ARCHITECTURE.md §2, "commutative": a ⊔ b == b ⊔ a. Replicas that merged the same states in either
// order agree.
TYPED_TEST(CrdtLawsTest, JoinIsCommutative) {
  TestFixture::ForEachTriple([](const auto& a, const auto& b, const auto&) {
    EXPECT_EQ(TestFixture::Joined(a, b), TestFixture::Joined(b, a));
  });
}

// ARCHITECTURE.md §2, "associative": (a ⊔ b) ⊔ c == a ⊔ (b ⊔ c). How merges are grouped along a
// path of the tree (village -> township -> county) does not matter.
TYPED_TEST(CrdtLawsTest, JoinIsAssociative) {
  TestFixture::ForEachTriple([](const auto& a, const auto& b, const auto& c) {
    EXPECT_EQ(TestFixture::Joined(TestFixture::Joined(a, b), c),
              TestFixture::Joined(a, TestFixture::Joined(b, c)));
  });
}

// ARCHITECTURE.md §2, "idempotent": a ⊔ a == a. A state delivered twice (a retried sync batch)
// changes nothing.
TYPED_TEST(CrdtLawsTest, JoinIsIdempotent) {
  TestFixture::ForEachTriple([](const auto& a, const auto& b, const auto&) {
    EXPECT_EQ(TestFixture::Joined(a, a), a);
    EXPECT_EQ(TestFixture::Joined(b, b), b);
  });
}

// ARCHITECTURE.md §2, "a pure join", so an inflation: a ⊔ b ⊒ a. A merge never loses what a replica
// knew. Checked as (a ⊔ b) ⊔ a == a ⊔ b, and the context of a ⊔ b covers the context of a.
TYPED_TEST(CrdtLawsTest, JoinIsAnInflation) {
  TestFixture::ForEachTriple([](const auto& a, const auto& b, const auto&) {
    const auto joined = TestFixture::Joined(a, b);
    EXPECT_EQ(TestFixture::Joined(joined, a), joined);
    EXPECT_TRUE(TypeParam::ContextCovers(joined, a)) << TypeParam::Describe(joined);
    EXPECT_TRUE(TypeParam::ContextCovers(joined, b)) << TypeParam::Describe(joined);
  });
}

}  // namespace
}  // namespace sanji::conflict
