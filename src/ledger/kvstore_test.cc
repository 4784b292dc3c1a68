#include "ledger/kvstore.h"

#include <gtest/gtest.h>

#include <random>

#include "ledger/apps.h"
#include "ledger/ledger.h"
#include "ledger/testing.h"

namespace synod::ledger {
namespace {

using namespace synod::ledger::testing;
using chain::Transaction;

constexpr uint64_t kBalance = 1'000;

class KvStoreTest : public ::testing::Test {
 protected:
  void make(bool unsigned_writes) {
    keys_ = {key(1), key(2)};
    genesis_ = make_genesis(keys_, kBalance, chain::AppKind::kKvStore);
    genesis_.kv_unsigned_writes = unsigned_writes;
    app_ = KvStoreApp::create(genesis_).value();
  }
  Transaction put(size_t from, uint64_t nonce, std::string_view k, std::string_view v,
                  uint64_t fee = 0) const {
    return make_put(kChainId, keys_[from], nonce, fee, k, v);
  }
  chain::ApplyResult commit(const std::vector<Transaction>& candidates) {
    auto block = app_->prepare_block(next_header(*app_, proposer_.public_key()), candidates, 100);
    EXPECT_TRUE(block.is_ok()) << block.status().to_string();
    Status valid = app_->validate_block(*block, false);
    EXPECT_TRUE(valid.is_ok()) << valid.to_string();
    auto result = app_->apply_block(*block);
    EXPECT_TRUE(result.is_ok()) << result.status().to_string();
    blocks_.push_back(*block);
    return std::move(result).value();
  }
  Status validate(std::vector<Transaction> transactions) {
    return app_->validate_block(make_block(*app_, proposer_.public_key(), std::move(transactions)),
                                false);
  }

