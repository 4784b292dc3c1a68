#include <gtest/gtest.h>

#include "chain/address.h"
#include "chain/block.h"
#include "chain/genesis.h"
#include "crypto/hash.h"

namespace synod::chain {
namespace {

crypto::KeyPair key(uint8_t n) {
  crypto::Seed seed;
  seed.data.fill(n);
  return crypto::KeyPair::from_seed(seed);
}

TEST(Bech32m, Bip350ValidVectors) {
  for (const char* text :
       {"A1LQFN3A", "a1lqfn3a", "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v", "?1v759aa"}) {
    EXPECT_TRUE(bech32m_decode(text).is_ok()) << text;
  }
}

TEST(Bech32m, Bip350InvalidVectors) {
  for (const char* text : {"qyrz8wqd2c9m", "1qyrz8wqd2c9m", "y1b0jsk6g", "lt1igcx5c0", "in1muywd",
                           "mm1crxm3i", "au1s5cgom", "M1VUXWEZ", "16plkw9", "1p2gdwpf"}) {
    EXPECT_FALSE(bech32m_decode(text).is_ok()) << text;
  }
}

TEST(Address, RoundTripAndTypos) {
  Address address = Address::from_public_key(key(1).public_key());
  std::string text = address.to_string();
  EXPECT_EQ(text.rfind("synod1", 0), 0u);
  EXPECT_EQ(*Address::parse(text), address);
  // Every single-character substitution is caught by the checksum.
  for (size_t i = 6; i < text.size(); ++i) {
    std::string typo = text;
    typo[i] = typo[i] == 'q' ? 'p' : 'q';
    EXPECT_FALSE(Address::parse(typo).is_ok()) << typo;
  }
  EXPECT_FALSE(Address::parse("bc1" + text.substr(6)).is_ok());
  EXPECT_FALSE(Address::parse(bech32m_encode("other", address.bytes.view())).is_ok());
}

Transaction sample_transfer() {
  return make_transfer("synod-test", key(1), 7, 10, Address::from_public_key(key(2).public_key()),
                       500);
}

TEST(Transaction, SignVerifyAndRoundTrip) {
  Transaction tx = sample_transfer();
  EXPECT_TRUE(tx.verify_signature());
  Bytes encoded = encode(tx);
  auto decoded = decode_transaction(encoded);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, tx);
  EXPECT_EQ(decoded->id(), tx.id());
  EXPECT_EQ(transaction_id(encoded), tx.id());
  EXPECT_EQ(encode(*decoded), encoded);
}

TEST(Transaction, AnyChangeBreaksSignature) {
  Transaction tx = sample_transfer();
  Transaction changed = tx;
  changed.nonce += 1;
  EXPECT_FALSE(changed.verify_signature());
  changed = tx;
  std::get<Transfer>(changed.payload).amount += 1;
  EXPECT_FALSE(changed.verify_signature());
  changed = tx;
  changed.chain_id = "synod-other";
  EXPECT_FALSE(changed.verify_signature());
}

TEST(Transaction, DecoderRejectsBadInput) {
  Bytes encoded = encode(sample_transfer());
  for (size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_FALSE(decode_transaction(ByteView(encoded.data(), size)).is_ok()) << size;
  }
  Bytes trailing = encoded;
  trailing.push_back(0);
  EXPECT_FALSE(decode_transaction(trailing).is_ok());
  Bytes bad_tag = encoded;
  bad_tag[4 + 10 + 32 + 16] = 99;  // the payload tag after chain id, sender, nonce, fee
  auto decoded = decode_transaction(bad_tag);
  ASSERT_FALSE(decoded.is_ok());
  EXPECT_NE(decoded.status().message().find("payload type"), std::string::npos);
  Bytes huge(kTransactionBytesMax + 1, 0);
  EXPECT_FALSE(decode_transaction(huge).is_ok());
}

std::vector<crypto::KeyPair> validator_keys(size_t n) {
  std::vector<crypto::KeyPair> keys;
  for (size_t i = 0; i < n; ++i)
    keys.push_back(key(static_cast<uint8_t>(100 + i)));
  return keys;
}

ValidatorSet make_set(const std::vector<crypto::KeyPair>& keys, std::vector<uint64_t> powers) {
  std::vector<Validator> validators;
  for (size_t i = 0; i < keys.size(); ++i) {
    validators.push_back(Validator{keys[i].public_key(), powers[i], "v" + std::to_string(i)});
  }
  return *ValidatorSet::create(validators);
}

Certificate certify(const std::vector<crypto::KeyPair>& keys, std::vector<uint32_t> signers,
                    const Hash256& block_hash) {
  Certificate certificate{5, 1, block_hash, {}};
  Hash256 digest = commit_signing_hash("synod-test", 5, 1, block_hash);
  for (uint32_t i : signers) {
    certificate.signatures.push_back(CommitSignature{i, keys[i].sign(digest.view())});
  }
  return certificate;
}

TEST(Certificate, QuorumByVotingPower) {
  auto keys = validator_keys(4);
  ValidatorSet equal = make_set(keys, {1, 1, 1, 1});
  Hash256 block_hash = crypto::sha256(as_bytes("block"));
  EXPECT_TRUE(certify(keys, {0, 1, 2}, block_hash).verify("synod-test", equal).is_ok());
  EXPECT_FALSE(certify(keys, {0, 1}, block_hash).verify("synod-test", equal).is_ok());
  // Unequal power: validator 0 alone holds 7 of 10; 7 > 20/3 is a quorum.
  ValidatorSet unequal = make_set(keys, {7, 1, 1, 1});
  EXPECT_TRUE(certify(keys, {0}, block_hash).verify("synod-test", unequal).is_ok());
  EXPECT_FALSE(certify(keys, {1, 2, 3}, block_hash).verify("synod-test", unequal).is_ok());
}

TEST(Certificate, RejectsForgedDuplicateOrWrongChain) {
  auto keys = validator_keys(4);
  ValidatorSet set = make_set(keys, {1, 1, 1, 1});
  Hash256 block_hash = crypto::sha256(as_bytes("block"));
  Certificate certificate = certify(keys, {0, 1, 2}, block_hash);
  EXPECT_FALSE(certificate.verify("synod-other", set).is_ok());
  Certificate forged = certificate;
  forged.signatures[1].signature.data[0] ^= 1;
  EXPECT_FALSE(forged.verify("synod-test", set).is_ok());
  Certificate duplicate = certificate;
  duplicate.signatures[2] = duplicate.signatures[1];
  EXPECT_FALSE(duplicate.verify("synod-test", set).is_ok());
  Certificate other_block = certificate;
  other_block.block_hash.data[0] ^= 1;
  EXPECT_FALSE(other_block.verify("synod-test", set).is_ok());
}

Block sample_block() {
  Block block;
  block.header.chain_id = "synod-test";
  block.header.height = 5;
  block.header.time_ms = 1234;
  block.header.proposer = key(100).public_key();
  block.transactions = {sample_transfer(), sample_transfer()};
  block.transactions[1].nonce = 8;
  block.transactions[1].sign(key(1));
  block.header.transaction_count = 2;
  block.header.transactions_root = block.compute_transactions_root();
  block.header.engine_data = {1, 2, 3};
  auto keys = validator_keys(4);
  block.header.last_commit = certify(keys, {0, 2, 3}, crypto::sha256(as_bytes("prev")));
  return block;
}

TEST(Block, RoundTripAndBodyCheck) {
  Block block = sample_block();
  EXPECT_TRUE(block.check_body().is_ok());
  Bytes encoded = encode(block);
  auto decoded = decode_block(encoded);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, block);
  EXPECT_EQ(decoded->hash(), block.hash());
  for (size_t size = 0; size < encoded.size(); size += 7) {
    EXPECT_FALSE(decode_block(ByteView(encoded.data(), size)).is_ok()) << size;
  }
  Block swapped = block;
  std::swap(swapped.transactions[0], swapped.transactions[1]);
  EXPECT_FALSE(swapped.check_body().is_ok());
  Block short_count = block;
  short_count.header.transaction_count = 1;
  EXPECT_FALSE(short_count.check_body().is_ok());
}

