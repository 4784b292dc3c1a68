// ChainStore: the node's typed view of its disk — committed blocks and their certificates, the
// indexes the RPC and wallet read (block hash, transaction id, address history), the application's
// state, undo data for blocks that may still be reverted (PoW), and the consensus engine's records.
// It runs on any KvStore: RocksKvStore in a node, MemKvStore in the deterministic simulator.
//
// Key layout. Heights and positions in keys are big-endian, so a prefix scan runs in height order;
// values use the canonical codec (base/codec.h), so integers in values are little-endian.
//
//   "b/" height(8)                         → block (canonical encoding)
//   "c/" height(8)                         → the block's commit certificate (empty for raft, paxos
//                                             and pow)
//   "h/" block hash(32)                    → height u64
//   "x/" transaction id(32)                → height u64 | position u32 | outcome u8
//   "a/" address(20) height(8) position(4) → roles u8 (1 sender, 2 transfer recipient, 3 both)
//   "s/" state key                         → state value (chain::StateWrite; absent when deleted)
//   "u/" height(8)                         → undo: application undo bytes | list of (state key,
//                                             present bool, previous value if present)
//   "r/" record key                        → engine record value
//   "m/tip"                                → height u64 | block hash(32) | time_ms u64 |
//   certificate
//   "m/format"                             → u32: the layout version (kChainStoreFormat)
//   "m/indexed"                            → u64: the last height whose "x/" and "a/" entries
//                                             are stored; absent when every block's are
//
// Transaction index. The "x/" and "a/" entries are the index; with `index_transactions` off,
// commit_block writes neither and records, once, in "m/indexed" the last height that has them.
// Turned on again, catch_up_index() (the node runs it at start) indexes the blocks above that
// height, one batch per block with the marker's advance, then drops the marker; until
// then commit_block refuses. A store with no marker (including every store written before it
// existed) is indexed throughout, so the layout version stays 1.
//
// Format: check_format() runs before anything else reads the store. It writes the version into a
// store that has none (a new one, or one written before the marker existed, whose layout is
// version 1) and refuses, with both versions named, a store written in another layout: a node
// never misreads a data folder from another release.
//
// Atomicity: commit_block and revert_block are each one WriteBatch, so after a crash the store
// holds a block with every index entry, state write and tip change it brought, or none of them.
// Undo and reverts: with `revertible` set (PoW), commit_block keeps, per height, the previous value
// of every state key the block writes, plus the application's own undo bytes. revert_block uses
// the former to restore the stored state by itself (the application is not asked for inverse
// writes); the driver hands the latter to Application::revert_block to fix its memory. finalize()
// drops undo, after which those heights cannot be reverted. Without `revertible` (the instant-
// finality engines), every block is final when committed and no undo is written.
//
// Errors: kCorrupt when stored bytes fail strict decoding or the indexes disagree; kIoError from
// the KvStore; kFailedPrecondition for a commit that does not extend the tip or a revert of a block
// that is not the tip or is final; kInvalidArgument for arguments that break the documented rules.
// A missing block, transaction or record is not an error: reads return std::nullopt.
//
// Threads: the ChainStore borrows the KvStore, which must outlive it, and keeps no state of its
// own. One thread (the node driver) writes; reads are safe from any thread alongside it. A read of
// one key sees one commit; a read that joins two keys (block_by_hash, transaction) may, if a
// revert_block runs between its two gets, fail with kCorrupt — readers on other threads retry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chain/application.h"
#include "chain/block.h"
#include "chain/certificate.h"
#include "storage/kv.h"

namespace synod::storage {

// The most history entries one read returns, and the most engine records load_records accepts.
inline constexpr size_t kHistoryEntriesMax = 1'000;
inline constexpr size_t kEngineRecordsMax = 65'536;
inline constexpr size_t kEngineRecordKeyBytesMax = 1'024;

// The key layout above. Bump it with any change to what is stored, and say what reads the old one.
inline constexpr uint32_t kChainStoreFormat = 1;

struct ChainStoreOptions {
  // Keep undo for each height until finalize(), so revert_block works (PoW). Costs one read per
  // state write at commit.
  bool revertible = false;
  // Write each committed transaction's "x/" and "a/" entries; see "Transaction index" above.
  bool index_transactions = true;
};

// The highest committed block.
struct ChainTip {
  uint64_t height = 0;
  Hash256 hash;
  uint64_t time_ms = 0;
  chain::Certificate certificate;
  friend bool operator==(const ChainTip&, const ChainTip&) = default;
};

// Where a committed transaction is.
struct TxLocation {
  uint64_t height = 0;
  uint32_t position = 0;  // index in the block's transaction list
  chain::TxOutcome outcome = chain::TxOutcome::kSuccess;
  friend bool operator==(const TxLocation&, const TxLocation&) = default;
};

struct LocatedTransaction {
  chain::Transaction transaction;
  TxLocation location;
};

// One transaction in an address's history.
struct HistoryEntry {
  uint64_t height = 0;
  uint32_t position = 0;
  bool sender = false;
  bool recipient = false;
  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

// A bounded read of an address's history. Oldest first (kAscending) or newest first
// (kDescending); `after` continues from the last entry of a previous page, exclusive.
struct HistoryQuery {
  ScanOrder order = ScanOrder::kAscending;
  size_t limit = 100;  // 1 to kHistoryEntriesMax
  std::optional<HistoryEntry> after;
};

struct HistoryPage {
  std::vector<HistoryEntry> entries;
  bool more = false;  // further entries exist: ask again with after = entries.back()
};

// A record a consensus engine persists (consensus::Record has the same shape; storage does not
// depend on consensus). Records with the same key replace each other.
struct EngineRecord {
  std::string key;
  Bytes value;
  friend bool operator==(const EngineRecord&, const EngineRecord&) = default;
};

class ChainStore {
 public:
  explicit ChainStore(KvStore& kv, ChainStoreOptions options = {}) : kv_(kv), options_(options) {}
  ChainStore(const ChainStore&) = delete;
  ChainStore& operator=(const ChainStore&) = delete;

