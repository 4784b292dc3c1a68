// State tree micro-benchmarks. BM_StateRootUpdate5000Over1M is the ledger's per-block cost of
// committing to state: 5,000 changed accounts in a tree of 1,000,000.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "ledger/state_tree.h"

namespace synod::ledger {
namespace {

constexpr size_t kTreeEntries = 1'000'000;
constexpr size_t kUpdatesPerBlock = 5'000;

Hash256 random_hash(std::mt19937_64& random) {
  Hash256 out;
  for (size_t i = 0; i < Hash256::kSize; i += 8) {
    uint64_t word = random();
    for (size_t j = 0; j < 8; ++j)
      out.data[i + j] = static_cast<uint8_t>(word >> (8 * j));
  }
  return out;
}

struct Fixture {
  StateTree tree;
  std::vector<Hash256> keys;
  // Shared by every run, so that no run repeats another's changes (a repeat would be a no-op).
  std::mt19937_64 random{7};
};

// Built once per process, outside any timing.
Fixture& million_key_tree() {
  static Fixture* fixture = [] {
    auto* built = new Fixture;
    std::mt19937_64 random(42);
    built->keys.reserve(kTreeEntries);
    for (size_t i = 0; i < kTreeEntries; ++i) {
      built->keys.push_back(random_hash(random));
      built->tree.put(built->keys.back(), random_hash(random));
    }
    built->tree.root();
    return built;
  }();
  return *fixture;
}

// One block's worth of changes to random existing keys, drawn outside the timing.
std::vector<StateChange> random_updates(Fixture& fixture) {
  std::vector<StateChange> changes(kUpdatesPerBlock);
  for (StateChange& change : changes) {
    change.key = fixture.keys[fixture.random() % fixture.keys.size()];
    change.value_hash = random_hash(fixture.random);
  }
  return changes;
}

// Times applying the changes (batched with apply(), or one put() at a time) and computing the
// root; reports the hashes done per block and the tree's bytes per entry.
void run_update_benchmark(benchmark::State& state, bool batched) {
  Fixture& fixture = million_key_tree();
  uint64_t hashes_before = fixture.tree.hash_count();
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<StateChange> changes = random_updates(fixture);
    state.ResumeTiming();
    if (batched) {
      fixture.tree.apply(changes);
    } else {
      for (const StateChange& change : changes)
        fixture.tree.put(change.key, *change.value_hash);
    }
    benchmark::DoNotOptimize(fixture.tree.root());
  }
  state.counters["hashes_per_block"] =
      benchmark::Counter(static_cast<double>(fixture.tree.hash_count() - hashes_before),
                         benchmark::Counter::kAvgIterations);
  state.counters["bytes_per_entry"] =
      static_cast<double>(fixture.tree.memory_bytes()) / static_cast<double>(fixture.tree.size());
}

void BM_StateRootUpdate5000Over1M(benchmark::State& state) {
  run_update_benchmark(state, true);
}
BENCHMARK(BM_StateRootUpdate5000Over1M)->Unit(benchmark::kMillisecond);

void BM_StateRootUpdate5000Over1MPutLoop(benchmark::State& state) {
  run_update_benchmark(state, false);
}
BENCHMARK(BM_StateRootUpdate5000Over1MPutLoop)->Unit(benchmark::kMillisecond);

// The hashing floor: one 65-byte SHA-256, as every tree node costs.
void BM_StateNodeHash(benchmark::State& state) {
  Hash256 left = Hash256{};
  Hash256 right = Hash256{};
  right.data[0] = 1;
  for (auto _ : state) {
    left = state_node_hash(left, right);
    benchmark::DoNotOptimize(left);
  }
}
BENCHMARK(BM_StateNodeHash);

}  // namespace
}  // namespace synod::ledger
