// How sanjictl prints what a node returns (cli/format.h): the --json form.
#include "cli/format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace sanji::cli {
namespace {

// Field names that hash-ordered maps would scramble: enough of them that
// any order but the sorted one is near certain to show.
std::vector<std::string> FieldNames() {
  std::vector<std::string> names;
  for (char first = 'a'; first <= 't'; ++first) names.push_back(std::string(1, first) + "_field");
  return names;
}

// A record holding every name of `names`, inserted in that order.
v1::Record RecordWith(const std::vector<std::string>& names) {
  v1::Record record;
  record.set_collection("households");
  record.set_key("林家");
  for (const std::string& name : names) {
    (*record.mutable_fields())[name].mutable_lww()->set_text(absl::StrCat("value of ", name));
  }
  return record;
}

std::string Json(const google::protobuf::Message& message) {
  std::ostringstream out;
  EXPECT_TRUE(PrintJson(message, out).ok());
  return out.str();
}

// Issue 22 §5: `--json` printed a record's fields in a different order from
// call to call. The bytes depend on the message only, and keys come sorted.
TEST(PrintJsonTest, MapFieldsComeSortedByKeyWhateverTheInsertionOrder) {
  const std::vector<std::string> names = FieldNames();
  const std::vector<std::string> reversed(names.rbegin(), names.rend());
  const std::string json = Json(RecordWith(reversed));

  EXPECT_EQ(json, Json(RecordWith(reversed)));
  EXPECT_EQ(json, Json(RecordWith(names)));
  size_t previous = 0;
  for (const std::string& name : names) {
    const size_t at = json.find(absl::StrCat("\"", name, "\":"));
    ASSERT_NE(at, std::string::npos) << name << " in " << json;
    EXPECT_GT(at, previous) << name << " out of order in " << json;
    previous = at;
  }
  EXPECT_THAT(json, ::testing::EndsWith("}\n"));
}

// Fields the node's schema does not describe are listed after the others,
// marked "?", with their state kind and why.
TEST(PrintRecordTest, ListsTheFieldsTheSchemaDoesNotDescribeMarked) {
  v1::Record record;
  record.set_collection("service_requests");
  record.set_key("xiaban-1");
  (*record.mutable_fields())["title"].mutable_lww()->set_text("路灯坏了");
  v1::UnknownField* photo = record.add_unknown_fields();
  photo->set_name("photo_url");
  photo->set_reason(v1::UnknownField::NOT_IN_SCHEMA);
  photo->set_state_kind("register");
  photo->mutable_values()->add_values()->set_text("p1.jpg");
  v1::UnknownField* visits = record.add_unknown_fields();
  visits->set_name("visits");
  visits->set_reason(v1::UnknownField::KIND_CLASH);
  visits->set_state_kind("counter");
  visits->set_counter(2);
  std::ostringstream out;
  PrintRecord(record, out);
  EXPECT_THAT(out.str(),
              ::testing::EndsWith("title      lww                                    路灯坏了\n"
                                  "photo_url  ? register, not in this node's schema  p1.jpg\n"
                                  "visits     ? counter, kind clash                  2\n"));
}

}  // namespace
}  // namespace sanji::cli
