// Helpers for the node's tests: temporary folders, bounded waits, and networks of in-process
// nodes on 127.0.0.1 with OS-chosen ports. Not for production code.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "node/home.h"

namespace synod::node::testing {

// A fresh folder under the system's temp folder, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "synod-node-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~TempDir() {
    std::error_code code;
    std::filesystem::remove_all(path_, code);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline uint64_t steady_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

// Polls `condition` every 20 ms until it holds or timeout_ms passes; returns its last value.
inline bool eventually(const std::function<bool()>& condition, uint64_t timeout_ms) {
  const uint64_t deadline = steady_ms() + timeout_ms;
  while (steady_ms() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

// A genesis that moves fast: blocks every 50 ms, first view timeout 800 ms.
inline GenesisOptions fast_genesis_options() {
  GenesisOptions options;
  options.chain_id = "synod-test";
  options.block_interval_ms = 50;
  options.round_timeout_ms = 800;
  options.validator_balance = 1'000'000'000;
  return options;
}

// Options for a node whose home is `home`: OS-chosen p2p port, one verifier thread, quick status.
inline Config test_config(const std::string& home) {
  Config config;
  config.home = home;
  config.log_level = "warn";
  config.p2p.listen_port = 0;
  config.mempool.verify_threads = 1;
  config.sync.status_interval_ms = 200;
  config.sync.request_timeout_ms = 1'000;
  config.sync.progress_log_interval_ms = 500;
  return config;
}

// `validators` validator nodes and `followers` nodes without a vote, sharing one fast genesis,
// each with its own folder under `root`.
inline std::vector<HomeFiles> make_network(const TempDir& root, size_t validators,
                                           size_t followers = 0) {
  std::vector<crypto::KeyPair> validator_keys;
  std::vector<crypto::PublicKey> public_keys;
  for (size_t i = 0; i < validators; ++i) {
    validator_keys.push_back(crypto::KeyPair::generate());
    public_keys.push_back(validator_keys.back().public_key());
  }
  chain::Genesis genesis = make_genesis(fast_genesis_options(), public_keys).value();
  std::vector<HomeFiles> out;
  for (size_t i = 0; i < validators + followers; ++i) {
    std::optional<crypto::KeyPair> validator_key;
    if (i < validators) validator_key = validator_keys[i];
    out.push_back(HomeFiles{test_config(root.sub("node" + std::to_string(i))), genesis,
                            crypto::KeyPair::generate(), validator_key});
  }
  return out;
}

}  // namespace synod::node::testing
