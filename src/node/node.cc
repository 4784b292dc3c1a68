// Node: opening from disk, starting and stopping, and the driver loop. Network input is in
// node_network.cc, Ready execution in node_ready.cc, block sync in node_sync.cc.
#include "node/node.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "crypto/hash.h"
#include "ledger/apps.h"
#include "node/key_file.h"
#include "node/logging.h"
#include "node/node_internal.h"

namespace synod::node {
namespace {

constexpr const char* kGenesisMarkerFileName = "genesis_hash";
constexpr const char* kChainFolderName = "chain";

uint64_t wall_clock_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

uint64_t random_u64() {
  uint64_t value = 0;
  crypto::random_bytes(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&value), sizeof(value)));
  return value;
}

BlockSyncConfig block_sync_config(const Config& config, const chain::Genesis& genesis) {
  BlockSyncConfig out;
  out.batch_blocks = config.sync.batch_blocks;
  out.window_blocks = config.sync.window_blocks;
  out.request_timeout_ms = config.sync.request_timeout_ms;
  out.stall_ms = std::max(2 * config.sync.status_interval_ms, genesis.consensus.round_timeout_ms);
  return out;
}

// The data folder remembers the genesis it was made for, so a node pointed at another network's
// genesis refuses to start instead of mixing chains.
Status check_genesis_marker(const std::string& data_path, const Hash256& genesis_hash) {
  const std::string path = (std::filesystem::path(data_path) / kGenesisMarkerFileName).string();
  std::ifstream in(path);
  if (!in) return write_new_file(path, genesis_hash.hex() + "\n", 0600);
  std::string stored;
  in >> stored;
  if (stored != genesis_hash.hex()) {
    return error(Code::kFailedPrecondition, path + ": the data folder belongs to genesis " +
                                                stored + ", not " + genesis_hash.hex());
  }
  return Status::ok();
}

}  // namespace

Node::Node(NodeOptions options)
    : options_(std::move(options)),
      genesis_hash_(options_.genesis.hash()),
      clock_wall_start_ms_(wall_clock_ms()),
      clock_steady_start_(std::chrono::steady_clock::now()),
      queue_(DriverQueue::Limits{}),
      block_sync_(block_sync_config(options_.config, options_.genesis)),
      counters_(std::make_unique<Atomics>()) {
  auto level = parse_log_level(options_.config.log_level);
  log_ = make_logger("node " + node_id().hex().substr(0, 8),
                     level.is_ok() ? *level : spdlog::level::info);
}

Node::~Node() {
  stop();
}

Result<std::unique_ptr<Node>> Node::open_home(const std::string& home) {
  SYNOD_ASSIGN_OR_RETURN(HomeFiles files, read_home(home));
  return open(std::move(files));
}

Result<std::unique_ptr<Node>> Node::open(NodeOptions options) {
  SYNOD_TRY(options.config.check());
  SYNOD_TRY(options.genesis.validate());
  crypto::ensure_initialised();
  std::unique_ptr<Node> node(new Node(std::move(options)));
  SYNOD_TRY(node->open_storage());
  SYNOD_TRY(node->restore_application());
  SYNOD_TRY(node->make_engine());
  node->make_transport();
  node->publish_status();
  return node;
}

Status Node::open_storage() {
  const std::string data_path = config().data_path();
  std::error_code code;
  std::filesystem::create_directories(data_path, code);
  if (code) return error(Code::kIoError, data_path + ": cannot create: " + code.message());
  SYNOD_TRY(check_genesis_marker(data_path, genesis_hash_));
  auto kv =
      storage::RocksKvStore::open((std::filesystem::path(data_path) / kChainFolderName).string());
  if (!kv.is_ok()) return kv.status().with_context("opening the data folder");
  kv_ = std::move(kv).value();
  storage::ChainStoreOptions store_options;
  store_options.revertible = genesis().consensus.mechanism == chain::Mechanism::kPow;
  store_options.index_transactions = config().index_transactions;
  chain_ = std::make_unique<storage::ChainStore>(*kv_, store_options);
  SYNOD_TRY(chain_->check_format().with_context("opening the data folder"));
  if (!config().index_transactions) {
    log_->info(
        "index_transactions = false: committed transactions are not indexed by id or "
        "address");
  }
  // Blocks committed while the index was off are indexed before the node serves.
  auto last_logged = std::chrono::steady_clock::time_point();
  auto indexed_blocks = chain_->catch_up_index([&](uint64_t done, uint64_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_logged < std::chrono::seconds(5) && done != total) return;
    last_logged = now;
    log_->info("indexing the transactions of stored blocks: {} of {}", done, total);
  });
  if (!indexed_blocks.is_ok()) {
    return indexed_blocks.status().with_context("indexing the transactions of stored blocks");
  }
  return Status::ok();
}

