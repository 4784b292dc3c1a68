// The wallet's home folder and its config file. The home (default ~/.synod-wallet, mode 0700)
// holds:
//   keystore.json   the encrypted keys (wallet/keystore.h), mode 0600
//   wallet.toml     which nodes to ask and which network to trust:
//
//   endpoints = ["http://127.0.0.1:26657", "http://127.0.0.1:26667"]   # tried in order
//   genesis_file = "genesis.json"   # the network's genesis; relative to the home folder
//   request_timeout_ms = 5000       # per node and request
//   commit_timeout_ms = 60000       # how long `send` and `broadcast` wait for commitment
//   poll_interval_ms = 500          # how often they ask
//   token = ""                      # the node's rpc.token, when submission needs one
//
// Every key is optional; unknown keys, wrong types and out-of-range values are errors that name
// the key ("wallet.toml: request_timeout_ms: must be 1..600000"). Values; thread-safe to read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "chain/genesis.h"
#include "rpc/http_client.h"

namespace synod::wallet {

inline constexpr const char* kConfigFileName = "wallet.toml";
inline constexpr const char* kKeystoreFileName = "keystore.json";
inline constexpr size_t kConfigBytesMax = 64 * 1024;
inline constexpr size_t kGenesisBytesMax = 16 * 1024 * 1024;
inline constexpr size_t kEndpointsMax = 32;
inline constexpr uint64_t kTimeoutMsMax = 600'000;
inline constexpr uint64_t kCommitTimeoutMsMax = 24 * 3600 * 1000;

struct WalletConfig {
  std::vector<std::string> endpoints = {"http://127.0.0.1:26657"};
  std::string genesis_file;  // empty: none configured
  uint64_t request_timeout_ms = 5'000;
  uint64_t commit_timeout_ms = 60'000;
  uint64_t poll_interval_ms = 500;
  std::string token;

  std::string to_toml() const;
  // Parses config text; `source` names it in errors.
  static Result<WalletConfig> parse(std::string_view text, std::string_view source);
  // Reads `<home>/wallet.toml`; the defaults when the file does not exist.
  static Result<WalletConfig> load(const std::string& home);
  friend bool operator==(const WalletConfig&, const WalletConfig&) = default;
};

// $HOME/.synod-wallet, or ".synod-wallet" when HOME is unset.
std::string default_home();
// `path` when absolute, else home/path.
std::string resolve_path(const std::string& home, const std::string& path);
// Loads and validates a genesis file (bounded read). Errors name the file.
Result<chain::Genesis> load_genesis(const std::string& path);

}  // namespace synod::wallet
