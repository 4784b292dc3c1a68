// What a frame carries after the handshake: one channel byte, then that channel's payload.
//
//   frame plaintext = channel u8 || payload
//
// The application channels (consensus, transactions, block sync) are opaque to the transport and
// delivered to the node. The transport keeps two channels for itself: control (Welcome, Goodbye,
// Ping, Pong) and peer exchange (a request for known addresses and its bounded answer). Their
// payloads use the canonical codec (base/codec.h) and decode strictly; anything else on the wire
// is a protocol violation. Plain values; no thread-safety concerns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/codec.h"
#include "net/wire.h"

namespace synod::net {

enum class Channel : uint8_t {
  kControl = 0,  // transport only
  kConsensus = 1,
  kTransactions = 2,
  kBlockSync = 3,
  kPeerExchange = 4,  // transport only
};

// The channels a node may send on and receive from the transport.
inline bool is_application_channel(uint8_t channel) {
  return channel >= static_cast<uint8_t>(Channel::kConsensus) &&
         channel <= static_cast<uint8_t>(Channel::kBlockSync);
}
std::string_view channel_name(Channel channel);

inline constexpr size_t kReasonBytesMax = 256;
inline constexpr size_t kHostBytesMax = 64;  // an IPv4 or IPv6 literal
inline constexpr size_t kPeerExchangeAddressesMax = 32;

// A host (an IP address literal: peers never make a node resolve names) and a TCP port.
struct Endpoint {
  std::string host;
  uint16_t port = 0;

  std::string to_string() const;  // "127.0.0.1:7000", "[::1]:7000"
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};
// Parses "ip:port" or "[ipv6]:port"; the host must be an IP literal and the port non-zero.
Result<Endpoint> parse_endpoint(std::string_view text);
// kInvalidArgument unless `host` is an IP literal of at most kHostBytesMax bytes and port != 0.
Status check_endpoint(const Endpoint& endpoint);

enum class ControlType : uint8_t { kWelcome = 1, kGoodbye = 2, kPing = 3, kPong = 4 };

// Welcome: the responder accepted the handshake. Goodbye: the sender is closing, and why.
// Ping/Pong: keepalive; the pong echoes the ping's nonce.
struct ControlMessage {
  ControlType type = ControlType::kPing;
  uint64_t nonce = 0;  // Ping, Pong
  std::string reason;  // Goodbye, at most kReasonBytesMax bytes

  void encode(Writer& writer) const;
  static ControlMessage decode_from(Reader& reader);
};

// A peer a node knows, as the node that shares it saw it. The node key is only a claim until a
// handshake with that address proves it.
struct PeerAddress {
  NodeId node_id;
  Endpoint endpoint;

  void encode(Writer& writer) const;
  static PeerAddress decode_from(Reader& reader);
  friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

enum class PeerExchangeType : uint8_t { kRequest = 1, kResponse = 2 };

struct PeerExchangeMessage {
  PeerExchangeType type = PeerExchangeType::kRequest;
  std::vector<PeerAddress> addresses;  // Response only; at most kPeerExchangeAddressesMax

  void encode(Writer& writer) const;
  static PeerExchangeMessage decode_from(Reader& reader);
};

// channel || encoded message, ready for FrameSealer::seal.
template <typename Message>
Bytes frame_plaintext(Channel channel, const Message& message) {
  Writer writer;
  writer.u8(static_cast<uint8_t>(channel));
  message.encode(writer);
  return writer.take();
}

}  // namespace synod::net
