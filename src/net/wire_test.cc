// The handshake and frames driven in memory, both sides in one thread.
#include "net/wire.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "net/messages.h"
#include "net/peer_book.h"

namespace synod::net {
namespace {

Hash256 genesis(std::string_view name) {
  return crypto::sha256(as_bytes(name));
}

Bytes to_bytes(ByteView view) {
  return Bytes(view.begin(), view.end());
}

// Splits "header || length || ciphertext" as the connection reads it.
struct AuthParts {
  Bytes header;
  Bytes ciphertext;
};
AuthParts split_auth(ByteView message) {
  EXPECT_GE(message.size(), kStreamHeaderBytes + kFrameLengthBytes);
  auto length = check_frame_length(message.subspan(kStreamHeaderBytes, kFrameLengthBytes),
                                   kHandshakeFramePlaintextBytesMax);
  EXPECT_TRUE(length.is_ok()) << length.status().to_string();
  EXPECT_EQ(message.size(), kStreamHeaderBytes + kFrameLengthBytes + *length);
  return AuthParts{to_bytes(message.first(kStreamHeaderBytes)),
                   to_bytes(message.subspan(kStreamHeaderBytes + kFrameLengthBytes))};
}

Bytes frame_body(ByteView frame) {
  return to_bytes(frame.subspan(kFrameLengthBytes));
}

struct Pair {
  crypto::KeyPair initiator_key = crypto::KeyPair::generate();
  crypto::KeyPair responder_key = crypto::KeyPair::generate();
  Handshake initiator{Role::kInitiator, initiator_key, genesis("net"), 7001};
  Handshake responder{Role::kResponder, responder_key, genesis("net"), 7002};
};

// Runs the whole exchange; returns what each side learned about the other.
void run(Pair& pair, AuthPayload& seen_by_initiator, AuthPayload& seen_by_responder) {
  ASSERT_TRUE(pair.responder.read_peer_hello(pair.initiator.hello()).is_ok());
  ASSERT_TRUE(pair.initiator.read_peer_hello(pair.responder.hello()).is_ok());
  EXPECT_EQ(pair.initiator.transcript(), pair.responder.transcript());
  AuthParts responder_auth = split_auth(pair.responder.auth_message());
  ASSERT_TRUE(pair.initiator.read_peer_stream_header(responder_auth.header).is_ok());
  auto from_responder = pair.initiator.read_peer_auth(responder_auth.ciphertext);
  ASSERT_TRUE(from_responder.is_ok()) << from_responder.status().to_string();
  AuthParts initiator_auth = split_auth(pair.initiator.auth_message());
  ASSERT_TRUE(pair.responder.read_peer_stream_header(initiator_auth.header).is_ok());
  auto from_initiator = pair.responder.read_peer_auth(initiator_auth.ciphertext);
  ASSERT_TRUE(from_initiator.is_ok()) << from_initiator.status().to_string();
  seen_by_initiator = *from_responder;
  seen_by_responder = *from_initiator;
}

TEST(Handshake, BothSidesLearnTheOtherAndShareStreams) {
  Pair pair;
  AuthPayload seen_by_initiator, seen_by_responder;
  run(pair, seen_by_initiator, seen_by_responder);
  EXPECT_EQ(seen_by_initiator.node_id, pair.responder_key.public_key());
  EXPECT_EQ(seen_by_initiator.listen_port, 7002);
  EXPECT_EQ(seen_by_responder.node_id, pair.initiator_key.public_key());
  EXPECT_EQ(seen_by_responder.listen_port, 7001);

  // Frames flow both ways, in order, and only in order.
  for (int i = 0; i < 3; ++i) {
    Bytes message = {uint8_t(1), uint8_t(i), 42};
    Bytes frame;
    pair.initiator.sealer().seal(message, frame);
    Bytes opened;
    ASSERT_TRUE(pair.responder.opener().open(frame_body(frame), opened).is_ok());
    EXPECT_EQ(opened, message);
    Bytes reply;
    pair.responder.sealer().seal(message, reply);
    ASSERT_TRUE(pair.initiator.opener().open(frame_body(reply), opened).is_ok());
    EXPECT_EQ(opened, message);
  }
}

TEST(Handshake, HelloLayout) {
  crypto::KeyPair key = crypto::KeyPair::generate();
  Handshake handshake(Role::kInitiator, key, genesis("net"), 0);
  ByteView hello = handshake.hello();
  ASSERT_EQ(hello.size(), kHelloBytes);
  EXPECT_EQ(as_string_view(hello.first(8)), "SYNODP2P");
  EXPECT_EQ(hello[8], kProtocolVersion & 0xff);
  EXPECT_EQ(hello[9], kProtocolVersion >> 8);
  EXPECT_EQ(to_bytes(hello.subspan(10, 32)), to_bytes(genesis("net").view()));
}

TEST(Handshake, RejectsDifferentGenesisVersionAndMagic) {
  crypto::KeyPair a = crypto::KeyPair::generate();
  crypto::KeyPair b = crypto::KeyPair::generate();
  Handshake ours(Role::kResponder, a, genesis("net"), 0);
  {
    Handshake theirs(Role::kInitiator, b, genesis("other"), 0);
    Status status = ours.read_peer_hello(theirs.hello());
    EXPECT_EQ(status.code(), Code::kFailedPrecondition);
    EXPECT_NE(status.message().find("different network"), std::string::npos);
  }
  Handshake theirs(Role::kInitiator, b, genesis("net"), 0);
  Bytes hello = to_bytes(theirs.hello());
  hello[8] = 2;  // version 2
  Handshake fresh(Role::kResponder, a, genesis("net"), 0);
  EXPECT_EQ(fresh.read_peer_hello(hello).code(), Code::kFailedPrecondition);
  hello = to_bytes(theirs.hello());
  hello[0] = 'X';
  Handshake fresh2(Role::kResponder, a, genesis("net"), 0);
  EXPECT_EQ(fresh2.read_peer_hello(hello).code(), Code::kCorrupt);
  Handshake fresh3(Role::kResponder, a, genesis("net"), 0);
  EXPECT_EQ(fresh3.read_peer_hello(ByteView(hello).first(10)).code(), Code::kCorrupt);
}

TEST(Handshake, RejectsLowOrderEphemeralKey) {
  crypto::KeyPair a = crypto::KeyPair::generate();
  crypto::KeyPair b = crypto::KeyPair::generate();
  Handshake theirs(Role::kInitiator, b, genesis("net"), 0);
  Bytes hello = to_bytes(theirs.hello());
  std::fill(hello.end() - kEphemeralKeyBytes, hello.end(), 0);  // the all-zero point
  Handshake ours(Role::kResponder, a, genesis("net"), 0);
  EXPECT_EQ(ours.read_peer_hello(hello).code(), Code::kCorrupt);
}

// Claiming someone else's node key without their secret key fails verification.
TEST(Handshake, RejectsImpersonation) {
  Pair pair;
  crypto::KeyPair victim = crypto::KeyPair::generate();
  ASSERT_TRUE(pair.responder.read_peer_hello(pair.initiator.hello()).is_ok());
  ASSERT_TRUE(pair.initiator.read_peer_hello(pair.responder.hello()).is_ok());
  AuthParts responder_auth = split_auth(pair.responder.auth_message());
  ASSERT_TRUE(pair.initiator.read_peer_stream_header(responder_auth.header).is_ok());
  ASSERT_TRUE(pair.initiator.read_peer_auth(responder_auth.ciphertext).is_ok());
  // The initiator signs the right transcript with its own key but names the victim.
  AuthPayload forged{victim.public_key(), 0,
                     pair.initiator_key.sign(auth_signed_bytes(
                         Role::kInitiator, pair.initiator.transcript(), victim.public_key(), 0))};
  AuthParts initiator_auth = split_auth(pair.initiator.auth_message(forged));
  ASSERT_TRUE(pair.responder.read_peer_stream_header(initiator_auth.header).is_ok());
  auto result = pair.responder.read_peer_auth(initiator_auth.ciphertext);
  EXPECT_EQ(result.status().code(), Code::kUnauthenticated);
}

// A responder's signature replayed as the initiator's (reflection) fails: the role differs.
TEST(Handshake, RejectsReflectedSignature) {
  Pair pair;
  ASSERT_TRUE(pair.responder.read_peer_hello(pair.initiator.hello()).is_ok());
  ASSERT_TRUE(pair.initiator.read_peer_hello(pair.responder.hello()).is_ok());
  const NodeId& responder_id = pair.responder_key.public_key();
  AuthPayload reflected{responder_id, 0,
                        pair.responder_key.sign(auth_signed_bytes(
                            Role::kResponder, pair.responder.transcript(), responder_id, 0))};
  AuthParts initiator_auth = split_auth(pair.initiator.auth_message(reflected));
  ASSERT_TRUE(pair.responder.read_peer_stream_header(initiator_auth.header).is_ok());
  EXPECT_EQ(pair.responder.read_peer_auth(initiator_auth.ciphertext).status().code(),
            Code::kUnauthenticated);
}

// A signature from another session (other ephemeral keys) does not verify in this one.
TEST(Handshake, RejectsSignatureFromAnotherSession) {
  Pair first;
  AuthPayload seen_by_initiator, seen_by_responder;
  run(first, seen_by_initiator, seen_by_responder);
  Pair second;
  ASSERT_TRUE(second.responder.read_peer_hello(second.initiator.hello()).is_ok());
  ASSERT_TRUE(second.initiator.read_peer_hello(second.responder.hello()).is_ok());
  AuthParts replayed = split_auth(second.initiator.auth_message(seen_by_responder));
  ASSERT_TRUE(second.responder.read_peer_stream_header(replayed.header).is_ok());
  EXPECT_EQ(second.responder.read_peer_auth(replayed.ciphertext).status().code(),
            Code::kUnauthenticated);
}

TEST(Handshake, RejectsTamperedAuthFrame) {
  Pair pair;
  ASSERT_TRUE(pair.responder.read_peer_hello(pair.initiator.hello()).is_ok());
  ASSERT_TRUE(pair.initiator.read_peer_hello(pair.responder.hello()).is_ok());
  AuthParts auth = split_auth(pair.responder.auth_message());
  auth.ciphertext[5] ^= 1;
  ASSERT_TRUE(pair.initiator.read_peer_stream_header(auth.header).is_ok());
  EXPECT_EQ(pair.initiator.read_peer_auth(auth.ciphertext).status().code(), Code::kCorrupt);
}

TEST(Frames, RejectReplayReorderAndTamper) {
  Pair pair;
  AuthPayload a, b;
  run(pair, a, b);
  Bytes first, second;
  pair.initiator.sealer().seal(as_bytes("one"), first);
  pair.initiator.sealer().seal(as_bytes("two"), second);
  Bytes opened;
  // Reordered: the second frame first fails, and the stream is dead afterwards.
  EXPECT_EQ(pair.responder.opener().open(frame_body(second), opened).code(), Code::kCorrupt);

  Pair again;
  run(again, a, b);
  Bytes frame;
  again.initiator.sealer().seal(as_bytes("one"), frame);
  Bytes body = frame_body(frame);
  ASSERT_TRUE(again.responder.opener().open(body, opened).is_ok());
  EXPECT_EQ(again.responder.opener().open(body, opened).code(), Code::kCorrupt);  // replay

  Pair third;
  run(third, a, b);
  Bytes tampered;
  third.initiator.sealer().seal(as_bytes("one"), tampered);
  tampered.back() ^= 0x80;
  EXPECT_EQ(third.responder.opener().open(frame_body(tampered), opened).code(), Code::kCorrupt);
}

TEST(Frames, LengthIsCheckedAgainstTheLimit) {
  auto prefix = [](uint32_t length) {
    return Bytes{uint8_t(length), uint8_t(length >> 8), uint8_t(length >> 16),
                 uint8_t(length >> 24)};
  };
  EXPECT_FALSE(check_frame_length(prefix(0), kFramePlaintextBytesMax).is_ok());
  EXPECT_FALSE(check_frame_length(prefix(kFrameOverheadBytes), kFramePlaintextBytesMax).is_ok());
  EXPECT_EQ(*check_frame_length(prefix(kFrameOverheadBytes + 1), kFramePlaintextBytesMax),
            kFrameOverheadBytes + 1);
  size_t largest = kFramePlaintextBytesMax + kFrameOverheadBytes;
  EXPECT_EQ(*check_frame_length(prefix(uint32_t(largest)), kFramePlaintextBytesMax), largest);
  auto over = check_frame_length(prefix(uint32_t(largest + 1)), kFramePlaintextBytesMax);
  EXPECT_EQ(over.status().code(), Code::kCorrupt);
  EXPECT_NE(over.status().message().find("over the limit"), std::string::npos);
  EXPECT_FALSE(check_frame_length(prefix(0xffffffff), kFramePlaintextBytesMax).is_ok());
  EXPECT_FALSE(check_frame_length(prefix(kAuthBytes + kFrameOverheadBytes + 1),
                                  kHandshakeFramePlaintextBytesMax)
                   .is_ok());
}

// ---- Messages ----

TEST(Messages, ControlRoundTripsAndRejectsUnknownTypes) {
  for (ControlMessage message :
       {ControlMessage{ControlType::kWelcome, 0, {}},
        ControlMessage{ControlType::kGoodbye, 0, "too many peers"},
        ControlMessage{ControlType::kPing, 77, {}}, ControlMessage{ControlType::kPong, 78, {}}}) {
    auto decoded = decode<ControlMessage>(encode(message));
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
    EXPECT_EQ(decoded->type, message.type);
    EXPECT_EQ(decoded->nonce, message.nonce);
    EXPECT_EQ(decoded->reason, message.reason);
  }
  EXPECT_FALSE(decode<ControlMessage>(Bytes{9}).is_ok());
  EXPECT_FALSE(decode<ControlMessage>(Bytes{3, 1, 2}).is_ok());  // truncated ping
  EXPECT_FALSE(decode<ControlMessage>(Bytes{1, 0}).is_ok());     // trailing byte
}

TEST(Messages, PeerExchangeRoundTripsAndIsBounded) {
  PeerExchangeMessage response{PeerExchangeType::kResponse, {}};
  for (int i = 0; i < 3; ++i) {
    response.addresses.push_back(PeerAddress{crypto::KeyPair::generate().public_key(),
                                             Endpoint{"127.0.0.1", uint16_t(7000 + i)}});
  }
  response.addresses.push_back(
      PeerAddress{crypto::KeyPair::generate().public_key(), Endpoint{"::1", 9000}});
  auto decoded = decode<PeerExchangeMessage>(encode(response));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->addresses, response.addresses);

