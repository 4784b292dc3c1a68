#include "net/wire.h"

#include <cstring>

#include "crypto/hash.h"

namespace synod::net {
namespace {

constexpr std::string_view kTranscriptTag = "synod/p2p/transcript/v1";
constexpr std::string_view kAuthTag = "synod/p2p/auth/v1";
constexpr size_t kMagicBytes = 8;
static_assert(kMagic.size() == kMagicBytes);

uint32_t read_u32_le(ByteView bytes) {
  return uint32_t{bytes[0]} | uint32_t{bytes[1]} << 8 | uint32_t{bytes[2]} << 16 |
         uint32_t{bytes[3]} << 24;
}

}  // namespace

Result<size_t> check_frame_length(ByteView prefix, size_t plaintext_bytes_max) {
  SYNOD_ASSERT(prefix.size() == kFrameLengthBytes);
  size_t length = read_u32_le(prefix);
  if (length < kFrameOverheadBytes + 1) {
    return error(Code::kCorrupt,
                 "frame of " + std::to_string(length) + " bytes is too short for a tag and a byte");
  }
  if (length > plaintext_bytes_max + kFrameOverheadBytes) {
    return error(Code::kCorrupt, "frame of " + std::to_string(length) + " bytes over the limit " +
                                     std::to_string(plaintext_bytes_max + kFrameOverheadBytes));
  }
  return length;
}

// ---- FrameSealer / FrameOpener ----

FrameSealer::~FrameSealer() {
  sodium_memzero(&state_, sizeof(state_));
}

std::array<uint8_t, kStreamHeaderBytes> FrameSealer::init(const std::array<uint8_t, 32>& key) {
  std::array<uint8_t, kStreamHeaderBytes> header{};
  crypto_secretstream_xchacha20poly1305_init_push(&state_, header.data(), key.data());
  ready_ = true;
  return header;
}

void FrameSealer::seal(ByteView plaintext, Bytes& out) {
  SYNOD_ASSERT(ready_);
  SYNOD_ASSERT(!plaintext.empty() && plaintext.size() <= kFramePlaintextBytesMax);
  size_t length = plaintext.size() + kFrameOverheadBytes;
  size_t at = out.size();
  out.resize(at + kFrameLengthBytes + length);
  for (size_t i = 0; i < kFrameLengthBytes; ++i)
    out[at + i] = static_cast<uint8_t>(length >> (8 * i));
  unsigned long long written = 0;
  int rc = crypto_secretstream_xchacha20poly1305_push(
      &state_, out.data() + at + kFrameLengthBytes, &written, plaintext.data(), plaintext.size(),
      nullptr, 0, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  SYNOD_ASSERT(rc == 0 && written == length);
}

FrameOpener::~FrameOpener() {
  sodium_memzero(&state_, sizeof(state_));
}

Status FrameOpener::init(const std::array<uint8_t, 32>& key, ByteView header) {
  if (header.size() != kStreamHeaderBytes) {
    return error(Code::kCorrupt, "stream header of " + std::to_string(header.size()) + " bytes");
  }
  if (crypto_secretstream_xchacha20poly1305_init_pull(&state_, header.data(), key.data()) != 0) {
    return error(Code::kCorrupt, "invalid stream header");
  }
  ready_ = true;
  return Status::ok();
}

Status FrameOpener::open(ByteView ciphertext, Bytes& plaintext) {
  SYNOD_ASSERT(ready_);
  if (ciphertext.size() <= kFrameOverheadBytes) {
    return error(Code::kCorrupt, "frame too short");
  }
  plaintext.resize(ciphertext.size() - kFrameOverheadBytes);
  unsigned long long length = 0;
  unsigned char tag = 0;
  int rc = crypto_secretstream_xchacha20poly1305_pull(
      &state_, plaintext.data(), &length, &tag, ciphertext.data(), ciphertext.size(), nullptr, 0);
  if (rc != 0) {
    ready_ = false;
    return error(Code::kCorrupt, "frame failed authentication");
  }
  if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
    ready_ = false;
    return error(Code::kCorrupt, "frame with unexpected stream tag " + std::to_string(tag));
  }
  SYNOD_ASSERT(length == plaintext.size());
  return Status::ok();
}

// ---- AuthPayload ----

void AuthPayload::encode(Writer& writer) const {
  writer.fixed(node_id);
  writer.u16(listen_port);
  writer.fixed(signature);
}

AuthPayload AuthPayload::decode_from(Reader& reader) {
  AuthPayload out;
  out.node_id = reader.fixed<32>();
  out.listen_port = reader.u16();
  out.signature = reader.fixed<64>();
  return out;
}

Bytes auth_signed_bytes(Role role, const Hash256& transcript, const NodeId& node_id,
                        uint16_t listen_port) {
  Writer writer(kAuthTag.size() + 1 + 32 + 32 + 2);
  writer.raw(as_bytes(kAuthTag));
  writer.u8(static_cast<uint8_t>(role));
  writer.fixed(transcript);
  writer.fixed(node_id);
  writer.u16(listen_port);
  return writer.take();
}

// ---- Handshake ----

Handshake::Handshake(Role role, const crypto::KeyPair& node_key, const Hash256& genesis_hash,
                     uint16_t listen_port)
    : role_(role), node_key_(node_key), genesis_hash_(genesis_hash), listen_port_(listen_port) {
  crypto::ensure_initialised();
  std::array<uint8_t, kEphemeralKeyBytes> ephemeral_public{};
  crypto_kx_keypair(ephemeral_public.data(), ephemeral_secret_.data());
  Writer writer(kHelloBytes);
  writer.raw(as_bytes(kMagic));
  writer.u16(kProtocolVersion);
  writer.fixed(genesis_hash_);
  writer.raw(ByteView(ephemeral_public.data(), ephemeral_public.size()));
  SYNOD_ASSERT(writer.size() == kHelloBytes);
  std::memcpy(hello_.data(), writer.buffer().data(), kHelloBytes);
}

Handshake::~Handshake() {
  sodium_memzero(ephemeral_secret_.data(), ephemeral_secret_.size());
  sodium_memzero(key_receive_.data(), key_receive_.size());
  sodium_memzero(key_transmit_.data(), key_transmit_.size());
}

Status Handshake::read_peer_hello(ByteView hello) {
  SYNOD_ASSERT(!keys_ready_);
  if (hello.size() != kHelloBytes) {
    return error(Code::kCorrupt, "hello of " + std::to_string(hello.size()) + " bytes");
  }
  Reader reader(hello);
  ByteView magic = reader.raw(kMagicBytes);
  uint16_t version = reader.u16();
  Hash256 genesis = reader.fixed<32>();
  ByteView ephemeral = reader.raw(kEphemeralKeyBytes);
  SYNOD_TRY(reader.finish());
  if (as_string_view(magic) != kMagic) return error(Code::kCorrupt, "not a synod p2p hello");
  if (version != kProtocolVersion) {
    return error(Code::kFailedPrecondition, "protocol version " + std::to_string(version) +
                                                ", expected " + std::to_string(kProtocolVersion));
  }
  if (genesis != genesis_hash_) {
    return error(Code::kFailedPrecondition,
                 "different network: genesis " + genesis.hex() + ", ours " + genesis_hash_.hex());
  }
  const uint8_t* own_public = hello_.data() + kHelloBytes - kEphemeralKeyBytes;
  int rc =
      role_ == Role::kInitiator
          ? crypto_kx_client_session_keys(key_receive_.data(), key_transmit_.data(), own_public,
                                          ephemeral_secret_.data(), ephemeral.data())
          : crypto_kx_server_session_keys(key_receive_.data(), key_transmit_.data(), own_public,
                                          ephemeral_secret_.data(), ephemeral.data());
  sodium_memzero(ephemeral_secret_.data(), ephemeral_secret_.size());
  if (rc != 0) return error(Code::kCorrupt, "peer's ephemeral key is invalid");
  ByteView hello_initiator = role_ == Role::kInitiator ? this->hello() : hello;
  ByteView hello_responder = role_ == Role::kInitiator ? hello : this->hello();
  transcript_ = crypto::Sha256()
                    .update(kTranscriptTag)
                    .update(hello_initiator)
                    .update(hello_responder)
                    .finish();
  keys_ready_ = true;
  return Status::ok();
}

Bytes Handshake::auth_message() {
  SYNOD_ASSERT(keys_ready_);
  const NodeId& node_id = node_key_.public_key();
  AuthPayload payload{node_id, listen_port_,
                      node_key_.sign(auth_signed_bytes(role_, transcript_, node_id, listen_port_))};
  return auth_message(payload);
}

Bytes Handshake::auth_message(const AuthPayload& payload) {
  SYNOD_ASSERT(keys_ready_ && !sealer_.ready());
  auto header = sealer_.init(key_transmit_);
  sodium_memzero(key_transmit_.data(), key_transmit_.size());
  Bytes out(header.begin(), header.end());
  Bytes plaintext = encode(payload);
  SYNOD_ASSERT(plaintext.size() == kAuthBytes);
  sealer_.seal(plaintext, out);
  return out;
}

Status Handshake::read_peer_stream_header(ByteView header) {
  SYNOD_ASSERT(keys_ready_ && !opener_.ready());
  Status status = opener_.init(key_receive_, header);
  sodium_memzero(key_receive_.data(), key_receive_.size());
  return status;
}

Result<AuthPayload> Handshake::read_peer_auth(ByteView ciphertext) {
  SYNOD_ASSERT(opener_.ready());
  Bytes plaintext;
  SYNOD_TRY(opener_.open(ciphertext, plaintext).with_context("auth"));
  if (plaintext.size() != kAuthBytes) {
    return error(Code::kCorrupt, "auth of " + std::to_string(plaintext.size()) + " bytes");
  }
  SYNOD_ASSIGN_OR_RETURN(AuthPayload payload, decode<AuthPayload>(plaintext));
  Role peer_role = role_ == Role::kInitiator ? Role::kResponder : Role::kInitiator;
  Bytes signed_bytes =
      auth_signed_bytes(peer_role, transcript_, payload.node_id, payload.listen_port);
  if (!crypto::verify(payload.node_id, signed_bytes, payload.signature)) {
    return error(Code::kUnauthenticated,
                 "bad handshake signature for node key " + payload.node_id.hex());
  }
  return payload;
}

}  // namespace synod::net
