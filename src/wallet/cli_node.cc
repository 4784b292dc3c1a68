// The commands that talk to nodes: balance, send, sign, broadcast, status, history.
#include <sodium.h>
#include <unistd.h>

#include "wallet/cli_context.h"

namespace synod::wallet::cli {
namespace {

constexpr uint64_t kProgressLineIntervalMs = 5'000;  // without a terminal to redraw on

// What every command that reads the chain needs: the trusted genesis and the nodes.
struct Chain {
  TrustAnchor anchor;
  RpcClient* client = nullptr;
};

Step<Chain> chain_access(Context& context) {
  Step<TrustAnchor> anchor = context.anchor();
  if (!anchor.ok()) return anchor.failure();
  Step<RpcClient*> client = context.client();
  if (!client.ok()) return client.failure();
  return Chain{*anchor, *client};
}

// Prints a node error with its exit code (exit_code_for_node_error).
int fail_node(Context& context, const Status& status) {
  return context.fail(exit_code_for_node_error(status), status);
}

// An address, or (unless it looks like a mistyped address) an account of the keystore.
Step<chain::Address> resolve_account(Context& context, const std::string& selector) {
  if (selector.starts_with(std::string(chain::kAddressPrefix) + "1")) {
    return parse_address_argument(selector, "address");
  }
  Step<Keystore> keystore = context.open_keystore();
  if (!keystore.ok()) return keystore.failure();
  auto account = keystore->find(selector);
  if (!account.is_ok()) return Failure{kExitUsage, account.status()};
  return account->address();
}

Json inclusion_json(const TransactionReport& report) {
  Json out{{"id", report.id.hex()},
           {"status", transaction_state_name(report.state)},
           {"node", report.endpoint}};
  if (report.inclusion) {
    out["height"] = report.inclusion->height;
    out["position"] = report.inclusion->position;
    out["block_hash"] = report.inclusion->block_hash.hex();
    out["outcome"] = report.outcome;
    out["verified"] = true;
  }
  return out;
}

void print_report(Context& context, const TransactionReport& report) {
  if (report.inclusion) {
    context.out() << "committed " << report.id.hex() << "\n"
                  << "  height    " << report.inclusion->height << " (position "
                  << report.inclusion->position << ", block " << report.inclusion->block_hash.hex()
                  << ")\n"
                  << "  outcome   " << (report.outcome.empty() ? "success" : report.outcome) << "\n"
                  << "  verified  the block is certified by the genesis validators and lists "
                     "this transaction\n"
                  << "  node      " << report.endpoint << "\n";
    return;
  }
  context.out() << transaction_state_name(report.state) << " " << report.id.hex() << " (at "
                << report.endpoint << ")\n";
  if (report.state == TransactionState::kUnknown) {
    context.out() << "  the node does not know it: never submitted, dropped from its mempool, "
                     "or not seen yet\n";
  }
}

// Prints "waiting for commitment" progress on stderr: redrawn on a terminal, otherwise a line
// every kProgressLineIntervalMs.
class Progress {
 public:
  explicit Progress(Context& context) : context_(context) {}
  ~Progress() { finish(); }
  void update(uint64_t elapsed_ms, const TransactionReport& report) {
    if (context_.json()) return;
    std::string line = "waiting for commitment: " + std::to_string(elapsed_ms / 1000) + "." +
                       std::to_string(elapsed_ms % 1000 / 100) + " s, " +
                       std::string(transaction_state_name(report.state)) + " at " + report.endpoint;
    if (context_.environment().err_is_terminal) {
      context_.err() << "\r" << line << "\033[K" << std::flush;
      drawn_ = true;
    } else if (elapsed_ms >= next_line_ms_) {
      context_.err() << line << "\n";
      next_line_ms_ = elapsed_ms + kProgressLineIntervalMs;
    }
  }
  void finish() {
    if (drawn_) context_.err() << "\n";
    drawn_ = false;
  }

