// An account in the ledger's state, and how state entries are named in the authenticated tree.
//
// Account encoding (consensus-critical, base/codec.h): balance u64 | nonce u64 — 16 bytes.
//
// STATE KEYS. Every entry of an application's state has a state key: a prefix byte naming the
// kind, then the kind's own key. The node stores state keys and values as given in StateWrite.
//   account:  0x01 | address (20 bytes)           value: the account encoding
//   kv entry: 0x02 | key (1..kKvKeyBytesMax bytes) value: the stored bytes (kvstore only)
// In the state tree (ledger/state_tree.h) an entry sits at
//   tree key   = tagged_hash("synod/state/key", state key)
//   value hash = tagged_hash("synod/state/value", value)
// Hashing the state key spreads entries evenly over the tree (so its depth stays about log2 n
// whatever the addresses or kv keys), and the prefix byte keeps the kinds apart.
//
// An absent account and the account {balance 0, nonce 0} are the same thing: the ledger never
// stores a zero account, so a proof of absence is how a wallet sees an empty one.
// Values and pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/codec.h"
#include "chain/address.h"

namespace synod::ledger {

struct Account {
  static constexpr size_t kEncodedBytes = 16;

  uint64_t balance = 0;
  uint64_t nonce = 0;

  bool is_zero() const { return balance == 0 && nonce == 0; }

  void encode(Writer& writer) const;
  static Account decode_from(Reader& reader);
  friend bool operator==(const Account&, const Account&) = default;
};

// The encoding in a fixed array: no allocation on the hot path.
std::array<uint8_t, Account::kEncodedBytes> encode_account(const Account& account);
Result<Account> decode_account(ByteView bytes);

enum class StateKind : uint8_t { kAccount = 0x01, kKv = 0x02 };

inline constexpr size_t kAccountStateKeyBytes = 1 + 20;

Bytes account_state_key(const chain::Address& address);
Bytes kv_state_key(ByteView key);

// The tree key and value hash of a state entry (see STATE KEYS above).
Hash256 state_tree_key(ByteView state_key);
Hash256 state_value_hash(ByteView value);
Hash256 account_tree_key(const chain::Address& address);
Hash256 account_value_hash(const Account& account);

}  // namespace synod::ledger
