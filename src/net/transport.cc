#include "net/transport.h"

#include <asio.hpp>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "crypto/hash.h"
#include "net/connection.h"

namespace synod::net {
namespace {

using asio::ip::tcp;

std::string short_id(const NodeId& node_id) {
  return node_id.hex().substr(0, 8);
}

std::string_view direction_name(Direction direction) {
  return direction == Direction::kInbound ? "inbound" : "outbound";
}

std::shared_ptr<const Bytes> application_plaintext(Channel channel, ByteView payload) {
  Bytes plaintext;
  plaintext.reserve(1 + payload.size());
  plaintext.push_back(static_cast<uint8_t>(channel));
  plaintext.insert(plaintext.end(), payload.begin(), payload.end());
  return std::make_shared<const Bytes>(std::move(plaintext));
}

template <typename Message>
std::shared_ptr<const Bytes> transport_plaintext(Channel channel, const Message& message) {
  return std::make_shared<const Bytes>(frame_plaintext(channel, message));
}

Status check_application_frame(Channel channel, ByteView payload) {
  if (!is_application_channel(static_cast<uint8_t>(channel))) {
    return error(Code::kInvalidArgument, "channel " + std::string(channel_name(channel)) +
                                             " is not an application channel");
  }
  if (payload.size() > kPayloadBytesMax) {
    return error(Code::kInvalidArgument, "payload of " + std::to_string(payload.size()) +
                                             " bytes over the limit " +
                                             std::to_string(kPayloadBytesMax));
  }
  return Status::ok();
}

// A persistent peer's dial record.
struct DialTarget {
  std::optional<NodeId> node_id;  // learned from the last handshake
  uint32_t failures = 0;          // in a row, since the last established connection
  uint64_t retry_at_ms = 0;
};

}  // namespace

class Transport::Impl final : public ConnectionOwner {
 public:
  Impl(crypto::KeyPair node_key, TransportConfig config);
  ~Impl() override { stop(); }

  Status start(const std::string& listen_host, uint16_t listen_port);
  void stop();
  const NodeId& node_id() const { return node_key_.public_key(); }
  uint16_t listen_port() const { return listen_port_.load(); }
  Status connect(const Endpoint& endpoint);
  Status add_persistent_peer(const Endpoint& endpoint);
  Status send(const NodeId& node_id, Channel channel, ByteView payload);
  size_t broadcast(Channel channel, ByteView payload, const std::optional<NodeId>& except);
  void penalize(const NodeId& node_id, std::string_view reason, uint32_t points);
  void disconnect(const NodeId& node_id, std::string_view reason);
  bool is_banned(const NodeId& node_id) const;
  Inbox& inbox() { return inbox_; }
  std::vector<PeerInfo> peers() const;
  TransportStats stats() const;

  // ConnectionOwner (io thread).
  Status check_admission(const Connection& connection, AdmissionStage stage) override;
  void on_established(const std::shared_ptr<Connection>& connection) override;
  bool on_frame(Connection& connection, uint8_t channel, Bytes&& payload) override;
  void on_closed(Connection& connection, CloseKind kind, const std::string& reason) override;
  uint64_t now_ms() const override;

 private:
  // All private functions run on the io thread.
  Status listen(const std::string& listen_host, uint16_t listen_port);
  void accept_next();
  void on_accept(tcp::socket socket);
  bool dial(const Endpoint& endpoint, std::optional<NodeId> expected);
  void shutdown();
  void schedule_tick();
  void tick();
  void dial_persistent(uint64_t now);
  void dial_discovered(uint64_t now);
  void request_addresses_if_needed(uint64_t now);
  void request_addresses(Connection& connection, uint64_t now);
  void on_peer_exchange(Connection& connection, ByteView body);
  void answer_peer_exchange(Connection& connection);
  void on_outbound_closed(Connection& connection, bool was_established);
  void resume_paused();
  void close_peer(const NodeId& node_id, const std::string& reason);
  bool prefer(const Connection& candidate, const Connection& existing) const;
  std::optional<Endpoint> advertised_endpoint(const Connection& connection) const;
  bool connected(const NodeId& node_id) const;
  uint64_t reconnect_delay_ms(uint32_t failures);
  void log(const std::string& line) const;

