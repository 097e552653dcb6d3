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
  // The origin's prefix is known: only the counter after it is read.
  absl::string_view counter_bytes(index_key.data() + prefix_.size(),
                                  index_key.size() - prefix_.size());
  const absl::string_view name(index_->value().data(), index_->value().size());
  if (!GetFixed64BigEndian(&counter_bytes, &counter_) || !counter_bytes.empty() ||
      !ParseRecordName(name, &collection_, &key_)) {
    status_ =
        absl::DataLossError(absl::StrCat("malformed origin index entry for ", origin_.ToString()));
    return;
  }
  RecordKeyOfName(name, &record_key_);
  leveldb::Status read = snapshot_->db()->Get(read_options_, record_key_, &bytes_);
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