Status Node::restore_application() {
  auto application = ledger::create_application(genesis());
  if (!application.is_ok()) return application.status();
  application_ = std::move(application).value();
  SYNOD_ASSIGN_OR_RETURN(std::optional<storage::ChainTip> tip, chain_->tip());
  if (!tip) {
    log_->info("new chain {} (genesis {})", genesis().chain_id, genesis_hash_.hex());
    return Status::ok();
  }
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Block> block, chain_->block(tip->height));
  if (!block || block->hash() != tip->hash) {
    return error(Code::kCorrupt, "the stored tip block at height " + std::to_string(tip->height) +
                                     " is missing or does not match the tip");
  }
  SYNOD_TRY(application_->restore(tip->height, block->header.state_root, chain_->state_scan())
                .with_context("restoring the application from the stored state"));
  tip_ = std::move(*tip);
  height_ = tip_.height;
  log_->info("restored height {} block {} state root {}", tip_.height, tip_.hash.hex(),
             application_->state_root().hex());
  return Status::ok();
}

Status Node::make_engine() {
  SYNOD_ASSIGN_OR_RETURN(std::vector<storage::EngineRecord> stored, chain_->load_records());
  consensus::EngineConfig engine_config;
  engine_config.genesis = genesis();
  engine_config.validators = application_->validator_set(tip_.height + 1);
  if (options_.validator_key) {
    engine_config.signing_key = std::make_shared<const crypto::KeyPair>(*options_.validator_key);
  }
  engine_config.tip = consensus::ChainTip{tip_.height, tip_.hash, tip_.time_ms, tip_.certificate};
  SYNOD_ASSIGN_OR_RETURN(engine_config.recent_headers,
                         chain_->recent_headers(tip_.height, consensus::recent_headers_wanted(
                                                                 engine_config.validators)));
  for (storage::EngineRecord& record : stored) {
    engine_config.records.push_back(
        consensus::Record{std::move(record.key), std::move(record.value)});
  }
  engine_config.seed = random_u64();
  engine_config.now_ms = now_ms();
  const size_t records = engine_config.records.size();
  auto engine = consensus::make_engine(std::move(engine_config));
  if (!engine.is_ok()) return engine.status().with_context("making the consensus engine");
  engine_ = std::move(engine).value();

  mempool::Config pool_config;
  pool_config.chain_id = genesis().chain_id;
  pool_config.transactions_max = config().mempool.transactions_max;
  pool_config.bytes_max = config().mempool.bytes_max;
  pool_config.transactions_per_sender_max = config().mempool.transactions_per_sender_max;
  pool_config.nonce_gap_max = config().mempool.nonce_gap_max;
  pool_config.replacement_fee_bump_percent = config().mempool.replacement_fee_bump_percent;
  pool_config.signatures_required =
      !(genesis().app == chain::AppKind::kKvStore && genesis().kv_unsigned_writes);
  pool_config.verify_threads = config().mempool.verify_threads != 0
                                   ? config().mempool.verify_threads
                                   : mempool::Config::default_verify_threads();
  SYNOD_TRY(pool_config.check().with_context("mempool"));
  mempool_ = std::make_unique<mempool::Mempool>(std::move(pool_config), *application_,
                                                [this] { queue_.notify(); });

  const auto validators = application_->validator_set(tip_.height + 1);
  std::optional<uint32_t> index;
  if (options_.validator_key) index = validators.index_of(options_.validator_key->public_key());
  log_->info("{} engine at height {} with {} records; {}",
             chain::mechanism_name(genesis().consensus.mechanism), tip_.height + 1, records,
             index ? fmt::format("validator {} of {}", *index, validators.size())
                   : std::string("not a validator (following)"));
  return Status::ok();
}

void Node::make_transport() {
  net::TransportConfig transport_config;
  transport_config.genesis_hash = genesis_hash_;
  transport_config.peers_inbound_max = config().p2p.peers_inbound_max;
  transport_config.peers_outbound_max = config().p2p.peers_outbound_max;
  transport_config.persistent_peers = config().p2p.persistent_peers;
  transport_config.on_log = [log = log_](std::string_view line) { log->debug("p2p: {}", line); };
  transport_ = std::make_unique<net::Transport>(options_.node_key, std::move(transport_config));
}

std::optional<crypto::PublicKey> Node::validator_key() const {
  if (!options_.validator_key) return std::nullopt;
  return options_.validator_key->public_key();
}

uint16_t Node::p2p_port() const {
  return transport_->listen_port();
}

