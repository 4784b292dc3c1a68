#include "wallet/config.h"

#include <toml++/toml.h>

#include <cstdlib>
#include <sstream>

#include "wallet/files.h"

namespace synod::wallet {
namespace {

Status config_error(std::string_view source, std::string_view key, const std::string& problem) {
  return error(Code::kInvalidArgument,
               std::string(source) + ": " + std::string(key) + ": " + problem);
}

Status read_integer(const toml::table& root, std::string_view source, std::string_view key,
                    uint64_t min, uint64_t max, uint64_t& out) {
  const toml::node* node = root.get(key);
  if (node == nullptr) return Status::ok();
  std::optional<int64_t> value = node->value<int64_t>();
  if (!node->is_integer() || !value || *value < 0 || static_cast<uint64_t>(*value) < min ||
      static_cast<uint64_t>(*value) > max) {
    return config_error(source, key,
                        "must be an integer " + std::to_string(min) + ".." + std::to_string(max));
  }
  out = static_cast<uint64_t>(*value);
  return Status::ok();
}

Status read_string(const toml::table& root, std::string_view source, std::string_view key,
                   std::string& out) {
  const toml::node* node = root.get(key);
  if (node == nullptr) return Status::ok();
  if (!node->is_string()) return config_error(source, key, "must be a string");
  out = *node->value<std::string>();
  if (out.size() > 4096) return config_error(source, key, "longer than 4096 characters");
  return Status::ok();
}

Status read_endpoints(const toml::table& root, std::string_view source,
                      std::vector<std::string>& out) {
  const toml::node* node = root.get("endpoints");
  if (node == nullptr) return Status::ok();
  const toml::array* array = node->as_array();
  if (array == nullptr || array->empty() || array->size() > kEndpointsMax) {
    return config_error(source, "endpoints",
                        "must be a list of 1.." + std::to_string(kEndpointsMax) + " URLs");
  }
  out.clear();
  for (const toml::node& entry : *array) {
    if (!entry.is_string()) return config_error(source, "endpoints", "must hold strings");
    std::string url = *entry.value<std::string>();
    auto parsed = rpc::parse_endpoint(url);
    if (!parsed.is_ok()) return config_error(source, "endpoints", parsed.status().message());
    out.push_back(url);
  }
  return Status::ok();
}

std::string quoted(const std::string& text) {
  std::ostringstream out;
  out << toml::value<std::string>(text);
  return out.str();
}

}  // namespace

std::string WalletConfig::to_toml() const {
  std::string out = "# synod-wallet configuration (see src/wallet/config.h)\nendpoints = [";
  for (size_t i = 0; i < endpoints.size(); ++i)
    out += (i > 0 ? ", " : "") + quoted(endpoints[i]);
  out += "]\n";
  out += "genesis_file = " + quoted(genesis_file) + "\n";
  out += "request_timeout_ms = " + std::to_string(request_timeout_ms) + "\n";
  out += "commit_timeout_ms = " + std::to_string(commit_timeout_ms) + "\n";
  out += "poll_interval_ms = " + std::to_string(poll_interval_ms) + "\n";
  out += "token = " + quoted(token) + "\n";
  return out;
}

Result<WalletConfig> WalletConfig::parse(std::string_view text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& parse_error) {
    const toml::source_position& at = parse_error.source().begin;
    return error(Code::kInvalidArgument, std::string(source) + ":" + std::to_string(at.line) + ":" +
                                             std::to_string(at.column) + ": " +
                                             std::string(parse_error.description()));
  }
  for (const auto& [key, value] : root) {
    std::string_view name = key.str();
    if (name != "endpoints" && name != "genesis_file" && name != "request_timeout_ms" &&
        name != "commit_timeout_ms" && name != "poll_interval_ms" && name != "token") {
      return config_error(source, name, "unknown key");
    }
  }
  WalletConfig config;
  SYNOD_TRY(read_endpoints(root, source, config.endpoints));
  SYNOD_TRY(read_string(root, source, "genesis_file", config.genesis_file));
  SYNOD_TRY(read_integer(root, source, "request_timeout_ms", 1, kTimeoutMsMax,
                         config.request_timeout_ms));
  SYNOD_TRY(read_integer(root, source, "commit_timeout_ms", 1, kCommitTimeoutMsMax,
                         config.commit_timeout_ms));
  SYNOD_TRY(
      read_integer(root, source, "poll_interval_ms", 10, kTimeoutMsMax, config.poll_interval_ms));
  SYNOD_TRY(read_string(root, source, "token", config.token));
  return config;
}

Result<WalletConfig> WalletConfig::load(const std::string& home) {
  std::string path = resolve_path(home, kConfigFileName);
  auto text = read_file(path, kConfigBytesMax);
  if (!text.is_ok()) {
    if (text.status().code() == Code::kNotFound) return WalletConfig{};
    return text.status();
  }
  return parse(*text, path);
}

std::string default_home() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return ".synod-wallet";
  return std::string(home) + "/.synod-wallet";
}

std::string resolve_path(const std::string& home, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return home + "/" + path;
}

Result<chain::Genesis> load_genesis(const std::string& path) {
  SYNOD_ASSIGN_OR_RETURN(std::string text, read_file(path, kGenesisBytesMax));
  auto genesis = chain::Genesis::from_json(text);
  if (!genesis.is_ok()) return genesis.status().with_context(path);
  return genesis;
}

}  // namespace synod::wallet