  asio::io_context io_;  // first member: destroyed last, after everything holding its sockets
  const crypto::KeyPair node_key_;
  const TransportConfig config_;
  TransportCounters counters_;
  ConnectionSettings settings_;
  Inbox inbox_;
  tcp::acceptor acceptor_;
  asio::steady_timer tick_timer_;
  asio::steady_timer accept_retry_timer_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;

  std::mutex lifecycle_mutex_;
  bool started_ = false;  // guarded by lifecycle_mutex_
  std::atomic<bool> running_{false};
  std::atomic<uint16_t> listen_port_{0};

  mutable std::mutex mutex_;
  std::map<NodeId, std::shared_ptr<Connection>> peers_;  // guarded by mutex_: established peers
  PeerScores scores_;                                    // guarded by mutex_

  // io thread only.
  bool stopping_ = false;
  std::set<std::shared_ptr<Connection>> connections_;  // every open connection
  std::set<Endpoint> outbound_endpoints_;              // endpoints with an open outbound connection
  std::map<Endpoint, DialTarget> persistent_;
  AddressBook book_;
  std::deque<std::pair<std::weak_ptr<Connection>, Message>> paused_;  // waiting for inbox space
  std::mt19937_64 random_;
  uint64_t next_peer_exchange_ms_ = 0;

  std::atomic<uint64_t> handshakes_completed_{0};
  std::atomic<uint64_t> handshakes_failed_{0};
  std::atomic<uint64_t> garbage_disconnects_{0};
  std::atomic<uint64_t> frames_dropped_{0};
  std::atomic<uint64_t> bans_{0};
  std::atomic<uint64_t> peer_events_dropped_{0};
  std::atomic<size_t> peers_inbound_{0};
  std::atomic<size_t> peers_outbound_{0};
};

Transport::Impl::Impl(crypto::KeyPair node_key, TransportConfig config)
    : node_key_(std::move(node_key)),
      config_(std::move(config)),
      inbox_(config_.inbox, [this] { asio::post(io_, [this] { resume_paused(); }); }),
      acceptor_(io_),
      tick_timer_(io_),
      accept_retry_timer_(io_),
      scores_(config_.scores),
      book_(node_key_.public_key(), config_.address_book_entries_max) {
  SYNOD_ASSERT(config_.tick_interval_ms > 0);
  SYNOD_ASSERT(config_.reconnect_delay_ms_min > 0 &&
               config_.reconnect_delay_ms_min <= config_.reconnect_delay_ms_max);
  settings_.node_key = &node_key_;
  settings_.counters = &counters_;
  settings_.genesis_hash = config_.genesis_hash;
  settings_.handshake_timeout_ms = config_.handshake_timeout_ms;
  settings_.ping_interval_ms = config_.ping_interval_ms;
  settings_.idle_timeout_ms = config_.idle_timeout_ms;
  settings_.write_timeout_ms = config_.write_timeout_ms;
  settings_.send_queue_frames_max = config_.send_queue_frames_max;
  settings_.send_queue_bytes_max = config_.send_queue_bytes_max;
  uint64_t seed = 0;
  crypto::random_bytes(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&seed), sizeof(seed)));
  random_.seed(seed);
}

