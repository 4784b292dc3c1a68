#include "ledger/state.h"

#include <algorithm>
#include <cstring>

#include "chain/limits.h"

namespace synod::ledger {

bool bytes_less(ByteView a, ByteView b) {
  size_t common = std::min(a.size(), b.size());
  int order = common == 0 ? 0 : std::memcmp(a.data(), b.data(), common);
  return order != 0 ? order < 0 : a.size() < b.size();
}

State::State(const std::vector<chain::GenesisAccount>& accounts) {
  accounts_.reserve(accounts.size());
  for (const chain::GenesisAccount& genesis : accounts) {
    SYNOD_ASSERT(find_account(genesis.address) == nullptr);
    Account account{genesis.balance, 0};
    if (!account.is_zero()) put_account(genesis.address, account);
  }
  root_ = tree_.root();
}

const State::AccountEntry* State::find_account(const chain::Address& address) const {
  auto it = accounts_.find(address);
  return it == accounts_.end() ? nullptr : &it->second;
}

Account State::account_or_zero(const chain::Address& address) const {
  const AccountEntry* entry = find_account(address);
  return entry == nullptr ? Account{} : entry->account;
}

const State::KvEntry* State::find_kv(const Bytes& key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? nullptr : &it->second;
}

uint64_t State::balance_sum() const {
  uint64_t sum = 0;
  for (const auto& [address, entry] : accounts_) {
    SYNOD_ASSERT(sum + entry.account.balance >= sum);
    sum += entry.account.balance;
  }
  return sum;
}

void State::put_account(const chain::Address& address, const Account& account) {
  AccountEntry entry{account, account_tree_key(address), account_value_hash(account)};
  tree_.put(entry.tree_key, entry.value_hash);
  accounts_[address] = entry;
}

void State::put_kv(const Bytes& key, const Bytes& value) {
  KvEntry entry{value, state_tree_key(kv_state_key(key)), state_value_hash(value)};
  tree_.put(entry.tree_key, entry.value_hash);
  kv_[key] = std::move(entry);
}

void State::put_tree(const ChangeSet& changes, bool after) {
  std::vector<StateChange> batch;
  batch.reserve(changes.size());
  for (const AccountChange& change : changes.accounts) {
    bool present = after ? change.after.has_value() : change.before.has_value();
    const Hash256& value_hash = after ? change.after_value_hash : change.before_value_hash;
    batch.push_back(
        StateChange{change.tree_key, present ? std::optional(value_hash) : std::nullopt});
  }
  for (const KvChange& change : changes.kv) {
    bool present = after ? change.after.has_value() : change.before.has_value();
    const Hash256& value_hash = after ? change.after_value_hash : change.before_value_hash;
    batch.push_back(
        StateChange{change.tree_key, present ? std::optional(value_hash) : std::nullopt});
  }
  tree_.apply(batch);
}

Hash256 State::stage(std::shared_ptr<const ChangeSet> changes) {
  SYNOD_ASSERT(changes != nullptr);
  if (staged_ == changes) return staged_root_;
  unstage();
  put_tree(*changes, /*after=*/true);
  staged_ = std::move(changes);
  staged_root_ = tree_.root();
  return staged_root_;
}

void State::unstage() {
  if (staged_ == nullptr) return;
  put_tree(*staged_, /*after=*/false);
  staged_.reset();
}

void State::commit_staged(uint64_t height) {
  SYNOD_ASSERT(staged_ != nullptr);
  uint64_t balance_before = 0;
  uint64_t balance_after = 0;
  for (const AccountChange& change : staged_->accounts) {
    // Wrapping sums: both totals are at most the supply, so equal sums mean equal totals.
    if (change.before) balance_before += change.before->balance;
    if (change.after) {
      balance_after += change.after->balance;
      accounts_[change.address] =
          AccountEntry{*change.after, change.tree_key, change.after_value_hash};
    } else {
      accounts_.erase(change.address);
    }
  }
  SYNOD_ASSERT(balance_before == balance_after);  // every block conserves the supply
  for (const KvChange& change : staged_->kv) {
    if (change.after) {
      kv_[change.key] = KvEntry{*change.after, change.tree_key, change.after_value_hash};
    } else {
      kv_.erase(change.key);
    }
  }
  root_ = staged_root_;
  height_ = height;
  staged_.reset();
}

StateProof State::prove(const Hash256& tree_key) {
  unstage();
  SYNOD_ASSERT(tree_.root() == root_);
  return tree_.prove(tree_key);
}

Status State::restore_entry(ByteView state_key, ByteView value) {
  SYNOD_ASSERT(staged_ == nullptr);
  if (state_key.empty()) return error(Code::kCorrupt, "empty state key");
  switch (static_cast<StateKind>(state_key[0])) {
    case StateKind::kAccount: {
      if (state_key.size() != kAccountStateKeyBytes) {
        return error(Code::kCorrupt,
                     "account state key of " + std::to_string(state_key.size()) + " bytes");
      }
      SYNOD_ASSIGN_OR_RETURN(Account account, decode_account(value));
      if (account.is_zero()) return error(Code::kCorrupt, "a zero account is stored");
      chain::Address address;
      address.bytes = FixedBytes<20>::from_view(state_key.subspan(1));
      put_account(address, account);
      return Status::ok();
    }
    case StateKind::kKv: {
      if (state_key.size() < 2 || state_key.size() > 1 + chain::kKvKeyBytesMax) {
        return error(Code::kCorrupt,
                     "kv state key of " + std::to_string(state_key.size()) + " bytes");
      }
      if (value.empty() || value.size() > chain::kKvValueBytesMax) {
        return error(Code::kCorrupt, "kv value of " + std::to_string(value.size()) + " bytes");
      }
      put_kv(Bytes(state_key.begin() + 1, state_key.end()), Bytes(value.begin(), value.end()));
      return Status::ok();
    }
  }
  return error(Code::kCorrupt, "unknown state key prefix " + std::to_string(state_key[0]));
}

void State::finish_restore(uint64_t height) {
  SYNOD_ASSERT(staged_ == nullptr);
  root_ = tree_.root();
  height_ = height;
}

Account Overlay::account(const chain::Address& address) const {
  auto it = accounts_.find(address);
  if (it != accounts_.end()) return it->second.account;
  return base_->account_or_zero(address);
}

Account& Overlay::account_slot(const chain::Address& address) {
  auto [it, inserted] = accounts_.try_emplace(address);
  if (inserted) {
    it->second.base = base_->find_account(address);
    if (it->second.base != nullptr) it->second.account = it->second.base->account;
  }
  return it->second.account;
}

const Bytes* Overlay::kv(const Bytes& key) const {
  auto it = kv_.find(key);
  if (it != kv_.end()) return it->second.empty() ? nullptr : &it->second;
  const State::KvEntry* entry = base_->find_kv(key);
  return entry == nullptr ? nullptr : &entry->value;
}

void Overlay::set_kv(const Bytes& key, Bytes value) {
  kv_[key] = std::move(value);
}

namespace {

void add_account_change(const State::AccountEntry* entry, const chain::Address& address,
                        const Account& account, std::vector<AccountChange>& out) {
  std::optional<Account> after;
  if (!account.is_zero()) after = account;
  if (entry == nullptr && !after) return;
  if (entry != nullptr && after && entry->account == *after) return;
  AccountChange change;
  change.address = address;
  change.after = after;
  if (after) change.after_value_hash = account_value_hash(*after);
  if (entry != nullptr) {
    change.tree_key = entry->tree_key;
    change.before = entry->account;
    change.before_value_hash = entry->value_hash;
  } else {
    change.tree_key = account_tree_key(address);
  }
  out.push_back(change);
}

void add_kv_change(const State& base, const Bytes& key, Bytes value, std::vector<KvChange>& out) {
  const State::KvEntry* entry = base.find_kv(key);
  if (entry == nullptr && value.empty()) return;
  if (entry != nullptr && entry->value == value) return;
  KvChange change;
  change.key = key;
  if (!value.empty()) {
    change.after_value_hash = state_value_hash(value);
    change.after = std::move(value);
  }
  if (entry != nullptr) {
    change.tree_key = entry->tree_key;
    change.before = entry->value;
    change.before_value_hash = entry->value_hash;
  } else {
    change.tree_key = state_tree_key(kv_state_key(key));
  }
  out.push_back(std::move(change));
}

}  // namespace

ChangeSet Overlay::finish() && {
  ChangeSet changes;
  // Sort the addresses first: the order of the hash map never reaches the output.
  std::vector<const std::pair<const chain::Address, Slot>*> written;
  written.reserve(accounts_.size());
  for (const auto& item : accounts_)
    written.push_back(&item);
  std::sort(written.begin(), written.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  changes.accounts.reserve(written.size());
  for (const auto* item : written)
    add_account_change(item->second.base, item->first, item->second.account, changes.accounts);
  for (auto& [key, value] : kv_)
    add_kv_change(*base_, key, std::move(value), changes.kv);
  return changes;
}

}  // namespace synod::ledger

namespace synod::ledger {

namespace {

chain::StateWrite account_write(const AccountChange& change, const std::optional<Account>& value) {
  chain::StateWrite write{account_state_key(change.address), std::nullopt};
  if (value) {
    auto encoded = encode_account(*value);
    write.value = Bytes(encoded.begin(), encoded.end());
  }
  return write;
}

std::vector<chain::StateWrite> writes_of(const ChangeSet& changes, bool after) {
  std::vector<chain::StateWrite> writes;
  writes.reserve(changes.size());
  for (const AccountChange& change : changes.accounts)
    writes.push_back(account_write(change, after ? change.after : change.before));
  for (const KvChange& change : changes.kv)
    writes.push_back(
        chain::StateWrite{kv_state_key(change.key), after ? change.after : change.before});
  return writes;
}

Status write_error(size_t index, const std::string& problem) {
  return error(Code::kCorrupt, "state write " + std::to_string(index) + ": " + problem);
}

}  // namespace

std::vector<chain::StateWrite> writes_after(const ChangeSet& changes) {
  return writes_of(changes, /*after=*/true);
}

std::vector<chain::StateWrite> writes_before(const ChangeSet& changes) {
  return writes_of(changes, /*after=*/false);
}

Result<ChangeSet> State::changes_for(const std::vector<chain::StateWrite>& writes,
                                     bool kv_allowed) const {
  ChangeSet changes;
  for (size_t i = 0; i < writes.size(); ++i) {
    const chain::StateWrite& write = writes[i];
    if (i > 0 && !bytes_less(writes[i - 1].key, write.key))
      return write_error(i, "keys out of order");
    if (write.key.empty()) return write_error(i, "empty key");
    StateKind kind = static_cast<StateKind>(write.key[0]);
    if (kind == StateKind::kAccount && write.key.size() == kAccountStateKeyBytes) {
      chain::Address address;
      address.bytes = FixedBytes<20>::from_view(ByteView(write.key).subspan(1));
      AccountChange change;
      change.address = address;
      if (write.value) {
        auto account = decode_account(*write.value);
        if (!account.is_ok() || account->is_zero()) return write_error(i, "bad account value");
        change.after = *account;
        change.after_value_hash = account_value_hash(*account);
      }
      if (const AccountEntry* entry = find_account(address)) {
        change.tree_key = entry->tree_key;
        change.before = entry->account;
        change.before_value_hash = entry->value_hash;
      } else {
        change.tree_key = account_tree_key(address);
      }
      changes.accounts.push_back(change);
    } else if (kind == StateKind::kKv && kv_allowed && write.key.size() >= 2 &&
               write.key.size() <= 1 + chain::kKvKeyBytesMax) {
      KvChange change;
      change.key = Bytes(write.key.begin() + 1, write.key.end());
      if (write.value) {
        if (write.value->empty() || write.value->size() > chain::kKvValueBytesMax) {
          return write_error(i, "bad kv value");
        }
        change.after = *write.value;
        change.after_value_hash = state_value_hash(*write.value);
      }
      if (const KvEntry* entry = find_kv(change.key)) {
        change.tree_key = entry->tree_key;
        change.before = entry->value;
        change.before_value_hash = entry->value_hash;
      } else {
        change.tree_key = state_tree_key(write.key);
      }
      changes.kv.push_back(std::move(change));
    } else {
      return write_error(i, "unknown state key " + to_hex(write.key));
    }
  }
  return changes;
}

}  // namespace synod::ledger
