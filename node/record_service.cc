#include "node/record_service.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "authz/answer.h"
#include "authz/scope_path.h"
#include "conflict/status_macros.h"
#include "node/grpc_status.h"
#include "node/record_view.h"
#include "node/request_parse.h"

namespace sanji::node {

namespace {

// Errors: InvalidArgument naming the request field, e.g. "PutRequest.key".
absl::Status CheckNotEmpty(absl::string_view request_field, const std::string& value) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(request_field, " is empty"));
}

template <typename Response>
void WriteResultToApi(const conflict::CollectionSchema& collection, absl::string_view key,
                      const store::WriteResult& result, Response& response) {
  RecordToApi(collection, collection.name(), key, result.record, response.mutable_record());
  DotToApi(result.dot, response.mutable_change());
  TimestampToApi(result.timestamp, response.mutable_timestamp());
}

// The origin whose stream sends `record` in a pass that started at `start`:
// the first origin, in origin order, whose dot of the record is above it.
// Every dot of a record is indexed, so that origin's stream holds the record.
const conflict::Origin* StreamOf(const conflict::Record& record,
                                 const conflict::VersionVector& start) {
  for (const auto& [origin, counter] : record.context().entries()) {
    if (counter > start.Get(origin)) return &origin;
  }
  return nullptr;
}

// One watch: its filter, its cursor and its passes over store snapshots
// (the file comment of record_service.h).
class WatchStream {
 public:
  // `visible`: whether the watch's caller may read a record of a scope.
  WatchStream(conflict::SchemaSource schema, const v1::WatchRequest& request,
              std::function<bool(absl::string_view scope)> visible, conflict::VersionVector cursor,
              grpc::ServerWriter<v1::WatchEvent>& writer)
      : schema_(schema),
        request_(request),
        visible_(std::move(visible)),
        cursor_(std::move(cursor)),
        writer_(writer) {}

  // Starts from `snapshot`: nothing it holds will be sent. Errors: the
  // snapshot's read error.
  absl::Status StartAfter(const store::StoreSnapshot& snapshot) {
    SANJI_RETURN_IF_ERROR(snapshot.status());
    const conflict::VersionVector knowledge = snapshot.Knowledge();
    const conflict::VersionVector frontier = snapshot.IndexFrontier();
    for (const auto& [origin, top] : frontier.entries()) {
      const uint64_t known = knowledge.Get(origin);
      cursor_.Set(origin, std::min(top, known));
      if (top <= known) continue;
      // Only their counters matter: read heads, not whole records.
      std::unique_ptr<store::ChangeIterator> held =
          snapshot.ChangesSince(origin, known, store::ChangeIterator::Decode::kHead);
      for (; held->Valid(); held->Next()) seen_beyond_.insert({origin, held->counter()});
      SANJI_RETURN_IF_ERROR(held->status());
    }
    return absl::OkStatus();
  }

  // Sends every matching change of `snapshot` above the cursor and advances
  // the cursor past the snapshot, per origin up to the snapshot's knowledge.
  // Errors: the snapshot's read error; Cancelled when the client is gone.
  absl::Status Pass(const store::StoreSnapshot& snapshot) {
    SANJI_RETURN_IF_ERROR(snapshot.status());
    const conflict::VersionVector start = cursor_;
    const conflict::VersionVector knowledge = snapshot.Knowledge();
    const conflict::VersionVector frontier = snapshot.IndexFrontier();
    for (const auto& [origin, top] : frontier.entries()) {
      if (top <= start.Get(origin)) continue;
      SANJI_RETURN_IF_ERROR(StreamOrigin(snapshot, origin, start, knowledge.Get(origin)));
      Advance(origin, std::min(top, knowledge.Get(origin)));
    }
    absl::erase_if(seen_beyond_, [&](const conflict::Dot& dot) { return cursor_.Covers(dot); });
    return absl::OkStatus();
  }

