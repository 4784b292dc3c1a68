#include "mempool/worker_pool.h"

#include "base/assert.h"

namespace synod::mempool {

WorkerPool::WorkerPool(size_t thread_count, size_t queue_jobs_max)
    : queue_jobs_max_(queue_jobs_max) {
  SYNOD_ASSERT(queue_jobs_max > 0);
  threads_.reserve(thread_count);
  for (size_t i = 0; i < thread_count; ++i)
    threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  std::deque<Job> discarded;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    discarded.swap(queue_);
  }
  work_available_.notify_all();
  for (std::thread& thread : threads_)
    thread.join();
  // `discarded` is destroyed here, outside the lock and after the workers are gone.
}

bool WorkerPool::try_post(std::vector<Job>& jobs) {
  const size_t posted = jobs.size();
  {
    std::lock_guard lock(mutex_);
    SYNOD_ASSERT(!stopping_);
    if (jobs.size() > queue_jobs_max_ - queue_.size()) return false;
    for (Job& job : jobs)
      queue_.push_back(std::move(job));
  }
  jobs.clear();
  if (posted == 1) {
    work_available_.notify_one();
  } else {
    work_available_.notify_all();
  }
  return true;
}

size_t WorkerPool::run_pending() {
  size_t ran = 0;
  Job job;
  while (pop(job, /*wait=*/false)) {
    job();
    job = nullptr;
    ++ran;
  }
  return ran;
}

bool WorkerPool::pop(Job& job, bool wait) {
  std::unique_lock lock(mutex_);
  if (wait) work_available_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  if (stopping_ || queue_.empty()) return false;
  job = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

void WorkerPool::work() {
  Job job;
  while (pop(job, /*wait=*/true)) {
    job();
    job = nullptr;  // release what the job captured before waiting again
  }
}

}  // namespace synod::mempool
