// A peer that completes the handshake and then sends consensus messages the engine drops as badly
// signed or malformed, or a transaction batch of forged signatures, is scored down and
// disconnected, while the node keeps committing. (Sync messages are scored in node_network.cc
// too; the real-process test in apps/cluster_process_test.cc covers those end to end.)
#include <gtest/gtest.h>

#include <random>

#include "chain/transaction.h"
#include "consensus/pbft/messages.h"
#include "net/transport.h"
#include "node/node.h"
#include "node/node_internal.h"
#include "node/protocol.h"
#include "node/test_support.h"

namespace synod::node {
namespace {

constexpr uint64_t kWaitMs = 30'000;

struct Peer {
  explicit Peer(const chain::Genesis& genesis)
      : transport(crypto::KeyPair::generate(), [&] {
          net::TransportConfig config;
          config.genesis_hash = genesis.hash();
          config.peer_exchange = false;
          config.reconnect_delay_ms_min = 60'000;
          return config;
        }()) {}

  std::optional<net::NodeId> connect(uint16_t port) {
    if (!transport.start("", 0).is_ok()) return {};
    if (!transport.connect(net::Endpoint{"127.0.0.1", port}).is_ok()) return {};
    const uint64_t deadline = testing::steady_ms() + kWaitMs;
    while (testing::steady_ms() < deadline) {
      auto event = transport.wait(100);
      if (event && std::holds_alternative<net::PeerConnected>(*event)) {
        return std::get<net::PeerConnected>(*event).node_id;
      }
    }
    return {};
  }

  // Sends `make(n)` for n = 0, 1, ... until the node disconnects us; how many it took (0: never).
  int send_until_dropped(const net::NodeId& node, const std::function<Bytes(int)>& make,
                         net::Channel channel = net::Channel::kConsensus) {
    for (int n = 0; n < 50; ++n) {
      (void)transport.send(node, channel, make(n));
      const uint64_t deadline = testing::steady_ms() + 100;
      while (testing::steady_ms() < deadline) {
        auto event = transport.wait(20);
        if (event && std::holds_alternative<net::PeerDisconnected>(*event)) return n + 1;
      }
    }
    return 0;
  }

  net::Transport transport;
};

class PeerScoringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Node::open(files_);
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    node_ = std::move(opened).value();
    ASSERT_TRUE(node_->start().is_ok());
    ASSERT_TRUE(testing::eventually([&] { return node_->height() >= 1; }, kWaitMs));
  }
  void TearDown() override {
    if (node_) node_->stop();
  }

  // The node still commits, and no longer has the peer.
  void expect_alive_without(const net::NodeId& peer) {
    const uint64_t height = node_->height();
    EXPECT_TRUE(testing::eventually([&] { return node_->height() >= height + 3; }, kWaitMs));
    for (const net::PeerInfo& info : node_->peers())
      EXPECT_NE(info.node_id, peer);
    EXPECT_GT(node_->metrics().peer_penalties, 0u);
  }

  testing::TempDir dir_;
  const HomeFiles files_ = testing::make_network(dir_, 1).front();
  std::unique_ptr<Node> node_;
};

TEST_F(PeerScoringTest, ConsensusVotesWithInvalidSignaturesGetThePeerDisconnected) {
  Peer peer(files_.genesis);
  auto node_id = peer.connect(node_->p2p_port());
  ASSERT_TRUE(node_id.has_value());
  std::mt19937_64 random(7);
  const uint64_t height = node_->height();
  const int sent = peer.send_until_dropped(*node_id, [&](int) {
    consensus::pbft::Vote vote;
    vote.height = height + 1;
    for (auto& byte : vote.block_hash.data)
      byte = static_cast<uint8_t>(random());
    vote.sig.signer = files_.validator_key->public_key();  // the node's own validator key
    for (auto& byte : vote.sig.signature.data)
      byte = static_cast<uint8_t>(random());
    return consensus::pbft::encode_message(vote);
  });
  EXPECT_GT(sent, 0) << "the node kept a peer that forges votes";
  EXPECT_LE(sent, 8);
  expect_alive_without(peer.transport.node_id());
  EXPECT_TRUE(node_->status().failure.empty());
}

TEST_F(PeerScoringTest, MalformedConsensusMessagesGetThePeerDisconnected) {
  Peer peer(files_.genesis);
  auto node_id = peer.connect(node_->p2p_port());
  ASSERT_TRUE(node_id.has_value());
  std::mt19937_64 random(11);
  const int sent = peer.send_until_dropped(*node_id, [&](int n) {
    Bytes junk(1 + static_cast<size_t>(n) * 37);
    for (auto& byte : junk)
      byte = static_cast<uint8_t>(random());
    junk[0] = 2;  // a PREPARE's tag, then garbage
    return junk;
  });
  EXPECT_GT(sent, 0) << "the node kept a peer that sends malformed consensus messages";
  EXPECT_LE(sent, 8);
  expect_alive_without(peer.transport.node_id());
}

