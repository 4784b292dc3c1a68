// What the wallet does with nodes, on top of RpcClient (wallet/rpc_client.h) and the checks in
// wallet/verify.h: read a verified account, submit a transaction, follow it until a verified block
// includes it, read an address's history. Also the offline parts: building a transfer and the
// signed-transaction file that `sign` writes and `broadcast` reads.
//
// Errors follow RpcClient's: kUnavailable (no node reachable), kCorrupt (no answer verified), a
// node's reason otherwise; wait_for_commit adds kTimeout. Not thread-safe (the client is not).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "chain/transaction.h"
#include "wallet/rpc_client.h"
#include "wallet/verify.h"

namespace synod::wallet {

inline constexpr uint64_t kDefaultFee = 1;
inline constexpr size_t kHistoryLimitMax = 1'000;
inline constexpr size_t kSignedTransactionFileBytesMax = 64 * 1024;

struct AccountReport {
  VerifiedAccount account;
  std::string endpoint;               // the node whose answer verified
  std::vector<NodeFailure> failures;  // nodes that failed first (unreachable, or lied)
};

// get_account, failing over until an answer verifies.
Result<AccountReport> fetch_account(RpcClient& client, const TrustAnchor& anchor,
                                    const chain::Address& address);

struct SubmitReport {
  Hash256 id;
  std::string endpoint;
  bool already_known = false;  // a node already had it (an earlier attempt reached it)
  std::vector<NodeFailure> failures;
};

// submit_transaction. The node must answer the transaction's own id. A node that already has
// the transaction (`already_exists`) counts as success: submitting is idempotent.
Result<SubmitReport> submit_transaction(RpcClient& client, const chain::Transaction& transaction);

enum class TransactionState { kUnknown, kPending, kCommitted };
std::string_view transaction_state_name(TransactionState state);

struct TransactionReport {
  Hash256 id;
  TransactionState state = TransactionState::kUnknown;
  std::string outcome;                         // "success" when committed
  std::optional<VerifiedInclusion> inclusion;  // set exactly when committed
  std::string endpoint;
  std::vector<NodeFailure> failures;
};

// get_transaction; when a node says committed, its get_block at that height must verify and hold
// the transaction at the stated position, or the node's answer counts as wrong (failed over,
// and kCorrupt when no node proves its claim). When the answer is "pending" or "unknown", which no
// proof can refute, every other node is asked too, and the first that proves a commit answers.
Result<TransactionReport> fetch_transaction(RpcClient& client, const TrustAnchor& anchor,
                                            const Hash256& id);

struct WaitOptions {
  uint64_t timeout_ms = 60'000;
  uint64_t poll_interval_ms = 500;
  // Called after each poll that did not find the transaction committed.
  std::function<void(uint64_t elapsed_ms, const TransactionReport& report)> progress;
};

// Polls fetch_transaction until the transaction is committed (verified) or the timeout passes
// (kTimeout, saying what was last seen). Nodes that are down are failed over on every poll; if
// none answers for the whole wait, the last kUnavailable is returned.
Result<TransactionReport> wait_for_commit(RpcClient& client, const TrustAnchor& anchor,
                                          const Hash256& id, const WaitOptions& options);

struct HistoryEntry {
  uint64_t height = 0;
  uint32_t position = 0;
  Hash256 id;
  std::string role;  // "sender", "recipient" or "both"
};

struct HistoryReport {
  std::vector<HistoryEntry> entries;  // newest first, as the node listed them (not verified)
  bool more = false;
  std::string cursor;
  std::string endpoint;
};

Result<HistoryReport> fetch_history(RpcClient& client, const chain::Address& address,
                                    uint64_t limit, const std::string& before);

// kInsufficientFunds when `account` cannot pay amount + fee; kOverflow when the sum overflows.
Status check_affordable(const ledger::Account& account, uint64_t amount, uint64_t fee);

// The file `sign` writes: the signed transaction and a summary people can read before they
// broadcast it.
//   {"format": "synod-signed-transaction", "version": 1, "id", "chain_id", "from", "to",
//    "amount", "fee", "nonce", "transaction": "<hex of the canonical encoding>"}
std::string signed_transaction_json(const chain::Transaction& transaction);
// Reads such a file: the transaction must decode, be a transfer for `anchor`'s chain, carry a
// valid signature, and match every summary field (kCorrupt otherwise; kInvalidArgument for
// another chain).
Result<chain::Transaction> parse_signed_transaction(std::string_view text,
                                                    const TrustAnchor& anchor);

}  // namespace synod::wallet
