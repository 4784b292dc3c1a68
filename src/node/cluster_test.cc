// Several Node objects in one process, each with its own RocksDB in a temp folder, talking over
// the real transport on 127.0.0.1: they agree on blocks and state roots, gossip transactions,
// and a node started later catches up by block sync and joins consensus. Every wait is bounded.
#include <gtest/gtest.h>

#include <set>

#include "node/node.h"
#include "node/test_support.h"

namespace synod::node {
namespace {

constexpr uint64_t kWaitMs = 30'000;

class Cluster {
 public:
  Cluster(size_t validators, size_t followers)
      : options_(testing::make_network(root_, validators, followers)), nodes_(options_.size()) {}
  ~Cluster() {
    for (auto& node : nodes_) {
      if (node) node->stop();
    }
  }

  // Opens and starts node i, and has it dial every node already running (unless `dial` is false).
  void start(size_t i, bool dial = true) {
    auto opened = Node::open(options_[i]);
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    nodes_[i] = std::move(opened).value();
    ASSERT_TRUE(nodes_[i]->start().is_ok());
    if (!dial) return;
    for (size_t j = 0; j < nodes_.size(); ++j) {
      if (j == i || !nodes_[j]) continue;
      ASSERT_TRUE(nodes_[i]
                      ->add_persistent_peer(net::Endpoint{"127.0.0.1", nodes_[j]->p2p_port()})
                      .is_ok());
    }
  }
  void stop(size_t i) {
    nodes_[i]->stop();
    nodes_[i].reset();
  }

  Node& node(size_t i) { return *nodes_[i]; }
  const NodeOptions& options(size_t i) const { return options_[i]; }
  NodeOptions& mutable_options(size_t i) { return options_[i]; }
  size_t size() const { return nodes_.size(); }

  uint64_t min_height(const std::vector<size_t>& which) const {
    uint64_t out = UINT64_MAX;
    for (size_t i : which)
      out = std::min(out, nodes_[i]->height());
    return out;
  }

  // Every listed node holds the same block and state root at every height up to `height`.
  void expect_same_chain(const std::vector<size_t>& which, uint64_t height) const {
    for (uint64_t h = 1; h <= height; ++h) {
      auto first = nodes_[which[0]]->chain().header(h);
      ASSERT_TRUE(first.is_ok() && first->has_value()) << "node " << which[0] << " height " << h;
      for (size_t k = 1; k < which.size(); ++k) {
        auto other = nodes_[which[k]]->chain().header(h);
        ASSERT_TRUE(other.is_ok() && other->has_value()) << "node " << which[k] << " height " << h;
        EXPECT_EQ((*other)->hash(), (*first)->hash()) << "node " << which[k] << " height " << h;
        EXPECT_EQ((*other)->state_root, (*first)->state_root) << "height " << h;
      }
    }
  }