uint64_t Transport::Impl::now_ms() const {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

void Transport::Impl::log(const std::string& line) const {
  if (config_.on_log) config_.on_log(line);
}

// ---- Lifecycle ----

Status Transport::Impl::start(const std::string& listen_host, uint16_t listen_port) {
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (started_) return error(Code::kFailedPrecondition, "transport already started");
  for (const Endpoint& endpoint : config_.persistent_peers) {
    SYNOD_TRY(check_endpoint(endpoint).with_context("persistent peer"));
  }
  if (!listen_host.empty()) SYNOD_TRY(listen(listen_host, listen_port));
  settings_.listen_port = listen_port_.load();
  for (const Endpoint& endpoint : config_.persistent_peers)
    persistent_.try_emplace(endpoint);
  started_ = true;
  running_ = true;
  work_.emplace(io_.get_executor());
  asio::post(io_, [this] {
    if (acceptor_.is_open()) accept_next();
    tick();
  });
  thread_ = std::thread([this] { io_.run(); });
  return Status::ok();
}

Status Transport::Impl::listen(const std::string& listen_host, uint16_t listen_port) {
  std::error_code error;
  asio::ip::address address = asio::ip::make_address(listen_host, error);
  if (error) {
    return synod::error(Code::kInvalidArgument,
                        "listen host '" + listen_host + "' is not an IP address literal");
  }
  tcp::endpoint endpoint(address, listen_port);
  std::string where = "listen on " + Endpoint{listen_host, listen_port}.to_string() + ": ";
  acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (!error) listen_port_ = acceptor_.local_endpoint(error).port();
  if (error) {
    std::error_code ignored;
    acceptor_.close(ignored);
    return synod::error(Code::kIoError, where + error.message());
  }
  return Status::ok();
}

void Transport::Impl::stop() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (!running_) return;
  asio::post(io_, [this] { shutdown(); });
  thread_.join();
  running_ = false;
  // The io thread is gone: drop what it owned. Handlers still queued hold their connections until
  // the io_context is destroyed.
  paused_.clear();
  connections_.clear();
  std::lock_guard lock(mutex_);
  peers_.clear();
}

void Transport::Impl::shutdown() {
  stopping_ = true;
  std::error_code ignored;
  acceptor_.close(ignored);
  tick_timer_.cancel();
  accept_retry_timer_.cancel();
  std::vector<std::shared_ptr<Connection>> all(connections_.begin(), connections_.end());
  for (const auto& connection : all)
    connection->close(CloseKind::kLocal, "transport stopping");
  work_.reset();
  io_.stop();
}

// ---- Accepting and dialing ----

void Transport::Impl::accept_next() {
  acceptor_.async_accept([this](const std::error_code& error, tcp::socket socket) {
    if (stopping_ || error == asio::error::operation_aborted) return;
    if (error) {
      // Out of descriptors or similar: try again shortly rather than spin.
      log("accept: " + error.message());
      accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
      accept_retry_timer_.async_wait([this](const std::error_code& wait_error) {
        if (!wait_error && !stopping_) accept_next();
      });
      return;
    }
    on_accept(std::move(socket));
    accept_next();
  });
}

void Transport::Impl::on_accept(tcp::socket socket) {
  size_t established = peers_inbound_.load() + peers_outbound_.load();
  size_t pending = connections_.size() > established ? connections_.size() - established : 0;
  if (pending >= config_.handshakes_pending_max) {
    std::error_code ignored;
    socket.close(ignored);
    log("refused a connection: " + std::to_string(pending) + " handshakes pending");
    return;
  }
  auto connection =
      std::make_shared<Connection>(std::move(socket), Direction::kInbound, *this, settings_);
  connections_.insert(connection);
  connection->start_inbound();
}

bool Transport::Impl::dial(const Endpoint& endpoint, std::optional<NodeId> expected) {
  if (stopping_ || outbound_endpoints_.contains(endpoint)) return false;
  std::error_code error;
  asio::ip::address address = asio::ip::make_address(endpoint.host, error);
  if (error) {
    log("dial " + endpoint.to_string() + ": not an IP address literal");
    return false;
  }
  auto connection =
      std::make_shared<Connection>(tcp::socket(io_), Direction::kOutbound, *this, settings_);
  connection->dialed = endpoint;
  connections_.insert(connection);
  outbound_endpoints_.insert(endpoint);
  connection->start_outbound(tcp::endpoint(address, endpoint.port), expected);
  return true;
}

uint64_t Transport::Impl::reconnect_delay_ms(uint32_t failures) {
  return backoff_delay_ms(failures, config_.reconnect_delay_ms_min, config_.reconnect_delay_ms_max,
                          random_);
}

bool Transport::Impl::connected(const NodeId& node_id) const {
  std::lock_guard lock(mutex_);
  return peers_.contains(node_id);
}

void Transport::Impl::dial_persistent(uint64_t now) {
  for (const auto& [endpoint, target] : persistent_) {
    if (target.retry_at_ms > now || outbound_endpoints_.contains(endpoint)) continue;
    if (target.node_id && (connected(*target.node_id) || is_banned(*target.node_id))) continue;
    dial(endpoint, std::nullopt);
  }
}

