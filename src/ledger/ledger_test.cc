#include "ledger/ledger.h"

#include <gtest/gtest.h>

#include <random>

#include "ledger/testing.h"
#include "ledger/undo.h"

namespace synod::ledger {
namespace {

using namespace synod::ledger::testing;
using chain::Transaction;

constexpr uint64_t kBalance = 1'000'000;

bool same_writes(const std::vector<chain::StateWrite>& a, const std::vector<chain::StateWrite>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || a[i].value != b[i].value) return false;
  }
  return true;
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint32_t i = 0; i < 8; ++i)
      keys_.push_back(key(i + 1));
    genesis_ = make_genesis(keys_, kBalance);
    ledger_ = Ledger::create(genesis_).value();
  }

  chain::Address addr(size_t i) const { return address(keys_[i]); }
  Transaction transfer(size_t from, uint64_t nonce, uint64_t fee, const chain::Address& to,
                       uint64_t amount) const {
    return chain::make_transfer(kChainId, keys_[from], nonce, fee, to, amount);
  }
  uint64_t balance(const chain::Address& address) const {
    auto account = ledger_->account(address);
    return account ? account->balance : 0;
  }
  // Prepares a block from `candidates`, validates it as a peer would, and applies it.
  chain::ApplyResult commit(const std::vector<Transaction>& candidates,
                            const crypto::PublicKey& proposer) {
    auto block = ledger_->prepare_block(next_header(*ledger_, proposer), candidates, 20'000);
    EXPECT_TRUE(block.is_ok()) << block.status().to_string();
    Status valid = ledger_->validate_block(*block, false);
    EXPECT_TRUE(valid.is_ok()) << valid.to_string();
    auto result = ledger_->apply_block(*block);
    EXPECT_TRUE(result.is_ok()) << result.status().to_string();
    blocks_.push_back(*block);
    return std::move(result).value();
  }
  // The status validate_block gives for a block holding exactly `transactions`.
  Status validate(std::vector<Transaction> transactions) {
    return ledger_->validate_block(
        make_block(*ledger_, proposer_.public_key(), std::move(transactions)), false);
  }

  std::vector<crypto::KeyPair> keys_;
  crypto::KeyPair proposer_ = key(500);
  chain::Genesis genesis_;
  std::unique_ptr<Ledger> ledger_;
  std::vector<chain::Block> blocks_;
};