TEST(Block, HashCoversEveryHeaderField) {
  Block block = sample_block();
  Hash256 hash = block.hash();
  BlockHeader header = block.header;
  header.height += 1;
  EXPECT_NE(header.hash(), hash);
  header = block.header;
  header.state_root.data[0] ^= 1;
  EXPECT_NE(header.hash(), hash);
  header = block.header;
  header.engine_data.push_back(0);
  EXPECT_NE(header.hash(), hash);
  header = block.header;
  header.last_commit.signatures.pop_back();
  EXPECT_NE(header.hash(), hash);
}

std::string genesis_json(const std::string& accounts, const std::string& consensus_extra = "") {
  return R"({"chain_id": "synod-test", "genesis_time_ms": 0,
    "consensus": {"mechanism": "pbft")" +
         consensus_extra + R"(},
    "accounts": )" +
         accounts + R"(,
    "validators": [{"name": "v0", "public_key": ")" +
         key(100).public_key().hex() + R"(", "power": 1}]})";
}

TEST(Genesis, ParsesAndRoundTrips) {
  std::string address = Address::from_public_key(key(1).public_key()).to_string();
  auto genesis = Genesis::from_json(
      genesis_json(R"([{"address": ")" + address + R"(", "balance": "1000000"}])"));
  ASSERT_TRUE(genesis.is_ok()) << genesis.status().to_string();
  EXPECT_EQ(genesis->accounts.size(), 1u);
  EXPECT_EQ(genesis->accounts[0].balance, 1000000u);
  EXPECT_EQ(genesis->consensus.mechanism, Mechanism::kPbft);
  EXPECT_EQ(genesis->total_supply(), 1000000u);
  auto again = Genesis::from_json(genesis->to_json());
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ(again->hash(), genesis->hash());
}

