// One TCP connection to a peer: runs the handshake (wire.h) over the socket, then reads and
// writes encrypted frames. Internal to src/net; the node uses Transport (transport.h).
//
// Ownership: held by shared_ptr, by the owner's tables and by each pending asio operation, so it
// lives until it is closed and its last handler has run. The owner (ConnectionOwner) outlives it.
//
// Threading: everything runs on the transport's io thread, except enqueue() and the counters,
// which any thread may call. Fields the owner reads from other threads (identity, direction,
// remote endpoint) are written once, before the connection is registered under the owner's lock.
//
// Reads: one frame at a time. The length prefix is checked against the limit before the body is
// read or any buffer grows, and the body buffer fills chunk by chunk as bytes arrive. When the
// owner cannot take a message (its inbox is full) reading pauses until the owner calls
// resume_reading(). Writes: a bounded FIFO of plaintext frames, sealed and written in batches; a
// write that makes no progress for write_timeout_ms closes the connection.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "net/inbox.h"
#include "net/messages.h"
#include "net/wire.h"

namespace synod::net {

// Why a connection closed; the owner turns some kinds into penalties.
enum class CloseKind : uint8_t {
  kLocal,     // this node decided (stopping, disconnect(), limits, duplicate, ban)
  kReplaced,  // a simultaneous connection to the same node won the tie-break
  kRemote,    // the peer said Goodbye or closed the socket
  kIoError,   // connect failed, reset, or another socket error
  kTimeout,   // handshake, idle or write timeout
  kRejected,  // the handshake found a different network, version or identity
  kGarbage,   // bytes that fail framing or authentication
  kProtocol,  // an authenticated peer broke the protocol (unknown channel, malformed message)
};
std::string_view close_kind_name(CloseKind kind);

// Totals over all connections, for metrics; any thread may read them.
struct TransportCounters {
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint64_t> frames_in{0};
  std::atomic<uint64_t> frames_out{0};
  std::atomic<size_t> read_buffer_bytes_peak{0};  // the largest read buffer ever allocated
};

struct ConnectionSettings {
  const crypto::KeyPair* node_key = nullptr;
  TransportCounters* counters = nullptr;
  Hash256 genesis_hash;
  uint16_t listen_port = 0;
  uint64_t handshake_timeout_ms = 5'000;
  uint64_t ping_interval_ms = 10'000;
  uint64_t idle_timeout_ms = 30'000;
  uint64_t write_timeout_ms = 30'000;
  size_t send_queue_frames_max = 4'096;
  size_t send_queue_bytes_max = 64 * 1024 * 1024;
};

class Connection;

// When the owner is asked to admit a peer.
enum class AdmissionStage : uint8_t {
  // The peer's identity was just verified: the initiator has not revealed its own yet, the
  // responder has not answered. Refusing here costs the other side nothing.
  kIdentified,
  // The initiator received Welcome: the responder already registered the connection. A duplicate
  // is no reason to refuse any more; on_established retires the loser instead.
  kWelcomed,
};

// The owner's side of the contract; every call happens on the io thread.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  // May this peer (identity verified) be admitted? Called by the initiator before it reveals its
  // own identity (kIdentified) and again on Welcome (kWelcomed), and by the responder before it
  // answers Welcome or Goodbye (kIdentified).
  virtual Status check_admission(const Connection& connection, AdmissionStage stage) = 0;
  // The handshake completed on both sides (check_admission just passed); register the peer, or
  // retire() this connection or the one it duplicates.
  virtual void on_established(const std::shared_ptr<Connection>& connection) = 0;
  // A frame on an application or peer exchange channel, or an unknown channel. Returns false when
  // the owner kept the message and wants reading paused until it calls resume_reading().
  virtual bool on_frame(Connection& connection, uint8_t channel, Bytes&& payload) = 0;
  virtual void on_closed(Connection& connection, CloseKind kind, const std::string& reason) = 0;
  virtual uint64_t now_ms() const = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Read-buffer capacity kept between frames; larger buffers are released after use.
  static constexpr size_t kReadBufferRetainBytes = 1024 * 1024;
  // A frame body is read in chunks of at most this many bytes.
  static constexpr size_t kReadChunkBytes = 256 * 1024;
  // Plaintext bytes sealed into one socket write.
  static constexpr size_t kWriteBatchBytes = 256 * 1024;
  // How long a Goodbye may take to flush before the socket closes anyway.
  static constexpr uint64_t kGoodbyeFlushMs = 1'000;

