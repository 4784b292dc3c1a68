#include "mempool/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace synod::mempool {
namespace {

TEST(WorkerPool, RunsEveryJobOnItsThreads) {
  std::atomic<int> ran{0};
  std::promise<void> all_done;
  constexpr int kJobs = 200;
  {
    WorkerPool pool(3, kJobs);
    EXPECT_EQ(pool.thread_count(), 3u);
    std::vector<WorkerPool::Job> jobs;
    const auto caller = std::this_thread::get_id();
    for (int i = 0; i < kJobs; ++i) {
      jobs.push_back([&] {
        EXPECT_NE(std::this_thread::get_id(), caller);
        if (ran.fetch_add(1) + 1 == kJobs) all_done.set_value();
      });
    }
    ASSERT_TRUE(pool.try_post(jobs));
    EXPECT_TRUE(jobs.empty());
    all_done.get_future().wait();
  }
  EXPECT_EQ(ran.load(), kJobs);
}

TEST(WorkerPool, PostsAllOrNothingAndRunsInlineWithoutThreads) {
  WorkerPool pool(0, 3);
  int ran = 0;
  std::vector<WorkerPool::Job> two(2, [&] { ++ran; });
  ASSERT_TRUE(pool.try_post(two));
  std::vector<WorkerPool::Job> another_two(2, [&] { ++ran; });
  EXPECT_FALSE(pool.try_post(another_two));
  EXPECT_EQ(another_two.size(), 2u);  // untouched on refusal
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(pool.run_pending(), 2u);
  EXPECT_EQ(ran, 2);
  EXPECT_TRUE(pool.try_post(another_two));
  EXPECT_EQ(pool.run_pending(), 2u);
  EXPECT_EQ(ran, 4);
}

TEST(WorkerPool, DestructionDiscardsQueuedJobs) {
  auto flag = std::make_shared<int>(0);
  {
    WorkerPool pool(0, 4);
    std::vector<WorkerPool::Job> jobs{[flag] { ++*flag; }};
    ASSERT_TRUE(pool.try_post(jobs));
    EXPECT_EQ(flag.use_count(), 2);
  }
  EXPECT_EQ(*flag, 0);
  EXPECT_EQ(flag.use_count(), 1);  // the job was destroyed, not leaked
}

}  // namespace
}  // namespace synod::mempool
