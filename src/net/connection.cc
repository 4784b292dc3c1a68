#include "net/connection.h"

#include <algorithm>

namespace synod::net {
namespace {

using asio::ip::tcp;

Endpoint endpoint_of(const tcp::endpoint& endpoint) {
  return Endpoint{endpoint.address().to_string(), endpoint.port()};
}

uint64_t since(uint64_t now_ms, uint64_t then_ms) {
  return now_ms > then_ms ? now_ms - then_ms : 0;
}

// A peer's text, safe to log: printable ASCII only.
std::string printable(std::string text) {
  for (char& c : text) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return text;
}

std::string ms_text(uint64_t ms) {
  return std::to_string(ms) + " ms";
}

}  // namespace

std::string_view close_kind_name(CloseKind kind) {
  switch (kind) {
    case CloseKind::kLocal:
      return "local";
    case CloseKind::kReplaced:
      return "replaced";
    case CloseKind::kRemote:
      return "remote";
    case CloseKind::kIoError:
      return "io_error";
    case CloseKind::kTimeout:
      return "timeout";
    case CloseKind::kRejected:
      return "rejected";
    case CloseKind::kGarbage:
      return "garbage";
    case CloseKind::kProtocol:
      return "protocol";
  }
  return "unknown";
}

Connection::Connection(tcp::socket socket, Direction direction, ConnectionOwner& owner,
                       const ConnectionSettings& settings)
    : socket_(std::move(socket)), direction_(direction), owner_(owner), settings_(settings) {
  SYNOD_ASSERT(settings_.node_key != nullptr && settings_.counters != nullptr);
  started_ms_ = owner_.now_ms();
  last_received_ms_ = started_ms_;
  last_sent_ms_ = started_ms_;
}

Connection::~Connection() = default;

// ---- Handshake (wire.h describes the messages) ----

void Connection::start_inbound() {
  std::error_code error;
  tcp::endpoint remote = socket_.remote_endpoint(error);
  if (error) return close(CloseKind::kIoError, "accepted socket: " + error.message());
  remote_ = endpoint_of(remote);
  socket_.set_option(tcp::no_delay(true), error);
  handshake_.emplace(Role::kResponder, *settings_.node_key, settings_.genesis_hash,
                     settings_.listen_port);
  stage_ = Stage::kHandshake;
  read_exact(kHelloBytes, &Connection::on_peer_hello);
}

void Connection::start_outbound(const tcp::endpoint& remote, std::optional<NodeId> expected) {
  remote_ = endpoint_of(remote);
  expected_ = expected;
  socket_.async_connect(remote, [self = shared_from_this()](const std::error_code& error) {
    if (self->closed_) return;
    if (error) {
      return self->close(CloseKind::kIoError,
                         "connect to " + self->remote_.to_string() + ": " + error.message());
    }
    self->on_connected();
  });
}

void Connection::on_connected() {
  std::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  handshake_.emplace(Role::kInitiator, *settings_.node_key, settings_.genesis_hash,
                     settings_.listen_port);
  stage_ = Stage::kHandshake;
  ByteView hello = handshake_->hello();
  write_handshake(Bytes(hello.begin(), hello.end()));  // message 1
  read_exact(kHelloBytes, &Connection::on_peer_hello);
}

void Connection::on_peer_hello() {
  Status status = handshake_->read_peer_hello(read_buffer_);
  if (!status.is_ok()) {
    std::string reason = "handshake: " + status.message();
    if (status.code() != Code::kFailedPrecondition) return close(CloseKind::kGarbage, reason);
    if (direction_ == Direction::kOutbound) return close(CloseKind::kRejected, reason);
    // A different network or version: answer with our hello so the initiator can say why.
    ByteView hello = handshake_->hello();
    start_closing(CloseKind::kRejected, reason);
    write_handshake(Bytes(hello.begin(), hello.end()));
    return;
  }
  if (direction_ == Direction::kInbound) {  // message 2
    ByteView hello = handshake_->hello();
    Bytes out(hello.begin(), hello.end());
    Bytes auth = handshake_->auth_message();
    out.insert(out.end(), auth.begin(), auth.end());
    write_handshake(std::move(out));
  }
  read_exact(kStreamHeaderBytes + kFrameLengthBytes, &Connection::on_peer_auth_header);
}

void Connection::on_peer_auth_header() {
  ByteView data = read_buffer_;
  Status status = handshake_->read_peer_stream_header(data.first(kStreamHeaderBytes));
  if (!status.is_ok()) return close(CloseKind::kGarbage, "handshake: " + status.message());
  auto length =
      check_frame_length(data.subspan(kStreamHeaderBytes), kHandshakeFramePlaintextBytesMax);
  if (!length.is_ok()) {
    return close(CloseKind::kGarbage, "handshake: " + length.status().message());
  }
  read_exact(*length, &Connection::on_peer_auth);
}

void Connection::on_peer_auth() {
  auto auth = handshake_->read_peer_auth(read_buffer_);
  if (!auth.is_ok()) {
    CloseKind kind =
        auth.status().code() == Code::kUnauthenticated ? CloseKind::kRejected : CloseKind::kGarbage;
    return close(kind, "handshake: " + auth.status().message());
  }
  peer_ = *auth;
  identified_ = true;
  Status admission = owner_.check_admission(*this, AdmissionStage::kIdentified);
  if (direction_ == Direction::kOutbound) {
    // Reveal our identity only to a peer we accept (message 3).
    if (!admission.is_ok()) return close(CloseKind::kRejected, admission.message());
    Bytes message = handshake_->auth_message();
    sealer_ = handshake_->sealer();
    opener_ = handshake_->opener();
    handshake_.reset();
    write_handshake(std::move(message));
    stage_ = Stage::kAwaitWelcome;
    read_frame();
    return;
  }
  sealer_ = handshake_->sealer();
  opener_ = handshake_->opener();
  handshake_.reset();
  if (!admission.is_ok()) return close_with_goodbye(CloseKind::kRejected, admission.message());
  enqueue_control(ControlMessage{ControlType::kWelcome, 0, {}}, Sender::kForced);  // message 4
  establish();
  if (!closed_) read_frame();
}

void Connection::on_welcome_frame(uint8_t channel, ByteView body) {
  if (channel != static_cast<uint8_t>(Channel::kControl)) {
    return close(CloseKind::kProtocol,
                 "handshake: expected Welcome, got channel " + std::to_string(channel));
  }
  auto message = decode<ControlMessage>(body);
  if (!message.is_ok())
    return close(CloseKind::kProtocol, "handshake: " + message.status().message());
  if (message->type == ControlType::kGoodbye) {
    return close(CloseKind::kRejected, "handshake: refused by peer: " + printable(message->reason));
  }
  if (message->type != ControlType::kWelcome) {
    return close(CloseKind::kProtocol, "handshake: expected Welcome");
  }
  Status admission = owner_.check_admission(*this, AdmissionStage::kWelcomed);
  if (!admission.is_ok()) return close_with_goodbye(CloseKind::kRejected, admission.message());
  establish();
}

void Connection::establish() {
  stage_ = Stage::kEstablished;
  {
    std::lock_guard lock(send_mutex_);
    send_open_ = true;
  }
  owner_.on_established(shared_from_this());
}

// ---- Reading ----

void Connection::read_exact(size_t size, Step next) {
  SYNOD_ASSERT(!closed_ && size > 0);
  // Reserve address space for the whole read but fill it chunk by chunk: memory the peer makes us
  // touch grows only with the bytes it actually sends.
  read_buffer_.clear();
  read_buffer_.reserve(size);
  auto& peak = settings_.counters->read_buffer_bytes_peak;
  size_t seen_peak = peak.load(std::memory_order_relaxed);
  while (
      read_buffer_.capacity() > seen_peak &&
      !peak.compare_exchange_weak(seen_peak, read_buffer_.capacity(), std::memory_order_relaxed)) {
  }
  read_size_ = size;
  read_next_ = next;
  read_chunk();
}

void Connection::read_chunk() {
  size_t have = read_buffer_.size();
  size_t chunk = std::min(read_size_ - have, kReadChunkBytes);
  read_buffer_.resize(have + chunk);  // within the reserved capacity
  asio::async_read(socket_, asio::buffer(read_buffer_.data() + have, chunk),
                   [self = shared_from_this()](const std::error_code& error, size_t size) {
                     self->bytes_in_.fetch_add(size, std::memory_order_relaxed);
                     self->settings_.counters->bytes_in.fetch_add(size, std::memory_order_relaxed);
                     if (self->closed_) return;
                     if (error) return self->on_read_error(error);
                     self->last_received_ms_ = self->owner_.now_ms();
                     if (self->read_buffer_.size() < self->read_size_) return self->read_chunk();
                     (self.get()->*(self->read_next_))();
                   });
}

void Connection::on_read_error(const std::error_code& error) {
  if (retired_) return close(CloseKind::kReplaced, "retired connection ended");
  if (error == asio::error::eof) return close(CloseKind::kRemote, "peer closed the connection");
  close(CloseKind::kIoError, "read: " + error.message());
}

void Connection::read_frame() {
  if (read_buffer_.capacity() > kReadBufferRetainBytes) Bytes().swap(read_buffer_);
  read_exact(kFrameLengthBytes, &Connection::on_frame_length);
}

void Connection::on_frame_length() {
  // Checked before anything is allocated for the body.
  auto length = check_frame_length(read_buffer_, kFramePlaintextBytesMax);
  if (!length.is_ok()) return close(CloseKind::kGarbage, length.status().message());
  read_exact(*length, &Connection::on_frame_body);
}

void Connection::on_frame_body() {
  Bytes plaintext;
  Status status = opener_.open(read_buffer_, plaintext);
  if (!status.is_ok()) return close(CloseKind::kGarbage, status.message());
  settings_.counters->frames_in.fetch_add(1, std::memory_order_relaxed);
  uint8_t channel = plaintext[0];
  plaintext.erase(plaintext.begin());  // what remains is the payload, handed over without a copy
  if (stage_ == Stage::kAwaitWelcome) {
    on_welcome_frame(channel, plaintext);
  } else if (channel == static_cast<uint8_t>(Channel::kControl)) {
    on_control(plaintext);
  } else if (!owner_.on_frame(*this, channel, std::move(plaintext))) {
    if (!closed_) paused_ = true;
    return;
  }
  if (!closed_ && !closing_after_flush_) read_frame();
}

void Connection::on_control(ByteView body) {
  auto message = decode<ControlMessage>(body);
  if (!message.is_ok())
    return close(CloseKind::kProtocol, "control: " + message.status().message());
  switch (message->type) {
    case ControlType::kPing:
      enqueue_control(ControlMessage{ControlType::kPong, message->nonce, {}}, Sender::kControl);
      return;
    case ControlType::kPong:
      return;  // receiving it was the point
    case ControlType::kGoodbye:
      if (retired_) return close(CloseKind::kReplaced, "retired connection ended");
      return close(CloseKind::kRemote, "peer said goodbye: " + printable(message->reason));
    case ControlType::kWelcome:
      return close(CloseKind::kProtocol, "control: unexpected Welcome");
  }
}

void Connection::resume_reading() {
  if (closed_ || !paused_) return;
  paused_ = false;
  last_received_ms_ = owner_.now_ms();
  read_frame();
}

// ---- Writing ----

Status Connection::enqueue(std::shared_ptr<const Bytes> plaintext, Sender sender) {
  SYNOD_ASSERT(plaintext && !plaintext->empty() && plaintext->size() <= kFramePlaintextBytesMax);
  {
    std::lock_guard lock(send_mutex_);
    if (send_closed_ || send_finished_) return error(Code::kUnavailable, "connection closed");
    if (sender == Sender::kApplication && !send_open_) {
      return error(Code::kUnavailable, "connection not open");
    }
    bool full = send_queue_.size() >= settings_.send_queue_frames_max ||
                send_queue_bytes_ + plaintext->size() > settings_.send_queue_bytes_max;
    if (sender != Sender::kForced && full) {
      return error(Code::kResourceExhausted, "send queue full (" +
                                                 std::to_string(send_queue_.size()) + " frames, " +
                                                 std::to_string(send_queue_bytes_) + " bytes)");
    }
    send_queue_bytes_ += plaintext->size();
    send_queue_.push_back(std::move(plaintext));
  }
  post_write();
  return Status::ok();
}

std::deque<std::shared_ptr<const Bytes>> Connection::take_unsent() {
  std::lock_guard lock(send_mutex_);
  std::deque<std::shared_ptr<const Bytes>> taken;
  std::deque<std::shared_ptr<const Bytes>> kept;  // this stream's own frames (Welcome, pings)
  for (auto& plaintext : send_queue_) {
    bool application = is_application_channel((*plaintext)[0]);
    (application ? taken : kept).push_back(std::move(plaintext));
  }
  send_queue_.swap(kept);
  send_queue_bytes_ = 0;
  for (const auto& plaintext : send_queue_)
    send_queue_bytes_ += plaintext->size();
  return taken;
}

void Connection::enqueue_control(const ControlMessage& message, Sender sender) {
  auto plaintext = std::make_shared<const Bytes>(frame_plaintext(Channel::kControl, message));
  (void)enqueue(std::move(plaintext), sender);  // a refused keepalive frame is simply dropped
}

void Connection::post_write() {
  {
    std::lock_guard lock(send_mutex_);
    if (write_posted_) return;
    write_posted_ = true;
  }
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    {
      std::lock_guard lock(self->send_mutex_);
      self->write_posted_ = false;
    }
    self->write_next();
  });
}

