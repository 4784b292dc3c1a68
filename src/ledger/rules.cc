#include "ledger/rules.h"

#include <limits>

namespace synod::ledger {

Status check_chain_id(const chain::Transaction& tx, const std::string& chain_id) {
  if (tx.chain_id == chain_id) return Status::ok();
  return error(Code::kInvalidArgument,
               "transaction is for chain '" + tx.chain_id + "', this is '" + chain_id + "'");
}

namespace {

Status nonce_error(uint64_t expected, uint64_t got) {
  return error(Code::kFailedPrecondition,
               "nonce " + std::to_string(got) + " where " + std::to_string(expected) + " is next");
}

Result<uint64_t> cost(uint64_t amount, uint64_t fee) {
  std::optional<uint64_t> total = checked_add(amount, fee);
  if (!total) return error(Code::kOverflow, "amount plus fee overflows");
  return *total;
}

Status check_funds(const Account& sender, uint64_t total) {
  if (sender.balance >= total) return Status::ok();
  return error(Code::kInsufficientFunds, "balance " + std::to_string(sender.balance) +
                                             " is short of amount plus fee " +
                                             std::to_string(total));
}

}  // namespace

Status spend(Account& sender, uint64_t nonce, uint64_t amount, uint64_t fee) {
  if (nonce != sender.nonce) return nonce_error(sender.nonce, nonce);
  if (sender.nonce == std::numeric_limits<uint64_t>::max()) {
    return error(Code::kOverflow, "the account's nonce is exhausted");
  }
  SYNOD_ASSIGN_OR_RETURN(uint64_t total, cost(amount, fee));
  SYNOD_TRY(check_funds(sender, total));
  sender.balance -= total;
  sender.nonce += 1;
  return Status::ok();
}

Status credit(Account& account, uint64_t amount) {
  std::optional<uint64_t> balance = checked_add(account.balance, amount);
  if (!balance) return error(Code::kOverflow, "the recipient's balance would overflow");
  account.balance = *balance;
  return Status::ok();
}

Status check_admission(const Account& sender, uint64_t nonce, uint64_t nonce_gap_max,
                       uint64_t amount, uint64_t fee) {
  if (nonce < sender.nonce) return nonce_error(sender.nonce, nonce);
  if (nonce - sender.nonce > nonce_gap_max) {
    return error(Code::kFailedPrecondition, "nonce " + std::to_string(nonce) + " is more than " +
                                                std::to_string(nonce_gap_max) + " ahead of " +
                                                std::to_string(sender.nonce));
  }
  SYNOD_ASSIGN_OR_RETURN(uint64_t total, cost(amount, fee));
  return check_funds(sender, total);
}

Account& AccountScratch::get(const chain::Address& address) {
  for (size_t i = 0; i < count_; ++i) {
    if (addresses_[i] == address) return accounts_[i];
  }
  SYNOD_ASSERT(count_ < kAccountsMax);
  addresses_[count_] = address;
  slots_[count_] = &overlay_->account_slot(address);
  accounts_[count_] = *slots_[count_];
  return accounts_[count_++];
}

void AccountScratch::commit() {
  for (size_t i = 0; i < count_; ++i)
    *slots_[i] = accounts_[i];
}

}  // namespace synod::ledger
