#include "mempool/pending_set.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace synod::mempool {
namespace {

// Signatures play no part in PendingSet, so senders are arbitrary public keys.
chain::Transaction unsigned_transfer(uint8_t sender, uint64_t nonce, uint64_t fee) {
  chain::Transaction tx;
  tx.chain_id = "synod-test";
  tx.sender.data.fill(sender);
  tx.nonce = nonce;
  tx.fee = fee;
  tx.payload = chain::Transfer{chain::Address{}, 1};
  return tx;
}

struct Shadow {
  chain::Address sender;
  uint64_t nonce = 0;
  uint64_t fee = 0;
};

// Random inserts, removals and reaps against the bounds and the eviction promises:
// never evict for a transaction paying the same or less, never leave a gap below a survivor.
TEST(PendingSet, RandomOperationsKeepTheirPromises) {
  PendingLimits limits{.transactions_max = 40,
                       .bytes_max = 40 * 200,
                       .transactions_per_sender_max = 6,
                       .replacement_fee_bump_percent = 10};
  PendingSet set(limits);
  std::map<Hash256, Shadow> shadow;
  std::mt19937_64 random(42);
  auto uniform = [&random](uint64_t low, uint64_t high) {
    return std::uniform_int_distribution<uint64_t>(low, high)(random);
  };

  size_t inserted = 0, evicted = 0, refused = 0;
  for (int step = 0; step < 20'000; ++step) {
    const uint64_t action = uniform(0, 9);
    if (action < 7) {
      chain::Transaction tx =
          unsigned_transfer(static_cast<uint8_t>(uniform(1, 12)), uniform(0, 9), uniform(1, 1'000));
      const Hash256 id = tx.id();
      if (set.contains(id)) continue;
      const chain::Address sender = tx.sender_address();
      const size_t bytes = uniform(100, 400);
      const Shadow incoming{sender, tx.nonce, tx.fee};
      auto outcome = set.insert(tx, id, sender, bytes);
      if (!outcome.is_ok()) {
        ++refused;
        EXPECT_TRUE(outcome.status().code() == Code::kResourceExhausted ||
                    outcome.status().code() == Code::kFailedPrecondition);
        continue;
      }
      ++inserted;
      if (outcome->replaced) shadow.erase(*outcome->replaced);
      for (const Hash256& gone : outcome->evicted) {
        const Shadow was = shadow.at(gone);
        const bool sender_limit = was.sender == sender && was.nonce > incoming.nonce;
        EXPECT_TRUE(was.fee < incoming.fee || sender_limit);
        shadow.erase(gone);
        ++evicted;
        for (const Hash256& survivor : set.ids_of(was.sender)) {
          EXPECT_LT(set.find(survivor)->nonce, was.nonce) << "eviction left a gap";
        }
      }
      shadow[id] = incoming;
    } else if (action < 9 && !shadow.empty()) {
      auto it = std::next(shadow.begin(), static_cast<long>(uniform(0, shadow.size() - 1)));
      EXPECT_TRUE(set.remove(it->first));
      shadow.erase(it);
    } else {
      auto reaped = set.reap(uniform(0, 50), uniform(0, 8'000),
                             [](const chain::Address&) { return uint64_t{0}; });
      std::map<chain::Address, uint64_t> next;
      for (const chain::Transaction& tx : reaped) {
        EXPECT_EQ(tx.nonce, next[tx.sender_address()]);
        next[tx.sender_address()] = tx.nonce + 1;
      }
    }
    ASSERT_EQ(set.size(), shadow.size());
    ASSERT_LE(set.size(), limits.transactions_max);
    ASSERT_LE(set.bytes(), limits.bytes_max);
    for (const chain::Address& sender : set.senders())
      ASSERT_LE(set.ids_of(sender).size(), limits.transactions_per_sender_max);
  }
  // The run exercised every path.
  EXPECT_GT(inserted, 1'000u);
  EXPECT_GT(evicted, 100u);
  EXPECT_GT(refused, 100u);
}

TEST(PendingSet, ReapSkipsARunThatDoesNotFitButTakesSmallerOnes) {
  PendingSet set(PendingLimits{100, 1 << 20, 10, 10});
  for (auto [sender, nonce, fee, bytes] :
       std::vector<std::tuple<uint8_t, uint64_t, uint64_t, size_t>>{
           {1, 0, 90, 500}, {1, 1, 80, 100}, {2, 0, 50, 100}, {3, 0, 40, 300}}) {
    chain::Transaction tx = unsigned_transfer(sender, nonce, fee);
    ASSERT_TRUE(set.insert(tx, tx.id(), tx.sender_address(), bytes).is_ok());
  }
  auto next = [](const chain::Address&) { return uint64_t{0}; };
  std::vector<uint64_t> fees;
  for (const auto& tx : set.reap(10, 450, next))
    fees.push_back(tx.fee);
  // Sender 1's nonce 0 (500 bytes) does not fit, so its nonce 1 cannot follow either.
  EXPECT_EQ(fees, (std::vector<uint64_t>{50, 40}));
}

}  // namespace
}  // namespace synod::mempool
