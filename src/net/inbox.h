// What the transport hands to the node, and the bounded queue it hands it through.
//
// Events of one peer arrive in order: PeerConnected, then its messages, then PeerDisconnected.
// The Inbox is thread-safe: the transport's io thread pushes, any number of node threads pop.
// Messages are bounded by count and bytes; when the inbox is full the transport stops reading
// from the peer that has the next message (TCP backpressure) instead of dropping it, and resumes
// once the node has drained the inbox below half. Peer events are not subject to those bounds
// (they carry no payload and each connection makes at most two) but have a hard cap of their own;
// past it they are dropped and counted (the node can always ask Transport::peers()).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "net/messages.h"

namespace synod::net {

enum class Direction : uint8_t { kInbound, kOutbound };

struct Message {
  NodeId from;
  Channel channel = Channel::kConsensus;  // always an application channel
  Bytes payload;
};

struct PeerConnected {
  NodeId node_id;
  Endpoint remote;  // the address of the socket's other end
  Direction direction = Direction::kOutbound;
};

struct PeerDisconnected {
  NodeId node_id;
  std::string reason;
};

using Event = std::variant<Message, PeerConnected, PeerDisconnected>;

class Inbox {
 public:
  struct Limits {
    size_t messages_max = 4096;
    size_t message_bytes_max = 256 * 1024 * 1024;
    size_t peer_events_max = 4096;
  };

  // `on_space` is called (on the popping thread, without the lock held) when a push had been
  // refused and the inbox has since drained below half of its bounds.
  Inbox(Limits limits, std::function<void()> on_space);

  // False when the message does not fit; then on_space will follow once there is room. A message
  // always fits into an empty inbox, whatever its size.
  bool try_push(Message& message);
  // False (and the event dropped) only past peer_events_max.
  bool push_peer_event(Event event);

  std::optional<Event> poll();
  // Waits up to timeout_ms for an event.
  std::optional<Event> wait(uint64_t timeout_ms);
  size_t size() const;

 private:
  std::optional<Event> pop_locked(std::unique_lock<std::mutex>& lock);

  const Limits limits_;
  const std::function<void()> on_space_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_;
  std::deque<Event> events_;   // guarded by mutex_
  size_t messages_ = 0;        // guarded by mutex_; <= messages_max
  size_t message_bytes_ = 0;   // guarded by mutex_
  size_t peer_events_ = 0;     // guarded by mutex_; <= peer_events_max
  bool space_wanted_ = false;  // guarded by mutex_: a push was refused since the last on_space
};

}  // namespace synod::net
