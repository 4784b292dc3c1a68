// The simulator's one source of randomness: xoshiro256** (Blackman & Vigna, "Scrambled linear
// pseudorandom number generators", 2018), seeded through splitmix64. Everything random in a run
// (delays, drops, crashes, keys, load) draws from a Prng derived from the run's seed, so the seed
// replays the run. Never std::random_device, never the wall clock. A value type; not thread-safe.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "base/assert.h"

namespace synod::sim {

// One step of splitmix64: advances `state` and returns a well-mixed 64-bit value.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Prng {
 public:
  explicit Prng(uint64_t seed) {
    for (uint64_t& word : state_)
      word = splitmix64(seed);
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, bound), without modulo bias (rejection sampling). bound > 0.
  uint64_t below(uint64_t bound) {
    SYNOD_ASSERT(bound > 0);
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t value = next();
    while (value >= limit)
      value = next();
    return value % bound;
  }

  // Uniform in [low, high], inclusive. low <= high.
  uint64_t between(uint64_t low, uint64_t high) {
    SYNOD_ASSERT(low <= high);
    if (high - low == UINT64_MAX) return next();
    return low + below(high - low + 1);
  }

  // True with probability per_million / 1'000'000.
  bool chance(uint64_t per_million) { return below(1'000'000) < per_million; }

  // An independent stream for one component, so adding draws in one place does not shift
  // every other component's draws.
  Prng fork() { return Prng(next()); }

  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i)
      std::swap(items[i - 1], items[below(i)]);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace synod::sim
