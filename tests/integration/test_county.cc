#include "tests/integration/test_county.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "api.grpc.pb.h"
#include "node/status_schema.h"

namespace sanji::integration {

void AddCounty(Cluster& cluster, bool both_townships) {
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kFengpu, {kCounty}, false);
  cluster.AddNode(kXiaban, {kFengpu, kCounty}, true);
  cluster.AddNode(kDongkeng, {kFengpu, kCounty}, true);
  if (!both_townships) return;
  cluster.AddNode(kXikou, {kCounty}, false);
  cluster.AddNode(kShangcun, {kXikou, kCounty}, true);
  cluster.AddNode(kXiacun, {kXikou, kCounty}, true);
}

v1::PutRequest TitlePut(const std::string& collection, const std::string& key,
                        const std::string& scope, const std::string& title) {
  v1::PutRequest request;
  request.set_collection(collection);
  request.set_key(key);
  request.set_scope(scope);
  v1::FieldOperation* op = request.add_ops();
  op->set_field("title");
  op->mutable_assign()->set_text(title);
  return request;
}

grpc::Status PutAt(Cluster& cluster, const std::string& node, const v1::PutRequest& put) {
  grpc::ClientContext context;
  PrepareCall(context, std::chrono::seconds(10));
  v1::PutResponse response;
  return cluster.Records(node)->Put(&context, put, &response);
}

grpc::Status Put(Cluster& cluster, const std::string& node, const std::string& collection,
                 const std::string& key, const std::string& scope, const std::string& title) {
  return PutAt(cluster, node, TitlePut(collection, key, scope, title));
}

// sanjictl `args` against `node`, as the operator with `tls` runs it.
CommandResult Ctl(Cluster& cluster, const v1::TlsConfig& tls, const std::string& node,
                  std::vector<std::string> args) {
  args.insert(args.begin(), SANJICTL_PATH);
  for (const std::string& flag :
       {std::string("--endpoint"), cluster.address(node), std::string("--ca"), tls.ca_file(),
        std::string("--cert"), tls.cert_file(), std::string("--key"), tls.key_file()}) {
    args.push_back(flag);
  }
  return RunCommand(args);
}

// Every service request `node` holds: key -> title.
std::map<std::string, std::string> ServiceRequests(Cluster& cluster, const std::string& node) {
  std::map<std::string, std::string> titles;
  v1::ListRequest request;
  request.set_collection("service_requests");
  request.set_page_size(1000);
  do {
    grpc::ClientContext context;
    PrepareCall(context);
    v1::ListResponse page;
    const grpc::Status listed = cluster.Records(node)->List(&context, request, &page);
    EXPECT_TRUE(listed.ok()) << listed.error_message();
    if (!listed.ok()) break;
    for (const v1::Record& record : page.records()) {
      titles[record.key()] = record.fields().at("title").lww().text();
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return titles;
}

absl::StatusOr<v1::Record> GetAt(Cluster& cluster, const std::string& node,
                                 const std::string& collection, const std::string& key) {
  v1::GetRequest request;
  request.set_collection(collection);
  request.set_key(key);
  return GetAt(cluster, node, request);
}

absl::StatusOr<v1::Record> GetAt(Cluster& cluster, const std::string& node,
                                 const v1::GetRequest& request) {
  grpc::ClientContext context;
  PrepareCall(context, std::chrono::seconds(10));
  v1::Record record;
  const grpc::Status got = cluster.Records(node)->Get(&context, request, &record);
  if (!got.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(got.error_code()), got.error_message());
  }
  return record;
}

absl::StatusOr<std::string> TitleAt(Cluster& cluster, const std::string& node,
                                    const std::string& collection, const std::string& key) {
  absl::StatusOr<v1::Record> record = GetAt(cluster, node, collection, key);
  if (!record.ok()) return record.status();
  auto title = record->fields().find("title");
  if (title == record->fields().end()) return absl::NotFoundError("the record has no title");
  return title->second.lww().text();
}

bool HasTitle(Cluster& cluster, const std::string& node, const std::string& collection,
              const std::string& key, const std::string& title) {
  absl::StatusOr<std::string> found = TitleAt(cluster, node, collection, key);
  return found.ok() && *found == title;
}

void PutMany(Cluster& cluster, const std::string& node, const std::string& scope,
             const std::string& prefix, int count) {
  std::shared_ptr<grpc::Channel> channel = cluster.Channel(node);
  std::atomic<int> next{0}, failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      std::unique_ptr<v1::RecordService::Stub> stub = v1::RecordService::NewStub(channel);
      for (int i = next++; i < count; i = next++) {
        v1::PutRequest request;
        request.set_collection("service_requests");
        request.set_key(absl::StrCat(prefix, "-", i));
        request.set_scope(scope);
        v1::FieldOperation* op = request.add_ops();
        op->set_field("title");
        op->mutable_assign()->set_text(absl::StrCat("水管漏水 ", prefix, " 第", i, "号"));
        grpc::ClientContext context;
        PrepareCall(context, std::chrono::seconds(30));
        v1::PutResponse response;
        if (!stub->Put(&context, request, &response).ok()) ++failures;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  ASSERT_EQ(failures, 0) << "puts at " << node << " failed";
}

uint64_t Knows(const v1::NodeStatus& status, const std::string& node_id) {
  uint64_t counter = 0;
  for (const v1::VersionVector::Entry& entry : status.knowledge().entries()) {
    if (entry.origin().node_id() == node_id) counter = std::max(counter, entry.counter());
  }
  return counter;
}

bool Caught(Cluster& cluster, const std::string& node, const std::string& origin) {
  absl::StatusOr<v1::NodeStatus> at_origin = cluster.Status(origin);
  absl::StatusOr<v1::NodeStatus> at_node = cluster.Status(node);
  return at_origin.ok() && at_node.ok() && Knows(*at_node, origin) >= Knows(*at_origin, origin);
}

const v1::LinkStatus* ParentLink(const v1::NodeStatus& status) {
  for (const v1::LinkStatus& link : status.links()) {
    if (link.role() == v1::LinkStatus::PARENT) return &link;
  }
  return nullptr;
}

bool LiveTo(Cluster& cluster, const std::string& node, const std::string& parent) {
  absl::StatusOr<v1::NodeStatus> status = cluster.Status(node);
  if (!status.ok()) return false;
  const v1::LinkStatus* link = ParentLink(*status);
  return link != nullptr && link->peer() == parent && link->state() == v1::LinkStatus::LIVE;
}

std::string Apart(Cluster& cluster, const std::string& node) {
  absl::StatusOr<v1::NodeStatus> status = cluster.Status(node);
  if (!status.ok()) return status.status().ToString();
  if (status->links().empty()) return "no links";
  std::string apart;
  for (const v1::LinkStatus& link : status->links()) {
    if (!link.has_peer_knowledge()) {
      absl::StrAppend(&apart, link.peer(), ": knowledge unknown; ");
      continue;
    }
    const std::vector<node::OriginLag> lag =
        node::LagByOrigin(status->knowledge(), link.peer_knowledge());
    if (!lag.empty()) absl::StrAppend(&apart, link.peer(), ": ", node::LagText(lag), "; ");
  }
  return apart;
}

void StopAllCleanly(Cluster& cluster, const std::vector<std::string>& nodes) {
  for (const std::string& node : nodes) {
    if (cluster.Running(node)) {
      EXPECT_EQ(cluster.Stop(node), 0) << node << " did not exit cleanly:\n" << cluster.Log(node);
    }
  }
}

}  // namespace sanji::integration
