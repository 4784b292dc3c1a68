#include "ledger/kvstore.h"

#include "ledger/rules.h"

namespace synod::ledger {

Result<std::unique_ptr<KvStoreApp>> KvStoreApp::create(const chain::Genesis& genesis) {
  SYNOD_TRY(genesis.validate());
  if (genesis.app != chain::AppKind::kKvStore) {
    return error(Code::kInvalidArgument, "genesis is not for the kvstore application");
  }
  return std::unique_ptr<KvStoreApp>(new KvStoreApp(genesis));
}

Status KvStoreApp::check_stateless(const chain::Transaction& tx) const {
  SYNOD_TRY(check_chain_id(tx, genesis().chain_id));
  const auto* put = std::get_if<chain::KvPut>(&tx.payload);
  if (put == nullptr) return error(Code::kInvalidArgument, "the kvstore takes only kv puts");
  if (put->key.empty() || put->key.size() > chain::kKvKeyBytesMax) {
    return error(Code::kInvalidArgument, "kv key of " + std::to_string(put->key.size()) +
                                             " bytes; must be 1 to " +
                                             std::to_string(chain::kKvKeyBytesMax));
  }
  if (put->value.size() > chain::kKvValueBytesMax) {
    return error(Code::kInvalidArgument, "kv value of " + std::to_string(put->value.size()) +
                                             " bytes is over the limit of " +
                                             std::to_string(chain::kKvValueBytesMax));
  }
  if (unsigned_writes() && tx.fee != 0) {
    return error(Code::kInvalidArgument, "unsigned writes carry no fee");
  }
  return Status::ok();
}

Status KvStoreApp::check_transaction(const chain::Transaction& tx, uint64_t nonce_gap_max) const {
  SYNOD_TRY(check_stateless(tx));
  if (unsigned_writes()) return Status::ok();
  return check_admission(state().account_or_zero(tx.sender_address()), tx.nonce, nonce_gap_max, 0,
                         tx.fee);
}

Status KvStoreApp::execute(const chain::Transaction& tx, const BlockContext& context,
                           Overlay& overlay) const {
  const auto& put = std::get<chain::KvPut>(tx.payload);
  if (!unsigned_writes()) {
    AccountScratch scratch(overlay);
    SYNOD_TRY(spend(scratch.get(tx.sender_address()), tx.nonce, 0, tx.fee));
    SYNOD_TRY(credit(scratch.get(context.proposer), tx.fee));
    scratch.commit();
  }
  overlay.set_kv(put.key, put.value);
  return Status::ok();
}

std::optional<Bytes> KvStoreApp::get(const Bytes& key) const {
  const State::KvEntry* entry = state().find_kv(key);
  if (entry == nullptr) return std::nullopt;
  return entry->value;
}

std::optional<Account> KvStoreApp::account(const chain::Address& address) const {
  const State::AccountEntry* entry = state().find_account(address);
  if (entry == nullptr) return std::nullopt;
  return entry->account;
}

StateProof KvStoreApp::prove_key(const Bytes& key) {
  const State::KvEntry* entry = state().find_kv(key);
  return state().prove(entry != nullptr ? entry->tree_key : state_tree_key(kv_state_key(key)));
}

bool verify_kv_proof(const Hash256& state_root, const Bytes& key, const std::optional<Bytes>& value,
                     const StateProof& proof) {
  std::optional<Hash256> value_hash;
  if (value && !value->empty()) value_hash = state_value_hash(*value);
  return verify_state_proof(state_root, state_tree_key(kv_state_key(key)), value_hash, proof);
}

}  // namespace synod::ledger
