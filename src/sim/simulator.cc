#include "sim/simulator.h"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <queue>
#include <set>

#include "sim/load.h"
#include "sim/production.h"
#include "sim/trace.h"

namespace synod::sim {
namespace {

constexpr uint64_t kGenesisTimeMs = 1'700'000'000'000;
constexpr uint64_t kAccountBalance = 1'000'000'000'000;
constexpr size_t kTimersPerReplicaMax = 1'024;
constexpr std::string_view kChainId = "synod-sim";

struct ScheduledEvent {
  uint64_t time_ms = 0;
  uint64_t sequence = 0;
  std::function<void()> action;
};

// Earliest time first; among equal times, the order of scheduling.
struct Later {
  bool operator()(const ScheduledEvent& a, const ScheduledEvent& b) const {
    if (a.time_ms != b.time_ms) return a.time_ms > b.time_ms;
    return a.sequence > b.sequence;
  }
};

struct SimNode {
  uint32_t index = 0;
  ByzantineProfile profile;
  std::vector<std::unique_ptr<Replica>> replicas;  // two for equivocating twins
  std::vector<std::set<uint64_t>> armed_timers;    // per replica: virtual times
  std::vector<uint64_t> incarnation;               // per replica: bumped at each crash
  std::vector<uint32_t> twin_side;                 // per peer: which twin it talks to
  bool twins_leak = false;  // both twins send to every peer (double votes everywhere)
  bool down = false;
  std::optional<CrashPoint> crash_armed;
  int64_t clock_skew_ms = 0;
};

std::string short_hash(const Hash256& hash) {
  return hash.hex().substr(0, 12);
}

crypto::KeyPair key_from(Prng& prng) {
  crypto::Seed seed;
  for (size_t byte = 0; byte < seed.size(); ++byte)
    seed.data[byte] = static_cast<uint8_t>(prng.next());
  return crypto::KeyPair::from_seed(seed);
}

class Simulator final : public ReplicaHost {
 public:
  explicit Simulator(const Options& options)
      : options_(options), prng_(options.seed), wall_start_(std::chrono::steady_clock::now()) {}

  Result<Summary> run();

  // ReplicaHost.
  void send(Replica& from, const consensus::OutMessage& message) override;
  void arm_timer(Replica& replica, uint64_t local_ms) override;
  void committed(Replica& replica, const chain::Block& block, const Hash256& state_root) override;
  void apply_failed(Replica& replica, uint64_t height, const Status& status) override;
  void evidence(Replica& replica, const consensus::Evidence& evidence) override;
  void trace(Replica& replica, std::string_view line) override;
  bool crash_here(Replica& replica, CrashPoint point) override;

 private:
  enum class Phase { kCalm, kChaos };

  Status build();
  chain::Genesis make_genesis(std::vector<crypto::KeyPair>& validator_keys);
  void build_nodes(std::vector<crypto::KeyPair> validator_keys);
  void schedule(uint64_t at_ms, std::function<void()> action);
  void record(std::string_view line) { trace_.record(now_, line); }
  bool honest(uint32_t node) const { return !nodes_[node].profile.byzantine(); }

  void transmit(uint32_t from, uint32_t from_instance, uint32_t to, Channel channel, Bytes payload);
  void deliver(const Envelope& envelope);
  void deliver_sync_request(const Envelope& envelope, Replica& replica);
  void fire_timer(uint32_t node, uint32_t instance, uint64_t incarnation, uint64_t at_ms);
  void load_tick();
  void sync_tick(uint32_t node, uint32_t instance);

  void start_calm();
  void start_chaos();
  // Within `start_window_ms` from now; healed (restarted) within the chaos phase or at calm.
  void schedule_partition(uint64_t start_window_ms, uint64_t chaos_ms);
  void schedule_crash(uint32_t node, uint64_t start_window_ms);
  void crash_node(uint32_t node, std::string_view how);
  void restart_node(uint32_t node);
  void report_stored_commits(uint32_t node);
  void liveness_deadline(uint64_t generation);
  void on_liveness_satisfied();

  bool over_bounds();
  Summary summarize();

