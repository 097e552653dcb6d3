// The store's on-disk layout, all of it, and its format version.
//
// A store is a directory (Options::path) holding:
//
//   SANJI      The descriptor, a small text file written once when the store is
//              created (before LevelDB), read before LevelDB is opened:
//                  sanji-store
//                  format_version <N>
//                  node_id <id>
//              Open() refuses a future format or another node's store from this
//              file alone, so a refusal never touches LevelDB (whose Open
//              rewrites its MANIFEST and log). The same facts are also kept
//              in the metadata key space, atomic with the data, and the two are
//              cross-checked after LevelDB opens.
//   IDENTITY   The identity token of this installation (hex, one line). It is
//              machine state, not data: see "Incarnations" below. Its path can
//              be moved out of the data directory (Options::identity_path).
//   leveldb/   The LevelDB database; every key starts with a one-byte tag that
//              names its key space:
//
//   0x01 metadata      0x01 <name>                         -> value (below)
//        "format_version"   fixed32 BE    kFormatVersion
//        "node_id"          raw bytes     the node id (also its scope path)
//        "incarnation"      fixed32 BE    the current incarnation (never 0)
//        "identity_token"   raw bytes     must equal the IDENTITY file
//        "hlc_last"         fixed64 BE physical micros, fixed32 BE logical:
//                           the greatest HLC timestamp issued or observed
//        "counter"          fixed64 BE    the last counter of the current
//                           origin (node_id, incarnation) handed out; 0 = none
//        "conflict_next"    fixed64 BE    the sequence the next conflict event
//                           gets (starts at 1)
//   0x02 records       0x02 esc(collection) esc(key)       -> codec::SerializeRecord
//        Sorted by collection, then key in bytewise order, so a collection and
//        a key prefix are one contiguous range (RecordRangePrefix).
//   0x03 origin index  0x03 esc(node_id) fixed32 BE incarnation
//                      fixed64 BE counter                  -> esc(collection) esc(key)
//        One entry for every entry (origin, counter) of every record's causal
//        context, i.e. for the latest dot of each origin that touched the
//        record. A dot names one change to one record, so the entry is unique.
//        When a record's counter for an origin moves, the old entry is deleted
//        in the same WriteBatch; when a record is evicted (RemoteBatch::
//        Eviction) its entries go with it. Sync streams "records whose dot for
//        origin o is above c, in counter order" as one range scan of this
//        space, and an origin's highest counter (StoreSnapshot::IndexFrontier)
//        is the last key of its run.
//   0x04 knowledge     0x04                                -> v1::VersionVector
//        The node's knowledge (ARCHITECTURE.md §3), one key.
//   0x05 conflict log  0x05 fixed64 BE sequence            -> EncodeConflictLogEntry
//        Conflict events in the order they were recorded.
//   0x06 conflict resolutions  0x06 fixed64 BE sequence    -> EncodeConflictResolution
//        One key per conflict event marked resolved (Store::ResolveConflict),
//        apart from the event so the log entries stay write-once. Added in
//        format version 1 before any release: a store without it simply has
//        no resolved events.
//   0x07 departures    0x07 esc(collection) esc(key)       -> ""
//        Records that left this node's filter (a move-out, RemoteBatch::
//        Eviction) while this node held changes the move-out lacked, so they
//        were kept: sync pushes them to the parent and evicts them once the
//        parent has them (replication/DESIGN.md, "Move-outs"). The key goes
//        when the record is evicted. Added in format version 1 before any
//        release, like 0x06.
//   0x08 knowledge cloud  0x08 esc(node_id) fixed32 BE incarnation fixed64 BE counter -> ""
//        Dots of records this node holds beyond its knowledge (a record that
//        came in the stream of one origin also carries a dot of another
//        origin whose watermark has not arrived yet). Sync announces them, so
//        a resumed session does not send those records again
//        (replication/DESIGN.md, "Resume"). A key goes once the knowledge
//        covers its dot. Added in format version 1 before any release.
//
// esc() is the escaped, terminated string encoding of store/coding.h, so every
// key is unambiguous and sorts in the natural order of its parts.
//
// Incarnations. A new incarnation starts when the store is created and when
// the identity token in the metadata does not match the IDENTITY file (the file
// is missing or holds another token): the LevelDB data was copied or restored
// without the file that belongs to the installation that wrote it, so this
// installation may be behind counters the original already handed out. The new
// incarnation number is drawn from the new token (random when node/ injects
// random bytes), never 0 and never the previous one, rather than previous + 1:
// a box re-imaged with the same id starts from an empty store that does not
// know the old number, and a counter must not be reused under either.
// A backup (Store::Backup) carries an empty identity token, which no IDENTITY
// file matches: a restored copy always starts a new incarnation.
// The new incarnation, token and counter 0 commit in one synced WriteBatch
// before IDENTITY is rewritten; a crash between the two starts yet another
// incarnation on the next open, which wastes a number and loses nothing.
//
// Format versions. kFormatVersion is the version this code writes. A store
// with a greater version is refused ("written by a newer Sanji"); a smaller
// one would be migrated in Open (there is none yet: version 1 is the first).
//
// Thread-safety: pure functions.
#ifndef SANJI_STORE_KEY_LAYOUT_H_
#define SANJI_STORE_KEY_LAYOUT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "conflict/dot.h"

