// `synod localnet`: runs N validators on 127.0.0.1 as child processes of this one.
//
//   synod localnet --nodes 4 --consensus pbft --home localnet [--demo-load] [--base-port 26600]
//                  [--accounts K [--account-seed S]] [--app kvstore [--unsigned-writes]]
//
// The homes and the child processes are a cluster::LocalCluster (cluster/local_cluster.h). The
// first run writes one home per node under DIR (DIR/node0 ... DIR/node<N-1>): one shared genesis
// funding every validator's account and K more accounts whose keys derive from the seed (see
// local_cluster.h), node i on p2p port P+2i and RPC port P+2i+1, every other node a persistent
// peer. A later run with the same DIR reuses those homes (the chain goes on from where it
// stopped; give the same --account-seed). Each node is `synod start --home DIR/node<i>`
// (fork/exec of this binary) logging to DIR/node<i>/node.log. Every 2 s a line per node from its
// get_status (height, peers, mempool) and the committed transactions per second. --demo-load
// submits a steady stream of signed transfers between the validators' genesis-funded accounts
// through submit_transaction (ledger app only).
// SIGINT or SIGTERM: SIGTERM to every child, a bounded wait, SIGKILL for any left, exit 0.
// Exit codes: 0 stopped by a signal (or --duration-s elapsed), 1 a failure, 2 bad options.
#include "apps/localnet_command.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/codec.h"
#include "chain/transaction.h"
#include "cluster/local_cluster.h"
#include "node/home.h"
#include "rpc/http_client.h"

