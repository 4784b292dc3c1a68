#include "mempool/mempool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "mempool/fake_application.h"

namespace synod::mempool {
namespace {

const std::string kChain = "synod-test";

const crypto::KeyPair& key(uint32_t n) {
  static std::map<uint32_t, crypto::KeyPair> keys;  // tests run on one thread
  auto it = keys.find(n);
  if (it == keys.end()) {
    crypto::Seed seed;
    for (size_t i = 0; i < 4; ++i)
      seed.data[i] = static_cast<uint8_t>(n >> (8 * i));
    seed.data[31] = 0x5e;
    it = keys.emplace(n, crypto::KeyPair::from_seed(seed)).first;
  }
  return it->second;
}

chain::Address address(uint32_t n) {
  return chain::Address::from_public_key(key(n).public_key());
}

chain::Transaction transfer(uint32_t sender, uint64_t nonce, uint64_t fee, uint64_t amount = 1) {
  return chain::make_transfer(kChain, key(sender), nonce, fee, address(1'000'000), amount);
}

Config test_config(size_t verify_threads = 2) {
  Config config;
  config.chain_id = kChain;
  config.verify_threads = verify_threads;
  return config;
}

std::vector<uint64_t> fees_of(const std::vector<chain::Transaction>& txs) {
  std::vector<uint64_t> out;
  for (const auto& tx : txs)
    out.push_back(tx.fee);
  return out;
}

chain::Block block_of(std::vector<chain::Transaction> txs) {
  chain::Block block;
  block.transactions = std::move(txs);
  return block;
}

class MempoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint32_t n = 0; n < 16; ++n)
      app_.fund(key(n).public_key(), 1'000'000);
  }
  Mempool& make(Config config = test_config()) {
    mempool_ = std::make_unique<Mempool>(std::move(config), app_);
    return *mempool_;
  }

  FakeApplication app_;
  std::unique_ptr<Mempool> mempool_;
};

// ---- Rejections, in admission order ----

TEST_F(MempoolTest, RejectsOversizeAtTheDoor) {
  Config config = test_config();
  config.transaction_bytes_max = 200;
  Mempool& pool = make(config);
  Bytes big(201, 0);
  EXPECT_EQ(pool.add_encoded(big).code(), Code::kInvalidArgument);
  bool called = false;
  Status door = pool.submit_encoded(big, [&](const Admission&) { called = true; });
  EXPECT_EQ(door.code(), Code::kInvalidArgument);
  pool.poll();
  EXPECT_FALSE(called);

  // A decoded transaction over the limit is caught on the worker.
  chain::Transaction kv;
  kv.chain_id = kChain;
  kv.sender = key(1).public_key();
  kv.fee = 5;
  kv.payload = chain::KvPut{Bytes(10, 1), Bytes(300, 2)};
  kv.sign(key(1));
  EXPECT_EQ(pool.add(kv).code(), Code::kInvalidArgument);
  EXPECT_EQ(pool.metrics().rejected(Code::kInvalidArgument), 3u);
}

TEST_F(MempoolTest, RejectsUndecodableBytes) {
  Mempool& pool = make();
  Bytes good = encode(transfer(1, 0, 5));
  EXPECT_EQ(pool.add_encoded(Bytes{1, 2, 3}).code(), Code::kCorrupt);
  EXPECT_EQ(pool.add_encoded(ByteView(good).first(good.size() - 1)).code(), Code::kCorrupt);
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(pool.add_encoded(trailing).code(), Code::kCorrupt);
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_TRUE(pool.add_encoded(good).is_ok());
}

TEST_F(MempoolTest, RejectsOtherChain) {
  Mempool& pool = make();
  auto tx = chain::make_transfer("other-chain", key(1), 0, 5, address(2), 1);
  EXPECT_EQ(pool.add(tx).code(), Code::kInvalidArgument);
}

TEST_F(MempoolTest, RejectsBadSignatureAndDoesNotCacheIt) {
  Mempool& pool = make();
  chain::Transaction tx = transfer(1, 0, 5);
  tx.fee = 6;  // signed with fee 5
  EXPECT_EQ(pool.add(tx).code(), Code::kUnauthenticated);
  EXPECT_FALSE(pool.signature_verified(tx.id()));
  chain::Transaction wrong_key = transfer(1, 0, 5);
  wrong_key.sender = key(2).public_key();
  EXPECT_EQ(pool.add(wrong_key).code(), Code::kUnauthenticated);
}