void Transport::Impl::dial_discovered(uint64_t now) {
  if (!config_.peer_exchange || outbound_endpoints_.size() >= config_.peers_outbound_max) return;
  size_t budget = config_.peers_outbound_max - outbound_endpoints_.size();
  std::vector<PeerAddress> candidates;
  {
    std::lock_guard lock(mutex_);
    candidates = book_.dial_candidates(now, budget, [&](const NodeId& node_id) {
      return peers_.contains(node_id) || scores_.is_banned(node_id, now);
    });
  }
  for (const PeerAddress& candidate : candidates)
    dial(candidate.endpoint, candidate.node_id);
}

// ---- Timers ----

void Transport::Impl::schedule_tick() {
  tick_timer_.expires_after(std::chrono::milliseconds(config_.tick_interval_ms));
  tick_timer_.async_wait([this](const std::error_code& error) {
    if (!error && !stopping_) tick();
  });
}

void Transport::Impl::tick() {
  uint64_t now = now_ms();
  std::vector<std::shared_ptr<Connection>> all(connections_.begin(), connections_.end());
  for (const auto& connection : all)
    connection->tick(now);
  {
    std::lock_guard lock(mutex_);
    scores_.expire(now);
  }
  dial_persistent(now);
  dial_discovered(now);
  request_addresses_if_needed(now);
  schedule_tick();
}

// ---- ConnectionOwner ----

bool Transport::Impl::prefer(const Connection& candidate, const Connection& existing) const {
  if (candidate.direction() == existing.direction()) return false;
  const NodeId& self = node_key_.public_key();
  const NodeId& peer = candidate.node_id();
  const NodeId& candidate_dialer = candidate.direction() == Direction::kOutbound ? self : peer;
  return candidate_dialer == std::min(self, peer);
}

Status Transport::Impl::check_admission(const Connection& connection, AdmissionStage stage) {
  const NodeId& peer = connection.node_id();
  if (peer == node_key_.public_key()) return error(Code::kFailedPrecondition, "connection to self");
  if (connection.expected_node_id() && *connection.expected_node_id() != peer) {
    return error(Code::kUnauthenticated, "expected node " +
                                             short_id(*connection.expected_node_id()) +
                                             ", the peer proved " + short_id(peer));
  }
  std::lock_guard lock(mutex_);
  if (scores_.is_banned(peer, now_ms())) {
    return error(Code::kFailedPrecondition, "node " + short_id(peer) + " is banned");
  }
  auto existing = peers_.find(peer);
  bool duplicate = existing != peers_.end() && existing->second.get() != &connection;
  if (duplicate) {
    bool same_direction = existing->second->direction() == connection.direction();
    bool loses = !prefer(connection, *existing->second);
    // After Welcome the peer has registered this connection: a loser is retired, not refused.
    if (same_direction || (loses && stage == AdmissionStage::kIdentified)) {
      return error(Code::kAlreadyExists, "already connected to node " + short_id(peer));
    }
  }
  if (connection.direction() == Direction::kInbound && !duplicate &&
      peers_inbound_.load() >= config_.peers_inbound_max) {
    return error(Code::kResourceExhausted, "too many inbound peers");
  }
  return Status::ok();
}

std::optional<Endpoint> Transport::Impl::advertised_endpoint(const Connection& connection) const {
  if (connection.direction() == Direction::kOutbound) return connection.dialed;
  if (connection.peer_listen_port() == 0) return std::nullopt;
  return Endpoint{connection.remote().host, connection.peer_listen_port()};
}

