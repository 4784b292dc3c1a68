#include "chain/block.h"

#include "crypto/hash.h"
#include "crypto/merkle.h"

namespace synod::chain {

void BlockHeader::encode(Writer& writer) const {
  writer.string(chain_id);
  writer.u64(height);
  writer.fixed(previous_hash);
  writer.u64(time_ms);
  writer.fixed(proposer);
  writer.u32(transaction_count);
  writer.fixed(transactions_root);
  writer.fixed(state_root);
  writer.fixed(validator_set_hash);
  writer.bytes(engine_data);
  last_commit.encode(writer);
}

BlockHeader BlockHeader::decode_from(Reader& reader) {
  BlockHeader header;
  header.chain_id = reader.string(kChainIdBytesMax);
  header.height = reader.u64();
  header.previous_hash = reader.fixed<32>();
  header.time_ms = reader.u64();
  header.proposer = reader.fixed<32>();
  header.transaction_count = reader.u32();
  header.transactions_root = reader.fixed<32>();
  header.state_root = reader.fixed<32>();
  header.validator_set_hash = reader.fixed<32>();
  header.engine_data = reader.bytes(kEngineDataBytesMax);
  header.last_commit = Certificate::decode_from(reader);
  return header;
}

Hash256 BlockHeader::hash() const {
  Writer writer(512);
  encode(writer);
  return crypto::tagged_hash("synod/header", writer.buffer());
}

Hash256 transactions_root(const std::vector<Hash256>& transaction_ids) {
  std::vector<Hash256> leaves;
  leaves.reserve(transaction_ids.size());
  for (const Hash256& id : transaction_ids)
    leaves.push_back(crypto::merkle_leaf_hash(id.view()));
  return crypto::merkle_root(leaves);
}

Hash256 Block::compute_transactions_root() const {
  std::vector<Hash256> ids;
  ids.reserve(transactions.size());
  for (const Transaction& tx : transactions)
    ids.push_back(tx.id());
  return transactions_root(ids);
}

Status Block::check_body() const {
  if (header.transaction_count != transactions.size()) {
    return error(Code::kCorrupt, "header counts " + std::to_string(header.transaction_count) +
                                     " transactions, body has " +
                                     std::to_string(transactions.size()));
  }
  for (const Transaction& tx : transactions) {
    if (tx.chain_id != header.chain_id) {
      return error(Code::kInvalidArgument,
                   "block holds a transaction for chain '" + tx.chain_id + "'");
    }
  }
  if (compute_transactions_root() != header.transactions_root) {
    return error(Code::kCorrupt, "transactions root does not match the body");
  }
  return Status::ok();
}

void Block::encode(Writer& writer) const {
  header.encode(writer);
  writer.list_size(transactions.size());
  for (const Transaction& tx : transactions)
    tx.encode(writer);
}

Block Block::decode_from(Reader& reader) {
  Block block;
  block.header = BlockHeader::decode_from(reader);
  // A transfer is the smallest transaction: well over 100 bytes.
  size_t count = reader.list_size(kBlockTransactionsMax, 100);
  block.transactions.reserve(count);
  for (size_t i = 0; i < count && reader.ok(); ++i) {
    block.transactions.push_back(Transaction::decode_from(reader));
  }
  return block;
}

Result<Block> decode_block(ByteView bytes) {
  if (bytes.size() > kBlockBytesMax) {
    return error(Code::kInvalidArgument, "block of " + std::to_string(bytes.size()) +
                                             " bytes is over the limit of " +
                                             std::to_string(kBlockBytesMax));
  }
  return decode<Block>(bytes);
}

}  // namespace synod::chain