TEST_F(PeerScoringTest, ABatchOfForgedTransactionsGetsThePeerDisconnectedAtOnce) {
  Peer peer(files_.genesis);
  auto node_id = peer.connect(node_->p2p_port());
  ASSERT_TRUE(node_id.has_value());
  const crypto::KeyPair sender = crypto::KeyPair::generate();
  const chain::Address to = chain::Address::from_public_key(sender.public_key());
  uint64_t nonce = 0;
  const int sent = peer.send_until_dropped(
      *node_id,
      [&](int) {
        std::vector<Bytes> batch;
        for (int i = 0; i < 16; ++i) {
          chain::Transaction tx =
              chain::make_transfer(files_.genesis.chain_id, sender, nonce++, 1, to, 1);
          tx.signature.data[0] ^= 0x40;  // forged: each one costs the node a verification
          Writer writer(256);
          tx.encode(writer);
          batch.push_back(writer.buffer());
        }
        return encode_transaction_batch(batch);
      },
      net::Channel::kTransactions);
  // Ten forged signatures already cost the ban threshold: one batch of sixteen is enough.
  EXPECT_EQ(sent, 1) << "the node kept a peer whose batch was all forged signatures";
  expect_alive_without(peer.transport.node_id());
}

// A peer that asks for the same transactions again and again gets at most the serving budget's
// worth (kGossipServedPerPeerPerSecond a second, and one second's worth at once), not one whole
// transaction for every 32-byte id it sends.
TEST_F(PeerScoringTest, RepeatedRequestsAreServedOnlyUpToTheBudget) {
  // 32 transfers (a sender's most in the mempool) with a nonce gap (nonce 0 never comes), so
  // they stay pending.
  const crypto::KeyPair& key = *files_.validator_key;
  const chain::Address self = chain::Address::from_public_key(key.public_key());
  std::vector<Hash256> ids;
  for (uint64_t nonce = 1; nonce <= 32; ++nonce) {
    chain::Transaction tx = chain::make_transfer(files_.genesis.chain_id, key, nonce, 1, self, 1);
    ids.push_back(tx.id());
    ASSERT_TRUE(node_->submit_transaction(encode(tx), [](const mempool::Admission&) {}).is_ok());
  }
  ASSERT_TRUE(testing::eventually([&] { return node_->mempool().size() == 32; }, kWaitMs));

  Peer peer(files_.genesis);
  auto node_id = peer.connect(node_->p2p_port());
  ASSERT_TRUE(node_id.has_value());
  const Bytes request = encode_gossip_message(RequestMessage{ids});
  constexpr int kRequests = 4'000;  // 128,000 transactions asked for, as fast as they go out
  const uint64_t started = testing::steady_ms();
  for (int i = 0; i < kRequests; ++i)
    ASSERT_TRUE(peer.transport.send(*node_id, net::Channel::kTransactions, request).is_ok());
  // Read answers until none has come for a second (at most 30 s).
  size_t served = 0;
  uint64_t last_answer = started;
  while (testing::steady_ms() < last_answer + 1'000 && testing::steady_ms() < started + 30'000) {
    auto event = peer.transport.wait(50);
    if (!event || !std::holds_alternative<net::Message>(*event)) continue;
    const net::Message& received = std::get<net::Message>(*event);
    if (received.channel != net::Channel::kTransactions) continue;  // status, consensus
    auto message = decode_gossip_message(received.payload);
    ASSERT_TRUE(message.is_ok());
    if (auto* batch = std::get_if<TransactionsMessage>(&*message)) {
      served += batch->transactions.size();
      last_answer = testing::steady_ms();
    }
  }
  const uint64_t answering_ms = last_answer - started;
  EXPECT_GT(served, 0u) << "an honest request is answered";
  // One second's worth at once, then the refill for as long as the node was answering.
  EXPECT_LE(served, kGossipServedPerPeerPerSecond +
                        kGossipServedPerPeerPerSecond * answering_ms / 1'000 + ids.size())
      << "answered for " << answering_ms << " ms";
  EXPECT_LT(served, static_cast<size_t>(kRequests) * ids.size());
  EXPECT_GT(node_->metrics().gossip_requests_refused, 0u);
}

}  // namespace
}  // namespace synod::node