  std::vector<crypto::KeyPair> keys_;
  crypto::KeyPair proposer_ = key(500);
  chain::Genesis genesis_;
  std::unique_ptr<KvStoreApp> app_;
  std::vector<chain::Block> blocks_;
};

TEST_F(KvStoreTest, PutsOverwritesAndDeletes) {
  make(false);
  chain::ApplyResult first = commit({put(0, 0, "alpha", "1"), put(1, 0, "beta", "2", 3)});
  EXPECT_EQ(app_->get(bytes_of("alpha")), bytes_of("1"));
  EXPECT_EQ(app_->get(bytes_of("beta")), bytes_of("2"));
  EXPECT_EQ(app_->key_count(), 2u);
  // Writes: the two senders' accounts (nonce, fee) and the proposer's, then the two keys.
  ASSERT_EQ(first.writes.size(), 5u);
  for (size_t i = 1; i < first.writes.size(); ++i)
    EXPECT_TRUE(bytes_less(first.writes[i - 1].key, first.writes[i].key));
  EXPECT_EQ(first.writes[3].key, kv_state_key(bytes_of("alpha")));
  EXPECT_EQ(first.writes[4].value, bytes_of("2"));
  EXPECT_EQ(app_->account(address(keys_[1])), (Account{kBalance - 3, 1}));
  EXPECT_EQ(app_->account(address(proposer_)), (Account{3, 0}));
  EXPECT_EQ(app_->total_supply(), genesis_.total_supply());

  // In one block: overwrite, delete, and the last of two writes to a key wins.
  chain::ApplyResult second = commit({put(0, 1, "alpha", "one"), put(1, 1, "beta", ""),
                                      put(0, 2, "gamma", "x"), put(0, 3, "gamma", "y")});
  EXPECT_EQ(app_->get(bytes_of("alpha")), bytes_of("one"));
  EXPECT_EQ(app_->get(bytes_of("beta")), std::nullopt);
  EXPECT_EQ(app_->get(bytes_of("gamma")), bytes_of("y"));
  bool deleted = false;
  for (const chain::StateWrite& write : second.writes)
    deleted |= write.key == kv_state_key(bytes_of("beta")) && !write.value.has_value();
  EXPECT_TRUE(deleted);
  // Deleting an absent key, or writing the same value again, changes nothing but the nonce.
  chain::ApplyResult third = commit({put(0, 4, "nothing", ""), put(0, 5, "alpha", "one")});
  ASSERT_EQ(third.writes.size(), 1u);
  EXPECT_EQ(third.writes[0].key, account_state_key(address(keys_[0])));
}

TEST_F(KvStoreTest, ProofsForPresentAndAbsentKeys) {
  make(false);
  commit({put(0, 0, "alpha", "1"), put(0, 1, "beta", "2")});
  Hash256 root = app_->state_root();
  StateProof present = app_->prove_key(bytes_of("alpha"));
  EXPECT_TRUE(verify_kv_proof(root, bytes_of("alpha"), bytes_of("1"), present));
  EXPECT_FALSE(verify_kv_proof(root, bytes_of("alpha"), bytes_of("2"), present));
  EXPECT_FALSE(verify_kv_proof(root, bytes_of("alpha"), std::nullopt, present));
  EXPECT_FALSE(verify_kv_proof(root, bytes_of("beta"), bytes_of("1"), present));
  StateProof absent = app_->prove_key(bytes_of("zeta"));
  EXPECT_TRUE(verify_kv_proof(root, bytes_of("zeta"), std::nullopt, absent));
  EXPECT_FALSE(verify_kv_proof(root, bytes_of("zeta"), bytes_of("1"), absent));
  Hash256 other = root;
  other.data[1] ^= 4;
  EXPECT_FALSE(verify_kv_proof(other, bytes_of("alpha"), bytes_of("1"), present));
  ASSERT_FALSE(present.siblings.empty());
  present.siblings[0].data[0] ^= 1;
  EXPECT_FALSE(verify_kv_proof(root, bytes_of("alpha"), bytes_of("1"), present));
}

TEST_F(KvStoreTest, SignedModeRules) {
  make(false);
  Transaction transfer = chain::make_transfer(kChainId, keys_[0], 0, 0, address(keys_[1]), 1);
  EXPECT_EQ(app_->check_transaction(transfer, 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(validate({transfer}).code(), Code::kInvalidArgument);
  EXPECT_EQ(app_->check_transaction(put(0, 1, "k", "v"), 0).code(), Code::kFailedPrecondition);
  EXPECT_EQ(validate({put(0, 1, "k", "v")}).code(), Code::kFailedPrecondition);
  EXPECT_EQ(validate({put(0, 0, "k", "v", kBalance + 1)}).code(), Code::kInsufficientFunds);
  EXPECT_EQ(validate({make_put("other", keys_[0], 0, 0, "k", "v")}).code(), Code::kInvalidArgument);
  EXPECT_EQ(validate({put(0, 0, "", "v")}).code(), Code::kInvalidArgument);
  std::string long_key(chain::kKvKeyBytesMax + 1, 'k');
  EXPECT_EQ(app_->check_transaction(put(0, 0, long_key, "v"), 0).code(), Code::kInvalidArgument);
  std::string long_value(chain::kKvValueBytesMax + 1, 'v');
  EXPECT_EQ(app_->check_transaction(put(0, 0, "k", long_value), 0).code(), Code::kInvalidArgument);
  EXPECT_TRUE(app_->check_transaction(put(0, 2, "k", "v", 5), 2).is_ok());
  // Signatures are required.
  auto block =
      app_->prepare_block(next_header(*app_, proposer_.public_key()), {{put(0, 0, "k", "v")}}, 10);
  ASSERT_TRUE(block.is_ok());
  block->transactions[0].signature.data[0] ^= 1;
  block->header.transactions_root = block->compute_transactions_root();
  EXPECT_EQ(app_->validate_block(*block, false).code(), Code::kUnauthenticated);
  EXPECT_EQ(app_->height(), 0u);
  EXPECT_EQ(app_->key_count(), 0u);
}

TEST_F(KvStoreTest, UnsignedWrites) {
  make(true);
  // Anyone may write: an unfunded key, a bad signature, any nonce, repeated nonces.
  crypto::KeyPair stranger = key(99);
  Transaction forged = put(0, 7, "k", "v");
  forged.signature.data[0] ^= 1;
  std::vector<Transaction> txs = {make_put(kChainId, stranger, 0, 0, "a", "1"), forged,
                                  make_put(kChainId, stranger, 0, 0, "b", "2")};
  for (const Transaction& tx : txs)
    EXPECT_TRUE(app_->check_transaction(tx, 0).is_ok());
  chain::ApplyResult result = commit(txs);
  EXPECT_EQ(blocks_.back().transactions.size(), 3u);
  EXPECT_EQ(app_->get(bytes_of("k")), bytes_of("v"));
  EXPECT_EQ(app_->get(bytes_of("b")), bytes_of("2"));
  // No account is touched: only the three keys are written.
  EXPECT_EQ(result.writes.size(), 3u);
  EXPECT_EQ(app_->account(address(stranger)), std::nullopt);
  EXPECT_EQ(app_->next_nonce(address(keys_[0])), 0u);
  // Fees need a signature to charge, so unsigned writes carry none; the chain id still counts.
  EXPECT_EQ(app_->check_transaction(put(0, 0, "k", "v", 1), 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(validate({put(0, 0, "k", "v", 1)}).code(), Code::kInvalidArgument);
  EXPECT_EQ(validate({make_put("other", keys_[0], 0, 0, "k", "v")}).code(), Code::kInvalidArgument);
  // The same block validates the same way on another node.
  make(true);
  EXPECT_TRUE(app_->validate_block(blocks_.back(), false).is_ok());
}

TEST_F(KvStoreTest, RevertAndRestore) {
  make(false);
  std::mt19937_64 random(99);
  StoredState store;
  std::vector<Hash256> roots = {app_->state_root()};
  std::vector<Bytes> undos;
  std::vector<uint64_t> nonces = {0, 0};
  for (int height = 1; height <= 20; ++height) {
    std::vector<Transaction> txs;
    for (int i = 0; i < 5; ++i) {
      size_t from = random() % 2;
      std::string k = "key" + std::to_string(random() % 12);
      std::string v = random() % 4 == 0 ? "" : std::to_string(random());
      txs.push_back(put(from, nonces[from]++, k, v, random() % 3));
    }
    chain::ApplyResult result = commit(txs);
    store.apply(result.writes);
    undos.push_back(result.undo);
    roots.push_back(app_->state_root());
    ASSERT_EQ(app_->total_supply(), genesis_.total_supply());
  }
  auto restored = KvStoreApp::create(genesis_).value();
  ASSERT_TRUE(restored->restore(app_->height(), app_->state_root(), store.scan()).is_ok());
  EXPECT_EQ(restored->key_count(), app_->key_count());
  for (int i = 0; i < 12; ++i) {
    Bytes k = bytes_of("key" + std::to_string(i));
    EXPECT_EQ(restored->get(k), app_->get(k));
  }
  // The ledger refuses a kvstore's stored state.
  chain::Genesis ledger_genesis = genesis_;
  ledger_genesis.app = chain::AppKind::kLedger;
  auto ledger = Ledger::create(ledger_genesis).value();
  EXPECT_EQ(ledger->restore(app_->height(), app_->state_root(), store.scan()).code(),
            Code::kCorrupt);

  for (size_t height = blocks_.size(); height >= 1; --height) {
    ASSERT_TRUE(app_->revert_block(blocks_[height - 1], undos[height - 1]).is_ok());
    EXPECT_EQ(app_->state_root(), roots[height - 1]);
  }
  EXPECT_EQ(app_->key_count(), 0u);
}

TEST(Apps, CreateApplicationPicksTheGenesisApp) {
  std::vector<crypto::KeyPair> keys = {key(1)};
  chain::Genesis genesis = make_genesis(keys, 10, chain::AppKind::kKvStore);
  auto kv = create_application(genesis);
  ASSERT_TRUE(kv.is_ok());
  EXPECT_NE(dynamic_cast<KvStoreApp*>(kv->get()), nullptr);
  genesis.app = chain::AppKind::kLedger;
  auto ledger = create_application(genesis);
  ASSERT_TRUE(ledger.is_ok());
  EXPECT_NE(dynamic_cast<Ledger*>(ledger->get()), nullptr);
  EXPECT_EQ(KvStoreApp::create(genesis).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace synod::ledger