  // ---- writes (one thread) ----

  // Stores `block` as the new tip with `certificate` (empty for engines without one) and what
  // applying it produced, in one atomic batch; durable once it returns if `sync`, else after a
  // later sync. The block must extend the tip (height tip+1 and previous_hash the tip's hash; on
  // an empty store, height 1 with any previous_hash), `result.state_root` must equal the header's,
  // `result.writes` must be in strict key order, and a
  // non-empty certificate must name this height and block hash. Every transaction is recorded
  // with outcome kSuccess (applications leave failing transactions out of blocks).
  Status commit_block(const chain::Block& block, const chain::Certificate& certificate,
                      const chain::ApplyResult& result, bool sync);
  // Removes the tip block at `height` with its indexes and undo, restores the state keys it wrote
  // to their previous values, and makes height-1 the tip. Only for a revertible store and a
  // height not yet finalized.
  Status revert_block(uint64_t height, bool sync);
  // Drops the undo data of every height up to `height` (≤ the tip): those blocks become final.
  Status finalize(uint64_t height, bool sync);
  // Stores engine records, replacing any with the same key. Synced by default: engines require
  // their records durable before the messages that depend on them are sent.
  Status put_records(std::span<const EngineRecord> records, bool sync = true);
  Status sync() { return kv_.sync(); }
  // See "Format" above: Ok (marker written if absent, durably), kFailedPrecondition for another
  // version, kCorrupt for an unreadable marker.
  Status check_format();
  // With index_transactions on, indexes every block above the "m/indexed" marker (see
  // "Transaction index") and returns how many; progress(done, total) is called after each block.
  // Returns 0 at once when the index is off or complete. Durable when it returns.
  Result<uint64_t> catch_up_index(
      const std::function<void(uint64_t done, uint64_t total)>& progress = {});

  // ---- reads (any thread) ----

  bool indexes_transactions() const { return options_.index_transactions; }
  // The last height whose transactions are indexed when the index stops below the tip, or
  // std::nullopt when every block is indexed.
  Result<std::optional<uint64_t>> indexed_through() const;

  // The highest committed block, or std::nullopt when no block is stored.
  Result<std::optional<ChainTip>> tip() const;
  Result<std::optional<chain::Block>> block(uint64_t height) const;
  // Only the header of the block at `height` (the body is not decoded).
  Result<std::optional<chain::BlockHeader>> header(uint64_t height) const;
  // The headers of the last `count` heights up to `tip_height` (all of them when the chain is
  // shorter), oldest first; kCorrupt when one below the tip is missing.
  Result<std::vector<chain::BlockHeader>> recent_headers(uint64_t tip_height, size_t count) const;
  Result<std::optional<chain::Block>> block_by_hash(const Hash256& hash) const;
  Result<std::optional<uint64_t>> height_of(const Hash256& hash) const;
  Result<std::optional<chain::Certificate>> certificate(uint64_t height) const;
  Result<std::optional<TxLocation>> transaction_location(const Hash256& id) const;
  Result<std::optional<LocatedTransaction>> transaction(const Hash256& id) const;
  // Transactions sent by or transferring to `address`, in (height, position) order.
  Result<HistoryPage> history(const chain::Address& address, const HistoryQuery& query) const;
  // The application's undo bytes for `height`, kept until finalize (revertible stores only).
  Result<std::optional<Bytes>> application_undo(uint64_t height) const;

  // One stored state value, or std::nullopt.
  Result<std::optional<Bytes>> state_value(ByteView key) const;
  // Visits every state entry in key order (keys without the store's prefix); a visitor error
  // stops the scan and is returned.
  Status scan_state(const ScanVisitor& visit) const;
  // scan_state in the form Application::restore takes.
  chain::Application::StateScan state_scan() const;

  // Every engine record, latest value per key, in key order.
  Result<std::vector<EngineRecord>> load_records() const;

 private:
  Status add_commit(WriteBatch& batch, const chain::Block& block,
                    const chain::Certificate& certificate, const chain::ApplyResult& result) const;
  Status add_undo(WriteBatch& batch, uint64_t height, const chain::ApplyResult& result) const;
  Status add_revert(WriteBatch& batch, const chain::Block& block) const;

  KvStore& kv_;
  const ChainStoreOptions options_;
};

}  // namespace synod::storage