namespace synod::apps {
namespace {

using Json = nlohmann::json;

struct LocalnetFlags {
  uint32_t nodes = 4;
  uint32_t followers = 0;
  std::string consensus = "pbft";
  std::string app = "ledger";
  bool unsigned_writes = false;
  uint32_t accounts = 0;
  std::string account_seed = "synod-localnet";
  uint64_t account_balance = 1'000'000'000;
  std::string home;
  std::string chain_id = "synod-localnet";
  bool demo_load = false;
  uint32_t load_rate = 100;  // transfers per second
  uint16_t base_port = 26600;
  uint64_t block_interval_ms = 500;
  uint64_t duration_s = 0;  // 0: until a signal
};

uint64_t steady_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

constexpr uint64_t kRpcTimeoutMs = 2'000;

// One kept-alive JSON-RPC client per node's RPC port (this command is single-threaded).
rpc::JsonRpcClient& client_for(uint16_t port) {
  static std::map<uint16_t, std::unique_ptr<rpc::JsonRpcClient>> clients;
  auto& client = clients[port];
  if (!client) {
    rpc::JsonRpcClientOptions options;
    options.http.timeout_ms = kRpcTimeoutMs;
    client = std::make_unique<rpc::JsonRpcClient>(rpc::loopback_endpoint(port), options);
  }
  return *client;
}

// A JSON-RPC call: the result, or nullopt (unreachable, or an error: `error` says which).
std::optional<Json> rpc_call(uint16_t port, const std::string& method, const Json& params,
                             Json* error = nullptr) {
  auto reply = client_for(port).call(method, params);
  if (!reply.is_ok()) return std::nullopt;
  if (reply->ok()) return std::move(*reply->result);
  if (error != nullptr) *error = *reply->error;
  return std::nullopt;
}

// GET `target` on the node's RPC port: the body of a 200 answer, or nullopt.
std::optional<std::string> http_get_body(uint16_t port, const std::string& target) {
  auto answer = client_for(port).connection().get(target);
  if (!answer.is_ok() || answer->status != 200) return std::nullopt;
  return std::move(answer->body);
}

// The value of one Prometheus sample line `name value`.
std::optional<uint64_t> metric_value(const std::string& text, const std::string& name) {
  size_t at = 0;
  while ((at = text.find(name + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      return std::strtoull(text.c_str() + at + name.size() + 1, nullptr, 10);
    }
    at += name.size();
  }
  return std::nullopt;
}

// Opens the localnet in flags.home, writing it first when the folder holds none.
Result<std::unique_ptr<cluster::LocalCluster>> prepare_cluster(const LocalnetFlags& flags,
                                                               chain::Mechanism mechanism,
                                                               const std::string& exe) {
  namespace fs = std::filesystem;
  std::error_code code;
  const std::string first_config = flags.home + "/node0/" + node::kConfigFileName;
  if (fs::exists(first_config, code)) {
    std::printf("localnet: reusing the localnet in %s\n", flags.home.c_str());
    SYNOD_ASSIGN_OR_RETURN(
        auto opened, cluster::LocalCluster::open(flags.home, exe, flags.account_seed, SIGTERM));
    if (opened->size() != flags.nodes + flags.followers) {
      std::printf("localnet: %s holds %zu nodes; running those (not --nodes %u)\n",
                  flags.home.c_str(), opened->size(), flags.nodes);
    }
    return opened;
  }
  if (fs::exists(flags.home, code) && !fs::is_empty(flags.home, code)) {
    return error(Code::kAlreadyExists,
                 flags.home + " is not empty and holds no localnet (no node0/config.toml)");
  }
  cluster::ClusterOptions options;
  options.root = flags.home;
  options.validators = flags.nodes;
  options.followers = flags.followers;
  options.base_port = flags.base_port;
  options.genesis.chain_id = flags.chain_id;
  options.genesis.mechanism = mechanism;
  options.genesis.block_interval_ms = flags.block_interval_ms;
  options.genesis.app = flags.app == "kvstore" ? chain::AppKind::kKvStore : chain::AppKind::kLedger;
  options.genesis.kv_unsigned_writes = flags.unsigned_writes;
  options.accounts = flags.accounts;
  options.account_seed = flags.account_seed;
  options.account_balance = flags.account_balance;
  options.synod_binary = exe;
  options.parent_death_signal = SIGTERM;
  SYNOD_ASSIGN_OR_RETURN(auto created, cluster::LocalCluster::create(options));
  std::printf("localnet: wrote %zu node homes in %s\n", created->size(), flags.home.c_str());
  if (flags.accounts > 0) {
    std::printf("localnet: %u genesis accounts of %llu from seed '%s' (cluster::account_key)\n",
                flags.accounts, static_cast<unsigned long long>(flags.account_balance),
                flags.account_seed.c_str());
  }
  return created;
}

// Reports children that exited since the last call.
void report_exits(cluster::LocalCluster& cluster, std::vector<bool>& reported) {
  cluster.reap();
  for (size_t i = 0; i < cluster.size(); ++i) {
    const std::optional<int> status = cluster.exit_status(i);
    if (!status || reported[i]) continue;
    reported[i] = true;
    std::printf(
        "localnet: node%zu exited (%s %d); see %s\n", i, WIFEXITED(*status) ? "code" : "signal",
        WIFEXITED(*status) ? WEXITSTATUS(*status) : WTERMSIG(*status), cluster.log_path(i).c_str());
    std::fflush(stdout);
  }
}

bool all_exited(cluster::LocalCluster& cluster) {
  for (size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.running(i)) return false;
  }
  return true;
}

// The demo load: transfers from each validator's account to the next one's, nonces tracked here.
class DemoLoad {
 public:
  DemoLoad(cluster::LocalCluster& cluster, uint32_t rate) : cluster_(cluster), rate_(rate) {
    for (size_t i = 0; i < cluster.size(); ++i) {
      if (cluster.is_validator(i)) senders_.push_back(Sender{*cluster.files(i).validator_key});
    }
  }

  // Called every tick of `tick_ms`.
  void tick(uint64_t tick_ms) {
    if (senders_.empty()) return;
    budget_ += static_cast<double>(rate_) * static_cast<double>(tick_ms) / 1000.0;
    size_t tries = senders_.size();
    while (budget_ >= 1.0 && tries > 0) {
      Sender& sender = senders_[next_sender_];
      const size_t index = next_sender_;
      next_sender_ = (next_sender_ + 1) % senders_.size();
      if (!sender.synced || sender.next_nonce >= sender.committed_nonce + kInFlightMax) {
        --tries;
        continue;
      }
      tries = senders_.size();
      budget_ -= 1.0;
      submit(sender, index);
    }
    if (budget_ > rate_) budget_ = rate_;
  }

