// RecordService (ARCHITECTURE.md §6: "RecordService for applications (put,
// get, delete, query by collection and prefix, watch)"), called through the
// generated stub over a real gRPC server on loopback, port 0, in front of a
// real LevelDB store in a temporary directory. Waits are deadlines on gRPC
// calls, never sleeps.
#include "node/record_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api.grpc.pb.h"
#include "conflict/clock.h"
#include "conflict/schema.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "node/call_authorizer.h"
#include "node/commit_notifier.h"
#include "node/record_view.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::node {
namespace {

using google::protobuf::util::MessageDifferencer;
using store::testing::kNode;
using store::testing::kStartMicros;
using store::testing::TempDir;
using ::testing::HasSubstr;

constexpr char kRequests[] = "service_requests";
constexpr auto kCallTimeout = std::chrono::seconds(30);
// Bounds small enough for a test to reach: a record and a List page.
constexpr size_t kMaxRecordBytes = 16 * 1024;
constexpr size_t kMaxPageBytes = 64 * 1024;

conflict::Schema ServiceSchema() {
  using conflict::FieldSpec;
  conflict::CollectionSchema requests(kRequests);
  EXPECT_TRUE(requests.AddField("title", FieldSpec::Lww()).ok());
  EXPECT_TRUE(
      requests.AddField("status", FieldSpec::Status({"open", "assigned", "resolved", "closed"}))
          .ok());
  EXPECT_TRUE(requests.AddField("visits", FieldSpec::Counter()).ok());
  EXPECT_TRUE(requests.AddField("tags", FieldSpec::Set()).ok());
  EXPECT_TRUE(requests.AddField("income", FieldSpec::Mv(conflict::ValueType::kInt)).ok());
  conflict::Schema schema;
  EXPECT_TRUE(schema.AddCollection(std::move(requests)).ok());
  return schema;
}

v1::Value Text(const std::string& text) {
  v1::Value value;
  value.set_text(text);
  return value;
}

v1::Value Integer(int64_t integer) {
  v1::Value value;
  value.set_integer(integer);
  return value;
}

// Builds a PutRequest one operation at a time.
class Put {
 public:
  explicit Put(const std::string& key, std::optional<std::string> scope = std::string(kNode)) {
    request_.set_collection(kRequests);
    request_.set_key(key);
    if (scope.has_value()) request_.set_scope(*scope);
  }
  Put& Assign(const std::string& field, v1::Value value) {
    *Op(field).mutable_assign() = std::move(value);
    return *this;
  }
  Put& Increment(const std::string& field, int64_t delta) {
    Op(field).set_increment(delta);
    return *this;
  }
  Put& Add(const std::string& field, const std::vector<std::string>& elements) {
    v1::ValueList* list = Op(field).mutable_add();
    for (const std::string& element : elements) *list->add_values() = Text(element);
    return *this;
  }
  Put& Remove(const std::string& field, const std::vector<std::string>& elements) {
    v1::ValueList* list = Op(field).mutable_remove();
    for (const std::string& element : elements) *list->add_values() = Text(element);
    return *this;
  }
  Put& SetStatus(const std::string& field, const std::string& status) {
    Op(field).set_set_status(status);
    return *this;
  }
  v1::PutRequest& request() { return request_; }
  operator const v1::PutRequest&() const { return request_; }  // NOLINT: a builder

 private:
  v1::FieldOperation& Op(const std::string& field) {
    v1::FieldOperation* op = request_.add_ops();
    op->set_field(field);
    return *op;
  }

  v1::PutRequest request_;
};

std::vector<std::string> Texts(const v1::ValueList& list) {
  std::vector<std::string> texts;
  for (const v1::Value& value : list.values()) texts.push_back(value.text());
  return texts;
}

class RecordServiceTest : public ::testing::Test {
 protected:
  RecordServiceTest() : schema_(ServiceSchema()), clock_(kStartMicros) {
    store::Options options;
    options.path = dir_.path() + "/store";
    options.node_id = kNode;
    options.schema = &schema_;
    options.clock = &clock_;
    options.max_record_bytes = kMaxRecordBytes;
    auto opened = store::Store::Open(std::move(options));
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (opened.ok()) store_ = *std::move(opened);
    service_ = std::make_unique<RecordServiceImpl>(store_.get(), &schema_, &notifier_, &authorizer_,
                                                   kMaxPageBytes);

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    EXPECT_NE(port, 0);
    stub_ = v1::RecordService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  ~RecordServiceTest() override {
    // A deadline cancels watches a test left open (record_service.h).
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    }
  }

  static void SetDeadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  }

  template <typename Request>
  static Request KeyRequest(const std::string& collection, const std::string& key) {
    Request request;
    request.set_collection(collection);
    request.set_key(key);
    return request;
  }

  grpc::Status Call(const v1::PutRequest& request, v1::PutResponse* response = nullptr) {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::PutResponse ignored;
    return stub_->Put(&context, request, response != nullptr ? response : &ignored);
  }

