// Which faults a run injects (the fault mix, from the command line) and how often (the rates,
// drawn from the run's seed within fixed ranges, so a sweep over seeds covers gentle and harsh
// runs alike). Byzantine behaviours are chosen separately, per byzantine node (byzantine.h).
// Values; thread-safe to read.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"
#include "sim/random.h"

namespace synod::sim {

enum class Fault : uint8_t {
  kDrop,       // a message is lost
  kDelay,      // latency with a long tail
  kDuplicate,  // a message arrives twice
  kReorder,    // links are not FIFO: a later message may overtake an earlier one
  kPartition,  // the network splits into groups that cannot talk, and later heals
  kCrash,      // a node stops (losing unsynced writes) and later restarts from its store
  kSkew,       // each node's clock is offset from virtual time
};
inline constexpr Fault kAllFaults[] = {Fault::kDrop,    Fault::kDelay,     Fault::kDuplicate,
                                       Fault::kReorder, Fault::kPartition, Fault::kCrash,
                                       Fault::kSkew};

std::string_view fault_name(Fault fault);

class FaultMix {
 public:
  // "none", "all", or a comma-separated list of fault names ("drop,delay,crash").
  static Result<FaultMix> parse(std::string_view text);
  static FaultMix all();
  static FaultMix none() { return FaultMix(); }

  bool has(Fault fault) const { return (bits_ >> static_cast<unsigned>(fault)) & 1u; }
  FaultMix& add(Fault fault) {
    bits_ |= 1u << static_cast<unsigned>(fault);
    return *this;
  }
  bool empty() const { return bits_ == 0; }
  std::string to_string() const;

 private:
  uint32_t bits_ = 0;
};

// Rates for one run. Probabilities are per million; times are virtual milliseconds.
struct FaultRates {
  uint64_t drop_per_million = 0;
  uint64_t duplicate_per_million = 0;
  uint64_t latency_ms_min = 1;
  uint64_t latency_ms_max = 5;
  uint64_t delay_tail_per_million = 0;  // a message takes the long tail
  uint64_t delay_tail_ms_max = 0;       // up to this much extra
  uint64_t reorder_jitter_ms_max = 0;   // extra uniform jitter that lets messages overtake
  bool fifo_links = true;               // false under kReorder
  uint64_t partition_per_phase_per_million = 0;
  uint64_t crash_per_phase_per_million = 0;  // per node and chaos phase
  uint64_t crash_downtime_ms_max = 0;
  uint64_t clock_skew_ms_max = 0;  // each node's offset is in [-max, +max]

  static FaultRates from_seed(const FaultMix& mix, Prng& prng);
  std::string to_string() const;
};

// How many faults of each kind a run injected, by name (ordered, for stable printing).
using FaultCounts = std::map<std::string, uint64_t>;

}  // namespace synod::sim
