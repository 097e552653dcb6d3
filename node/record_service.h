// RecordServiceImpl: the applications' gRPC API of a node (proto/api.proto,
// ARCHITECTURE.md §6). Handlers find the caller (node/call_authorizer.h),
// check the request's shape and that the caller may read or write each
// record it touches (List and Watch leave out what it may not read), call
// the store, convert with node/record_view.h and turn the absl::Status into
// a gRPC one once (node/grpc_status.h). After each successful Put or Delete the service
// calls CommitNotifier::Notify(), which wakes watches and sync sessions.
//
// Watch. The cursor is a version vector (per origin, the counter up to which
// the watch has passed that origin's changes), serialized (record_view.h,
// EncodeCursor). Each pass of a watch reads one store snapshot
// (Store::Snapshot): for every origin whose index frontier is above the
// cursor, in origin order, it streams the records whose dot for that origin
// is above the cursor, in counter order (StoreSnapshot::ChangesSince). A
// record that several origins new to the pass changed goes out once, in the
// stream of the first of them, as the sync engine does (ARCHITECTURE.md §3);
// the later streams skip it. After a pass the watch releases its snapshot,
// waits on the notifier for the next commit (waking every
// kWatchPollInterval to see whether the client cancelled), and makes another
// pass from the advanced cursor. The initial metadata goes out once the
// starting cursor is fixed, so a client knows when "from now" began.
//
// Per origin the cursor never passes the snapshot's knowledge: a change held
// beyond it (relayed out of order, store.h RemoteBatch::held_dots) may be
// followed by an earlier change of the same origin, which a later pass then
// finds. The watch remembers the index dots beyond its cursor it has looked
// at (as few as the store's knowledge cloud, dropped once the cursor covers
// them), so a live watch sends each change once; "from now" puts the dots
// held beyond the knowledge at the start there too.
//
// Each event's cursor is the pass's starting cursor with the origins already
// streamed raised to the snapshot's frontier (at most to its knowledge) and
// the current origin raised to the event's counter (the same). Resuming from
// it repeats nothing already passed but two cases: a record of several
// origins, sent in the stream of the first, comes again from the stream of a
// later one if the cursor was taken before that stream passed it; a change
// held beyond the knowledge comes again. So delivery is at-least-once, in
// counter order per origin. A deleted record is an event with
// record.deleted = true; a record evicted from this node (moved to another
// scope, Store::ApplyRemote) makes no event.
//
// A watch ends only when its client cancels it: shut a server down with a
// deadline (grpc::Server::Shutdown(deadline)), which cancels the calls left.
// Memory per watch is bounded: one snapshot, one ChangeIterator and one
// record at a time; a slow client holds the stream (and the snapshot) in
// ServerWriter::Write, which blocks under gRPC flow control.
//
// Requests are parsed by node/request_parse.h, not by gRPC: the service is
// registered by hand with handlers that take the request's bytes, so that a
// request with text that is not UTF-8 is refused as INVALID_ARGUMENT naming
// the field (gRPC's own parse says INTERNAL with no message). The methods'
// names and messages are those of api.proto's RecordService, so every stub
// and stock client calls it as generated.
//
// Thread-safety: thread-safe; gRPC calls the handlers from many threads. Each
// Watch occupies one server thread for its lifetime (synchronous API).
#ifndef SANJI_NODE_RECORD_SERVICE_H_
#define SANJI_NODE_RECORD_SERVICE_H_

#include <chrono>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "api.grpc.pb.h"
#include "api.pb.h"
#include "conflict/schema.h"
#include "conflict/schema_holder.h"
#include "grpcpp/grpcpp.h"
#include "node/call_authorizer.h"
#include "node/commit_notifier.h"
#include "store/store.h"

