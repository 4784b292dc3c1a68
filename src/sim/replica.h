// One running instance of a simulated node: the production consensus engine, the production
// application (the ledger), the production mempool (verifying signatures inline, with no worker
// threads, so it is deterministic) and the node's disk (a MemKvStore behind a NodeStore). An honest
// node is one replica; an equivocating byzantine node is two replicas ("twins") that share the
// node's validator key but have their own state and disk.
//
// The replica is the simulator's node driver: it executes each Ready in the order engine.h
// prescribes — persist records (sync) → send messages → apply commits (ledger apply_block, then
// block + certificate + state writes in one batch, then sync) → answer the proposal request and
// validation requests → arm the timer → advance() — and feeds the answers (Proposal, Verdict,
// Durable) back as events. Everything outside the replica (network, timers, checkers, crash
// decisions) goes through ReplicaHost. A crash throws the engine, application and pool away
// and keeps only the disk, which loses its unsynced writes; start() rebuilds from that disk.
// Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "chain/application.h"
#include "chain/genesis.h"
#include "consensus/engine.h"
#include "mempool/mempool.h"
#include "sim/byzantine.h"
#include "sim/node_store.h"
#include "sim/random.h"
#include "storage/mem_kv.h"

namespace synod::sim {

using EngineFactory =
    std::function<Result<std::unique_ptr<consensus::Engine>>(consensus::EngineConfig config)>;
using ApplicationFactory =
    std::function<std::unique_ptr<chain::Application>(const chain::Genesis& genesis)>;

// Where inside the execution of a Ready a crash may strike.
enum class CrashPoint : uint8_t {
  kAfterRecords,      // records durable, no message sent yet
  kDuringSend,        // between two messages
  kAfterCommitWrite,  // a commit batch written but not yet synced
};
std::string_view crash_point_name(CrashPoint point);

class Replica;

class ReplicaHost {
 public:
  virtual ~ReplicaHost() = default;
  virtual void send(Replica& from, const consensus::OutMessage& message) = 0;
  // A Tick at or after the replica's local time `local_ms`.
  virtual void arm_timer(Replica& replica, uint64_t local_ms) = 0;
  // The replica applied `block` and it is durable.
  virtual void committed(Replica& replica, const chain::Block& block,
                         const Hash256& state_root) = 0;
  virtual void apply_failed(Replica& replica, uint64_t height, const Status& status) = 0;
  virtual void evidence(Replica& replica, const consensus::Evidence& evidence) = 0;
  virtual void trace(Replica& replica, std::string_view line) = 0;
  // True when the host crashed the replica here (through Replica::crash); the replica then stops
  // executing the Ready.
  virtual bool crash_here(Replica& replica, CrashPoint point) = 0;
};

struct ReplicaConfig {
  uint32_t node = 0;
  uint32_t instance = 0;  // 0, or 1 for the second of twins
  std::shared_ptr<const chain::Genesis> genesis;
  std::shared_ptr<const crypto::KeyPair> key;
  ByzantineProfile profile;
  EngineFactory engine_factory;
  ApplicationFactory application_factory;
  int64_t clock_skew_ms = 0;
  size_t pending_transactions_max = 4'096;
  uint64_t nonce_gap_max = 16;
  size_t frame_bytes_max = consensus::kMessageBytesMax;
  // A deliberately broken driver that never persists the engine's records, so tests can show
  // that the checkers catch what such a bug causes (a restarted node voting twice).
  bool bug_skip_records = false;
};

class Replica {
 public:
  static constexpr size_t kSyncBlocksMax = 16;
  static constexpr size_t kSyncResponseBytesMax = 4 * 1024 * 1024;

  Replica(ReplicaConfig config, Prng prng);

  // Builds the application and engine from the disk and ticks the engine once. An error means
  // the node cannot start from its own disk (a durability failure for an honest node).
  Status start(uint64_t virtual_ms, ReplicaHost& host);
  // Throws away everything but the disk; the disk keeps the first `unsynced_writes_kept` of its
  // unsynced writes (clamped) and loses the rest.
  void crash(size_t unsynced_writes_kept);
  bool running() const { return engine_ != nullptr; }
  // An honest replica whose application refused a committed block stops (the checker failed).
  bool stalled() const { return stalled_; }

  void tick(uint64_t virtual_ms, ReplicaHost& host);
  void receive(const consensus::PeerMessage& message, ReplicaHost& host);

  // Mempool admission (signature, nonce, fee, balance), synchronously.
  Status submit(const chain::Transaction& tx);
  Status submit_encoded(ByteView encoded);

  // Block sync between simulated nodes (the real node's net layer does this job).
  Bytes sync_request() const;
  // Blocks from the requested height on, with certificates, from this replica's disk; empty
  // when it has none to give.
  Result<Bytes> sync_response(ByteView request) const;
  // Verifies each block's certificate against the validator set and hands it to the engine.
  void on_sync_response(ByteView payload, ReplicaHost& host);

  uint32_t node() const { return config_.node; }
  uint32_t instance() const { return config_.instance; }
  const ReplicaConfig& config() const { return config_; }
  uint64_t local_time_ms(uint64_t virtual_ms) const;
  uint64_t height() const { return application_ ? application_->height() : 0; }
  const NodeStore& store() const { return store_; }
  storage::MemKvStore& disk() { return disk_; }
  const consensus::Engine* engine() const { return engine_.get(); }
  size_t pending_size() const { return pool_ ? pool_->size() : 0; }
  uint64_t restarts() const { return restarts_; }
  MessageMutator& mutator() { return mutator_; }
  FaultCounts& byzantine_counts() { return byzantine_counts_; }

 private:
  // Steps one event and executes every Ready that follows.
  void step(const consensus::Event& event, ReplicaHost& host);
  void drain(ReplicaHost& host);
  // Executes one Ready; returns the events that answer it, or nullopt when the replica crashed.
  std::optional<std::vector<consensus::Event>> execute(consensus::Ready& ready, ReplicaHost& host);
  bool send_all(const consensus::Ready& ready, ReplicaHost& host);
  bool commit_all(const consensus::Ready& ready, ReplicaHost& host);
  std::optional<consensus::Event> answer_proposal(const chain::BlockHeader& header,
                                                  ReplicaHost& host);
  consensus::Event answer_validation(const chain::Block& block, ReplicaHost& host);

  ReplicaConfig config_;
  Prng prng_;
  storage::MemKvStore disk_;
  NodeStore store_;
  MessageMutator mutator_;
  FaultCounts byzantine_counts_;
  std::unique_ptr<chain::Application> application_;
  std::unique_ptr<mempool::Mempool> pool_;
  std::unique_ptr<consensus::Engine> engine_;
  uint64_t now_virtual_ms_ = 0;
  uint64_t restarts_ = 0;
  bool stalled_ = false;
};

}  // namespace synod::sim