// Two connections to one node (both dialed at once): both sides keep the one dialed by the smaller
// node key and retire the other; the smaller key's side says the Goodbye that ends it.
void Transport::Impl::on_established(const std::shared_ptr<Connection>& connection) {
  const NodeId& peer = connection->node_id();
  handshakes_completed_ += 1;
  uint64_t now = now_ms();
  uint64_t retire_deadline_ms = now + config_.handshake_timeout_ms;
  bool goodbye_is_ours = node_key_.public_key() < peer;
  std::shared_ptr<Connection> replaced;
  {
    std::lock_guard lock(mutex_);
    std::shared_ptr<Connection>& slot = peers_[peer];
    if (slot && !prefer(*connection, *slot)) {
      connection->retire(goodbye_is_ours, retire_deadline_ms);
      return;
    }
    replaced = std::move(slot);
    slot = connection;
  }
  auto& count = connection->direction() == Direction::kInbound ? peers_inbound_ : peers_outbound_;
  count += 1;
  if (replaced) {
    auto& old_count =
        replaced->direction() == Direction::kInbound ? peers_inbound_ : peers_outbound_;
    old_count -= 1;
    for (auto& plaintext : replaced->take_unsent())
      (void)connection->enqueue(std::move(plaintext), Connection::Sender::kApplication);
    replaced->retire(goodbye_is_ours, retire_deadline_ms);
  } else {
    if (!inbox_.push_peer_event(
            PeerConnected{peer, connection->remote(), connection->direction()})) {
      peer_events_dropped_ += 1;
    }
  }
  if (auto advertised = advertised_endpoint(*connection)) {
    book_.add(PeerAddress{peer, *advertised});
    book_.record_success(peer);
  }
  if (connection->dialed) {
    if (auto target = persistent_.find(*connection->dialed); target != persistent_.end()) {
      target->second.node_id = peer;
      target->second.failures = 0;
    }
  }
  log("connected to " + short_id(peer) + " (" +
      std::string(direction_name(connection->direction())) + ", " +
      connection->remote().to_string() + ")" + (replaced ? ", replacing a duplicate" : ""));
  if (config_.peer_exchange && outbound_endpoints_.size() < config_.peers_outbound_max) {
    request_addresses(*connection, now);
  }
}

bool Transport::Impl::on_frame(Connection& connection, uint8_t channel, Bytes&& payload) {
  if (is_application_channel(channel)) {
    Message message{connection.node_id(), static_cast<Channel>(channel), std::move(payload)};
    // While other connections wait for room, queue behind them: a resume is already due (the
    // inbox refused a push and will call back), and arrival order is kept.
    if (paused_.empty() && inbox_.try_push(message)) return true;
    paused_.emplace_back(connection.weak_from_this(), std::move(message));
    return false;
  }
  if (channel == static_cast<uint8_t>(Channel::kPeerExchange)) {
    on_peer_exchange(connection, payload);
    return true;
  }
  connection.close(CloseKind::kProtocol, "unknown channel " + std::to_string(channel));
  return true;
}

void Transport::Impl::resume_paused() {
  while (!paused_.empty()) {
    auto& [weak, message] = paused_.front();
    std::shared_ptr<Connection> connection = weak.lock();
    if (!connection || connection->closed()) {
      paused_.pop_front();
      continue;
    }
    if (!inbox_.try_push(message)) return;  // the inbox calls back when it has room
    paused_.pop_front();
    connection->resume_reading();
  }
}

void Transport::Impl::on_closed(Connection& connection, CloseKind kind, const std::string& reason) {
  // The connection may hold its last reference in our tables: keep it alive until this handler
  // unwinds back out of Connection::close.
  asio::post(io_, [keep = connection.shared_from_this()] {});
  bool was_established = false;
  if (connection.identified()) {
    std::lock_guard lock(mutex_);
    auto it = peers_.find(connection.node_id());
    if (it != peers_.end() && it->second.get() == &connection) {
      peers_.erase(it);
      was_established = true;
    }
  }
  connections_.erase(connection.shared_from_this());
  // Counters before the event, so whoever sees the event sees them.
  if (kind == CloseKind::kGarbage) garbage_disconnects_ += 1;
  if (was_established) {
    auto& count = connection.direction() == Direction::kInbound ? peers_inbound_ : peers_outbound_;
    count -= 1;
    if (!inbox_.push_peer_event(PeerDisconnected{connection.node_id(), reason})) {
      peer_events_dropped_ += 1;
    }
    log("disconnected from " + short_id(connection.node_id()) + " (" +
        std::string(close_kind_name(kind)) + "): " + reason);
  } else if (kind != CloseKind::kReplaced && !connection.retired()) {
    handshakes_failed_ += 1;
    std::string who =
        connection.identified() ? "node " + short_id(connection.node_id()) + " at " : std::string();
    log(std::string(direction_name(connection.direction())) + " connection with " + who +
        connection.remote().to_string() + " failed (" + std::string(close_kind_name(kind)) +
        "): " + reason);
  }
  if (connection.identified() && connection.node_id() != node_key_.public_key()) {
    if (kind == CloseKind::kGarbage) {
      penalize(connection.node_id(), reason, kGarbagePenaltyPoints);
    } else if (kind == CloseKind::kProtocol) {
      penalize(connection.node_id(), reason, config_.scores.ban_threshold_points);
    }
  }
  if (connection.dialed) on_outbound_closed(connection, was_established);
}

