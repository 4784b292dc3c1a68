// What nodes say to each other on the transport's block sync and transactions channels (the
// consensus channel carries the engine's own messages untouched). Canonical codec, strict decoding,
// every list bounded by a named limit checked before allocating. Plain values.
//
// Block sync channel, one tag byte then:
//   1 Status     height u64 | tip hash (32) | view u64 | has_validator u8 (0 or 1)
//                 [| validator key (32) | signature (64)]   "I have applied up to height"
//                 A node holding a validator key proves it: the key signs
//                 validator_attestation_hash(genesis hash, the sender's node id), which the
//                 receiver checks against the transport-authenticated sender, so nobody can
//                 claim another node's validator key. Peers' heights, views and validator keys
//                 are what get_status reports (and the explorer shows per validator).
//   2 GetBlocks  height_from u64 | count u32         ask for count blocks from height_from on
//   3 Blocks     height_from u64 | list of (block | certificate)
//                 consecutive heights from height_from; empty when the peer has none of them
// Transactions channel, one tag byte then:
//   1 Transactions  list of transaction encodings (each at most kTransactionBytesMax)
//   2 Announce      list of transaction ids (32 bytes each): "I hold these"
//   3 Request       list of transaction ids: "send me these" (answered with Transactions,
//                   holding those the peer still has)
// A node pushes the transactions its clients submit to every peer in full, and announces by id
// the ones a peer gave it; a peer asks only for the ids it lacks (node_network.cc).
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "base/codec.h"
#include "chain/block.h"
#include "crypto/keys.h"

namespace synod::node {

inline constexpr uint32_t kSyncBatchBlocksMax = 256;
// A Blocks answer stops adding blocks past this many bytes (it always carries at least one).
inline constexpr size_t kSyncResponseBytesMax = 8 * 1024 * 1024;
inline constexpr size_t kGossipBatchTransactionsMax = 1'024;
// A gossip batch is sent once it reaches this many bytes (or at the end of a loop iteration).
inline constexpr size_t kGossipBatchBytesMax = 1024 * 1024;

enum class SyncType : uint8_t { kStatus = 1, kGetBlocks = 2, kBlocks = 3 };

struct ValidatorAttestation {
  crypto::PublicKey key;
  crypto::Signature signature;
  friend bool operator==(const ValidatorAttestation&, const ValidatorAttestation&) = default;
};

struct StatusMessage {
  uint64_t height = 0;
  Hash256 tip_hash;
  uint64_t view = 0;  // the engine's view or round at the sender's deciding height
  std::optional<ValidatorAttestation> validator;
  friend bool operator==(const StatusMessage&, const StatusMessage&) = default;
};

// What a validator key signs to say "node `node_id` speaks for me" on network `genesis_hash`.
Hash256 validator_attestation_hash(const Hash256& genesis_hash, const crypto::PublicKey& node_id);
ValidatorAttestation make_validator_attestation(const crypto::KeyPair& validator_key,
                                                const Hash256& genesis_hash,
                                                const crypto::PublicKey& node_id);
// True when `attestation` is the validator key's signature for `node_id` (untrusted input).
bool verify_validator_attestation(const ValidatorAttestation& attestation,
                                  const Hash256& genesis_hash, const crypto::PublicKey& node_id);

struct GetBlocks {
  uint64_t height_from = 0;
  uint32_t count = 0;  // 1..kSyncBatchBlocksMax
  friend bool operator==(const GetBlocks&, const GetBlocks&) = default;
};

struct CertifiedBlock {
  chain::Block block;
  chain::Certificate certificate;
  friend bool operator==(const CertifiedBlock&, const CertifiedBlock&) = default;
};

struct BlocksMessage {
  uint64_t height_from = 0;
  std::vector<CertifiedBlock> blocks;
  friend bool operator==(const BlocksMessage&, const BlocksMessage&) = default;
};

using SyncMessage = std::variant<StatusMessage, GetBlocks, BlocksMessage>;

Bytes encode_sync_message(const SyncMessage& message);
// kCorrupt for anything that does not decode strictly or breaks a limit.
Result<SyncMessage> decode_sync_message(ByteView payload);

// A Blocks message assembled from entries encoded one at a time (encode_certified_block), so a
// server can stop at kSyncResponseBytesMax without encoding anything twice.
Bytes encode_certified_block(const CertifiedBlock& entry);
Bytes encode_blocks_message(uint64_t height_from, const std::vector<Bytes>& encoded_entries);

enum class GossipType : uint8_t { kTransactions = 1, kAnnounce = 2, kRequest = 3 };
// The most ids in one Announce or Request.
inline constexpr size_t kGossipIdsMax = 4'096;

struct TransactionsMessage {
  std::vector<Bytes> transactions;  // at most kGossipBatchTransactionsMax
  friend bool operator==(const TransactionsMessage&, const TransactionsMessage&) = default;
};
struct AnnounceMessage {
  std::vector<Hash256> ids;  // at most kGossipIdsMax
  friend bool operator==(const AnnounceMessage&, const AnnounceMessage&) = default;
};
struct RequestMessage {
  std::vector<Hash256> ids;  // at most kGossipIdsMax
  friend bool operator==(const RequestMessage&, const RequestMessage&) = default;
};
using GossipMessage = std::variant<TransactionsMessage, AnnounceMessage, RequestMessage>;

Bytes encode_gossip_message(const GossipMessage& message);
// kCorrupt for anything that does not decode strictly or breaks a limit.
Result<GossipMessage> decode_gossip_message(ByteView payload);
// A Transactions message (the common case, without copying into a TransactionsMessage).
Bytes encode_transaction_batch(const std::vector<Bytes>& transactions);

}  // namespace synod::node