  // A list over the limit, a host name (no resolving for peers) and port 0 are refused.
  Writer too_many;
  too_many.u8(2);
  too_many.u32(kPeerExchangeAddressesMax + 1);
  EXPECT_FALSE(decode<PeerExchangeMessage>(too_many.buffer()).is_ok());
  for (Endpoint bad : {Endpoint{"example.com", 7000}, Endpoint{"127.0.0.1", 0}}) {
    Writer writer;
    writer.u8(2);
    writer.u32(1);
    writer.fixed(crypto::KeyPair::generate().public_key());
    writer.string(bad.host);
    writer.u16(bad.port);
    EXPECT_FALSE(decode<PeerExchangeMessage>(writer.buffer()).is_ok()) << bad.to_string();
  }
}

TEST(Messages, ParsesEndpoints) {
  EXPECT_EQ(*parse_endpoint("127.0.0.1:7000"), (Endpoint{"127.0.0.1", 7000}));
  EXPECT_EQ(*parse_endpoint("[::1]:7000"), (Endpoint{"::1", 7000}));
  EXPECT_EQ(parse_endpoint("[::1]:7000")->to_string(), "[::1]:7000");
  EXPECT_FALSE(parse_endpoint("localhost:7000").is_ok());
  EXPECT_FALSE(parse_endpoint("127.0.0.1").is_ok());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:0").is_ok());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:70000").is_ok());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:7x").is_ok());
}

