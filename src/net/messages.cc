#include "net/messages.h"

#include <arpa/inet.h>

#include <charconv>

namespace synod::net {
namespace {

bool is_ipv6_literal(const std::string& host) {
  in6_addr address{};
  return inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

bool is_ip_literal(const std::string& host) {
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1 || is_ipv6_literal(host);
}

}  // namespace

std::string_view channel_name(Channel channel) {
  switch (channel) {
    case Channel::kControl:
      return "control";
    case Channel::kConsensus:
      return "consensus";
    case Channel::kTransactions:
      return "transactions";
    case Channel::kBlockSync:
      return "block_sync";
    case Channel::kPeerExchange:
      return "peer_exchange";
  }
  return "unknown";
}

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Status check_endpoint(const Endpoint& endpoint) {
  if (endpoint.host.size() > kHostBytesMax || !is_ip_literal(endpoint.host)) {
    return error(Code::kInvalidArgument, "host '" + endpoint.host.substr(0, kHostBytesMax) +
                                             "' is not an IP address literal");
  }
  if (endpoint.port == 0) return error(Code::kInvalidArgument, "port 0");
  return Status::ok();
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return error(Code::kInvalidArgument, "endpoint '" + std::string(text) + "' has no port");
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string_view port_text = text.substr(colon + 1);
  uint16_t port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size()) {
    return error(Code::kInvalidArgument, "endpoint '" + std::string(text) + "' has a bad port");
  }
  Endpoint endpoint{std::string(host), port};
  SYNOD_TRY(check_endpoint(endpoint));
  return endpoint;
}

void ControlMessage::encode(Writer& writer) const {
  writer.u8(static_cast<uint8_t>(type));
  switch (type) {
    case ControlType::kWelcome:
      break;
    case ControlType::kGoodbye:
      SYNOD_ASSERT(reason.size() <= kReasonBytesMax);
      writer.string(reason);
      break;
    case ControlType::kPing:
    case ControlType::kPong:
      writer.u64(nonce);
      break;
  }
}

ControlMessage ControlMessage::decode_from(Reader& reader) {
  ControlMessage out;
  uint8_t type = reader.u8();
  out.type = static_cast<ControlType>(type);
  switch (out.type) {
    case ControlType::kWelcome:
      break;
    case ControlType::kGoodbye:
      out.reason = reader.string(kReasonBytesMax);
      break;
    case ControlType::kPing:
    case ControlType::kPong:
      out.nonce = reader.u64();
      break;
    default:
      reader.fail("unknown control message type " + std::to_string(type));
  }
  return out;
}

void PeerAddress::encode(Writer& writer) const {
  writer.fixed(node_id);
  writer.string(endpoint.host);
  writer.u16(endpoint.port);
}

PeerAddress PeerAddress::decode_from(Reader& reader) {
  PeerAddress out;
  out.node_id = reader.fixed<32>();
  out.endpoint.host = reader.string(kHostBytesMax);
  out.endpoint.port = reader.u16();
  if (reader.ok()) {
    Status status = check_endpoint(out.endpoint);
    if (!status.is_ok()) reader.fail(status.message());
  }
  return out;
}

void PeerExchangeMessage::encode(Writer& writer) const {
  writer.u8(static_cast<uint8_t>(type));
  if (type != PeerExchangeType::kResponse) return;
  SYNOD_ASSERT(addresses.size() <= kPeerExchangeAddressesMax);
  writer.list_size(addresses.size());
  for (const PeerAddress& address : addresses)
    address.encode(writer);
}

PeerExchangeMessage PeerExchangeMessage::decode_from(Reader& reader) {
  PeerExchangeMessage out;
  uint8_t type = reader.u8();
  out.type = static_cast<PeerExchangeType>(type);
  if (out.type == PeerExchangeType::kRequest) return out;
  if (out.type != PeerExchangeType::kResponse) {
    reader.fail("unknown peer exchange message type " + std::to_string(type));
    return out;
  }
  constexpr size_t kAddressBytesMin = 32 + 4 + 2;
  size_t count = reader.list_size(kPeerExchangeAddressesMax, kAddressBytesMin);
  for (size_t i = 0; i < count && reader.ok(); ++i)
    out.addresses.push_back(PeerAddress::decode_from(reader));
  return out;
}

}  // namespace synod::net
