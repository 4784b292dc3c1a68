#include "sim/network.h"

#include <algorithm>

namespace synod::sim {

std::string_view channel_name(Channel channel) {
  switch (channel) {
    case Channel::kConsensus:
      return "consensus";
    case Channel::kTransaction:
      return "tx";
    case Channel::kSyncRequest:
      return "sync-request";
    case Channel::kSyncResponse:
      return "sync-response";
  }
  return "unknown";
}

Network::Network(uint32_t node_count, const FaultRates& rates, size_t frame_bytes_max, Prng prng)
    : node_count_(node_count),
      rates_(rates),
      frame_bytes_max_(frame_bytes_max),
      prng_(prng),
      group_of_node_(node_count, 0),
      last_arrival_ms_(static_cast<size_t>(node_count) * node_count, 0) {
  SYNOD_ASSERT(node_count > 0);
}

std::vector<uint64_t> Network::route(const Envelope& envelope, uint64_t now_ms) {
  SYNOD_ASSERT(envelope.from < node_count_ && envelope.to < node_count_);
  ++stats_.sent;
  stats_.bytes_sent += envelope.payload.size();
  if (envelope.channel == Channel::kConsensus) {
    ++stats_.sent_consensus;
    stats_.bytes_sent_consensus += envelope.payload.size();
  }
  std::vector<uint64_t> arrivals;
  if (envelope.payload.size() > frame_bytes_max_) {
    ++stats_.dropped_oversize;
    return arrivals;
  }
  if (!connected(envelope.from, envelope.to)) {
    ++stats_.dropped_partition;
    return arrivals;
  }
  if (faults_active_ && prng_.chance(rates_.drop_per_million)) {
    ++stats_.dropped_fault;
    return arrivals;
  }
  size_t copies = 1;
  if (faults_active_ && prng_.chance(rates_.duplicate_per_million)) {
    ++stats_.duplicated;
    copies = 2;
  }
  uint64_t& last = last_arrival_ms_[static_cast<size_t>(envelope.from) * node_count_ + envelope.to];
  for (size_t copy = 0; copy < copies; ++copy) {
    uint64_t arrival = now_ms + latency_ms();
    if (rates_.fifo_links && copy == 0) {
      arrival = std::max(arrival, last);
      last = arrival;
    }
    arrivals.push_back(arrival);
  }
  stats_.delivered += arrivals.size();
  return arrivals;
}

uint64_t Network::latency_ms() {
  uint64_t latency = prng_.between(rates_.latency_ms_min, rates_.latency_ms_max);
  if (rates_.reorder_jitter_ms_max > 0) latency += prng_.between(0, rates_.reorder_jitter_ms_max);
  if (faults_active_ && rates_.delay_tail_ms_max > 0 &&
      prng_.chance(rates_.delay_tail_per_million)) {
    // A long tail: the extra delay is uniform on a scale itself drawn uniformly, so most tail
    // delays are short and a few approach the maximum.
    ++stats_.delayed_tail;
    latency += prng_.between(0, prng_.between(0, rates_.delay_tail_ms_max));
  }
  return latency;
}

void Network::partition(std::vector<uint32_t> group_of_node) {
  SYNOD_ASSERT(group_of_node.size() == node_count_);
  group_of_node_ = std::move(group_of_node);
  partitioned_ = true;
}

void Network::heal() {
  std::fill(group_of_node_.begin(), group_of_node_.end(), 0);
  partitioned_ = false;
}

bool Network::connected(uint32_t a, uint32_t b) const {
  return group_of_node_[a] == group_of_node_[b];
}

}  // namespace synod::sim