TEST_F(MempoolTest, UnsignedTransactionsPassWhenSignaturesAreNotRequired) {
  chain::Transaction tx = transfer(1, 0, 5);
  tx.signature = crypto::Signature{};  // never signed, as the kvstore's unsigned puts
  EXPECT_EQ(make().add(tx).code(), Code::kUnauthenticated);
  Config config = test_config();
  config.signatures_required = false;
  Mempool& pool = make(config);
  EXPECT_TRUE(pool.add(tx).is_ok());
  EXPECT_TRUE(pool.contains(tx.id()));
  EXPECT_TRUE(pool.verify_block_signatures({tx}));
  chain::Transaction later = transfer(2, 1, 5);
  later.signature = crypto::Signature{};
  EXPECT_EQ(pool.add(later).code(), Code::kFailedPrecondition);
}

TEST_F(MempoolTest, RejectsStaleAndTooDistantNonces) {
  Config config = test_config();
  config.nonce_gap_max = 4;
  Mempool& pool = make(config);
  app_.account(key(1).public_key()).nonce = 5;
  EXPECT_EQ(pool.add(transfer(1, 4, 5)).code(), Code::kFailedPrecondition);
  EXPECT_EQ(pool.add(transfer(1, 10, 5)).code(), Code::kFailedPrecondition);
  EXPECT_TRUE(pool.add(transfer(1, 9, 5)).is_ok());  // exactly nonce_gap_max ahead waits
  EXPECT_TRUE(pool.add(transfer(1, 5, 5)).is_ok());
}

TEST_F(MempoolTest, PassesOnTheApplicationsVerdict) {
  Mempool& pool = make();
  app_.fee_min = 10;
  EXPECT_EQ(pool.add(transfer(1, 0, 9)).code(), Code::kFailedPrecondition);
  app_.account(key(2).public_key()).balance = 100;
  EXPECT_EQ(pool.add(transfer(2, 0, 10, 91)).code(), Code::kInsufficientFunds);
  EXPECT_TRUE(pool.add(transfer(2, 0, 10, 90)).is_ok());
  EXPECT_EQ(pool.metrics().rejected(Code::kInsufficientFunds), 1u);
}

TEST_F(MempoolTest, RejectsDuplicates) {
  Mempool& pool = make();
  chain::Transaction tx = transfer(1, 0, 5);
  ASSERT_TRUE(pool.add(tx).is_ok());
  EXPECT_EQ(pool.add(tx).code(), Code::kAlreadyExists);
  EXPECT_EQ(pool.add_encoded(encode(tx)).code(), Code::kAlreadyExists);
  EXPECT_EQ(pool.size(), 1u);
}

TEST_F(MempoolTest, RefusesSubmissionsOverTheInFlightBound) {
  Config config = test_config(/*verify_threads=*/0);
  config.submissions_in_flight_max = 2;
  Mempool& pool = make(config);
  std::vector<Status> outcomes;
  auto done = [&](const Admission& admission) { outcomes.push_back(admission.status); };
  EXPECT_TRUE(pool.submit(transfer(1, 0, 5), done).is_ok());
  EXPECT_TRUE(pool.submit(transfer(2, 0, 5), done).is_ok());
  EXPECT_EQ(pool.submit(transfer(3, 0, 5), done).code(), Code::kResourceExhausted);
  EXPECT_EQ(pool.submit_batch({encode(transfer(3, 0, 5))}, [](auto) {}).code(),
            Code::kResourceExhausted);
  EXPECT_TRUE(outcomes.empty());  // nothing runs until the driver polls
  EXPECT_EQ(pool.poll(), 2u);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_TRUE(outcomes[0].is_ok() && outcomes[1].is_ok());
  EXPECT_TRUE(pool.submit(transfer(3, 0, 5), done).is_ok());
  EXPECT_EQ(pool.metrics().rejected(Code::kResourceExhausted), 2u);
}

// ---- Ordering ----