  // Refreshes each sender's committed nonce.
  void sync_nonces() {
    for (size_t i = 0; i < senders_.size(); ++i) {
      Sender& sender = senders_[i];
      const chain::Address address = chain::Address::from_public_key(sender.key.public_key());
      auto account = rpc_call(rpc_port(i), "get_account", Json{{"address", address.to_string()}});
      if (!account || !(*account)["nonce"].is_string()) continue;
      const uint64_t nonce =
          std::strtoull((*account)["nonce"].get<std::string>().c_str(), nullptr, 10);
      sender.committed_nonce = nonce;
      if (!sender.synced || sender.resync || sender.next_nonce < nonce) sender.next_nonce = nonce;
      sender.synced = true;
      sender.resync = false;
    }
  }

  uint64_t submitted() const { return submitted_; }
  uint64_t refused() const { return refused_; }

 private:
  static constexpr uint64_t kInFlightMax = 28;  // below the mempool's per-sender cap

  struct Sender {
    crypto::KeyPair key;
    uint64_t next_nonce = 0;
    uint64_t committed_nonce = 0;
    bool synced = false;
    bool resync = false;
  };

  uint16_t rpc_port(size_t index) const { return cluster_.rpc_port(index % cluster_.size()); }

  void submit(Sender& sender, size_t index) {
    const crypto::PublicKey to_key = senders_[(index + 1) % senders_.size()].key.public_key();
    // Deterministic in (sender, nonce): a resubmission after a resync is the same transaction.
    chain::Transaction tx =
        chain::make_transfer(cluster_.genesis().chain_id, sender.key, sender.next_nonce, 1,
                             chain::Address::from_public_key(to_key), 1 + sender.next_nonce % 1000);
    Json error;
    auto result = rpc_call(rpc_port(index + submissions_++), "submit_transaction",
                           Json{{"transaction", to_hex(encode(tx))}}, &error);
    std::string reason;
    if (!result && error.is_object() && error.contains("data") && error["data"].is_object() &&
        error["data"].contains("reason") && error["data"]["reason"].is_string()) {
      reason = error["data"]["reason"].get<std::string>();
    }
    if (result || reason == "already_exists") {
      ++sender.next_nonce;
      ++submitted_;
      return;
    }
    ++refused_;
    sender.resync = true;
    sender.synced = false;  // wait for the next nonce refresh
  }