Status Node::start() {
  if (stop_requested_.load() || started_.exchange(true)) {
    return error(Code::kFailedPrecondition, "a node starts once (open another to restart)");
  }
  Status listening = transport_->start(config().p2p.listen_address, config().p2p.listen_port);
  if (!listening.is_ok()) return listening.with_context("p2p");
  for (const net::Endpoint& seed : config().p2p.seeds) {
    Status dialed = transport_->connect(seed);
    if (!dialed.is_ok()) log_->warn("seed {}: {}", seed.to_string(), dialed.to_string());
  }
  log_->info("started: node id {}, p2p {}:{}, height {}", node_id().hex(),
             config().p2p.listen_address, transport_->listen_port(), height());
  {
    std::lock_guard lock(stopped_mutex_);
    driver_running_ = true;
  }
  driver_ = std::thread([this] { run(); });
  pump_ = std::thread([this] { pump(); });
  return Status::ok();
}

void Node::stop() {
  std::lock_guard lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  stop_requested_ = true;
  std::vector<DriverQueue::Task> left = queue_.close();
  if (driver_.joinable()) driver_.join();
  // The driver is gone: tasks nobody took run here, so no query() waits in vain.
  for (DriverQueue::Task& task : left)
    task();
  if (transport_) transport_->stop();
  if (pump_.joinable()) pump_.join();
  if (!transport_) return;  // open() failed part-way; the disk closes with the node
  Status synced = chain_->sync();
  if (!synced.is_ok()) log_->error("final sync: {}", synced.to_string());
  if (started_.load()) log_->info("stopped at height {}", height());
  publish_status();
}

bool Node::wait_stopped(uint64_t timeout_ms) const {
  std::unique_lock lock(stopped_mutex_);
  return stopped_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                              [&] { return !driver_running_; });
}

