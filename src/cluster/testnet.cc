#include "cluster/testnet.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <filesystem>
#include <set>

#include "base/text.h"

namespace synod::cluster {
namespace {

namespace fs = std::filesystem;

bool is_ipv6(const std::string& host) {
  return host.find(':') != std::string::npos;
}

bool is_loopback(const std::string& host) {
  if (is_ipv6(host)) {
    in6_addr address{};
    return ::inet_pton(AF_INET6, host.c_str(), &address) == 1 && IN6_IS_ADDR_LOOPBACK(&address);
  }
  in_addr address{};
  return ::inet_pton(AF_INET, host.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

// The canonical text of an IP literal, so "10.0.0.01"-style spellings of one host are caught as
// duplicates; nullopt when `host` is not an IP literal.
std::optional<std::string> canonical_ip(const std::string& host) {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_ipv6(host)) {
    in6_addr address{};
    if (::inet_pton(AF_INET6, host.c_str(), &address) != 1) return std::nullopt;
    ::inet_ntop(AF_INET6, &address, text, sizeof text);
  } else {
    in_addr address{};
    if (::inet_pton(AF_INET, host.c_str(), &address) != 1) return std::nullopt;
    ::inet_ntop(AF_INET, &address, text, sizeof text);
  }
  return std::string(text);
}

Status check_hosts(const std::vector<std::string>& hosts) {
  if (hosts.empty()) return error(Code::kInvalidArgument, "--hosts: names no host");
  if (hosts.size() > kTestnetHostsMax) {
    return error(Code::kInvalidArgument,
                 fmt::format("--hosts: more than {} hosts", kTestnetHostsMax));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const std::string& host = hosts[i];
    if (host.empty()) {
      return error(Code::kInvalidArgument, fmt::format("--hosts: entry {} is empty", i + 1));
    }
    auto canonical = canonical_ip(host);
    if (!canonical) {
      return error(Code::kInvalidArgument,
                   fmt::format("--hosts: '{}' is not an IP address (host names are not "
                               "supported: peers in config.toml are IP literals)",
                               host));
    }
    if (!seen.insert(*canonical).second) {
      return error(Code::kInvalidArgument,
                   fmt::format("--hosts: '{}' is listed twice (use --validators-per-host for "
                               "several nodes on one host)",
                               host));
    }
  }
  return Status::ok();
}

Status check_ports(const TestnetOptions& options) {
  const uint32_t per_host = options.validators_per_host;
  std::set<uint32_t> ports;
  for (uint32_t slot = 0; slot < per_host; ++slot) {
    for (uint32_t port : {options.p2p_port + 2 * slot, options.rpc_port + 2 * slot}) {
      if (port < 1024 || port > 65535) {
        return error(Code::kInvalidArgument,
                     fmt::format("--p2p-port {} / --rpc-port {}: node {} of a host would use port "
                                 "{}, outside 1024..65535",
                                 options.p2p_port, options.rpc_port, slot, port));
      }
      if (!ports.insert(port).second) {
        return error(Code::kInvalidArgument,
                     fmt::format("--p2p-port {} / --rpc-port {}: two nodes of a host would share "
                                 "port {} (each host uses p2p and rpc ports base+2k for k < {})",
                                 options.p2p_port, options.rpc_port, port, per_host));
      }
    }
  }
  return Status::ok();
}

}  // namespace

Result<std::vector<std::string>> parse_hosts(std::string_view text) {
  std::vector<std::string> hosts;
  while (true) {
    const size_t comma = text.find(',');
    hosts.emplace_back(trim_blanks(text.substr(0, comma)));
    if (hosts.size() > kTestnetHostsMax) break;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  SYNOD_TRY(check_hosts(hosts));
  return hosts;
}

Result<std::vector<node::NetworkNode>> plan_testnet(const TestnetOptions& options,
                                                    std::vector<TestnetNode>* planned) {
  SYNOD_TRY(check_hosts(options.hosts));
  if (options.validators_per_host < 1 ||
      options.validators_per_host > kTestnetValidatorsPerHostMax) {
    return error(Code::kInvalidArgument,
                 fmt::format("--validators-per-host: must be 1..{}", kTestnetValidatorsPerHostMax));
  }
  if (options.hosts.size() * options.validators_per_host > kTestnetNodesMax) {
    return error(Code::kInvalidArgument,
                 fmt::format("at most {} nodes in all ({} hosts x {})", kTestnetNodesMax,
                             options.hosts.size(), options.validators_per_host));
  }
  SYNOD_TRY(check_ports(options));
  if (options.out.empty()) return error(Code::kInvalidArgument, "--out: must be given");

  std::vector<node::NetworkNode> nodes;
  std::vector<net::Endpoint> endpoints;
  std::vector<TestnetNode> plan;
  for (const std::string& host : options.hosts) {
    for (uint32_t slot = 0; slot < options.validators_per_host; ++slot) {
      TestnetNode where{host, fmt::format("{}/node{}", options.out, nodes.size()),
                        static_cast<uint16_t>(options.p2p_port + 2 * slot),
                        static_cast<uint16_t>(options.rpc_port + 2 * slot)};
      node::NetworkNode node;
      node.config.home = where.home;
      node.config.p2p.listen_address = !options.listen_address.empty() ? options.listen_address
                                       : is_loopback(host)             ? host
                                       : is_ipv6(host)                 ? "::"
                                                                       : "0.0.0.0";
      node.config.p2p.listen_port = where.p2p_port;
      node.config.rpc.listen_port = where.rpc_port;
      node.config.rpc.token = node::random_token();
      endpoints.push_back(net::Endpoint{host, where.p2p_port});
      nodes.push_back(std::move(node));
      plan.push_back(std::move(where));
    }
  }
  node::connect_full_mesh(nodes, endpoints);
  for (const node::NetworkNode& node : nodes)
    SYNOD_TRY(node.config.check());
  if (planned != nullptr) *planned = std::move(plan);
  return nodes;
}

Result<TestnetReport> write_testnet(const TestnetOptions& options) {
  TestnetReport report;
  SYNOD_ASSIGN_OR_RETURN(std::vector<node::NetworkNode> nodes,
                         plan_testnet(options, &report.nodes));
  std::error_code code;
  if (fs::exists(options.out, code) && !fs::is_empty(options.out, code)) {
    return error(Code::kAlreadyExists, "--out: " + options.out + " is not empty");
  }
  fs::create_directories(options.out, code);
  if (code) return error(Code::kIoError, options.out + ": cannot create: " + code.message());
  SYNOD_ASSIGN_OR_RETURN(report.homes, node::write_network_homes(options.genesis, nodes));
  return report;
}

}  // namespace synod::cluster