 private:
  absl::Status StreamOrigin(const store::StoreSnapshot& snapshot, const conflict::Origin& origin,
                            const conflict::VersionVector& start, uint64_t known) {
    std::unique_ptr<store::ChangeIterator> changes =
        snapshot.ChangesSince(origin, start.Get(origin));
    for (; changes->Valid(); changes->Next()) {
      const uint64_t counter = changes->counter();
      Advance(origin, std::min(counter, known));
      // Beyond the knowledge the cursor stays behind (a lower counter of the
      // origin may still arrive), so each change there is looked at once.
      if (counter > known && !seen_beyond_.insert({origin, counter}).second) continue;
      if (!Matches(*changes)) continue;
      // Sent already in the stream of an earlier origin of this pass. Never
      // null: this origin's dot of the record is above `start`.
      if (*StreamOf(changes->record(), start) != origin) continue;
      SANJI_RETURN_IF_ERROR(Send(*changes));
    }
    return changes->status();
  }

  void Advance(const conflict::Origin& origin, uint64_t counter) {
    if (counter > cursor_.Get(origin)) cursor_.Set(origin, counter);
  }

  bool Matches(const store::ChangeIterator& change) const {
    if (!request_.collection().empty() && change.collection() != request_.collection()) {
      return false;
    }
    if (!absl::StartsWith(change.key(), request_.key_prefix())) return false;
    return visible_(change.record().scope().value_or(""));
  }

  absl::Status Send(const store::ChangeIterator& change) {
    // A collection the schema does not name (a newer schema's) is watched
    // too: its records arrive and are relayed, every field unknown here.
    const conflict::CollectionSchema& collection =
        schema_->CollectionOrUnknown(change.collection());
    v1::WatchEvent event;
    event.set_collection(change.collection());
    event.set_key(change.key());
    RecordToApi(collection, change.collection(), change.key(), change.record(),
                event.mutable_record());
    event.set_cursor(EncodeCursor(cursor_));
    if (!writer_.Write(event)) return absl::CancelledError("the watch's client went away");
    return absl::OkStatus();
  }

  // Read at each event: a watch goes on across a schema adoption.
  const conflict::SchemaSource schema_;
  const v1::WatchRequest& request_;
  const std::function<bool(absl::string_view scope)> visible_;
  conflict::VersionVector cursor_;
  // The index dots above the cursor this watch has looked at: changes held
  // beyond the knowledge of the snapshot it looked in. As few as the store's
  // knowledge cloud; dropped once the cursor covers them.
  absl::btree_set<conflict::Dot> seen_beyond_;
  grpc::ServerWriter<v1::WatchEvent>& writer_;
};

// A collection the schema does not name is read too, every field unknown,
// when the store holds records of it (a newer schema's, kept and relayed);
// one with no record here is most likely a mistyped name, refused naming it.
absl::Status CheckReadable(const conflict::SchemaSource& schema, const store::Store& store,
                           absl::string_view collection) {
  if (schema->Collection(collection).ok()) return absl::OkStatus();
  SANJI_ASSIGN_OR_RETURN(store::ListPage page, store.List(collection, "", "", 1));
  if (!page.entries.empty() || !page.next_page_token.empty()) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("no collection \"", collection,
                                          "\" in this node's schema, and no record of it here"));
}

}  // namespace

RecordServiceImpl::RecordServiceImpl(store::Store* store, conflict::SchemaSource schema,
                                     CommitNotifier* notifier, CallAuthorizer* authorizer,
                                     size_t max_page_bytes)
    : store_(store),
      schema_(schema),
      notifier_(notifier),
      authorizer_(authorizer),
      max_page_bytes_(max_page_bytes) {
  // In api.proto's order, under its names: the generated stubs call these.
  AddUnary<v1::PutRequest, v1::PutResponse>("/sanji.v1.RecordService/Put", authz::Operation::kPut,
                                            &RecordServiceImpl::DoPut);
  AddUnary<v1::GetRequest, v1::Record>("/sanji.v1.RecordService/Get", authz::Operation::kGet,
                                       &RecordServiceImpl::DoGet);
  AddUnary<v1::DeleteRequest, v1::DeleteResponse>(
      "/sanji.v1.RecordService/Delete", authz::Operation::kDelete, &RecordServiceImpl::DoDelete);
  AddUnary<v1::ListRequest, v1::ListResponse>("/sanji.v1.RecordService/List",
                                              authz::Operation::kList, &RecordServiceImpl::DoList);
  AddWatch("/sanji.v1.RecordService/Watch");
}