// ---- Peer book ----

TEST(Backoff, GrowsExponentiallyWithJitterAndCaps) {
  std::mt19937_64 random(1);
  for (uint32_t failures = 0; failures < 40; ++failures) {
    uint64_t full = std::min<uint64_t>(100ull << std::min(failures, 20u), 10'000);
    for (int i = 0; i < 20; ++i) {
      uint64_t delay = backoff_delay_ms(failures, 100, 10'000, random);
      EXPECT_GE(delay, full - full / 2);
      EXPECT_LE(delay, full);
    }
  }
}

TEST(PeerScores, BansAtThresholdDecaysAndExpires) {
  PeerScores scores(PeerScores::Config{100, 60'000, 10, 2});
  NodeId a = crypto::KeyPair::generate().public_key();
  EXPECT_FALSE(scores.penalize(a, 60, 0));
  EXPECT_EQ(scores.points(a, 0), 60u);
  EXPECT_EQ(scores.points(a, 60'000), 50u);  // 10 points a minute
  EXPECT_FALSE(scores.penalize(a, 40, 60'000));
  EXPECT_TRUE(scores.penalize(a, 10, 60'000));
  EXPECT_TRUE(scores.is_banned(a, 60'000));
  EXPECT_FALSE(scores.penalize(a, 1000, 61'000));  // already banned
  EXPECT_TRUE(scores.is_banned(a, 119'999));
  EXPECT_FALSE(scores.is_banned(a, 120'000));
  scores.expire(120'000);
  EXPECT_EQ(scores.bans(), 0u);
  // Bounded: a third node evicts the lowest score.
  NodeId b = crypto::KeyPair::generate().public_key();
  NodeId c = crypto::KeyPair::generate().public_key();
  NodeId d = crypto::KeyPair::generate().public_key();
  EXPECT_FALSE(scores.penalize(b, 5, 0));
  EXPECT_FALSE(scores.penalize(c, 50, 0));
  EXPECT_FALSE(scores.penalize(d, 20, 0));
  EXPECT_EQ(scores.points(b, 0), 0u);
  EXPECT_EQ(scores.points(c, 0), 50u);
}

TEST(AddressBook, BoundedForgetsFailingAndSkipsSelf) {
  NodeId self = crypto::KeyPair::generate().public_key();
  AddressBook book(self, 2);
  NodeId a = crypto::KeyPair::generate().public_key();
  NodeId b = crypto::KeyPair::generate().public_key();
  NodeId c = crypto::KeyPair::generate().public_key();
  EXPECT_FALSE(book.add(PeerAddress{self, Endpoint{"127.0.0.1", 1}}));
  EXPECT_TRUE(book.add(PeerAddress{a, Endpoint{"127.0.0.1", 1}}));
  EXPECT_TRUE(book.add(PeerAddress{b, Endpoint{"127.0.0.1", 2}}));
  EXPECT_FALSE(book.add(PeerAddress{c, Endpoint{"127.0.0.1", 3}}));
  EXPECT_EQ(book.size(), 2u);
  book.record_failure(a, 0, 1'000);
  auto due = book.dial_candidates(500, 10, [](const NodeId&) { return false; });
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].node_id, b);
  EXPECT_EQ(book.dial_candidates(1'000, 10, [](const NodeId&) { return false; }).size(), 2u);
  for (uint32_t i = 1; i < AddressBook::kDialFailuresMax; ++i)
    book.record_failure(a, 0, 1'000);
  EXPECT_FALSE(book.contains(a));
  std::mt19937_64 random(3);
  EXPECT_TRUE(book.sample(10, b, random).empty());
}

}  // namespace
}  // namespace synod::net
