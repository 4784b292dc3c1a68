// Node: one synod node on real I/O. It wires the consensus engine the genesis names to the
// application (ledger or kvstore), the mempool, the ChainStore on RocksDB and the p2p transport,
// and runs the driver loop that consensus/engine.h writes down, on one thread that owns the
// engine, the application and every ChainStore write.
//
// One loop iteration:
//   1. wait (DriverQueue) for network events, tasks, mempool wake-ups, or the next timer;
//   2. run queued tasks (queries from other threads, e.g. RPC);
//   3. network events: consensus payloads step the engine (PeerMessage, `from` = the peer's node
//      id, which is where the engine's replies to it go); transaction batches go to the mempool;
//      block sync messages go to BlockSync or are answered from the ChainStore;
//   4. mempool poll(): stage-2 admission; admitted transactions join the outgoing gossip batch;
//   5. timers: Tick the engine at its wake time (and at least once a second);
//   6. execute every Ready, in the contract's order: (1) records written, (2) messages queued,
//      (3) commits: Application::apply_block, then ChainStore::commit_block (block, certificate,
//      state writes and indexes in one atomic batch), then mempool update_after_commit; the
//      proposal request answered with prepare_block over the mempool's reap, validation requests
//      with validate_block (signatures skipped when the mempool verified every one); (4) the
//      engine's wake time kept; then advance() and the answers stepped in;
//   7. block sync: ask peers for missing blocks, verify fetched ones (certificate against the
//      validator set, then validate_block), hand them to the engine as SyncedBlock and execute
//      the Ready that commits them;
//   8. group commit: ONE sync makes every record and commit of the iteration durable; only then
//      are the queued consensus messages sent, commit listeners told, and status published.
// Records are therefore durable before any message that depends on them leaves the node, and a
// node killed at any point restarts from its own disk (open() restores the application from the
// stored state, checked against the tip's state root, and the engine from its records).
//
// Threads: the driver; a pump moving transport events into the DriverQueue (so the driver waits
// in one place); the transport's io thread; the mempool's verifiers. Every public method is
// thread-safe unless it says otherwise. Reads never touch the engine or the application directly:
// status() is a snapshot the driver publishes after each iteration, chain() and mempool() are
// thread-safe for reads, and anything else runs on the driver through post() / query().
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chain/application.h"
#include "chain/genesis.h"
#include "consensus/engine.h"
#include "mempool/mempool.h"
#include "net/transport.h"
#include "node/block_sync.h"
#include "node/config.h"
#include "node/driver_queue.h"
#include "node/home.h"
#include "storage/chain_store.h"
#include "storage/rocks_kv.h"

namespace synod::node {

// What a connected peer last said of itself in its Status (protocol.h).
struct PeerReport {
  uint64_t height = 0;                             // as block sync holds it
  std::optional<uint64_t> view;                    // none until its first Status
  std::optional<crypto::PublicKey> validator_key;  // proven by its attestation
};

// What the node reports about itself; a snapshot published by the driver after each iteration.
struct NodeStatus {
  bool running = false;
  std::string failure;  // why the driver stopped by itself (empty while healthy)
  uint64_t height = 0;  // the last committed block, durable on disk
  Hash256 tip_hash;     // zero before the first block
  uint64_t tip_time_ms = 0;
  Hash256 state_root;  // the application's state root after `height`
  consensus::EngineStatus engine;
  bool syncing = false;  // fetching blocks from peers that are ahead
  uint64_t sync_target_height = 0;
  double sync_blocks_per_second = 0;  // while syncing: blocks applied per second lately
  std::map<net::NodeId, PeerReport> peer_reports;  // each connected peer's height, view, key
  size_t peers = 0;
  size_t mempool_transactions = 0;
};

// Counters since open(); a snapshot.
struct NodeMetrics {
  uint64_t loop_iterations = 0;
  uint64_t readies = 0;
  uint64_t fsyncs = 0;
  uint64_t records_written = 0;
  uint64_t blocks_committed = 0;
  uint64_t transactions_committed = 0;
  uint64_t proposals = 0;
  uint64_t proposals_failed = 0;
  uint64_t validations = 0;
  uint64_t validations_rejected = 0;
  uint64_t consensus_messages_in = 0;
  uint64_t consensus_messages_out = 0;
  uint64_t gossip_batches_in = 0;
  uint64_t gossip_batches_out = 0;
  uint64_t gossip_transactions_in = 0;
  uint64_t gossip_ids_announced_in = 0;  // ids peers announced to this node
  uint64_t gossip_ids_requested = 0;     // of those, asked for (the rest were here already)
  uint64_t gossip_requests_refused = 0;  // ids peers asked for beyond their serving budget
  uint64_t sync_requests_sent = 0;
  uint64_t sync_requests_served = 0;
  uint64_t sync_blocks_applied = 0;
  uint64_t sync_blocks_rejected = 0;
  uint64_t peer_penalties = 0;
  uint64_t evidence = 0;
};

// What a task run on the driver thread may use. The application may be queried (including
// non-const queries such as proofs) but never asked to apply, revert or restore.
struct DriverAccess {
  chain::Application& application;
  const consensus::Engine& engine;
  const storage::ChainStore& chain;
};

// Everything a node needs to open; read_home() reads it from a home folder.
using NodeOptions = HomeFiles;

class Node {
 public:
  // Runs on the driver thread once a committed block is durable; must be quick and must not call
  // back into the node's blocking methods (query()).
  using CommitListener =
      std::function<void(const chain::Block& block, const chain::Certificate& certificate)>;