absl::StatusOr<authz::Identity> RecordServiceImpl::Admit(grpc::ServerContext& context,
                                                         authz::Operation operation,
                                                         const grpc::ByteBuffer& bytes,
                                                         google::protobuf::Message& request) {
  SANJI_ASSIGN_OR_RETURN(authz::Identity caller, authorizer_->Admit(context, operation));
  SANJI_RETURN_IF_ERROR(ParseRequest(bytes, request));
  return caller;
}

template <typename Request, typename Response, typename Run>
void RecordServiceImpl::AddUnary(const char* path, authz::Operation operation, Run run) {
  AddMethod(new grpc::internal::RpcServiceMethod(
      path, grpc::internal::RpcMethod::NORMAL_RPC,
      new grpc::internal::RpcMethodHandler<RecordServiceImpl, grpc::ByteBuffer, Response,
                                           grpc::ByteBuffer, grpc::protobuf::MessageLite>(
          [operation, run](RecordServiceImpl* service, grpc::ServerContext* context,
                           const grpc::ByteBuffer* bytes, Response* response) {
            Request request;
            absl::StatusOr<authz::Identity> caller =
                service->Admit(*context, operation, *bytes, request);
            if (!caller.ok()) return ToGrpcStatus(caller.status());
            return ToGrpcStatus((service->*run)(*caller, request, *response));
          },
          this)));
}

void RecordServiceImpl::AddWatch(const char* path) {
  AddMethod(new grpc::internal::RpcServiceMethod(
      path, grpc::internal::RpcMethod::SERVER_STREAMING,
      new grpc::internal::ServerStreamingHandler<RecordServiceImpl, grpc::ByteBuffer,
                                                 v1::WatchEvent>(
          [](RecordServiceImpl* service, grpc::ServerContext* context,
             const grpc::ByteBuffer* bytes, grpc::ServerWriter<v1::WatchEvent>* writer) {
            v1::WatchRequest request;
            absl::StatusOr<authz::Identity> caller =
                service->Admit(*context, authz::Operation::kWatch, *bytes, request);
            if (!caller.ok()) return ToGrpcStatus(caller.status());
            return ToGrpcStatus(service->DoWatch(*context, *caller, request, *writer));
          },
          this)));
}

absl::Status RecordServiceImpl::DoPut(const authz::Identity& caller, const v1::PutRequest& request,
                                      v1::PutResponse& response) {
  SANJI_RETURN_IF_ERROR(CheckNotEmpty("PutRequest.collection", request.collection()));
  SANJI_RETURN_IF_ERROR(CheckNotEmpty("PutRequest.key", request.key()));
  if (request.has_scope()) {
    SANJI_RETURN_IF_ERROR(authz::ValidateScopePath(request.scope(), "PutRequest.scope"));
  }
  SANJI_ASSIGN_OR_RETURN(const conflict::CollectionSchema* collection,
                         schema_->Collection(request.collection()));
  SANJI_ASSIGN_OR_RETURN(conflict::Change change, ChangeFromApi(request));
  collection->UseStoredNames(change);
  change.author = caller.Uri();
  absl::Status allowed =
      CheckWrite(caller, authz::Operation::kPut, request.collection(), request.key(), change.scope);
  if (absl::IsPermissionDenied(allowed)) {
    allowed = TakeAsAnswer(caller, *collection, request.key(), std::move(allowed), change);
  }
  SANJI_RETURN_IF_ERROR(allowed);
  SANJI_ASSIGN_OR_RETURN(store::WriteResult result,
                         store_->Write(request.collection(), request.key(), change));
  notifier_->Notify();
  WriteResultToApi(*collection, request.key(), result, response);
  return absl::OkStatus();
}

