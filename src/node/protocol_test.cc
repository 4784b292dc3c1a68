#include "node/protocol.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"

namespace synod::node {
namespace {

CertifiedBlock entry_at(uint64_t height) {
  CertifiedBlock entry;
  entry.block.header.chain_id = "synod-test";
  entry.block.header.height = height;
  entry.block.header.time_ms = 1000 + height;
  entry.block.header.transactions_root = entry.block.compute_transactions_root();
  entry.certificate.height = height;
  entry.certificate.block_hash = entry.block.hash();
  return entry;
}

TEST(ProtocolTest, SyncMessagesRoundTrip) {
  const Hash256 tip = crypto::sha256(as_bytes("tip"));
  for (const SyncMessage& message :
       {SyncMessage{StatusMessage{42, tip, 0, std::nullopt}}, SyncMessage{GetBlocks{7, 16}},
        SyncMessage{BlocksMessage{5, {entry_at(5), entry_at(6)}}},
        SyncMessage{BlocksMessage{9, {}}}}) {
    const Bytes encoded = encode_sync_message(message);
    auto decoded = decode_sync_message(encoded);
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, message);
  }
  std::vector<Bytes> entries = {encode_certified_block(entry_at(3)),
                                encode_certified_block(entry_at(4))};
  EXPECT_EQ(encode_blocks_message(3, entries),
            encode_sync_message(BlocksMessage{3, {entry_at(3), entry_at(4)}}));
}

TEST(ProtocolTest, StatusCarriesAViewAndAProvenValidatorKey) {
  const Hash256 genesis = crypto::sha256(as_bytes("genesis"));
  const crypto::KeyPair validator = crypto::KeyPair::generate();
  const crypto::KeyPair node = crypto::KeyPair::generate();
  const crypto::KeyPair other_node = crypto::KeyPair::generate();
  StatusMessage status{9, crypto::sha256(as_bytes("tip")), 3,
                       make_validator_attestation(validator, genesis, node.public_key())};
  auto decoded = decode_sync_message(encode_sync_message(status));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  ASSERT_EQ(std::get<StatusMessage>(*decoded), status);

  const ValidatorAttestation& attestation = *status.validator;
  EXPECT_TRUE(verify_validator_attestation(attestation, genesis, node.public_key()));
  // Replayed by another node, or on another network: refused.
  EXPECT_FALSE(verify_validator_attestation(attestation, genesis, other_node.public_key()));
  EXPECT_FALSE(verify_validator_attestation(attestation, crypto::sha256(as_bytes("other")),
                                            node.public_key()));
  // Claiming someone else's validator key with one's own signature: refused.
  ValidatorAttestation claimed = make_validator_attestation(node, genesis, node.public_key());
  claimed.key = validator.public_key();
  EXPECT_FALSE(verify_validator_attestation(claimed, genesis, node.public_key()));

  // The flag is 0 or 1, nothing else.
  Bytes bad = encode_sync_message(StatusMessage{1, {}, 0, std::nullopt});
  bad.back() = 2;
  EXPECT_FALSE(decode_sync_message(bad).is_ok());
}

TEST(ProtocolTest, SyncDecodingIsStrict) {
  EXPECT_FALSE(decode_sync_message(Bytes{}).is_ok());
  EXPECT_FALSE(decode_sync_message(Bytes{9}).is_ok());
  Bytes status = encode_sync_message(StatusMessage{1, {}, 0, std::nullopt});
  status.push_back(0);
  EXPECT_FALSE(decode_sync_message(status).is_ok());  // trailing byte
  EXPECT_FALSE(decode_sync_message(encode_sync_message(GetBlocks{1, 0})).is_ok());
  EXPECT_FALSE(
      decode_sync_message(encode_sync_message(GetBlocks{1, kSyncBatchBlocksMax + 1})).is_ok());
  // Blocks that are not consecutive from height_from.
  EXPECT_FALSE(
      decode_sync_message(encode_sync_message(BlocksMessage{5, {entry_at(5), entry_at(7)}}))
          .is_ok());
  // A huge count with no bytes behind it is refused before anything is reserved.
  Writer writer;
  writer.u8(static_cast<uint8_t>(SyncType::kBlocks));
  writer.u64(1);
  writer.u32(kSyncBatchBlocksMax);
  EXPECT_FALSE(decode_sync_message(writer.buffer()).is_ok());
}

TEST(ProtocolTest, GossipMessagesRoundTripAndAreBounded) {
  std::vector<Bytes> transactions = {Bytes(150, 1), Bytes(200, 2)};
  auto decoded = decode_gossip_message(encode_transaction_batch(transactions));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, GossipMessage(TransactionsMessage{transactions}));
  Hash256 a;
  a.data[0] = 1;
  Hash256 b;
  b.data[31] = 2;
  for (const GossipMessage& message :
       {GossipMessage(AnnounceMessage{{a, b}}), GossipMessage(RequestMessage{{b}}),
        GossipMessage(RequestMessage{}), GossipMessage(TransactionsMessage{transactions})}) {
    auto round_trip = decode_gossip_message(encode_gossip_message(message));
    ASSERT_TRUE(round_trip.is_ok()) << round_trip.status().to_string();
    EXPECT_EQ(*round_trip, message);
  }

  Writer oversized;
  oversized.u8(static_cast<uint8_t>(GossipType::kTransactions));
  oversized.list_size(1);
  oversized.bytes(Bytes(chain::kTransactionBytesMax + 1, 0));
  EXPECT_FALSE(decode_gossip_message(oversized.buffer()).is_ok());
  Writer too_many;
  too_many.u8(static_cast<uint8_t>(GossipType::kTransactions));
  too_many.u32(kGossipBatchTransactionsMax + 1);
  EXPECT_FALSE(decode_gossip_message(too_many.buffer()).is_ok());
  Writer too_many_ids;
  too_many_ids.u8(static_cast<uint8_t>(GossipType::kAnnounce));
  too_many_ids.u32(kGossipIdsMax + 1);
  for (size_t i = 0; i <= kGossipIdsMax; ++i)
    too_many_ids.fixed(a);
  EXPECT_FALSE(decode_gossip_message(too_many_ids.buffer()).is_ok());
  Writer short_id;
  short_id.u8(static_cast<uint8_t>(GossipType::kRequest));
  short_id.u32(1);
  short_id.u8(0);
  EXPECT_FALSE(decode_gossip_message(short_id.buffer()).is_ok());
  for (uint8_t type : {uint8_t{0}, uint8_t{4}, uint8_t{255}}) {
    Writer unknown;
    unknown.u8(type);
    unknown.u32(0);
    EXPECT_FALSE(decode_gossip_message(unknown.buffer()).is_ok()) << int{type};
  }
  EXPECT_FALSE(decode_gossip_message(ByteView()).is_ok());
  Bytes trailing = encode_gossip_message(RequestMessage{{a}});
  trailing.push_back(0);
  EXPECT_FALSE(decode_gossip_message(trailing).is_ok());
}

}  // namespace
}  // namespace synod::node
