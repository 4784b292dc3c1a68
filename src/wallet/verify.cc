#include "wallet/verify.h"

#include "ledger/ledger.h"

namespace synod::wallet {
namespace {

Status unverified(const std::string& problem) {
  return error(Code::kCorrupt, "failed verification: " + problem);
}

template <typename T>
Result<T> decode_hex(const JsonFields& fields, std::string_view key, size_t bytes_max) {
  SYNOD_ASSIGN_OR_RETURN(Bytes bytes, fields.hex(key, bytes_max));
  auto value = decode<T>(bytes);
  if (!value.is_ok()) return fields.fail(key, value.status().message());
  return std::move(value).value();
}

Result<Bytes> hex_bytes(std::string_view text, std::string_view name, size_t bytes_max) {
  if (text.size() > 2 * bytes_max) {
    return unverified(std::string(name) + " is longer than " + std::to_string(bytes_max) +
                      " bytes");
  }
  auto bytes = from_hex(text);
  if (!bytes.is_ok()) return unverified(std::string(name) + ": " + bytes.status().message());
  return std::move(bytes).value();
}

}  // namespace

TrustAnchor TrustAnchor::from_genesis(const chain::Genesis& genesis) {
  return TrustAnchor{genesis.chain_id, genesis.consensus.mechanism, genesis.validators,
                     genesis.hash()};
}

Result<VerifiedHeader> verify_committed_header(const TrustAnchor& anchor,
                                               std::string_view header_hex,
                                               std::string_view certificate_hex) {
  SYNOD_ASSIGN_OR_RETURN(Bytes header_bytes, hex_bytes(header_hex, "header_hex", kHeaderBytesMax));
  SYNOD_ASSIGN_OR_RETURN(Bytes certificate_bytes,
                         hex_bytes(certificate_hex, "certificate_hex", kCertificateBytesMax));
  auto header = decode<chain::BlockHeader>(header_bytes);
  if (!header.is_ok()) return unverified("header_hex: " + header.status().message());
  auto certificate = decode<chain::Certificate>(certificate_bytes);
  if (!certificate.is_ok()) return unverified("certificate_hex: " + certificate.status().message());
  VerifiedHeader out{std::move(header).value(), std::move(certificate).value(), {}};
  out.hash = out.header.hash();
  if (out.header.chain_id != anchor.chain_id) {
    return unverified("the header is for chain '" + out.header.chain_id + "', not '" +
                      anchor.chain_id + "'");
  }
  if (out.header.validator_set_hash != anchor.validators.hash()) {
    return unverified("the header at height " + std::to_string(out.header.height) +
                      " names a validator set other than genesis's");
  }
  if (out.certificate.height != out.header.height || out.certificate.block_hash != out.hash) {
    return unverified("the certificate is for another block (height " +
                      std::to_string(out.certificate.height) + ", hash " +
                      out.certificate.block_hash.hex() + ") than the header (height " +
                      std::to_string(out.header.height) + ", hash " + out.hash.hex() + ")");
  }
  Status signed_by_quorum = out.certificate.verify(anchor.chain_id, anchor.validators);
  if (!signed_by_quorum.is_ok()) {
    return unverified(
        "the certificate of height " + std::to_string(out.header.height) +
        " does not verify against the genesis validators: " + signed_by_quorum.message());
  }
  return out;
}

Result<VerifiedAccount> verify_account_answer(const TrustAnchor& anchor,
                                              const chain::Address& address, const Json& result) {
  JsonFields fields{result, "get_account result"};
  SYNOD_TRY(fields.require_object());
  SYNOD_ASSIGN_OR_RETURN(std::string answered_address, fields.string("address", 128));
  if (answered_address != address.to_string()) {
    return unverified("the answer is for " + answered_address.substr(0, 128) + ", not " +
                      address.to_string());
  }
  SYNOD_ASSIGN_OR_RETURN(bool exists, fields.boolean("exists"));
  SYNOD_ASSIGN_OR_RETURN(uint64_t balance, fields.decimal("balance"));
  SYNOD_ASSIGN_OR_RETURN(uint64_t nonce, fields.decimal("nonce"));
  SYNOD_ASSIGN_OR_RETURN(uint64_t height, fields.number("height"));
  SYNOD_ASSIGN_OR_RETURN(Hash256 state_root, fields.fixed_hex<32>("state_root"));
  SYNOD_ASSIGN_OR_RETURN(std::string header_hex, fields.string("header_hex", 2 * kHeaderBytesMax));
  SYNOD_ASSIGN_OR_RETURN(std::string certificate_hex,
                         fields.string("certificate_hex", 2 * kCertificateBytesMax));
  SYNOD_ASSIGN_OR_RETURN(ledger::StateProof proof,
                         decode_hex<ledger::StateProof>(fields, "proof", kProofBytesMax));
  SYNOD_ASSIGN_OR_RETURN(VerifiedHeader committed,
                         verify_committed_header(anchor, header_hex, certificate_hex));
  if (committed.header.height != height || committed.header.state_root != state_root) {
    return unverified("the answer's height or state_root differs from its header's");
  }
  ledger::Account account{balance, nonce};
  if (!exists && !account.is_zero()) {
    return unverified("the answer says the account does not exist yet has a balance or nonce");
  }
  std::optional<ledger::Account> claimed;
  if (exists) claimed = account;
  if (!ledger::verify_account_proof(committed.header.state_root, address, claimed, proof)) {
    return unverified("the state proof does not show balance " + std::to_string(balance) +
                      " and nonce " + std::to_string(nonce) + " for " + address.to_string() +
                      " under the state root of height " + std::to_string(height) +
                      ": the node's balance is forged or its proof is wrong");
  }
  return VerifiedAccount{address, exists, account, height, committed.hash, state_root};
}

Result<VerifiedInclusion> verify_block_inclusion(const TrustAnchor& anchor,
                                                 const Hash256& transaction_id, uint64_t height,
                                                 uint32_t position, const Json& block) {
  JsonFields fields{block, "get_block result"};
  SYNOD_TRY(fields.require_object());
  SYNOD_ASSIGN_OR_RETURN(std::string header_hex, fields.string("header_hex", 2 * kHeaderBytesMax));
  SYNOD_ASSIGN_OR_RETURN(std::string certificate_hex,
                         fields.string("certificate_hex", 2 * kCertificateBytesMax));
  SYNOD_ASSIGN_OR_RETURN(VerifiedHeader committed,
                         verify_committed_header(anchor, header_hex, certificate_hex));
  if (committed.header.height != height) {
    return unverified("asked for the block at height " + std::to_string(height) + ", got " +
                      std::to_string(committed.header.height));
  }
  auto transactions = block.find("transactions");
  if (transactions == block.end() || !transactions->is_array() ||
      transactions->size() != committed.header.transaction_count) {
    return unverified("the block's transaction list does not match its header's count");
  }
  std::vector<Hash256> ids;
  ids.reserve(transactions->size());
  for (const Json& entry : *transactions) {
    JsonFields entry_fields{entry, "get_block result.transactions[]"};
    SYNOD_ASSIGN_OR_RETURN(Hash256 id, entry_fields.fixed_hex<32>("id"));
    ids.push_back(id);
  }
  if (chain::transactions_root(ids) != committed.header.transactions_root) {
    return unverified("the block's transaction ids do not give its header's transactions_root");
  }
  if (position >= ids.size() || ids[position] != transaction_id) {
    return unverified("transaction " + transaction_id.hex() + " is not at position " +
                      std::to_string(position) + " of the block at height " +
                      std::to_string(height));
  }
  return VerifiedInclusion{height, position, committed.hash, committed.header.time_ms};
}

}  // namespace synod::wallet