TEST_F(MempoolTest, ReapsByFeeKeepingEachSendersNonceOrder) {
  Mempool& pool = make();
  // Sender 1: nonces 0,1,2 with fees 5, 50, 7. Sender 2: 20, 10. Sender 3: 30.
  for (auto [sender, nonce, fee] : std::vector<std::tuple<uint32_t, uint64_t, uint64_t>>{
           {1, 0, 5}, {1, 1, 50}, {1, 2, 7}, {2, 0, 20}, {2, 1, 10}, {3, 0, 30}}) {
    ASSERT_TRUE(pool.add(transfer(sender, nonce, fee)).is_ok());
  }
  EXPECT_EQ(fees_of(pool.reap(100, 1 << 20)), (std::vector<uint64_t>{30, 20, 10, 5, 50, 7}));
  EXPECT_EQ(fees_of(pool.reap(3, 1 << 20)), (std::vector<uint64_t>{30, 20, 10}));
  // Room for two transfers only: the byte bound stops like the count bound.
  size_t one = encode(transfer(1, 0, 5)).size();
  EXPECT_EQ(fees_of(pool.reap(100, 2 * one + 1)), (std::vector<uint64_t>{30, 20}));
  EXPECT_EQ(pool.size(), 6u);  // reap does not remove
}

TEST_F(MempoolTest, ReapStartsAtTheApplicationsNonce) {
  Mempool& pool = make();
  for (uint64_t nonce = 0; nonce < 3; ++nonce)
    ASSERT_TRUE(pool.add(transfer(1, nonce, 5)).is_ok());
  // The application moved on (a block applied) before update_after_commit ran.
  app_.account(key(1).public_key()).nonce = 2;
  auto reaped = pool.reap(100, 1 << 20);
  ASSERT_EQ(reaped.size(), 1u);
  EXPECT_EQ(reaped[0].nonce, 2u);
}

TEST_F(MempoolTest, FutureNonceWaitsUntilTheGapFills) {
  Mempool& pool = make();
  ASSERT_TRUE(pool.add(transfer(1, 0, 5)).is_ok());
  ASSERT_TRUE(pool.add(transfer(1, 2, 50)).is_ok());
  ASSERT_TRUE(pool.add(transfer(1, 3, 60)).is_ok());
  EXPECT_EQ(fees_of(pool.reap(100, 1 << 20)), (std::vector<uint64_t>{5}));
  ASSERT_TRUE(pool.add(transfer(1, 1, 6)).is_ok());
  EXPECT_EQ(fees_of(pool.reap(100, 1 << 20)), (std::vector<uint64_t>{5, 6, 50, 60}));
}

// ---- Replacement ----

TEST(ReplacementFee, NeedsTheBumpAndAtLeastOne) {
  EXPECT_EQ(replacement_fee_min(100, 10), 110u);
  EXPECT_EQ(replacement_fee_min(105, 10), 116u);  // 10.5 rounds up
  EXPECT_EQ(replacement_fee_min(5, 10), 6u);
  EXPECT_EQ(replacement_fee_min(0, 10), 1u);
  EXPECT_EQ(replacement_fee_min(1000, 0), 1001u);
  EXPECT_EQ(replacement_fee_min(UINT64_MAX, 10), UINT64_MAX);
  EXPECT_EQ(replacement_fee_min(UINT64_MAX / 2, 1000), UINT64_MAX);
}

TEST_F(MempoolTest, ReplacesOnlyForAHighEnoughFee) {
  Mempool& pool = make();
  chain::Transaction original = transfer(1, 0, 100, 1);
  ASSERT_TRUE(pool.add(original).is_ok());
  Status low = pool.add(transfer(1, 0, 109, 2));
  EXPECT_EQ(low.code(), Code::kFailedPrecondition) << low.to_string();
  EXPECT_TRUE(pool.contains(original.id()));

  chain::Transaction better = transfer(1, 0, 110, 3);
  ASSERT_TRUE(pool.add(better).is_ok());
  EXPECT_FALSE(pool.contains(original.id()));
  EXPECT_TRUE(pool.contains(better.id()));
  const std::vector<Hash256> ids{original.id(), better.id(), original.id()};
  EXPECT_EQ(pool.lacking(ids), (std::vector<Hash256>{original.id(), original.id()}));
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.get(better.id()), better);
  EXPECT_EQ(pool.reap(10, 1 << 20), std::vector<chain::Transaction>{better});
  EXPECT_EQ(pool.metrics().replaced, 1u);

  // A replacement must still pass the application's check with its new fee.
  app_.account(key(1).public_key()).balance = 150;
  EXPECT_EQ(pool.add(transfer(1, 0, 200)).code(), Code::kInsufficientFunds);
}

// ---- Limits and eviction ----

