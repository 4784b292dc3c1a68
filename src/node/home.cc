#include "node/home.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "crypto/hash.h"
#include "node/key_file.h"

namespace synod::node {
namespace {

namespace fs = std::filesystem;

Status make_empty_folder(const std::string& path) {
  std::error_code code;
  if (fs::exists(path, code)) {
    if (!fs::is_directory(path, code)) {
      return error(Code::kAlreadyExists, path + ": exists and is not a folder");
    }
    if (!fs::is_empty(path, code)) {
      return error(Code::kAlreadyExists, path + ": already holds a home (refusing to overwrite)");
    }
  } else {
    fs::create_directories(path, code);
    if (code) return error(Code::kIoError, path + ": cannot create: " + code.message());
  }
  if (::chmod(path.c_str(), 0700) != 0) return error(Code::kIoError, path + ": cannot chmod");
  return Status::ok();
}

uint64_t wall_clock_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

std::string random_token() {
  crypto::ensure_initialised();
  FixedBytes<32> token;
  crypto::random_bytes(std::span<uint8_t>(token.data.data(), token.size()));
  return token.hex();
}

Status write_home(const HomeFiles& files) {
  const Config& config = files.config;
  SYNOD_ASSERT(!config.home.empty());
  SYNOD_TRY(config.check());
  SYNOD_TRY(files.genesis.validate());
  SYNOD_TRY(make_empty_folder(config.home));
  SYNOD_TRY(write_key_file(config.node_key_path(), files.node_key));
  if (files.validator_key) {
    if (config.validator_key_file.empty()) {
      return error(Code::kInvalidArgument, "a validator key needs config validator_key_file");
    }
    SYNOD_TRY(write_key_file(config.validator_key_path(), *files.validator_key));
  }
  SYNOD_TRY(write_new_file(config.genesis_path(), files.genesis.to_json(), 0644));
  return write_new_file(config.resolve(kConfigFileName), config.to_toml(), 0600);
}

Result<HomeFiles> read_home(const std::string& home) {
  SYNOD_ASSIGN_OR_RETURN(Config config, Config::load(home));
  SYNOD_ASSIGN_OR_RETURN(chain::Genesis genesis, chain::Genesis::load(config.genesis_path()));
  SYNOD_ASSIGN_OR_RETURN(crypto::KeyPair node_key, read_key_file(config.node_key_path()));
  std::optional<crypto::KeyPair> validator_key;
  if (!config.validator_key_file.empty()) {
    SYNOD_ASSIGN_OR_RETURN(validator_key, read_key_file(config.validator_key_path()));
  }
  return HomeFiles{std::move(config), std::move(genesis), std::move(node_key),
                   std::move(validator_key)};
}

Result<chain::Genesis> make_genesis(const GenesisOptions& options,
                                    const std::vector<crypto::PublicKey>& validator_keys) {
  chain::Genesis genesis;
  genesis.chain_id = options.chain_id;
  genesis.genesis_time_ms =
      options.genesis_time_ms != 0 ? options.genesis_time_ms : wall_clock_ms();
  genesis.app = options.app;
  genesis.kv_unsigned_writes = options.kv_unsigned_writes;
  genesis.consensus.mechanism = options.mechanism;
  genesis.consensus.block_interval_ms = options.block_interval_ms;
  genesis.consensus.round_timeout_ms = options.round_timeout_ms;
  std::vector<chain::Validator> validators;
  for (size_t i = 0; i < validator_keys.size(); ++i) {
    validators.push_back(chain::Validator{validator_keys[i], 1, fmt::format("validator{}", i)});
    if (options.validator_balance > 0) {
      genesis.accounts.push_back(chain::GenesisAccount{
          chain::Address::from_public_key(validator_keys[i]), options.validator_balance});
    }
  }
  genesis.accounts.insert(genesis.accounts.end(), options.accounts.begin(), options.accounts.end());
  auto set = chain::ValidatorSet::create(std::move(validators));
  if (!set.is_ok()) return set.status().with_context("genesis: validators");
  genesis.validators = std::move(set).value();
  SYNOD_TRY(genesis.validate());
  return genesis;
}

Result<NetworkHomes> write_network_homes(const GenesisOptions& genesis_options,
                                         const std::vector<NetworkNode>& nodes) {
  std::set<std::string> homes;
  size_t validators = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Config& config = nodes[i].config;
    if (config.home.empty()) {
      return error(Code::kInvalidArgument, fmt::format("node {}: no home folder", i));
    }
    if (!homes.insert(fs::path(config.home).lexically_normal().string()).second) {
      return error(Code::kInvalidArgument,
                   fmt::format("node {}: home {} is given twice", i, config.home));
    }
    SYNOD_TRY(config.check().with_context(config.home + "/" + kConfigFileName));
    if (nodes[i].validator) ++validators;
  }
  if (validators == 0) return error(Code::kInvalidArgument, "a network needs a validator");
  crypto::ensure_initialised();
  std::vector<std::optional<crypto::KeyPair>> validator_keys;
  std::vector<crypto::PublicKey> public_keys;
  for (const NetworkNode& node : nodes) {
    validator_keys.emplace_back();
    if (!node.validator) continue;
    validator_keys.back() = crypto::KeyPair::generate();
    public_keys.push_back(validator_keys.back()->public_key());
  }
  NetworkHomes written;
  SYNOD_ASSIGN_OR_RETURN(written.genesis, make_genesis(genesis_options, public_keys));
  for (size_t i = 0; i < nodes.size(); ++i) {
    HomeFiles files{nodes[i].config, written.genesis, crypto::KeyPair::generate(),
                    validator_keys[i]};
    if (!files.validator_key) files.config.validator_key_file.clear();
    SYNOD_TRY(write_home(files));
    written.homes.push_back(std::move(files));
  }
  return written;
}

void connect_full_mesh(std::vector<NetworkNode>& nodes,
                       const std::vector<net::Endpoint>& p2p_endpoints) {
  SYNOD_ASSERT(nodes.size() == p2p_endpoints.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::vector<net::Endpoint>& peers = nodes[i].config.p2p.persistent_peers;
    peers.clear();
    for (size_t j = 0; j < nodes.size(); ++j) {
      if (j != i) peers.push_back(p2p_endpoints[j]);
    }
  }
}

Result<InitReport> init_home(const InitOptions& options) {
  if (options.home.empty()) return error(Code::kInvalidArgument, "--home: must be given");
  if (options.validators < 1 || options.validators > kInitValidatorsMax) {
    return error(Code::kInvalidArgument,
                 fmt::format("--validators: must be 1..{}", kInitValidatorsMax));
  }
  crypto::ensure_initialised();
  std::vector<crypto::KeyPair> validator_keys;
  std::vector<crypto::PublicKey> public_keys;
  for (uint32_t i = 0; i < options.validators; ++i) {
    validator_keys.push_back(crypto::KeyPair::generate());
    public_keys.push_back(validator_keys.back().public_key());
  }
  SYNOD_ASSIGN_OR_RETURN(chain::Genesis genesis, make_genesis(options.genesis, public_keys));

  HomeFiles files{Config{}, std::move(genesis), crypto::KeyPair::generate(), validator_keys[0]};
  files.config.home = options.home;
  files.config.p2p.listen_port = options.p2p_port;
  files.config.rpc.listen_port = options.rpc_port;
  files.config.rpc.token = random_token();
  SYNOD_TRY(write_home(files));

  InitReport report{
      files.node_key.public_key(), validator_keys[0].public_key(), files.genesis.hash(), {}};
  if (options.validators > 1) {
    const std::string folder = files.config.resolve("validators");
    if (::mkdir(folder.c_str(), 0700) != 0) {
      return error(Code::kIoError, folder + ": cannot create");
    }
    for (uint32_t i = 1; i < options.validators; ++i) {
      std::string path = fmt::format("{}/validator{}_key.json", folder, i);
      SYNOD_TRY(write_key_file(path, validator_keys[i]));
      report.other_validator_key_files.push_back(std::move(path));
    }
  }
  return report;
}

}  // namespace synod::node