 private:
  testing::TempDir root_;
  std::vector<NodeOptions> options_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

bool committed(Node& node, const Hash256& id) {
  auto location = node.chain().transaction_location(id);
  return location.is_ok() && location->has_value();
}

TEST(ClusterTest, FourValidatorsCommitTransfersAndAgreeOnStateRoots) {
  Cluster cluster(4, 0);
  for (size_t i = 0; i < 4; ++i)
    cluster.start(i);
  const std::string chain_id = cluster.options(0).genesis.chain_id;

  // Each validator's funded key sends three transfers, each submitted to a different node, so
  // most reach the proposers only by gossip.
  std::vector<Hash256> ids;
  for (size_t sender = 0; sender < 4; ++sender) {
    const crypto::KeyPair& key = *cluster.options(sender).validator_key;
    for (uint64_t nonce = 0; nonce < 3; ++nonce) {
      const chain::Address to = chain::Address::from_public_key(
          cluster.options((sender + 1) % 4).validator_key->public_key());
      chain::Transaction tx = chain::make_transfer(chain_id, key, nonce, 1, to, 1'000 + nonce);
      ids.push_back(tx.id());
      Node& entry = cluster.node((sender + nonce) % 4);
      ASSERT_TRUE(entry.submit_transaction(encode(tx), [](const mempool::Admission&) {}).is_ok());
    }
  }
  ASSERT_TRUE(testing::eventually(
      [&] {
        for (size_t i = 0; i < 4; ++i) {
          for (const Hash256& id : ids) {
            if (!committed(cluster.node(i), id)) return false;
          }
        }
        return true;
      },
      kWaitMs))
      << "heights " << cluster.node(0).height() << " " << cluster.node(1).height() << " "
      << cluster.node(2).height() << " " << cluster.node(3).height();

  const uint64_t height = cluster.min_height({0, 1, 2, 3});
  cluster.expect_same_chain({0, 1, 2, 3}, height);
  uint64_t gossip_in = 0;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(cluster.node(i).status().failure.empty());
    EXPECT_EQ(cluster.node(i).status().peers, 3u);
    // Every peer proved which validator it speaks for: the other three keys, each once.
    std::set<crypto::PublicKey> keys;
    for (const auto& [peer, report] : cluster.node(i).status().peer_reports) {
      if (report.validator_key) keys.insert(*report.validator_key);
    }
    std::set<crypto::PublicKey> expected;
    for (size_t j = 0; j < 4; ++j) {
      if (j != i) expected.insert(cluster.options(j).validator_key->public_key());
    }
    EXPECT_EQ(keys, expected) << "node " << i;
    gossip_in += cluster.node(i).metrics().gossip_transactions_in;
  }
  // Each transaction is pushed in full from the node it was submitted to, to the three others;
  // the others only announce it by id. Flooding in full would deliver each one 9 times.
  EXPECT_GE(gossip_in, 3 * ids.size() / 2) << "most transactions reach the others by push";
  EXPECT_LE(gossip_in, 4 * ids.size()) << "the relays send ids, not the transactions again";
}

// Relaying goes on to the other peers, never back to the sender. In a line of three (follower A
// dials validator B, follower C dials B, and the connection limits keep peer exchange from adding
// links), a transaction submitted at A reaches C only through B, which announces its id; C asks B
// for it, and A never hears of it again, in full or by id. The first transaction has a nonce gap,
// so it stays pending everywhere (B's mempool still holds it when C asks); the second fills the
// gap and both commit.
TEST(ClusterTest, RelayedTransactionsReachFurtherPeersAndAreNotEchoed) {
  Cluster cluster(1, 2);
  auto& b = cluster.mutable_options(0).config.p2p;
  b.peers_inbound_max = 2;
  b.peers_outbound_max = 0;
  for (size_t i : {1, 2}) {
    auto& follower = cluster.mutable_options(i).config.p2p;
    follower.peers_inbound_max = 0;
    follower.peers_outbound_max = 1;
  }
  for (size_t i = 0; i < 3; ++i)
    cluster.start(i, /*dial=*/false);
  const net::Endpoint validator{"127.0.0.1", cluster.node(0).p2p_port()};
  ASSERT_TRUE(cluster.node(1).add_persistent_peer(validator).is_ok());
  ASSERT_TRUE(cluster.node(2).add_persistent_peer(validator).is_ok());
  ASSERT_TRUE(testing::eventually([&] { return cluster.node(0).status().peers == 2; }, kWaitMs));

  const crypto::KeyPair& key = *cluster.options(0).validator_key;
  const std::string& chain_id = cluster.options(0).genesis.chain_id;
  const chain::Address self = chain::Address::from_public_key(key.public_key());
  chain::Transaction later = chain::make_transfer(chain_id, key, 1, 1, self, 8);
  ASSERT_TRUE(
      cluster.node(1).submit_transaction(encode(later), [](const mempool::Admission&) {}).is_ok());
  ASSERT_TRUE(
      testing::eventually([&] { return cluster.node(2).mempool().contains(later.id()); }, kWaitMs));
  EXPECT_GE(cluster.node(2).metrics().gossip_ids_announced_in, 1u);
  EXPECT_GE(cluster.node(2).metrics().gossip_ids_requested, 1u);
  EXPECT_GE(cluster.node(2).metrics().gossip_transactions_in, 1u);

  chain::Transaction first = chain::make_transfer(chain_id, key, 0, 1, self, 7);
  ASSERT_TRUE(
      cluster.node(1).submit_transaction(encode(first), [](const mempool::Admission&) {}).is_ok());
  ASSERT_TRUE(testing::eventually(
      [&] {
        for (size_t i : {1, 2}) {
          if (!committed(cluster.node(i), first.id()) || !committed(cluster.node(i), later.id()))
            return false;
        }
        return true;
      },
      kWaitMs));
  EXPECT_EQ(cluster.node(1).metrics().gossip_transactions_in, 0u);
  EXPECT_EQ(cluster.node(1).metrics().gossip_ids_announced_in, 0u);
  EXPECT_EQ(cluster.node(1).status().peers, 1u);
  EXPECT_EQ(cluster.node(2).status().peers, 1u);
}

// A node without a vote starts late: its engine cannot ask for blocks (only validators sign
// catch-up requests), so everything it gets comes through block sync.
TEST(ClusterTest, AFollowerStartedLaterSyncsTheChain) {
  Cluster cluster(4, 1);
  for (size_t i = 0; i < 4; ++i)
    cluster.start(i);
  ASSERT_TRUE(testing::eventually([&] { return cluster.min_height({0, 1, 2, 3}) >= 40; }, kWaitMs));

  cluster.start(4);
  ASSERT_TRUE(testing::eventually(
      [&] {
        return cluster.node(4).height() >= cluster.min_height({0, 1, 2, 3}) &&
               cluster.node(4).height() >= 45;
      },
      kWaitMs))
      << "follower at " << cluster.node(4).height() << ", validators at "
      << cluster.min_height({0, 1, 2, 3});
  EXPECT_GE(cluster.node(4).metrics().sync_blocks_applied, 40u);
  cluster.expect_same_chain({0, 4}, cluster.node(4).height());
  EXPECT_TRUE(cluster.node(4).status().failure.empty());
}

// A validator that was down while the others went on catches up, then its vote is needed: with
// another validator stopped, the chain only moves if the late one takes part.
TEST(ClusterTest, ALateValidatorCatchesUpAndJoinsConsensus) {
  Cluster cluster(4, 0);
  for (size_t i = 0; i < 3; ++i)
    cluster.start(i);
  ASSERT_TRUE(testing::eventually([&] { return cluster.min_height({0, 1, 2}) >= 12; }, kWaitMs));

  cluster.start(3);
  ASSERT_TRUE(testing::eventually(
      [&] {
        return cluster.node(3).height() >= cluster.min_height({0, 1, 2});
      },
      kWaitMs))
      << "late node at " << cluster.node(3).height();

  cluster.stop(0);
  const uint64_t before = cluster.min_height({1, 2, 3});
  ASSERT_TRUE(testing::eventually(
      [&] {
        return cluster.min_height({1, 2, 3}) >= before + 6;
      },
      kWaitMs))
      << "stuck at " << cluster.min_height({1, 2, 3});
  cluster.expect_same_chain({1, 2, 3}, cluster.min_height({1, 2, 3}));
}

}  // namespace
}  // namespace synod::node