void Connection::write_handshake(Bytes bytes) {
  SYNOD_ASSERT(!closed_);
  if (writing_) {  // after the write in flight, before any frame
    handshake_pending_.insert(handshake_pending_.end(), bytes.begin(), bytes.end());
    return;
  }
  write_buffer_ = std::move(bytes);
  start_write();
}

void Connection::start_write() {
  writing_ = true;
  write_progress_ms_ = owner_.now_ms();
  // Every partial write counts as progress for the write timeout (asio skips the condition after
  // the final chunk, which ends the write anyway).
  auto progress = [self = shared_from_this(), seen = size_t{0}](const std::error_code& error,
                                                                size_t transferred) mutable {
    if (transferred > seen) {
      seen = transferred;
      self->write_progress_ms_ = self->owner_.now_ms();
    }
    return asio::transfer_all()(error, transferred);
  };
  asio::async_write(socket_, asio::buffer(write_buffer_), std::move(progress),
                    [self = shared_from_this()](const std::error_code& error, size_t size) {
                      self->on_write_done(error, size);
                    });
}

void Connection::write_next() {
  if (closed_ || writing_) return;
  std::vector<std::shared_ptr<const Bytes>> batch;
  if (sealer_.ready()) {
    std::lock_guard lock(send_mutex_);
    size_t batch_bytes = 0;
    while (!send_queue_.empty() && batch_bytes < kWriteBatchBytes) {
      batch_bytes += send_queue_.front()->size();
      send_queue_bytes_ -= send_queue_.front()->size();
      batch.push_back(std::move(send_queue_.front()));
      send_queue_.pop_front();
    }
  }
  if (batch.empty()) {
    if (closing_after_flush_) close(closing_kind_, closing_reason_);
    return;
  }
  if (write_buffer_.capacity() > kReadBufferRetainBytes) Bytes().swap(write_buffer_);
  write_buffer_.clear();
  for (const auto& plaintext : batch)
    sealer_.seal(*plaintext, write_buffer_);
  settings_.counters->frames_out.fetch_add(batch.size(), std::memory_order_relaxed);
  start_write();
}

