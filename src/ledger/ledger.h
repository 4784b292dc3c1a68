// Ledger: the default application. Accounts hold a balance and a nonce; a Transfer moves tokens.
//
// Rules for a transaction (all checked before anything changes; a failing one changes nothing):
//   - chain id must be this chain's, payload must be a Transfer (kInvalidArgument);
//   - nonce must equal the sender's nonce (kFailedPrecondition), which then increments;
//   - the sender pays amount + fee: kOverflow if that sum overflows, kInsufficientFunds if the
//     balance is short; the recipient gains amount, the block's proposer
//     (Address::from_public_key(header.proposer)) gains the fee, in that order, so transfers to
//     oneself and fees to oneself work out;
//   - every add is checked (kOverflow), though conservation keeps balances at most the supply.
// An unknown account reads as {balance 0, nonce 0}; a zero account is never stored. Every block
// conserves the sum of balances (asserted when a block is committed).
//
// State keys, tree keys and value hashes: ledger/account.h. Block machinery: ledger/state_app.h.
// Single-threaded, like every chain::Application.
#pragma once

#include <memory>
#include <optional>

#include "ledger/state_app.h"

namespace synod::ledger {

class Ledger final : public StateApp {
 public:
  // kInvalidArgument when genesis fails Genesis::validate or is not for the ledger app.
  static Result<std::unique_ptr<Ledger>> create(const chain::Genesis& genesis);

  Status check_transaction(const chain::Transaction& tx, uint64_t nonce_gap_max) const override;

  // The committed account, or nullopt when it is absent (balance and nonce 0).
  std::optional<Account> account(const chain::Address& address) const;
  // Proves the account's committed state (inclusion, or absence) against state_root(). Not const:
  // it first puts back any validated-but-not-applied block's changes in the tree.
  StateProof prove_account(const chain::Address& address);

 protected:
  Status check_stateless(const chain::Transaction& tx) const override;
  Status execute(const chain::Transaction& tx, const BlockContext& context,
                 Overlay& overlay) const override;
  bool requires_signatures() const override { return true; }
  bool stores_kv() const override { return false; }

 private:
  explicit Ledger(const chain::Genesis& genesis) : StateApp(genesis) {}
};

// True when `proof` shows that `address` holds `account` under `state_root`; nullopt or a zero
// account are checked as absence (a zero account is never stored). Checks untrusted input; never
// asserts.
bool verify_account_proof(const Hash256& state_root, const chain::Address& address,
                          const std::optional<Account>& account, const StateProof& proof);

}  // namespace synod::ledger
