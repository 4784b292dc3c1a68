// Transports on 127.0.0.1 with OS-assigned ports. Every wait is bounded (kWaitMs at most); every
// node stops when its test ends. A raw POSIX client (RawPeer) plays misbehaving peers.
#include "net/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include "crypto/hash.h"

namespace synod::net {
namespace {

constexpr uint64_t kWaitMs = 5'000;  // the bound on any single condition in these tests
const std::string kLoopback = "127.0.0.1";

uint64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

bool eventually(const std::function<bool()>& condition, uint64_t timeout_ms = kWaitMs) {
  uint64_t deadline = steady_ms() + timeout_ms;
  while (steady_ms() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

Hash256 genesis(std::string_view name) {
  return crypto::sha256(as_bytes(name));
}

class LogLines {
 public:
  void add(std::string_view line) {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(line);
  }
  bool contains(std::string_view text) const {
    std::lock_guard lock(mutex_);
    for (const auto& line : lines_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::string dump() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& line : lines_)
      out += "  " + line + "\n";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

TransportConfig test_config(const Hash256& genesis_hash = genesis("test")) {
  TransportConfig config;
  config.genesis_hash = genesis_hash;
  config.tick_interval_ms = 20;
  config.handshake_timeout_ms = 2'000;
  config.ping_interval_ms = 200;
  config.idle_timeout_ms = 3'000;
  config.write_timeout_ms = 3'000;
  config.reconnect_delay_ms_min = 50;
  config.reconnect_delay_ms_max = 400;
  config.peer_exchange_interval_ms = 200;
  return config;
}

// One transport plus the events it delivered that no test step has consumed yet.
struct Node {
  explicit Node(crypto::KeyPair node_key) : key(std::move(node_key)) {}

  crypto::KeyPair key;
  std::shared_ptr<LogLines> log = std::make_shared<LogLines>();
  std::unique_ptr<Transport> transport;
  std::vector<Event> unconsumed;

  const NodeId& id() const { return key.public_key(); }
  uint16_t port() const { return transport->listen_port(); }
  Endpoint endpoint() const { return Endpoint{kLoopback, port()}; }

  // Waits for the first event `match` accepts, keeping the others for later calls.
  std::optional<Event> await(const std::function<bool(const Event&)>& match,
                             uint64_t timeout_ms = kWaitMs) {
    uint64_t deadline = steady_ms() + timeout_ms;
    while (true) {
      for (size_t i = 0; i < unconsumed.size(); ++i) {
        if (match(unconsumed[i])) {
          Event event = std::move(unconsumed[i]);
          unconsumed.erase(unconsumed.begin() + static_cast<ptrdiff_t>(i));
          return event;
        }
      }
      uint64_t now = steady_ms();
      if (now >= deadline) return std::nullopt;
      if (auto event = transport->wait(std::min<uint64_t>(deadline - now, 20))) {
        unconsumed.push_back(std::move(*event));
      }
    }
  }
  std::optional<Message> await_message(Channel channel, uint64_t timeout_ms = kWaitMs) {
    auto event = await(
        [&](const Event& e) {
          auto* message = std::get_if<Message>(&e);
          return message && message->channel == channel;
        },
        timeout_ms);
    if (!event) return std::nullopt;
    return std::get<Message>(std::move(*event));
  }
  bool await_connected(const NodeId& peer, uint64_t timeout_ms = kWaitMs) {
    return await(
               [&](const Event& e) {
                 auto* connected = std::get_if<PeerConnected>(&e);
                 return connected && connected->node_id == peer;
               },
               timeout_ms)
        .has_value();
  }
  std::optional<PeerDisconnected> await_disconnected(const NodeId& peer,
                                                     uint64_t timeout_ms = kWaitMs) {
    auto event = await(
        [&](const Event& e) {
          auto* disconnected = std::get_if<PeerDisconnected>(&e);
          return disconnected && disconnected->node_id == peer;
        },
        timeout_ms);
    if (!event) return std::nullopt;
    return std::get<PeerDisconnected>(std::move(*event));
  }
  bool has_peer(const NodeId& peer) const {
    for (const PeerInfo& info : transport->peers()) {
      if (info.node_id == peer) return true;
    }
    return false;
  }
};

std::unique_ptr<Node> start_node(TransportConfig config = test_config(),
                                 std::optional<crypto::KeyPair> key = std::nullopt,
                                 uint16_t port = 0) {
  auto node = std::make_unique<Node>(key ? *key : crypto::KeyPair::generate());
  std::shared_ptr<LogLines> log = node->log;
  config.on_log = [log](std::string_view line) { log->add(line); };
  node->transport = std::make_unique<Transport>(node->key, std::move(config));
  Status status = node->transport->start(kLoopback, port);
  EXPECT_TRUE(status.is_ok()) << status.to_string();
  return node;
}

// Connects a to b and waits until both see the connection.
void link(Node& a, Node& b) {
  ASSERT_TRUE(a.transport->connect(b.endpoint()).is_ok());
  ASSERT_TRUE(a.await_connected(b.id())) << a.log->dump();
  ASSERT_TRUE(b.await_connected(a.id())) << b.log->dump();
}

// ---- A raw client, for peers that misbehave ----

class RawSocket {
 public:
  explicit RawSocket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd_, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  }
  ~RawSocket() { ::close(fd_); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool send_all(ByteView bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // Exactly `size` bytes, or nullopt on close, error or timeout.
  std::optional<Bytes> recv_exact(size_t size, uint64_t timeout_ms = kWaitMs) {
    Bytes out(size);
    size_t received = 0;
    uint64_t deadline = steady_ms() + timeout_ms;
    while (received < size) {
      if (!readable_before(deadline)) return std::nullopt;
      ssize_t n = ::recv(fd_, out.data() + received, size - received, 0);
      if (n <= 0) return std::nullopt;
      received += static_cast<size_t>(n);
    }
    return out;
  }
  // True when the other side closes within timeout_ms (bytes read meanwhile are discarded).
  bool closed_within(uint64_t timeout_ms) {
    uint64_t deadline = steady_ms() + timeout_ms;
    uint8_t buffer[4096];
    while (readable_before(deadline)) {
      ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) return true;
    }
    return false;
  }

 private:
  bool readable_before(uint64_t deadline) {
    uint64_t now = steady_ms();
    if (now >= deadline) return false;
    pollfd descriptor{fd_, POLLIN, 0};
    return ::poll(&descriptor, 1, static_cast<int>(deadline - now)) > 0;
  }
  int fd_ = -1;
};

// Plays the initiator's side of the handshake by hand (wire.h), then frames.
class RawPeer {
 public:
  RawPeer(uint16_t port, const Hash256& genesis_hash,
          crypto::KeyPair key = crypto::KeyPair::generate())
      : key_(std::move(key)), socket_(port), handshake_(Role::kInitiator, key_, genesis_hash, 0) {}

  const NodeId& id() const { return key_.public_key(); }
  RawSocket& socket() { return socket_; }

  // Messages 1 and 2: returns the responder's identity.
  Result<AuthPayload> start() {
    if (!socket_.send_all(handshake_.hello())) return error(Code::kIoError, "send hello");
    auto hello = socket_.recv_exact(kHelloBytes);
    if (!hello) return error(Code::kIoError, "no hello");
    SYNOD_TRY(handshake_.read_peer_hello(*hello));
    auto header = socket_.recv_exact(kStreamHeaderBytes + kFrameLengthBytes);
    if (!header) return error(Code::kIoError, "no auth header");
    SYNOD_TRY(handshake_.read_peer_stream_header(ByteView(*header).first(kStreamHeaderBytes)));
    SYNOD_ASSIGN_OR_RETURN(size_t length,
                           check_frame_length(ByteView(*header).subspan(kStreamHeaderBytes),
                                              kHandshakeFramePlaintextBytesMax));
    auto body = socket_.recv_exact(length);
    if (!body) return error(Code::kIoError, "no auth body");
    return handshake_.read_peer_auth(*body);
  }
  // Message 3, honest or with a forged payload, then message 4 (Welcome expected).
  Status finish(std::optional<AuthPayload> forged = std::nullopt) {
    Bytes auth = forged ? handshake_.auth_message(*forged) : handshake_.auth_message();
    if (!socket_.send_all(auth)) return error(Code::kIoError, "send auth");
    sealer_ = handshake_.sealer();
    opener_ = handshake_.opener();
    SYNOD_ASSIGN_OR_RETURN(Bytes welcome, read_frame());
    ControlMessage expected{ControlType::kWelcome, 0, {}};
    if (welcome != frame_plaintext(Channel::kControl, expected)) {
      return error(Code::kFailedPrecondition, "no Welcome");
    }
    return Status::ok();
  }
  Status connect() {
    SYNOD_TRY(start().status());
    return finish();
  }
  // The forged identity claims `claimed` with a signature by our own key.
  AuthPayload forge(const NodeId& claimed) const {
    return AuthPayload{
        claimed, 0,
        key_.sign(auth_signed_bytes(Role::kInitiator, handshake_.transcript(), claimed, 0))};
  }
  bool send_frame(ByteView plaintext) {
    Bytes frame;
    sealer_.seal(plaintext, frame);
    return socket_.send_all(frame);
  }
  Result<Bytes> read_frame(uint64_t timeout_ms = kWaitMs) {
    auto prefix = socket_.recv_exact(kFrameLengthBytes, timeout_ms);
    if (!prefix) return error(Code::kIoError, "no frame");
    SYNOD_ASSIGN_OR_RETURN(size_t length, check_frame_length(*prefix, kFramePlaintextBytesMax));
    auto body = socket_.recv_exact(length, timeout_ms);
    if (!body) return error(Code::kIoError, "no frame body");
    Bytes plaintext;
    SYNOD_TRY(opener_.open(*body, plaintext));
    return plaintext;
  }

 private:
  crypto::KeyPair key_;
  RawSocket socket_;
  Handshake handshake_;
  FrameSealer sealer_;
  FrameOpener opener_;
};

Bytes payload_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

// ---- Connecting and exchanging ----

TEST(Transport, TwoNodesHandshakeAndExchangeBothWays) {
  auto a = start_node();
  auto b = start_node();
  link(*a, *b);
  ASSERT_TRUE(a->transport->send(b->id(), Channel::kConsensus, payload_of("vote")).is_ok());
  ASSERT_TRUE(b->transport->send(a->id(), Channel::kTransactions, payload_of("tx")).is_ok());
  auto at_b = b->await_message(Channel::kConsensus);
  ASSERT_TRUE(at_b);
  EXPECT_EQ(at_b->from, a->id());
  EXPECT_EQ(at_b->payload, payload_of("vote"));
  auto at_a = a->await_message(Channel::kTransactions);
  ASSERT_TRUE(at_a);
  EXPECT_EQ(at_a->from, b->id());
  EXPECT_EQ(at_a->payload, payload_of("tx"));

  auto peers = a->transport->peers();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].node_id, b->id());
  EXPECT_EQ(peers[0].direction, Direction::kOutbound);
  EXPECT_EQ(peers[0].listen_port, b->port());
  EXPECT_GT(peers[0].bytes_out, 0u);
  TransportStats stats = b->transport->stats();
  EXPECT_EQ(stats.peers_inbound, 1u);
  EXPECT_GT(stats.bytes_in, 0u);
  EXPECT_GT(stats.bytes_out, 0u);
  EXPECT_EQ(stats.handshakes_completed, 1u);

  // Only application channels, only payloads under the limit, only connected peers.
  EXPECT_EQ(a->transport->send(b->id(), Channel::kControl, payload_of("x")).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(a->transport->send(a->id(), Channel::kConsensus, payload_of("x")).code(),
            Code::kNotFound);
}

TEST(Transport, CarriesAFullSizeBlock) {
  auto a = start_node();
  auto b = start_node();
  link(*a, *b);
  Bytes block(chain::kBlockBytesMax);
  for (size_t i = 0; i < block.size(); ++i)
    block[i] = static_cast<uint8_t>(i * 131);
  ASSERT_TRUE(a->transport->send(b->id(), Channel::kBlockSync, block).is_ok());
  auto received = b->await_message(Channel::kBlockSync);
  ASSERT_TRUE(received);
  EXPECT_TRUE(received->payload == block);
  Bytes too_big(kPayloadBytesMax + 1);
  EXPECT_EQ(a->transport->send(b->id(), Channel::kBlockSync, too_big).code(),
            Code::kInvalidArgument);
}

TEST(Transport, ThreeNodesAndBroadcastReachesAll) {
  auto a = start_node();
  auto b = start_node();
  auto c = start_node();
  link(*a, *b);
  link(*a, *c);
  link(*b, *c);
  std::vector<Node*> nodes = {a.get(), b.get(), c.get()};
  for (Node* node : nodes)
    EXPECT_EQ(node->transport->broadcast(Channel::kTransactions, node->id().view()), 2u);
  for (Node* node : nodes) {
    std::set<NodeId> senders;
    for (int i = 0; i < 2; ++i) {
      auto message = node->await_message(Channel::kTransactions);
      ASSERT_TRUE(message);
      EXPECT_EQ(message->payload, Bytes(message->from.begin(), message->from.end()));
      senders.insert(message->from);
    }
    EXPECT_EQ(senders.size(), 2u);
    EXPECT_FALSE(senders.contains(node->id()));
  }
}

TEST(Transport, BroadcastSkipsTheExceptedPeer) {
  auto a = start_node();
  auto b = start_node();
  auto c = start_node();
  link(*a, *b);
  link(*a, *c);
  EXPECT_EQ(a->transport->broadcast(Channel::kTransactions, payload_of("relayed"), b->id()), 1u);
  auto at_c = c->await_message(Channel::kTransactions);
  ASSERT_TRUE(at_c);
  EXPECT_EQ(at_c->payload, payload_of("relayed"));
  // b gets only what follows, not the relayed payload.
  EXPECT_EQ(a->transport->broadcast(Channel::kTransactions, payload_of("to all")), 2u);
  auto at_b = b->await_message(Channel::kTransactions);
  ASSERT_TRUE(at_b);
  EXPECT_EQ(at_b->payload, payload_of("to all"));
}

TEST(Transport, InboxFullPausesReadingWithoutLosingMessages) {
  TransportConfig small = test_config();
  small.inbox.messages_max = 4;
  auto a = start_node();
  auto b = start_node(small);
  link(*a, *b);
  constexpr int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) {
    Bytes payload = {uint8_t(i), uint8_t(i >> 8)};
    ASSERT_TRUE(a->transport->send(b->id(), Channel::kConsensus, payload).is_ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // b does not drain meanwhile
  for (int i = 0; i < kMessages; ++i) {
    auto message = b->await_message(Channel::kConsensus);
    ASSERT_TRUE(message) << i;
    EXPECT_EQ(message->payload, (Bytes{uint8_t(i), uint8_t(i >> 8)}));
  }
  EXPECT_TRUE(b->has_peer(a->id()));  // paused reading did not look like an idle peer
}

TEST(Transport, KeepaliveHoldsAQuietConnection) {
  TransportConfig fast = test_config();
  fast.ping_interval_ms = 50;
  fast.idle_timeout_ms = 300;
  auto a = start_node(fast);
  auto b = start_node(fast);
  link(*a, *b);
  std::this_thread::sleep_for(std::chrono::milliseconds(1'000));
  EXPECT_TRUE(a->has_peer(b->id())) << a->log->dump();
  EXPECT_TRUE(b->has_peer(a->id())) << b->log->dump();
}

// ---- Refusals ----

TEST(Transport, RejectsADifferentGenesis) {
  auto a = start_node(test_config(genesis("network-one")));
  auto b = start_node(test_config(genesis("network-two")));
  ASSERT_TRUE(a->transport->connect(b->endpoint()).is_ok());
  EXPECT_TRUE(eventually([&] { return a->log->contains("different network"); })) << a->log->dump();
  EXPECT_TRUE(eventually([&] { return b->log->contains("different network"); })) << b->log->dump();
  EXPECT_TRUE(a->transport->peers().empty());
  EXPECT_TRUE(b->transport->peers().empty());
  EXPECT_GE(a->transport->stats().handshakes_failed, 1u);
}

TEST(Transport, RejectsImpersonation) {
  auto node = start_node();
  auto victim = start_node();
  RawPeer impostor(node->port(), genesis("test"));
  ASSERT_TRUE(impostor.start().is_ok());
  // Claims the victim's node key, signing with its own.
  EXPECT_FALSE(impostor.finish(impostor.forge(victim->id())).is_ok());
  EXPECT_TRUE(impostor.socket().closed_within(kWaitMs));
  EXPECT_TRUE(eventually([&] { return node->log->contains("bad handshake signature"); }))
      << node->log->dump();
  EXPECT_FALSE(node->has_peer(victim->id()));
  // The real owner of the key still gets in.
  link(*victim, *node);
}

TEST(Transport, RejectsConnectionToItselfAndDuplicates) {
  auto a = start_node();
  auto b = start_node();
  ASSERT_TRUE(a->transport->connect(a->endpoint()).is_ok());
  EXPECT_TRUE(eventually([&] { return a->log->contains("connection to self"); })) << a->log->dump();
  EXPECT_TRUE(a->transport->peers().empty());

  link(*a, *b);
  ASSERT_TRUE(a->transport->connect(b->endpoint()).is_ok());  // again, same direction
  EXPECT_TRUE(eventually([&] { return a->log->contains("already connected"); })) << a->log->dump();
  ASSERT_TRUE(b->transport->connect(a->endpoint()).is_ok());  // and the other way
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(a->transport->peers().size(), 1u);
  EXPECT_EQ(b->transport->peers().size(), 1u);
  ASSERT_TRUE(a->transport->send(b->id(), Channel::kConsensus, payload_of("still")).is_ok());
  EXPECT_TRUE(b->await_message(Channel::kConsensus));
}

// Both dial at once: the connection dialed by the smaller key survives on both sides.
TEST(Transport, SimultaneousDialsSettleOnOneConnection) {
  for (int round = 0; round < 3; ++round) {
    auto a = start_node();
    auto b = start_node();
    ASSERT_TRUE(a->transport->connect(b->endpoint()).is_ok());
    ASSERT_TRUE(b->transport->connect(a->endpoint()).is_ok());
    ASSERT_TRUE(a->await_connected(b->id())) << a->log->dump();
    ASSERT_TRUE(b->await_connected(a->id())) << b->log->dump();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ASSERT_EQ(a->transport->peers().size(), 1u) << a->log->dump() << "b:\n" << b->log->dump();
    ASSERT_EQ(b->transport->peers().size(), 1u) << a->log->dump() << "b:\n" << b->log->dump();
    Direction expected_at_a =
        std::min(a->id(), b->id()) == a->id() ? Direction::kOutbound : Direction::kInbound;
    EXPECT_EQ(a->transport->peers()[0].direction, expected_at_a);
    ASSERT_TRUE(a->transport->send(b->id(), Channel::kConsensus, payload_of("x")).is_ok());
    ASSERT_TRUE(b->transport->send(a->id(), Channel::kConsensus, payload_of("y")).is_ok());
    EXPECT_TRUE(b->await_message(Channel::kConsensus));
    EXPECT_TRUE(a->await_message(Channel::kConsensus));
  }
}

TEST(Transport, EnforcesTheInboundLimit) {
  TransportConfig one_inbound = test_config();
  one_inbound.peers_inbound_max = 1;
  auto server = start_node(one_inbound);
  auto first = start_node();
  auto second = start_node();
  link(*first, *server);
  ASSERT_TRUE(second->transport->connect(server->endpoint()).is_ok());
  EXPECT_TRUE(eventually([&] { return second->log->contains("too many inbound peers"); }))
      << second->log->dump();
  EXPECT_EQ(server->transport->peers().size(), 1u);
  EXPECT_TRUE(second->transport->peers().empty());
  // A slot frees up when the first peer leaves.
  first->transport->stop();
  ASSERT_TRUE(server->await_disconnected(first->id()));
  ASSERT_TRUE(second->transport->connect(server->endpoint()).is_ok());
  EXPECT_TRUE(server->await_connected(second->id())) << server->log->dump();
}

// ---- Garbage and abuse ----

TEST(Transport, RandomBytesDropTheConnectionAndTheNodeKeepsServing) {
  auto node = start_node();
  auto friendly = start_node();
  link(*friendly, *node);
  Bytes noise(4'096);
  crypto::random_bytes(noise);
  RawSocket raw(node->port());
  raw.send_all(noise);
  EXPECT_TRUE(raw.closed_within(kWaitMs));

  // Garbage after a correct handshake: a frame whose ciphertext fails authentication.
  RawPeer peer(node->port(), genesis("test"));
  ASSERT_TRUE(peer.connect().is_ok());
  ASSERT_TRUE(node->await_connected(peer.id()));
  Bytes fake_frame = {64, 0, 0, 0};
  fake_frame.resize(4 + 64, 0xab);
  peer.socket().send_all(fake_frame);
  EXPECT_TRUE(peer.socket().closed_within(kWaitMs));
  auto disconnected = node->await_disconnected(peer.id());
  ASSERT_TRUE(disconnected);
  EXPECT_NE(disconnected->reason.find("authentication"), std::string::npos) << disconnected->reason;
  EXPECT_GE(node->transport->stats().garbage_disconnects, 2u);

  // Still serving the honest peer.
  ASSERT_TRUE(friendly->transport->send(node->id(), Channel::kConsensus, payload_of("ok")).is_ok());
  EXPECT_TRUE(node->await_message(Channel::kConsensus));
  EXPECT_TRUE(node->has_peer(friendly->id()));
}

TEST(Transport, OversizedFrameLengthIsRejectedBeforeAllocating) {
  TransportConfig patient = test_config();
  patient.idle_timeout_ms = 20'000;  // the close below must not be an idle timeout
  auto node = start_node(patient);
  RawPeer peer(node->port(), genesis("test"));
  ASSERT_TRUE(peer.connect().is_ok());
  ASSERT_TRUE(node->await_connected(peer.id()));
  uint32_t length = kFramePlaintextBytesMax + kFrameOverheadBytes + 1;
  Bytes prefix = {uint8_t(length), uint8_t(length >> 8), uint8_t(length >> 16),
                  uint8_t(length >> 24)};
  uint64_t sent_ms = steady_ms();
  peer.socket().send_all(prefix);  // and no body
  EXPECT_TRUE(peer.socket().closed_within(kWaitMs));
  EXPECT_LT(steady_ms() - sent_ms, 2'000u);
  auto disconnected = node->await_disconnected(peer.id());
  ASSERT_TRUE(disconnected);
  EXPECT_NE(disconnected->reason.find("over the limit"), std::string::npos) << disconnected->reason;
  EXPECT_LT(node->transport->stats().read_buffer_bytes_peak, 1024u * 1024u);

  // The same during the handshake: the auth frame is held to its own small limit.
  RawSocket raw(node->port());
  crypto::KeyPair key = crypto::KeyPair::generate();
  Handshake handshake(Role::kInitiator, key, genesis("test"), 0);
  raw.send_all(handshake.hello());
  ASSERT_TRUE(raw.recv_exact(kHelloBytes));
  Bytes header(kStreamHeaderBytes, 0);
  header.insert(header.end(), {0xff, 0xff, 0xff, 0xff});
  raw.send_all(header);
  EXPECT_TRUE(raw.closed_within(kWaitMs));
  EXPECT_LT(node->transport->stats().read_buffer_bytes_peak, 1024u * 1024u);
}

// Valid prefixes of the handshake followed by random bytes, at every cut point.
TEST(Transport, SurvivesRandomTailsAfterEveryHandshakePrefix) {
  TransportConfig quick = test_config();
  quick.handshake_timeout_ms = 300;
  auto node = start_node(quick);
  auto friendly = start_node();
  link(*friendly, *node);
  std::mt19937_64 random(42);  // fixed: a failure replays
  crypto::KeyPair key = crypto::KeyPair::generate();
  for (int round = 0; round < 24; ++round) {
    Handshake handshake(Role::kInitiator, key, genesis("test"), 0);
    Bytes prefix(handshake.hello().begin(), handshake.hello().end());
    prefix.resize(random() % (kHelloBytes + 1));
    Bytes tail(100 + random() % 300);  // enough to reach a decision without the timeout
    for (uint8_t& byte : tail)
      byte = static_cast<uint8_t>(random());
    RawSocket raw(node->port());
    raw.send_all(prefix);
    raw.send_all(tail);
    EXPECT_TRUE(raw.closed_within(kWaitMs)) << "round " << round;
  }
  ASSERT_TRUE(friendly->transport->send(node->id(), Channel::kConsensus, payload_of("ok")).is_ok());
  EXPECT_TRUE(node->await_message(Channel::kConsensus));
}

TEST(Transport, PeerExchangeAbuseIsPenalized) {
  auto node = start_node();
  RawPeer peer(node->port(), genesis("test"));
  ASSERT_TRUE(peer.connect().is_ok());
  ASSERT_TRUE(node->await_connected(peer.id()));
  // The node asks every new peer for addresses; the first answer is welcome, a second one was
  // not asked for: it costs points but keeps the connection.
  PeerExchangeMessage answer{PeerExchangeType::kResponse, {}};
  peer.send_frame(frame_plaintext(Channel::kPeerExchange, answer));
  peer.send_frame(frame_plaintext(Channel::kPeerExchange, answer));
  EXPECT_TRUE(eventually([&] {
    auto peers = node->transport->peers();
    return peers.size() == 1 && peers[0].score_points == Transport::kPeerExchangeAbusePenaltyPoints;
  }));
  // A malformed one is a protocol violation: disconnected and banned.
  peer.send_frame(Bytes{static_cast<uint8_t>(Channel::kPeerExchange), 2, 0xff, 0xff, 0xff, 0xff});
  auto disconnected = node->await_disconnected(peer.id());
  ASSERT_TRUE(disconnected) << node->log->dump();
  EXPECT_NE(disconnected->reason.find("peer exchange"), std::string::npos) << disconnected->reason;
  EXPECT_TRUE(eventually([&] { return node->transport->is_banned(peer.id()); }));
}

TEST(Transport, UnknownChannelBansThePeer) {
  auto node = start_node();
  RawPeer peer(node->port(), genesis("test"));
  ASSERT_TRUE(peer.connect().is_ok());
  ASSERT_TRUE(node->await_connected(peer.id()));
  peer.send_frame(Bytes{99, 1, 2, 3});
  EXPECT_TRUE(peer.socket().closed_within(kWaitMs));
  auto disconnected = node->await_disconnected(peer.id());
  ASSERT_TRUE(disconnected);
  EXPECT_NE(disconnected->reason.find("unknown channel"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return node->transport->is_banned(peer.id()); }));
}

TEST(Transport, HandshakeAndIdleTimeouts) {
  TransportConfig quick = test_config();
  quick.handshake_timeout_ms = 300;
  quick.idle_timeout_ms = 500;
  auto node = start_node(quick);
  RawSocket silent(node->port());
  uint64_t started_ms = steady_ms();
  EXPECT_TRUE(silent.closed_within(kWaitMs));
  EXPECT_GE(steady_ms() - started_ms, 250u);
  EXPECT_TRUE(eventually([&] { return node->log->contains("handshake timed out"); }));

  RawPeer mute(node->port(), genesis("test"));  // never answers pings
  ASSERT_TRUE(mute.connect().is_ok());
  auto disconnected = node->await_disconnected(mute.id());
  ASSERT_TRUE(disconnected);
  EXPECT_NE(disconnected->reason.find("idle"), std::string::npos) << disconnected->reason;
}

TEST(Transport, BoundedSendQueueAndStalledWriter) {
  TransportConfig config = test_config();
  config.send_queue_bytes_max = 1024 * 1024;
  config.idle_timeout_ms = 20'000;
  config.write_timeout_ms = 500;
  auto node = start_node(config);
  RawPeer reader_that_never_reads(node->port(), genesis("test"));
  ASSERT_TRUE(reader_that_never_reads.connect().is_ok());
  ASSERT_TRUE(node->await_connected(reader_that_never_reads.id()));
  Bytes chunk(256 * 1024, 7);
  bool refused = false;
  for (int i = 0; i < 400 && !refused; ++i) {
    Status status = node->transport->send(reader_that_never_reads.id(), Channel::kBlockSync, chunk);
    if (status.code() == Code::kResourceExhausted) refused = true;
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(refused);
  EXPECT_GE(node->transport->stats().frames_dropped, 1u);
  auto disconnected = node->await_disconnected(reader_that_never_reads.id());
  ASSERT_TRUE(disconnected);
  EXPECT_NE(disconnected->reason.find("write stalled"), std::string::npos) << disconnected->reason;
}

TEST(Transport, PenaltiesPastTheThresholdDisconnectAndBan) {
  auto a = start_node();
  TransportConfig persistent = test_config();
  auto b = start_node(persistent);
  ASSERT_TRUE(b->transport->add_persistent_peer(a->endpoint()).is_ok());
  ASSERT_TRUE(a->await_connected(b->id()));
  a->transport->penalize(b->id(), "invalid vote", 40);
  EXPECT_TRUE(eventually([&] {
    auto peers = a->transport->peers();
    return peers.size() == 1 && peers[0].score_points == 40;
  }));
  a->transport->penalize(b->id(), "invalid block", 60);
  auto disconnected = a->await_disconnected(b->id());
  ASSERT_TRUE(disconnected);
  EXPECT_NE(disconnected->reason.find("banned: invalid block"), std::string::npos);
  EXPECT_TRUE(a->transport->is_banned(b->id()));
  // b keeps redialing and is refused while the ban lasts.
  EXPECT_TRUE(eventually([&] { return b->log->contains("is banned"); })) << b->log->dump();
  EXPECT_FALSE(a->has_peer(b->id()));
}

// ---- Reconnect and discovery ----

TEST(Transport, ReconnectsAfterThePeerRestarts) {
  auto a = start_node();
  crypto::KeyPair b_key = crypto::KeyPair::generate();
  auto b = start_node(test_config(), b_key);
  uint16_t b_port = b->port();
  ASSERT_TRUE(a->transport->add_persistent_peer(b->endpoint()).is_ok());
  ASSERT_TRUE(a->await_connected(b_key.public_key())) << a->log->dump();
  b->transport->stop();
  ASSERT_TRUE(a->await_disconnected(b_key.public_key()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a few failed redials
  b = start_node(test_config(), b_key, b_port);
  ASSERT_TRUE(a->await_connected(b_key.public_key())) << a->log->dump();
  ASSERT_TRUE(
      a->transport->send(b_key.public_key(), Channel::kConsensus, payload_of("back")).is_ok());
  auto message = b->await_message(Channel::kConsensus);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->payload, payload_of("back"));
}

TEST(Transport, PeerExchangeFindsAThirdNodeFromOneSeed) {
  auto seed = start_node();
  auto c = start_node();
  auto a = start_node();
  link(*c, *seed);
  link(*a, *seed);  // a knows only the seed
  EXPECT_TRUE(a->await_connected(c->id())) << a->log->dump();
  EXPECT_TRUE(c->await_connected(a->id())) << c->log->dump();
  ASSERT_TRUE(a->transport->send(c->id(), Channel::kConsensus, payload_of("found you")).is_ok());
  EXPECT_TRUE(c->await_message(Channel::kConsensus));
}

TEST(Transport, PeerExchangeDialsNoMoreThanTheOutboundLimit) {
  auto seed = start_node();
  std::vector<std::unique_ptr<Node>> others;
  for (int i = 0; i < 4; ++i) {
    others.push_back(start_node());
    link(*others.back(), *seed);
  }
  TransportConfig limited = test_config();
  limited.peers_outbound_max = 3;
  auto a = start_node(limited);
  link(*a, *seed);
  EXPECT_TRUE(eventually([&] { return a->transport->stats().peers_outbound == 3; }))
      << a->log->dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(a->transport->stats().peers_outbound, 3u);
}

}  // namespace
}  // namespace synod::net
