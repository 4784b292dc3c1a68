// PendingSet: the mempool's transactions once admitted, indexed by id and by (sender, nonce), with
// the replacement rule, the per-sender and total bounds, eviction, and block-candidate ordering.
// It knows nothing of signatures or account state: the Mempool checks those before `insert`, and
// passes each sender's next nonce into `reap`.
//
// Eviction takes the cheapest *tail* first: the highest-nonce transaction of some sender. Taking
// a tail never leaves a gap in a sender's nonces, and a cheap transaction followed by dearer ones
// of the same sender is kept, because those depend on it. A transaction is only ever evicted for
// one that pays a strictly higher fee.
//
// Not thread-safe: the Mempool owns one behind its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "chain/transaction.h"

namespace synod::mempool {

struct PendingLimits {
  size_t transactions_max = 0;
  size_t bytes_max = 0;
  size_t transactions_per_sender_max = 0;
  // A replacement (same sender and nonce) must pay at least this much more (rounded up), and at
  // least 1 more.
  uint64_t replacement_fee_bump_percent = 0;
};

// What an accepted insert displaced.
struct InsertOutcome {
  std::optional<Hash256> replaced;  // the same-nonce transaction it replaced
  std::vector<Hash256> evicted;     // transactions evicted to make room
};

// The lowest fee that may replace a pending transaction paying `fee` (saturating).
uint64_t replacement_fee_min(uint64_t fee, uint64_t bump_percent);

class PendingSet {
 public:
  explicit PendingSet(const PendingLimits& limits) : limits_(limits) {}
  PendingSet(const PendingSet&) = delete;
  PendingSet& operator=(const PendingSet&) = delete;

  size_t size() const { return by_id_.size(); }
  size_t bytes() const { return bytes_; }
  size_t sender_count() const { return accounts_.size(); }
  bool contains(const Hash256& id) const { return by_id_.contains(id); }
  const chain::Transaction* find(const Hash256& id) const;
  // The id of `sender`'s pending transaction with `nonce`, if any.
  std::optional<Hash256> find_id(const chain::Address& sender, uint64_t nonce) const;

  // Adds `tx` (whose id is `id`, encoded size `bytes`, sender address `sender`), replacing the
  // pending transaction with the same sender and nonce and evicting others when the bounds
  // require it. Fails, changing nothing, with kFailedPrecondition when a replacement does not pay
  // enough more, or kResourceExhausted when the sender or the whole set is full and nothing
  // cheaper can go. `id` must not be pending already.
  Result<InsertOutcome> insert(chain::Transaction tx, const Hash256& id,
                               const chain::Address& sender, size_t bytes);

  // Removes one transaction; false when it was not pending.
  bool remove(const Hash256& id);

  // Every sender with pending transactions, in address order.
  std::vector<chain::Address> senders() const;
  // The ids of `sender`'s pending transactions, in nonce order.
  std::vector<Hash256> ids_of(const chain::Address& sender) const;

  // Block candidates: transactions whose nonces run consecutively from `next_nonce(sender)`,
  // highest fee first (earliest admitted first among equal fees), each sender's in nonce order,
  // at most `count_max` of them and `bytes_max` encoded bytes in total. A transaction that would
  // pass `bytes_max` ends its sender's run; smaller ones of other senders may still follow.
  std::vector<chain::Transaction> reap(
      size_t count_max, size_t bytes_max,
      const std::function<uint64_t(const chain::Address&)>& next_nonce) const;

 private:
  struct Account;
  struct Entry {
    chain::Transaction tx;
    Hash256 id;
    chain::Address sender;
    size_t bytes = 0;
    uint64_t sequence = 0;  // admission order; unique
    Account* account = nullptr;
  };
  struct Account {
    std::map<uint64_t, Entry*> by_nonce;  // non-empty while the account is in accounts_
  };
  // Eviction order over tails: cheapest first; among equal fees, the newest first.
  struct TailKey {
    uint64_t fee = 0;
    uint64_t sequence = 0;
    Entry* entry = nullptr;
    friend bool operator<(const TailKey& a, const TailKey& b) {
      if (a.fee != b.fee) return a.fee < b.fee;
      return a.sequence > b.sequence;
    }
  };
  static TailKey tail_key(Entry* entry) { return {entry->tx.fee, entry->sequence, entry}; }
  static Entry* previous_of(const Entry* entry);

  Status plan_evictions(const Entry& incoming, size_t count_excess, size_t bytes_excess,
                        std::vector<Entry*>& evict) const;
  void erase(Entry* entry);
  void link(std::unique_ptr<Entry> entry);
  void check_invariants() const;

  const PendingLimits limits_;
  std::unordered_map<Hash256, std::unique_ptr<Entry>, FixedBytesHasher> by_id_;
  std::map<chain::Address, Account> accounts_;
  std::set<TailKey> tails_;  // one per account: its highest-nonce entry
  size_t bytes_ = 0;
  uint64_t sequence_next_ = 0;
};

}  // namespace synod::mempool
