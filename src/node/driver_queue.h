// DriverQueue: the one place the node's driver thread waits. Network events arrive from the
// transport pump thread, tasks from other threads (RPC queries), and bare wake-ups from the
// mempool's workers (verified transactions waiting for poll()). The driver sleeps in wait_until()
// until one of them comes or its next timer is due.
//
// Bounds: network events by count, message payloads by bytes; a push past them waits for room, so
// the pump stops draining the transport's inbox and the transport stops reading sockets (TCP
// backpressure, as net/inbox.h describes). An event always fits into an empty queue. Tasks are
// bounded by count and refused past it. One wait takes at most events_per_wait_max events, which
// bounds the work of one loop iteration.
//
// Thread-safe. close() wakes every waiter; pushes then fail, and tasks still queued are handed
// back by close() so the owner can run or drop them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "net/inbox.h"

namespace synod::node {

class DriverQueue {
 public:
  using Task = std::function<void()>;
  struct Limits {
    size_t events_max = 4'096;
    size_t message_bytes_max = 256 * 1024 * 1024;
    size_t tasks_max = 1'024;
    size_t events_per_wait_max = 512;
  };
  struct Batch {
    std::vector<net::Event> events;
    std::vector<Task> tasks;
    bool empty() const { return events.empty() && tasks.empty(); }
  };

  explicit DriverQueue(Limits limits) : limits_(limits) {}

  // Waits for room, then queues the event. False (event dropped) once closed.
  bool push_event(net::Event event);
  // False when closed or tasks_max tasks wait already.
  bool post(Task task);
  // Wakes the driver without queueing anything.
  void notify();
  // Returns what is queued, waiting until something is, a notify(), close() or `deadline`.
  Batch wait_until(std::chrono::steady_clock::time_point deadline);
  // Refuses further pushes, wakes every waiter, and returns the tasks not yet taken.
  std::vector<Task> close();
  bool closed() const;

 private:
  static size_t message_bytes(const net::Event& event);

  const Limits limits_;
  mutable std::mutex mutex_;
  std::condition_variable driver_wake_;  // the driver: something to do
  std::condition_variable room_;         // the pump: room for a message
  std::deque<net::Event> events_;        // guarded by mutex_; at most events_max
  size_t bytes_ = 0;                     // guarded by mutex_: message payloads in events_
  std::deque<Task> tasks_;               // guarded by mutex_
  bool notified_ = false;                // guarded by mutex_
  bool closed_ = false;                  // guarded by mutex_
};

}  // namespace synod::node