void Transport::Impl::on_outbound_closed(Connection& connection, bool was_established) {
  outbound_endpoints_.erase(*connection.dialed);
  if (stopping_) return;
  uint64_t now = now_ms();
  bool identified = connection.identified();
  bool is_self = identified && connection.node_id() == node_key_.public_key();
  // Refused as a duplicate of a live connection: nothing failed.
  bool duplicate = identified && !was_established && connected(connection.node_id());
  auto target = persistent_.find(*connection.dialed);
  if (target != persistent_.end()) {
    if (is_self) {
      log("dropping persistent peer " + connection.dialed->to_string() + ": it is this node");
      persistent_.erase(target);
      return;
    }
    if (identified) target->second.node_id = connection.node_id();
    if (was_established || duplicate) {
      target->second.failures = 0;
    } else {
      target->second.failures += 1;
    }
    target->second.retry_at_ms = now + reconnect_delay_ms(target->second.failures);
    return;
  }
  const std::optional<NodeId>& expected = connection.expected_node_id();
  if (!expected || was_established || duplicate) return;
  if (is_self || (identified && connection.node_id() != *expected)) {
    book_.remove(*expected);  // the address does not belong to the key it was advertised with
    return;
  }
  const AddressBook::Entry* entry = book_.find(*expected);
  uint32_t failures = entry ? entry->failures + 1 : 1;
  book_.record_failure(*expected, now, reconnect_delay_ms(failures));
}

// ---- Peer exchange ----

void Transport::Impl::request_addresses(Connection& connection, uint64_t now) {
  if (connection.peer_exchange_requested) return;
  connection.peer_exchange_requested = true;
  connection.peer_exchange_asked_ms = now;
  PeerExchangeMessage request{PeerExchangeType::kRequest, {}};
  (void)connection.enqueue(transport_plaintext(Channel::kPeerExchange, request),
                           Connection::Sender::kControl);
}

void Transport::Impl::request_addresses_if_needed(uint64_t now) {
  if (!config_.peer_exchange || now < next_peer_exchange_ms_) return;
  next_peer_exchange_ms_ = now + config_.peer_exchange_interval_ms;
  if (outbound_endpoints_.size() >= config_.peers_outbound_max) return;
  std::vector<std::shared_ptr<Connection>> candidates;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [node_id, connection] : peers_) {
      bool asked_recently =
          connection->peer_exchange_asked_ms &&
          now - *connection->peer_exchange_asked_ms < config_.peer_exchange_interval_ms;
      if (!connection->peer_exchange_requested && !asked_recently) candidates.push_back(connection);
    }
  }
  if (candidates.empty()) return;
  request_addresses(*candidates[random_() % candidates.size()], now);
}

void Transport::Impl::on_peer_exchange(Connection& connection, ByteView body) {
  auto message = decode<PeerExchangeMessage>(body);
  if (!message.is_ok()) {
    return connection.close(CloseKind::kProtocol, "peer exchange: " + message.status().message());
  }
  if (!config_.peer_exchange) return;
  uint64_t now = now_ms();
  if (message->type == PeerExchangeType::kRequest) {
    // At most one answer per half interval per connection; extra requests get none.
    bool answered_recently =
        connection.peer_exchange_answered_ms &&
        now - *connection.peer_exchange_answered_ms < config_.peer_exchange_interval_ms / 2;
    if (answered_recently) return;
    connection.peer_exchange_answered_ms = now;
    return answer_peer_exchange(connection);
  }
  if (!connection.peer_exchange_requested) {
    return penalize(connection.node_id(), "unrequested peer exchange response",
                    kPeerExchangeAbusePenaltyPoints);
  }
  connection.peer_exchange_requested = false;
  for (const PeerAddress& address : message->addresses) {
    if (address.node_id != node_key_.public_key()) book_.add(address);
  }
  dial_discovered(now);
}

