// Ledger micro-benchmarks: the state machine's cost per transfer, signatures excluded (the mempool
// and validate_block's callers check those separately). Blocks of 5,000 pre-signed transfers among
// 10,000 funded accounts, built once per process outside any timing.
//
//   BM_LedgerApplyTransfers:       apply_block of a block the ledger has not seen: body check
//                                  (transaction ids, Merkle root), execution, state root, writes,
//                                  undo data.
//   BM_LedgerValidateThenApply:    validate_block(signatures_checked = true) then apply_block,
//                                  as a validator does; apply reuses what validate computed.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/testing.h"

namespace synod::ledger {
namespace {

constexpr size_t kAccounts = 10'000;
constexpr size_t kTransfersPerBlock = 5'000;
constexpr size_t kBlocks = 8;

struct Fixture {
  chain::Genesis genesis;
  std::vector<chain::Block> blocks;
};

std::vector<chain::Transaction> random_transfers(std::mt19937_64& random,
                                                 const std::vector<crypto::KeyPair>& keys,
                                                 std::vector<uint64_t>& nonces) {
  std::vector<chain::Transaction> txs;
  txs.reserve(kTransfersPerBlock);
  for (size_t i = 0; i < kTransfersPerBlock; ++i) {
    size_t from = random() % keys.size();
    size_t to = random() % keys.size();
    txs.push_back(chain::make_transfer(testing::kChainId, keys[from], nonces[from]++, 1,
                                       testing::address(keys[to]), 1 + random() % 100));
  }
  return txs;
}

// Built once per process, outside any timing.
const Fixture& fixture() {
  static const Fixture* built = [] {
    auto* out = new Fixture;
    std::vector<crypto::KeyPair> keys;
    keys.reserve(kAccounts);
    for (uint32_t i = 0; i < kAccounts; ++i)
      keys.push_back(testing::key(i + 1));
    out->genesis = testing::make_genesis(keys, 1'000'000'000, chain::AppKind::kLedger, 4);
    auto builder = Ledger::create(out->genesis).value();
    std::mt19937_64 random(42);
    std::vector<uint64_t> nonces(kAccounts, 0);
    for (size_t b = 0; b < kBlocks; ++b) {
      const crypto::PublicKey& proposer =
          out->genesis.validators.at(b % out->genesis.validators.size()).public_key;
      auto block =
          builder->prepare_block(testing::next_header(*builder, proposer),
                                 random_transfers(random, keys, nonces), kTransfersPerBlock);
      SYNOD_ASSERT(block.is_ok() && block->transactions.size() == kTransfersPerBlock);
      SYNOD_ASSERT(builder->apply_block(*block).is_ok());
      out->blocks.push_back(std::move(block).value());
    }
    return out;
  }();
  return *built;
}

template <typename Step>
void run_blocks(benchmark::State& state, Step step) {
  const Fixture& f = fixture();
  std::unique_ptr<Ledger> ledger;
  size_t next = f.blocks.size();
  for (auto _ : state) {
    if (next == f.blocks.size()) {
      state.PauseTiming();
      ledger = Ledger::create(f.genesis).value();
      next = 0;
      state.ResumeTiming();
    }
    Status status = step(*ledger, f.blocks[next++]);
    if (!status.is_ok()) {
      state.SkipWithError(status.to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kTransfersPerBlock));
  state.counters["accounts"] = static_cast<double>(kAccounts);
}

void BM_LedgerApplyTransfers(benchmark::State& state) {
  run_blocks(state, [](Ledger& ledger, const chain::Block& block) {
    auto result = ledger.apply_block(block);
    benchmark::DoNotOptimize(result);
    return result.status();
  });
}
BENCHMARK(BM_LedgerApplyTransfers)->Unit(benchmark::kMillisecond);

void BM_LedgerValidateThenApply(benchmark::State& state) {
  run_blocks(state, [](Ledger& ledger, const chain::Block& block) {
    SYNOD_TRY(ledger.validate_block(block, /*signatures_checked=*/true));
    auto result = ledger.apply_block(block);
    benchmark::DoNotOptimize(result);
    return result.status();
  });
}
BENCHMARK(BM_LedgerValidateThenApply)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace synod::ledger
