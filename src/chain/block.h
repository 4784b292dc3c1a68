// Block and header. Consensus-critical encodings:
//
//   header: chain_id string | height u64 | previous_hash (32) | time_ms u64 | proposer key (32)
//           | transaction_count u32 | transactions_root (32) | state_root (32)
//           | validator_set_hash (32) | engine_data bytes | last_commit Certificate
//   block:  header | list of transactions
//
// The block hash is tagged_hash("synod/header", header encoding); the header commits to the body
// through transactions_root, the RFC 6962 Merkle root of the transaction ids. state_root is the
// application's authenticated state root after applying this block. last_commit is the commit
// certificate of the previous block (empty at height 1, and for engines without certificates).
// engine_data is opaque to the chain: PoW puts its nonce and target there, PBFT the view.
// Values; thread-safe to read.
#pragma once

#include <vector>

#include "chain/certificate.h"
#include "chain/transaction.h"

namespace synod::chain {

struct BlockHeader {
  std::string chain_id;
  uint64_t height = 0;
  Hash256 previous_hash;
  uint64_t time_ms = 0;
  crypto::PublicKey proposer;
  uint32_t transaction_count = 0;
  Hash256 transactions_root;
  Hash256 state_root;
  Hash256 validator_set_hash;
  Bytes engine_data;
  Certificate last_commit;

  Hash256 hash() const;
  void encode(Writer& writer) const;
  static BlockHeader decode_from(Reader& reader);
  friend bool operator==(const BlockHeader&, const BlockHeader&) = default;
};

struct Block {
  BlockHeader header;
  std::vector<Transaction> transactions;

  Hash256 hash() const { return header.hash(); }
  uint64_t height() const { return header.height; }
  // The Merkle root of the transaction ids, in order.
  Hash256 compute_transactions_root() const;
  // Stateless checks: count and root match the body, every transaction is for this chain.
  // Signatures are checked separately (they are the expensive part and may be cached).
  Status check_body() const;

  void encode(Writer& writer) const;
  static Block decode_from(Reader& reader);
  friend bool operator==(const Block&, const Block&) = default;
};

// Decodes one block, enforcing kBlockBytesMax before decoding.
Result<Block> decode_block(ByteView bytes);

Hash256 transactions_root(const std::vector<Hash256>& transaction_ids);

}  // namespace synod::chain
