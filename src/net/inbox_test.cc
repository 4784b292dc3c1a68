#include "net/inbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace synod::net {
namespace {

Message message_of(size_t bytes) {
  return Message{NodeId{}, Channel::kConsensus, Bytes(bytes, 1)};
}

TEST(Inbox, BoundsMessagesByCountAndBytesAndCallsBackWhenDrained) {
  std::atomic<int> calls{0};
  Inbox inbox(Inbox::Limits{4, 100, 2}, [&] { calls += 1; });
  for (int i = 0; i < 4; ++i) {
    Message message = message_of(10);
    ASSERT_TRUE(inbox.try_push(message));
  }
  Message refused = message_of(10);
  EXPECT_FALSE(inbox.try_push(refused));
  EXPECT_EQ(refused.payload.size(), 10u);  // not moved from when refused
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(inbox.poll());
  EXPECT_EQ(calls, 0);  // 3 left: not yet below half
  ASSERT_TRUE(inbox.poll());
  EXPECT_EQ(calls, 1);  // 2 left
  ASSERT_TRUE(inbox.poll());
  EXPECT_EQ(calls, 1);  // once per refusal

  // Bytes: a big message fits an empty inbox, then nothing more until it is taken.
  ASSERT_TRUE(inbox.poll());
  Message big = message_of(500);
  EXPECT_TRUE(inbox.try_push(big));
  Message small = message_of(1);
  EXPECT_FALSE(inbox.try_push(small));
  ASSERT_TRUE(inbox.poll());
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(inbox.try_push(small));
}

TEST(Inbox, PeerEventsHaveTheirOwnCapAndKeepOrder) {
  Inbox inbox(Inbox::Limits{1, 100, 2}, nullptr);
  Message message = message_of(1);
  ASSERT_TRUE(inbox.try_push(message));
  EXPECT_TRUE(inbox.push_peer_event(PeerConnected{}));  // the message bound does not apply
  EXPECT_TRUE(inbox.push_peer_event(PeerDisconnected{NodeId{}, "bye"}));
  EXPECT_FALSE(inbox.push_peer_event(PeerConnected{}));
  EXPECT_EQ(inbox.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<Message>(*inbox.poll()));
  EXPECT_TRUE(std::holds_alternative<PeerConnected>(*inbox.poll()));
  EXPECT_TRUE(std::holds_alternative<PeerDisconnected>(*inbox.poll()));
  EXPECT_FALSE(inbox.poll());
}

TEST(Inbox, WaitReturnsOnPushOrTimeout) {
  Inbox inbox(Inbox::Limits{}, nullptr);
  auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(inbox.wait(30));
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(30));
  std::thread pusher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Message message = message_of(3);
    EXPECT_TRUE(inbox.try_push(message));
  });
  auto event = inbox.wait(5'000);
  pusher.join();
  ASSERT_TRUE(event);
  EXPECT_EQ(std::get<Message>(*event).payload.size(), 3u);
}

}  // namespace
}  // namespace synod::net
