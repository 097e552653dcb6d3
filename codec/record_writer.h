// RecordWriter: writes a record's v1.RecordState wire bytes directly, without
// building the generated message first.
//
// Every record crosses every hop and is written to every store on the way, so
// encoding is on the hot path; building the message copies every string into
// it and walks it twice more (size, then bytes). This writer walks the record
// once to size it and once to write it. Its output is byte-for-byte what
// protoc's code would produce for EncodeRecord()'s message (fields in number
// order, proto3 defaults omitted, oneof members always written), which
// tests/codec checks over random records; the .proto stays the one schema.
//
// Thread-safety: pure functions.
#ifndef SANJI_CODEC_RECORD_WRITER_H_
#define SANJI_CODEC_RECORD_WRITER_H_

#include <string>

#include "conflict/record.h"

namespace sanji::codec {

// Appends the encoding of `record` to `out`.
void AppendRecordBytes(const conflict::Record& record, std::string& out);

}  // namespace sanji::codec

#endif  // SANJI_CODEC_RECORD_WRITER_H_