void Connection::on_write_done(const std::error_code& error, size_t size) {
  bytes_out_.fetch_add(size, std::memory_order_relaxed);
  settings_.counters->bytes_out.fetch_add(size, std::memory_order_relaxed);
  if (closed_) return;
  writing_ = false;
  if (error) return close(CloseKind::kIoError, "write: " + error.message());
  last_sent_ms_ = owner_.now_ms();
  if (!handshake_pending_.empty()) {
    write_buffer_ = std::move(handshake_pending_);
    handshake_pending_.clear();
    return start_write();
  }
  write_next();
}

// ---- Closing and timers ----

void Connection::start_closing(CloseKind kind, std::string reason) {
  closing_after_flush_ = true;
  closing_kind_ = kind;
  closing_reason_ = std::move(reason);
  closing_deadline_ms_ = owner_.now_ms() + kGoodbyeFlushMs;
}

void Connection::close_with_goodbye(CloseKind kind, std::string reason) {
  if (closed_ || closing_after_flush_) return;
  if (!sealer_.ready()) return close(kind, std::move(reason));
  {
    std::lock_guard lock(send_mutex_);
    send_open_ = false;
    send_queue_.clear();
    send_queue_bytes_ = 0;
  }
  ControlMessage goodbye{ControlType::kGoodbye, 0, reason.substr(0, kReasonBytesMax)};
  start_closing(kind, std::move(reason));
  enqueue_control(goodbye, Sender::kForced);
  std::lock_guard lock(send_mutex_);
  send_finished_ = true;
}

