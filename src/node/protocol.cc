#include "node/protocol.h"

#include "crypto/hash.h"

namespace synod::node {
namespace {

// The smallest encodings, for list_size's check against the remaining input.
constexpr size_t kCertifiedBlockBytesMin = 200;
constexpr size_t kTransactionBytesMin = 100;

void encode_entry(Writer& writer, const CertifiedBlock& entry) {
  entry.block.encode(writer);
  entry.certificate.encode(writer);
}

}  // namespace

Bytes encode_sync_message(const SyncMessage& message) {
  Writer writer;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, StatusMessage>) {
          writer.u8(static_cast<uint8_t>(SyncType::kStatus));
          writer.u64(m.height);
          writer.fixed(m.tip_hash);
          writer.u64(m.view);
          writer.u8(m.validator ? 1 : 0);
          if (m.validator) {
            writer.fixed(m.validator->key);
            writer.fixed(m.validator->signature);
          }
        } else if constexpr (std::is_same_v<T, GetBlocks>) {
          writer.u8(static_cast<uint8_t>(SyncType::kGetBlocks));
          writer.u64(m.height_from);
          writer.u32(m.count);
        } else {
          writer.u8(static_cast<uint8_t>(SyncType::kBlocks));
          writer.u64(m.height_from);
          writer.list_size(m.blocks.size());
          for (const CertifiedBlock& entry : m.blocks)
            encode_entry(writer, entry);
        }
      },
      message);
  return writer.take();
}

Result<SyncMessage> decode_sync_message(ByteView payload) {
  Reader reader(payload);
  SyncMessage out;
  switch (static_cast<SyncType>(reader.u8())) {
    case SyncType::kStatus: {
      StatusMessage status;
      status.height = reader.u64();
      status.tip_hash = reader.fixed<32>();
      status.view = reader.u64();
      const uint8_t has_validator = reader.u8();
      if (has_validator == 1) {
        ValidatorAttestation attestation;
        attestation.key = reader.fixed<32>();
        attestation.signature = reader.fixed<64>();
        status.validator = attestation;
      } else if (reader.ok() && has_validator != 0) {
        reader.fail("sync: Status validator flag must be 0 or 1");
      }
      out = status;
      break;
    }
    case SyncType::kGetBlocks: {
      GetBlocks request;
      request.height_from = reader.u64();
      request.count = reader.u32();
      if (reader.ok() && (request.count == 0 || request.count > kSyncBatchBlocksMax)) {
        reader.fail("sync: GetBlocks count out of range");
      }
      out = request;
      break;
    }
    case SyncType::kBlocks: {
      BlocksMessage blocks;
      blocks.height_from = reader.u64();
      const size_t count = reader.list_size(kSyncBatchBlocksMax, kCertifiedBlockBytesMin);
      for (size_t i = 0; i < count && reader.ok(); ++i) {
        CertifiedBlock entry;
        entry.block = chain::Block::decode_from(reader);
        entry.certificate = chain::Certificate::decode_from(reader);
        if (reader.ok() && entry.block.height() != blocks.height_from + i) {
          reader.fail("sync: Blocks are not consecutive from height_from");
        }
        blocks.blocks.push_back(std::move(entry));
      }
      out = std::move(blocks);
      break;
    }
    default:
      reader.fail("sync: unknown message type");
  }
  Status status = reader.finish();
  if (!status.is_ok()) return status;
  return out;
}

Bytes encode_certified_block(const CertifiedBlock& entry) {
  Writer writer;
  encode_entry(writer, entry);
  return writer.take();
}

Bytes encode_blocks_message(uint64_t height_from, const std::vector<Bytes>& encoded_entries) {
  SYNOD_ASSERT(encoded_entries.size() <= kSyncBatchBlocksMax);
  size_t bytes = 16;
  for (const Bytes& entry : encoded_entries)
    bytes += entry.size();
  Writer writer(bytes);
  writer.u8(static_cast<uint8_t>(SyncType::kBlocks));
  writer.u64(height_from);
  writer.list_size(encoded_entries.size());
  for (const Bytes& entry : encoded_entries)
    writer.raw(entry);
  return writer.take();
}

