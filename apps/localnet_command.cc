// `synod localnet`: runs N validators on 127.0.0.1 as child processes of this one.
//
//   synod localnet --nodes 4 --consensus pbft --home localnet [--demo-load] [--base-port 26600]
//
// The first run writes one home per node under DIR (DIR/node0 ... DIR/node<N-1>): one shared
// genesis funding every validator's account, node i on p2p port P+2i and RPC port P+2i+1, every
// other node a persistent peer. A later run with the same DIR reuses those homes (the chain goes
// on from where it stopped). Each node is `synod start --home DIR/node<i>` (fork/exec of this
// binary) logging to DIR/node<i>/node.log. Every 2 s a line per node from its get_status (height,
// peers, mempool) and the committed transactions per second. --demo-load submits a steady stream
// of signed transfers between the validators' genesis-funded accounts through submit_transaction.
// SIGINT or SIGTERM: SIGTERM to every child, a bounded wait, SIGKILL for any left, exit 0.
// Exit codes: 0 stopped by a signal (or --duration-s elapsed), 1 a failure, 2 bad options.
#include "apps/localnet_command.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
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
#include "node/home.h"
#include "rpc/http_client.h"

namespace synod::apps {
namespace {

using Json = nlohmann::json;

struct LocalnetFlags {
  uint32_t nodes = 4;
  std::string consensus = "pbft";
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

std::string node_home(const std::string& root, uint32_t index) {
  return root + "/node" + std::to_string(index);
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

struct LocalNode {
  std::string home;
  node::HomeFiles files;
  pid_t pid = -1;
  bool exited = false;
  int exit_status = 0;
};

Status create_homes(const LocalnetFlags& flags, chain::Mechanism mechanism) {
  std::vector<crypto::KeyPair> validator_keys;
  std::vector<crypto::PublicKey> public_keys;
  for (uint32_t i = 0; i < flags.nodes; ++i) {
    validator_keys.push_back(crypto::KeyPair::generate());
    public_keys.push_back(validator_keys.back().public_key());
  }
  node::GenesisOptions genesis_options;
  genesis_options.chain_id = flags.chain_id;
  genesis_options.mechanism = mechanism;
  genesis_options.block_interval_ms = flags.block_interval_ms;
  SYNOD_ASSIGN_OR_RETURN(chain::Genesis genesis, node::make_genesis(genesis_options, public_keys));
  for (uint32_t i = 0; i < flags.nodes; ++i) {
    node::Config config;
    config.home = node_home(flags.home, i);
    config.p2p.listen_port = static_cast<uint16_t>(flags.base_port + 2 * i);
    config.rpc.listen_port = static_cast<uint16_t>(flags.base_port + 2 * i + 1);
    config.rpc.token = node::random_token();
    for (uint32_t j = 0; j < flags.nodes; ++j) {
      if (j == i) continue;
      config.p2p.persistent_peers.push_back(
          net::Endpoint{"127.0.0.1", static_cast<uint16_t>(flags.base_port + 2 * j)});
    }
    SYNOD_TRY(config.check());
    SYNOD_TRY(node::write_home(
        node::HomeFiles{config, genesis, crypto::KeyPair::generate(), validator_keys[i]}));
  }
  return Status::ok();
}

// Reads the homes of an earlier run, or writes new ones.
Result<std::vector<LocalNode>> prepare_homes(const LocalnetFlags& flags,
                                             chain::Mechanism mechanism) {
  namespace fs = std::filesystem;
  std::error_code code;
  const bool reuse = fs::exists(node_home(flags.home, 0) + "/" + node::kConfigFileName, code);
  if (!reuse) {
    if (fs::exists(flags.home, code) && !fs::is_empty(flags.home, code)) {
      return error(Code::kAlreadyExists,
                   flags.home + " is not empty and holds no localnet (no node0/config.toml)");
    }
    fs::create_directories(flags.home, code);
    if (code) return error(Code::kIoError, "cannot create " + flags.home + ": " + code.message());
    SYNOD_TRY(create_homes(flags, mechanism));
    std::printf("localnet: wrote %u node homes in %s\n", flags.nodes, flags.home.c_str());
  } else {
    std::printf("localnet: reusing the localnet in %s\n", flags.home.c_str());
  }
  std::vector<LocalNode> nodes;
  for (uint32_t i = 0;; ++i) {
    const std::string home = node_home(flags.home, i);
    if (!fs::exists(home + "/" + node::kConfigFileName, code)) break;
    SYNOD_ASSIGN_OR_RETURN(node::HomeFiles files, node::read_home(home));
    nodes.push_back(LocalNode{home, std::move(files)});
  }
  if (reuse && nodes.size() != flags.nodes) {
    std::printf("localnet: %s holds %zu nodes; running those (not --nodes %u)\n",
                flags.home.c_str(), nodes.size(), flags.nodes);
  }
  if (nodes.empty()) return error(Code::kNotFound, "no node homes in " + flags.home);
  return nodes;
}

Status spawn(LocalNode& node, const std::string& exe) {
  const std::string log_path = node.home + "/node.log";
  std::vector<std::string> args = {exe, "start", "--home", node.home};
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return error(Code::kInternal, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    ::setpgid(0, 0);  // a terminal's Ctrl-C reaches the localnet only, which stops the children
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  node.pid = pid;
  node.exited = false;
  return Status::ok();
}

void reap(std::vector<LocalNode>& nodes, bool report) {
  for (size_t i = 0; i < nodes.size(); ++i) {
    LocalNode& node = nodes[i];
    if (node.pid <= 0 || node.exited) continue;
    int status = 0;
    if (::waitpid(node.pid, &status, WNOHANG) == node.pid) {
      node.exited = true;
      node.exit_status = status;
      if (report) {
        std::printf("localnet: node%zu (pid %d) exited (%s %d); see %s/node.log\n", i,
                    static_cast<int>(node.pid), WIFEXITED(status) ? "code" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), node.home.c_str());
        std::fflush(stdout);
      }
    }
  }
}

bool all_exited(const std::vector<LocalNode>& nodes) {
  for (const LocalNode& node : nodes) {
    if (node.pid > 0 && !node.exited) return false;
  }
  return true;
}

void stop_children(std::vector<LocalNode>& nodes) {
  for (LocalNode& node : nodes) {
    if (node.pid > 0 && !node.exited) ::kill(node.pid, SIGTERM);
  }
  const uint64_t deadline = steady_ms() + 15'000;
  while (!all_exited(nodes) && steady_ms() < deadline) {
    ::usleep(50'000);
    reap(nodes, false);
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    LocalNode& node = nodes[i];
    if (node.pid > 0 && !node.exited) {
      std::printf("localnet: node%zu did not stop in time: SIGKILL\n", i);
      ::kill(node.pid, SIGKILL);
      int status = 0;
      ::waitpid(node.pid, &status, 0);
      node.exited = true;
    }
  }
}

// The demo load: transfers from each validator's account to the next one's, nonces tracked here.
class DemoLoad {
 public:
  DemoLoad(const std::vector<LocalNode>& nodes, uint32_t rate) : nodes_(nodes), rate_(rate) {
    for (const LocalNode& node : nodes) {
      if (node.files.validator_key) senders_.push_back(Sender{*node.files.validator_key});
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

  uint16_t rpc_port(size_t index) const {
    return nodes_[index % nodes_.size()].files.config.rpc.listen_port;
  }

  void submit(Sender& sender, size_t index) {
    const LocalNode& to_node = nodes_[(index + 1) % nodes_.size()];
    const crypto::PublicKey to_key = to_node.files.validator_key
                                         ? to_node.files.validator_key->public_key()
                                         : sender.key.public_key();
    // Deterministic in (sender, nonce): a resubmission after a resync is the same transaction.
    chain::Transaction tx = chain::make_transfer(
        nodes_.front().files.genesis.chain_id, sender.key, sender.next_nonce, 1,
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

  const std::vector<LocalNode>& nodes_;
  const uint32_t rate_;
  std::vector<Sender> senders_;
  size_t next_sender_ = 0;
  size_t submissions_ = 0;
  double budget_ = 0;
  uint64_t submitted_ = 0;
  uint64_t refused_ = 0;
};

void print_progress(const std::vector<LocalNode>& nodes, double committed_per_second,
                    const DemoLoad* load) {
  for (size_t i = 0; i < nodes.size(); ++i) {
    const LocalNode& node = nodes[i];
    if (node.exited) {
      std::printf("  node%zu  exited\n", i);
      continue;
    }
    auto status = rpc_call(node.files.config.rpc.listen_port, "get_status", Json::object());
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

std::optional<uint64_t> committed_transactions(const std::vector<LocalNode>& nodes) {
  for (const LocalNode& node : nodes) {
    if (node.exited) continue;
    auto text = http_get_body(node.files.config.rpc.listen_port, "/metrics");
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
  if (flags.nodes < 1 || flags.nodes > 64) {
    std::fprintf(stderr, "synod localnet: --nodes must be 1..64\n");
    return 2;
  }
  if (flags.base_port < 1024 || flags.base_port + 2 * flags.nodes > 65535) {
    std::fprintf(stderr, "synod localnet: --base-port leaves no room for %u nodes\n", flags.nodes);
    return 2;
  }
  auto prepared = prepare_homes(flags, *mechanism);
  if (!prepared.is_ok()) {
    std::fprintf(stderr, "synod localnet: %s\n", prepared.status().to_string().c_str());
    return prepared.status().code() == Code::kIoError ? 1 : 2;
  }
  std::vector<LocalNode> nodes = std::move(prepared).value();

  char exe[PATH_MAX] = {};
  ssize_t length = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (length <= 0) {
    std::fprintf(stderr, "synod localnet: cannot find this binary: %s\n", std::strerror(errno));
    return 1;
  }
  const std::string exe_path(exe, static_cast<size_t>(length));

  for (size_t i = 0; i < nodes.size(); ++i) {
    if (Status spawned = spawn(nodes[i], exe_path); !spawned.is_ok()) {
      std::fprintf(stderr, "synod localnet: %s\n", spawned.to_string().c_str());
      stop_children(nodes);
      return 1;
    }
    const node::Config& config = nodes[i].files.config;
    // The RPC port also serves the explorer on GET / (src/explorer).
    std::printf(
        "  node%zu  pid %d  p2p %s:%u  rpc http://%s:%u/  explorer http://%s:%u/  log "
        "%s/node.log\n",
        i, static_cast<int>(nodes[i].pid), config.p2p.listen_address.c_str(),
        config.p2p.listen_port, config.rpc.listen_address.c_str(), config.rpc.listen_port,
        config.rpc.listen_address.c_str(), config.rpc.listen_port, nodes[i].home.c_str());
  }
  std::printf("localnet: %zu nodes started (%s, chain %s); Ctrl-C stops them\n", nodes.size(),
              flags.consensus.c_str(), nodes.front().files.genesis.chain_id.c_str());
  std::fflush(stdout);

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
    reap(nodes, true);
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
  stop_children(nodes);
  int failures = 0;
  for (const LocalNode& node : nodes) {
    if (!WIFEXITED(node.exit_status) || WEXITSTATUS(node.exit_status) != 0) ++failures;
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
