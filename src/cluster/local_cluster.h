// LocalCluster: a network of `synod start` processes on 127.0.0.1, owned by this process. It
// writes (or reopens) one home per node under a root folder, starts, signals and restarts node i
// as a child process by PID, names node i's RPC and p2p endpoints, talks JSON-RPC to it, and waits
// for conditions with deadlines. `synod localnet`, the real-process tests
// (apps/cluster_process_test.cc), the wallet's end-to-end tests and `synod-bench` use it.
//
// Layout: ROOT/node<i> is node i's home (node/home.h), its output goes to ROOT/node<i>/node.log.
// Nodes 0..validators-1 are the genesis validators, the rest follow without voting. Node i
// listens for p2p on base_port + 2i and for RPC on base_port + 2i + 1; every node has every other
// as a persistent peer.
//
// Accounts: besides each validator's own account, `accounts` extra accounts are funded in genesis
// with `account_balance` each. Their keys derive from `account_seed` (any string) and the index:
//   Ed25519 seed of account i = tagged_hash("synod/localnet/account", seed bytes || u32 LE i)
// (tagged_hash as in crypto/hash.h), so anyone who knows the seed can sign for them.
//
// Ownership: the destructor SIGKILLs and reaps every child still running; children also get
// SIGKILL (PR_SET_PDEATHSIG) when the thread that started them exits, so a crashed test leaves no
// node behind. Only children this object started are ever signalled. Not thread-safe: use one
// LocalCluster from one thread.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.h"
#include "net/messages.h"
#include "node/home.h"
#include "rpc/http_client.h"

namespace synod::cluster {

inline constexpr uint32_t kNodesMax = 64;
inline constexpr uint32_t kAccountsMax = 100'000;

struct ClusterOptions {
  std::string root;  // the folder; node i's home is root/node<i>
  uint32_t validators = 4;
  uint32_t followers = 0;        // non-voting nodes after the validators
  uint16_t base_port = 26600;    // 0: pick_base_port() chooses free ports
  node::GenesisOptions genesis;  // chain id, mechanism, app, block interval, balances
  uint32_t accounts = 0;
  uint64_t account_balance = 1'000'000'000;
  std::string account_seed = "synod-localnet";
  std::string log_level = "info";
  bool index_transactions = true;     // each node's config.index_transactions
  std::string synod_binary;           // the `synod` executable that runs each node
  int parent_death_signal = SIGKILL;  // what a child gets when the starting thread exits
};

// Account i's key pair (see the header comment for the derivation).
crypto::KeyPair account_key(std::string_view seed, uint32_t index);

// A base port such that base .. base + count - 1 can all be bound on 127.0.0.1 right now
// (random in 20000..60000; kUnavailable after many tries). Racy by nature, good for tests.
Result<uint16_t> pick_base_port(uint32_t count);

// The homes of a cluster, without starting anything: kAlreadyExists when options.root holds
// anything, kInvalidArgument for bad options.
Result<node::NetworkHomes> write_cluster_homes(const ClusterOptions& options);

class LocalCluster {
 public:
  // Writes the homes into an empty (or missing) options.root.
  static Result<std::unique_ptr<LocalCluster>> create(ClusterOptions options);
  // Reads the homes root/node0, root/node1, ... that an earlier create() wrote.
  // `account_seed` is the seed create() was given (not stored in the homes).
  static Result<std::unique_ptr<LocalCluster>> open(
      const std::string& root, const std::string& synod_binary,
      const std::string& account_seed = "synod-localnet", int parent_death_signal = SIGKILL);
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  size_t size() const { return nodes_.size(); }
  const std::string& root() const { return root_; }
  const node::HomeFiles& files(size_t i) const { return nodes_.at(i).files; }
  const chain::Genesis& genesis() const { return nodes_.front().files.genesis; }
  bool is_validator(size_t i) const { return files(i).validator_key.has_value(); }
  const std::string& home(size_t i) const { return files(i).config.home; }
  std::string log_path(size_t i) const { return home(i) + "/node.log"; }
  // The last `bytes` bytes of node i's log, for failure messages.
  std::string log_tail(size_t i, size_t bytes = 4000) const;

  net::Endpoint p2p_endpoint(size_t i) const;
  rpc::Endpoint rpc_endpoint(size_t i) const;
  uint16_t rpc_port(size_t i) const { return files(i).config.rpc.listen_port; }

  // Starts node i (`synod start --home root/node<i>`) unless it runs. kInternal if fork fails.
  Status start(size_t i);
  Status start_all();
  // Sends `signal` to node i if it runs and waits up to `wait_ms` for it to exit; SIGKILL after
  // that. Returns its wait status (0 when it was not running).
  int stop(size_t i, int signal, uint64_t wait_ms = 15'000);
  int kill(size_t i) { return stop(i, SIGKILL, 5'000); }
  // SIGTERM to every running node, then SIGKILL for any left after `wait_ms`. Returns how many
  // did not exit with code 0.
  int stop_all(int signal, uint64_t wait_ms = 15'000);
  Status restart(size_t i);
  // Notices children that exited by themselves.
  void reap();
  bool running(size_t i);
  pid_t pid(size_t i) const { return nodes_.at(i).pid; }
  // The wait status of node i's last exit, if it exited.
  std::optional<int> exit_status(size_t i) const { return nodes_.at(i).exit_status; }

  // One JSON-RPC call to node i (a fresh connection, `timeout_ms` deadline). The result, or the
  // transport error, or the node's JSON-RPC error as kFailedPrecondition.
  Result<rpc::Json> call(size_t i, std::string_view method, const rpc::Json& params = nullptr,
                         uint64_t timeout_ms = 2'000);
  // get_status's height, or an error when node i does not answer.
  Result<uint64_t> height(size_t i);

  // Polls `done` every `poll_ms` until it is true (true) or `timeout_ms` passed (false).
  static bool wait_until(const std::function<bool()>& done, uint64_t timeout_ms,
                         uint64_t poll_ms = 100);
  // Until node i reports a height >= `height`. kTimeout names the last height seen.
  Status wait_for_height(size_t i, uint64_t height, uint64_t timeout_ms);
  // Until every node in `nodes` (empty: all) reports a height >= `height`.
  Status wait_all_for_height(uint64_t height, uint64_t timeout_ms,
                             const std::vector<size_t>& nodes = {});

  // Extra genesis account i's key (ClusterOptions::accounts; the seed is in the options).
  crypto::KeyPair account(uint32_t index) const { return account_key(account_seed_, index); }

 private:
  struct Child {
    node::HomeFiles files;
    pid_t pid = -1;
    std::optional<int> exit_status;
  };
  LocalCluster(std::string root, std::string binary, std::string account_seed, int death_signal);
  static Result<std::vector<Child>> read_homes(const std::string& root);

  std::string root_;
  std::string binary_;
  std::string account_seed_;
  int death_signal_;
  std::vector<Child> nodes_;
};

}  // namespace synod::cluster
