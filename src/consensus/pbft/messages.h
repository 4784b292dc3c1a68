// PBFT wire messages (Castro & Liskov, "Practical Byzantine Fault Tolerance", OSDI'99, §4; the
// TOCS'02 paper for the view-change proofs), adapted to one block per height. Every message is
// signed by a validator key; the signature covers a tagged digest that includes the chain id, so a
// message cannot be replayed on another network or read as another kind.
//
// Encodings (base/codec.h; u8 type tag first; signer = 32-byte public key, signature = 64 bytes):
//
//   PRE-PREPARE   1 | height u64 | view u64 | block | signer | signature
//   PREPARE       2 | height u64 | view u64 | block_hash | signer | signature
//   COMMIT        3 | height u64 | view u64 | block_hash | signer | signature
//   VIEW-CHANGE   4 | height u64 | new_view u64 | prepared: bool [view u64 | block_hash]
//                   | signer | signature
//                   | prepares: list<(validator_index u32 | signature)> | block: bool [block]
//   NEW-VIEW      5 | height u64 | new_view u64
//                   | view_changes: list<(validator_index u32 | prepared: bool [view u64 |
//                     block_hash] | signature)>
//                   | proof: bool [view u64 | block_hash | list<(validator_index u32 | signature)>]
//                   | signer | signature
//   SYNC-REQUEST  6 | height_from u64 | count u32 | signer | signature
//   SYNC-RESPONSE 7 | entries: list<(block | certificate)> | signer | signature
//
// Signed digests (tagged_hash(tag, chain_id string | fields)):
//   PRE-PREPARE   "synod/pbft/pre-prepare"  height | view | block hash
//   PREPARE       "synod/pbft/prepare"      height | view | block_hash
//   COMMIT        chain::commit_signing_hash(chain_id, height, view, block_hash), so commit
//                 signatures form a chain::Certificate as they are
//   VIEW-CHANGE   "synod/pbft/view-change"  height | new_view | prepared claim; the prepares and
//                 block after the signature prove the claim and are checked on their own
//   NEW-VIEW      "synod/pbft/new-view"     everything between the type and the signer
//   SYNC-REQUEST  "synod/pbft/sync-request" height_from | count
//   SYNC-RESPONSE "synod/pbft/sync-response" per entry: block hash | certificate
//
// Decoding is strict: lists are bounded and validator indexes strictly increase; a VIEW-CHANGE
// carries prepares and a block exactly when it claims a prepared block, the block's hash matches
// the claim, and the claimed view is below the new view. Values; thread-safe to read.
#pragma once

#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "chain/block.h"
#include "crypto/keys.h"

