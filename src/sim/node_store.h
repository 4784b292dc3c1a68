// A simulated node's disk, in the node's own format, on a storage::KvStore (a MemKvStore in the
// simulator, which can lose unsynced writes). It holds what a restarted node needs: committed
// blocks with their certificates, the application's state writes, the engine's records, and the
// tip. Each commit is one atomic batch (block + certificate + state writes + tip), so the stored
// state always matches the stored tip. The storage engineer's typed ChainStore will replace this
// once it exists; the simulator needs only these few calls.
//
// Key layout: "b/" height(be64) → block, "c/" height(be64) → certificate, "r/" key → record,
// "s/" key → state value, "t" → tip height(be64). Not thread-safe; borrows the KvStore.
#pragma once

#include <optional>
#include <vector>

#include "chain/application.h"
#include "consensus/engine.h"
#include "storage/kv.h"

namespace synod::sim {

class NodeStore {
 public:
  explicit NodeStore(storage::KvStore& kv) : kv_(kv) {}

  // Persists records and syncs: returns once they are durable.
  Status put_records(const std::vector<consensus::Record>& records);
  // Writes one committed block atomically; durable only once `sync` or a later sync() returns.
  Status put_commit(const chain::Block& block, const chain::Certificate& certificate,
                    const std::vector<chain::StateWrite>& writes, bool sync);
  Status sync() { return kv_.sync(); }

  // The latest value of every record, in key order.
  Result<std::vector<consensus::Record>> records() const;
  // The last committed height (0 when nothing is stored).
  Result<uint64_t> tip_height() const;
  Result<std::optional<chain::Block>> block(uint64_t height) const;
  Result<std::optional<chain::Certificate>> certificate(uint64_t height) const;
  // The tip as an engine wants it (height 0 with zero hash when nothing is stored).
  Result<consensus::ChainTip> tip() const;
  // Feeds every stored state entry, in key order, as Application::restore wants them.
  chain::Application::StateScan state_scan() const;

 private:
  storage::KvStore& kv_;
};

}  // namespace synod::sim
