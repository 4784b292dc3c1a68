// MemKvStore: a KvStore in memory that remembers which writes are durable, so a test or the
// deterministic simulator can crash it the way a machine crash would (LevelDB's memenv plus
// fault_injection_test in one). It keeps the contract in kv.h; a MemKvStore plays the node's disk,
// so it outlives the node that a simulated crash throws away, and the restarted node reopens it.
//
// Deterministic: no threads, no clock, no randomness; whatever the simulator wants lost it says
// through simulate_crash_keeping(). A mutex makes it safe for the threads kv.h allows, and is
// never held while a scan visitor runs (scan copies the entries it will visit first).
//
// Unsynced writes are kept as undo records, one list per write, until a sync makes them durable;
// memory grows with the writes between two syncs.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "storage/kv.h"

namespace synod::storage {

class MemKvStore final : public KvStore {
 public:
  MemKvStore() = default;
  MemKvStore(const MemKvStore&) = delete;
  MemKvStore& operator=(const MemKvStore&) = delete;

  Result<std::optional<Bytes>> get(ByteView key) const override;
  Status write(const WriteBatch& batch, bool sync) override;
  Status sync() override;
  Status scan(const KeyRange& range, const ScanOptions& options,
              const ScanVisitor& visit) const override;

  // A crash that loses every write not yet durable: the store returns to the state after the
  // last sync.
  void simulate_crash() { simulate_crash_keeping(0); }
  // A crash in which the first `writes_kept` unsynced writes happened to reach the disk and the
  // later ones did not (kv.h allows losing any suffix). The kept writes become durable.
  // Requires writes_kept <= unsynced_write_count().
  void simulate_crash_keeping(size_t writes_kept);

  // Writes (non-empty batches) applied since the last sync, which a crash could lose.
  size_t unsynced_write_count() const;
  size_t entry_count() const;

 private:
  // What a key held before one operation, to undo that operation.
  struct Undo {
    Bytes key;
    std::optional<Bytes> previous;
  };
  using UndoList = std::vector<Undo>;  // in the order the operations applied

  void apply_locked(const WriteBatch::Op& op, UndoList& undo);
  void undo_locked(const UndoList& undo);

  mutable std::mutex mutex_;
  std::map<Bytes, Bytes, BytesLess> entries_;  // guarded by mutex_
  std::vector<UndoList> unsynced_;             // guarded by mutex_; oldest write first
};

}  // namespace synod::storage
