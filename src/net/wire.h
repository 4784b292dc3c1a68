// The p2p wire protocol with no I/O: the authenticated key exchange (Handshake) and the encrypted,
// length-prefixed frames that follow it (FrameSealer / FrameOpener). Connection (connection.h)
// moves these bytes over a socket; tests drive them in memory.
//
// Handshake: a SIGMA-I style exchange ("SIGMA: the 'SIGn-and-MAc' approach to authenticated
// Diffie-Hellman", Krawczyk 2003, §5.2), laid out like the Noise XX pattern (Perrin, "The Noise
// Protocol Framework", §7.5: -> e; <- e, ee, s; -> s). Ephemeral X25519 keys go in the clear, each
// side then proves its Ed25519 node key by signing the transcript, and sends that proof encrypted
// under the session key: the encryption binds the identity to this session (SIGMA's MAC; it defeats
// the identity-misbinding attack on plain Station-to-Station), and hides node keys from passive
// observers. I is the initiator (dialer), R the responder. All integers are little-endian.
//
//   hello  = "SYNODP2P" (8) || version u16 || genesis_hash (32) || ephemeral X25519 key (32)
//   1. I -> R: hello_I                                         (cleartext, kHelloBytes)
//   2. R -> I: hello_R || header_R || frame(auth_R)            (R closes after hello_R when the
//                                                               genesis or version differ)
//   3. I -> R: header_I || frame(auth_I)                       (only when I accepts R's identity)
//   4. R -> I: frame(control Welcome) or frame(control Goodbye{reason}), then normal frames.
//
//   session keys  = crypto_kx (X25519, then BLAKE2b-512(shared || e_I || e_R) split into rx/tx);
//                   I is the kx client, R the server; one key per direction.
//   header_X      = the 24-byte header of X's crypto_secretstream_xchacha20poly1305 push stream,
//                   keyed with X's transmit key. Every later byte X sends is a frame of this
//                   stream.
//   transcript    = SHA-256("synod/p2p/transcript/v1" || hello_I || hello_R)
//   auth_X        = node_key (32) || listen_port u16 || signature (64), exactly kAuthBytes
//   signature     = Ed25519(node_key, "synod/p2p/auth/v1" || role u8 (0 = I, 1 = R) || transcript
//                            || node_key || listen_port u16)
//   frame         = length u32 || secretstream ciphertext (length bytes, tag MESSAGE)
//
// The transcript covers both ephemeral keys, the protocol version and the genesis hash of both
// sides, so a signature cannot be replayed into another session, another network or another
// version; the role byte stops a signature being reflected back to its sender. Secretstream gives
// each direction ordering, replay and truncation protection (no frame can be dropped, repeated or
// reordered without the next decryption failing). The frame length is in the clear but checked
// against the limit before any allocation; tampering with it makes decryption fail.
//
// Thread-safety: none of these classes is thread-safe; one connection owns each.
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/codec.h"
#include "chain/limits.h"
#include "crypto/keys.h"

namespace synod::net {

// A node's network identity: its Ed25519 node public key.
using NodeId = crypto::PublicKey;

inline constexpr std::string_view kMagic = "SYNODP2P";
inline constexpr uint16_t kProtocolVersion = 1;

inline constexpr size_t kEphemeralKeyBytes = crypto_kx_PUBLICKEYBYTES;
inline constexpr size_t kHelloBytes = 8 + 2 + 32 + kEphemeralKeyBytes;
inline constexpr size_t kStreamHeaderBytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
inline constexpr size_t kFrameLengthBytes = 4;
inline constexpr size_t kFrameOverheadBytes = crypto_secretstream_xchacha20poly1305_ABYTES;
inline constexpr size_t kAuthBytes = 32 + 2 + 64;

// The largest frame plaintext (channel byte + payload): room for a 16 MiB block plus its
// envelope. Checked against the length prefix before the body is read or allocated.
inline constexpr size_t kFramePlaintextBytesMax = 17 * 1024 * 1024;
inline constexpr size_t kPayloadBytesMax = kFramePlaintextBytesMax - 1;
static_assert(kPayloadBytesMax >= chain::kBlockBytesMax + 64 * 1024,
              "a frame must carry the largest consensus message (a block plus its envelope)");
// During the handshake the only frame is the auth message.
inline constexpr size_t kHandshakeFramePlaintextBytesMax = kAuthBytes;

enum class Role : uint8_t { kInitiator = 0, kResponder = 1 };

// Parses a frame's length prefix and checks it against `plaintext_bytes_max` before the caller
// allocates: returns the ciphertext length to read, or kCorrupt when it is too short to hold a
// tag and one byte, or too long.
Result<size_t> check_frame_length(ByteView prefix, size_t plaintext_bytes_max);

// The sending half of one direction: seals plaintexts into frames of one secretstream.
class FrameSealer {
 public:
  FrameSealer() = default;
  FrameSealer(const FrameSealer&) = default;
  FrameSealer& operator=(const FrameSealer&) = default;
  ~FrameSealer();
  // Starts the stream with `key`; returns the header the peer needs to open it.
  std::array<uint8_t, kStreamHeaderBytes> init(const std::array<uint8_t, 32>& key);
  // Appends length || ciphertext to `out`. `plaintext` must be 1..kFramePlaintextBytesMax bytes.
  void seal(ByteView plaintext, Bytes& out);
  bool ready() const { return ready_; }

