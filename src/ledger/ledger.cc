#include "ledger/ledger.h"

#include "ledger/rules.h"

namespace synod::ledger {

Result<std::unique_ptr<Ledger>> Ledger::create(const chain::Genesis& genesis) {
  SYNOD_TRY(genesis.validate());
  if (genesis.app != chain::AppKind::kLedger) {
    return error(Code::kInvalidArgument, "genesis is not for the ledger application");
  }
  return std::unique_ptr<Ledger>(new Ledger(genesis));
}

Status Ledger::check_stateless(const chain::Transaction& tx) const {
  SYNOD_TRY(check_chain_id(tx, genesis().chain_id));
  if (!std::holds_alternative<chain::Transfer>(tx.payload)) {
    return error(Code::kInvalidArgument, "the ledger takes only transfers");
  }
  return Status::ok();
}

Status Ledger::check_transaction(const chain::Transaction& tx, uint64_t nonce_gap_max) const {
  SYNOD_TRY(check_stateless(tx));
  const auto& transfer = std::get<chain::Transfer>(tx.payload);
  return check_admission(state().account_or_zero(tx.sender_address()), tx.nonce, nonce_gap_max,
                         transfer.amount, tx.fee);
}

Status Ledger::execute(const chain::Transaction& tx, const BlockContext& context,
                       Overlay& overlay) const {
  const auto& transfer = std::get<chain::Transfer>(tx.payload);
  AccountScratch scratch(overlay);
  SYNOD_TRY(spend(scratch.get(tx.sender_address()), tx.nonce, transfer.amount, tx.fee));
  SYNOD_TRY(credit(scratch.get(transfer.to), transfer.amount));
  SYNOD_TRY(credit(scratch.get(context.proposer), tx.fee));
  scratch.commit();
  return Status::ok();
}

std::optional<Account> Ledger::account(const chain::Address& address) const {
  const State::AccountEntry* entry = state().find_account(address);
  if (entry == nullptr) return std::nullopt;
  return entry->account;
}

StateProof Ledger::prove_account(const chain::Address& address) {
  const State::AccountEntry* entry = state().find_account(address);
  return state().prove(entry != nullptr ? entry->tree_key : account_tree_key(address));
}

bool verify_account_proof(const Hash256& state_root, const chain::Address& address,
                          const std::optional<Account>& account, const StateProof& proof) {
  std::optional<Hash256> value_hash;
  if (account && !account->is_zero()) value_hash = account_value_hash(*account);
  return verify_state_proof(state_root, account_tree_key(address), value_hash, proof);
}

}  // namespace synod::ledger