  // Opens the data folder (RocksDB), restores the application from the stored state (checking the
  // tip's state root), loads the engine's records and makes the engine. Starts no thread.
  // kIoError / kCorrupt from the disk; kInvalidArgument for a bad config or genesis;
  // kFailedPrecondition when the stored chain belongs to another genesis.
  static Result<std::unique_ptr<Node>> open(NodeOptions options);
  static Result<std::unique_ptr<Node>> open_home(const std::string& home);
  // Stops if running.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts the transport (listening, dialing persistent peers and seeds) and the driver. Once.
  Status start();
  // Stops the driver and the transport, syncs and closes the store. Idempotent; the node cannot
  // be started again (open a new one on the same folder).
  void stop();
  // Waits until the driver has ended (stop() or a failure); true when it has.
  bool wait_stopped(uint64_t timeout_ms) const;

  // ---- identity (fixed at open) ----
  const Config& config() const { return options_.config; }
  const chain::Genesis& genesis() const { return options_.genesis; }
  const Hash256& genesis_hash() const { return genesis_hash_; }
  const net::NodeId& node_id() const { return options_.node_key.public_key(); }
  std::optional<crypto::PublicKey> validator_key() const;
  // The bound p2p port once started (useful when the config says 0).
  uint16_t p2p_port() const;

  // ---- reads, any thread ----
  NodeStatus status() const;
  uint64_t height() const { return height_.load(); }
  NodeMetrics metrics() const;
  // Blocks, certificates, transactions, history, state values: thread-safe reads (see
  // storage/chain_store.h), consistent with height() once it has moved past them.
  const storage::ChainStore& chain() const { return *chain_; }
  // size, contains, get, metrics: thread-safe.
  const mempool::Mempool& mempool() const { return *mempool_; }
  std::vector<net::PeerInfo> peers() const;
  net::TransportStats transport_stats() const;

  // ---- writes, any thread ----
  // Queues one encoded transaction for admission; `done` runs on the driver thread with the
  // outcome. Admitted transactions are gossiped to peers. An error refuses it at the door
  // (too large, too many in flight, node not running) and `done` never runs.
  Status submit_transaction(Bytes encoded, mempool::Mempool::Done done);
  // The same for many at once: signatures verified in parallel, one driver poll admits them all,
  // `done` gets the outcomes in order. Refused whole when they do not fit in flight.
  Status submit_transactions(std::vector<Bytes> encoded, mempool::Mempool::BatchDone done);
  // The operator's peer controls (RPC add_peer / disconnect_peer, behind the token): dial an
  // endpoint now (not remembered across restarts: persistent peers live in config.toml), or close
  // the connection to a peer — which may reconnect, as any peer may, unless `ban` also bans it
  // for the transport's ban duration.
  Status connect_peer(const net::Endpoint& endpoint);
  void disconnect_peer(const net::NodeId& node_id, bool ban);
  // Runs `task` on the driver thread between iterations. kUnavailable when the node is not running
  // or too many tasks wait.
  Status post(std::function<void(DriverAccess&)> task);
  // Runs `fn` on the driver thread and returns its result, waiting at most timeout_ms (kTimeout).
  // After a timeout `fn` may still run later, so it must own everything it captures.
  template <typename T>
  Result<T> query(std::function<Result<T>(DriverAccess&)> fn, uint64_t timeout_ms);
  // Not thread-safe: call before start(). Listeners run in the order added.
  void add_commit_listener(CommitListener listener);
  Status add_persistent_peer(const net::Endpoint& endpoint);

 private:
  struct Iteration;
  struct Atomics;

  explicit Node(NodeOptions options);
  Status open_storage();
  Status restore_application();
  Status make_engine();
  void make_transport();

  // The driver thread and its parts (node.cc).
  void run();
  void run_iteration(uint64_t now_ms);
  uint64_t next_deadline_ms(uint64_t now_ms) const;
  void fail(const Status& status);
  void shutdown_driver();

  // Network input (node_network.cc).
  void pump();
  void on_network_event(net::Event& event);
  void on_consensus_message(net::Message& message);
  void on_gossip_message(net::Message& message);
  void on_transaction_batch(const net::NodeId& from, std::vector<Bytes> transactions);
  void on_announce(const net::NodeId& from, const std::vector<Hash256>& ids, uint64_t now_ms);
  void on_request(const net::NodeId& from, const std::vector<Hash256>& ids, uint64_t now_ms);
  // Asks the announcers for the announced ids that are due and still missing.
  void request_announced(uint64_t now_ms);
  void on_sync_message(net::Message& message);
  void serve_blocks(const net::NodeId& peer, const GetBlocks& request);
  void penalize(const net::NodeId& peer, std::string_view reason, uint32_t points);
  void queue_gossip(Bytes encoded);
  void flush_gossip();
  void broadcast_status();
  StatusMessage status_message();