Bytes encode_transaction_batch(const std::vector<Bytes>& transactions) {
  SYNOD_ASSERT(transactions.size() <= kGossipBatchTransactionsMax);
  Writer writer;
  writer.u8(static_cast<uint8_t>(GossipType::kTransactions));
  writer.list_size(transactions.size());
  for (const Bytes& tx : transactions)
    writer.bytes(tx);
  return writer.take();
}

namespace {

void encode_ids(Writer& writer, GossipType type, const std::vector<Hash256>& ids) {
  SYNOD_ASSERT(ids.size() <= kGossipIdsMax);
  writer.u8(static_cast<uint8_t>(type));
  writer.list_size(ids.size());
  for (const Hash256& id : ids)
    writer.fixed(id);
}

std::vector<Hash256> decode_ids(Reader& reader) {
  const size_t count = reader.list_size(kGossipIdsMax, Hash256::kSize);
  std::vector<Hash256> ids(count);
  for (size_t i = 0; i < count && reader.ok(); ++i)
    ids[i] = reader.fixed<Hash256::kSize>();
  return ids;
}

}  // namespace

Bytes encode_gossip_message(const GossipMessage& message) {
  if (const auto* batch = std::get_if<TransactionsMessage>(&message)) {
    return encode_transaction_batch(batch->transactions);
  }
  Writer writer;
  if (const auto* announce = std::get_if<AnnounceMessage>(&message)) {
    encode_ids(writer, GossipType::kAnnounce, announce->ids);
  } else {
    encode_ids(writer, GossipType::kRequest, std::get<RequestMessage>(message).ids);
  }
  return writer.take();
}

Result<GossipMessage> decode_gossip_message(ByteView payload) {
  Reader reader(payload);
  const uint8_t type = reader.u8();
  GossipMessage out;
  switch (static_cast<GossipType>(type)) {
    case GossipType::kTransactions: {
      TransactionsMessage batch;
      const size_t count = reader.list_size(kGossipBatchTransactionsMax, kTransactionBytesMin);
      batch.transactions.reserve(count);
      for (size_t i = 0; i < count && reader.ok(); ++i)
        batch.transactions.push_back(reader.bytes(chain::kTransactionBytesMax));
      out = std::move(batch);
      break;
    }
    case GossipType::kAnnounce:
      out = AnnounceMessage{decode_ids(reader)};
      break;
    case GossipType::kRequest:
      out = RequestMessage{decode_ids(reader)};
      break;
    default:
      if (reader.ok()) reader.fail("unknown gossip message type " + std::to_string(type));
  }
  Status status = reader.finish();
  if (!status.is_ok()) return status;
  return out;
}

Hash256 validator_attestation_hash(const Hash256& genesis_hash, const crypto::PublicKey& node_id) {
  Writer writer(64);
  writer.fixed(genesis_hash);
  writer.fixed(node_id);
  return crypto::tagged_hash("synod/node/validator-attestation", writer.buffer());
}

ValidatorAttestation make_validator_attestation(const crypto::KeyPair& validator_key,
                                                const Hash256& genesis_hash,
                                                const crypto::PublicKey& node_id) {
  const Hash256 digest = validator_attestation_hash(genesis_hash, node_id);
  return ValidatorAttestation{validator_key.public_key(), validator_key.sign(digest.data)};
}

bool verify_validator_attestation(const ValidatorAttestation& attestation,
                                  const Hash256& genesis_hash, const crypto::PublicKey& node_id) {
  const Hash256 digest = validator_attestation_hash(genesis_hash, node_id);
  return crypto::verify(attestation.key, digest.data, attestation.signature);
}

}  // namespace synod::node