void Connection::retire(bool send_goodbye, uint64_t deadline_ms) {
  SYNOD_ASSERT(stage_ == Stage::kEstablished && !retired_);
  retired_ = true;
  retired_deadline_ms_ = deadline_ms;
  {
    std::lock_guard lock(send_mutex_);
    send_open_ = false;
  }
  if (!send_goodbye) return;
  enqueue_control(ControlMessage{ControlType::kGoodbye, 0, "replaced by a simultaneous connection"},
                  Sender::kForced);
  std::lock_guard lock(send_mutex_);
  send_finished_ = true;
}

void Connection::close(CloseKind kind, std::string reason) {
  if (closed_) return;
  closed_ = true;
  stage_ = Stage::kClosed;
  {
    std::lock_guard lock(send_mutex_);
    send_closed_ = true;
    send_open_ = false;
    send_queue_.clear();
    send_queue_bytes_ = 0;
  }
  std::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  handshake_.reset();
  owner_.on_closed(*this, kind, reason);
}

void Connection::tick(uint64_t now_ms) {
  if (closed_) return;
  if (closing_after_flush_) {
    if (now_ms >= closing_deadline_ms_) close(closing_kind_, closing_reason_);
    return;
  }
  if (stage_ != Stage::kEstablished) {
    if (since(now_ms, started_ms_) >= settings_.handshake_timeout_ms) {
      close(CloseKind::kTimeout,
            "handshake timed out after " + ms_text(since(now_ms, started_ms_)));
    }
    return;
  }
  if (retired_) {
    if (now_ms >= retired_deadline_ms_) close(CloseKind::kReplaced, "retired connection expired");
    return;
  }
  if (writing_ && since(now_ms, write_progress_ms_) >= settings_.write_timeout_ms) {
    return close(CloseKind::kTimeout,
                 "write stalled for " + ms_text(since(now_ms, write_progress_ms_)));
  }
  if (!paused_ && since(now_ms, last_received_ms_) >= settings_.idle_timeout_ms) {
    return close(CloseKind::kTimeout, "idle for " + ms_text(since(now_ms, last_received_ms_)));
  }
  if (since(now_ms, last_sent_ms_) >= settings_.ping_interval_ms) {
    last_sent_ms_ = now_ms;
    enqueue_control(ControlMessage{ControlType::kPing, ++ping_nonce_, {}}, Sender::kControl);
  }
}

}  // namespace synod::net