  // Executing Ready (node_ready.cc).
  bool execute_readies(Iteration& iteration);
  bool execute_ready(consensus::Ready& ready, Iteration& iteration,
                     std::vector<consensus::Event>& answers);
  Status commit(consensus::Commit& commit, Iteration& iteration,
                std::vector<consensus::Event>& answers);
  std::optional<consensus::Event> answer_proposal(const chain::BlockHeader& header);
  consensus::Event answer_validation(const chain::Block& block);
  bool finish_iteration(Iteration& iteration);
  void send_messages(std::vector<consensus::OutMessage>& messages);

  // Block sync (node_sync.cc).
  bool run_block_sync(Iteration& iteration, uint64_t now_ms);
  Status verify_fetched(const FetchedBlock& fetched);
  void log_sync_progress(uint64_t now_ms);
  void update_sync_rate(bool syncing, uint64_t height, uint64_t now_ms);

  void publish_status();
  void log_status();
  uint64_t now_ms() const;

  NodeOptions options_;
  const Hash256 genesis_hash_;
  std::shared_ptr<spdlog::logger> log_;
  // Anchors now_ms(): wall-clock milliseconds at open, advanced by the steady clock, so time is
  // monotonic within a run and still close to Unix time for block headers.
  const uint64_t clock_wall_start_ms_;
  const std::chrono::steady_clock::time_point clock_steady_start_;

  // Declared in dependency order: destroyed in reverse (transport first, the disk last). The
  // queue outlives the mempool, whose verifier threads wake the driver through it.
  DriverQueue queue_;
  std::unique_ptr<storage::RocksKvStore> kv_;
  std::unique_ptr<storage::ChainStore> chain_;
  std::unique_ptr<chain::Application> application_;
  std::unique_ptr<mempool::Mempool> mempool_;
  std::unique_ptr<consensus::Engine> engine_;
  std::unique_ptr<net::Transport> transport_;

  // Driver-thread state.
  BlockSync block_sync_;
  std::optional<uint64_t> engine_wake_ms_;
  uint64_t heartbeat_at_ms_ = 0;
  uint64_t status_broadcast_at_ms_ = 0;
  uint64_t progress_log_at_ms_ = 0;
  uint64_t status_log_at_ms_ = 0;
  uint64_t progress_height_ = 0;  // the height at the last progress line
  uint64_t progress_at_ms_ = 0;   // when progress_height_ was taken
  bool was_syncing_ = false;
  uint64_t sync_rate_height_ = 0;  // the height when the sync rate's window began
  uint64_t sync_rate_at_ms_ = 0;   // when it began
  double sync_blocks_per_second_ = 0;
  storage::ChainTip tip_;  // the last committed block (hash zero before the first)
  std::map<net::NodeId, PeerReport> peer_reports_;   // connected peers only; heights unused
  std::optional<ValidatorAttestation> attestation_;  // made once, when first needed
  std::vector<Bytes> gossip_batch_;
  size_t gossip_batch_bytes_ = 0;
  // Announced ids the mempool lacked when announced (node_network.cc), in due order: each waits
  // kGossipAnnounceWaitMs for the push that is usually on its way or being admitted, then is
  // asked of its announcer if the mempool still lacks it. At most kGossipAnnouncedMax.
  struct AnnouncedId {
    uint64_t due_ms = 0;
    net::NodeId from;
    Hash256 id;
  };
  std::deque<AnnouncedId> announced_;
  // Per connected peer: transactions its Requests may still be served, and when it was refilled.
  struct ServeBudget {
    double tokens = 0;
    uint64_t refilled_ms = 0;
  };
  std::map<net::NodeId, ServeBudget> serve_budgets_;
  std::vector<CommitListener> commit_listeners_;

  std::unique_ptr<Atomics> counters_;
  std::atomic<uint64_t> height_{0};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> started_{false};
  mutable std::mutex status_mutex_;
  NodeStatus status_;  // guarded by status_mutex_
  mutable std::mutex stopped_mutex_;
  mutable std::condition_variable stopped_cv_;
  bool driver_running_ = false;  // guarded by stopped_mutex_
  std::mutex stop_mutex_;        // serialises stop()
  bool stopped_ = false;         // guarded by stop_mutex_
  std::thread driver_;
  std::thread pump_;
};

template <typename T>
Result<T> Node::query(std::function<Result<T>(DriverAccess&)> fn, uint64_t timeout_ms) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  std::future<Result<T>> future = promise->get_future();
  Status posted =
      post([promise, fn = std::move(fn)](DriverAccess& access) { promise->set_value(fn(access)); });
  if (!posted.is_ok()) return posted;
  if (future.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
    return error(Code::kTimeout, "the node's driver did not answer in time");
  }
  return future.get();
}

}  // namespace synod::node
