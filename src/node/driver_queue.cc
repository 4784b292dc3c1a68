#include "node/driver_queue.h"

namespace synod::node {

size_t DriverQueue::message_bytes(const net::Event& event) {
  const auto* message = std::get_if<net::Message>(&event);
  return message == nullptr ? 0 : message->payload.size();
}

bool DriverQueue::push_event(net::Event event) {
  const size_t bytes = message_bytes(event);
  std::unique_lock lock(mutex_);
  room_.wait(lock, [&] {
    return closed_ || events_.empty() ||
           (events_.size() < limits_.events_max && bytes_ + bytes <= limits_.message_bytes_max);
  });
  if (closed_) return false;
  bytes_ += bytes;
  events_.push_back(std::move(event));
  lock.unlock();
  driver_wake_.notify_one();
  return true;
}

bool DriverQueue::post(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (closed_ || tasks_.size() >= limits_.tasks_max) return false;
    tasks_.push_back(std::move(task));
  }
  driver_wake_.notify_one();
  return true;
}

void DriverQueue::notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  driver_wake_.notify_one();
}

DriverQueue::Batch DriverQueue::wait_until(std::chrono::steady_clock::time_point deadline) {
  Batch batch;
  std::unique_lock lock(mutex_);
  driver_wake_.wait_until(
      lock, deadline, [&] { return closed_ || notified_ || !events_.empty() || !tasks_.empty(); });
  notified_ = false;
  const size_t take = std::min(events_.size(), limits_.events_per_wait_max);
  batch.events.reserve(take);
  for (size_t i = 0; i < take; ++i) {
    net::Event& event = events_.front();
    bytes_ -= message_bytes(event);
    batch.events.push_back(std::move(event));
    events_.pop_front();
  }
  batch.tasks.assign(std::make_move_iterator(tasks_.begin()),
                     std::make_move_iterator(tasks_.end()));
  tasks_.clear();
  lock.unlock();
  if (take > 0) room_.notify_all();
  return batch;
}

std::vector<DriverQueue::Task> DriverQueue::close() {
  std::vector<Task> left;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    left.assign(std::make_move_iterator(tasks_.begin()), std::make_move_iterator(tasks_.end()));
    tasks_.clear();
  }
  driver_wake_.notify_all();
  room_.notify_all();
  return left;
}

bool DriverQueue::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

}  // namespace synod::node
