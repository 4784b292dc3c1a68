// The simulated network: decides, for each message a node sends, whether and when copies of it
// arrive. It models what a real transport does and does not promise: authenticated links (the
// sender index is true), a frame size limit, latency, and (as faults) loss, a long latency tail,
// duplication, reordering and partitions. It does not hold messages; the simulator schedules the
// deliveries it returns on its event queue. Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "sim/faults.h"
#include "sim/random.h"

namespace synod::sim {

// What a message carries, so the receiving node knows which part of it handles the payload.
enum class Channel : uint8_t {
  kConsensus,     // an engine message (consensus::PeerMessage)
  kTransaction,   // a gossiped transaction
  kSyncRequest,   // "send me committed blocks from height h"
  kSyncResponse,  // committed blocks with their certificates
};
std::string_view channel_name(Channel channel);

struct Envelope {
  uint32_t from = 0;          // node index, authenticated by the link
  uint32_t from_replica = 0;  // which instance of a twinned byzantine node sent it
  uint32_t to = 0;
  uint32_t to_replica = 0;
  Channel channel = Channel::kConsensus;
  Bytes payload;
};

struct NetworkStats {
  uint64_t sent = 0;
  uint64_t sent_consensus = 0;  // of `sent`: engine messages (the others are tx gossip and sync)
  uint64_t bytes_sent = 0;      // payload bytes of every sent message
  uint64_t bytes_sent_consensus = 0;
  uint64_t delivered = 0;  // copies scheduled for delivery (duplicates count twice)
  uint64_t dropped_fault = 0;
  uint64_t dropped_partition = 0;
  uint64_t dropped_oversize = 0;
  uint64_t duplicated = 0;
  uint64_t delayed_tail = 0;
};

class Network {
 public:
  // Frames larger than this never arrive, as a real transport refuses them.
  Network(uint32_t node_count, const FaultRates& rates, size_t frame_bytes_max, Prng prng);

  // The virtual times at which copies of `envelope`, sent at `now_ms`, arrive: empty when it is
  // lost, two entries when duplicated.
  std::vector<uint64_t> route(const Envelope& envelope, uint64_t now_ms);

  // Calm phases turn loss, duplication and the latency tail off; partitions are healed apart.
  void set_faults_active(bool active) { faults_active_ = active; }
  bool faults_active() const { return faults_active_; }

  // Splits the nodes: group_of_node[i] is node i's group; only nodes of one group can talk.
  void partition(std::vector<uint32_t> group_of_node);
  void heal();
  bool partitioned() const { return partitioned_; }
  bool connected(uint32_t a, uint32_t b) const;

  const NetworkStats& stats() const { return stats_; }

 private:
  uint64_t latency_ms();

  uint32_t node_count_;
  FaultRates rates_;
  size_t frame_bytes_max_;
  Prng prng_;
  bool faults_active_ = true;
  bool partitioned_ = false;
  std::vector<uint32_t> group_of_node_;
  std::vector<uint64_t> last_arrival_ms_;  // per (from, to) link, for FIFO links
  NetworkStats stats_;
};

}  // namespace synod::sim
