#include "node/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace synod::node {
namespace {

constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info",
                                                        "warn",  "error", "off"};

// Reads the keys of one TOML table, remembers which it read, and names every error by its full
// key ("p2p.listen_port"). finish() reports the first key nobody asked for.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix, std::string_view source)
      : table_(table), prefix_(std::move(prefix)), source_(source) {}

  Status key_error(std::string_view key, std::string_view problem) const {
    return error(Code::kInvalidArgument,
                 fmt::format("{}: {}{}: {}", source_, prefix_, key, problem));
  }

  Status string(std::string_view key, std::string& out) {
    const toml::node* node = find(key);
    if (node == nullptr) return Status::ok();
    if (!node->is_string()) return key_error(key, "must be a string");
    out = *node->value<std::string>();
    return Status::ok();
  }

  Status boolean(std::string_view key, bool& out) {
    const toml::node* node = find(key);
    if (node == nullptr) return Status::ok();
    if (!node->is_boolean()) return key_error(key, "must be true or false");
    out = *node->value<bool>();
    return Status::ok();
  }

  template <typename T>
  Status integer(std::string_view key, uint64_t min, uint64_t max, T& out) {
    static_assert(std::is_unsigned_v<T>);
    SYNOD_ASSERT(max <= std::numeric_limits<T>::max());
    const toml::node* node = find(key);
    if (node == nullptr) return Status::ok();
    if (!node->is_integer()) return key_error(key, "must be an integer");
    const int64_t value = node->as_integer()->get();
    if (value < 0 || static_cast<uint64_t>(value) < min || static_cast<uint64_t>(value) > max) {
      return key_error(key, fmt::format("must be {}..{}", min, max));
    }
    out = static_cast<T>(value);
    return Status::ok();
  }

  // An array of "ip:port" strings.
  Status endpoints(std::string_view key, std::vector<net::Endpoint>& out) {
    const toml::node* node = find(key);
    if (node == nullptr) return Status::ok();
    const toml::array* array = node->as_array();
    if (array == nullptr) return key_error(key, "must be an array of \"ip:port\" strings");
    if (array->size() > kPeersListedMax) {
      return key_error(key, fmt::format("has more than {} entries", kPeersListedMax));
    }
    out.clear();
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& entry = *array->get(i);
      std::string where = fmt::format("{}[{}]", key, i);
      if (!entry.is_string()) return key_error(where, "must be an \"ip:port\" string");
      auto endpoint = net::parse_endpoint(*entry.value<std::string>());
      if (!endpoint.is_ok()) return key_error(where, endpoint.status().message());
      out.push_back(std::move(endpoint).value());
    }
    return Status::ok();
  }

  // The sub-table `key`, or nullptr when absent.
  Result<const toml::table*> table(std::string_view key) {
    const toml::node* node = find(key);
    if (node == nullptr) return static_cast<const toml::table*>(nullptr);
    if (!node->is_table()) return key_error(key, "must be a table ([" + std::string(key) + "])");
    return node->as_table();
  }

  Status finish() const {
    for (const auto& [key, node] : table_) {
      if (!read_.contains(std::string(key.str())))
        return key_error(key.str(), "is not a known key");
    }
    return Status::ok();
  }

  const std::string& prefix() const { return prefix_; }

 private:
  const toml::node* find(std::string_view key) {
    read_.emplace(key);
    return table_.get(key);
  }

  const toml::table& table_;
  std::string prefix_;
  std::string_view source_;
  std::set<std::string, std::less<>> read_;
};