namespace sanji::node {

// How often a waiting watch checks whether its client went away: the
// synchronous API has no cancellation callback, so this bounds how long a
// cancelled watch holds its server thread.
inline constexpr std::chrono::milliseconds kWatchPollInterval{100};

// The largest ListRequest.page_size honoured; larger ones are read as this.
inline constexpr int kMaxListPageSize = 1000;

class RecordServiceImpl final : public grpc::Service {
 public:
  // A List page ends early, with a page token, once its records add up to
  // `max_page_bytes` (it holds at least one record): a page of large records
  // must fit in one gRPC message (node: max_message_bytes / 2).
  // REQUIRES: `store`, `schema` (the store's schema), `notifier` and
  // `authorizer` are non-null and outlive the service and every server it is
  // registered with.
  RecordServiceImpl(store::Store* store, conflict::SchemaSource schema, CommitNotifier* notifier,
                    CallAuthorizer* authorizer, size_t max_page_bytes);

  // Status codes: api.proto, at its top. A Watch returns only when the
  // client cancels (CANCELLED), the stream breaks, or the store fails (its
  // code); see the file comment.

 private:
  // Registers the unary method `path` (e.g. "/sanji.v1.RecordService/Put"):
  // admits the caller for `operation`, parses the request and calls `run`.
  template <typename Request, typename Response, typename Run>
  void AddUnary(const char* path, authz::Operation operation, Run run);
  void AddWatch(const char* path);
  // The caller of `context`, admitted for `operation`, with `request`
  // parsed from `bytes`. Errors: the authorizer's, then ParseRequest's.
  absl::StatusOr<authz::Identity> Admit(grpc::ServerContext& context, authz::Operation operation,
                                        const grpc::ByteBuffer& bytes,
                                        google::protobuf::Message& request);

  absl::Status DoPut(const authz::Identity& caller, const v1::PutRequest& request,
                     v1::PutResponse& response);
  absl::Status DoGet(const authz::Identity& caller, const v1::GetRequest& request,
                     v1::Record& response) const;
  absl::Status DoDelete(const authz::Identity& caller, const v1::DeleteRequest& request,
                        v1::DeleteResponse& response);
  // Whether `caller` may write collection/key where it is stored and, for a
  // move, at `new_scope` (authz/authorization.h: the caller's subtree, and
  // this node's, whose parent would refuse anything else at sync; refusing
  // it here tells the application at once). PermissionDenied naming the
  // caller and the scope; also for Sanji's own collections ('@', such as
  // @status), which the node alone writes.
  absl::Status CheckWrite(const authz::Identity& caller, authz::Operation operation,
                          absl::string_view collection, absl::string_view key,
                          const std::optional<std::string>& new_scope) const;
  // `refused`, CheckWrite's PermissionDenied of a Put, or OK with
  // `change.answer` set when the Put is an answer of the caller's own
  // (authz/answer.h) to a live record of `collection` the caller may read.
  // The refusal stands, with the answer rule's reason, when the collection
  // has answer fields and the Put is not such an answer.
  absl::Status TakeAsAnswer(const authz::Identity& caller,
                            const conflict::CollectionSchema& collection, absl::string_view key,
                            absl::Status refused, conflict::Change& change) const;
  // Leaves out the records `caller` may not read.
  absl::Status DoList(const authz::Identity& caller, const v1::ListRequest& request,
                      v1::ListResponse& response) const;
  absl::Status DoWatch(grpc::ServerContext& context, const authz::Identity& caller,
                       const v1::WatchRequest& request, grpc::ServerWriter<v1::WatchEvent>& writer);
  // Waits for a commit beyond `seen` and returns the count then, or nullopt
  // once the client has cancelled.
  std::optional<uint64_t> WaitForCommit(grpc::ServerContext& context, uint64_t seen);

  store::Store* const store_;
  const conflict::SchemaSource schema_;
  CommitNotifier* const notifier_;
  CallAuthorizer* const authorizer_;
  const size_t max_page_bytes_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_RECORD_SERVICE_H_
