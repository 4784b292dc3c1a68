#include "consensus/pbft/messages.h"

#include <gtest/gtest.h>

#include "consensus/engine.h"
#include "consensus/pbft/records.h"
#include "crypto/hash.h"

namespace synod::consensus::pbft {
namespace {

constexpr std::string_view kChainId = "synod-test";

crypto::KeyPair key(uint8_t n) {
  crypto::Seed seed;
  seed.data.fill(n);
  return crypto::KeyPair::from_seed(seed);
}

chain::Block sample_block(uint64_t height) {
  chain::Block block;
  block.header.chain_id = std::string(kChainId);
  block.header.height = height;
  block.header.time_ms = 1000 + height;
  block.header.transactions_root = block.compute_transactions_root();
  return block;
}

std::vector<chain::CommitSignature> signatures(size_t count) {
  std::vector<chain::CommitSignature> out;
  for (uint32_t i = 0; i < count; ++i)
    out.push_back({i, key(static_cast<uint8_t>(i + 1)).sign(as_bytes("x"))});
  return out;
}

std::vector<Message> samples() {
  chain::Block block = sample_block(3);
  Hash256 hash = block.hash();
  ViewChange prepared_view_change{3, 2, PreparedClaim{1, hash}, {}, signatures(3), block};
  ViewChange empty_view_change{3, 2, std::nullopt, {}, {}, std::nullopt};
  NewView new_view{3,
                   2,
                   {{0, PreparedClaim{1, hash}, {}}, {2, std::nullopt, {}}},
                   PreparedProof{{1, hash}, signatures(3)},
                   {}};
  chain::Certificate certificate{3, 0, hash, signatures(3)};
  return {PrePrepare{3, 0, block, {}},
          Vote{MessageType::kPrepare, 3, 0, hash, {}},
          Vote{MessageType::kCommit, 3, 1, hash, {}},
          prepared_view_change,
          empty_view_change,
          new_view,
          SyncRequest{3, kSyncBlocksMax, {}},
          SyncResponse{{{block, certificate}, {sample_block(4), certificate}}, {}}};
}

TEST(Messages, RoundTripSignAndVerify) {
  crypto::KeyPair signer = key(9);
  for (Message message : samples()) {
    sign_message(message, kChainId, signer);
    EXPECT_TRUE(verify_message_signature(message, kChainId)) << describe_message(message);
    EXPECT_FALSE(verify_message_signature(message, "synod-other")) << describe_message(message);
    Bytes encoded = encode_message(message);
    auto decoded = decode_message(encoded);
    ASSERT_TRUE(decoded.is_ok()) << describe_message(message) << ": "
                                 << decoded.status().to_string();
    EXPECT_EQ(*decoded, message);
    EXPECT_EQ(encode_message(*decoded), encoded);
  }
}

TEST(Messages, EveryTruncationAndTrailingByteIsRejected) {
  for (const Message& message : samples()) {
    Bytes encoded = encode_message(message);
    for (size_t size = 0; size < encoded.size(); ++size) {
      EXPECT_FALSE(decode_message(ByteView(encoded.data(), size)).is_ok())
          << describe_message(message) << " truncated to " << size;
    }
    encoded.push_back(0);
    EXPECT_FALSE(decode_message(encoded).is_ok()) << describe_message(message);
  }
}

TEST(Messages, CommitSignaturesAreCertificateSignatures) {
  Hash256 hash = crypto::sha256(as_bytes("block"));
  Message commit = Vote{MessageType::kCommit, 5, 2, hash, {}};
  sign_message(commit, kChainId, key(1));
  Hash256 digest = chain::commit_signing_hash(kChainId, 5, 2, hash);
  EXPECT_TRUE(
      crypto::verify(key(1).public_key(), digest.view(), std::get<Vote>(commit).sig.signature));
  // A prepare for the same fields signs something else: it cannot pass for a commit.
  Message prepare = Vote{MessageType::kPrepare, 5, 2, hash, {}};
  sign_message(prepare, kChainId, key(1));
  EXPECT_NE(std::get<Vote>(prepare).sig.signature, std::get<Vote>(commit).sig.signature);
}

TEST(Messages, NonCanonicalFormsAreRejected) {
  auto rejects = [](Message message) { return !decode_message(encode_message(message)).is_ok(); };
  chain::Block block = sample_block(3);
  // A view change claiming a block but carrying no proof, or a proof without a claim.
  EXPECT_TRUE(rejects(ViewChange{3, 2, PreparedClaim{1, block.hash()}, {}, {}, block}));
  EXPECT_TRUE(rejects(ViewChange{3, 2, std::nullopt, {}, signatures(3), std::nullopt}));
  // Claimed view not below the new view; block not matching the claim.
  EXPECT_TRUE(rejects(ViewChange{3, 2, PreparedClaim{2, block.hash()}, {}, signatures(3), block}));
  EXPECT_TRUE(rejects(ViewChange{3, 2, PreparedClaim{1, {}}, {}, signatures(3), block}));
  // Signers out of order.
  auto disordered = signatures(3);
  std::swap(disordered[0], disordered[1]);
  EXPECT_TRUE(rejects(ViewChange{3, 2, PreparedClaim{1, block.hash()}, {}, disordered, block}));
  // Sync requests for no blocks or too many; responses with a gap.
  EXPECT_TRUE(rejects(SyncRequest{3, 0, {}}));
  EXPECT_TRUE(rejects(SyncRequest{3, kSyncBlocksMax + 1, {}}));
  chain::Certificate certificate;
  EXPECT_TRUE(rejects(SyncResponse{{{block, certificate}, {sample_block(5), certificate}}, {}}));
  // Unknown type tag, non-canonical boolean.
  EXPECT_FALSE(decode_message(Bytes{0x08}).is_ok());
  Bytes encoded = encode_message(ViewChange{3, 2, std::nullopt, {}, {}, std::nullopt});
  encoded[1 + 8 + 8] = 2;  // the "prepared" flag
  EXPECT_FALSE(decode_message(encoded).is_ok());
}

TEST(Messages, OversizedPayloadIsRejectedBeforeDecoding) {
  Bytes payload(kMessageBytesMax + 1, 0);
  payload[0] = static_cast<uint8_t>(MessageType::kPrepare);
  auto decoded = decode_message(payload);
  EXPECT_EQ(decoded.status().code(), Code::kInvalidArgument);
}

TEST(Records, RoundTripAndStrictRestore) {
  RecordKeys keys("pbft/");
  chain::Block block = sample_block(4);
  ViewRecord view{4, 2, false, block.hash()};
  VoteRecord prepare{4, 2, block.hash()};
  PreparedRecord prepared{4, PreparedProof{{1, block.hash()}, signatures(3)}, block};
  std::vector<Record> records = {{keys.view, encode(view)},
                                 {keys.prepare, encode(prepare)},
                                 {keys.prepared, encode(prepared)},
                                 {"ledger/other", Bytes{1, 2, 3}}};
  auto restored = restore_records(keys, records);
  ASSERT_TRUE(restored.is_ok()) << restored.status().to_string();
  EXPECT_EQ(restored->view, view);
  EXPECT_EQ(restored->prepare, prepare);
  EXPECT_FALSE(restored->commit);
  EXPECT_EQ(restored->prepared, prepared);

  records.push_back({"pbft/unknown", {}});
  EXPECT_EQ(restore_records(keys, records).status().code(), Code::kCorrupt);
  records.pop_back();
  records[1].value.pop_back();
  EXPECT_EQ(restore_records(keys, records).status().code(), Code::kCorrupt);
  // A prepared record whose block is not the one its proof names.
  prepared.block = sample_block(5);
  records = {{keys.prepared, encode(prepared)}};
  EXPECT_EQ(restore_records(keys, records).status().code(), Code::kCorrupt);
}

}  // namespace
}  // namespace synod::consensus::pbft