absl::Status RecordServiceImpl::DoGet(const authz::Identity& caller, const v1::GetRequest& request,
                                      v1::Record& response) const {
  SANJI_RETURN_IF_ERROR(CheckNotEmpty("GetRequest.collection", request.collection()));
  SANJI_RETURN_IF_ERROR(CheckNotEmpty("GetRequest.key", request.key()));
  // A collection the schema does not name is read too, every field unknown:
  // this node may hold and relay a newer schema's records.
  const conflict::CollectionSchema& collection = schema_->CollectionOrUnknown(request.collection());
  absl::StatusOr<conflict::Record> record = store_->Get(request.collection(), request.key());
  if (absl::IsNotFound(record.status()) && !schema_->Collection(request.collection()).ok()) {
    return absl::NotFoundError(absl::StrCat("no collection \"", request.collection(),
                                            "\" in this node's schema, and no record ",
                                            request.key(), " of it here"));
  }
  if (!record.ok()) return record.status();
  SANJI_RETURN_IF_ERROR(
      authorizer_->Check(caller, authz::Operation::kGet, record->scope().value_or("")));
  RecordToApi(collection, request.collection(), request.key(), *record, &response);
  if (request.history()) ChangesToApi(*record, &response);
  return absl::OkStatus();
}

absl::Status RecordServiceImpl::DoDelete(const authz::Identity& caller,
                                         const v1::DeleteRequest& request,
                                         v1::DeleteResponse& response) {
  SANJI_RETURN_IF_ERROR(CheckNotEmpty("DeleteRequest.collection", request.collection()));
  SANJI_RETURN_IF_ERROR(CheckNotEmpty("DeleteRequest.key", request.key()));
  SANJI_ASSIGN_OR_RETURN(const conflict::CollectionSchema* collection,
                         schema_->Collection(request.collection()));
  SANJI_RETURN_IF_ERROR(CheckWrite(caller, authz::Operation::kDelete, request.collection(),
                                   request.key(), std::nullopt));
  SANJI_ASSIGN_OR_RETURN(store::WriteResult result,
                         store_->Delete(request.collection(), request.key(), caller.Uri()));
  notifier_->Notify();
  WriteResultToApi(*collection, request.key(), result, response);
  return absl::OkStatus();
}

absl::Status RecordServiceImpl::CheckWrite(const authz::Identity& caller,
                                           authz::Operation operation, absl::string_view collection,
                                           absl::string_view key,
                                           const std::optional<std::string>& new_scope) const {
  if (absl::StartsWith(collection, "@")) {
    return absl::PermissionDeniedError(
        absl::StrCat(collection, "/", key, " is in one of Sanji's own collections ('@'), which ",
                     "only the node writes"));
  }
  if (new_scope.has_value()) {
    SANJI_RETURN_IF_ERROR(authorizer_->Check(caller, operation, *new_scope));
  }
  absl::StatusOr<conflict::Record> stored = store_->Get(collection, key);
  if (!stored.ok()) {
    // A record never written is created here (its scope is checked above);
    // anything else is the store's error.
    return stored.status().code() == absl::StatusCode::kNotFound ? absl::OkStatus()
                                                                 : stored.status();
  }
  const std::optional<std::string> scope = stored->scope();
  if (!scope.has_value()) return absl::OkStatus();
  return authorizer_->Check(caller, operation, *scope);
}

absl::Status RecordServiceImpl::TakeAsAnswer(const authz::Identity& caller,
                                             const conflict::CollectionSchema& collection,
                                             absl::string_view key, absl::Status refused,
                                             conflict::Change& change) const {
  if (!authz::HasAnswerFields(collection)) return refused;
  absl::StatusOr<conflict::Record> stored = store_->Get(collection.name(), key);
  // The record is there, alive and readable (else the refusal says no more
  // than it did: a caller learns nothing of a record it may not read).
  if (!stored.ok() || !stored->alive() ||
      !authorizer_->Check(caller, authz::Operation::kGet, stored->scope().value_or("")).ok()) {
    return refused;
  }
  absl::Status answer =
      authz::CheckAnswer(change, collection, caller.scope, store_->origin().node_id.str());
  if (!answer.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat(refused.message(), "; nor is it an answer: ", answer.message()));
  }
  change.answer = true;
  return absl::OkStatus();
}

