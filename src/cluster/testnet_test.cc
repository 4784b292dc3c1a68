// `synod testnet`'s homes: the configs reference each other and share one genesis; bad host lists
// and port ranges are refused with messages that say what is wrong. Starting the folders is in
// apps/cluster_process_test.cc.
#include "cluster/testnet.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "node/test_support.h"

namespace synod::cluster {
namespace {

std::string message_of(std::string_view hosts) {
  return parse_hosts(hosts).status().message();
}

TEST(TestnetHostsTest, ParsesAndRefusesBadLists) {
  auto hosts = parse_hosts(" 10.0.0.1,10.0.0.2 , ::1");
  ASSERT_TRUE(hosts.is_ok()) << hosts.status().to_string();
  EXPECT_EQ(*hosts, (std::vector<std::string>{"10.0.0.1", "10.0.0.2", "::1"}));

  EXPECT_NE(message_of("").find("entry 1 is empty"), std::string::npos);
  EXPECT_NE(message_of("10.0.0.1,,10.0.0.2").find("entry 2 is empty"), std::string::npos);
  EXPECT_NE(message_of("10.0.0.1,").find("entry 2 is empty"), std::string::npos);
  EXPECT_NE(message_of("node1.example.com").find("not an IP address"), std::string::npos);
  EXPECT_NE(message_of("10.0.0.1:26656").find("not an IP address"), std::string::npos);
  EXPECT_NE(message_of("10.0.0.1,10.0.0.2,10.0.0.1").find("'10.0.0.1' is listed twice"),
            std::string::npos);
  EXPECT_NE(message_of("::1,0:0:0:0:0:0:0:1").find("listed twice"), std::string::npos);
  std::string many;
  for (int i = 0; i < 200; ++i)
    many += "10.0.1." + std::to_string(i % 250) + ",";
  EXPECT_NE(message_of(many).find("more than"), std::string::npos);
}

TEST(TestnetPlanTest, RefusesBadPortsAndCounts) {
  TestnetOptions options;
  options.out = "/nonexistent/out";
  options.hosts = {"10.0.0.1", "10.0.0.2"};
  options.validators_per_host = 0;
  EXPECT_NE(plan_testnet(options).status().message().find("--validators-per-host"),
            std::string::npos);
  options.validators_per_host = 2;
  options.p2p_port = 26656;
  options.rpc_port = 26658;  // node 1's p2p port is 26658
  EXPECT_NE(plan_testnet(options).status().message().find("share port 26658"), std::string::npos);
  options.p2p_port = 65534;
  options.rpc_port = 26657;
  EXPECT_NE(plan_testnet(options).status().message().find("outside 1024..65535"),
            std::string::npos);
  options.p2p_port = 80;
  EXPECT_NE(plan_testnet(options).status().message().find("outside"), std::string::npos);
  options.p2p_port = 26656;
  EXPECT_TRUE(plan_testnet(options).is_ok());
  options.out.clear();
  EXPECT_NE(plan_testnet(options).status().message().find("--out"), std::string::npos);
}

TEST(TestnetWriteTest, ConfigsReferenceEachOtherAndShareOneGenesis) {
  node::testing::TempDir dir;
  TestnetOptions options;
  options.hosts = {"10.1.0.1", "10.1.0.2", "127.0.0.1"};
  options.validators_per_host = 2;
  options.p2p_port = 27000;
  options.rpc_port = 27001;
  options.out = dir.sub("testnet");
  options.genesis.chain_id = "synod-testnet";
  auto report = write_testnet(options);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  ASSERT_EQ(report->nodes.size(), 6u);
  EXPECT_EQ(report->homes.genesis.validators.size(), 6u);

  // Where each node runs, by its p2p endpoint.
  std::map<std::string, size_t> node_at;
  for (size_t i = 0; i < 6; ++i) {
    const TestnetNode& node = report->nodes[i];
    EXPECT_EQ(node.host, options.hosts[i / 2]);
    EXPECT_EQ(node.p2p_port, 27000 + 2 * (i % 2));
    EXPECT_EQ(node.rpc_port, 27001 + 2 * (i % 2));
    node_at[net::Endpoint{node.host, node.p2p_port}.to_string()] = i;
  }
  std::set<crypto::PublicKey> validator_keys;
  for (size_t i = 0; i < 6; ++i) {
    auto files = node::read_home(options.out + "/node" + std::to_string(i));
    ASSERT_TRUE(files.is_ok()) << files.status().to_string();
    EXPECT_EQ(files->genesis.hash(), report->homes.genesis.hash()) << "node" << i;
    EXPECT_EQ(files->genesis.chain_id, "synod-testnet");
    ASSERT_TRUE(files->validator_key.has_value());
    EXPECT_EQ(files->genesis.validators.at(i).public_key, files->validator_key->public_key());
    validator_keys.insert(files->validator_key->public_key());
    EXPECT_EQ(files->config.p2p.listen_address, i >= 4 ? "127.0.0.1" : "0.0.0.0");
    EXPECT_EQ(files->config.rpc.listen_address, "127.0.0.1");
    EXPECT_EQ(files->config.p2p.listen_port, report->nodes[i].p2p_port);
    EXPECT_FALSE(files->config.rpc.token.empty());
    // Its peers are exactly the five others.
    std::set<size_t> peers;
    for (const net::Endpoint& peer : files->config.p2p.persistent_peers) {
      auto found = node_at.find(peer.to_string());
      ASSERT_NE(found, node_at.end()) << peer.to_string();
      EXPECT_NE(found->second, i);
      peers.insert(found->second);
    }
    EXPECT_EQ(peers.size(), 5u) << "node" << i;
  }
  EXPECT_EQ(validator_keys.size(), 6u);
  // The folder is not written twice.
  EXPECT_EQ(write_testnet(options).status().code(), Code::kAlreadyExists);
}

}  // namespace
}  // namespace synod::cluster
