// The test county of the integration tests: its node ids, a cluster whose
// harness failures fail the test, and the calls the tests make of it (put,
// get, status, links). Every wait is on a condition with a deadline.
//
// Thread-safety: as Cluster (one thread), except PutMany's own clients.
#ifndef SANJI_TESTS_INTEGRATION_TEST_COUNTY_H_
#define SANJI_TESTS_INTEGRATION_TEST_COUNTY_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "admin.pb.h"
#include "api.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/integration/cluster.h"

namespace sanji::integration {

inline constexpr char kCounty[] = "gutian";
inline constexpr char kFengpu[] = "gutian/fengpu";
inline constexpr char kXikou[] = "gutian/xikou";
inline constexpr char kXiaban[] = "gutian/fengpu/xiaban";
inline constexpr char kDongkeng[] = "gutian/fengpu/dongkeng";
inline constexpr char kShangcun[] = "gutian/xikou/shangcun";
inline constexpr char kXiacun[] = "gutian/xikou/xiacun";

// A cluster whose harness failures fail the test.
class TestCluster : public Cluster {
 public:
  TestCluster() : Cluster({.on_error = [](const std::string& error) { ADD_FAILURE() << error; }}) {}
};

// County, township fengpu with villages xiaban and dongkeng, and (when
// `both_townships`) township xikou with villages shangcun and xiacun. Each
// village's parents: its township, then the county.
void AddCounty(Cluster& cluster, bool both_townships);

// A request that puts the record in `scope` with this title.
v1::PutRequest TitlePut(const std::string& collection, const std::string& key,
                        const std::string& scope, const std::string& title);

// `put` at `node`, by the test operator.
grpc::Status PutAt(Cluster& cluster, const std::string& node, const v1::PutRequest& put);

// A put of the record with this title, by the test operator.
grpc::Status Put(Cluster& cluster, const std::string& node, const std::string& collection,
                 const std::string& key, const std::string& scope, const std::string& title);

// sanjictl `args` against `node`, as the operator with `tls` runs it.
CommandResult Ctl(Cluster& cluster, const v1::TlsConfig& tls, const std::string& node,
                  std::vector<std::string> args);

// Every service request `node` holds: key -> title.
std::map<std::string, std::string> ServiceRequests(Cluster& cluster, const std::string& node);

// The record as `node` reads it to an application, or the error of the Get.
absl::StatusOr<v1::Record> GetAt(Cluster& cluster, const std::string& node,
                                 const std::string& collection, const std::string& key);
absl::StatusOr<v1::Record> GetAt(Cluster& cluster, const std::string& node,
                                 const v1::GetRequest& request);

// The record's title, or the error of the Get.
absl::StatusOr<std::string> TitleAt(Cluster& cluster, const std::string& node,
                                    const std::string& collection, const std::string& key);

// The record is at `node` with this title.
bool HasTitle(Cluster& cluster, const std::string& node, const std::string& collection,
              const std::string& key, const std::string& title);

// `count` service requests at `node` in `scope`, keys "<prefix>-<i>", from
// eight concurrent clients (their writes share fsyncs in the store).
void PutMany(Cluster& cluster, const std::string& node, const std::string& scope,
             const std::string& prefix, int count);

// The highest counter `status`'s node knows of origin `node_id` (any
// incarnation).
uint64_t Knows(const v1::NodeStatus& status, const std::string& node_id);

// True once `node` knows every change `origin` made so far.
bool Caught(Cluster& cluster, const std::string& node, const std::string& origin);

// The node's link to its parent, or null (the root).
const v1::LinkStatus* ParentLink(const v1::NodeStatus& status);

// The node's parent link is live, to `parent`.
bool LiveTo(Cluster& cluster, const std::string& node, const std::string& parent);

// What each of the node's links finds apart between the node and its peer
// (the lag `sanjictl status` and the status record show): "" when every
// link knows its peer's knowledge and nothing is apart.
std::string Apart(Cluster& cluster, const std::string& node);

// Stops each node still running; each must exit with 0.
void StopAllCleanly(Cluster& cluster, const std::vector<std::string>& nodes);

}  // namespace sanji::integration

#endif  // SANJI_TESTS_INTEGRATION_TEST_COUNTY_H_
