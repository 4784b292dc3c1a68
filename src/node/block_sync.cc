#include "node/block_sync.h"

#include <algorithm>
#include <limits>

namespace synod::node {

BlockSync::BlockSync(BlockSyncConfig config) : config_(config) {
  SYNOD_ASSERT(config_.batch_blocks >= 1 && config_.batch_blocks <= kSyncBatchBlocksMax);
  SYNOD_ASSERT(config_.window_blocks >= config_.batch_blocks);
  SYNOD_ASSERT(config_.lag_blocks_min >= 1);
}

void BlockSync::add_peer(const net::NodeId& peer) {
  peers_.try_emplace(peer);
}

void BlockSync::remove_peer(const net::NodeId& peer) {
  peers_.erase(peer);
}

void BlockSync::on_status(const net::NodeId& peer, uint64_t height) {
  auto it = peers_.find(peer);
  if (it != peers_.end()) it->second.height = height;
}

Status BlockSync::on_blocks(const net::NodeId& peer, BlocksMessage message, uint64_t now_ms) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || !it->second.in_flight) {
    return error(Code::kFailedPrecondition, "sync: Blocks that were not asked for");
  }
  Peer& state = it->second;
  const InFlight asked = *state.in_flight;
  if (message.height_from != asked.height_from || message.blocks.size() > asked.count) {
    return error(Code::kFailedPrecondition, "sync: Blocks do not match the request");
  }
  state.in_flight.reset();
  if (message.blocks.empty()) {
    // The peer lacks these: it is behind what it told us, or has not heard of them yet.
    state.height = std::min(state.height, asked.height_from - 1);
    state.resting_until_ms = now_ms + config_.request_timeout_ms;
    return Status::ok();
  }
  for (CertifiedBlock& entry : message.blocks) {
    const uint64_t height = entry.block.height();
    if (height <= applied_height_ || height > applied_height_ + config_.window_blocks) continue;
    fetched_.try_emplace(height, FetchedBlock{std::move(entry), peer});
  }
  return Status::ok();
}

void BlockSync::expire(uint64_t now_ms) {
  for (auto& [id, peer] : peers_) {
    if (peer.in_flight && now_ms >= peer.in_flight->deadline_ms) {
      peer.in_flight.reset();
      peer.resting_until_ms = now_ms + config_.request_timeout_ms;
    }
  }
}

uint64_t BlockSync::target_height() const {
  uint64_t target = 0;
  for (const auto& [id, peer] : peers_)
    target = std::max(target, peer.height);
  return target;
}

std::map<net::NodeId, uint64_t> BlockSync::peer_heights() const {
  std::map<net::NodeId, uint64_t> out;
  for (const auto& [id, peer] : peers_)
    out.emplace(id, peer.height);
  return out;
}

bool BlockSync::wants_blocks(uint64_t applied_height, uint64_t now_ms) const {
  const uint64_t target = target_height();
  if (target <= applied_height) return false;
  return target >= applied_height + config_.lag_blocks_min ||
         now_ms >= applied_since_ms_ + config_.stall_ms;
}

bool BlockSync::covered(uint64_t height) const {
  if (fetched_.contains(height)) return true;
  for (const auto& [id, peer] : peers_) {
    const auto& in_flight = peer.in_flight;
    if (in_flight && height >= in_flight->height_from &&
        height < in_flight->height_from + in_flight->count) {
      return true;
    }
  }
  return false;
}

BlockSync::Peer* BlockSync::pick_peer(uint64_t height, uint64_t now_ms, net::NodeId& id) {
  Peer* best = nullptr;
  for (auto& [peer_id, peer] : peers_) {
    if (peer.in_flight || peer.height < height || now_ms < peer.resting_until_ms) continue;
    if (best == nullptr || peer.last_asked_ms < best->last_asked_ms) {
      best = &peer;
      id = peer_id;
    }
  }
  return best;
}

std::vector<SyncRequest> BlockSync::next_requests(uint64_t applied_height, uint64_t now_ms) {
  if (applied_height != applied_height_ || applied_since_ms_ == 0) {
    applied_height_ = applied_height;
    applied_since_ms_ = now_ms;
  }
  fetched_.erase(fetched_.begin(), fetched_.upper_bound(applied_height));
  expire(now_ms);
  syncing_ = wants_blocks(applied_height, now_ms);
  std::vector<SyncRequest> out;
  if (!syncing_) return out;
  const uint64_t last = std::min(target_height(), applied_height + config_.window_blocks);
  uint64_t height = applied_height + 1;
  while (height <= last) {
    if (covered(height)) {
      ++height;
      continue;
    }
    net::NodeId id;
    Peer* peer = pick_peer(height, now_ms, id);
    if (peer == nullptr) break;  // nobody idle has it: wait for an answer or a timeout
    uint32_t count = 0;
    const uint64_t run_last = std::min(last, peer->height);
    while (count < config_.batch_blocks && height + count <= run_last && !covered(height + count)) {
      ++count;
    }
    SYNOD_ASSERT(count >= 1);
    peer->in_flight = InFlight{height, count, now_ms + config_.request_timeout_ms};
    peer->last_asked_ms = now_ms;
    out.push_back(SyncRequest{id, GetBlocks{height, count}});
    height += count;
  }
  return out;
}

std::optional<FetchedBlock> BlockSync::take(uint64_t height) {
  auto it = fetched_.find(height);
  if (it == fetched_.end()) return std::nullopt;
  FetchedBlock out = std::move(it->second);
  fetched_.erase(it);
  return out;
}

void BlockSync::discard_from(const net::NodeId& peer) {
  std::erase_if(fetched_, [&](const auto& entry) { return entry.second.from == peer; });
}

bool BlockSync::allow_serve(const net::NodeId& peer, uint64_t now_ms) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return false;
  Peer& state = it->second;
  const double rate = config_.serve_requests_per_second;
  const double burst = 2 * rate;
  if (state.serve_refilled_ms == 0) {
    state.serve_tokens = burst;
  } else if (now_ms > state.serve_refilled_ms) {
    state.serve_tokens =
        std::min(burst, state.serve_tokens +
                            rate * static_cast<double>(now_ms - state.serve_refilled_ms) / 1000.0);
  }
  state.serve_refilled_ms = std::max(state.serve_refilled_ms, now_ms);
  if (state.serve_tokens < 1.0) return false;
  state.serve_tokens -= 1.0;
  return true;
}

uint64_t BlockSync::wake_at_ms(uint64_t now_ms) const {
  uint64_t wake = std::numeric_limits<uint64_t>::max();
  auto consider = [&](uint64_t at_ms) {
    if (at_ms > now_ms) wake = std::min(wake, at_ms);
  };
  const bool behind = target_height() > applied_height_;
  for (const auto& [id, peer] : peers_) {
    if (peer.in_flight) consider(peer.in_flight->deadline_ms);
    if (behind) consider(peer.resting_until_ms);
  }
  // One block behind: the stall threshold is when fetching would start.
  if (behind && target_height() < applied_height_ + config_.lag_blocks_min) {
    consider(applied_since_ms_ + config_.stall_ms);
  }
  return wake;
}

size_t BlockSync::in_flight_count() const {
  return static_cast<size_t>(std::count_if(peers_.begin(), peers_.end(),
                                           [](const auto& p) { return p.second.in_flight; }));
}

}  // namespace synod::node