TEST(Genesis, ErrorsNameTheField) {
  std::string address = Address::from_public_key(key(1).public_key()).to_string();
  struct Case {
    std::string json;
    std::string field;
  };
  std::vector<Case> cases = {
      {"not json", "not valid JSON"},
      {genesis_json(R"([{"address": "synod1xyz", "balance": "1"}])"), "accounts[0].address"},
      {genesis_json(R"([{"address": ")" + address + R"(", "balance": "-1"}])"),
       "accounts[0].balance"},
      {genesis_json(R"([{"address": ")" + address + R"(", "balance": "99999999999999999999"}])"),
       "accounts[0].balance"},
      {genesis_json(R"([{"address": ")" + address + R"(", "balance": 1}, {"address": ")" + address +
                    R"(", "balance": 1}])"),
       "accounts[1].address"},
      {genesis_json("[]", R"(, "block_transactions_max": 0)"), "consensus.block_transactions_max"},
      {genesis_json("[]", R"(, "colour": "blue")"), "consensus.colour"},
      {R"({"chain_id": "Bad Id", "consensus": {"mechanism": "pbft"}, "validators": []})",
       "validators"},
      {R"({"chain_id": "x", "consensus": {"mechanism": "magic"}, "validators": []})",
       "consensus.mechanism"},
  };
  for (const Case& c : cases) {
    auto genesis = Genesis::from_json(c.json);
    ASSERT_FALSE(genesis.is_ok()) << c.json;
    EXPECT_NE(genesis.status().message().find(c.field), std::string::npos)
        << genesis.status().message() << " should name " << c.field;
  }
}

}  // namespace
}  // namespace synod::chain