void Transport::Impl::answer_peer_exchange(Connection& connection) {
  PeerExchangeMessage response{PeerExchangeType::kResponse, {}};
  std::set<NodeId> listed{connection.node_id()};
  {
    std::lock_guard lock(mutex_);
    for (const auto& [node_id, peer] : peers_) {
      std::optional<Endpoint> endpoint = advertised_endpoint(*peer);
      if (endpoint && listed.insert(node_id).second) {
        response.addresses.push_back(PeerAddress{node_id, *endpoint});
      }
    }
  }
  std::shuffle(response.addresses.begin(), response.addresses.end(), random_);
  if (response.addresses.size() > kPeerExchangeAddressesMax) {
    response.addresses.resize(kPeerExchangeAddressesMax);
  }
  for (PeerAddress& address :
       book_.sample(kPeerExchangeAddressesMax, connection.node_id(), random_)) {
    if (response.addresses.size() >= kPeerExchangeAddressesMax) break;
    if (listed.insert(address.node_id).second) response.addresses.push_back(std::move(address));
  }
  (void)connection.enqueue(transport_plaintext(Channel::kPeerExchange, response),
                           Connection::Sender::kControl);
}

// ---- Public operations (any thread) ----

Status Transport::Impl::connect(const Endpoint& endpoint) {
  SYNOD_TRY(check_endpoint(endpoint));
  if (!running_) return error(Code::kFailedPrecondition, "transport not running");
  asio::post(io_, [this, endpoint] {
    if (!dial(endpoint, std::nullopt)) log("already connected or dialing " + endpoint.to_string());
  });
  return Status::ok();
}

Status Transport::Impl::add_persistent_peer(const Endpoint& endpoint) {
  SYNOD_TRY(check_endpoint(endpoint));
  if (!running_) return error(Code::kFailedPrecondition, "transport not running");
  asio::post(io_, [this, endpoint] {
    persistent_.try_emplace(endpoint);
    dial_persistent(now_ms());
  });
  return Status::ok();
}

Status Transport::Impl::send(const NodeId& node_id, Channel channel, ByteView payload) {
  SYNOD_TRY(check_application_frame(channel, payload));
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex_);
    auto it = peers_.find(node_id);
    if (it != peers_.end()) connection = it->second;
  }
  if (!connection) return error(Code::kNotFound, "not connected to node " + short_id(node_id));
  Status status = connection->enqueue(application_plaintext(channel, payload),
                                      Connection::Sender::kApplication);
  if (status.code() == Code::kResourceExhausted) frames_dropped_ += 1;
  return status;
}

size_t Transport::Impl::broadcast(Channel channel, ByteView payload,
                                  const std::optional<NodeId>& except) {
  if (!check_application_frame(channel, payload).is_ok()) return 0;
  std::vector<std::shared_ptr<Connection>> connections;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [node_id, connection] : peers_) {
      if (except && node_id == *except) continue;
      connections.push_back(connection);
    }
  }
  if (connections.empty()) return 0;
  auto plaintext = application_plaintext(channel, payload);  // shared by every queue
  size_t accepted = 0;
  for (const auto& connection : connections) {
    Status status = connection->enqueue(plaintext, Connection::Sender::kApplication);
    if (status.is_ok()) accepted += 1;
    if (status.code() == Code::kResourceExhausted) frames_dropped_ += 1;
  }
  return accepted;
}

