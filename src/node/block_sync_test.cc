#include "node/block_sync.h"

#include <gtest/gtest.h>

#include <set>

namespace synod::node {
namespace {

net::NodeId peer(uint8_t n) {
  net::NodeId id;
  id.data[0] = n;
  return id;
}

BlocksMessage blocks(uint64_t from, uint32_t count) {
  BlocksMessage message{from, {}};
  for (uint32_t i = 0; i < count; ++i) {
    CertifiedBlock entry;
    entry.block.header.height = from + i;
    message.blocks.push_back(std::move(entry));
  }
  return message;
}

BlockSyncConfig config() {
  BlockSyncConfig out;
  out.batch_blocks = 4;
  out.window_blocks = 12;
  out.request_timeout_ms = 1'000;
  out.lag_blocks_min = 2;
  out.stall_ms = 500;
  return out;
}

TEST(BlockSyncTest, SpreadsBatchesOverPeersWithinTheWindow) {
  BlockSync sync(config());
  for (uint8_t n = 1; n <= 3; ++n) {
    sync.add_peer(peer(n));
    sync.on_status(peer(n), 100);
  }
  auto requests = sync.next_requests(10, 1'000);
  ASSERT_EQ(requests.size(), 3u);  // one per idle peer
  std::set<net::NodeId> asked;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].request.height_from, 11 + 4 * i);
    EXPECT_EQ(requests[i].request.count, 4u);
    asked.insert(requests[i].peer);
  }
  EXPECT_EQ(asked.size(), 3u);
  EXPECT_TRUE(sync.syncing());
  EXPECT_EQ(sync.target_height(), 100u);
  EXPECT_TRUE(sync.next_requests(10, 1'001).empty());  // everyone busy, window full

  // The second batch arrives first; the first is still missing, so nothing is next yet.
  ASSERT_TRUE(sync.on_blocks(requests[1].peer, blocks(15, 4), 1'002).is_ok());
  EXPECT_FALSE(sync.take(11).has_value());
  ASSERT_TRUE(sync.on_blocks(requests[0].peer, blocks(11, 4), 1'003).is_ok());
  for (uint64_t height = 11; height <= 18; ++height) {
    auto fetched = sync.take(height);
    ASSERT_TRUE(fetched.has_value()) << height;
    EXPECT_EQ(fetched->entry.block.height(), height);
  }
  // Applied up to 18: the window moves and the idle peers get the next batches.
  auto more = sync.next_requests(18, 1'004);
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(more[0].request.height_from, 23u);  // 19..22 are still with the third peer
}

TEST(BlockSyncTest, RefusesAnswersThatWereNotAskedFor) {
  BlockSync sync(config());
  sync.add_peer(peer(1));
  sync.on_status(peer(1), 50);
  EXPECT_FALSE(sync.on_blocks(peer(1), blocks(1, 1), 0).is_ok());
  auto requests = sync.next_requests(0, 100);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(sync.on_blocks(peer(1), blocks(2, 1), 100).is_ok());  // wrong start
  EXPECT_FALSE(sync.on_blocks(peer(1), blocks(1, 5), 100).is_ok());  // more than asked
  EXPECT_FALSE(sync.on_blocks(peer(2), blocks(1, 1), 100).is_ok());  // unknown peer
  EXPECT_TRUE(sync.on_blocks(peer(1), blocks(1, 2), 100).is_ok());   // fewer is fine
  EXPECT_TRUE(sync.take(1).has_value());
  EXPECT_TRUE(sync.take(2).has_value());
  EXPECT_FALSE(sync.take(3).has_value());
}

TEST(BlockSyncTest, TimedOutRequestsGoToAnotherPeer) {
  BlockSync sync(config());
  sync.add_peer(peer(1));
  sync.on_status(peer(1), 6);
  auto first = sync.next_requests(0, 0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].request.count, 4u);
  sync.add_peer(peer(2));
  sync.on_status(peer(2), 6);
  auto second = sync.next_requests(0, 10);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].peer, peer(2));
  EXPECT_EQ(second[0].request.height_from, 5u);
  EXPECT_EQ(second[0].request.count, 2u);  // peer 2 has only up to 6
  EXPECT_EQ(sync.wake_at_ms(10), 1'000u);
  // Peer 1 never answers; after the timeout its heights go to peer 2 once that one is idle.
  ASSERT_TRUE(sync.on_blocks(peer(2), blocks(5, 2), 20).is_ok());
  auto retry = sync.next_requests(0, 1'000);
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].peer, peer(2));
  EXPECT_EQ(retry[0].request.height_from, 1u);
  EXPECT_EQ(sync.in_flight_count(), 1u);
}

TEST(BlockSyncTest, OneBlockBehindWaitsForTheStall) {
  BlockSync sync(config());
  sync.add_peer(peer(1));
  sync.on_status(peer(1), 11);
  EXPECT_TRUE(sync.next_requests(10, 1'000).empty());
  EXPECT_FALSE(sync.syncing());
  EXPECT_EQ(sync.wake_at_ms(1'000), 1'500u);
  auto requests = sync.next_requests(10, 1'500);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].request.height_from, 11u);
  EXPECT_EQ(requests[0].request.count, 1u);
}

TEST(BlockSyncTest, EmptyAnswersAndDiscardedPeers) {
  BlockSync sync(config());
  sync.add_peer(peer(1));
  sync.add_peer(peer(2));
  sync.on_status(peer(1), 20);
  sync.on_status(peer(2), 3);
  auto requests = sync.next_requests(0, 0);
  ASSERT_EQ(requests.size(), 1u);  // peer 2 lacks height 5, where the second batch starts
  EXPECT_EQ(requests[0].peer, peer(1));
  // Peer 1 has nothing after all: its height drops and it rests; peer 2 is asked next.
  ASSERT_TRUE(sync.on_blocks(peer(1), BlocksMessage{1, {}}, 5).is_ok());
  EXPECT_EQ(sync.target_height(), 3u);
  auto next = sync.next_requests(0, 10);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].peer, peer(2));
  EXPECT_EQ(next[0].request.count, 3u);
  ASSERT_TRUE(sync.on_blocks(peer(2), blocks(1, 3), 20).is_ok());
  EXPECT_EQ(sync.fetched_count(), 3u);
  sync.discard_from(peer(2));
  EXPECT_EQ(sync.fetched_count(), 0u);
  sync.remove_peer(peer(1));
  sync.remove_peer(peer(2));
  EXPECT_EQ(sync.target_height(), 0u);
  EXPECT_TRUE(sync.next_requests(0, 10).empty());
}

TEST(BlockSyncTest, ServingIsRateLimitedPerPeer) {
  BlockSyncConfig limited = config();
  limited.serve_requests_per_second = 2;
  BlockSync sync(limited);
  sync.add_peer(peer(1));
  int served = 0;
  for (int i = 0; i < 10; ++i)
    served += sync.allow_serve(peer(1), 1'000) ? 1 : 0;
  EXPECT_EQ(served, 4);  // the burst
  EXPECT_FALSE(sync.allow_serve(peer(1), 1'100));
  EXPECT_TRUE(sync.allow_serve(peer(1), 1'600));   // refilled one
  EXPECT_FALSE(sync.allow_serve(peer(9), 1'600));  // not connected
}

}  // namespace
}  // namespace synod::node
