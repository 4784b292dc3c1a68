// The parts of LocalCluster that need no process: derived account keys and the homes it writes.
// Running nodes is tested with the real binary in apps/cluster_process_test.cc.
#include "cluster/local_cluster.h"

#include <gtest/gtest.h>

#include <set>

#include "base/codec.h"
#include "crypto/hash.h"
#include "node/test_support.h"

namespace synod::cluster {
namespace {

TEST(AccountKeyTest, DerivesTheDocumentedSeedDeterministically) {
  const crypto::KeyPair first = account_key("demo", 0);
  EXPECT_EQ(first.public_key(), account_key("demo", 0).public_key());
  EXPECT_NE(first.public_key(), account_key("demo", 1).public_key());
  EXPECT_NE(first.public_key(), account_key("demo2", 0).public_key());
  // tagged_hash("synod/localnet/account", "demo" || 07 00 00 00)
  Writer writer;
  writer.raw(as_bytes(std::string_view("demo")));
  writer.u32(7);
  const Hash256 digest = crypto::tagged_hash("synod/localnet/account", writer.buffer());
  EXPECT_EQ(account_key("demo", 7).seed().hex(), digest.hex());
}

TEST(ClusterHomesTest, WritesAFullMeshWithOneGenesisAndFundedAccounts) {
  node::testing::TempDir dir;
  ClusterOptions options;
  options.root = dir.sub("net");
  options.validators = 3;
  options.followers = 1;
  options.base_port = 31000;
  options.accounts = 5;
  options.account_balance = 777;
  options.account_seed = "seed";
  options.genesis.app = chain::AppKind::kKvStore;
  options.genesis.kv_unsigned_writes = true;
  auto written = write_cluster_homes(options);
  ASSERT_TRUE(written.is_ok()) << written.status().to_string();
  ASSERT_EQ(written->homes.size(), 4u);
  EXPECT_EQ(written->genesis.validators.size(), 3u);
  EXPECT_EQ(written->genesis.app, chain::AppKind::kKvStore);
  EXPECT_TRUE(written->genesis.kv_unsigned_writes);
  // 3 validator accounts, then the 5 derived ones.
  ASSERT_EQ(written->genesis.accounts.size(), 8u);
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(written->genesis.accounts[3 + i].address,
              chain::Address::from_public_key(account_key("seed", i).public_key()));
    EXPECT_EQ(written->genesis.accounts[3 + i].balance, 777u);
  }
  std::set<uint16_t> ports;
  for (size_t i = 0; i < 4; ++i) {
    auto files = node::read_home(options.root + "/node" + std::to_string(i));
    ASSERT_TRUE(files.is_ok()) << files.status().to_string();
    EXPECT_EQ(files->genesis.hash(), written->genesis.hash());
    EXPECT_EQ(files->config.p2p.listen_port, 31000 + 2 * i);
    EXPECT_EQ(files->config.rpc.listen_port, 31000 + 2 * i + 1);
    EXPECT_EQ(files->validator_key.has_value(), i < 3);
    if (files->validator_key) {
      EXPECT_EQ(written->genesis.validators.at(i).public_key, files->validator_key->public_key());
    }
    ASSERT_EQ(files->config.p2p.persistent_peers.size(), 3u);
    for (const net::Endpoint& peer : files->config.p2p.persistent_peers) {
      EXPECT_EQ(peer.host, "127.0.0.1");
      EXPECT_NE(peer.port, files->config.p2p.listen_port);
      EXPECT_EQ((peer.port - 31000) % 2, 0);
      EXPECT_LT(peer.port, 31008);
    }
    ports.insert(files->config.p2p.listen_port);
    ports.insert(files->config.rpc.listen_port);
  }
  EXPECT_EQ(ports.size(), 8u);
  // A second write onto the same folder is refused; nothing is overwritten.
  EXPECT_EQ(write_cluster_homes(options).status().code(), Code::kAlreadyExists);
}

TEST(ClusterHomesTest, RefusesBadOptions) {
  node::testing::TempDir dir;
  ClusterOptions options;
  options.root = dir.sub("net");
  options.validators = 0;
  EXPECT_EQ(write_cluster_homes(options).status().code(), Code::kInvalidArgument);
  options.validators = 60;
  options.followers = 5;
  EXPECT_EQ(write_cluster_homes(options).status().code(), Code::kInvalidArgument);
  options.validators = 4;
  options.followers = 0;
  options.base_port = 65530;
  EXPECT_EQ(write_cluster_homes(options).status().code(), Code::kInvalidArgument);
  options.base_port = 30000;
  options.log_level = "loud";
  EXPECT_EQ(write_cluster_homes(options).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(options.root));
}

TEST(LocalClusterTest, OpenNeedsHomesAndABinary) {
  node::testing::TempDir dir;
  EXPECT_EQ(LocalCluster::open(dir.path(), "/bin/true").status().code(), Code::kNotFound);
  EXPECT_EQ(LocalCluster::open(dir.path(), dir.sub("missing")).status().code(), Code::kNotFound);
}

TEST(PickBasePortTest, FindsBindablePorts) {
  auto base = pick_base_port(8);
  ASSERT_TRUE(base.is_ok()) << base.status().to_string();
  EXPECT_GE(*base, 20000);
  EXPECT_LE(*base + 8, 60000);
}

}  // namespace
}  // namespace synod::cluster