uint64_t Node::now_ms() const {
  const auto elapsed = std::chrono::steady_clock::now() - clock_steady_start_;
  return clock_wall_start_ms_ +
         static_cast<uint64_t>(
             std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
}

// ---- The driver ----

void Node::run() {
  while (!stop_requested_.load()) {
    run_iteration(now_ms());
  }
  shutdown_driver();
}

void Node::shutdown_driver() {
  // Refuse new work and run what is queued, so the pump cannot block on a full queue and no
  // query() waits in vain.
  for (DriverQueue::Task& task : queue_.close())
    task();
  Status synced = chain_->sync();
  if (!synced.is_ok()) log_->error("sync at shutdown: {}", synced.to_string());
  publish_status();
  {
    std::lock_guard lock(stopped_mutex_);
    driver_running_ = false;
  }
  stopped_cv_.notify_all();
}

uint64_t Node::next_deadline_ms(uint64_t now_ms) const {
  if (engine_->has_ready() || !gossip_batch_.empty()) return now_ms;
  uint64_t deadline = std::min(heartbeat_at_ms_, status_broadcast_at_ms_);
  if (!announced_.empty()) deadline = std::min(deadline, announced_.front().due_ms);
  if (engine_wake_ms_) deadline = std::min(deadline, *engine_wake_ms_);
  deadline = std::min(deadline, block_sync_.wake_at_ms(now_ms));
  if (block_sync_.syncing()) deadline = std::min(deadline, progress_log_at_ms_);
  return deadline;
}

void Node::run_iteration(uint64_t now) {
  const uint64_t deadline_ms = next_deadline_ms(now);
  auto deadline = std::chrono::steady_clock::now();
  if (deadline_ms > now) deadline += std::chrono::milliseconds(deadline_ms - now);
  DriverQueue::Batch batch = queue_.wait_until(deadline);
  counters_->loop_iterations++;
  Iteration iteration;
  for (DriverQueue::Task& task : batch.tasks)
    task();
  for (net::Event& event : batch.events)
    on_network_event(event);
  mempool_->poll();

  now = now_ms();
  request_announced(now);
  if (now >= heartbeat_at_ms_ || (engine_wake_ms_ && now >= *engine_wake_ms_)) {
    engine_wake_ms_.reset();
    heartbeat_at_ms_ = now + kHeartbeatTickMs;
    engine_->step(consensus::Tick{now});
  }
  if (!execute_readies(iteration)) return;
  if (!run_block_sync(iteration, now)) return;
  if (!finish_iteration(iteration)) return;
  if (now >= status_broadcast_at_ms_) {
    broadcast_status();
    status_broadcast_at_ms_ = now + config().sync.status_interval_ms;
  }
  log_sync_progress(now);
  if (now >= status_log_at_ms_) {
    if (status_log_at_ms_ != 0) log_status();
    status_log_at_ms_ = now + kStatusLogIntervalMs;
  }
  publish_status();
}

void Node::log_status() {
  const consensus::EngineStatus engine = engine_->status();
  const net::TransportStats stats = transport_->stats();
  log_->info("height {} block {} round {} {}; peers {}; mempool {}{}", tip_.height,
             short_hex(tip_.hash), engine.round, engine.role,
             stats.peers_inbound + stats.peers_outbound, mempool_->size(),
             block_sync_.syncing() ? fmt::format("; syncing to {}", block_sync_.target_height())
                                   : std::string());
}

void Node::fail(const Status& status) {
  log_->critical("the node stops: {}", status.to_string());
  {
    std::lock_guard lock(status_mutex_);
    status_.failure = status.to_string();
  }
  stop_requested_ = true;
}

Status Node::post(std::function<void(DriverAccess&)> task) {
  if (stop_requested_.load()) return error(Code::kUnavailable, "the node is stopping");
  bool posted = queue_.post([this, task = std::move(task)] {
    DriverAccess access{*application_, *engine_, *chain_};
    task(access);
  });
  if (!posted) return error(Code::kUnavailable, "the node is not taking tasks (stopped or busy)");
  return Status::ok();
}

void Node::add_commit_listener(CommitListener listener) {
  SYNOD_ASSERT(!started_.load());
  commit_listeners_.push_back(std::move(listener));
}

Status Node::add_persistent_peer(const net::Endpoint& endpoint) {
  return transport_->add_persistent_peer(endpoint);
}

std::vector<net::PeerInfo> Node::peers() const {
  return transport_->peers();
}

Status Node::connect_peer(const net::Endpoint& endpoint) {
  log_->info("connecting to {} at the operator's request", endpoint.to_string());
  return transport_->connect(endpoint);
}

void Node::disconnect_peer(const net::NodeId& node_id, bool ban) {
  log_->info("{} {} at the operator's request", ban ? "banning" : "disconnecting",
             short_hex(node_id));
  if (ban) {
    // More than any ban threshold: the transport disconnects and bans it.
    transport_->penalize(node_id, "banned by the operator", std::numeric_limits<uint32_t>::max());
  } else {
    transport_->disconnect(node_id, "disconnected by the operator");
  }
}

net::TransportStats Node::transport_stats() const {
  return transport_->stats();
}

Status Node::submit_transaction(Bytes encoded, mempool::Mempool::Done done) {
  if (stop_requested_.load()) return error(Code::kUnavailable, "the node is stopping");
  Bytes copy = encoded;
  return mempool_->submit_encoded(
      std::move(encoded),
      [this, copy = std::move(copy), done = std::move(done)](const mempool::Admission& admission) {
        if (admission.status.is_ok()) queue_gossip(copy);
        if (done) done(admission);
      });
}

Status Node::submit_transactions(std::vector<Bytes> encoded, mempool::Mempool::BatchDone done) {
  if (stop_requested_.load()) return error(Code::kUnavailable, "the node is stopping");
  auto copies = std::make_shared<std::vector<Bytes>>(encoded);
  return mempool_->submit_batch(std::move(encoded), [this, copies, done = std::move(done)](
                                                        std::vector<mempool::Admission> results) {
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].status.is_ok()) queue_gossip(std::move((*copies)[i]));
    }
    if (done) done(std::move(results));
  });
}

// ---- Status ----

NodeStatus Node::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

NodeMetrics Node::metrics() const {
  return counters_->snapshot();
}

void Node::publish_status() {
  NodeStatus status;
  {
    std::lock_guard lock(stopped_mutex_);
    status.running = driver_running_ && !stop_requested_.load();
  }
  status.height = height_.load();
  status.tip_hash = tip_.hash;
  status.tip_time_ms = tip_.time_ms;
  status.state_root = application_->state_root();
  status.engine = engine_->status();
  status.syncing = block_sync_.syncing();
  status.sync_target_height = block_sync_.target_height();
  status.sync_blocks_per_second = sync_blocks_per_second_;
  for (const auto& [peer, height] : block_sync_.peer_heights()) {
    auto reported = peer_reports_.find(peer);
    PeerReport& report = status.peer_reports[peer];
    if (reported != peer_reports_.end()) report = reported->second;
    report.height = height;
  }
  const net::TransportStats stats = transport_->stats();
  status.peers = stats.peers_inbound + stats.peers_outbound;
  status.mempool_transactions = mempool_->size();
  std::lock_guard lock(status_mutex_);
  status.failure = status_.failure;
  status_ = std::move(status);
}

}  // namespace synod::node
