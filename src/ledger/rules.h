// Account rules shared by the ledger and the kvstore: checked arithmetic, nonces and fees.
// A transaction first works on copies of the accounts it touches (AccountScratch) and writes them
// back only when every check passed, so a failing transaction changes nothing.
// Pure functions and a scratch value; not thread-safe.
#pragma once

#include <array>
#include <optional>

#include "chain/transaction.h"
#include "ledger/account.h"
#include "ledger/state.h"

namespace synod::ledger {

inline std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
  uint64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

// kInvalidArgument unless tx is for `chain_id`.
Status check_chain_id(const chain::Transaction& tx, const std::string& chain_id);

// Takes amount + fee from `sender` and increments its nonce, which must equal `nonce`.
// kFailedPrecondition for a wrong nonce, kOverflow when amount + fee or the next nonce overflow,
// kInsufficientFunds when the balance is short. On error `sender` is unchanged.
Status spend(Account& sender, uint64_t nonce, uint64_t amount, uint64_t fee);
// Adds amount to the balance; kOverflow (and no change) when it would overflow.
Status credit(Account& account, uint64_t amount);
// Mempool admission: `nonce` may run ahead of the account's by up to `nonce_gap_max`, and the
// balance must cover amount + fee.
Status check_admission(const Account& sender, uint64_t nonce, uint64_t nonce_gap_max,
                       uint64_t amount, uint64_t fee);

// Copies of the (at most kAccountsMax) accounts one transaction touches, taken from an overlay.
// The same address always yields the same copy, so a sender that is also the recipient or the
// proposer sees its own earlier changes. commit() writes the copies back; without it the overlay
// keeps its values. References stay valid for the scratch's lifetime.
class AccountScratch {
 public:
  static constexpr size_t kAccountsMax = 3;

  explicit AccountScratch(Overlay& overlay) : overlay_(&overlay) {}
  Account& get(const chain::Address& address);
  void commit();

 private:
  Overlay* overlay_;
  std::array<chain::Address, kAccountsMax> addresses_;
  std::array<Account*, kAccountsMax> slots_;
  std::array<Account, kAccountsMax> accounts_;
  size_t count_ = 0;
};

}  // namespace synod::ledger
