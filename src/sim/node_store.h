// A simulated node's disk: the production storage::ChainStore on the node's MemKvStore (which
// can lose unsynced writes), seen in the engine's vocabulary (consensus::Record, ChainTip). Each
// commit is one atomic batch (block + certificate + indexes + state writes + tip), so the stored
// state always matches the stored tip. Not thread-safe; borrows the KvStore.
#pragma once

#include <optional>
#include <vector>

#include "chain/application.h"
#include "consensus/engine.h"
#include "storage/chain_store.h"

namespace synod::sim {

class NodeStore {
 public:
  explicit NodeStore(storage::KvStore& kv) : chain_(kv) {}

  // Persists records and syncs: returns once they are durable.
  Status put_records(const std::vector<consensus::Record>& records);
  // Writes one committed block atomically; durable only once `sync` or a later sync() returns.
  Status put_commit(const chain::Block& block, const chain::Certificate& certificate,
                    const chain::ApplyResult& applied, bool sync);
  Status sync() { return chain_.sync(); }

  // The latest value of every record, in key order.
  Result<std::vector<consensus::Record>> records() const;
  // The last committed height (0 when nothing is stored).
  Result<uint64_t> tip_height() const;
  Result<std::optional<chain::Block>> block(uint64_t height) const { return chain_.block(height); }
  Result<std::vector<chain::BlockHeader>> recent_headers(uint64_t tip_height, size_t count) const {
    return chain_.recent_headers(tip_height, count);
  }
  Result<std::optional<chain::Certificate>> certificate(uint64_t height) const {
    return chain_.certificate(height);
  }
  // The tip as an engine wants it (height 0 with zero hash when nothing is stored).
  Result<consensus::ChainTip> tip() const;
  // Feeds every stored state entry, in key order, as Application::restore wants them.
  chain::Application::StateScan state_scan() const { return chain_.state_scan(); }

 private:
  storage::ChainStore chain_;
};

}  // namespace synod::sim
