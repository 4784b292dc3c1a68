// A node's home folder, and `synod init`, which makes one.
//
//   HOME/config.toml          node::Config (written last: its presence means the home is whole)
//   HOME/genesis.json         the network's genesis, shared by every node of the network
//   HOME/node_key.json        p2p identity, mode 0600
//   HOME/validator_key.json   consensus key, mode 0600
//   HOME/validators/          with --validators N > 1: the keys of validators 1..N-1, to hand to
//                             the operators of the other nodes (0600)
//   HOME/data/                RocksDB, created by `synod start`
//
// A home is written once: write_home refuses a folder that exists and is not empty, and every
// file is created exclusively, so nothing is ever overwritten. Thread-safe (no state).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chain/genesis.h"
#include "crypto/keys.h"
#include "node/config.h"

namespace synod::node {

inline constexpr const char* kGenesisFileName = "genesis.json";
inline constexpr const char* kNodeKeyFileName = "node_key.json";
inline constexpr const char* kValidatorKeyFileName = "validator_key.json";
inline constexpr uint32_t kInitValidatorsMax = 128;

// Everything a node reads from its home before it starts.
struct HomeFiles {
  Config config;  // config.home is the folder
  chain::Genesis genesis;
  crypto::KeyPair node_key;
  std::optional<crypto::KeyPair> validator_key;  // none: the node follows without voting
};

// Creates config.home (mode 0700, parents as needed) and writes the key files, the genesis and
// config.toml. kAlreadyExists when the folder holds anything; kIoError when writing fails.
Status write_home(const HomeFiles& files);

// Reads config.toml, the genesis and the keys. Errors name the file (and the key, for config).
Result<HomeFiles> read_home(const std::string& home);

struct GenesisOptions {
  std::string chain_id = "synod-devnet";
  uint64_t genesis_time_ms = 0;  // 0: now
  chain::Mechanism mechanism = chain::Mechanism::kPbft;
  chain::AppKind app = chain::AppKind::kLedger;
  bool kv_unsigned_writes = false;  // kvstore only: puts need no signature (genesis app field)
  uint64_t block_interval_ms = 500;
  uint64_t round_timeout_ms = 2'000;
  // Every validator's own address (from its validator key) starts with this balance, so a new
  // network has funds to move.
  uint64_t validator_balance = 1'000'000'000'000;
  // More funded accounts, after the validators' (addresses must differ from theirs).
  std::vector<chain::GenesisAccount> accounts;
};

// A genesis with one validator (power 1, named "validator<i>") and one funded account per key,
// then options.accounts.
Result<chain::Genesis> make_genesis(const GenesisOptions& options,
                                    const std::vector<crypto::PublicKey>& validator_keys);

struct InitOptions {
  std::string home;
  GenesisOptions genesis;
  uint32_t validators = 1;  // validator 0 is this node
  uint16_t p2p_port = 26656;
  uint16_t rpc_port = 26657;
};

struct InitReport {
  crypto::PublicKey node_id;
  crypto::PublicKey validator_key;
  Hash256 genesis_hash;
  std::vector<std::string> other_validator_key_files;  // HOME/validators/..., validators 1..N-1
};

// `synod init`: fresh keys, a genesis naming `validators` validators, and a config with a random
// RPC token, written as a new home.
Result<InitReport> init_home(const InitOptions& options);

// One node of a network written by write_network_homes: its config (home, ports, peers, token)
// and whether it votes. Validators are named in genesis in the order they appear.
struct NetworkNode {
  Config config;
  bool validator = true;
};

// What write_network_homes wrote: the shared genesis and every node's files, in input order.
struct NetworkHomes {
  chain::Genesis genesis;
  std::vector<HomeFiles> homes;
};

// The homes of a whole network (`synod localnet`, `synod testnet`, cluster::LocalCluster): fresh
// node and validator keys per node, one genesis from `genesis` naming the validators, written to
// each node's config.home with write_home (which refuses folders that hold anything). Checks every
// config first and that homes are distinct; at least one node must be a validator. Nothing is
// written when a check fails; a write failing half way leaves the homes written before it.
Result<NetworkHomes> write_network_homes(const GenesisOptions& genesis,
                                         const std::vector<NetworkNode>& nodes);

// Sets every node's persistent peers to the other nodes' `p2p_endpoints` (same order as nodes).
void connect_full_mesh(std::vector<NetworkNode>& nodes,
                       const std::vector<net::Endpoint>& p2p_endpoints);

// 32 random bytes as hex: an RPC token.
std::string random_token();

}  // namespace synod::node