absl::Status RecordServiceImpl::DoList(const authz::Identity& caller,
                                       const v1::ListRequest& request,
                                       v1::ListResponse& response) const {
  SANJI_RETURN_IF_ERROR(CheckNotEmpty("ListRequest.collection", request.collection()));
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("ListRequest.page_size is ", request.page_size(),
                                                   "; it must be 0 (the default) or more"));
  }
  SANJI_RETURN_IF_ERROR(CheckReadable(schema_, *store_, request.collection()));
  const conflict::CollectionSchema& collection = schema_->CollectionOrUnknown(request.collection());
  const size_t limit = static_cast<size_t>(std::min(request.page_size(), kMaxListPageSize));
  std::string after_key;
  if (!request.page_token().empty()) {
    SANJI_ASSIGN_OR_RETURN(after_key, DecodePageToken(request.page_token(), request.collection(),
                                                      request.key_prefix()));
  }
  SANJI_ASSIGN_OR_RETURN(
      store::ListPage page,
      store_->List(request.collection(), request.key_prefix(), after_key, limit));
  const auto next_page_after = [&](absl::string_view last_key) {
    response.set_next_page_token(
        EncodePageToken(request.collection(), request.key_prefix(), last_key));
  };
  size_t page_bytes = 0;
  for (const store::ListEntry& entry : page.entries) {
    if (!response.records().empty() && page_bytes >= max_page_bytes_) {
      // Full: the next page starts after the last record sent.
      next_page_after(response.records().rbegin()->key());
      return absl::OkStatus();
    }
    if (!authorizer_->Visible(caller, entry.record.scope().value_or(""))) continue;
    v1::Record* record = response.add_records();
    RecordToApi(collection, request.collection(), entry.key, entry.record, record);
    page_bytes += record->ByteSizeLong();
  }
  if (!page.next_page_token.empty()) next_page_after(page.next_page_token);
  return absl::OkStatus();
}

absl::Status RecordServiceImpl::DoWatch(grpc::ServerContext& context, const authz::Identity& caller,
                                        const v1::WatchRequest& request,
                                        grpc::ServerWriter<v1::WatchEvent>& writer) {
  if (!request.collection().empty()) {
    SANJI_RETURN_IF_ERROR(CheckReadable(schema_, *store_, request.collection()));
  }
  if (!request.cursor().empty() && request.from_start()) {
    return absl::InvalidArgumentError(
        "WatchRequest sets both cursor and from_start; a cursor already says where to start");
  }
  conflict::VersionVector cursor;
  if (!request.cursor().empty()) {
    SANJI_ASSIGN_OR_RETURN(cursor, DecodeCursor(request.cursor()));
  }
  // Read before each snapshot, so that a commit after the snapshot is waited
  // for rather than missed (commit_notifier.h).
  uint64_t seen = notifier_->commits();
  std::unique_ptr<store::StoreSnapshot> snapshot = store_->Snapshot();
  WatchStream stream(
      schema_, request,
      [this, &caller](absl::string_view scope) { return authorizer_->Visible(caller, scope); },
      std::move(cursor), writer);
  // "From now" is everything held at the first snapshot.
  if (request.cursor().empty() && !request.from_start()) {
    SANJI_RETURN_IF_ERROR(stream.StartAfter(*snapshot));
  }
  // Tells the client the starting point is fixed (api.proto, WatchRequest).
  writer.SendInitialMetadata();
  while (true) {
    SANJI_RETURN_IF_ERROR(stream.Pass(*snapshot));
    // Not held while idle: a store reopen after a write error waits for it.
    snapshot.reset();
    const std::optional<uint64_t> commits = WaitForCommit(context, seen);
    if (!commits.has_value()) return absl::CancelledError("the watch was cancelled");
    seen = *commits;
    snapshot = store_->Snapshot();
  }
}

std::optional<uint64_t> RecordServiceImpl::WaitForCommit(grpc::ServerContext& context,
                                                         uint64_t seen) {
  while (!context.IsCancelled()) {
    const uint64_t commits =
        notifier_->WaitBeyond(seen, std::chrono::steady_clock::now() + kWatchPollInterval);
    if (commits > seen) return commits;
  }
  return std::nullopt;
}

}  // namespace sanji::node