  cluster::LocalCluster& cluster_;
  const uint32_t rate_;
  std::vector<Sender> senders_;
  size_t next_sender_ = 0;
  size_t submissions_ = 0;
  double budget_ = 0;
  uint64_t submitted_ = 0;
  uint64_t refused_ = 0;
};

void print_progress(cluster::LocalCluster& cluster, double committed_per_second,
                    const DemoLoad* load) {
  for (size_t i = 0; i < cluster.size(); ++i) {
    if (!cluster.running(i)) {
      std::printf("  node%zu  exited\n", i);
      continue;
    }
    auto status = rpc_call(cluster.rpc_port(i), "get_status", Json::object());
    if (!status) {
      std::printf("  node%zu  (rpc not answering yet)\n", i);
      continue;
    }
    auto number = [&](const Json& value) -> unsigned long long {
      return value.is_number_unsigned() ? value.get<unsigned long long>() : 0;
    };
    const Json& mempool = (*status)["mempool"];
    std::printf("  node%zu  height %llu  peers %zu  mempool %llu  round %llu  role %s\n", i,
                number((*status)["height"]),
                (*status)["peers"].is_array() ? (*status)["peers"].size() : 0,
                mempool.is_object() ? number(mempool["size"]) : 0, number((*status)["round"]),
                (*status)["role"].is_string() ? (*status)["role"].get<std::string>().c_str() : "?");
  }
  if (load != nullptr) {
    std::printf("  committed %.1f tx/s  (demo load: %llu submitted, %llu refused)\n",
                committed_per_second, static_cast<unsigned long long>(load->submitted()),
                static_cast<unsigned long long>(load->refused()));
  } else {
    std::printf("  committed %.1f tx/s\n", committed_per_second);
  }
  std::fflush(stdout);
}

std::optional<uint64_t> committed_transactions(cluster::LocalCluster& cluster) {
  for (size_t i = 0; i < cluster.size(); ++i) {
    if (!cluster.running(i)) continue;
    auto text = http_get_body(cluster.rpc_port(i), "/metrics");
    if (!text) continue;
    auto value = metric_value(*text, "synod_transactions_committed_total");
    if (value) return value;
  }
  return std::nullopt;
}

int run_localnet(LocalnetFlags flags) {
  // Block SIGINT and SIGTERM before anything else: they arrive only through sigtimedwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto mechanism = chain::parse_mechanism(flags.consensus);
  if (!mechanism.is_ok()) {
    std::fprintf(stderr, "synod localnet: %s\n", mechanism.status().to_string().c_str());
    return 2;
  }
  if (flags.app != "ledger" && flags.app != "kvstore") {
    std::fprintf(stderr, "synod localnet: --app must be ledger or kvstore\n");
    return 2;
  }
  if (flags.unsigned_writes && flags.app != "kvstore") {
    std::fprintf(stderr, "synod localnet: --unsigned-writes needs --app kvstore\n");
    return 2;
  }
  if (flags.demo_load && flags.app != "ledger") {
    std::fprintf(stderr, "synod localnet: --demo-load sends transfers: it needs --app ledger\n");
    return 2;
  }
  char exe[PATH_MAX] = {};
  ssize_t length = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (length <= 0) {
    std::fprintf(stderr, "synod localnet: cannot find this binary: %s\n", std::strerror(errno));
    return 1;
  }
  auto prepared = prepare_cluster(flags, *mechanism, std::string(exe, static_cast<size_t>(length)));
  if (!prepared.is_ok()) {
    std::fprintf(stderr, "synod localnet: %s\n", prepared.status().to_string().c_str());
    return prepared.status().code() == Code::kIoError ? 1 : 2;
  }
  cluster::LocalCluster& nodes = **prepared;

  for (size_t i = 0; i < nodes.size(); ++i) {
    if (Status spawned = nodes.start(i); !spawned.is_ok()) {
      std::fprintf(stderr, "synod localnet: %s\n", spawned.to_string().c_str());
      nodes.stop_all(SIGTERM);
      return 1;
    }
    const node::Config& config = nodes.files(i).config;
    // The RPC port also serves the explorer on GET / (src/explorer).
    std::printf(
        "  node%zu  pid %d  p2p %s:%u  rpc http://%s:%u/  explorer http://%s:%u/  log "
        "%s\n",
        i, static_cast<int>(nodes.pid(i)), config.p2p.listen_address.c_str(),
        config.p2p.listen_port, config.rpc.listen_address.c_str(), config.rpc.listen_port,
        config.rpc.listen_address.c_str(), config.rpc.listen_port, nodes.log_path(i).c_str());
  }
  std::printf("localnet: %zu nodes started (%s, chain %s); Ctrl-C stops them\n", nodes.size(),
              flags.consensus.c_str(), nodes.genesis().chain_id.c_str());
  std::fflush(stdout);
  std::vector<bool> reported(nodes.size(), false);

  std::optional<DemoLoad> load;
  if (flags.demo_load) load.emplace(nodes, flags.load_rate);

  constexpr uint64_t kTickMs = 100;
  constexpr uint64_t kProgressMs = 2'000;
  constexpr uint64_t kNonceSyncMs = 250;  // the demo load's view of committed nonces
  const uint64_t started_ms = steady_ms();
  uint64_t progress_at_ms = started_ms + kProgressMs;
  uint64_t nonce_sync_at_ms = started_ms;
  std::optional<uint64_t> last_committed;
  uint64_t last_committed_ms = started_ms;
  bool stopped_by_signal = false;
  while (true) {
    const timespec wait{0, static_cast<long>(kTickMs) * 1'000'000};
    const int signal = sigtimedwait(&signals, nullptr, &wait);
    if (signal == SIGINT || signal == SIGTERM) {
      std::printf("localnet: %s: stopping the nodes\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
      std::fflush(stdout);
      stopped_by_signal = true;
      break;
    }
    report_exits(nodes, reported);
    if (all_exited(nodes)) {
      std::printf("localnet: every node exited\n");
      break;
    }
    const uint64_t now = steady_ms();
    if (flags.duration_s > 0 && now >= started_ms + flags.duration_s * 1000) {
      std::printf("localnet: --duration-s elapsed: stopping the nodes\n");
      stopped_by_signal = true;
      break;
    }
    if (load) {
      if (now >= nonce_sync_at_ms) {
        nonce_sync_at_ms = now + kNonceSyncMs;
        load->sync_nonces();
      }
      load->tick(kTickMs);
    }
    if (now >= progress_at_ms) {
      progress_at_ms = now + kProgressMs;
      double per_second = 0;
      std::optional<uint64_t> committed = committed_transactions(nodes);
      if (committed && last_committed && *committed >= *last_committed && now > last_committed_ms) {
        per_second = static_cast<double>(*committed - *last_committed) * 1000.0 /
                     static_cast<double>(now - last_committed_ms);
      }
      if (committed) {
        last_committed = committed;
        last_committed_ms = now;
      }
      std::printf("localnet: %.0f s\n", static_cast<double>(now - started_ms) / 1000.0);
      print_progress(nodes, per_second, load ? &*load : nullptr);
    }
  }
  nodes.stop_all(SIGTERM);
  int failures = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const int status = nodes.exit_status(i).value_or(-1);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
  }
  std::printf("localnet: stopped (%d of %zu nodes did not exit cleanly)\n", failures, nodes.size());
  std::fflush(stdout);
  return stopped_by_signal ? 0 : 1;
}

}  // namespace

Action add_localnet_command(CLI::App& app) {
  auto flags = std::make_shared<LocalnetFlags>();
  CLI::App* command = app.add_subcommand(
      "localnet", "Run a network of validators on 127.0.0.1, one `synod start` process each");
  command
      ->add_option("--home", flags->home, "The folder of the localnet (reused when it holds one)")
      ->required();
  command->add_option("--nodes", flags->nodes, "Validators to run")->capture_default_str();
  command->add_option("--followers", flags->followers, "Nodes without a vote, after the validators")
      ->capture_default_str();
  command->add_option("--app", flags->app, "The genesis app: ledger or kvstore")
      ->capture_default_str();
  command->add_flag("--unsigned-writes", flags->unsigned_writes,
                    "kvstore: puts need no signature (a permissioned network)");
  command
      ->add_option("--accounts", flags->accounts,
                   "More genesis-funded accounts, keys derived from --account-seed")
      ->capture_default_str();
  command->add_option("--account-seed", flags->account_seed)->capture_default_str();
  command->add_option("--account-balance", flags->account_balance)->capture_default_str();
  command->add_option("--consensus", flags->consensus, "The consensus mechanism")
      ->capture_default_str();
  command->add_option("--chain-id", flags->chain_id)->capture_default_str();
  command
      ->add_option("--base-port", flags->base_port,
                   "Node i listens on p2p port P+2i and RPC port P+2i+1")
      ->capture_default_str();
  command->add_option("--block-interval-ms", flags->block_interval_ms)->capture_default_str();
  command->add_flag("--demo-load", flags->demo_load,
                    "Submit a steady stream of transfers between the validators' accounts");
  command->add_option("--load-rate", flags->load_rate, "Transfers per second with --demo-load")
      ->capture_default_str();
  command->add_option("--duration-s", flags->duration_s, "Stop after this long (0: on a signal)")
      ->capture_default_str();
  return [flags] { return run_localnet(*flags); };
}

}  // namespace synod::apps