  Connection(asio::ip::tcp::socket socket, Direction direction, ConnectionOwner& owner,
             const ConnectionSettings& settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts the responder's handshake on an accepted socket.
  void start_inbound();
  // Connects to `remote` and starts the initiator's handshake. `expected` is the node key the
  // address was advertised with, checked by the owner in check_admission.
  void start_outbound(const asio::ip::tcp::endpoint& remote, std::optional<NodeId> expected);

  // Closes the socket now and tells the owner once; later calls do nothing.
  void close(CloseKind kind, std::string reason);
  // Sends Goodbye{reason} when the stream is up, then closes (at most kGoodbyeFlushMs later).
  void close_with_goodbye(CloseKind kind, std::string reason);
  // Takes an established connection out of service without losing what is in flight, when a
  // simultaneous connection to the same node replaced it: it accepts no new frames, but keeps
  // reading (messages still arrive) until the peer's Goodbye, the end of the stream, or
  // `deadline_ms`. Exactly one side says Goodbye, so that neither closes while the other still
  // writes: the one whose Goodbye is then its last frame.
  void retire(bool send_goodbye, uint64_t deadline_ms);
  // Timeouts and keepalive; the owner calls it periodically.
  void tick(uint64_t now_ms);
  void resume_reading();

  // Who queues a frame, which decides the checks enqueue() applies.
  enum class Sender : uint8_t {
    kApplication,  // bounded; only once established (and not closing)
    kControl,      // bounded (a pong to a ping flood is dropped), any stage
    kForced,       // Welcome and Goodbye: never refused while open
  };
  // Thread-safe. Queues a frame plaintext (channel || payload). kResourceExhausted when a bounded
  // sender finds the queue over its frame or byte limit; kUnavailable once closed, or for the
  // application before the connection is established.
  Status enqueue(std::shared_ptr<const Bytes> plaintext, Sender sender);
  // Thread-safe. Removes and returns the unsent application frames, for a replacing connection;
  // the transport's own frames stay, since they belong to this stream.
  std::deque<std::shared_ptr<const Bytes>> take_unsent();

  bool closed() const { return closed_; }
  bool established() const { return stage_ == Stage::kEstablished; }
  bool retired() const { return retired_; }
  bool identified() const { return identified_; }
  Direction direction() const { return direction_; }
  const Endpoint& remote() const { return remote_; }
  // Valid once identified().
  const NodeId& node_id() const { return peer_.node_id; }
  uint16_t peer_listen_port() const { return peer_.listen_port; }
  const std::optional<NodeId>& expected_node_id() const { return expected_; }
  uint64_t bytes_in() const { return bytes_in_.load(std::memory_order_relaxed); }
  uint64_t bytes_out() const { return bytes_out_.load(std::memory_order_relaxed); }

  // The owner's bookkeeping for peer exchange (io thread).
  bool peer_exchange_requested = false;  // we asked and wait for the answer
  std::optional<uint64_t> peer_exchange_asked_ms;
  std::optional<uint64_t> peer_exchange_answered_ms;
  // Where the owner dialed (outbound), to find its dial record again.
  std::optional<Endpoint> dialed;

 private:
  enum class Stage : uint8_t { kConnecting, kHandshake, kAwaitWelcome, kEstablished, kClosed };
  using Step = void (Connection::*)();

  void read_exact(size_t size, Step next);
  void read_chunk();
  void write_handshake(Bytes bytes);
  void start_write();
  void on_connected();
  void on_peer_hello();
  void on_peer_auth_header();
  void on_peer_auth();
  void accept_as_responder();
  void read_frame();
  void on_frame_length();
  void on_frame_body();
  void on_welcome_frame(uint8_t channel, ByteView body);
  void on_control(ByteView body);
  void establish();
  void enqueue_control(const ControlMessage& message, Sender sender);
  void post_write();
  void write_next();
  void on_write_done(const std::error_code& error, size_t size);
  void on_read_error(const std::error_code& error);
  void start_closing(CloseKind kind, std::string reason);

  asio::ip::tcp::socket socket_;
  const Direction direction_;
  ConnectionOwner& owner_;
  const ConnectionSettings& settings_;
  std::optional<Handshake> handshake_;
  FrameSealer sealer_;
  FrameOpener opener_;
  Stage stage_ = Stage::kConnecting;
  bool closed_ = false;
  bool identified_ = false;
  bool retired_ = false;
  uint64_t retired_deadline_ms_ = 0;
  AuthPayload peer_;
  Endpoint remote_;
  std::optional<NodeId> expected_;

  // Reading (io thread).
  Bytes read_buffer_;
  size_t read_size_ = 0;  // read_exact's target
  Step read_next_ = nullptr;
  bool paused_ = false;

  // Writing (io thread).
  Bytes write_buffer_;
  Bytes handshake_pending_;  // handshake bytes to write after the write in flight
  bool writing_ = false;
  uint64_t write_progress_ms_ = 0;
  bool closing_after_flush_ = false;
  CloseKind closing_kind_ = CloseKind::kLocal;
  std::string closing_reason_;
  uint64_t closing_deadline_ms_ = 0;

  // Timing (io thread).
  uint64_t started_ms_ = 0;
  uint64_t last_received_ms_ = 0;
  uint64_t last_sent_ms_ = 0;
  uint64_t ping_nonce_ = 0;

  // The send queue, shared with the threads that call enqueue().
  std::mutex send_mutex_;
  std::deque<std::shared_ptr<const Bytes>> send_queue_;  // guarded by send_mutex_
  size_t send_queue_bytes_ = 0;                          // guarded by send_mutex_
  bool send_open_ = false;      // guarded by send_mutex_: application frames accepted
  bool send_closed_ = false;    // guarded by send_mutex_
  bool send_finished_ = false;  // guarded by send_mutex_: a Goodbye was queued, nothing follows
  bool write_posted_ = false;   // guarded by send_mutex_: a write_next() is posted

  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> bytes_out_{0};
};

}  // namespace synod::net
