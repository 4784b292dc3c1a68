#include "net/inbox.h"

#include <chrono>

namespace synod::net {

Inbox::Inbox(Limits limits, std::function<void()> on_space)
    : limits_(limits), on_space_(std::move(on_space)) {
  SYNOD_ASSERT(limits_.messages_max > 0 && limits_.peer_events_max > 0);
}

bool Inbox::try_push(Message& message) {
  {
    std::lock_guard lock(mutex_);
    bool full =
        messages_ >= limits_.messages_max ||
        (messages_ > 0 && message_bytes_ + message.payload.size() > limits_.message_bytes_max);
    if (full) {
      space_wanted_ = true;
      return false;
    }
    messages_ += 1;
    message_bytes_ += message.payload.size();
    events_.emplace_back(std::move(message));
  }
  not_empty_.notify_one();
  return true;
}

bool Inbox::push_peer_event(Event event) {
  SYNOD_ASSERT(!std::holds_alternative<Message>(event));
  {
    std::lock_guard lock(mutex_);
    if (peer_events_ >= limits_.peer_events_max) return false;
    peer_events_ += 1;
    events_.push_back(std::move(event));
  }
  not_empty_.notify_one();
  return true;
}

std::optional<Event> Inbox::pop_locked(std::unique_lock<std::mutex>& lock) {
  if (events_.empty()) return std::nullopt;
  Event event = std::move(events_.front());
  events_.pop_front();
  if (const Message* message = std::get_if<Message>(&event)) {
    messages_ -= 1;
    message_bytes_ -= message->payload.size();
  } else {
    peer_events_ -= 1;
  }
  bool notify = space_wanted_ && messages_ <= limits_.messages_max / 2 &&
                message_bytes_ <= limits_.message_bytes_max / 2;
  if (notify) space_wanted_ = false;
  lock.unlock();
  if (notify && on_space_) on_space_();
  return event;
}

std::optional<Event> Inbox::poll() {
  std::unique_lock lock(mutex_);
  return pop_locked(lock);
}

std::optional<Event> Inbox::wait(uint64_t timeout_ms) {
  std::unique_lock lock(mutex_);
  not_empty_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return !events_.empty(); });
  return pop_locked(lock);
}

size_t Inbox::size() const {
  std::lock_guard lock(mutex_);
  return events_.size();
}

}  // namespace synod::net
