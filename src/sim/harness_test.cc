// Unit tests of the simulator's parts on their own: the PRNG, fault mixes, the network, the
// trace digest, the node store and (most important) that each checker can fail.
#include <gtest/gtest.h>

#include "ledger/apps.h"
#include "sim/checkers.h"
#include "sim/faults.h"
#include "sim/load.h"
#include "sim/network.h"
#include "sim/node_store.h"
#include "sim/production.h"
#include "sim/random.h"
#include "sim/trace.h"
#include "storage/mem_kv.h"

namespace synod::sim {
namespace {

TEST(Prng, SameSeedSameStreamDifferentSeedDifferent) {
  Prng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    differs |= x != c.next();
  }
  EXPECT_TRUE(differs);
}

TEST(Prng, BoundsAreRespected) {
  Prng prng(7);
  for (int i = 0; i < 10'000; ++i) {
    EXPECT_LT(prng.below(13), 13u);
    uint64_t value = prng.between(5, 9);
    EXPECT_GE(value, 5u);
    EXPECT_LE(value, 9u);
  }
  EXPECT_FALSE(prng.chance(0));
  EXPECT_TRUE(prng.chance(1'000'000));
}

TEST(FaultMix, ParsesNamesAllAndNone) {
  EXPECT_EQ(FaultMix::parse("all")->to_string(),
            "drop,delay,duplicate,reorder,partition,crash,skew");
  EXPECT_TRUE(FaultMix::parse("none")->empty());
  auto mix = FaultMix::parse("crash,drop");
  ASSERT_TRUE(mix.is_ok());
  EXPECT_TRUE(mix->has(Fault::kCrash));
  EXPECT_TRUE(mix->has(Fault::kDrop));
  EXPECT_FALSE(mix->has(Fault::kDelay));
  EXPECT_EQ(mix->to_string(), "drop,crash");
  EXPECT_FALSE(FaultMix::parse("drop,meteor").is_ok());
}

TEST(FaultRates, OnlyTheMixIsActive) {
  Prng prng(1);
  FaultRates rates = FaultRates::from_seed(FaultMix::parse("drop").value(), prng);
  EXPECT_GT(rates.drop_per_million, 0u);
  EXPECT_EQ(rates.duplicate_per_million, 0u);
  EXPECT_EQ(rates.crash_per_phase_per_million, 0u);
  EXPECT_TRUE(rates.fifo_links);
}

Envelope envelope(uint32_t from, uint32_t to, size_t bytes = 10) {
  Envelope out;
  out.from = from;
  out.to = to;
  out.payload.assign(bytes, 0xab);
  return out;
}

TEST(Network, WithoutFaultsEveryMessageArrivesInOrder) {
  Prng prng(3);
  Network network(3, FaultRates::from_seed(FaultMix::none(), prng), 1'000, Prng(4));
  uint64_t last = 0;
  for (uint64_t now = 0; now < 1'000; now += 1) {
    auto arrivals = network.route(envelope(0, 1), now);
    ASSERT_EQ(arrivals.size(), 1u);
    EXPECT_GE(arrivals[0], last);  // FIFO link
    EXPECT_GT(arrivals[0], now);
    last = arrivals[0];
  }
  EXPECT_EQ(network.stats().sent, 1'000u);
  EXPECT_EQ(network.stats().delivered, 1'000u);
}

TEST(Network, DropsDuplicatesPartitionsAndOversize) {
  Prng prng(5);
  Network network(3, FaultRates::from_seed(FaultMix::all(), prng), 1'000, Prng(6));
  for (int i = 0; i < 20'000; ++i)
    (void)network.route(envelope(0, 1), 0);
  EXPECT_GT(network.stats().dropped_fault, 0u);
  EXPECT_GT(network.stats().duplicated, 0u);
  EXPECT_GT(network.stats().delayed_tail, 0u);

  EXPECT_TRUE(network.route(envelope(0, 1, 1'001), 0).empty());
  EXPECT_EQ(network.stats().dropped_oversize, 1u);

  network.partition({0, 0, 1});
  EXPECT_TRUE(network.route(envelope(0, 2), 0).empty());
  EXPECT_FALSE(network.connected(1, 2));
  network.heal();
  network.set_faults_active(false);
  EXPECT_EQ(network.route(envelope(0, 2), 0).size(), 1u);
}

TEST(Trace, DigestDependsOnEveryEvent) {
  Trace a, b, c;
  for (Trace* trace : {&a, &b, &c}) {
    trace->record(1, "one");
    trace->record(2, "two");
  }
  c.record(3, "three");
  EXPECT_EQ(a.digest(), b.digest());
  EXPECT_NE(a.digest(), c.digest());
  a.absorb(as_bytes("payload"));
  EXPECT_NE(a.digest(), b.digest());
  Trace small(2);
  for (int i = 0; i < 5; ++i)
    small.record(i, "x");
  EXPECT_EQ(small.recent().size(), 2u);
  EXPECT_EQ(small.event_count(), 5u);
}

// A genesis with funded accounts and one validator, and helpers to build real ledger blocks.
struct LedgerFixture {
  LedgerFixture() {
    Prng prng(9);
    accounts = LoadGenerator::make_accounts(4, prng);
    validator = std::make_unique<crypto::KeyPair>(LoadGenerator::make_accounts(1, prng)[0]);
    genesis.chain_id = "synod-sim-test";
    for (const auto& key : accounts) {
      genesis.accounts.push_back(
          chain::GenesisAccount{chain::Address::from_public_key(key.public_key()), 1'000'000});
    }
    genesis.validators =
        chain::ValidatorSet::create({chain::Validator{validator->public_key(), 1, "v0"}}).value();
  }

  std::unique_ptr<chain::Application> application() const {
    return production_application_factory()(genesis);
  }

  // The next block on `app`, moving `amount` from account 0 to account 1.
  chain::Block next_block(chain::Application& app, uint64_t amount,
                          const Hash256& previous_hash = Hash256()) const {
    chain::BlockHeader header;
    header.chain_id = genesis.chain_id;
    header.height = app.height() + 1;
    header.previous_hash = previous_hash;
    header.time_ms = 1'000 * header.height;
    header.proposer = validator->public_key();
    header.validator_set_hash = app.validator_set(header.height).hash();
    chain::Address to = chain::Address::from_public_key(accounts[1].public_key());
    std::vector<chain::Transaction> txs = {chain::make_transfer(
        genesis.chain_id, accounts[0],
        app.next_nonce(chain::Address::from_public_key(accounts[0].public_key())), 1, to, amount)};
    return app.prepare_block(header, txs, 10).value();
  }

  chain::Genesis genesis;
  std::vector<crypto::KeyPair> accounts;
  std::unique_ptr<crypto::KeyPair> validator;
};

class CheckersTest : public ::testing::Test {
 protected:
  CheckersTest()
      : checkers_({true, true, true, false}, fixture_.application(), production_supply(),
                  fixture_.genesis.total_supply()),
        builder_(fixture_.application()) {}

  // Commits a block on the builder and returns it.
  chain::Block build(uint64_t amount) {
    chain::Block block = fixture_.next_block(*builder_, amount);
    EXPECT_TRUE(builder_->apply_block(block).is_ok());
    return block;
  }

  LedgerFixture fixture_;
  Checkers checkers_;
  std::unique_ptr<chain::Application> builder_;
};

TEST_F(CheckersTest, AgreeingHistoryPasses) {
  chain::Block one = build(10);
  chain::Block two = build(20);
  for (uint32_t node = 0; node < 3; ++node) {
    checkers_.on_commit(node, 0, one, one.header.state_root);
    checkers_.on_commit(node, 0, two, two.header.state_root);
  }
  EXPECT_FALSE(checkers_.failed());
  EXPECT_EQ(checkers_.agreed_height(), 2u);
  EXPECT_EQ(checkers_.honest_height_min(), 2u);
}

TEST_F(CheckersTest, ConflictingHistoryFailsAgreement) {
  std::unique_ptr<chain::Application> other = fixture_.application();
  chain::Block one = build(10);
  chain::Block conflicting = fixture_.next_block(*other, 11);
  ASSERT_NE(one.hash(), conflicting.hash());
  checkers_.on_commit(0, 0, one, one.header.state_root);
  checkers_.on_commit(1, 0, conflicting, conflicting.header.state_root);
  ASSERT_TRUE(checkers_.failed());
  EXPECT_EQ(checkers_.failure()->name, "agreement");
}

TEST_F(CheckersTest, ByzantineNodesAreNotChecked) {
  std::unique_ptr<chain::Application> other = fixture_.application();
  chain::Block one = build(10);
  chain::Block conflicting = fixture_.next_block(*other, 11);
  checkers_.on_commit(0, 0, one, one.header.state_root);
  checkers_.on_commit(3, 0, conflicting, conflicting.header.state_root);  // node 3 is byzantine
  EXPECT_FALSE(checkers_.failed());
}

TEST_F(CheckersTest, SkippedHeightFailsAgreement) {
  build(10);
  chain::Block two = build(20);
  checkers_.on_commit(0, 0, two, two.header.state_root);
  ASSERT_TRUE(checkers_.failed());
  EXPECT_EQ(checkers_.failure()->name, "agreement");
}

TEST_F(CheckersTest, InvalidBlockFailsValidity) {
  chain::Block bad = fixture_.next_block(*builder_, 10);
  bad.header.state_root.data[0] ^= 1;  // a root the rules do not reach
  checkers_.on_commit(0, 0, bad, bad.header.state_root);
  ASSERT_TRUE(checkers_.failed());
  EXPECT_EQ(checkers_.failure()->name, "validity");
}

TEST_F(CheckersTest, DivergentStateRootFailsValidity) {
  chain::Block one = build(10);
  checkers_.on_commit(0, 0, one, one.header.state_root);
  Hash256 wrong = one.header.state_root;
  wrong.data[5] ^= 1;
  checkers_.on_commit(1, 0, one, wrong);
  ASSERT_TRUE(checkers_.failed());
  EXPECT_EQ(checkers_.failure()->name, "validity");
}

TEST_F(CheckersTest, LostCommitFailsDurability) {
  chain::Block one = build(10);
  checkers_.on_commit(0, 0, one, one.header.state_root);
  checkers_.on_restart(0, [&](uint64_t) -> Result<std::optional<Hash256>> {
    return std::optional<Hash256>(one.hash());
  });
  EXPECT_FALSE(checkers_.failed());
  checkers_.on_restart(
      0, [](uint64_t) -> Result<std::optional<Hash256>> { return std::optional<Hash256>(); });
  ASSERT_TRUE(checkers_.failed());
  EXPECT_EQ(checkers_.failure()->name, "durability");
}

TEST_F(CheckersTest, NoProgressAfterHealFailsLiveness) {
  chain::Block one = build(10);
  checkers_.on_commit(0, 0, one, one.header.state_root);
  checkers_.open_liveness_window(100, 1'000);
  EXPECT_FALSE(checkers_.check_liveness(500));
  EXPECT_FALSE(checkers_.failed());
  EXPECT_FALSE(checkers_.check_liveness(1'000));
  ASSERT_TRUE(checkers_.failed());
  EXPECT_EQ(checkers_.failure()->name, "liveness");
}

TEST_F(CheckersTest, ProgressAfterHealSatisfiesLiveness) {
  chain::Block one = build(10);
  checkers_.open_liveness_window(100, 1'000);
  for (uint32_t node = 0; node < 3; ++node)
    checkers_.on_commit(node, 200, one, one.header.state_root);
  EXPECT_FALSE(checkers_.liveness_window_open());
  EXPECT_FALSE(checkers_.failed());
}

TEST_F(CheckersTest, EvidenceAgainstAnHonestNodeFailsEquivocation) {
  checkers_.on_evidence(3, "double-prepare", 1, 0);  // node 3 is byzantine: expected
  EXPECT_FALSE(checkers_.failed());
  checkers_.on_evidence(1, "double-prepare", 1, 0);
  ASSERT_TRUE(checkers_.failed());
  EXPECT_EQ(checkers_.failure()->name, "equivocation");
}

TEST(NodeStore, UnsyncedCommitIsLostSyncedSurvives) {
  LedgerFixture fixture;
  auto app = fixture.application();
  storage::MemKvStore disk;
  NodeStore store(disk);
  chain::Block one = fixture.next_block(*app, 5);
  auto applied = app->apply_block(one);
  ASSERT_TRUE(applied.is_ok());
  ASSERT_TRUE(store.put_commit(one, chain::Certificate{}, *applied, true).is_ok());
  ASSERT_TRUE(store.put_records({{"pbft/view", Bytes{1, 2}}}).is_ok());
  EXPECT_EQ(store.tip()->block_hash, one.hash());
  chain::Block two = fixture.next_block(*app, 6, one.hash());
  applied = app->apply_block(two);
  ASSERT_TRUE(store.put_commit(two, chain::Certificate{}, *applied, false).is_ok());
  EXPECT_EQ(store.tip_height().value(), 2u);
  disk.simulate_crash();
  EXPECT_EQ(store.tip_height().value(), 1u);
  EXPECT_EQ(store.tip()->block_hash, one.hash());
  ASSERT_EQ(store.records()->size(), 1u);
  EXPECT_EQ(store.records().value()[0].key, "pbft/view");

  // The stored state restores an application to the same root.
  auto restored = fixture.application();
  ASSERT_TRUE(restored->restore(1, one.header.state_root, store.state_scan()).is_ok());
  EXPECT_EQ(restored->state_root(), one.header.state_root);
}

}  // namespace
}  // namespace synod::sim