  Options options_;
  Prng prng_;
  Prng fault_prng_{0};
  std::chrono::steady_clock::time_point wall_start_;
  std::shared_ptr<const chain::Genesis> genesis_;
  std::vector<crypto::PublicKey> keys_;
  std::map<crypto::PublicKey, uint32_t> index_of_;
  std::vector<SimNode> nodes_;
  FaultRates rates_;
  std::unique_ptr<Network> network_;
  std::unique_ptr<Checkers> checkers_;
  std::unique_ptr<LoadGenerator> load_;
  Trace trace_;

  std::priority_queue<ScheduledEvent, std::vector<ScheduledEvent>, Later> queue_;
  uint64_t sequence_ = 0;
  uint64_t now_ = 0;
  uint64_t events_ = 0;
  Phase phase_ = Phase::kCalm;
  uint64_t phase_generation_ = 0;
  uint64_t chaos_phases_ = 0;
  bool calm_satisfied_ = false;

  FaultCounts faults_;
  uint64_t evidence_ = 0;
  uint64_t transactions_committed_ = 0;
  CheckerVerdict bounds_{"bounds", true, 0, ""};
};

Status Simulator::build() {
  SYNOD_TRY(options_.check());
  if (!options_.engine_factory) options_.engine_factory = production_engine_factory();
  if (!options_.application_factory) {
    options_.application_factory = production_application_factory();
    if (!options_.supply) options_.supply = production_supply();
  }
  if (!options_.application_factory) {
    return error(Code::kFailedPrecondition, "the ledger application is not built yet");
  }
  trace_.set_echo(options_.echo_trace);
  fault_prng_ = prng_.fork();
  rates_ = FaultRates::from_seed(options_.faults, fault_prng_);
  std::vector<crypto::KeyPair> validator_keys;
  chain::Genesis genesis = make_genesis(validator_keys);
  SYNOD_TRY(genesis.validate().with_context("simulated genesis"));
  genesis_ = std::make_shared<const chain::Genesis>(std::move(genesis));
  network_ =
      std::make_unique<Network>(options_.nodes, rates_, consensus::kMessageBytesMax, prng_.fork());
  build_nodes(std::move(validator_keys));
  std::vector<bool> honest_nodes;
  for (const SimNode& node : nodes_)
    honest_nodes.push_back(!node.profile.byzantine());
  checkers_ = std::make_unique<Checkers>(honest_nodes, options_.application_factory(*genesis_),
                                         options_.supply, genesis_->total_supply());
  return Status::ok();
}

chain::Genesis Simulator::make_genesis(std::vector<crypto::KeyPair>& validator_keys) {
  chain::Genesis genesis;
  genesis.chain_id = std::string(kChainId);
  genesis.genesis_time_ms = kGenesisTimeMs;
  genesis.app = chain::AppKind::kLedger;
  genesis.consensus.mechanism = options_.mechanism;
  genesis.consensus.block_interval_ms = options_.block_interval_ms;
  genesis.consensus.round_timeout_ms = options_.round_timeout_ms;
  genesis.consensus.block_transactions_max = options_.block_transactions_max;
  std::vector<chain::Validator> validators;
  for (uint32_t i = 0; i < options_.nodes; ++i) {
    validator_keys.push_back(key_from(prng_));
    validators.push_back(
        chain::Validator{validator_keys.back().public_key(), 1, fmt::format("node{}", i)});
  }
  auto set = chain::ValidatorSet::create(std::move(validators));
  SYNOD_ASSERT(set.is_ok());  // distinct random keys, power 1 each
  genesis.validators = std::move(set).value();
  Prng load_prng = prng_.fork();
  std::vector<crypto::KeyPair> accounts =
      LoadGenerator::make_accounts(options_.load_accounts, load_prng);
  for (const crypto::KeyPair& account : accounts) {
    genesis.accounts.push_back(chain::GenesisAccount{
        chain::Address::from_public_key(account.public_key()), kAccountBalance});
  }
  load_ = std::make_unique<LoadGenerator>(genesis.chain_id, std::move(accounts), load_prng.fork());
  return genesis;
}

void Simulator::build_nodes(std::vector<crypto::KeyPair> validator_keys) {
  std::vector<uint32_t> order(options_.nodes);
  for (uint32_t i = 0; i < options_.nodes; ++i)
    order[i] = i;
  prng_.shuffle(order);
  std::set<uint32_t> byzantine(order.begin(), order.begin() + options_.byzantine);
  nodes_.resize(options_.nodes);
  for (uint32_t i = 0; i < options_.nodes; ++i) {
    SimNode& node = nodes_[i];
    node.index = i;
    keys_.push_back(validator_keys[i].public_key());
    index_of_[keys_.back()] = i;
    if (byzantine.contains(i)) node.profile = ByzantineProfile::from_seed(prng_);
    if (rates_.clock_skew_ms_max > 0) {
      node.clock_skew_ms = static_cast<int64_t>(prng_.between(0, 2 * rates_.clock_skew_ms_max)) -
                           static_cast<int64_t>(rates_.clock_skew_ms_max);
    }
    const uint32_t instances = node.profile.has(Behavior::kEquivocate) ? 2 : 1;
    auto key = std::make_shared<const crypto::KeyPair>(validator_keys[i]);
    for (uint32_t instance = 0; instance < instances; ++instance) {
      ReplicaConfig config;
      config.node = i;
      config.instance = instance;
      config.genesis = genesis_;
      config.key = key;
      config.profile = node.profile;
      config.engine_factory = options_.engine_factory;
      config.application_factory = options_.application_factory;
      config.clock_skew_ms = node.clock_skew_ms;
      config.bug_skip_records = options_.bug_skip_records && !node.profile.byzantine();
      node.replicas.push_back(std::make_unique<Replica>(std::move(config), prng_.fork()));
    }
    node.armed_timers.resize(instances);
    node.incarnation.resize(instances, 0);
    node.twin_side.resize(options_.nodes, 0);
  }
}

void Simulator::schedule(uint64_t at_ms, std::function<void()> action) {
  SYNOD_ASSERT(at_ms >= now_);
  queue_.push(ScheduledEvent{at_ms, sequence_++, std::move(action)});
}

Result<Summary> Simulator::run() {
  SYNOD_TRY(build());
  for (SimNode& node : nodes_) {
    for (auto& replica : node.replicas) {
      Status started = replica->start(now_, *this);
      if (!started.is_ok())
        return started.with_context(fmt::format("starting node {}", node.index));
      const uint32_t instance = replica->instance();
      schedule(prng_.between(1, options_.sync_interval_ms),
               [this, i = node.index, instance] { sync_tick(i, instance); });
    }
  }
  schedule(options_.load_interval_ms, [this] { load_tick(); });
  start_chaos();
  while (!queue_.empty()) {
    if (over_bounds()) break;
    ScheduledEvent event = queue_.top();
    queue_.pop();
    now_ = event.time_ms;
    event.action();
    ++events_;
    if (checkers_->failed()) break;
    if (checkers_->honest_height_min() >= options_.heights) break;
  }
  return summarize();
}

bool Simulator::over_bounds() {
  std::string problem;
  if (events_ >= options_.events_max) {
    problem = fmt::format("{} events without finishing", events_);
  } else if (queue_.size() > options_.events_pending_max) {
    problem = fmt::format("{} events pending", queue_.size());
  } else if (queue_.top().time_ms > options_.virtual_time_limit_ms()) {
    problem = fmt::format("virtual time limit {} ms reached", options_.virtual_time_limit_ms());
  } else if (events_ % 4096 == 0) {
    auto wall = std::chrono::steady_clock::now() - wall_start_;
    if (std::chrono::duration_cast<std::chrono::milliseconds>(wall).count() >
        static_cast<int64_t>(options_.wall_time_ms_max)) {
      problem = fmt::format("wall time limit {} ms reached", options_.wall_time_ms_max);
    }
  }
  if (problem.empty()) return false;
  bounds_.passed = false;
  bounds_.detail =
      problem + fmt::format(" (honest heights {}..{} of {})", checkers_->honest_height_min(),
                            checkers_->honest_height_max(), options_.heights);
  return true;
}

// ---- Network ----

void Simulator::send(Replica& from, const consensus::OutMessage& message) {
  SimNode& node = nodes_[from.node()];
  std::vector<uint32_t> targets;
  if (message.to) {
    auto found = index_of_.find(*message.to);
    if (found == index_of_.end()) return;  // not a validator: nowhere to send
    targets.push_back(found->second);
  } else {
    for (uint32_t i = 0; i < options_.nodes; ++i)
      if (i != from.node()) targets.push_back(i);
  }
  for (uint32_t to : targets) {
    if (node.replicas.size() > 1 && !node.twins_leak && node.twin_side[to] != from.instance()) {
      continue;  // each twin talks to its own half of the network
    }
    if (!node.profile.byzantine()) {
      transmit(from.node(), from.instance(), to, Channel::kConsensus, message.payload);
      continue;
    }
    for (Bytes& payload : from.mutator().mutate(message.payload, from.byzantine_counts()))
      transmit(from.node(), from.instance(), to, Channel::kConsensus, std::move(payload));
  }
}

void Simulator::transmit(uint32_t from, uint32_t from_instance, uint32_t to, Channel channel,
                         Bytes payload) {
  auto envelope = std::make_shared<Envelope>();
  envelope->from = from;
  envelope->from_replica = from_instance;
  envelope->to = to;
  envelope->to_replica = nodes_[to].replicas.size() > 1 ? nodes_[to].twin_side[from] : 0;
  envelope->channel = channel;
  envelope->payload = std::move(payload);
  for (uint64_t arrival : network_->route(*envelope, now_))
    schedule(arrival, [this, envelope] { deliver(*envelope); });
}

void Simulator::deliver(const Envelope& envelope) {
  Replica& replica = *nodes_[envelope.to].replicas[envelope.to_replica];
  record(fmt::format("n{}.{} <- n{}.{} {} {}B{}", envelope.to, envelope.to_replica, envelope.from,
                     envelope.from_replica, channel_name(envelope.channel), envelope.payload.size(),
                     replica.running() ? "" : " (down)"));
  if (!replica.running()) return;
  if (envelope.payload.size() <= 64 * 1024) trace_.absorb(envelope.payload);
  switch (envelope.channel) {
    case Channel::kConsensus:
      replica.receive(consensus::PeerMessage{keys_[envelope.from], envelope.payload}, *this);
      break;
    case Channel::kTransaction:
      (void)replica.submit_encoded(envelope.payload);  // duplicates and stale nonces are refused
      break;
    case Channel::kSyncRequest:
      deliver_sync_request(envelope, replica);
      break;
    case Channel::kSyncResponse:
      replica.on_sync_response(envelope.payload, *this);
      break;
  }
}

void Simulator::deliver_sync_request(const Envelope& envelope, Replica& replica) {
  auto response = replica.sync_response(envelope.payload);
  if (!response.is_ok() || response->empty()) return;
  auto reply = std::make_shared<Envelope>();
  reply->from = envelope.to;
  reply->from_replica = envelope.to_replica;
  reply->to = envelope.from;
  reply->to_replica = envelope.from_replica;
  reply->channel = Channel::kSyncResponse;
  reply->payload = std::move(response).value();
  if (nodes_[envelope.to].profile.byzantine()) {
    std::vector<Bytes> mutated =
        replica.mutator().mutate(reply->payload, replica.byzantine_counts());
    if (mutated.empty()) return;
    reply->payload = std::move(mutated.front());
  }
  for (uint64_t arrival : network_->route(*reply, now_))
    schedule(arrival, [this, reply] { deliver(*reply); });
}

// ---- Timers, load, sync ----

void Simulator::arm_timer(Replica& replica, uint64_t local_ms) {
  SimNode& node = nodes_[replica.node()];
  const int64_t virtual_ms =
      static_cast<int64_t>(local_ms) - static_cast<int64_t>(kGenesisTimeMs) - node.clock_skew_ms;
  const uint64_t at_ms = std::max<int64_t>(virtual_ms, static_cast<int64_t>(now_));
  std::set<uint64_t>& armed = node.armed_timers[replica.instance()];
  if (armed.contains(at_ms) || armed.size() >= kTimersPerReplicaMax) return;
  armed.insert(at_ms);
  schedule(at_ms, [this, i = node.index, instance = replica.instance(),
                   incarnation = node.incarnation[replica.instance()],
                   at_ms] { fire_timer(i, instance, incarnation, at_ms); });
}

void Simulator::fire_timer(uint32_t node_index, uint32_t instance, uint64_t incarnation,
                           uint64_t at_ms) {
  SimNode& node = nodes_[node_index];
  if (node.incarnation[instance] != incarnation) return;  // armed before a crash
  node.armed_timers[instance].erase(at_ms);
  Replica& replica = *node.replicas[instance];
  if (!replica.running()) return;
  record(fmt::format("n{}.{} tick {}", node_index, instance, replica.local_time_ms(now_)));
  replica.tick(now_, *this);
}

void Simulator::load_tick() {
  schedule(now_ + options_.load_interval_ms, [this] { load_tick(); });
  std::optional<chain::Transaction> tx = load_->next(now_, checkers_->reference());
  if (!tx) return;
  const uint32_t target = static_cast<uint32_t>(prng_.below(options_.nodes));
  SimNode& node = nodes_[target];
  Replica& replica = *node.replicas[prng_.below(node.replicas.size())];
  Status admitted = replica.submit(*tx);
  record(fmt::format("load -> n{}.{} nonce={} {}", target, replica.instance(), tx->nonce,
                     admitted.is_ok() ? "ok" : admitted.to_string()));
  if (!admitted.is_ok()) return;
  const Bytes encoded = encode(*tx);
  for (uint32_t to = 0; to < options_.nodes; ++to)
    if (to != target) transmit(target, replica.instance(), to, Channel::kTransaction, encoded);
}

void Simulator::sync_tick(uint32_t node_index, uint32_t instance) {
  schedule(now_ + options_.sync_interval_ms + prng_.below(options_.sync_interval_ms / 4 + 1),
           [this, node_index, instance] { sync_tick(node_index, instance); });
  Replica& replica = *nodes_[node_index].replicas[instance];
  if (!replica.running() || options_.nodes < 2) return;
  uint32_t peer = static_cast<uint32_t>(prng_.below(options_.nodes - 1));
  if (peer >= node_index) ++peer;
  transmit(node_index, instance, peer, Channel::kSyncRequest, replica.sync_request());
}

// ---- ReplicaHost callbacks ----

void Simulator::committed(Replica& replica, const chain::Block& block, const Hash256& state_root) {
  if (!honest(replica.node())) return;
  const uint64_t agreed_before = checkers_->agreed_height();
  checkers_->on_commit(replica.node(), now_, block, state_root);
  if (checkers_->agreed_height() > agreed_before) {
    transactions_committed_ += block.transactions.size();
  }
  on_liveness_satisfied();
}

void Simulator::apply_failed(Replica& replica, uint64_t height, const Status& status) {
  checkers_->on_apply_failure(replica.node(), height, status);
}

void Simulator::evidence(Replica& replica, const consensus::Evidence& evidence) {
  ++evidence_;
  auto offender = index_of_.find(evidence.offender);
  record(fmt::format(
      "n{}.{} evidence {} against {} h={} r={}", replica.node(), replica.instance(), evidence.kind,
      offender == index_of_.end() ? "a non-validator" : fmt::format("n{}", offender->second),
      evidence.height, evidence.round));
  if (offender != index_of_.end()) {
    checkers_->on_evidence(offender->second, evidence.kind, evidence.height, evidence.round);
  }
}

void Simulator::trace(Replica& replica, std::string_view line) {
  record(fmt::format("n{}.{} {}", replica.node(), replica.instance(), line));
}

bool Simulator::crash_here(Replica& replica, CrashPoint point) {
  SimNode& node = nodes_[replica.node()];
  if (!node.crash_armed || *node.crash_armed != point) return false;
  crash_node(node.index, crash_point_name(point));
  return true;
}

// ---- Phases and node faults ----

void Simulator::start_calm() {
  phase_ = Phase::kCalm;
  ++phase_generation_;
  calm_satisfied_ = false;
  network_->heal();
  network_->set_faults_active(false);
  record("calm: faults heal");
  for (SimNode& node : nodes_) {
    node.crash_armed.reset();
    if (node.down) restart_node(node.index);
  }
  checkers_->open_liveness_window(now_, now_ + options_.liveness_limit_ms());
  schedule(now_ + options_.liveness_limit_ms(),
           [this, generation = phase_generation_] { liveness_deadline(generation); });
}

void Simulator::on_liveness_satisfied() {
  if (phase_ != Phase::kCalm || calm_satisfied_ || checkers_->liveness_window_open()) return;
  if (checkers_->failed()) return;
  calm_satisfied_ = true;
  record("calm: liveness satisfied");
  schedule(now_ + fault_prng_.between(200, 3'000), [this, generation = phase_generation_] {
    if (generation == phase_generation_) start_chaos();
  });
}

void Simulator::liveness_deadline(uint64_t generation) {
  if (generation != phase_generation_) return;
  checkers_->check_liveness(now_);
  on_liveness_satisfied();
}

void Simulator::start_chaos() {
  phase_ = Phase::kChaos;
  const uint64_t generation = ++phase_generation_;
  const uint64_t chaos_ms = fault_prng_.between(options_.chaos_ms_min, options_.chaos_ms_max);
  network_->set_faults_active(true);
  record(fmt::format("chaos for {} ms", chaos_ms));
  ++faults_["chaos-phase"];
  for (SimNode& node : nodes_) {
    if (node.replicas.size() < 2) continue;
    for (uint32_t& side : node.twin_side)
      side = static_cast<uint32_t>(fault_prng_.below(2));
    node.twins_leak = fault_prng_.chance(300'000);
    ++faults_["byzantine-equivocate"];
  }
  // The first chaos phase injects every enabled kind at least once, so even a short run
  // exercises each fault in its mix.
  const bool first = chaos_phases_++ == 0;
  if (rates_.partition_per_phase_per_million > 0 &&
      (first || fault_prng_.chance(rates_.partition_per_phase_per_million))) {
    schedule_partition(first ? std::min<uint64_t>(chaos_ms / 2, 200) : chaos_ms / 2, chaos_ms);
  }
  const uint32_t surely_crashed = static_cast<uint32_t>(fault_prng_.below(options_.nodes));
  for (uint32_t i = 0; i < options_.nodes; ++i) {
    if (rates_.crash_per_phase_per_million == 0) break;
    if ((first && i == surely_crashed) || fault_prng_.chance(rates_.crash_per_phase_per_million)) {
      schedule_crash(i, first ? std::min<uint64_t>(chaos_ms / 2, 200) : chaos_ms);
    }
  }
  schedule(now_ + chaos_ms, [this, generation] {
    if (generation == phase_generation_) start_calm();
  });
}

void Simulator::schedule_partition(uint64_t start_window_ms, uint64_t chaos_ms) {
  const uint64_t generation = phase_generation_;
  const uint64_t at = now_ + fault_prng_.below(start_window_ms + 1);
  const uint64_t heal_at = at + fault_prng_.between(chaos_ms / 4, chaos_ms);
  std::vector<uint32_t> groups(options_.nodes, 0);
  if (fault_prng_.chance(400'000)) {
    groups[fault_prng_.below(options_.nodes)] = 1;  // isolate one node
  } else {
    for (uint32_t& group : groups)
      group = static_cast<uint32_t>(fault_prng_.below(2));
  }
  schedule(at, [this, generation, groups] {
    if (generation != phase_generation_) return;
    network_->partition(groups);
    ++faults_["partition"];
    std::string sides;
    for (uint32_t group : groups)
      sides += static_cast<char>('a' + group);
    record("partition " + sides);
  });
  schedule(heal_at, [this, generation] {
    if (generation != phase_generation_ || !network_->partitioned()) return;
    network_->heal();
    record("partition healed");
  });
}

void Simulator::schedule_crash(uint32_t node_index, uint64_t start_window_ms) {
  const uint64_t generation = phase_generation_;
  const uint64_t at = now_ + fault_prng_.below(start_window_ms + 1);
  const uint64_t downtime =
      fault_prng_.between(100, std::max<uint64_t>(rates_.crash_downtime_ms_max, 100));
  const bool mid_ready = fault_prng_.chance(500'000);
  const CrashPoint point = static_cast<CrashPoint>(fault_prng_.below(3));
  schedule(at, [this, generation, node_index, mid_ready, point] {
    SimNode& node = nodes_[node_index];
    if (generation != phase_generation_ || node.down) return;
    if (!mid_ready) {
      crash_node(node_index, "idle");
      return;
    }
    node.crash_armed = point;  // crashes when its driver next reaches `point`
    record(fmt::format("n{} crash armed at {}", node_index, crash_point_name(point)));
  });
  schedule(at + downtime, [this, generation, node_index] {
    if (generation != phase_generation_) return;
    SimNode& node = nodes_[node_index];
    if (node.crash_armed) crash_node(node_index, "idle (armed point not reached)");
    restart_node(node_index);
  });
}

void Simulator::crash_node(uint32_t node_index, std::string_view how) {
  SimNode& node = nodes_[node_index];
  SYNOD_ASSERT(!node.down);
  node.down = true;
  node.crash_armed.reset();
  ++faults_["crash"];
  for (size_t instance = 0; instance < node.replicas.size(); ++instance) {
    Replica& replica = *node.replicas[instance];
    const size_t unsynced = replica.disk().unsynced_write_count();
    const size_t kept = fault_prng_.below(unsynced + 1);
    replica.crash(kept);
    node.armed_timers[instance].clear();
    ++node.incarnation[instance];
    record(fmt::format("n{}.{} crash {}: kept {} of {} unsynced writes", node_index, instance, how,
                       kept, unsynced));
  }
}

void Simulator::restart_node(uint32_t node_index) {
  SimNode& node = nodes_[node_index];
  if (!node.down) return;
  node.down = false;
  ++faults_["restart"];
  for (auto& replica : node.replicas) {
    if (honest(node_index)) {
      checkers_->on_restart(node_index, [&](uint64_t height) -> Result<std::optional<Hash256>> {
        SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Block> block, replica->store().block(height));
        if (!block) return std::optional<Hash256>();
        return std::optional<Hash256>(block->hash());
      });
      report_stored_commits(node_index);
    }
    Status started = replica->start(now_, *this);
    if (!started.is_ok()) {
      record(fmt::format("n{}.{} restart failed: {}", node_index, replica->instance(),
                         started.to_string()));
      checkers_->on_start_failure(node_index, started);
    }
  }
}

// Blocks whose unsynced commit batch survived the crash are commits the checkers have not seen.
void Simulator::report_stored_commits(uint32_t node_index) {
  const NodeStore& store = nodes_[node_index].replicas[0]->store();
  auto tip = store.tip_height();
  if (!tip.is_ok()) return;  // start() reports the unreadable store
  for (uint64_t height = checkers_->committed_height(node_index) + 1; height <= *tip; ++height) {
    auto block = store.block(height);
    if (!block.is_ok() || !block->has_value()) return;
    const chain::Block& stored = **block;
    record(fmt::format("n{} recovered unsynced commit h={} {}", node_index, height,
                       short_hash(stored.hash())));
    checkers_->on_commit(node_index, now_, stored, stored.header.state_root);
  }
}

// ---- Summary ----

Summary Simulator::summarize() {
  Summary summary;
  summary.options = options_;
  summary.options.engine_factory = {};
  summary.options.application_factory = {};
  summary.options.supply = {};
  for (const SimNode& node : nodes_) {
    if (!node.profile.byzantine()) continue;
    if (!summary.byzantine_description.empty()) summary.byzantine_description += ' ';
    summary.byzantine_description += fmt::format("n{}[{}]", node.index, node.profile.to_string());
  }
  summary.rates_description = rates_.to_string();
  summary.agreed_height = checkers_->agreed_height();
  summary.honest_height_min = checkers_->honest_height_min();
  summary.honest_height_max = checkers_->honest_height_max();
  summary.virtual_time_ms = now_;
  summary.events = events_;
  summary.wall_time_ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - wall_start_)
                                .count());
  summary.network = network_->stats();
  summary.faults = faults_;
  summary.faults["drop"] = summary.network.dropped_fault;
  summary.faults["drop-partition"] = summary.network.dropped_partition;
  summary.faults["duplicate"] = summary.network.duplicated;
  summary.faults["delay-tail"] = summary.network.delayed_tail;
  for (const SimNode& node : nodes_) {
    for (const auto& replica : node.replicas) {
      for (const auto& [kind, count] : replica->byzantine_counts())
        summary.faults[kind] += count;
    }
  }
  summary.transactions_generated = load_->generated();
  summary.transactions_committed = transactions_committed_;
  summary.evidence = evidence_;
  summary.verdicts = checkers_->verdicts();
  summary.verdicts.push_back(bounds_);
  summary.digest = trace_.digest();
  for (const CheckerVerdict& verdict : summary.verdicts) {
    if (!verdict.passed && summary.passed) {
      summary.passed = false;
      summary.failure = verdict.name + ": " + verdict.detail;
    }
  }
  if (!summary.passed) summary.trace.assign(trace_.recent().begin(), trace_.recent().end());
  return summary;
}

}  // namespace

// ---- Options ----

Status Options::check() const {
  auto bad = [](std::string message) { return error(Code::kInvalidArgument, std::move(message)); };
  if (nodes < 1 || nodes > 100) return bad("nodes must be between 1 and 100");
  if (byzantine > (nodes - 1) / 3) {
    return bad(fmt::format("byzantine must be at most f = (nodes - 1) / 3 = {}", (nodes - 1) / 3));
  }
  if (heights < 1) return bad("heights must be at least 1");
  if (load_accounts < 2) return bad("load_accounts must be at least 2");
  if (load_interval_ms < 1 || sync_interval_ms < 1) return bad("intervals must be at least 1 ms");
  if (chaos_ms_min < 1 || chaos_ms_min > chaos_ms_max) return bad("chaos_ms_min..max is empty");
  return Status::ok();
}

uint64_t Options::virtual_time_limit_ms() const {
  if (virtual_time_ms_max != 0) return virtual_time_ms_max;
  return heights * 10'000 + 300'000;
}

uint64_t Options::liveness_limit_ms() const {
  if (liveness_bound_ms != 0) return liveness_bound_ms;
  return round_timeout_ms * 128 + 10'000;
}

std::string Options::replay_command() const {
  return fmt::format(
      "synod sim --consensus {} --nodes {} --byzantine {} --faults {} --seed {} "
      "--heights {}",
      chain::mechanism_name(mechanism), nodes, byzantine, faults.to_string(), seed, heights);
}

std::string Summary::to_text() const {
  std::string out;
  auto line = [&](std::string text) {
    out += text;
    out += '\n';
  };
  line(fmt::format("synod sim: {} on {} nodes, seed {}, faults {}",
                   chain::mechanism_name(options.mechanism), options.nodes, options.seed,
                   options.faults.to_string()));
  line(fmt::format("  byzantine:      {}",
                   byzantine_description.empty() ? "none" : byzantine_description));
  line(fmt::format("  fault rates:    {}", rates_description));
  line(fmt::format("  heights:        {} agreed; honest nodes at {}..{} (target {})", agreed_height,
                   honest_height_min, honest_height_max, options.heights));
  line(fmt::format("  virtual time:   {}.{:03} s in {} events ({} ms wall)", virtual_time_ms / 1000,
                   virtual_time_ms % 1000, events, wall_time_ms));
  line(
      fmt::format("  messages:       {} sent, {} delivered, {} dropped by faults, {} by "
                  "partitions, {} oversize frames refused, {} duplicated",
                  network.sent, network.delivered, network.dropped_fault, network.dropped_partition,
                  network.dropped_oversize, network.duplicated));
  std::string injected;
  for (const auto& [kind, count] : faults) {
    if (count == 0) continue;
    injected += fmt::format("{}{}={}", injected.empty() ? "" : " ", kind, count);
  }
  line(fmt::format("  faults:         {}", injected.empty() ? "none" : injected));
  line(fmt::format("  transactions:   {} generated, {} committed; evidence reported {}",
                   transactions_generated, transactions_committed, evidence));
  for (const CheckerVerdict& verdict : verdicts) {
    line(fmt::format("  {:<15} {} ({} checks){}", verdict.name + ":",
                     verdict.passed ? "PASS" : "FAIL", verdict.checks,
                     verdict.passed ? "" : " — " + verdict.detail));
  }
  line(fmt::format("  trace digest:   {}", digest.hex()));
  if (!passed) {
    line(fmt::format("FAILED seed {}: {}", options.seed, failure));
    line(fmt::format("replay: {}", options.replay_command()));
    line(fmt::format("last {} trace events:", trace.size()));
    for (const std::string& event : trace)
      line("  " + event);
  }
  return out;
}

Result<Summary> run(const Options& options) {
  Simulator simulator(options);
  return simulator.run();
}

std::vector<Summary> sweep(const Options& base, uint64_t first_seed, uint64_t count,
                           const std::function<void(const Summary&)>& progress) {
  std::vector<Summary> failures;
  for (uint64_t seed = first_seed; seed < first_seed + count; ++seed) {
    Options options = base;
    options.seed = seed;
    auto summary = run(options);
    if (!summary.is_ok()) {
      Summary failed;
      failed.options = options;
      failed.passed = false;
      failed.failure = "setup: " + summary.status().to_string();
      failures.push_back(failed);
      if (progress) progress(failed);
      continue;
    }
    if (progress) progress(*summary);
    if (!summary->passed) failures.push_back(std::move(summary).value());
  }
  return failures;
}

}  // namespace synod::sim