TEST_F(MempoolTest, EvictsTheCheapestOnlyForAHigherFee) {
  Config config = test_config();
  config.transactions_max = 3;
  Mempool& pool = make(config);
  chain::Transaction cheap = transfer(1, 0, 10);
  ASSERT_TRUE(pool.add(cheap).is_ok());
  ASSERT_TRUE(pool.add(transfer(2, 0, 20)).is_ok());
  ASSERT_TRUE(pool.add(transfer(3, 0, 30)).is_ok());

  EXPECT_EQ(pool.add(transfer(4, 0, 5)).code(), Code::kResourceExhausted);
  EXPECT_EQ(pool.add(transfer(4, 0, 10)).code(), Code::kResourceExhausted);  // equal is not more
  EXPECT_TRUE(pool.contains(cheap.id()));

  chain::Transaction dearer = transfer(4, 0, 11);
  ASSERT_TRUE(pool.add(dearer).is_ok());
  EXPECT_FALSE(pool.contains(cheap.id()));
  EXPECT_TRUE(pool.contains(dearer.id()));
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.metrics().evicted, 1u);
}

TEST_F(MempoolTest, EvictionTakesTailsSoNoGapOpens) {
  Config config = test_config();
  config.transactions_max = 3;
  Mempool& pool = make(config);
  // Sender 1's cheap nonce 0 carries its dear nonce 1; sender 2's tail is cheaper than that.
  chain::Transaction carrier = transfer(1, 0, 1);
  ASSERT_TRUE(pool.add(carrier).is_ok());
  ASSERT_TRUE(pool.add(transfer(1, 1, 100)).is_ok());
  chain::Transaction middle = transfer(2, 0, 50);
  ASSERT_TRUE(pool.add(middle).is_ok());

  ASSERT_TRUE(pool.add(transfer(3, 0, 60)).is_ok());
  EXPECT_TRUE(pool.contains(carrier.id()));
  EXPECT_FALSE(pool.contains(middle.id()));
  // Now the tails are sender 1's (100) and sender 3's (60): nothing under 60 can be evicted.
  EXPECT_EQ(pool.add(transfer(4, 0, 60)).code(), Code::kResourceExhausted);
  EXPECT_EQ(fees_of(pool.reap(10, 1 << 20)), (std::vector<uint64_t>{60, 1, 100}));
}

TEST_F(MempoolTest, EvictionFollowsASendersChainDownward) {
  Config config = test_config();
  config.transactions_max = 3;
  Mempool& pool = make(config);
  ASSERT_TRUE(pool.add(transfer(1, 0, 1)).is_ok());
  ASSERT_TRUE(pool.add(transfer(1, 1, 2)).is_ok());
  ASSERT_TRUE(pool.add(transfer(2, 0, 30)).is_ok());
  // Needs one slot: sender 1's tail (fee 2) goes, not its nonce 0 (fee 1), which would leave a gap.
  ASSERT_TRUE(pool.add(transfer(3, 0, 5)).is_ok());
  EXPECT_EQ(fees_of(pool.reap(10, 1 << 20)), (std::vector<uint64_t>{30, 5, 1}));
}

TEST_F(MempoolTest, EvictsSeveralToFitTheByteBound) {
  Config config = test_config();
  const size_t transfer_bytes = encode(transfer(1, 0, 1)).size();
  config.transaction_bytes_max = 4 * transfer_bytes;
  config.bytes_max = 5 * transfer_bytes;
  Mempool& pool = make(config);
  for (uint32_t sender = 1; sender <= 4; ++sender)
    ASSERT_TRUE(pool.add(transfer(sender, 0, sender)).is_ok());
  EXPECT_EQ(pool.bytes(), 4 * transfer_bytes);

  // A key-value write between three and four transfers in size needs the three cheapest gone.
  chain::Transaction kv;
  kv.chain_id = kChain;
  kv.sender = key(5).public_key();
  kv.fee = 3;
  kv.payload = chain::KvPut{Bytes(8, 1), Bytes(3 * transfer_bytes - 100, 2)};
  kv.sign(key(5));
  const size_t kv_bytes = encode(kv).size();
  ASSERT_GT(kv_bytes, 3 * transfer_bytes);
  ASSERT_LE(kv_bytes, 4 * transfer_bytes);
  EXPECT_EQ(pool.add(kv).code(), Code::kResourceExhausted);  // fee 3 may not evict fee 3
  EXPECT_EQ(pool.size(), 4u);
  kv.fee = 4;
  kv.sign(key(5));
  ASSERT_TRUE(pool.add(kv).is_ok());
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.bytes(), transfer_bytes + kv_bytes);
  EXPECT_EQ(pool.metrics().evicted, 3u);
  EXPECT_EQ(pool.reap(10, 1 << 20).back(), kv);  // equal fees: the earlier admitted first
}

