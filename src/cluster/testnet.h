// `synod testnet`: the homes of a network spread over several machines, written on one machine to
// be copied out. Host h (of --hosts, in order) runs `validators_per_host` validators; its k-th
// node is OUT/node<h * validators_per_host + k>, listening for p2p on p2p_port + 2k and for RPC
// (on 127.0.0.1 only) on rpc_port + 2k. Every node has every other as a persistent peer at
// host:port, and all share one genesis. Hosts are IP literals (the config takes no names); a
// loopback host listens on itself, any other on 0.0.0.0 (or ::), unless listen_address is given.
// Stateless functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "node/home.h"

namespace synod::cluster {

inline constexpr size_t kTestnetHostsMax = 128;
inline constexpr uint32_t kTestnetValidatorsPerHostMax = 16;
inline constexpr size_t kTestnetNodesMax = 128;

struct TestnetOptions {
  std::vector<std::string> hosts;
  uint32_t validators_per_host = 1;
  uint16_t p2p_port = 26656;
  uint16_t rpc_port = 26657;
  std::string out;             // must be missing or empty
  std::string listen_address;  // p2p listen address for every node; "" per the rule above
  node::GenesisOptions genesis;
};

// "10.0.0.1, 10.0.0.2" → its hosts, trimmed. kInvalidArgument, naming the entry, for an empty
// list or entry, a host that is not an IP literal, a duplicate, or more than kTestnetHostsMax.
Result<std::vector<std::string>> parse_hosts(std::string_view text);

// One planned node: where it runs and what it is.
struct TestnetNode {
  std::string host;
  std::string home;  // OUT/node<i>
  uint16_t p2p_port = 0;
  uint16_t rpc_port = 0;
};

// The plan of every node, checked: hosts as parse_hosts checks them, 1..16 per host, at most
// kTestnetNodesMax nodes, every port within 1024..65535 and no two equal on one host.
Result<std::vector<node::NetworkNode>> plan_testnet(const TestnetOptions& options,
                                                    std::vector<TestnetNode>* planned = nullptr);

struct TestnetReport {
  node::NetworkHomes homes;
  std::vector<TestnetNode> nodes;
};

// plan_testnet, then the homes under options.out (kAlreadyExists when it holds anything).
Result<TestnetReport> write_testnet(const TestnetOptions& options);

}  // namespace synod::cluster
