#include "node/driver_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace synod::node {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

net::Event message(size_t bytes) {
  return net::Message{net::NodeId{}, net::Channel::kConsensus, Bytes(bytes, 7)};
}

TEST(DriverQueueTest, WaitReturnsAtTheDeadlineOrWhenWoken) {
  DriverQueue queue(DriverQueue::Limits{});
  const auto start = steady_clock::now();
  EXPECT_TRUE(queue.wait_until(start + milliseconds(30)).empty());
  EXPECT_GE(steady_clock::now() - start, milliseconds(30));

  std::thread waker([&] {
    std::this_thread::sleep_for(milliseconds(20));
    queue.notify();
  });
  const auto woken = steady_clock::now();
  EXPECT_TRUE(queue.wait_until(woken + std::chrono::seconds(10)).empty());
  EXPECT_LT(steady_clock::now() - woken, std::chrono::seconds(5));
  waker.join();
}

TEST(DriverQueueTest, TakesEventsInOrderAndAtMostAPerWaitBound) {
  DriverQueue::Limits limits;
  limits.events_per_wait_max = 2;
  DriverQueue queue(limits);
  for (size_t i = 1; i <= 3; ++i)
    ASSERT_TRUE(queue.push_event(message(i)));
  ASSERT_TRUE(queue.post([] {}));
  auto first = queue.wait_until(steady_clock::now());
  ASSERT_EQ(first.events.size(), 2u);
  EXPECT_EQ(std::get<net::Message>(first.events[0]).payload.size(), 1u);
  EXPECT_EQ(first.tasks.size(), 1u);
  auto second = queue.wait_until(steady_clock::now());
  ASSERT_EQ(second.events.size(), 1u);
  EXPECT_EQ(std::get<net::Message>(second.events[0]).payload.size(), 3u);
}

TEST(DriverQueueTest, AFullQueueHoldsThePusherUntilThereIsRoom) {
  DriverQueue::Limits limits;
  limits.events_max = 2;
  limits.message_bytes_max = 100;
  DriverQueue queue(limits);
  ASSERT_TRUE(queue.push_event(message(500)));  // over the byte bound, but the queue was empty
  std::atomic<bool> pushed{false};
  std::thread pusher([&] {
    EXPECT_TRUE(queue.push_event(message(10)));
    pushed = true;
  });
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(pushed.load());
  EXPECT_EQ(queue.wait_until(steady_clock::now()).events.size(), 1u);
  pusher.join();
  EXPECT_TRUE(pushed.load());
}

TEST(DriverQueueTest, CloseReleasesEveryoneAndHandsBackTasks) {
  DriverQueue::Limits limits;
  limits.events_max = 1;
  limits.tasks_max = 1;
  DriverQueue queue(limits);
  ASSERT_TRUE(queue.push_event(message(1)));
  std::thread blocked([&] { EXPECT_FALSE(queue.push_event(message(1))); });
  ASSERT_TRUE(queue.post([] {}));
  EXPECT_FALSE(queue.post([] {}));  // over tasks_max
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(queue.close().size(), 1u);
  blocked.join();
  EXPECT_TRUE(queue.closed());
  EXPECT_FALSE(queue.post([] {}));
  EXPECT_FALSE(queue.push_event(message(1)));
}

}  // namespace
}  // namespace synod::node