namespace synod::consensus::pbft {

enum class MessageType : uint8_t {
  kPrePrepare = 1,
  kPrepare = 2,
  kCommit = 3,
  kViewChange = 4,
  kNewView = 5,
  kSyncRequest = 6,
  kSyncResponse = 7,
};
std::string_view message_type_name(MessageType type);

// The most blocks one SYNC-RESPONSE carries (it also stays under kMessageBytesMax).
inline constexpr uint32_t kSyncBlocksMax = 16;

// Who signed a message, and the signature.
struct Signed {
  crypto::PublicKey signer;
  crypto::Signature signature;
  friend bool operator==(const Signed&, const Signed&) = default;
};

// §4.2: the primary assigns `block` to (height, view).
struct PrePrepare {
  uint64_t height = 0;
  uint64_t view = 0;
  chain::Block block;
  Signed sig;
  Hash256 signing_hash(std::string_view chain_id) const;
  friend bool operator==(const PrePrepare&, const PrePrepare&) = default;
};

// §4.2: PREPARE and COMMIT have the same shape; `type` tells which.
struct Vote {
  MessageType type = MessageType::kPrepare;
  uint64_t height = 0;
  uint64_t view = 0;
  Hash256 block_hash;
  Signed sig;
  Hash256 signing_hash(std::string_view chain_id) const;
  friend bool operator==(const Vote&, const Vote&) = default;
};

// The digest a PREPARE signs; a prepared certificate is a quorum of signatures over it.
Hash256 prepare_signing_hash(std::string_view chain_id, uint64_t height, uint64_t view,
                             const Hash256& block_hash);

// "I prepared block_hash in view" (the P set of §4.4, one entry since a height has one slot).
struct PreparedClaim {
  uint64_t view = 0;
  Hash256 block_hash;
  friend bool operator==(const PreparedClaim&, const PreparedClaim&) = default;
};

// A prepared certificate: a quorum of PREPARE signatures for (height, view, block_hash).
struct PreparedProof {
  PreparedClaim claim;
  std::vector<chain::CommitSignature> prepares;  // strictly increasing validator index
  friend bool operator==(const PreparedProof&, const PreparedProof&) = default;
};

// §4.4: "move me to new_view; the highest block I prepared at this height is `prepared`".
struct ViewChange {
  uint64_t height = 0;
  uint64_t new_view = 0;
  std::optional<PreparedClaim> prepared;
  Signed sig;
  // Present exactly when `prepared` is: the proof of the claim and the block itself, so the new
  // primary can re-propose it without having seen the pre-prepare.
  std::vector<chain::CommitSignature> prepares;
  std::optional<chain::Block> block;
  Hash256 signing_hash(std::string_view chain_id) const;
  friend bool operator==(const ViewChange&, const ViewChange&) = default;
};

// One VIEW-CHANGE as it travels inside a NEW-VIEW: the signed claim without its proof.
struct ViewChangeSummary {
  uint32_t validator_index = 0;
  std::optional<PreparedClaim> prepared;
  crypto::Signature signature;
  friend bool operator==(const ViewChangeSummary&, const ViewChangeSummary&) = default;
};

// §4.4: the new primary's proof that a quorum asked for new_view, and the proof of the highest
// prepared claim among them (absent when none claims one). The block to re-propose follows in
// a PRE-PREPARE for new_view.
struct NewView {
  uint64_t height = 0;
  uint64_t new_view = 0;
  std::vector<ViewChangeSummary> view_changes;  // strictly increasing validator index
  std::optional<PreparedProof> proof;
  Signed sig;
  Hash256 signing_hash(std::string_view chain_id) const;
  friend bool operator==(const NewView&, const NewView&) = default;
};

// Catch-up: "send me the committed blocks from height_from on, at most count".
struct SyncRequest {
  uint64_t height_from = 0;
  uint32_t count = 0;
  Signed sig;
  Hash256 signing_hash(std::string_view chain_id) const;
  friend bool operator==(const SyncRequest&, const SyncRequest&) = default;
};

struct SyncEntry {
  chain::Block block;
  chain::Certificate certificate;
  friend bool operator==(const SyncEntry&, const SyncEntry&) = default;
};

// Committed blocks in increasing consecutive heights, each with its commit certificate.
struct SyncResponse {
  std::vector<SyncEntry> entries;
  Signed sig;
  Hash256 signing_hash(std::string_view chain_id) const;
  friend bool operator==(const SyncResponse&, const SyncResponse&) = default;
};

using Message = std::variant<PrePrepare, Vote, ViewChange, NewView, SyncRequest, SyncResponse>;

MessageType message_type(const Message& message);
const Signed& message_signed(const Message& message);
// The height a message is about (height_from for a SYNC-REQUEST, the first entry's for a
// SYNC-RESPONSE, 0 if it has none).
uint64_t message_height(const Message& message);
Hash256 message_signing_hash(const Message& message, std::string_view chain_id);

Bytes encode_message(const Message& message);
// Strict decoding; checks the size against kMessageBytesMax before anything else. Does not check
// signatures (see verify_message_signature).
Result<Message> decode_message(ByteView payload);

// Signs `message` in place with `key` (sets signer and signature).
void sign_message(Message& message, std::string_view chain_id, const crypto::KeyPair& key);
bool verify_message_signature(const Message& message, std::string_view chain_id);

// One line for logs and test transcripts, e.g. "PREPARE h=3 v=0 9f3a01bc".
std::string describe_message(const Message& message);

}  // namespace synod::consensus::pbft
