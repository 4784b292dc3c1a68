// Checking what a node says without trusting it (docs/rpc.md, get_account and get_block). The
// wallet trusts only its genesis: the chain id and the validator set. An answer is believed when
//   1. its header decodes, is for this chain, and names the trusted validator set;
//   2. its commit certificate is for that header's height and hash, and is signed by validators
//      holding a quorum of the trusted set's power (chain::Certificate::verify);
//   3. what it claims is proven against that header: an account by a state proof against
//      header.state_root (ledger::verify_account_proof), a transaction by recomputing
//      header.transactions_root from the block's transaction ids.
// Every failure is kCorrupt and says which check failed, so the RPC client fails over and the
// wallet can name the node that lied.
//
// Limits of what this proves: the genesis validator set is the only one trusted, so answers from
// heights after a validator-set change fail check 1 (no transaction changes the set yet); engines
// without commit certificates (raft, paxos, pow) cannot be verified this way and fail check 2;
// and a node may serve an old, genuinely committed header (the height is reported so people see
// it). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "chain/block.h"
#include "chain/genesis.h"
#include "ledger/account.h"
#include "wallet/json_util.h"

namespace synod::wallet {

// Bounds on the hex the wallet decodes: a header with the largest engine data and a full
// certificate, and a state proof of the deepest path.
inline constexpr size_t kHeaderBytesMax = 256 * 1024;
inline constexpr size_t kCertificateBytesMax = 128 * 1024;
inline constexpr size_t kProofBytesMax = 16 * 1024;

// What the wallet trusts: from the genesis file its config names.
struct TrustAnchor {
  std::string chain_id;
  chain::Mechanism mechanism = chain::Mechanism::kPbft;
  chain::ValidatorSet validators;
  Hash256 genesis_hash;

  static TrustAnchor from_genesis(const chain::Genesis& genesis);
};

struct VerifiedHeader {
  chain::BlockHeader header;
  chain::Certificate certificate;
  Hash256 hash;
};

// Checks 1 and 2 above on the hex encodings of a header and its commit certificate.
Result<VerifiedHeader> verify_committed_header(const TrustAnchor& anchor,
                                               std::string_view header_hex,
                                               std::string_view certificate_hex);

struct VerifiedAccount {
  chain::Address address;
  bool exists = false;
  ledger::Account account;  // zero when it does not exist
  uint64_t height = 0;
  Hash256 block_hash;
  Hash256 state_root;
};

// Checks a get_account result for `address`: the header and certificate, then that its claimed
// balance and nonce (or absence) are what the proof shows under header.state_root, and that the
// result's address, height and state_root agree with the header.
Result<VerifiedAccount> verify_account_answer(const TrustAnchor& anchor,
                                              const chain::Address& address, const Json& result);

struct VerifiedInclusion {
  uint64_t height = 0;
  uint32_t position = 0;
  Hash256 block_hash;
  uint64_t time_ms = 0;
};

// Checks a get_block result: its header and certificate, that the listed transaction ids give
// header.transactions_root and header.transaction_count, and that `transaction_id` is at
// `position`.
Result<VerifiedInclusion> verify_block_inclusion(const TrustAnchor& anchor,
                                                 const Hash256& transaction_id, uint64_t height,
                                                 uint32_t position, const Json& block);

}  // namespace synod::wallet