  // Puts and expects success.
  v1::PutResponse MustPut(const v1::PutRequest& request) {
    v1::PutResponse response;
    const grpc::Status status = Call(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status Get(const std::string& key, v1::Record* record,
                   const std::string& collection = kRequests) {
    grpc::ClientContext context;
    SetDeadline(context);
    return stub_->Get(&context, KeyRequest<v1::GetRequest>(collection, key), record);
  }

  v1::Record MustGet(const std::string& key) {
    v1::Record record;
    const grpc::Status status = Get(key, &record);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return record;
  }

  grpc::Status Delete(const std::string& key, v1::DeleteResponse* response,
                      const std::string& collection = kRequests) {
    grpc::ClientContext context;
    SetDeadline(context);
    return stub_->Delete(&context, KeyRequest<v1::DeleteRequest>(collection, key), response);
  }

  grpc::Status List(const v1::ListRequest& request, v1::ListResponse* response) {
    grpc::ClientContext context;
    SetDeadline(context);
    return stub_->List(&context, request, response);
  }

  // Every live key of the collection, all pages.
  std::vector<std::string> AllKeys() {
    std::vector<std::string> keys;
    v1::ListRequest request;
    request.set_collection(kRequests);
    do {
      v1::ListResponse response;
      EXPECT_TRUE(List(request, &response).ok());
      for (const v1::Record& record : response.records()) keys.push_back(record.key());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return keys;
  }

  TempDir dir_;
  conflict::Schema schema_;
  conflict::ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  CommitNotifier notifier_;
  // Plaintext: every call is the node's own (tests/integration/
  // authorization_test.cc asks the rule of who may call what).
  CallAuthorizer authorizer_{kNode, /*insecure=*/true};
  std::unique_ptr<RecordServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::RecordService::Stub> stub_;
};

// Legal puts that each add a member to a set stop at the record's bound:
// the put that would cross it is refused and writes nothing, so a retry
// cannot apply it twice, and the record stays readable.
TEST_F(RecordServiceTest, ARecordStopsGrowingAtItsBound) {
  const std::string member(1000, 'm');
  int added = 0;
  grpc::Status status;
  while ((status = Call(Put("big").Add("tags", {absl::StrCat(added, member)}))).ok()) ++added;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("service_requests/big would grow to"));
  EXPECT_THAT(status.error_message(), HasSubstr("more than the 16384 bytes"));
  EXPECT_THAT(status.error_message(), HasSubstr("nothing was written"));
  EXPECT_GE(added, 10);
  const uint64_t counter = store_->progress().counter;
  const uint64_t commits = notifier_.commits();
  EXPECT_FALSE(Call(Put("big").Add("tags", {absl::StrCat(added, member)})).ok());
  EXPECT_EQ(store_->progress().counter, counter);
  EXPECT_EQ(notifier_.commits(), commits);
  const v1::Record record = MustGet("big");
  EXPECT_EQ(record.fields().at("tags").set().values_size(), added);
  EXPECT_LE(record.ByteSizeLong(), kMaxRecordBytes + 1024);
  // A write that shrinks it is taken.
  MustPut(Put("big").Remove("tags", {absl::StrCat(0, member)}));
}

// A page of large records ends at the page's byte bound, with a token that
// goes on after its last record: every record comes once.
TEST_F(RecordServiceTest, ListPagesEndAtTheirByteBound) {
  constexpr int kRecords = 12;
  for (int i = 0; i < kRecords; ++i) {
    MustPut(Put(absl::StrCat("large-", 10 + i)).Assign("title", Text(std::string(12'000, 'x'))));
  }
  v1::ListRequest request;
  request.set_collection(kRequests);
  v1::ListResponse first;
  ASSERT_TRUE(List(request, &first).ok());
  EXPECT_GT(first.records_size(), 0);
  EXPECT_LT(first.records_size(), kRecords);
  EXPECT_LE(first.ByteSizeLong(), kMaxPageBytes + kMaxRecordBytes);
  EXPECT_FALSE(first.next_page_token().empty());
  std::vector<std::string> keys = AllKeys();
  ASSERT_EQ(keys.size(), size_t{kRecords});
  for (int i = 0; i < kRecords; ++i) EXPECT_EQ(keys[i], absl::StrCat("large-", 10 + i));
}

TEST_F(RecordServiceTest, PutsAndGetsEveryFieldKind) {
  MustPut(Put("r1")
              .Assign("title", Text("street light out"))
              .Increment("visits", 2)
              .Add("tags", {"light", "urgent"})
              .Assign("income", Integer(1200)));
  const v1::PutResponse second = MustPut(Put("r1", std::nullopt)
                                             .Increment("visits", 3)
                                             .Remove("tags", {"urgent"})
                                             .SetStatus("status", "assigned"));

  EXPECT_EQ(second.change().node_id(), kNode);
  EXPECT_EQ(second.change().counter(), 2u);
  EXPECT_GT(second.timestamp().physical_micros(), 0);
  const v1::Record record = MustGet("r1");
  EXPECT_EQ(record.collection(), kRequests);
  EXPECT_EQ(record.key(), "r1");
  EXPECT_EQ(record.scope(), kNode);
  EXPECT_FALSE(record.deleted());
  EXPECT_EQ(record.fields().at("title").lww().text(), "street light out");
  EXPECT_EQ(record.fields().at("visits").counter(), 5);
  EXPECT_EQ(Texts(record.fields().at("tags").set()), std::vector<std::string>{"light"});
  EXPECT_EQ(record.fields().at("status").status(), "assigned");
  ASSERT_EQ(record.fields().at("income").mv().values_size(), 1);
  EXPECT_EQ(record.fields().at("income").mv().values(0).integer(), 1200);
  ASSERT_EQ(record.version_size(), 1);
  EXPECT_EQ(record.version(0).node_id(), kNode);
  EXPECT_EQ(record.version(0).counter(), 2u);
  EXPECT_EQ(record.updated().physical_micros(), second.timestamp().physical_micros());
  EXPECT_EQ(record.updated().logical(), second.timestamp().logical());
  EXPECT_TRUE(MessageDifferencer::Equals(record, second.record()));
}

// Applies, as received from the township, its write of `income` to record r1,
// made without seeing this node's writes.
void ReceiveTownshipIncome(store::Store& store, const conflict::Schema& schema, int64_t income) {
  const conflict::Origin township{"gutian/fengpu", 1};
  conflict::Change change;
  change.scope = kNode;
  change.ops.push_back({"income", conflict::Assign{income}});
  auto theirs = conflict::Record().Write(**schema.Collection(kRequests), change, {township, 1},
                                         {kStartMicros, 1});
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  store::RemoteBatch batch;
  batch.items.push_back({kRequests, "r1", *theirs});
  batch.knowledge.Set(township, 1);
  ASSERT_TRUE(store.ApplyRemote(batch).ok());
}

// §2: an mv field keeps every concurrent value until someone resolves them.
TEST_F(RecordServiceTest, MvFieldShowsEveryConcurrentValue) {
  MustPut(Put("r1").Assign("income", Integer(1200)));
  ReceiveTownshipIncome(*store_, schema_, 900);

  const v1::Record record = MustGet("r1");
  std::vector<int64_t> incomes;
  for (const v1::Value& value : record.fields().at("income").mv().values()) {
    incomes.push_back(value.integer());
  }
  EXPECT_THAT(incomes, ::testing::UnorderedElementsAre(1200, 900));
  EXPECT_EQ(record.version_size(), 2);

  // Assigning sees both siblings and so resolves them.
  MustPut(Put("r1", std::nullopt).Assign("income", Integer(1000)));
  ASSERT_EQ(MustGet("r1").fields().at("income").mv().values_size(), 1);
  EXPECT_EQ(MustGet("r1").fields().at("income").mv().values(0).integer(), 1000);
}

// Issue 22: equal values are not a conflict; two siblings of one value read
// as that value once.
TEST_F(RecordServiceTest, MvFieldShowsAValueWrittenConcurrentlyTwiceOnce) {
  MustPut(Put("r1").Assign("income", Integer(1200)));
  ReceiveTownshipIncome(*store_, schema_, 1200);

  const v1::Record record = MustGet("r1");
  ASSERT_EQ(record.fields().at("income").mv().values_size(), 1);
  EXPECT_EQ(record.fields().at("income").mv().values(0).integer(), 1200);
  EXPECT_EQ(record.version_size(), 2);  // both writes are still in the record
}

// §2: "a ticket never moves backwards".
TEST_F(RecordServiceTest, StatusMovingBackwardsIsFailedPrecondition) {
  MustPut(Put("r1").SetStatus("status", "resolved"));
  const grpc::Status status = Call(Put("r1", std::nullopt).SetStatus("status", "open"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("status"), std::string::npos) << status.error_message();
  EXPECT_EQ(MustGet("r1").fields().at("status").status(), "resolved");
  MustPut(Put("r1", std::nullopt).SetStatus("status", "closed"));
  EXPECT_EQ(MustGet("r1").fields().at("status").status(), "closed");
}

TEST_F(RecordServiceTest, ChineseTextRoundTrips) {
  const std::string key = "申请/下坂村/0001";
  MustPut(Put(key)
              .Assign("title", Text("村民王小明申请低保证明"))
              .Add("tags", {"低保", "证明"})
              .SetStatus("status", "assigned"));
  const v1::Record record = MustGet(key);
  EXPECT_EQ(record.key(), key);
  EXPECT_EQ(record.fields().at("title").lww().text(), "村民王小明申请低保证明");
  EXPECT_EQ(Texts(record.fields().at("tags").set()), (std::vector<std::string>{"低保", "证明"}));

  v1::ListRequest request;
  request.set_collection(kRequests);
  request.set_key_prefix("申请/");
  v1::ListResponse response;
  ASSERT_TRUE(List(request, &response).ok());
  ASSERT_EQ(response.records_size(), 1);
  EXPECT_EQ(response.records(0).key(), key);
}

// §2: a record delete is a tombstone.
TEST_F(RecordServiceTest, DeleteThenGetShowsDeleted) {
  MustPut(Put("r1").Assign("title", Text("duplicate")).Increment("visits", 1));
  v1::DeleteResponse deleted;
  ASSERT_TRUE(Delete("r1", &deleted).ok());
  EXPECT_TRUE(deleted.record().deleted());
  EXPECT_EQ(deleted.change().counter(), 2u);

  const v1::Record record = MustGet("r1");
  EXPECT_TRUE(record.deleted());
  EXPECT_TRUE(record.fields().empty());
  EXPECT_EQ(record.scope(), kNode);
  EXPECT_TRUE(AllKeys().empty());
  const grpc::Status again = Delete("r1", &deleted);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::NOT_FOUND) << again.error_message();
}

TEST_F(RecordServiceTest, ListsByPrefixPageByPage) {
  for (const char* key : {"a-03", "a-01", "b-01", "a-05", "a-02", "a-04"}) {
    MustPut(Put(key).Assign("title", Text(key)));
  }
  v1::ListRequest request;
  request.set_collection(kRequests);
  request.set_key_prefix("a-");
  request.set_page_size(2);
  std::vector<std::vector<std::string>> pages;
  do {
    v1::ListResponse response;
    ASSERT_TRUE(List(request, &response).ok());
    pages.emplace_back();
    for (const v1::Record& record : response.records()) {
      pages.back().push_back(record.key());
      EXPECT_EQ(record.fields().at("title").lww().text(), record.key());
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  EXPECT_EQ(pages,
            (std::vector<std::vector<std::string>>{{"a-01", "a-02"}, {"a-03", "a-04"}, {"a-05"}}));

  // 0 is the default page size; a size above the cap is read as the cap.
  for (int page_size : {0, 1'000'000}) {
    request.set_page_size(page_size);
    request.clear_page_token();
    v1::ListResponse response;
    ASSERT_TRUE(List(request, &response).ok());
    EXPECT_EQ(response.records_size(), 5);
    EXPECT_TRUE(response.next_page_token().empty());
  }
}

// Issue 22: a page token is opaque and bound to its listing; one the node
// did not give, or gave for another prefix, is refused and names the field.
TEST_F(RecordServiceTest, RefusesAPageTokenItDidNotGive) {
  for (const char* key : {"a-01", "a-02", "a-03", "b-01"}) MustPut(Put(key));
  v1::ListRequest request;
  request.set_collection(kRequests);
  request.set_key_prefix("a-");
  request.set_page_size(1);
  v1::ListResponse first;
  ASSERT_TRUE(List(request, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());

  v1::ListRequest other_prefix = request;
  other_prefix.set_key_prefix("b-");
  other_prefix.set_page_token(first.next_page_token());
  std::vector<v1::ListRequest> bad = {other_prefix};
  for (const char* token : {"a-01", "not a token", "AAAA"}) {
    bad.push_back(request);
    bad.back().set_page_token(token);
  }
  for (const v1::ListRequest& refused : bad) {
    v1::ListResponse response;
    const grpc::Status status = List(refused, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.page_token();
    EXPECT_THAT(status.error_message(), HasSubstr("ListRequest.page_token"));
  }
}

// Issue 22: text that is not UTF-8 came back as INTERNAL with no message.
// A C++ client sends such bytes as they are (libprotobuf only logs); the
// node names the field, and nothing is written.
TEST_F(RecordServiceTest, TextThatIsNotUtf8IsRefusedNamingTheField) {
  google::protobuf::LogSilencer quiet;  // the client's own serializing complaint
  const uint64_t counter = store_->progress().counter;
  const grpc::Status value = Call(Put("r1").Assign("title", Text("\xff\xfe")));
  EXPECT_EQ(value.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(value.error_message(),
            "PutRequest.ops[0].assign.text is not valid UTF-8 text (every string of the API "
            "must be)");
  const grpc::Status key = Call(Put("r\xc3"));
  EXPECT_THAT(key.error_message(), HasSubstr("PutRequest.key is not valid UTF-8"));
  const grpc::Status element = Call(Put("r1").Add("tags", {"ok", "\xed\xa0\x80"}));
  EXPECT_THAT(element.error_message(), HasSubstr("PutRequest.ops[0].add.values[1].text"));
  EXPECT_EQ(store_->progress().counter, counter);
  v1::ListRequest list;
  list.set_collection(kRequests);
  list.set_key_prefix("\xff");
  v1::ListResponse response;
  EXPECT_THAT(List(list, &response).error_message(),
              HasSubstr("ListRequest.key_prefix is not valid UTF-8"));
}

struct BadPut {
  std::string name;
  v1::PutRequest request;
  grpc::StatusCode code;
  std::string names;  // what the message must mention
};

// Bad input gets the right code and a message naming the problem, and writes
// nothing (§5: a write that fails takes no dot).
TEST_F(RecordServiceTest, BadPutsAreRefusedAndChangeNothing) {
  MustPut(Put("r1").Assign("title", Text("kept")));
  const v1::Record before = MustGet("r1");
  const uint64_t counter = store_->progress().counter;
  const uint64_t commits = notifier_.commits();

  std::vector<BadPut> cases;
  Put empty_collection("r1");
  empty_collection.request().clear_collection();
  cases.push_back({"empty collection", empty_collection.Assign("title", Text("x")),
                   grpc::StatusCode::INVALID_ARGUMENT, "PutRequest.collection"});
  cases.push_back({"empty key", Put("").Assign("title", Text("x")),
                   grpc::StatusCode::INVALID_ARGUMENT, "PutRequest.key"});
  Put unknown_collection("r1");
  unknown_collection.request().set_collection("nosuch");
  cases.push_back({"unknown collection", unknown_collection.Assign("title", Text("x")),
                   grpc::StatusCode::NOT_FOUND, "nosuch"});
  cases.push_back({"unknown field", Put("r1").Assign("colour", Text("red")),
                   grpc::StatusCode::INVALID_ARGUMENT, "colour"});
  cases.push_back({"wrong value type", Put("r1").Assign("title", Integer(7)),
                   grpc::StatusCode::INVALID_ARGUMENT, "title"});
  cases.push_back({"operation of another kind", Put("r1").Increment("title", 1),
                   grpc::StatusCode::INVALID_ARGUMENT, "title"});
  cases.push_back({"unknown status", Put("r1").SetStatus("status", "pending"),
                   grpc::StatusCode::INVALID_ARGUMENT, "pending"});
  cases.push_back(
      {"empty set add", Put("r1").Add("tags", {}), grpc::StatusCode::INVALID_ARGUMENT, "tags"});
  cases.push_back({"field twice", Put("r1").Increment("visits", 1).Increment("visits", 2),
                   grpc::StatusCode::INVALID_ARGUMENT, "visits"});
  cases.push_back({"new record without scope", Put("r2", std::nullopt).Assign("title", Text("x")),
                   grpc::StatusCode::INVALID_ARGUMENT, "scope"});
  cases.push_back({"empty scope", Put("r1", "").Assign("title", Text("x")),
                   grpc::StatusCode::INVALID_ARGUMENT, "scope"});
  cases.push_back({"scope of another village",
                   Put("r9", "gutian/fengpu/dongkeng").Assign("title", Text("x")),
                   grpc::StatusCode::PERMISSION_DENIED, "gutian/fengpu/dongkeng"});
  cases.push_back({"scope of the township above",
                   Put("r1", "gutian/fengpu").Assign("title", Text("x")),
                   grpc::StatusCode::PERMISSION_DENIED, "writes only in its own subtree"});
  cases.push_back({"nothing to do", Put("r1", std::nullopt), grpc::StatusCode::INVALID_ARGUMENT,
                   "does nothing"});
  cases.push_back({"key too long",
                   Put(std::string(store::kMaxKeyBytes + 1, 'k')).Assign("title", Text("x")),
                   grpc::StatusCode::INVALID_ARGUMENT, "1025 bytes"});
  Put no_value("r1");
  no_value.request().add_ops()->set_field("title");
  no_value.request().mutable_ops(0)->mutable_assign();
  cases.push_back({"value with nothing set", no_value, grpc::StatusCode::INVALID_ARGUMENT,
                   "ops[0] (field \"title\").assign"});
  Put no_operation("r1");
  no_operation.request().add_ops()->set_field("title");
  cases.push_back({"operation with nothing set", no_operation, grpc::StatusCode::INVALID_ARGUMENT,
                   "ops[0] (field \"title\")"});
  Put no_field("r1");
  *no_field.request().add_ops()->mutable_assign() = Text("x");
  cases.push_back(
      {"operation without field", no_field, grpc::StatusCode::INVALID_ARGUMENT, "ops[0].field"});

  for (const BadPut& bad : cases) {
    const grpc::Status status = Call(bad.request);
    EXPECT_EQ(status.error_code(), bad.code) << bad.name << ": " << status.error_message();
    EXPECT_NE(status.error_message().find(bad.names), std::string::npos)
        << bad.name << ": \"" << status.error_message() << "\" does not name " << bad.names;
  }
  EXPECT_EQ(store_->progress().counter, counter);
  EXPECT_EQ(notifier_.commits(), commits);
  EXPECT_TRUE(MessageDifferencer::Equals(MustGet("r1"), before));
  EXPECT_EQ(AllKeys(), std::vector<std::string>{"r1"});
}

TEST_F(RecordServiceTest, BadReadsAreRefused) {
  v1::Record record;
  EXPECT_EQ(Get("", &record).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Get("r1", &record, "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const grpc::Status unknown = Get("r1", &record, "nosuch");
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(unknown.error_message().find("nosuch"), std::string::npos);
  const grpc::Status missing = Get("never-written", &record);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(missing.error_message().find("never-written"), std::string::npos);

  v1::DeleteResponse deleted;
  EXPECT_EQ(Delete("never-written", &deleted).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Delete("", &deleted).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::ListRequest list;
  v1::ListResponse listed;
  EXPECT_EQ(List(list, &listed).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  list.set_collection("nosuch");
  EXPECT_EQ(List(list, &listed).error_code(), grpc::StatusCode::NOT_FOUND);
  list.set_collection(kRequests);
  list.set_page_size(-1);
  const grpc::Status negative = List(list, &listed);
  EXPECT_EQ(negative.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(negative.error_message().find("page_size"), std::string::npos);
  EXPECT_EQ(store_->progress().counter, 0u);
}

// A watch stream under one client context with a deadline, so that a missing
// event fails the test instead of hanging it.
class WatchCall {
 public:
  WatchCall(v1::RecordService::Stub& stub, const v1::WatchRequest& request) {
    context_.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    reader_ = stub.Watch(&context_, request);
    // The server sends initial metadata once the starting point is fixed.
    reader_->WaitForInitialMetadata();
  }
  ~WatchCall() {
    if (!finished_) Cancel().IgnoreError();
  }

  // The next event, or nullopt if the stream ended.
  std::optional<v1::WatchEvent> Next() {
    v1::WatchEvent event;
    if (!reader_->Read(&event)) return std::nullopt;
    return event;
  }
  // The key of the next event ("<end>" if the stream ended).
  std::string NextKey() {
    std::optional<v1::WatchEvent> event = Next();
    if (event.has_value()) last_cursor_ = event->cursor();
    return event.has_value() ? event->key() : "<end>";
  }
  // Cancels and returns the status the stream ended with.
  grpc::Status Cancel() {
    context_.TryCancel();
    v1::WatchEvent event;
    while (reader_->Read(&event)) {
    }
    finished_ = true;
    return reader_->Finish();
  }
  const std::string& last_cursor() const { return last_cursor_; }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader_;
  std::string last_cursor_;
  bool finished_ = false;
};

v1::WatchRequest FromStart(const std::string& key_prefix = "") {
  v1::WatchRequest request;
  request.set_collection(kRequests);
  request.set_key_prefix(key_prefix);
  request.set_from_start(true);
  return request;
}

TEST_F(RecordServiceTest, WatchReplaysFromStartThenStreamsNewChanges) {
  MustPut(Put("r1").Assign("title", Text("one")));
  MustPut(Put("r2").Assign("title", Text("two")));
  MustPut(Put("r3").Assign("title", Text("three")));
  v1::DeleteResponse deleted;
  ASSERT_TRUE(Delete("r2", &deleted).ok());

  WatchCall watch(*stub_, FromStart());
  // In counter order: r2's newest change is its delete.
  std::optional<v1::WatchEvent> event = watch.Next();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->collection(), kRequests);
  EXPECT_EQ(event->key(), "r1");
  EXPECT_EQ(event->record().fields().at("title").lww().text(), "one");
  EXPECT_FALSE(event->cursor().empty());
  EXPECT_EQ(watch.NextKey(), "r3");
  event = watch.Next();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->key(), "r2");
  EXPECT_TRUE(event->record().deleted());

  // Changes committed after the watch started arrive, deletes included.
  MustPut(Put("r4").Assign("title", Text("四")));
  event = watch.Next();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->key(), "r4");
  EXPECT_EQ(event->record().fields().at("title").lww().text(), "四");
  ASSERT_TRUE(Delete("r1", &deleted).ok());
  event = watch.Next();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->key(), "r1");
  EXPECT_TRUE(event->record().deleted());
}

TEST_F(RecordServiceTest, WatchFiltersByCollectionAndKeyPrefix) {
  MustPut(Put("a-1").Assign("title", Text("a")));
  MustPut(Put("b-1").Assign("title", Text("b")));
  WatchCall watch(*stub_, FromStart("a-"));
  EXPECT_EQ(watch.NextKey(), "a-1");
  MustPut(Put("b-2").Assign("title", Text("b")));
  MustPut(Put("a-2").Assign("title", Text("a")));
  EXPECT_EQ(watch.NextKey(), "a-2");
}

TEST_F(RecordServiceTest, WatchFromNowSendsOnlyLaterChanges) {
  MustPut(Put("old").Assign("title", Text("before the watch")));
  v1::WatchRequest request;
  WatchCall watch(*stub_, request);  // every collection, from now
  MustPut(Put("new").Assign("title", Text("after the watch")));
  EXPECT_EQ(watch.NextKey(), "new");
}

TEST_F(RecordServiceTest, WatchResumesFromCursorWithoutRepeats) {
  MustPut(Put("r1").Assign("title", Text("one")));
  MustPut(Put("r2").Assign("title", Text("two")));
  MustPut(Put("r3").Assign("title", Text("three")));
  std::string cursor;
  {
    WatchCall watch(*stub_, FromStart());
    EXPECT_EQ(watch.NextKey(), "r1");
    EXPECT_EQ(watch.NextKey(), "r2");
    EXPECT_EQ(watch.NextKey(), "r3");
    cursor = watch.last_cursor();
  }
  // While no watch runs: r2 changes, r4 is new; r1 and r3 stay as they were.
  MustPut(Put("r2", std::nullopt).Assign("title", Text("two, edited")));
  MustPut(Put("r4").Assign("title", Text("four")));

  v1::WatchRequest request;
  request.set_collection(kRequests);
  request.set_cursor(cursor);
  WatchCall resumed(*stub_, request);
  std::optional<v1::WatchEvent> event = resumed.Next();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->key(), "r2");
  EXPECT_EQ(event->record().fields().at("title").lww().text(), "two, edited");
  EXPECT_EQ(resumed.NextKey(), "r4");
  // The stream is ordered: if r1 or r3 came again, it would come before this.
  MustPut(Put("r5").Assign("title", Text("sentinel")));
  EXPECT_EQ(resumed.NextKey(), "r5");
}

// §3: a record touched by several origins new to the reader goes once, in
// the stream of the first of them.
TEST_F(RecordServiceTest, WatchSendsARecordOfSeveralOriginsOnce) {
  MustPut(Put("shared").Assign("title", Text("village")));
  const conflict::Origin township{"gutian/fengpu", 1};
  conflict::Change change;
  change.ops.push_back({"visits", conflict::Increment{1}});
  auto theirs = store_->Get(kRequests, "shared");
  ASSERT_TRUE(theirs.ok());
  auto written =
      theirs->Write(**schema_.Collection(kRequests), change, {township, 1}, {kStartMicros, 1});
  ASSERT_TRUE(written.ok()) << written.status();
  store::RemoteBatch batch;
  batch.items.push_back({kRequests, "shared", *written});
  batch.knowledge.Set(township, 1);
  ASSERT_TRUE(store_->ApplyRemote(batch).ok());
  notifier_.Notify();  // as a sync session does after its commit

  WatchCall watch(*stub_, FromStart());
  std::optional<v1::WatchEvent> event = watch.Next();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->key(), "shared");
  EXPECT_EQ(event->record().version_size(), 2);
  MustPut(Put("sentinel").Assign("title", Text("next")));
  EXPECT_EQ(watch.NextKey(), "sentinel");
}

// A change of another node that reaches this one after a later change of the
// same node (relayed out of counter order: the later one held beyond the
// knowledge, store.h RemoteBatch::held_dots) reaches a watch already past the
// later one, and nothing goes twice.
class WatchOutOfOrderTest : public RecordServiceTest {
 protected:
  // The township's change `counter`: a new record `key` in this node's scope,
  // applied as a sync session would, with the knowledge `known` of the
  // township; a change beyond it is held.
  void ApplyTownshipChange(const std::string& key, uint64_t counter, uint64_t known) {
    conflict::Change change;
    change.scope = kNode;
    change.ops.push_back({"title", conflict::Assign{conflict::Value(key)}});
    auto record = conflict::Record().Write(**schema_.Collection(kRequests), change,
                                           {township_, counter}, {kStartMicros, 1});
    ASSERT_TRUE(record.ok()) << record.status();
    store::RemoteBatch batch;
    batch.items.push_back({kRequests, key, *record});
    if (known > 0) batch.knowledge.Set(township_, known);
    if (counter > known) batch.held_dots.push_back({township_, counter});
    ASSERT_TRUE(store_->ApplyRemote(batch).ok());
    notifier_.Notify();  // as a sync session does after its commit
  }

  const conflict::Origin township_{"gutian/fengpu", 1};
};

TEST_F(WatchOutOfOrderTest, AWatchPastALaterChangeStillGetsTheEarlierOne) {
  ApplyTownshipChange("later", 50, 0);
  WatchCall watch(*stub_, FromStart());
  EXPECT_EQ(watch.NextKey(), "later");
  ApplyTownshipChange("earlier", 30, 30);
  EXPECT_EQ(watch.NextKey(), "earlier");
  // Ordered stream: "later" coming again would come before the sentinel.
  MustPut(Put("sentinel").Assign("title", Text("next")));
  EXPECT_EQ(watch.NextKey(), "sentinel");
}

TEST_F(WatchOutOfOrderTest, AWatchFromNowSkipsWhatIsHeldAndGetsWhatArrives) {
  ApplyTownshipChange("later", 50, 0);
  v1::WatchRequest request;
  WatchCall watch(*stub_, request);  // from now: "later" is already here
  ApplyTownshipChange("earlier", 30, 30);
  EXPECT_EQ(watch.NextKey(), "earlier");
  MustPut(Put("sentinel").Assign("title", Text("next")));
  EXPECT_EQ(watch.NextKey(), "sentinel");
}

// docs/SCHEMA.md: a record of a collection this node's schema lacks (a
// newer schema's, received from a peer) is stored and relayed; List and a
// watch of that collection show it as Get does, every field unknown.
class UnknownCollectionTest : public RecordServiceTest {
 protected:
  void ApplyRoadRepair(const std::string& key) {
    conflict::CollectionSchema repairs("road_repairs");
    ASSERT_TRUE(repairs.AddField("road", conflict::FieldSpec::Lww()).ok());
    conflict::Change change;
    change.scope = kNode;
    change.ops.push_back({"road", conflict::Assign{conflict::Value(std::string("村道"))}});
    auto record =
        conflict::Record().Write(repairs, change, {township_, ++counter_}, {kStartMicros, 1});
    ASSERT_TRUE(record.ok()) << record.status();
    store::RemoteBatch batch;
    batch.items.push_back({"road_repairs", key, *record});
    batch.knowledge.Set(township_, counter_);
    ASSERT_TRUE(store_->ApplyRemote(batch).ok());
    notifier_.Notify();
  }

  static void ExpectUnknownRoad(const v1::Record& record) {
    EXPECT_TRUE(record.fields().empty());
    ASSERT_EQ(record.unknown_fields_size(), 1);
    EXPECT_EQ(record.unknown_fields(0).name(), "road");
    EXPECT_EQ(record.unknown_fields(0).reason(), v1::UnknownField::NOT_IN_SCHEMA);
    ASSERT_EQ(record.unknown_fields(0).values().values_size(), 1);
    EXPECT_EQ(record.unknown_fields(0).values().values(0).text(), "村道");
  }

  const conflict::Origin township_{"gutian/fengpu", 1};
  uint64_t counter_ = 0;
};

TEST_F(UnknownCollectionTest, ListShowsItsRecordsWithEveryFieldUnknown) {
  ApplyRoadRepair("repair-1");
  v1::ListRequest request;
  request.set_collection("road_repairs");
  v1::ListResponse response;
  const grpc::Status status = List(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.records_size(), 1);
  EXPECT_EQ(response.records(0).key(), "repair-1");
  ExpectUnknownRoad(response.records(0));
  v1::Record got;
  ASSERT_TRUE(Get("repair-1", &got, "road_repairs").ok());
  EXPECT_TRUE(MessageDifferencer::Equals(got, response.records(0))) << got.DebugString();
}

TEST_F(UnknownCollectionTest, ANamedWatchStreamsItsRecordsWithEveryFieldUnknown) {
  ApplyRoadRepair("repair-1");
  v1::WatchRequest request;
  request.set_collection("road_repairs");
  request.set_from_start(true);
  WatchCall watch(*stub_, request);
  std::optional<v1::WatchEvent> event = watch.Next();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->key(), "repair-1");
  ExpectUnknownRoad(event->record());
  MustPut(Put("r1").Assign("title", Text("another collection")));
  ApplyRoadRepair("repair-2");
  EXPECT_EQ(watch.NextKey(), "repair-2");
}

// A name that is neither in the schema nor in the store is still refused,
// naming it, as a mistyped name most likely is.
TEST_F(UnknownCollectionTest, ACollectionNeitherInTheSchemaNorStoredIsNotFound) {
  ApplyRoadRepair("repair-1");
  v1::ListRequest request;
  request.set_collection("road_repair");
  v1::ListResponse response;
  const grpc::Status status = List(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("\"road_repair\""));
}

TEST_F(RecordServiceTest, CancelledWatchEnds) {
  MustPut(Put("r1").Assign("title", Text("one")));
  WatchCall watch(*stub_, FromStart());
  EXPECT_EQ(watch.NextKey(), "r1");
  EXPECT_EQ(watch.Cancel().error_code(), grpc::StatusCode::CANCELLED);

  // With no deadline, Shutdown waits for every call: it returns only if the
  // cancelled watch's handler returned.
  auto shutdown = std::async(std::launch::async, [this] { server_->Shutdown(); });
  EXPECT_EQ(shutdown.wait_for(kCallTimeout), std::future_status::ready);
}

TEST_F(RecordServiceTest, BadWatchesAreRefused) {
  v1::WatchRequest request;
  request.set_collection("nosuch");
  grpc::ClientContext unknown;
  SetDeadline(unknown);
  v1::WatchEvent event;
  auto reader = stub_->Watch(&unknown, request);
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);

  request.set_collection(kRequests);
  request.set_cursor("not a cursor \xff");
  grpc::ClientContext bad_cursor;
  SetDeadline(bad_cursor);
  reader = stub_->Watch(&bad_cursor, request);
  EXPECT_FALSE(reader->Read(&event));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("cursor"), std::string::npos) << status.error_message();

  conflict::VersionVector cursor;
  cursor.Set(store_->origin(), 1);
  request.set_cursor(EncodeCursor(cursor));
  request.set_from_start(true);
  grpc::ClientContext both;
  SetDeadline(both);
  reader = stub_->Watch(&both, request);
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace sanji::node