 private:
  crypto_secretstream_xchacha20poly1305_state state_{};
  bool ready_ = false;
};

// The receiving half of one direction.
class FrameOpener {
 public:
  FrameOpener() = default;
  FrameOpener(const FrameOpener&) = default;
  FrameOpener& operator=(const FrameOpener&) = default;
  ~FrameOpener();
  Status init(const std::array<uint8_t, 32>& key, ByteView header);
  // Decrypts the ciphertext of one frame (what follows the length prefix) into `plaintext`
  // (replacing its contents). kCorrupt when authentication fails or the tag is not MESSAGE;
  // after a failure the stream is unusable and the connection must be closed.
  Status open(ByteView ciphertext, Bytes& plaintext);
  bool ready() const { return ready_; }

 private:
  crypto_secretstream_xchacha20poly1305_state state_{};
  bool ready_ = false;
};

// What a peer proved about itself in the handshake.
struct AuthPayload {
  NodeId node_id;
  uint16_t listen_port = 0;  // 0: the peer does not accept connections
  crypto::Signature signature;

  void encode(Writer& writer) const;
  static AuthPayload decode_from(Reader& reader);
};

// The bytes a node signs to prove its key in one session (see the header comment).
Bytes auth_signed_bytes(Role role, const Hash256& transcript, const NodeId& node_id,
                        uint16_t listen_port);

// One side of the handshake, as a state machine driven by the caller in this order:
//   initiator: hello() → read_peer_hello → read_peer_stream_header → read_peer_auth
//              → auth_message()   (only after accepting the responder's identity)
//   responder: read_peer_hello → hello() + auth_message() → read_peer_stream_header
//              → read_peer_auth
// Every read_* returns an error naming the problem; after an error the handshake is dead.
// The KeyPair is borrowed and must outlive the Handshake.
class Handshake {
 public:
  Handshake(Role role, const crypto::KeyPair& node_key, const Hash256& genesis_hash,
            uint16_t listen_port);
  ~Handshake();
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;

  Role role() const { return role_; }
  // Our cleartext hello (kHelloBytes).
  ByteView hello() const { return ByteView(hello_.data(), hello_.size()); }
  // Checks the peer's magic, version and genesis hash, then derives the session keys.
  // kFailedPrecondition for a different network or version, kCorrupt for bad bytes.
  Status read_peer_hello(ByteView hello);
  // header || frame(auth) signed with our node key. Requires a successful read_peer_hello.
  Bytes auth_message();
  // The same with a caller-chosen payload (tests use it to forge identities).
  Bytes auth_message(const AuthPayload& payload);
  Status read_peer_stream_header(ByteView header);
  // Decrypts and verifies the peer's auth frame (the ciphertext after the length prefix).
  // kUnauthenticated for a bad signature.
  Result<AuthPayload> read_peer_auth(ByteView ciphertext);

  // Available after read_peer_hello.
  const Hash256& transcript() const { return transcript_; }
  // The two halves of the session, to move into the connection once the handshake is done.
  FrameSealer& sealer() { return sealer_; }
  FrameOpener& opener() { return opener_; }

 private:
  const Role role_;
  const crypto::KeyPair& node_key_;
  const Hash256 genesis_hash_;
  const uint16_t listen_port_;
  std::array<uint8_t, kHelloBytes> hello_{};
  std::array<uint8_t, crypto_kx_SECRETKEYBYTES> ephemeral_secret_{};
  std::array<uint8_t, 32> key_receive_{};
  std::array<uint8_t, 32> key_transmit_{};
  Hash256 transcript_;
  bool keys_ready_ = false;
  FrameSealer sealer_;
  FrameOpener opener_;
};

}  // namespace synod::net