Status read_p2p(TableReader& reader, P2pConfig& p2p) {
  SYNOD_TRY(reader.string("listen_address", p2p.listen_address));
  SYNOD_TRY(reader.integer("listen_port", 1, 65'535, p2p.listen_port));
  SYNOD_TRY(reader.endpoints("persistent_peers", p2p.persistent_peers));
  SYNOD_TRY(reader.endpoints("seeds", p2p.seeds));
  SYNOD_TRY(reader.integer("peers_inbound_max", 0, 10'000, p2p.peers_inbound_max));
  SYNOD_TRY(reader.integer("peers_outbound_max", 0, 10'000, p2p.peers_outbound_max));
  return reader.finish();
}

Status read_rpc(TableReader& reader, RpcConfig& rpc) {
  SYNOD_TRY(reader.string("listen_address", rpc.listen_address));
  SYNOD_TRY(reader.integer("listen_port", 1, 65'535, rpc.listen_port));
  SYNOD_TRY(reader.string("token", rpc.token));
  SYNOD_TRY(reader.integer("threads", 1, 64, rpc.threads));
  return reader.finish();
}

Status read_mempool(TableReader& reader, MempoolConfig& mempool) {
  SYNOD_TRY(reader.integer("transactions_max", 1, 10'000'000, mempool.transactions_max));
  SYNOD_TRY(reader.integer("bytes_max", 1024, uint64_t{64} << 30, mempool.bytes_max));
  SYNOD_TRY(reader.integer("transactions_per_sender_max", 1, 1'000'000,
                           mempool.transactions_per_sender_max));
  SYNOD_TRY(reader.integer("nonce_gap_max", 0, 1'000'000, mempool.nonce_gap_max));
  SYNOD_TRY(reader.integer("replacement_fee_bump_percent", 0, 1'000,
                           mempool.replacement_fee_bump_percent));
  SYNOD_TRY(reader.integer("verify_threads", 0, 256, mempool.verify_threads));
  return reader.finish();
}

Status read_sync(TableReader& reader, SyncConfig& sync) {
  SYNOD_TRY(reader.integer("status_interval_ms", 10, 3'600'000, sync.status_interval_ms));
  SYNOD_TRY(reader.integer("batch_blocks", 1, 256, sync.batch_blocks));
  SYNOD_TRY(reader.integer("window_blocks", 1, 4'096, sync.window_blocks));
  SYNOD_TRY(reader.integer("request_timeout_ms", 10, 3'600'000, sync.request_timeout_ms));
  SYNOD_TRY(
      reader.integer("progress_log_interval_ms", 100, 3'600'000, sync.progress_log_interval_ms));
  return reader.finish();
}

template <typename Section>
Status read_section(TableReader& top, std::string_view name, std::string_view source,
                    Section& section, Status (*read)(TableReader&, Section&)) {
  SYNOD_ASSIGN_OR_RETURN(const toml::table* table, top.table(name));
  if (table == nullptr) return Status::ok();
  TableReader reader(*table, std::string(name) + ".", source);
  return read(reader, section);
}

Status read_config(const toml::table& root, std::string_view source, Config& config) {
  TableReader top(root, "", source);
  SYNOD_TRY(top.string("log_level", config.log_level));
  SYNOD_TRY(top.string("genesis_file", config.genesis_file));
  SYNOD_TRY(top.string("node_key_file", config.node_key_file));
  SYNOD_TRY(top.string("validator_key_file", config.validator_key_file));
  SYNOD_TRY(top.string("data_dir", config.data_dir));
  SYNOD_TRY(top.boolean("index_transactions", config.index_transactions));
  SYNOD_TRY(read_section(top, "p2p", source, config.p2p, read_p2p));
  SYNOD_TRY(read_section(top, "rpc", source, config.rpc, read_rpc));
  SYNOD_TRY(read_section(top, "mempool", source, config.mempool, read_mempool));
  SYNOD_TRY(read_section(top, "sync", source, config.sync, read_sync));
  return top.finish();
}

// A TOML basic string.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string endpoint_list(const std::vector<net::Endpoint>& endpoints) {
  std::string out = "[";
  for (size_t i = 0; i < endpoints.size(); ++i) {
    if (i > 0) out += ", ";
    out += quote(endpoints[i].to_string());
  }
  return out + "]";
}

Status check_address(std::string_view source, std::string_view key, const std::string& address,
                     bool may_be_empty) {
  if (address.empty() && may_be_empty) return Status::ok();
  if (!net::check_endpoint(net::Endpoint{address, 1}).is_ok()) {
    return error(Code::kInvalidArgument,
                 fmt::format("{}: {}: '{}' is not an IP address", source, key, address));
  }
  return Status::ok();
}

}  // namespace

bool is_log_level(std::string_view level) {
  return std::find(kLogLevels.begin(), kLogLevels.end(), level) != kLogLevels.end();
}

Result<Config> Config::parse(std::string_view text, const std::string& home,
                             std::string_view source) {
  Config config;
  config.home = home;
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& parse_error) {
    const toml::source_position& at = parse_error.source().begin;
    return error(Code::kInvalidArgument, fmt::format("{}:{}:{}: {}", source, at.line, at.column,
                                                     parse_error.description()));
  }
  SYNOD_TRY(read_config(root, source, config));
  SYNOD_TRY(config.check(source));
  return config;
}

Result<Config> Config::load(const std::string& home) {
  const std::filesystem::path path = std::filesystem::path(home) / kConfigFileName;
  std::error_code code;
  if (!std::filesystem::exists(path, code)) {
    return error(Code::kNotFound, path.string() + ": no such file (run `synod init` first)");
  }
  const auto size = std::filesystem::file_size(path, code);
  if (code) return error(Code::kIoError, path.string() + ": " + code.message());
  if (size > kConfigBytesMax) {
    return error(Code::kInvalidArgument,
                 fmt::format("{}: larger than {} bytes", path.string(), kConfigBytesMax));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return error(Code::kIoError, path.string() + ": cannot be read");
  return parse(text.str(), home, kConfigFileName);
}

Status Config::check(std::string_view source) const {
  auto fail = [&](std::string_view key, std::string_view problem) {
    return error(Code::kInvalidArgument, fmt::format("{}: {}: {}", source, key, problem));
  };
  if (!is_log_level(log_level)) {
    return fail("log_level", "must be one of trace, debug, info, warn, error, off");
  }
  if (genesis_file.empty()) return fail("genesis_file", "must not be empty");
  if (node_key_file.empty()) return fail("node_key_file", "must not be empty");
  if (data_dir.empty()) return fail("data_dir", "must not be empty");
  SYNOD_TRY(check_address(source, "p2p.listen_address", p2p.listen_address, true));
  SYNOD_TRY(check_address(source, "rpc.listen_address", rpc.listen_address, false));
  if (!p2p.listen_address.empty() && !rpc.listen_address.empty() && p2p.listen_port != 0 &&
      p2p.listen_port == rpc.listen_port && p2p.listen_address == rpc.listen_address) {
    return fail("rpc.listen_port", "must differ from p2p.listen_port");
  }
  if (sync.batch_blocks > sync.window_blocks) {
    return fail("sync.batch_blocks", "must not exceed sync.window_blocks");
  }
  return Status::ok();
}

std::string Config::resolve(const std::string& path) const {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(home) / path).string();
}

std::string Config::to_toml() const {
  std::string out;
  out += "# synod node configuration. Relative paths resolve against this folder.\n";
  out += fmt::format("log_level = {}  # trace, debug, info, warn, error, off\n", quote(log_level));
  out += fmt::format("genesis_file = {}\n", quote(genesis_file));
  out += fmt::format("node_key_file = {}  # p2p identity\n", quote(node_key_file));
  out += fmt::format("validator_key_file = {}  # consensus key; \"\" follows only\n",
                     quote(validator_key_file));
  out += fmt::format("data_dir = {}  # RocksDB\n", quote(data_dir));
  out += fmt::format(
      "index_transactions = {}  # the id and address-history index of get_transaction and "
      "get_history\n",
      index_transactions);
  out += "\n[p2p]\n";
  out += fmt::format("listen_address = {}\n", quote(p2p.listen_address));
  out += fmt::format("listen_port = {}\n", p2p.listen_port);
  out += fmt::format("persistent_peers = {}  # \"ip:port\", redialed whenever down\n",
                     endpoint_list(p2p.persistent_peers));
  out += fmt::format("seeds = {}  # dialed once at start\n", endpoint_list(p2p.seeds));
  out += fmt::format("peers_inbound_max = {}\n", p2p.peers_inbound_max);
  out += fmt::format("peers_outbound_max = {}\n", p2p.peers_outbound_max);
  out += "\n[rpc]\n";
  out += fmt::format("listen_address = {}\n", quote(rpc.listen_address));
  out += fmt::format("listen_port = {}\n", rpc.listen_port);
  out += fmt::format("token = {}  # for methods that change the node\n", quote(rpc.token));
  out += fmt::format("threads = {}  # requests served at once\n", rpc.threads);
  out += "\n[mempool]\n";
  out += fmt::format("transactions_max = {}\n", mempool.transactions_max);
  out += fmt::format("bytes_max = {}\n", mempool.bytes_max);
  out += fmt::format("transactions_per_sender_max = {}\n", mempool.transactions_per_sender_max);
  out += fmt::format("nonce_gap_max = {}\n", mempool.nonce_gap_max);
  out += fmt::format("replacement_fee_bump_percent = {}\n", mempool.replacement_fee_bump_percent);
  out += fmt::format("verify_threads = {}  # 0: one per core\n", mempool.verify_threads);
  out += "\n[sync]\n";
  out += fmt::format("status_interval_ms = {}\n", sync.status_interval_ms);
  out += fmt::format("batch_blocks = {}\n", sync.batch_blocks);
  out += fmt::format("window_blocks = {}\n", sync.window_blocks);
  out += fmt::format("request_timeout_ms = {}\n", sync.request_timeout_ms);
  out += fmt::format("progress_log_interval_ms = {}\n", sync.progress_log_interval_ms);
  return out;
}

}  // namespace synod::node