namespace sanji::store {

inline constexpr uint32_t kFormatVersion = 1;

// File and directory names inside Options::path.
inline constexpr absl::string_view kDescriptorFileName = "SANJI";
inline constexpr absl::string_view kIdentityFileName = "IDENTITY";
inline constexpr absl::string_view kLevelDbDirName = "leveldb";
inline constexpr absl::string_view kDescriptorMagic = "sanji-store";

enum class KeySpace : char {
  kMetadata = 0x01,
  kRecord = 0x02,
  kOriginIndex = 0x03,
  kKnowledge = 0x04,
  kConflictLog = 0x05,
  kConflictResolution = 0x06,
  kDeparture = 0x07,
  kKnowledgeCloud = 0x08,
};

// Metadata names (see the file comment for their values).
namespace meta {
inline constexpr absl::string_view kFormatVersion = "format_version";
inline constexpr absl::string_view kNodeId = "node_id";
inline constexpr absl::string_view kIncarnation = "incarnation";
inline constexpr absl::string_view kIdentityToken = "identity_token";
inline constexpr absl::string_view kHlcLast = "hlc_last";
inline constexpr absl::string_view kCounter = "counter";
inline constexpr absl::string_view kConflictNext = "conflict_next";
}  // namespace meta

std::string MetadataKey(absl::string_view name);

// esc(collection) esc(key): the record's name inside its key, and the value of
// its index entries.
std::string RecordName(absl::string_view collection, absl::string_view key);
std::string RecordKey(absl::string_view collection, absl::string_view key);
// The RecordName inside a RecordKey: its bytes after the tag.
inline absl::string_view RecordNameIn(absl::string_view record_key) { return record_key.substr(1); }
// The RecordKey of a RecordName (an index entry's value): the tag before it.
// Makes into `*record_key`, reusing its buffer.
void RecordKeyOfName(absl::string_view name, std::string* record_key);
// The prefix of every record key of `collection` whose key starts with
// `key_prefix`.
std::string RecordRangePrefix(absl::string_view collection, absl::string_view key_prefix);
// The prefix of every record key.
std::string RecordSpacePrefix();
// Parses a RecordKey (with its tag) or a RecordName (without). False if malformed.
bool ParseRecordKey(absl::string_view key, std::string* collection, std::string* record_key);
bool ParseRecordName(absl::string_view name, std::string* collection, std::string* record_key);

std::string OriginIndexKey(const conflict::Origin& origin, uint64_t counter);
// The prefix of every index key of `origin`.
std::string OriginIndexPrefix(const conflict::Origin& origin);
std::string OriginIndexSpacePrefix();
bool ParseOriginIndexKey(absl::string_view key, conflict::Origin* origin, uint64_t* counter);

std::string KnowledgeKey();

std::string KnowledgeCloudKey(const conflict::Dot& dot);
std::string KnowledgeCloudSpacePrefix();
bool ParseKnowledgeCloudKey(absl::string_view key, conflict::Dot* dot);

std::string ConflictLogKey(uint64_t sequence);
std::string ConflictLogSpacePrefix();
bool ParseConflictLogKey(absl::string_view key, uint64_t* sequence);

std::string ConflictResolutionKey(uint64_t sequence);
std::string ConflictResolutionSpacePrefix();
bool ParseConflictResolutionKey(absl::string_view key, uint64_t* sequence);

std::string DepartureKey(absl::string_view collection, absl::string_view key);
std::string DepartureSpacePrefix();

}  // namespace sanji::store

#endif  // SANJI_STORE_KEY_LAYOUT_H_
