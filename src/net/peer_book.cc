#include "net/peer_book.h"

#include <algorithm>

namespace synod::net {

uint64_t backoff_delay_ms(uint32_t failures, uint64_t delay_ms_min, uint64_t delay_ms_max,
                          std::mt19937_64& random) {
  SYNOD_ASSERT(delay_ms_min > 0 && delay_ms_min <= delay_ms_max);
  uint64_t delay_ms = delay_ms_min;
  for (uint32_t i = 0; i < failures && delay_ms < delay_ms_max; ++i)
    delay_ms *= 2;
  delay_ms = std::min(delay_ms, delay_ms_max);
  uint64_t half = delay_ms / 2;
  return delay_ms - half + random() % (half + 1);
}

// ---- PeerScores ----

uint32_t PeerScores::decayed(const Score& score, uint64_t now_ms) const {
  uint64_t elapsed_ms = now_ms > score.updated_ms ? now_ms - score.updated_ms : 0;
  uint64_t decay = elapsed_ms * config_.decay_points_per_minute / 60'000;
  return decay >= score.points ? 0 : score.points - static_cast<uint32_t>(decay);
}

template <typename Map, typename Less>
void PeerScores::evict_one(Map& map, Less less) {
  auto victim = std::min_element(map.begin(), map.end(), less);
  if (victim != map.end()) map.erase(victim);
}

bool PeerScores::penalize(const NodeId& node_id, uint32_t points, uint64_t now_ms) {
  if (is_banned(node_id, now_ms)) return false;
  auto it = scores_.find(node_id);
  if (it == scores_.end()) {
    if (scores_.size() >= config_.entries_max) {
      evict_one(scores_, [&](const auto& a, const auto& b) {
        return decayed(a.second, now_ms) < decayed(b.second, now_ms);
      });
    }
    it = scores_.emplace(node_id, Score{0, now_ms}).first;
  }
  uint64_t total = uint64_t{decayed(it->second, now_ms)} + points;
  if (total >= config_.ban_threshold_points) {
    scores_.erase(it);
    ban(node_id, now_ms);
    return true;
  }
  it->second = Score{static_cast<uint32_t>(total), now_ms};
  return false;
}

void PeerScores::ban(const NodeId& node_id, uint64_t now_ms) {
  if (!banned_until_ms_.contains(node_id) && banned_until_ms_.size() >= config_.entries_max) {
    evict_one(banned_until_ms_, [](const auto& a, const auto& b) { return a.second < b.second; });
  }
  banned_until_ms_[node_id] = now_ms + config_.ban_duration_ms;
}

bool PeerScores::is_banned(const NodeId& node_id, uint64_t now_ms) const {
  auto it = banned_until_ms_.find(node_id);
  return it != banned_until_ms_.end() && it->second > now_ms;
}

uint32_t PeerScores::points(const NodeId& node_id, uint64_t now_ms) const {
  auto it = scores_.find(node_id);
  return it == scores_.end() ? 0 : decayed(it->second, now_ms);
}

void PeerScores::expire(uint64_t now_ms) {
  std::erase_if(banned_until_ms_, [&](const auto& item) { return item.second <= now_ms; });
  std::erase_if(scores_, [&](const auto& item) { return decayed(item.second, now_ms) == 0; });
}

// ---- AddressBook ----

bool AddressBook::add(const PeerAddress& address) {
  if (address.node_id == self_ || !check_endpoint(address.endpoint).is_ok()) return false;
  auto it = entries_.find(address.node_id);
  if (it != entries_.end()) {
    it->second.address.endpoint = address.endpoint;
    return true;
  }
  if (entries_.size() >= entries_max_) return false;
  entries_.emplace(address.node_id, Entry{address, 0, 0});
  return true;
}

void AddressBook::record_success(const NodeId& node_id) {
  auto it = entries_.find(node_id);
  if (it == entries_.end()) return;
  it->second.failures = 0;
  it->second.retry_at_ms = 0;
}

void AddressBook::record_failure(const NodeId& node_id, uint64_t now_ms, uint64_t delay_ms) {
  auto it = entries_.find(node_id);
  if (it == entries_.end()) return;
  if (++it->second.failures >= kDialFailuresMax) {
    entries_.erase(it);
    return;
  }
  it->second.retry_at_ms = now_ms + delay_ms;
}

const AddressBook::Entry* AddressBook::find(const NodeId& node_id) const {
  auto it = entries_.find(node_id);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<PeerAddress> AddressBook::sample(size_t count, const NodeId& exclude,
                                             std::mt19937_64& random) const {
  std::vector<PeerAddress> all;
  all.reserve(entries_.size());
  for (const auto& [node_id, entry] : entries_) {
    if (node_id != exclude) all.push_back(entry.address);
  }
  std::shuffle(all.begin(), all.end(), random);
  if (all.size() > count) all.resize(count);
  return all;
}

}  // namespace synod::net
