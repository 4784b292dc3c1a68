// WorkerPool: a fixed set of threads running jobs from one bounded FIFO queue. The mempool uses it
// to verify signatures off the submitting thread.
//
// Thread-safety: try_post and run_pending may be called from any thread. A pool built with zero
// threads runs nothing by itself: its jobs wait until some thread calls run_pending() (the
// simulator and deterministic tests use this). Jobs must not throw.
//
// Destruction discards jobs still queued (they are destroyed without running), waits for the
// running ones to finish, then joins the threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace synod::mempool {

class WorkerPool {
 public:
  using Job = std::function<void()>;

  WorkerPool(size_t thread_count, size_t queue_jobs_max);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues every job of `jobs`, or none when they do not all fit under `queue_jobs_max`.
  // Moves from `jobs` only on success.
  [[nodiscard]] bool try_post(std::vector<Job>& jobs);

  // Runs queued jobs on the calling thread until the queue is empty; returns how many ran.
  size_t run_pending();

  size_t thread_count() const { return threads_.size(); }
  size_t queue_jobs_max() const { return queue_jobs_max_; }

 private:
  void work();
  bool pop(Job& job, bool wait);

  const size_t queue_jobs_max_;
  std::mutex mutex_;
  std::condition_variable work_available_;
  std::deque<Job> queue_;  // guarded by mutex_; size <= queue_jobs_max_
  bool stopping_ = false;  // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace synod::mempool