 private:
  Context& context_;
  bool drawn_ = false;
  uint64_t next_line_ms_ = 0;
};

Json transfer_json(const chain::Transaction& transaction) {
  const auto& transfer = std::get<chain::Transfer>(transaction.payload);
  return Json{
      {"id", transaction.id().hex()},           {"from", transaction.sender_address().to_string()},
      {"to", transfer.to.to_string()},          {"amount", std::to_string(transfer.amount)},
      {"fee", std::to_string(transaction.fee)}, {"nonce", std::to_string(transaction.nonce)}};
}

// Prints a committed transaction: `result` (the transfer) with its verified inclusion.
int print_committed(Context& context, Json result, const TransactionReport& report) {
  context.report_failures(report.failures);
  if (context.json()) {
    Json committed = inclusion_json(report);
    for (auto& [key, value] : committed.items())
      result[key] = value;
    return context.done(result);
  }
  print_report(context, report);
  return kExitOk;
}

// Submits, then (unless no_wait) follows the transaction until a verified block includes it.
int submit_and_wait(Context& context, const chain::Transaction& transaction, bool no_wait) {
  Step<Chain> chain = chain_access(context);
  if (!chain.ok()) return context.fail(chain.failure());
  Json result = transfer_json(transaction);
  auto submitted = submit_transaction(*chain->client, transaction);
  if (!submitted.is_ok()) {
    // A used nonce may be this very transaction's, committed by an earlier attempt: then sending
    // it again is done, not refused.
    if (submitted.status().code() == Code::kFailedPrecondition) {
      auto known = fetch_transaction(*chain->client, chain->anchor, transaction.id());
      if (known.is_ok() && known->state == TransactionState::kCommitted) {
        if (!context.json()) context.out() << "already committed by an earlier submission\n";
        return print_committed(context, std::move(result), *known);
      }
    }
    return fail_node(context, submitted.status().with_context("the transaction was not accepted"));
  }
  context.report_failures(submitted->failures);
  result["submitted_to"] = submitted->endpoint;
  if (!context.json()) {
    context.out() << "submitted " << transaction.id().hex() << " to " << submitted->endpoint
                  << (submitted->already_known ? ", which already had it" : "") << "\n";
  }
  if (no_wait) {
    result["status"] = "pending";
    return context.done(result);
  }
  Step<WalletConfig> config = context.config();
  WaitOptions wait{config->commit_timeout_ms, config->poll_interval_ms, {}};
  Progress progress(context);
  wait.progress = [&](uint64_t elapsed_ms, const TransactionReport& report) {
    progress.update(elapsed_ms, report);
  };
  auto report = wait_for_commit(*chain->client, chain->anchor, transaction.id(), wait);
  progress.finish();
  if (!report.is_ok()) {
    // Submitted but not seen committed: scripts get the id to follow it with `status`.
    return context.fail(Failure{exit_code_for_node_error(report.status()), report.status()},
                        Json{{"id", transaction.id().hex()}});
  }
  return print_committed(context, std::move(result), *report);
}

struct ParsedTransfer {
  chain::Address to;
  uint64_t amount = 0;
  uint64_t fee = 0;
};

// Checks the arguments of send and sign before any password or node is asked.
Step<ParsedTransfer> parse_transfer(const TransferOptions& options) {
  Step<chain::Address> to = parse_address_argument(options.to, "--to");
  if (!to.ok()) return to.failure();
  Step<uint64_t> amount = parse_amount_argument(options.amount, "--amount");
  if (!amount.ok()) return amount.failure();
  Step<uint64_t> fee = parse_amount_argument(options.fee, "--fee");
  if (!fee.ok()) return fee.failure();
  return ParsedTransfer{*to, *amount, *fee};
}

}  // namespace

int run_balance(Context& context, const std::string& selector) {
  Step<chain::Address> address = resolve_account(context, selector);
  if (!address.ok()) return context.fail(address.failure());
  Step<Chain> chain = chain_access(context);
  if (!chain.ok()) return context.fail(chain.failure());
  auto report = fetch_account(*chain->client, chain->anchor, *address);
  if (!report.is_ok()) return fail_node(context, report.status());
  context.report_failures(report->failures);
  const VerifiedAccount& account = report->account;
  if (context.json()) {
    return context.done(Json{{"address", account.address.to_string()},
                             {"exists", account.exists},
                             {"balance", std::to_string(account.account.balance)},
                             {"nonce", std::to_string(account.account.nonce)},
                             {"height", account.height},
                             {"block_hash", account.block_hash.hex()},
                             {"state_root", account.state_root.hex()},
                             {"verified", true},
                             {"node", report->endpoint}});
  }
  context.out() << "address   " << account.address.to_string() << "\n"
                << "balance   " << account.account.balance << "\n"
                << "nonce     " << account.account.nonce << "\n"
                << "height    " << account.height << " (block " << account.block_hash.hex() << ")\n"
                << "verified  proof checked against a block certified by the genesis validators\n"
                << "node      " << report->endpoint << "\n";
  return kExitOk;
}

int run_send(Context& context, const TransferOptions& options) {
  Step<ParsedTransfer> transfer = parse_transfer(options);
  if (!transfer.ok()) return context.fail(transfer.failure());
  std::optional<uint64_t> nonce_override;
  if (!options.nonce.empty()) {
    Step<uint64_t> nonce = parse_amount_argument(options.nonce, "--nonce");
    if (!nonce.ok()) return context.fail(nonce.failure());
    nonce_override = *nonce;
  }
  Step<Chain> chain = chain_access(context);
  if (!chain.ok()) return context.fail(chain.failure());
  Step<Keystore> keystore = context.open_keystore();
  if (!keystore.ok()) return context.fail(keystore.failure());
  auto account = keystore->find(options.from);
  if (!account.is_ok()) return context.fail(kExitUsage, account.status());
  auto sender = fetch_account(*chain->client, chain->anchor, account->address());
  if (!sender.is_ok()) {
    return fail_node(context,
                     sender.status().with_context("reading the sender's balance and nonce"));
  }
  context.report_failures(sender->failures);
  Status affordable = check_affordable(sender->account.account, transfer->amount, transfer->fee);
  if (!affordable.is_ok()) {
    return context.fail(kExitRejected,
                        Status(affordable.code(), affordable.message() + " (verified at height " +
                                                      std::to_string(sender->account.height) +
                                                      "); nothing was sent"));
  }
  uint64_t nonce = nonce_override.value_or(sender->account.account.nonce);
  chain::Transaction transaction =
      chain::make_transfer(chain->anchor.chain_id, keystore->key(*account), nonce, transfer->fee,
                           transfer->to, transfer->amount);
  if (!context.json()) {
    context.out() << "sending " << transfer->amount << " from " << account->name << " ("
                  << account->address().to_string() << ") to " << transfer->to.to_string()
                  << ", fee " << transfer->fee << ", nonce " << nonce << "\n";
  }
  return submit_and_wait(context, transaction, options.no_wait);
}

int run_sign(Context& context, const TransferOptions& options) {
  Step<ParsedTransfer> transfer = parse_transfer(options);
  if (!transfer.ok()) return context.fail(transfer.failure());
  Step<uint64_t> nonce = parse_amount_argument(options.nonce, "--nonce");
  if (!nonce.ok()) return context.fail(nonce.failure());
  if (::access(options.out.c_str(), F_OK) == 0) {
    return context.fail(kExitUsage,
                        error(Code::kAlreadyExists, options.out + " exists; choose another --out"));
  }
  Step<TrustAnchor> anchor = context.anchor();
  if (!anchor.ok()) return context.fail(anchor.failure());
  Step<Keystore> keystore = context.open_keystore();
  if (!keystore.ok()) return context.fail(keystore.failure());
  auto account = keystore->find(options.from);
  if (!account.is_ok()) return context.fail(kExitUsage, account.status());
  chain::Transaction transaction =
      chain::make_transfer(anchor->chain_id, keystore->key(*account), *nonce, transfer->fee,
                           transfer->to, transfer->amount);
  Status written = write_file_atomic(options.out, signed_transaction_json(transaction));
  if (!written.is_ok()) return context.fail(kExitUsage, written);
  if (context.json()) {
    Json result = transfer_json(transaction);
    result["file"] = options.out;
    return context.done(result);
  }
  context.out() << "signed " << transaction.id().hex() << " into " << options.out << "\n"
                << "  " << transfer->amount << " from " << account->address().to_string() << " to "
                << transfer->to.to_string() << ", fee " << transfer->fee << ", nonce " << *nonce
                << "\n";
  return kExitOk;
}

int run_broadcast(Context& context, const std::string& file, bool no_wait) {
  Step<TrustAnchor> anchor = context.anchor();
  if (!anchor.ok()) return context.fail(anchor.failure());
  auto text = read_file(file, kSignedTransactionFileBytesMax);
  if (!text.is_ok()) return context.fail(kExitUsage, text.status());
  auto transaction = parse_signed_transaction(*text, *anchor);
  if (!transaction.is_ok())
    return context.fail(kExitUsage, transaction.status().with_context(file));
  if (!context.json()) {
    const auto& transfer = std::get<chain::Transfer>(transaction->payload);
    context.out() << "broadcasting " << transfer.amount << " from "
                  << transaction->sender_address().to_string() << " to " << transfer.to.to_string()
                  << ", fee " << transaction->fee << ", nonce " << transaction->nonce << "\n";
  }
  return submit_and_wait(context, *transaction, no_wait);
}

int run_status(Context& context, const std::string& id_text) {
  auto id = Hash256::from_hex(id_text);
  if (!id.is_ok()) {
    return context.fail(kExitUsage,
                        error(Code::kInvalidArgument,
                              "a transaction id is 64 hex digits: " + id.status().message()));
  }
  Step<Chain> chain = chain_access(context);
  if (!chain.ok()) return context.fail(chain.failure());
  auto report = fetch_transaction(*chain->client, chain->anchor, *id);
  if (!report.is_ok()) return fail_node(context, report.status());
  context.report_failures(report->failures);
  if (context.json()) return context.done(inclusion_json(*report));
  print_report(context, *report);
  return kExitOk;
}

int run_history(Context& context, const HistoryOptions& options) {
  Step<chain::Address> address = parse_address_argument(options.address, "address");
  if (!address.ok()) return context.fail(address.failure());
  Step<RpcClient*> client = context.client();
  if (!client.ok()) return context.fail(client.failure());
  auto report = fetch_history(**client, *address, options.limit, options.before);
  if (!report.is_ok()) {
    int code = report.status().code() == Code::kInvalidArgument
                   ? kExitUsage
                   : exit_code_for_node_error(report.status());
    return context.fail(code, report.status());
  }
  if (context.json()) {
    Json entries = Json::array();
    for (const HistoryEntry& entry : report->entries) {
      entries.push_back(Json{{"height", entry.height},
                             {"position", entry.position},
                             {"id", entry.id.hex()},
                             {"role", entry.role}});
    }
    Json result{{"address", address->to_string()},
                {"entries", entries},
                {"more", report->more},
                {"node", report->endpoint},
                {"verified", false}};
    if (!report->cursor.empty()) result["cursor"] = report->cursor;
    return context.done(result);
  }
  for (const HistoryEntry& entry : report->entries) {
    context.out() << "height " << entry.height << "  position " << entry.position << "  "
                  << entry.role << "  " << entry.id.hex() << "\n";
  }
  if (report->entries.empty()) context.out() << "no transactions\n";
  if (report->more) context.out() << "more: --before " << report->cursor << "\n";
  context.out() << "(listed by " << report->endpoint
                << "; not verified: check one with `synod-wallet status TXID`)\n";
  return kExitOk;
}

}  // namespace synod::wallet::cli