TEST_F(MempoolTest, SenderLimitStillLetsAGapFill) {
  Config config = test_config();
  config.transactions_per_sender_max = 2;
  Mempool& pool = make(config);
  ASSERT_TRUE(pool.add(transfer(1, 1, 5)).is_ok());
  chain::Transaction highest = transfer(1, 2, 5);
  ASSERT_TRUE(pool.add(highest).is_ok());
  EXPECT_EQ(pool.add(transfer(1, 3, 500)).code(), Code::kResourceExhausted);
  // Nonce 0 makes the sender's run ready; its furthest transaction makes room.
  ASSERT_TRUE(pool.add(transfer(1, 0, 5)).is_ok());
  EXPECT_FALSE(pool.contains(highest.id()));
  EXPECT_EQ(pool.reap(10, 1 << 20).size(), 2u);
  // Replacing at the limit needs no room.
  EXPECT_TRUE(pool.add(transfer(1, 1, 6)).is_ok());
  EXPECT_TRUE(pool.add(transfer(2, 0, 5)).is_ok());  // other senders are unaffected
}

// ---- After a commit ----

TEST_F(MempoolTest, UpdateAfterCommitRemovesRechecksAndPromotes) {
  Mempool& pool = make();
  std::vector<chain::Transaction> sender1;
  for (uint64_t nonce = 0; nonce < 4; ++nonce) {
    sender1.push_back(transfer(1, nonce, 5));
    ASSERT_TRUE(pool.add(sender1.back()).is_ok());
  }
  chain::Transaction poor = transfer(2, 0, 5, 900'000);
  ASSERT_TRUE(pool.add(poor).is_ok());
  chain::Transaction waiting = transfer(3, 2, 7);
  ASSERT_TRUE(pool.add(waiting).is_ok());
  EXPECT_EQ(pool.reap(100, 1 << 20).size(), 5u);  // sender 3's nonce 2 waits

  // The block holds sender 1's nonce 0, a different nonce 1 (not ours), sender 3's nonces 0 and 1
  // (not ours either), and a transfer that drains most of sender 2's balance.
  chain::Transaction conflicting = transfer(1, 1, 9, 7);
  chain::Transaction drain = chain::make_transfer(kChain, key(2), 0, 5, address(3), 500'000);
  chain::Block block =
      block_of({sender1[0], conflicting, transfer(3, 0, 1), transfer(3, 1, 1), drain});
  app_.commit(block);
  pool.update_after_commit(block);

  EXPECT_FALSE(pool.contains(sender1[0].id()));
  EXPECT_FALSE(pool.contains(sender1[1].id()));  // its nonce was used by another transaction
  EXPECT_TRUE(pool.contains(sender1[2].id()));
  EXPECT_FALSE(pool.contains(poor.id()));  // nonce used (and unaffordable)
  auto reaped = pool.reap(100, 1 << 20);
  EXPECT_EQ(reaped, (std::vector<chain::Transaction>{waiting, sender1[2], sender1[3]}));
  Metrics metrics = pool.metrics();
  EXPECT_EQ(metrics.committed, 1u);
  EXPECT_EQ(metrics.dropped_on_recheck, 2u);

  // A balance that shrank outside the pool's view (no transaction of its sender in the block)
  // is noticed at the next full recheck, every full_recheck_interval_blocks-th commit.
  app_.account(key(1).public_key()).balance = 3;
  const uint64_t interval = pool.config().full_recheck_interval_blocks;
  ASSERT_GE(interval, 3u);
  // The first commit above counted as one; this takes the count to interval - 1.
  for (uint64_t i = 1; i + 1 < interval; ++i)
    pool.update_after_commit(block_of({}));
  EXPECT_EQ(pool.size(), 3u);  // only the block's senders were rechecked so far
  pool.update_after_commit(block_of({}));
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_TRUE(pool.contains(waiting.id()));
}

// Only the block's senders are rechecked between full rechecks: a sender whose balance shrank is
// caught at once when it has a transaction in the block.
TEST_F(MempoolTest, UpdateAfterCommitRechecksTheBlocksSendersAtOnce) {
  Mempool& pool = make();
  chain::Transaction first = transfer(1, 0, 5);
  chain::Transaction second = transfer(1, 1, 5);
  chain::Transaction other = transfer(2, 0, 5);
  ASSERT_TRUE(pool.add(first).is_ok());
  ASSERT_TRUE(pool.add(second).is_ok());
  ASSERT_TRUE(pool.add(other).is_ok());
  app_.commit(block_of({first}));
  app_.account(key(1).public_key()).balance = 3;  // can no longer pay for `second`
  app_.account(key(2).public_key()).balance = 3;  // nor for `other`, but 2 sent nothing
  pool.update_after_commit(block_of({first}));
  EXPECT_FALSE(pool.contains(first.id()));
  EXPECT_FALSE(pool.contains(second.id()));
  EXPECT_TRUE(pool.contains(other.id()));
  EXPECT_EQ(pool.metrics().dropped_on_recheck, 1u);
}

// ---- Signature cache ----

TEST_F(MempoolTest, SignatureCacheRemembersVerifiedIds) {
  Config config = test_config();
  config.signature_cache_entries_max = 3;
  Mempool& pool = make(config);
  app_.account(key(1).public_key()).balance = 0;
  chain::Transaction unpaid = transfer(1, 0, 5);
  EXPECT_EQ(pool.add(unpaid).code(), Code::kInsufficientFunds);
  EXPECT_TRUE(pool.signature_verified(unpaid.id()));  // the signature was fine
  EXPECT_EQ(pool.metrics().signature_cache_hits, 0u);

  app_.account(key(1).public_key()).balance = 100;
  EXPECT_TRUE(pool.add(unpaid).is_ok());
  EXPECT_EQ(pool.metrics().signature_cache_hits, 1u);  // not verified twice

  for (uint32_t sender = 2; sender <= 4; ++sender)
    ASSERT_TRUE(pool.add(transfer(sender, 0, 5)).is_ok());
  EXPECT_FALSE(pool.signature_verified(unpaid.id()));  // the oldest is forgotten
  EXPECT_TRUE(pool.signature_verified(transfer(4, 0, 5).id()));
  EXPECT_FALSE(pool.signature_verified(transfer(5, 0, 5).id()));
}

TEST_F(MempoolTest, BlockSignaturesAreVerifiedOncePerNode) {
  Mempool& pool = make(test_config());
  chain::Transaction known = transfer(1, 0, 5);
  ASSERT_TRUE(pool.add(known).is_ok());
  chain::Transaction unseen = transfer(2, 0, 5);
  EXPECT_FALSE(pool.signature_verified(unseen.id()));

  // The known one is a cache hit; the unseen one is verified now and remembered.
  EXPECT_TRUE(pool.verify_block_signatures({known, unseen}));
  EXPECT_EQ(pool.metrics().signature_cache_hits, 1u);
  EXPECT_TRUE(pool.signature_verified(unseen.id()));
  EXPECT_TRUE(pool.verify_block_signatures({known, unseen}));
  EXPECT_EQ(pool.metrics().signature_cache_hits, 3u);

  // A forged signature (a new id, never verified) fails and is not cached.
  chain::Transaction forged = transfer(3, 0, 5);
  forged.signature.data[5] ^= 0x01;
  EXPECT_FALSE(pool.verify_block_signatures({known, forged}));
  EXPECT_FALSE(pool.signature_verified(forged.id()));
  EXPECT_TRUE(pool.verify_block_signatures({}));
}

// ---- Batches and threads ----

TEST_F(MempoolTest, BatchResultsComeInBatchOrder) {
  Config config = test_config();
  config.transaction_bytes_max = 1'000;
  Mempool& pool = make(config);
  chain::Transaction bad_signature = transfer(2, 0, 5);
  bad_signature.fee = 1;
  std::vector<Bytes> batch = {encode(transfer(1, 0, 5)), Bytes{9},
                              encode(bad_signature),     encode(transfer(1, 1, 5)),
                              Bytes(1'001, 0),           encode(transfer(1, 0, 5))};
  std::optional<std::vector<Admission>> results;
  ASSERT_TRUE(
      pool.submit_batch(batch, [&](std::vector<Admission> out) { results = std::move(out); })
          .is_ok());
  while (!results.has_value())
    pool.poll_wait(std::chrono::milliseconds(100));
  std::vector<Code> codes;
  for (const Admission& admission : *results)
    codes.push_back(admission.status.code());
  EXPECT_EQ(codes, (std::vector<Code>{Code::kOk, Code::kCorrupt, Code::kUnauthenticated, Code::kOk,
                                      Code::kInvalidArgument, Code::kAlreadyExists}));
  EXPECT_EQ((*results)[0].id, transfer(1, 0, 5).id());
  EXPECT_TRUE((*results)[1].id.is_zero());
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.metrics().rejected_total(), 4u);
}

TEST_F(MempoolTest, ConcurrentSubmittersWithOneDriver) {
  constexpr uint32_t kThreads = 4;
  constexpr uint32_t kSendersPerThread = 10;
  constexpr uint64_t kNonces = 5;
  std::vector<std::vector<chain::Transaction>> work(kThreads);
  for (uint32_t thread = 0; thread < kThreads; ++thread) {
    for (uint32_t s = 0; s < kSendersPerThread; ++s) {
      const uint32_t sender = 100 + thread * kSendersPerThread + s;
      app_.fund(key(sender).public_key(), 1'000);
      for (uint64_t nonce = 0; nonce < kNonces; ++nonce)
        work[thread].push_back(transfer(sender, nonce, 1 + (sender + nonce) % 7));
    }
  }
  std::atomic<int> wakeups{0};
  Mempool pool(test_config(/*verify_threads=*/3), app_, [&] { wakeups.fetch_add(1); });

  const size_t expected = kThreads * kSendersPerThread * kNonces;
  std::atomic<size_t> accepted_at_door{0};
  size_t delivered = 0;  // driver thread only
  size_t admitted = 0;
  auto done = [&](const Admission& admission) {
    ++delivered;
    if (admission.status.is_ok()) ++admitted;
    // Callbacks may read the pool.
    EXPECT_EQ(pool.contains(admission.id), admission.status.is_ok());
  };
  std::vector<std::thread> submitters;
  for (uint32_t thread = 0; thread < kThreads; ++thread) {
    submitters.emplace_back([&, thread] {
      for (size_t i = 0; i < work[thread].size(); ++i) {
        const chain::Transaction& tx = work[thread][i];
        Status door =
            thread % 2 == 0 ? pool.submit(tx, done) : pool.submit_encoded(encode(tx), done);
        if (door.is_ok()) accepted_at_door.fetch_add(1);
        if (i % 7 == 0) (void)pool.size();  // readers from other threads, too
      }
    });
  }
  while (delivered < expected)
    pool.poll_wait(std::chrono::milliseconds(50));
  for (std::thread& thread : submitters)
    thread.join();

  EXPECT_EQ(accepted_at_door.load(), expected);
  EXPECT_EQ(admitted, expected);
  EXPECT_EQ(pool.size(), expected);
  EXPECT_GT(wakeups.load(), 0);
  // Whatever order they arrived in, every sender's run is complete and ready.
  auto reaped = pool.reap(expected, 1 << 30);
  EXPECT_EQ(reaped.size(), expected);
  std::map<chain::Address, uint64_t> next;
  for (const chain::Transaction& tx : reaped) {
    EXPECT_EQ(tx.nonce, next[tx.sender_address()]);
    next[tx.sender_address()] = tx.nonce + 1;
  }
}

TEST_F(MempoolTest, DestroyingWithUndeliveredSubmissionsIsClean) {
  auto pool = std::make_unique<Mempool>(test_config(2), app_);
  int called = 0;
  for (uint32_t sender = 0; sender < 16; ++sender)
    ASSERT_TRUE(pool->submit(transfer(sender, 0, 5), [&](const Admission&) { ++called; }).is_ok());
  pool.reset();
  EXPECT_EQ(called, 0);
}

TEST(MempoolConfig, CheckNamesTheBadField) {
  Config config;
  EXPECT_EQ(config.check().code(), Code::kInvalidArgument);
  config.chain_id = kChain;
  EXPECT_TRUE(config.check().is_ok());
  EXPECT_GE(config.verify_threads, 1u);
  config.transaction_bytes_max = chain::kTransactionBytesMax + 1;
  EXPECT_NE(config.check().message().find("transaction_bytes_max"), std::string::npos);
}

}  // namespace
}  // namespace synod::mempool
