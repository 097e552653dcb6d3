#include "authz/identity.h"

#include <gtest/gtest.h>

namespace sanji::authz {
namespace {

TEST(IdentityTest, EachKindRoundTripsThroughItsUri) {
  for (const Identity& identity :
       {Identity::Node("gutian/fengpu/xiaban"), Identity::Operator("desk", "gutian"),
        Identity::App("clinic", "gutian/fengpu/xiaban")}) {
    absl::StatusOr<Identity> parsed = IdentityFromUri(identity.Uri());
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, identity);
  }
  EXPECT_EQ(Identity::App("clinic", "gutian/fengpu/xiaban").Uri(),
            "sanji://app/clinic/gutian/fengpu/xiaban");
  EXPECT_EQ(Identity::Node("gutian").scope, "gutian");
}

TEST(IdentityTest, MalformedUrisAreRefusedNamingTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"spiffe://gutian/node", "is not sanji://"},
      {"sanji://client/desk", "older Sanji"},
      {"sanji://person/desk/gutian", "unknown kind"},
      {"sanji://node/gutian/../xikou", "invalid segment"},
      {"sanji://app/clinic", "names no scope"},
      {"sanji://app/Clinic/gutian", "invalid name"},
      {"sanji://operator/desk/gutian/", "invalid segment"},
  };
  for (const auto& [uri, why] : cases) {
    absl::StatusOr<Identity> parsed = IdentityFromUri(uri);
    ASSERT_FALSE(parsed.ok()) << uri;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(why), absl::string_view::npos)
        << uri << ": " << parsed.status();
    EXPECT_NE(parsed.status().message().find(uri), absl::string_view::npos);
  }
}

}  // namespace
}  // namespace sanji::authz