void Transport::Impl::penalize(const NodeId& node_id, std::string_view reason, uint32_t points) {
  bool banned = false;
  {
    std::lock_guard lock(mutex_);
    banned = scores_.penalize(node_id, points, now_ms());
  }
  log("penalized " + short_id(node_id) + " by " + std::to_string(points) + ": " +
      std::string(reason));
  if (!banned) return;
  bans_ += 1;
  std::string why = "banned: " + std::string(reason);
  log(short_id(node_id) + " " + why);
  asio::post(io_, [this, node_id, why] { close_peer(node_id, why); });
}

void Transport::Impl::disconnect(const NodeId& node_id, std::string_view reason) {
  asio::post(io_, [this, node_id, why = std::string(reason)] { close_peer(node_id, why); });
}

void Transport::Impl::close_peer(const NodeId& node_id, const std::string& reason) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex_);
    auto it = peers_.find(node_id);
    if (it != peers_.end()) connection = it->second;
  }
  if (connection) connection->close_with_goodbye(CloseKind::kLocal, reason);
}

bool Transport::Impl::is_banned(const NodeId& node_id) const {
  std::lock_guard lock(mutex_);
  return scores_.is_banned(node_id, now_ms());
}

std::vector<PeerInfo> Transport::Impl::peers() const {
  std::vector<PeerInfo> out;
  uint64_t now = now_ms();
  std::lock_guard lock(mutex_);
  for (const auto& [node_id, connection] : peers_) {
    out.push_back(PeerInfo{node_id, connection->remote(), connection->peer_listen_port(),
                           connection->direction(), connection->bytes_in(), connection->bytes_out(),
                           scores_.points(node_id, now)});
  }
  return out;
}

TransportStats Transport::Impl::stats() const {
  TransportStats out;
  out.bytes_in = counters_.bytes_in.load();
  out.bytes_out = counters_.bytes_out.load();
  out.frames_in = counters_.frames_in.load();
  out.frames_out = counters_.frames_out.load();
  out.handshakes_completed = handshakes_completed_.load();
  out.handshakes_failed = handshakes_failed_.load();
  out.garbage_disconnects = garbage_disconnects_.load();
  out.frames_dropped = frames_dropped_.load();
  out.bans = bans_.load();
  out.peer_events_dropped = peer_events_dropped_.load();
  out.peers_inbound = peers_inbound_.load();
  out.peers_outbound = peers_outbound_.load();
  out.read_buffer_bytes_peak = counters_.read_buffer_bytes_peak.load();
  return out;
}

// ---- Transport ----

Transport::Transport(crypto::KeyPair node_key, TransportConfig config)
    : impl_(std::make_unique<Impl>(std::move(node_key), std::move(config))) {}
Transport::~Transport() = default;
Status Transport::start(const std::string& listen_host, uint16_t listen_port) {
  return impl_->start(listen_host, listen_port);
}
void Transport::stop() {
  impl_->stop();
}
const NodeId& Transport::node_id() const {
  return impl_->node_id();
}
uint16_t Transport::listen_port() const {
  return impl_->listen_port();
}
Status Transport::connect(const Endpoint& endpoint) {
  return impl_->connect(endpoint);
}
Status Transport::add_persistent_peer(const Endpoint& endpoint) {
  return impl_->add_persistent_peer(endpoint);
}
Status Transport::send(const NodeId& node_id, Channel channel, ByteView payload) {
  return impl_->send(node_id, channel, payload);
}
size_t Transport::broadcast(Channel channel, ByteView payload,
                            const std::optional<NodeId>& except) {
  return impl_->broadcast(channel, payload, except);
}
void Transport::penalize(const NodeId& node_id, std::string_view reason, uint32_t points) {
  impl_->penalize(node_id, reason, points);
}
void Transport::disconnect(const NodeId& node_id, std::string_view reason) {
  impl_->disconnect(node_id, reason);
}
bool Transport::is_banned(const NodeId& node_id) const {
  return impl_->is_banned(node_id);
}
std::optional<Event> Transport::poll() {
  return impl_->inbox().poll();
}
std::optional<Event> Transport::wait(uint64_t timeout_ms) {
  return impl_->inbox().wait(timeout_ms);
}
std::vector<PeerInfo> Transport::peers() const {
  return impl_->peers();
}
TransportStats Transport::stats() const {
  return impl_->stats();
}

}  // namespace synod::net
