#include "sim/faults.h"

#include <fmt/format.h>

namespace synod::sim {

std::string_view fault_name(Fault fault) {
  switch (fault) {
    case Fault::kDrop:
      return "drop";
    case Fault::kDelay:
      return "delay";
    case Fault::kDuplicate:
      return "duplicate";
    case Fault::kReorder:
      return "reorder";
    case Fault::kPartition:
      return "partition";
    case Fault::kCrash:
      return "crash";
    case Fault::kSkew:
      return "skew";
  }
  return "unknown";
}

FaultMix FaultMix::all() {
  FaultMix mix;
  for (Fault fault : kAllFaults)
    mix.add(fault);
  return mix;
}

Result<FaultMix> FaultMix::parse(std::string_view text) {
  if (text == "all") return all();
  if (text == "none" || text.empty()) return none();
  FaultMix mix;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view name = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    bool known = false;
    for (Fault fault : kAllFaults) {
      if (fault_name(fault) == name) {
        mix.add(fault);
        known = true;
      }
    }
    if (!known) {
      return error(Code::kInvalidArgument,
                   fmt::format("unknown fault '{}' (expected all, none, or a comma-separated list "
                               "of drop, delay, duplicate, reorder, partition, crash, skew)",
                               name));
    }
  }
  return mix;
}

std::string FaultMix::to_string() const {
  if (empty()) return "none";
  std::string out;
  for (Fault fault : kAllFaults) {
    if (!has(fault)) continue;
    if (!out.empty()) out += ',';
    out += fault_name(fault);
  }
  return out;
}

FaultRates FaultRates::from_seed(const FaultMix& mix, Prng& prng) {
  FaultRates rates;
  // Every draw happens whatever the mix, so toggling one fault does not shift the others' rates.
  uint64_t drop = prng.between(1'000, 50'000);
  uint64_t duplicate = prng.between(1'000, 30'000);
  uint64_t latency_max = prng.between(2, 20);
  uint64_t tail = prng.between(5'000, 50'000);
  uint64_t tail_max = prng.between(200, 4'000);
  uint64_t jitter = prng.between(5, 100);
  uint64_t partition = prng.between(200'000, 700'000);
  uint64_t crash = prng.between(50'000, 250'000);
  uint64_t downtime = prng.between(500, 8'000);
  uint64_t skew = prng.between(10, 2'000);

  rates.latency_ms_max = latency_max;
  if (mix.has(Fault::kDrop)) rates.drop_per_million = drop;
  if (mix.has(Fault::kDuplicate)) rates.duplicate_per_million = duplicate;
  if (mix.has(Fault::kDelay)) {
    rates.delay_tail_per_million = tail;
    rates.delay_tail_ms_max = tail_max;
  }
  if (mix.has(Fault::kReorder)) {
    rates.reorder_jitter_ms_max = jitter;
    rates.fifo_links = false;
  }
  if (mix.has(Fault::kPartition)) rates.partition_per_phase_per_million = partition;
  if (mix.has(Fault::kCrash)) {
    rates.crash_per_phase_per_million = crash;
    rates.crash_downtime_ms_max = downtime;
  }
  if (mix.has(Fault::kSkew)) rates.clock_skew_ms_max = skew;
  return rates;
}

std::string FaultRates::to_string() const {
  return fmt::format(
      "drop {}ppm, duplicate {}ppm, latency {}-{}ms, tail {}ppm up to {}ms, jitter {}ms, "
      "fifo {}, partition {}ppm/phase, crash {}ppm/node/phase down up to {}ms, skew up to {}ms",
      drop_per_million, duplicate_per_million, latency_ms_min, latency_ms_max,
      delay_tail_per_million, delay_tail_ms_max, reorder_jitter_ms_max, fifo_links ? "yes" : "no",
      partition_per_phase_per_million, crash_per_phase_per_million, crash_downtime_ms_max,
      clock_skew_ms_max);
}

}  // namespace synod::sim
