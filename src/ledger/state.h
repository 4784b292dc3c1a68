// The committed state of an application (accounts, kv entries and the authenticated tree over
// them), the Overlay a block executes on, and the ChangeSet it produces.
//
// A block runs on an Overlay: reads fall through to the committed State, writes stay in the
// overlay. `Overlay::finish` turns the writes into a ChangeSet: every entry whose value the block
// changed, with its value before and after, sorted by state key. A ChangeSet is then
//   staged:    its after-values are put in the tree, giving the state root the block produces,
//              while the maps (and so every read) still show the committed state;
//   unstaged:  its before-values are put back (the tree's root returns to the committed one);
//   committed: the maps take the after-values and the staged root becomes the committed root.
// Validation stages a block and leaves it staged, so applying the same block next only commits
// it; anything else unstages first. Reverting a block commits a ChangeSet built from its undo data.
//
// The account map is a hash map for lookup only; nothing iterates it to produce consensus output
// (ChangeSets are sorted, roots come from the tree). Not thread-safe: one owner, one thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "chain/application.h"
#include "chain/genesis.h"
#include "ledger/account.h"
#include "ledger/state_tree.h"

namespace synod::ledger {

// Byte-wise lexicographic order (shorter first on a common prefix): the order of state keys.
// Written out with memcmp because GCC 12 at -O3 warns falsely inside std::vector's operator<=>.
bool bytes_less(ByteView a, ByteView b);
struct BytesLess {
  bool operator()(const Bytes& a, const Bytes& b) const { return bytes_less(a, b); }
};

struct AccountChange {
  chain::Address address;
  Hash256 tree_key;
  std::optional<Account> before;  // nullopt: absent
  std::optional<Account> after;
  Hash256 before_value_hash;  // valid when `before` is set
  Hash256 after_value_hash;   // valid when `after` is set
};

struct KvChange {
  Bytes key;  // the kv key, without the state-key prefix
  Hash256 tree_key;
  std::optional<Bytes> before;
  std::optional<Bytes> after;
  Hash256 before_value_hash;
  Hash256 after_value_hash;
};

// Changes to distinct entries, each list strictly increasing by key. Since account state keys
// (prefix 0x01) sort before kv ones (0x02), accounts then kv is state-key order.
struct ChangeSet {
  std::vector<AccountChange> accounts;
  std::vector<KvChange> kv;

  bool empty() const { return accounts.empty() && kv.empty(); }
  size_t size() const { return accounts.size() + kv.size(); }
};

// The changes as writes of their after-values (ApplyResult::writes) or before-values (undo), in
// state-key order.
std::vector<chain::StateWrite> writes_after(const ChangeSet& changes);
std::vector<chain::StateWrite> writes_before(const ChangeSet& changes);

class State {
 public:
  struct AccountEntry {
    Account account;
    Hash256 tree_key;
    Hash256 value_hash;
  };
  struct KvEntry {
    Bytes value;
    Hash256 tree_key;
    Hash256 value_hash;
  };

  // The state at height 0: the genesis accounts (zero balances are not stored). Asserts that
  // genesis addresses are distinct (Genesis::validate checks it).
  explicit State(const std::vector<chain::GenesisAccount>& accounts);

  uint64_t height() const { return height_; }
  const Hash256& root() const { return root_; }
  size_t account_count() const { return accounts_.size(); }
  size_t kv_count() const { return kv_.size(); }

  const AccountEntry* find_account(const chain::Address& address) const;
  Account account_or_zero(const chain::Address& address) const;
  const KvEntry* find_kv(const Bytes& key) const;
  // Sum of all balances; O(accounts). For checks and tests, not for the hot path.
  uint64_t balance_sum() const;

  // Puts `changes` in the tree (unstaging any other staged set first) and returns the root it
  // gives. Staging the set that is already staged returns its root at no cost.
  Hash256 stage(std::shared_ptr<const ChangeSet> changes);
  // Puts the staged set's before-values back; nothing when nothing is staged.
  void unstage();
  bool is_staged(const ChangeSet* changes) const { return staged_.get() == changes; }
  // Applies the staged set to the maps and makes its root the committed root at `height`.
  // Asserts that the set conserves the sum of balances.
  void commit_staged(uint64_t height);

  // A proof for the entry at `tree_key` against root(). Unstages first (hence not const).
  StateProof prove(const Hash256& tree_key);

  // The ChangeSet that takes the state to `writes` (strictly increasing state keys, well-formed
  // values; kv keys only when `kv_allowed`). kCorrupt names the first bad write.
  Result<ChangeSet> changes_for(const std::vector<chain::StateWrite>& writes,
                                bool kv_allowed) const;

  // Sets one entry as found in storage (restore); the tree root is not recomputed until
  // finish_restore. Errors on a malformed key or value.
  Status restore_entry(ByteView state_key, ByteView value);
  // Recomputes the root after restore_entry calls and sets the height.
  void finish_restore(uint64_t height);

 private:
  void put_account(const chain::Address& address, const Account& account);
  void put_kv(const Bytes& key, const Bytes& value);
  void put_tree(const ChangeSet& changes, bool after);

  std::unordered_map<chain::Address, AccountEntry, chain::AddressHasher> accounts_;
  std::map<Bytes, KvEntry, BytesLess> kv_;
  StateTree tree_;
  uint64_t height_ = 0;
  Hash256 root_;
  std::shared_ptr<const ChangeSet> staged_;
  Hash256 staged_root_;
};

// Uncommitted writes on top of a State for the length of one block. Borrows the State, which must
// not change while the overlay lives.
class Overlay {
 public:
  explicit Overlay(const State& base) : base_(&base) {}

  // Reserves room for about `count` touched accounts.
  void reserve_accounts(size_t count) { accounts_.reserve(count); }

  Account account(const chain::Address& address) const;
  // The overlay's copy of an account, read from the base on first use; writing it is writing the
  // account. The reference stays valid for the overlay's lifetime.
  Account& account_slot(const chain::Address& address);
  // nullptr when the key is absent.
  const Bytes* kv(const Bytes& key) const;
  // An empty value deletes the key.
  void set_kv(const Bytes& key, Bytes value);

  // The writes as a ChangeSet against the base, leaving out entries that end as they began and
  // storing a zero account as absent. Computes the tree keys and value hashes the tree needs.
  ChangeSet finish() &&;

 private:
  struct Slot {
    Account account;
    const State::AccountEntry* base;  // nullptr when absent from the base
  };

  const State* base_;
  std::unordered_map<chain::Address, Slot, chain::AddressHasher> accounts_;
  std::map<Bytes, Bytes, BytesLess> kv_;  // an empty value is a deletion
};

}  // namespace synod::ledger
