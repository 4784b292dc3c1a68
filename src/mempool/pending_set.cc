#include "mempool/pending_set.h"

#include <algorithm>
#include <limits>
#include <queue>

namespace synod::mempool {

uint64_t replacement_fee_min(uint64_t fee, uint64_t bump_percent) {
  using Wide = unsigned __int128;
  Wide bump = (static_cast<Wide>(fee) * bump_percent + 99) / 100;  // rounded up
  if (bump == 0) bump = 1;
  Wide required = static_cast<Wide>(fee) + bump;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  return required > kMax ? kMax : static_cast<uint64_t>(required);
}

const chain::Transaction* PendingSet::find(const Hash256& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second->tx;
}

std::optional<Hash256> PendingSet::find_id(const chain::Address& sender, uint64_t nonce) const {
  auto account = accounts_.find(sender);
  if (account == accounts_.end()) return std::nullopt;
  auto entry = account->second.by_nonce.find(nonce);
  if (entry == account->second.by_nonce.end()) return std::nullopt;
  return entry->second->id;
}

Result<InsertOutcome> PendingSet::insert(chain::Transaction tx, const Hash256& id,
                                         const chain::Address& sender, size_t bytes) {
  SYNOD_ASSERT(!contains(id));
  auto entry = std::make_unique<Entry>(Entry{std::move(tx), id, sender, bytes, 0, nullptr});
  const uint64_t nonce = entry->tx.nonce;

  Entry* replaced = nullptr;
  size_t sender_count = 0;
  Entry* sender_highest = nullptr;
  if (auto account = accounts_.find(sender); account != accounts_.end()) {
    const auto& by_nonce = account->second.by_nonce;
    if (auto same = by_nonce.find(nonce); same != by_nonce.end()) replaced = same->second;
    sender_count = by_nonce.size();
    sender_highest = by_nonce.rbegin()->second;
  }

  if (replaced != nullptr) {
    uint64_t fee_min = replacement_fee_min(replaced->tx.fee, limits_.replacement_fee_bump_percent);
    if (entry->tx.fee < fee_min) {
      return error(Code::kFailedPrecondition,
                   "replacing the pending transaction with nonce " + std::to_string(nonce) +
                       " needs a fee of at least " + std::to_string(fee_min) + " (it pays " +
                       std::to_string(replaced->tx.fee) + "), got " +
                       std::to_string(entry->tx.fee));
    }
  }

  // A full sender may still fill a gap below its highest nonce: the highest one makes room.
  std::vector<Entry*> evict;
  if (replaced == nullptr && sender_count >= limits_.transactions_per_sender_max) {
    if (nonce > sender_highest->tx.nonce) {
      return error(Code::kResourceExhausted, "sender already has " + std::to_string(sender_count) +
                                                 " pending transactions, the limit per sender");
    }
    evict.push_back(sender_highest);
  }

  size_t count_after = size() + 1 - evict.size() - (replaced != nullptr ? 1 : 0);
  size_t bytes_after = bytes_ + bytes - (replaced != nullptr ? replaced->bytes : 0);
  for (const Entry* going : evict)
    bytes_after -= going->bytes;
  size_t count_excess =
      count_after > limits_.transactions_max ? count_after - limits_.transactions_max : 0;
  size_t bytes_excess = bytes_after > limits_.bytes_max ? bytes_after - limits_.bytes_max : 0;
  if (count_excess > 0 || bytes_excess > 0) {
    SYNOD_TRY(plan_evictions(*entry, count_excess, bytes_excess, evict));
  }

  InsertOutcome outcome;
  for (Entry* going : evict) {
    outcome.evicted.push_back(going->id);
    erase(going);
  }
  if (replaced != nullptr) {
    outcome.replaced = replaced->id;
    erase(replaced);
  }
  entry->sequence = sequence_next_++;
  link(std::move(entry));
  check_invariants();
  return outcome;
}

PendingSet::Entry* PendingSet::previous_of(const Entry* entry) {
  const auto& by_nonce = entry->account->by_nonce;
  auto it = by_nonce.find(entry->tx.nonce);
  SYNOD_ASSERT(it != by_nonce.end());
  return it == by_nonce.begin() ? nullptr : std::prev(it)->second;
}

// Walks candidates cheapest first: the tails in `tails_`, merged with the entries that become
// tails once the ones before them in this plan are gone. Entries already in `evict` (the sender
// limit's choice) are passed over but expose their predecessor like any planned eviction.
Status PendingSet::plan_evictions(const Entry& incoming, size_t count_excess, size_t bytes_excess,
                                  std::vector<Entry*>& evict) const {
  auto cheaper_last = [](const TailKey& a, const TailKey& b) { return b < a; };
  std::priority_queue<TailKey, std::vector<TailKey>, decltype(cheaper_last)> exposed(cheaper_last);
  auto planned = [&evict](const Entry* entry) {
    return std::find(evict.begin(), evict.end(), entry) != evict.end();
  };
  auto expose_previous = [&exposed](const Entry* entry) {
    if (Entry* previous = previous_of(entry)) exposed.push(tail_key(previous));
  };

  auto tail = tails_.begin();
  while (count_excess > 0 || bytes_excess > 0) {
    const bool from_tails = tail != tails_.end() && (exposed.empty() || *tail < exposed.top());
    if (!from_tails && exposed.empty()) break;
    TailKey candidate = from_tails ? *tail++ : exposed.top();
    if (!from_tails) exposed.pop();
    Entry* entry = candidate.entry;
    if (planned(entry)) {
      expose_previous(entry);
      continue;
    }
    if (entry->tx.fee >= incoming.tx.fee) break;
    // The incoming transaction's own sender keeps the nonces it builds on.
    if (entry->sender == incoming.sender && entry->tx.nonce <= incoming.tx.nonce) continue;
    evict.push_back(entry);
    count_excess -= std::min<size_t>(count_excess, 1);
    bytes_excess -= std::min(bytes_excess, entry->bytes);
    expose_previous(entry);
  }
  if (count_excess == 0 && bytes_excess == 0) return Status::ok();
  return error(Code::kResourceExhausted, "mempool is full (" + std::to_string(size()) +
                                             " transactions, " + std::to_string(bytes_) +
                                             " bytes) with nothing paying less than fee " +
                                             std::to_string(incoming.tx.fee) + " to evict");
}

bool PendingSet::remove(const Hash256& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  erase(it->second.get());
  check_invariants();
  return true;
}

void PendingSet::erase(Entry* entry) {
  Account* account = entry->account;
  const bool was_tail = account->by_nonce.rbegin()->second == entry;
  if (was_tail) tails_.erase(tail_key(entry));
  account->by_nonce.erase(entry->tx.nonce);
  if (account->by_nonce.empty()) {
    accounts_.erase(entry->sender);
  } else if (was_tail) {
    tails_.insert(tail_key(account->by_nonce.rbegin()->second));
  }
  SYNOD_ASSERT(bytes_ >= entry->bytes);
  bytes_ -= entry->bytes;
  const Hash256 id = entry->id;  // `entry` dies with its map node
  by_id_.erase(id);
}

void PendingSet::link(std::unique_ptr<Entry> entry) {
  Entry* added = entry.get();
  Account& account = accounts_[added->sender];
  added->account = &account;
  Entry* tail_before = account.by_nonce.empty() ? nullptr : account.by_nonce.rbegin()->second;
  bool inserted = account.by_nonce.emplace(added->tx.nonce, added).second;
  SYNOD_ASSERT(inserted);
  Entry* tail_after = account.by_nonce.rbegin()->second;
  if (tail_after != tail_before) {
    if (tail_before != nullptr) tails_.erase(tail_key(tail_before));
    tails_.insert(tail_key(tail_after));
  }
  bytes_ += added->bytes;
  inserted = by_id_.emplace(added->id, std::move(entry)).second;
  SYNOD_ASSERT(inserted);
}

void PendingSet::check_invariants() const {
  SYNOD_ASSERT(tails_.size() == accounts_.size());
  SYNOD_ASSERT(by_id_.size() <= limits_.transactions_max);
  SYNOD_ASSERT(bytes_ <= limits_.bytes_max);
  SYNOD_ASSERT(by_id_.empty() == (bytes_ == 0 && accounts_.empty()));
}

std::vector<chain::Address> PendingSet::senders() const {
  std::vector<chain::Address> out;
  out.reserve(accounts_.size());
  for (const auto& [sender, account] : accounts_)
    out.push_back(sender);
  return out;
}

std::vector<Hash256> PendingSet::ids_of(const chain::Address& sender) const {
  std::vector<Hash256> out;
  auto account = accounts_.find(sender);
  if (account == accounts_.end()) return out;
  out.reserve(account->second.by_nonce.size());
  for (const auto& [nonce, entry] : account->second.by_nonce)
    out.push_back(entry->id);
  return out;
}

std::vector<chain::Transaction> PendingSet::reap(
    size_t count_max, size_t bytes_max,
    const std::function<uint64_t(const chain::Address&)>& next_nonce) const {
  // Max-heap of each sender's next candidate: highest fee first, earliest admitted on ties.
  auto lower_priority = [](const Entry* a, const Entry* b) {
    if (a->tx.fee != b->tx.fee) return a->tx.fee < b->tx.fee;
    return a->sequence > b->sequence;
  };
  std::priority_queue<const Entry*, std::vector<const Entry*>, decltype(lower_priority)> heads(
      lower_priority);
  for (const auto& [sender, account] : accounts_) {
    auto first = account.by_nonce.find(next_nonce(sender));
    if (first != account.by_nonce.end()) heads.push(first->second);
  }

  std::vector<chain::Transaction> out;
  out.reserve(std::min(count_max, by_id_.size()));
  size_t bytes_total = 0;
  while (!heads.empty() && out.size() < count_max) {
    const Entry* entry = heads.top();
    heads.pop();
    if (entry->bytes > bytes_max - bytes_total) continue;  // this sender's run ends here
    out.push_back(entry->tx);
    bytes_total += entry->bytes;
    if (entry->tx.nonce == std::numeric_limits<uint64_t>::max()) continue;
    const auto& by_nonce = entry->account->by_nonce;
    auto successor = by_nonce.find(entry->tx.nonce + 1);
    if (successor != by_nonce.end()) heads.push(successor->second);
  }
  return out;
}

}  // namespace synod::mempool
