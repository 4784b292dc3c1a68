// Transport: the node's p2p endpoint. It listens and dials over TCP, authenticates every peer by
// its Ed25519 node key and encrypts every byte after the handshake (wire.h), and manages the set
// of peers: limits, persistent peers with reconnect, peer exchange, scores and bans. The protocols
// on top (consensus, transaction gossip, block sync) send and receive opaque payloads on their
// channels (messages.h).
//
// Usage:
//   Transport transport(node_key, config);
//   SYNOD_TRY(transport.start("127.0.0.1", 7000));   // port 0: the OS picks one
//   transport.add_persistent_peer({"127.0.0.1", 7001});
//   while (running) {
//     if (auto event = transport.wait(100)) { ... Message / PeerConnected / PeerDisconnected ... }
//     (void)transport.send(peer, Channel::kConsensus, payload);
//   }
//   transport.stop();                                   // or let the destructor do it
//
// Threading: one io thread, owned by the Transport, runs every socket, timer and handshake; the
// peer state lives there. Every public method is thread-safe and never blocks on the network:
// send/broadcast queue frames, connect/add_persistent_peer/penalize/disconnect post work to the
// io thread. Received messages and peer events wait in a bounded inbox (inbox.h) that any thread
// drains with poll()/wait(); nothing runs on the caller's behalf on the io thread except
// config.on_log.
//
// Bounds and policies (all in TransportConfig):
// - peers_inbound_max: inbound peers past it are refused after the handshake with a Goodbye;
//   handshakes_pending_max bounds connections that have not finished the handshake (closed at
//   accept beyond it). peers_outbound_max bounds the outbound connections the transport opens by
//   itself from peer exchange; persistent peers and connect() are the operator's explicit choice
//   and are always dialed.
// - At most one connection per node key. When two nodes dial each other at once, both keep the
//   connection dialed by the smaller node key (a rule both sides compute alike); a second
//   connection in the same direction is refused.
// - Per-peer send queue of send_queue_frames_max frames / send_queue_bytes_max bytes: when full,
//   send() drops the frame and returns kResourceExhausted (broadcast skips that peer); a peer
//   whose socket accepts no bytes for write_timeout_ms is disconnected.
// - Keepalive: a Ping after ping_interval_ms without sending; a peer silent for idle_timeout_ms
//   is disconnected; a handshake not finished in handshake_timeout_ms is dropped.
// - Scores: penalize() adds points (decaying over time); at the threshold the peer is
//   disconnected and banned for ban_duration_ms. Bytes that fail framing or decryption close the
//   connection at once (and cost an identified peer kGarbagePenaltyPoints); an authenticated peer
//   that breaks the protocol (unknown channel, malformed control or peer exchange message) is
//   banned. No input from the network can crash the node: every decode is checked.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/inbox.h"
#include "net/peer_book.h"

namespace synod::net {

struct TransportConfig {
  Hash256 genesis_hash;  // the network; peers with another genesis are refused

  size_t peers_inbound_max = 32;
  size_t peers_outbound_max = 16;
  size_t handshakes_pending_max = 64;
  std::vector<Endpoint> persistent_peers;  // dialed at start and redialed whenever down

  uint64_t handshake_timeout_ms = 5'000;
  uint64_t ping_interval_ms = 10'000;
  uint64_t idle_timeout_ms = 30'000;
  uint64_t write_timeout_ms = 30'000;
  uint64_t tick_interval_ms = 100;  // how often timers, dials and peer exchange are checked
  uint64_t reconnect_delay_ms_min = 500;
  uint64_t reconnect_delay_ms_max = 60'000;

  size_t send_queue_frames_max = 4'096;
  size_t send_queue_bytes_max = 64 * 1024 * 1024;
  Inbox::Limits inbox;
  PeerScores::Config scores;

  bool peer_exchange = true;
  uint64_t peer_exchange_interval_ms = 30'000;  // ask a peer while outbound slots are free
  size_t address_book_entries_max = 1'024;

  // Called with one line per notable event (handshake failures, disconnects, bans) on the io
  // thread, or on a caller's thread from penalize(). Must be thread-safe and quick. May be empty.
  std::function<void(std::string_view)> on_log;
};

struct PeerInfo {
  NodeId node_id;
  Endpoint remote;
  uint16_t listen_port = 0;  // as the peer announced it; 0 when it does not listen
  Direction direction = Direction::kOutbound;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint32_t score_points = 0;
};

struct TransportStats {
  uint64_t bytes_in = 0;  // every byte read or written, handshakes included
  uint64_t bytes_out = 0;
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t handshakes_completed = 0;
  uint64_t handshakes_failed = 0;
  uint64_t garbage_disconnects = 0;  // framing or decryption failures
  uint64_t frames_dropped = 0;       // send() or broadcast() found a full send queue
  uint64_t bans = 0;
  uint64_t peer_events_dropped = 0;  // the inbox's peer event cap was reached
  size_t peers_inbound = 0;
  size_t peers_outbound = 0;
  size_t read_buffer_bytes_peak = 0;  // the largest read buffer any connection allocated
};

class Transport {
 public:
  // Penalty for a frame that fails framing or decryption from an identified peer. Not a ban on its
  // own: an attacker on the path could corrupt an honest peer's stream.
  static constexpr uint32_t kGarbagePenaltyPoints = 20;
  // Penalty for an unasked-for or too frequent peer exchange message.
  static constexpr uint32_t kPeerExchangeAbusePenaltyPoints = 10;

  Transport(crypto::KeyPair node_key, TransportConfig config);
  // Stops if running.
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Listens on listen_host:listen_port (an IP literal; port 0 lets the OS choose; an empty host
  // means no listening), dials the persistent peers and starts the io thread. Once per Transport.
  Status start(const std::string& listen_host, uint16_t listen_port);
  // Closes every connection (each gets a PeerDisconnected) and joins the io thread. Idempotent.
  void stop();

  const NodeId& node_id() const;
  // The port actually bound (after start), 0 when not listening.
  uint16_t listen_port() const;

  // Dials once. kInvalidArgument for a bad endpoint, kFailedPrecondition when not running.
  Status connect(const Endpoint& endpoint);
  // Dials now and whenever the connection is down, with exponential backoff between failures.
  Status add_persistent_peer(const Endpoint& endpoint);

  // Queues `payload` for the peer on an application channel. kNotFound when not connected,
  // kInvalidArgument for another channel or a payload over kPayloadBytesMax,
  // kResourceExhausted when the peer's send queue is full (the frame is dropped).
  Status send(const NodeId& node_id, Channel channel, ByteView payload);
  // Queues `payload` for every connected peer but `except` (the peer a relayed message came
  // from, which has it); returns how many accepted it.
  size_t broadcast(Channel channel, ByteView payload,
                   const std::optional<NodeId>& except = std::nullopt);

  // Adds misbehaviour points; past the threshold the peer is disconnected and banned.
  void penalize(const NodeId& node_id, std::string_view reason, uint32_t points);
  void disconnect(const NodeId& node_id, std::string_view reason);
  bool is_banned(const NodeId& node_id) const;

  // The next event, if any (non-blocking), or waiting up to timeout_ms.
  std::optional<Event> poll();
  std::optional<Event> wait(uint64_t timeout_ms);

  std::vector<PeerInfo> peers() const;
  TransportStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace synod::net