TEST_F(LedgerTest, GenesisState) {
  EXPECT_EQ(ledger_->height(), 0u);
  EXPECT_EQ(ledger_->total_supply(), 8 * kBalance);
  EXPECT_EQ(ledger_->account(addr(0)), (Account{kBalance, 0}));
  EXPECT_EQ(ledger_->account(address(proposer_)), std::nullopt);
  EXPECT_EQ(ledger_->next_nonce(addr(3)), 0u);
  EXPECT_EQ(ledger_->validator_set(1), genesis_.validators);
  EXPECT_EQ(ledger_->validator_set(1'000), genesis_.validators);
  // The same genesis gives the same root; a different balance a different one.
  EXPECT_EQ(Ledger::create(genesis_).value()->state_root(), ledger_->state_root());
  genesis_.accounts[0].balance += 1;
  EXPECT_NE(Ledger::create(genesis_).value()->state_root(), ledger_->state_root());
}

TEST_F(LedgerTest, CreateRejectsBadGenesis) {
  chain::Genesis kv = genesis_;
  kv.app = chain::AppKind::kKvStore;
  EXPECT_EQ(Ledger::create(kv).status().code(), Code::kInvalidArgument);
  chain::Genesis bad = genesis_;
  bad.chain_id = "";
  EXPECT_EQ(Ledger::create(bad).status().code(), Code::kInvalidArgument);
}

TEST_F(LedgerTest, TransferPaysAmountAndFeeToProposer) {
  chain::Address stranger = address(key(77));
  chain::ApplyResult result = commit(
      {transfer(0, 0, 10, stranger, 500), transfer(0, 1, 5, addr(1), 100)}, proposer_.public_key());
  EXPECT_EQ(ledger_->height(), 1u);
  EXPECT_EQ(ledger_->state_root(), result.state_root);
  EXPECT_EQ(blocks_.back().header.state_root, result.state_root);
  EXPECT_EQ(blocks_.back().transactions.size(), 2u);
  EXPECT_EQ(ledger_->account(addr(0)), (Account{kBalance - 615, 2}));
  EXPECT_EQ(ledger_->account(stranger), (Account{500, 0}));
  EXPECT_EQ(ledger_->account(addr(1)), (Account{kBalance + 100, 0}));
  EXPECT_EQ(ledger_->account(address(proposer_)), (Account{15, 0}));
  EXPECT_EQ(ledger_->next_nonce(addr(0)), 2u);
  EXPECT_EQ(ledger_->total_supply(), genesis_.total_supply());

  // Writes: the four changed accounts, strictly in key order, holding their encodings.
  ASSERT_EQ(result.writes.size(), 4u);
  for (size_t i = 1; i < result.writes.size(); ++i)
    EXPECT_TRUE(bytes_less(result.writes[i - 1].key, result.writes[i].key));
  for (const chain::StateWrite& write : result.writes) {
    ASSERT_EQ(write.key.size(), kAccountStateKeyBytes);
    EXPECT_EQ(write.key[0], 0x01);
    chain::Address who;
    who.bytes = FixedBytes<20>::from_view(ByteView(write.key).subspan(1));
    ASSERT_TRUE(write.value.has_value());
    EXPECT_EQ(*decode_account(*write.value), *ledger_->account(who));
  }
  // Undo: the same keys with the values before (absent for the two new accounts).
  auto undo = decode<Undo>(result.undo);
  ASSERT_TRUE(undo.is_ok()) << undo.status().to_string();
  EXPECT_EQ(encode(*undo), result.undo);
  EXPECT_EQ(undo->height, 1u);
  EXPECT_EQ(undo->state_root_before, Ledger::create(genesis_).value()->state_root());
  ASSERT_EQ(undo->writes.size(), result.writes.size());
  size_t absent = 0;
  for (size_t i = 0; i < undo->writes.size(); ++i) {
    EXPECT_EQ(undo->writes[i].key, result.writes[i].key);
    absent += undo->writes[i].value.has_value() ? 0 : 1;
  }
  EXPECT_EQ(absent, 2u);
}

TEST_F(LedgerTest, TransfersToSelfAndFeesToSelf) {
  // The sender proposes its own block and pays itself.
  commit({transfer(2, 0, 7, addr(2), 1'000)}, keys_[2].public_key());
  EXPECT_EQ(ledger_->account(addr(2)), (Account{kBalance, 1}));
  // The whole balance can move when amount plus fee equals it exactly.
  commit({transfer(3, 0, 1, addr(4), kBalance - 1)}, proposer_.public_key());
  EXPECT_EQ(ledger_->account(addr(3)), (Account{0, 1}));
  EXPECT_EQ(ledger_->total_supply(), genesis_.total_supply());
}

TEST_F(LedgerTest, ZeroAccountsAreNotStored) {
  chain::Address stranger = address(key(78));
  chain::ApplyResult result = commit({transfer(0, 0, 0, stranger, 0)}, proposer_.public_key());
  EXPECT_EQ(ledger_->account(stranger), std::nullopt);
  EXPECT_EQ(ledger_->account(address(proposer_)), std::nullopt);
  ASSERT_EQ(result.writes.size(), 1u);  // only the sender's nonce
  EXPECT_EQ(*ledger_->account(addr(0)), (Account{kBalance, 1}));
}

TEST_F(LedgerTest, EveryRejectionSaysWhy) {
  chain::Address to = addr(1);
  Transaction wrong_chain = chain::make_transfer("other-chain", keys_[0], 0, 1, to, 1);
  Transaction put = make_put(kChainId, keys_[0], 0, 1, "k", "v");
  struct Case {
    Transaction tx;
    Code code;
  };
  std::vector<Case> cases = {
      {wrong_chain, Code::kInvalidArgument},
      {put, Code::kInvalidArgument},
      {transfer(0, 1, 1, to, 1), Code::kFailedPrecondition},  // nonce ahead
      {transfer(0, 0, 1, to, kBalance), Code::kInsufficientFunds},
      {transfer(0, 0, 2, to, UINT64_MAX - 1), Code::kOverflow},
      {transfer(5, 0, 0, to, kBalance + 1), Code::kInsufficientFunds},
      {chain::make_transfer(kChainId, key(90), 0, 1, to, 0), Code::kInsufficientFunds},
  };
  Hash256 root = ledger_->state_root();
  for (const Case& c : cases) {
    EXPECT_EQ(ledger_->check_transaction(c.tx, 0).code(), c.code) << c.tx.id().hex();
    // The same transaction in a block: the block is rejected with the transaction's reason.
    // (A block holding a transaction for another chain fails the body check first.)
    EXPECT_EQ(validate({c.tx}).code(), c.code);
  }
  EXPECT_EQ(ledger_->state_root(), root);
  // A used nonce is rejected once applied.
  commit({transfer(0, 0, 1, to, 1)}, proposer_.public_key());
  EXPECT_EQ(ledger_->check_transaction(transfer(0, 0, 1, to, 1), 16).code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(validate({transfer(0, 0, 1, to, 1)}).code(), Code::kFailedPrecondition);
}

TEST_F(LedgerTest, CheckTransactionAllowsANonceGap) {
  EXPECT_TRUE(ledger_->check_transaction(transfer(0, 3, 1, addr(1), 1), 3).is_ok());
  EXPECT_EQ(ledger_->check_transaction(transfer(0, 4, 1, addr(1), 1), 3).code(),
            Code::kFailedPrecondition);
}

TEST_F(LedgerTest, AFailingTransactionChangesNothing) {
  // The second transfer reuses nonce 0: prepare_block skips it, and a block holding it fails.
  std::vector<Transaction> txs = {transfer(0, 0, 1, addr(1), 10), transfer(0, 0, 1, addr(2), 20),
                                  transfer(0, 1, 1, addr(3), 30)};
  auto block = ledger_->prepare_block(next_header(*ledger_, proposer_.public_key()), txs, 100);
  ASSERT_TRUE(block.is_ok());
  ASSERT_EQ(block->transactions.size(), 2u);
  EXPECT_EQ(block->transactions[1], txs[2]);
  Status status = validate(txs);
  EXPECT_EQ(status.code(), Code::kFailedPrecondition);
  EXPECT_NE(status.message().find("transaction 1"), std::string::npos) << status.to_string();
  ASSERT_TRUE(ledger_->apply_block(*block).is_ok());
  EXPECT_EQ(balance(addr(2)), kBalance);
  EXPECT_EQ(balance(addr(3)), kBalance + 30);
}

TEST_F(LedgerTest, BlockLevelChecks) {
  Transaction tx = transfer(0, 0, 1, addr(1), 10);
  auto block = ledger_->prepare_block(next_header(*ledger_, proposer_.public_key()), {{tx}}, 10);
  ASSERT_TRUE(block.is_ok());

  chain::Block wrong_height = *block;
  wrong_height.header.height = 2;
  EXPECT_EQ(ledger_->validate_block(wrong_height, false).code(), Code::kFailedPrecondition);
  chain::Block wrong_chain = *block;
  wrong_chain.header.chain_id = "other-chain";
  EXPECT_EQ(ledger_->validate_block(wrong_chain, false).code(), Code::kInvalidArgument);
  chain::Block wrong_root = *block;
  wrong_root.header.state_root.data[0] ^= 1;
  EXPECT_EQ(ledger_->validate_block(wrong_root, false).code(), Code::kCorrupt);
  EXPECT_EQ(ledger_->apply_block(wrong_root).status().code(), Code::kCorrupt);
  chain::Block wrong_body = *block;
  wrong_body.transactions[0] = transfer(0, 0, 1, addr(1), 11);
  EXPECT_EQ(ledger_->validate_block(wrong_body, false).code(), Code::kCorrupt);
  chain::Block bad_signature = *block;
  bad_signature.transactions[0].signature.data[5] ^= 1;
  bad_signature.header.transactions_root = bad_signature.compute_transactions_root();
  EXPECT_EQ(ledger_->validate_block(bad_signature, false).code(), Code::kUnauthenticated);
  // The caller may have checked signatures already: then the execution alone decides.
  EXPECT_TRUE(ledger_->validate_block(bad_signature, true).is_ok());
  // And it can still ask for the check later.
  EXPECT_EQ(ledger_->validate_block(bad_signature, false).code(), Code::kUnauthenticated);

  chain::Genesis small = genesis_;
  small.consensus.block_transactions_max = 1;
  auto limited = Ledger::create(small).value();
  chain::Block two = make_block(*limited, proposer_.public_key(),
                                {tx, transfer(0, 1, 1, addr(1), 10)}, block->header.state_root);
  EXPECT_EQ(limited->validate_block(two, false).code(), Code::kInvalidArgument);
  auto prepared =
      limited->prepare_block(next_header(*limited, proposer_.public_key()), two.transactions, 100);
  ASSERT_TRUE(prepared.is_ok());
  EXPECT_EQ(prepared->transactions.size(), 1u);

  EXPECT_EQ(ledger_->height(), 0u);
  ASSERT_TRUE(ledger_->validate_block(*block, false).is_ok());
  ASSERT_TRUE(ledger_->apply_block(*block).is_ok());
}

TEST_F(LedgerTest, PrepareChecksTheHeader) {
  chain::BlockHeader header = next_header(*ledger_, proposer_.public_key());
  header.height = 5;
  EXPECT_EQ(ledger_->prepare_block(header, {}, 10).status().code(), Code::kFailedPrecondition);
  header = next_header(*ledger_, proposer_.public_key(), "other-chain");
  EXPECT_EQ(ledger_->prepare_block(header, {}, 10).status().code(), Code::kInvalidArgument);
  // An empty block is a block.
  auto empty = ledger_->prepare_block(next_header(*ledger_, proposer_.public_key()), {}, 10);
  ASSERT_TRUE(empty.is_ok());
  EXPECT_EQ(empty->header.state_root, ledger_->state_root());
  auto result = ledger_->apply_block(*empty);
  ASSERT_TRUE(result.is_ok());
  EXPECT_TRUE(result->writes.empty());
  EXPECT_EQ(ledger_->height(), 1u);
}

TEST_F(LedgerTest, ValidateLeavesTheStateUnchanged) {
  std::vector<Transaction> txs = {transfer(0, 0, 3, addr(1), 10), transfer(1, 0, 3, addr(2), 20)};
  auto block = ledger_->prepare_block(next_header(*ledger_, proposer_.public_key()), txs, 10);
  ASSERT_TRUE(block.is_ok());
  auto other = Ledger::create(genesis_).value();
  Hash256 root = other->state_root();
  StateProof proof_before = other->prove_account(addr(0));
  ASSERT_TRUE(other->validate_block(*block, false).is_ok());
  EXPECT_EQ(other->state_root(), root);
  EXPECT_EQ(other->height(), 0u);
  EXPECT_EQ(other->account(addr(0)), (Account{kBalance, 0}));
  EXPECT_EQ(other->next_nonce(addr(0)), 0u);
  EXPECT_EQ(other->check_transaction(txs[0], 0).code(), Code::kOk);
  // Proofs still answer for the committed state while the block waits to be applied.
  StateProof proof = other->prove_account(addr(0));
  EXPECT_EQ(proof, proof_before);
  EXPECT_TRUE(verify_account_proof(root, addr(0), Account{kBalance, 0}, proof));
  // Applying it afterwards gives the same as applying it directly.
  auto applied = other->apply_block(*block);
  auto direct = ledger_->apply_block(*block);
  ASSERT_TRUE(applied.is_ok() && direct.is_ok());
  EXPECT_EQ(applied->state_root, block->header.state_root);
  EXPECT_TRUE(same_writes(applied->writes, direct->writes));
  EXPECT_EQ(applied->undo, direct->undo);
}

TEST_F(LedgerTest, ValidatingAnotherBlockFirstDoesNotConfuseApply) {
  auto a = ledger_->prepare_block(next_header(*ledger_, proposer_.public_key()),
                                  {{transfer(0, 0, 1, addr(1), 10)}}, 10);
  auto b = ledger_->prepare_block(next_header(*ledger_, keys_[3].public_key()),
                                  {{transfer(2, 0, 1, addr(1), 10)}}, 10);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  ASSERT_TRUE(ledger_->validate_block(*a, false).is_ok());
  ASSERT_TRUE(ledger_->validate_block(*b, false).is_ok());
  ASSERT_TRUE(ledger_->validate_block(*a, false).is_ok());
  auto result = ledger_->apply_block(*b);
  ASSERT_TRUE(result.is_ok());
  EXPECT_EQ(ledger_->state_root(), b->header.state_root);
  EXPECT_EQ(balance(addr(2)), kBalance - 11);
  EXPECT_EQ(balance(addr(0)), kBalance);
  // a no longer fits: its nonce is fine but its state root was computed on the old state.
  EXPECT_EQ(ledger_->validate_block(*a, false).code(), Code::kFailedPrecondition);
}

// A random mix of valid and invalid transfers among the test keys and a few strangers.
std::vector<Transaction> random_candidates(std::mt19937_64& random,
                                           const std::vector<crypto::KeyPair>& keys,
                                           const Ledger& ledger, size_t count) {
  std::vector<Transaction> txs;
  std::map<size_t, uint64_t> nonces;
  for (size_t i = 0; i < count; ++i) {
    size_t from = random() % keys.size();
    chain::Address sender = address(keys[from]);
    if (!nonces.contains(from)) nonces[from] = ledger.next_nonce(sender);
    chain::Address to = random() % 4 == 0 ? address(key(static_cast<uint32_t>(200 + random() % 8)))
                                          : address(keys[random() % keys.size()]);
    uint64_t amount = random() % 5'000;
    uint64_t fee = random() % 20;
    uint64_t nonce = nonces[from];
    if (random() % 10 == 0) nonce += 1;           // a gap: fails
    if (random() % 20 == 0) amount = UINT64_MAX;  // overflows or is short: fails
    txs.push_back(chain::make_transfer(kChainId, keys[from], nonce, fee, to, amount));
    if (nonce == nonces[from]) ++nonces[from];
  }
  return txs;
}

TEST_F(LedgerTest, RandomBlocksConserveSupplyAndRevertExactly) {
  std::mt19937_64 random(20'240'601);
  struct Snapshot {
    Hash256 root;
    std::vector<std::optional<Account>> accounts;
  };
  std::vector<chain::Address> watched;
  for (size_t i = 0; i < keys_.size(); ++i)
    watched.push_back(addr(i));
  for (uint32_t i = 0; i < 8; ++i)
    watched.push_back(address(key(200 + i)));
  std::vector<crypto::KeyPair> proposers = {key(300), key(301), keys_[0]};
  for (const auto& p : proposers)
    watched.push_back(address(p));
  auto snapshot = [&] {
    Snapshot out{ledger_->state_root(), {}};
    for (const chain::Address& a : watched)
      out.accounts.push_back(ledger_->account(a));
    return out;
  };

  constexpr size_t kBlocks = 40;
  std::vector<Snapshot> before;
  std::vector<Bytes> undos;
  for (size_t height = 1; height <= kBlocks; ++height) {
    before.push_back(snapshot());
    auto candidates = random_candidates(random, keys_, *ledger_, random() % 30);
    chain::ApplyResult result =
        commit(candidates, proposers[random() % proposers.size()].public_key());
    undos.push_back(result.undo);
    ASSERT_EQ(ledger_->total_supply(), genesis_.total_supply()) << "height " << height;
  }
  // Revert every block, newest first: each step gives back the exact earlier state.
  for (size_t height = kBlocks; height >= 1; --height) {
    ASSERT_TRUE(ledger_->revert_block(blocks_[height - 1], undos[height - 1]).is_ok());
    Snapshot now = snapshot();
    EXPECT_EQ(now.root, before[height - 1].root) << "height " << height;
    EXPECT_EQ(now.accounts, before[height - 1].accounts) << "height " << height;
    EXPECT_EQ(ledger_->height(), height - 1);
  }
  EXPECT_EQ(ledger_->state_root(), Ledger::create(genesis_).value()->state_root());
  // Re-applying the same blocks gives the same roots again.
  for (const chain::Block& block : blocks_) {
    auto result = ledger_->apply_block(block);
    ASSERT_TRUE(result.is_ok()) << result.status().to_string();
    EXPECT_EQ(result->state_root, block.header.state_root);
  }
}

TEST_F(LedgerTest, RevertChecksItsInput) {
  chain::ApplyResult first = commit({transfer(0, 0, 1, addr(1), 10)}, proposer_.public_key());
  chain::ApplyResult second = commit({transfer(0, 1, 1, addr(2), 10)}, proposer_.public_key());
  Hash256 root = ledger_->state_root();
  // Not the last block.
  EXPECT_EQ(ledger_->revert_block(blocks_[0], first.undo).code(), Code::kFailedPrecondition);
  // Undo data of another block, or damaged undo data.
  EXPECT_EQ(ledger_->revert_block(blocks_[1], first.undo).code(), Code::kCorrupt);
  Bytes damaged = second.undo;
  damaged.back() ^= 1;
  EXPECT_EQ(ledger_->revert_block(blocks_[1], damaged).code(), Code::kCorrupt);
  Bytes truncated(second.undo.begin(), second.undo.end() - 1);
  EXPECT_EQ(ledger_->revert_block(blocks_[1], truncated).code(), Code::kCorrupt);
  Undo kv_undo = decode<Undo>(second.undo).value();
  kv_undo.writes.push_back(chain::StateWrite{bytes_of("\x02key"), bytes_of("v")});
  EXPECT_EQ(ledger_->revert_block(blocks_[1], encode(kv_undo)).code(), Code::kCorrupt);
  EXPECT_EQ(ledger_->state_root(), root);
  EXPECT_EQ(ledger_->height(), 2u);
  // Final blocks cannot be reverted.
  ledger_->finalize(2);
  EXPECT_EQ(ledger_->finalized_height(), 2u);
  EXPECT_EQ(ledger_->revert_block(blocks_[1], second.undo).code(), Code::kFailedPrecondition);
  EXPECT_EQ(ledger_->state_root(), root);
}

TEST_F(LedgerTest, RestoreFromStoredWritesReproducesTheRoot) {
  std::mt19937_64 random(7);
  StoredState store;
  for (int i = 0; i < 15; ++i) {
    chain::ApplyResult result =
        commit(random_candidates(random, keys_, *ledger_, 20), proposer_.public_key());
    store.apply(result.writes);
  }
  auto restored = Ledger::create(genesis_).value();
  ASSERT_TRUE(restored->restore(ledger_->height(), ledger_->state_root(), store.scan()).is_ok());
  EXPECT_EQ(restored->height(), ledger_->height());
  EXPECT_EQ(restored->state_root(), ledger_->state_root());
  for (size_t i = 0; i < keys_.size(); ++i)
    EXPECT_EQ(restored->account(addr(i)), ledger_->account(addr(i)));
  EXPECT_EQ(restored->account(address(proposer_)), ledger_->account(address(proposer_)));
  EXPECT_EQ(restored->total_supply(), genesis_.total_supply());
  // The restored ledger carries on: the next block applies on both alike.
  auto next = ledger_->prepare_block(next_header(*ledger_, proposer_.public_key()),
                                     random_candidates(random, keys_, *ledger_, 20), 100);
  ASSERT_TRUE(next.is_ok());
  ASSERT_TRUE(restored->validate_block(*next, false).is_ok());

  // A wrong expected root, a damaged value, an unknown key: kCorrupt, and nothing changes.
  auto fresh = Ledger::create(genesis_).value();
  Hash256 genesis_root = fresh->state_root();
  Hash256 wrong = ledger_->state_root();
  wrong.data[0] ^= 1;
  EXPECT_EQ(fresh->restore(ledger_->height(), wrong, store.scan()).code(), Code::kCorrupt);
  StoredState damaged = store;
  damaged.entries().begin()->second.push_back(0);
  EXPECT_EQ(fresh->restore(ledger_->height(), ledger_->state_root(), damaged.scan()).code(),
            Code::kCorrupt);
  StoredState unknown = store;
  unknown.entries()[bytes_of("\x07x")] = bytes_of("y");
  EXPECT_EQ(fresh->restore(ledger_->height(), ledger_->state_root(), unknown.scan()).code(),
            Code::kCorrupt);
  EXPECT_EQ(fresh->state_root(), genesis_root);
  EXPECT_EQ(fresh->height(), 0u);
  // Keys must come in order.
  auto unordered = [&](const std::function<Status(ByteView, ByteView)>& each) -> Status {
    for (auto it = store.entries().rbegin(); it != store.entries().rend(); ++it)
      SYNOD_TRY(each(it->first, it->second));
    return Status::ok();
  };
  EXPECT_EQ(fresh->restore(ledger_->height(), ledger_->state_root(), unordered).code(),
            Code::kCorrupt);
  // Restoring genesis itself needs no stored entries.
  EXPECT_TRUE(fresh->restore(0, genesis_root, StoredState().scan()).is_ok());
}

TEST_F(LedgerTest, ProofsForPresentAndAbsentAccounts) {
  commit({transfer(0, 0, 2, addr(1), 10)}, proposer_.public_key());
  Hash256 root = ledger_->state_root();
  std::optional<Account> account = ledger_->account(addr(0));
  ASSERT_TRUE(account.has_value());
  StateProof present = ledger_->prove_account(addr(0));
  EXPECT_TRUE(verify_account_proof(root, addr(0), account, present));
  // Survives encoding, as a wallet receives it.
  EXPECT_TRUE(
      verify_account_proof(root, addr(0), account, decode<StateProof>(encode(present)).value()));

  chain::Address absent = address(key(99));
  StateProof missing = ledger_->prove_account(absent);
  EXPECT_TRUE(verify_account_proof(root, absent, std::nullopt, missing));
  EXPECT_TRUE(verify_account_proof(root, absent, Account{}, missing));  // zero reads as absent

  // Tampering fails: another balance, another nonce, another root, another account, a sibling.
  EXPECT_FALSE(verify_account_proof(root, addr(0), Account{account->balance + 1, 1}, present));
  EXPECT_FALSE(verify_account_proof(root, addr(0), Account{account->balance, 2}, present));
  EXPECT_FALSE(verify_account_proof(root, addr(0), std::nullopt, present));
  Hash256 other_root = root;
  other_root.data[31] ^= 1;
  EXPECT_FALSE(verify_account_proof(other_root, addr(0), account, present));
  EXPECT_FALSE(verify_account_proof(root, addr(1), account, present));
  ASSERT_FALSE(present.siblings.empty());
  StateProof bent = present;
  bent.siblings.back().data[0] ^= 1;
  EXPECT_FALSE(verify_account_proof(root, addr(0), account, bent));
  EXPECT_FALSE(verify_account_proof(root, absent, Account{5, 0}, missing));
  StateProof forged = missing;
  forged.leaf.reset();
  if (missing.leaf) {
    EXPECT_FALSE(verify_account_proof(root, absent, std::nullopt, forged));
  }
  // A proof of an old root does not verify against the new one.
  commit({transfer(0, 1, 2, addr(1), 10)}, proposer_.public_key());
  EXPECT_FALSE(verify_account_proof(ledger_->state_root(), addr(0), account, present));
}

TEST_F(LedgerTest, ApplyOfAFinalBlockWithoutValidation) {
  // A node catching up applies certified blocks it never validated.
  auto block = ledger_->prepare_block(next_header(*ledger_, proposer_.public_key()),
                                      {{transfer(0, 0, 1, addr(1), 10)}}, 10);
  ASSERT_TRUE(block.is_ok());
  auto follower = Ledger::create(genesis_).value();
  auto result = follower->apply_block(*block);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_EQ(follower->state_root(), block->header.state_root);
  EXPECT_EQ(follower->apply_block(*block).status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace synod::ledger
