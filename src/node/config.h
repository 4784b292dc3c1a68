// node::Config: everything an operator sets for one node, read from `config.toml` in the node's
// home folder. The one config loader: `synod init` writes the file with to_toml(), `synod start`
// reads it with load().
//
//   log_level = "info"                    # trace, debug, info, warn, error, off
//   genesis_file = "genesis.json"         # relative paths resolve against the home folder
//   node_key_file = "node_key.json"       # p2p identity (Ed25519), mode 0600
//   validator_key_file = "validator_key.json"   # consensus key, mode 0600; "" follows only
//   data_dir = "data"                     # RocksDB
//   index_transactions = true             # false: no id / address-history index (ChainStore)
//   [p2p]
//   listen_address = "127.0.0.1"          # an IP literal; "" does not listen
//   listen_port = 26656
//   persistent_peers = ["127.0.0.1:26666"]   # dialed at start and redialed whenever down
//   seeds = []                            # dialed once at start, for peer exchange
//   peers_inbound_max = 32
//   peers_outbound_max = 16
//   [rpc]
//   listen_address = "127.0.0.1"
//   listen_port = 26657
//   token = "<hex>"                       # needed by methods that change the node
//   [mempool]
//   transactions_max = 10000 ...          # see MempoolConfig
//   [sync]
//   status_interval_ms = 1000 ...         # see SyncConfig
//
// Every key is optional and has a default that works on one machine. Unknown keys, wrong types
// and values out of range are errors that name the key: `config.toml: p2p.listen_port: must be
// 1..65535`. Values; not thread-safe to modify, safe to read from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "net/messages.h"

namespace synod::node {

inline constexpr const char* kConfigFileName = "config.toml";
// The largest config file load() reads.
inline constexpr size_t kConfigBytesMax = 1024 * 1024;
inline constexpr size_t kPeersListedMax = 256;  // persistent_peers and seeds, each

struct P2pConfig {
  std::string listen_address = "127.0.0.1";
  // 1..65535 in a file. Code (tests) may set 0 to let the operating system choose.
  uint16_t listen_port = 26656;
  std::vector<net::Endpoint> persistent_peers;
  std::vector<net::Endpoint> seeds;
  size_t peers_inbound_max = 32;
  size_t peers_outbound_max = 16;
  friend bool operator==(const P2pConfig&, const P2pConfig&) = default;
};

struct RpcConfig {
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 26657;
  std::string token;   // empty: methods that change the node are disabled
  size_t threads = 4;  // requests served at once (on different connections)
  friend bool operator==(const RpcConfig&, const RpcConfig&) = default;
};

struct MempoolConfig {
  size_t transactions_max = 10'000;
  size_t bytes_max = 32 * 1024 * 1024;
  size_t transactions_per_sender_max = 32;
  uint64_t nonce_gap_max = 64;
  uint64_t replacement_fee_bump_percent = 10;
  size_t verify_threads = 0;  // signature-verifying threads; 0: one per core
  friend bool operator==(const MempoolConfig&, const MempoolConfig&) = default;
};

struct SyncConfig {
  uint64_t status_interval_ms = 1'000;  // how often a node tells its peers its height
  uint32_t batch_blocks = 16;           // blocks asked of one peer at a time
  uint64_t window_blocks = 64;          // blocks ahead of the applied height asked for or held
  uint64_t request_timeout_ms = 5'000;  // an unanswered request goes to another peer
  uint64_t progress_log_interval_ms = 5'000;
  friend bool operator==(const SyncConfig&, const SyncConfig&) = default;
};

struct Config {
  // The home folder: where config.toml lives and what relative paths resolve against. Not in the
  // file; set by load() and parse().
  std::string home;

  std::string log_level = "info";
  std::string genesis_file = "genesis.json";
  std::string node_key_file = "node_key.json";
  std::string validator_key_file = "validator_key.json";
  std::string data_dir = "data";
  // Keep the index of committed transactions by id and by address that get_transaction and
  // get_history read. Off, each committed transaction costs two fewer RocksDB entries (about a
  // quarter of a loaded node's CPU under small puts, docs/benchmarks.md) and those two methods
  // answer failed_precondition for committed transactions; turned on again, the node indexes the
  // blocks it missed before it starts (storage/chain_store.h).
  bool index_transactions = true;
  P2pConfig p2p;
  RpcConfig rpc;
  MempoolConfig mempool;
  SyncConfig sync;

  // Reads `home`/config.toml. Errors: kNotFound when the file is missing, kIoError when it cannot
  // be read, kInvalidArgument for anything wrong inside (the message names the key).
  static Result<Config> load(const std::string& home);
  // Parses TOML text; `source` names it in errors ("config.toml").
  static Result<Config> parse(std::string_view text, const std::string& home,
                              std::string_view source = kConfigFileName);
  // The file load() reads back to an equal Config (home aside), with comments.
  std::string to_toml() const;
  // Range checks shared by parse() and code that builds a Config. Listen ports may be 0 here.
  Status check(std::string_view source = kConfigFileName) const;

  // `path` as is when absolute (or empty), else home/path.
  std::string resolve(const std::string& path) const;
  std::string genesis_path() const { return resolve(genesis_file); }
  std::string node_key_path() const { return resolve(node_key_file); }
  std::string validator_key_path() const { return resolve(validator_key_file); }
  std::string data_path() const { return resolve(data_dir); }

  friend bool operator==(const Config&, const Config&) = default;
};

// True for trace, debug, info, warn, error, off.
bool is_log_level(std::string_view level);

}  // namespace synod::node
