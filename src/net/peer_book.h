// Bookkeeping about peers, with no I/O and no clock (time arrives as now_ms), so it can be tested
// on its own. The Transport keeps one of each and guards them.
//
// - PeerScores: misbehaviour points per node key. Points decay linearly; a node whose points reach
//   the threshold is banned for a while. Bounded: at most entries_max scores and bans.
// - AddressBook: addresses learned from peer exchange and from connected peers, with dial
//   failures and the time of the next attempt. Bounded at entries_max.
// - backoff_delay_ms: exponential backoff with "equal jitter" (Brooker, "Exponential Backoff And
//   Jitter", AWS Architecture Blog, 2015): half the delay fixed, half random.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "net/messages.h"

namespace synod::net {

uint64_t backoff_delay_ms(uint32_t failures, uint64_t delay_ms_min, uint64_t delay_ms_max,
                          std::mt19937_64& random);

class PeerScores {
 public:
  struct Config {
    uint32_t ban_threshold_points = 100;
    uint64_t ban_duration_ms = 10 * 60 * 1000;
    uint32_t decay_points_per_minute = 10;
    size_t entries_max = 4096;
  };
  explicit PeerScores(Config config) : config_(config) {}

  // Adds points to the node's score; when it reaches the threshold the score is cleared and the
  // node banned. Returns true when this call banned it.
  bool penalize(const NodeId& node_id, uint32_t points, uint64_t now_ms);
  void ban(const NodeId& node_id, uint64_t now_ms);
  bool is_banned(const NodeId& node_id, uint64_t now_ms) const;
  uint32_t points(const NodeId& node_id, uint64_t now_ms) const;
  // Drops expired bans and fully decayed scores.
  void expire(uint64_t now_ms);
  size_t bans() const { return banned_until_ms_.size(); }

 private:
  struct Score {
    uint32_t points = 0;
    uint64_t updated_ms = 0;
  };
  uint32_t decayed(const Score& score, uint64_t now_ms) const;
  template <typename Map, typename Less>
  static void evict_one(Map& map, Less less);

  const Config config_;
  std::map<NodeId, Score> scores_;              // size <= entries_max
  std::map<NodeId, uint64_t> banned_until_ms_;  // size <= entries_max
};

class AddressBook {
 public:
  // Entries that failed this many dials in a row are forgotten.
  static constexpr uint32_t kDialFailuresMax = 5;

  struct Entry {
    PeerAddress address;
    uint32_t failures = 0;
    uint64_t retry_at_ms = 0;
  };

  AddressBook(const NodeId& self, size_t entries_max) : self_(self), entries_max_(entries_max) {}

  // Adds a new address or updates a known node's endpoint. False for our own key, an invalid
  // endpoint, or when the book is full.
  bool add(const PeerAddress& address);
  void remove(const NodeId& node_id) { entries_.erase(node_id); }
  bool contains(const NodeId& node_id) const { return entries_.contains(node_id); }
  void record_success(const NodeId& node_id);
  // Schedules the next attempt after `delay_ms`; forgets the entry after kDialFailuresMax.
  void record_failure(const NodeId& node_id, uint64_t now_ms, uint64_t delay_ms);
  const Entry* find(const NodeId& node_id) const;

  // Entries due for a dial (retry time passed) for which `skip` is false, at most `count`.
  template <typename Skip>
  std::vector<PeerAddress> dial_candidates(uint64_t now_ms, size_t count, Skip skip) const {
    std::vector<PeerAddress> out;
    for (const auto& [node_id, entry] : entries_) {
      if (out.size() >= count) break;
      if (entry.retry_at_ms <= now_ms && !skip(node_id)) out.push_back(entry.address);
    }
    return out;
  }
  // Up to `count` addresses chosen at random, none of them `exclude`.
  std::vector<PeerAddress> sample(size_t count, const NodeId& exclude,
                                  std::mt19937_64& random) const;
  size_t size() const { return entries_.size(); }

 private:
  const NodeId self_;
  const size_t entries_max_;
  std::map<NodeId, Entry> entries_;  // size <= entries_max_
};

}  // namespace synod::net
