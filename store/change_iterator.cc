#include "store/change_iterator.h"

#include "absl/strings/str_cat.h"
#include "conflict/status_macros.h"
#include "store/coding.h"
#include "store/files.h"
#include "store/key_layout.h"

namespace sanji::store {

ChangeIterator::ChangeIterator(absl::Status error) : status_(std::move(error)) {}

ChangeIterator::ChangeIterator(std::shared_ptr<const DbSnapshot> snapshot, conflict::Origin origin,
                               uint64_t after_counter, Decode decode)
    : snapshot_(std::move(snapshot)),
      origin_(std::move(origin)),
      prefix_(OriginIndexPrefix(origin_)),
      decode_(decode),
      read_options_(snapshot_->ReadOptions(/*fill_cache=*/false)),
      index_(snapshot_->db()->NewIterator(read_options_)) {
  if (after_counter == UINT64_MAX) {
    index_->Seek(PrefixSuccessor(prefix_));
  } else {
    index_->Seek(OriginIndexKey(origin_, after_counter + 1));
  }
  Load();
}

ChangeIterator::~ChangeIterator() = default;

void ChangeIterator::Next() {
  index_->Next();
  Load();
}

void ChangeIterator::Load() {
  valid_ = false;
  if (!index_->Valid()) {
    status_ = FromLevelDb(index_->status(), "reading the origin index");
    return;
  }
  const leveldb::Slice index_key = index_->key();
  if (!index_key.starts_with(prefix_)) return;  // past the origin: done
  conflict::Origin origin;
  const leveldb::Slice name = index_->value();
  if (!ParseOriginIndexKey(absl::string_view(index_key.data(), index_key.size()), &origin,
                           &counter_) ||
      !ParseRecordName(absl::string_view(name.data(), name.size()), &collection_, &key_)) {
    status_ =
        absl::DataLossError(absl::StrCat("malformed origin index entry for ", origin_.ToString()));
    return;
  }
  const std::string record_key = RecordKey(collection_, key_);
  leveldb::Status read = snapshot_->db()->Get(read_options_, record_key, &bytes_);
  if (!read.ok()) {
    status_ = FromLevelDb(read, absl::StrCat("reading record \"", collection_, "\"/\"", key_,
                                             "\" indexed at ", origin_.ToString(), ":", counter_));
    return;
  }
  absl::Status decoded = DecodeBytes();
  if (!decoded.ok()) {
    status_ = absl::DataLossError(
        absl::StrCat("record \"", collection_, "\"/\"", key_, "\": ", decoded.message()));
    return;
  }
  const uint64_t indexed =
      (decode_ == Decode::kRecord ? record_.context() : head_.context).Get(origin_);
  if (indexed != counter_) {
    status_ = absl::DataLossError(absl::StrCat("origin index entry ", origin_.ToString(), ":",
                                               counter_, " names record \"", collection_, "\"/\"",
                                               key_, "\" whose context has ", indexed));
    return;
  }
  valid_ = true;
}

absl::Status ChangeIterator::DecodeBytes() {
  if (decode_ == Decode::kHead) {
    SANJI_ASSIGN_OR_RETURN(head_, codec::ParseRecordHead(bytes_));
  } else {
    SANJI_ASSIGN_OR_RETURN(record_, codec::ParseRecord(bytes_));
  }
  return absl::OkStatus();
}

}  // namespace sanji::store
