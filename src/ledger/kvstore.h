// KvStoreApp: a replicated key-value database with proofs ("etcd, but byzantine-tolerant"),
// chosen by genesis {"app": {"name": "kvstore"}}. A KvPut transaction sets key → value; an empty
// value deletes the key. Keys are 1..kKvKeyBytesMax bytes, values at most kKvValueBytesMax.
// Transfers are rejected (kInvalidArgument). State: kv entries under state keys 0x02 | key, plus
// the genesis accounts (ledger/account.h), all in one state tree, so a key's value — or its
// absence — is proven against the header's state_root exactly as an account is.
//
// Signed mode (default): like the ledger, every put is signed, its nonce must equal the sender's
// nonce (which increments), and the fee (0 allowed) moves from the sender to the proposer.
//
// Unsigned mode (genesis "unsigned_writes": true, for permissioned networks that trust their
// clients): signatures are not checked, and since nobody then proves who the sender is, no
// account is touched: the fee must be 0 (kInvalidArgument otherwise), the nonce is neither
// checked nor incremented — clients set it only to make otherwise identical puts distinct
// transactions — and next_nonce stays 0. The chain id is still checked. Execution is as
// deterministic as in signed mode: puts apply in block order, the last write to a key wins.
//
// Single-threaded, like every chain::Application.
#pragma once

#include <memory>
#include <optional>

#include "ledger/state_app.h"

namespace synod::ledger {

class KvStoreApp final : public StateApp {
 public:
  // kInvalidArgument when genesis fails Genesis::validate or is not for the kvstore app.
  static Result<std::unique_ptr<KvStoreApp>> create(const chain::Genesis& genesis);

  Status check_transaction(const chain::Transaction& tx, uint64_t nonce_gap_max) const override;

  bool unsigned_writes() const { return genesis().kv_unsigned_writes; }
  // The committed value of `key`, or nullopt when it is absent.
  std::optional<Bytes> get(const Bytes& key) const;
  size_t key_count() const { return state().kv_count(); }
  std::optional<Account> account(const chain::Address& address) const;
  // Proves the key's committed value (or absence) against state_root(). Not const: see
  // Ledger::prove_account.
  StateProof prove_key(const Bytes& key);

 protected:
  Status check_stateless(const chain::Transaction& tx) const override;
  Status execute(const chain::Transaction& tx, const BlockContext& context,
                 Overlay& overlay) const override;
  bool requires_signatures() const override { return !unsigned_writes(); }
  bool stores_kv() const override { return true; }

 private:
  explicit KvStoreApp(const chain::Genesis& genesis) : StateApp(genesis) {}
};

// True when `proof` shows that `key` holds `value` (nullopt or empty: the key is absent) under
// `state_root`. Checks untrusted input; never asserts.
bool verify_kv_proof(const Hash256& state_root, const Bytes& key, const std::optional<Bytes>& value,
                     const StateProof& proof);

}  // namespace synod::ledger
