// Options for opening a Store (store/store.h).
//
// Thread-safety: a plain struct, read once by Store::Open.
#ifndef SANJI_STORE_OPTIONS_H_
#define SANJI_STORE_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "conflict/clock.h"
#include "conflict/hlc.h"
#include "conflict/schema.h"
#include "conflict/schema_holder.h"
#include "leveldb/env.h"

namespace sanji::store {

struct Options {
  // The store's directory (see store/key_layout.h for what is inside).
  std::string path;
  // This node's id (also its scope path). Must match the store's.
  std::string node_id;
  // A fixed schema or a holder's current one, read at each use.
  // REQUIRES: non-null and outlives the Store.
  conflict::SchemaSource schema;
  // Feeds the HLC. REQUIRES: non-null and outlives the Store.
  const conflict::PhysicalClock* clock = nullptr;
  // How far ahead of the local clock a remote timestamp may be.
  int64_t max_skew_micros = 5 * 60 * 1'000'000LL;
  // The clock that tells the HLC when its saved time is wrong
  // (conflict/hlc.h, "StepBack"); null: it never steps back by itself.
  // REQUIRES: outlives the Store.
  const conflict::ReferenceClock* reference_clock = nullptr;
  // Called once the HLC stepped back from `from` to `to` and the step is
  // durable, on the committing thread with no lock of the store's held, so
  // that the owner can log it. May be empty.
  std::function<void(conflict::HlcTimestamp from, conflict::HlcTimestamp to)> on_clock_step;
  // A local write that would make a record larger than this, encoded, is
  // refused with nothing written (FailedPrecondition). Remote batches are not
  // held to it here: a session refuses a received record above its own
  // bound item by item (replication/session.h), and what a merge adds to two
  // records within bounds is taken, so that replicas converge.
  size_t max_record_bytes = 1 << 20;
  // All file access goes through this Env (the SANJI descriptor and the
  // IDENTITY file too), so tests can inject faults (power loss, disk full)
  // and leveldb::NewMemEnv gives an in-memory store (the simulator's).
  // REQUIRES: outlives the Store.
  leveldb::Env* env = leveldb::Env::Default();

  // Where the identity token lives; empty means <path>/IDENTITY. node/ may put
  // it in machine-local state outside the data directory, so that a copy of
  // the whole directory to another machine is detected too (key_layout.h).
  std::string identity_path;
  // The token bytes a new incarnation takes. node/ injects random bytes (it is
  // the only place allowed randomness); empty means a token derived from the
  // path, the clock and the previous token, which is unique enough for tests
  // and for a node whose clock moves between incarnations.
  std::string identity_token;

  // LevelDB tuning. The memtable is 4x LevelDB's 4 MiB default: remote
  // batches write records and index entries under random application keys,
  // and a bigger memtable means fewer level-0 files and less compaction work
  // per byte written. It is not bigger because Open replays the unflushed log
  // (up to this size) and must stay fast; the Store also flushes the memtable
  // when it closes cleanly, so a restart replays nothing.
  size_t write_buffer_size = 16 << 20;
  // Block cache, 4x LevelDB's 8 MiB default: the hot set is recent records
  // and the index tail that sync reads.
  size_t block_cache_size = 32 << 20;
  // Read table files with pread instead of LevelDB's mmap (store/pread_env.h),
  // so that streaming a large store does not grow the resident set by the
  // file pages it touches. Applies when env is Env::Default(); any other Env
  // is used as it is.
  bool pread_table_reads = true;
  // Bloom filter bits per key (0 disables). A local write reads the record it
  // changes first, and for a new key (most writes of application-like keys)
  // that read misses; the filter answers "absent" from memory instead of
  // reading one block per level. 10 bits give ~1% false positives.
  // The same holds for remote apply, which reads every record of a batch
  // before merging: with random keys nearly all of those reads miss.
  // LevelDB consults a table's filter only after searching its index block,
  // so the store answers most of those misses before LevelDB, from its own
  // record key filter (record_key_filter.h); LevelDB's filters still serve
  // that filter's false positives, reads while it fills, and every other
  // point read.
  int bloom_bits_per_key = 10;
  // Origin index entries the record key filter's filling reads per hold of
  // the store's lock (store.h, Store::FillKeyFilter): small enough that a
  // reopen after a write error does not wait long; tests make it tiny so that
  // writes interleave with the filling.
  size_t key_filter_fill_chunk = 4096;
  // Called on the filling thread after each chunk is added to the filter,
  // outside the store's locks: tests write from it to interleave writes with
  // the filling deterministically.
  std::function<void()> key_filter_chunk_done_for_test;
  // Left at LevelDB's defaults, measured with bench/storage_bench (remote
  // apply of 300-byte records, random keys, on a shared 2-core machine):
  // snappy compression (turning it off changed nothing measurable: the text
  // barely compresses, but the disk writes less), 4 KiB blocks and 2 MiB
  // table files (8 MiB files were slower: bigger L0->L1 compactions), and a
  // 32 MiB or 64 MiB memtable was no faster than 16 MiB while making the log
  // replay of an unclean restart longer. What did matter was CPU in the
  // store's own remote path (one copy of each record, not four), see
  // Store::MergeRemoteItems.
  //
  // paranoid_checks is on (store_open.cc): a torn log tail, which is what a
  // crash or power loss leaves, is not corruption to LevelDB (its log reader
  // drops an incomplete last record silently), so recovery still opens; what
  // paranoid_checks refuses is a damaged record in the middle of a log or a
  // table, which must not be skipped silently. tests/store/power_loss_test.cc
  // checks this with torn tails of random length. After a failed append the
  // store never appends to that log again (store.h, "Write errors"), so a
  // torn record cannot end up in the middle of a log.
};

}  // namespace sanji::store

#endif  // SANJI_STORE_OPTIONS_H_
