#include "wallet/operations.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "ledger/rules.h"

namespace synod::wallet {
namespace {

constexpr std::string_view kSignedFormat = "synod-signed-transaction";
constexpr uint64_t kSignedVersion = 1;

Result<TransactionState> parse_state(const std::string& text) {
  if (text == "pending") return TransactionState::kPending;
  if (text == "committed") return TransactionState::kCommitted;
  if (text == "unknown") return TransactionState::kUnknown;
  return error(Code::kCorrupt,
               "get_transaction result.status: unknown state '" + text.substr(0, 32) + "'");
}

// The claim get_transaction makes, checked for form only (the block is what proves it).
struct TransactionClaim {
  TransactionState state = TransactionState::kUnknown;
  uint64_t height = 0;
  uint32_t position = 0;
  std::string outcome;
};

Result<TransactionClaim> parse_claim(const Json& result, const Hash256& id) {
  JsonFields fields{result, "get_transaction result"};
  SYNOD_ASSIGN_OR_RETURN(Hash256 answered_id, fields.fixed_hex<32>("id"));
  if (answered_id != id) return fields.fail("id", "answers for another transaction");
  SYNOD_ASSIGN_OR_RETURN(std::string state, fields.string("status", 16));
  TransactionClaim claim;
  SYNOD_ASSIGN_OR_RETURN(claim.state, parse_state(state));
  if (claim.state != TransactionState::kCommitted) return claim;
  SYNOD_ASSIGN_OR_RETURN(claim.height, fields.number("height"));
  SYNOD_ASSIGN_OR_RETURN(uint64_t position, fields.number("position"));
  if (position >= chain::kBlockTransactionsMax) return fields.fail("position", "out of range");
  claim.position = static_cast<uint32_t>(position);
  if (fields.has("outcome")) {
    SYNOD_ASSIGN_OR_RETURN(claim.outcome, fields.string("outcome", 64));
  }
  return claim;
}

Result<HistoryEntry> parse_history_entry(const Json& json) {
  JsonFields fields{json, "get_history result.entries[]"};
  HistoryEntry entry;
  SYNOD_ASSIGN_OR_RETURN(entry.height, fields.number("height"));
  SYNOD_ASSIGN_OR_RETURN(uint64_t position, fields.number("position"));
  if (position >= chain::kBlockTransactionsMax) return fields.fail("position", "out of range");
  entry.position = static_cast<uint32_t>(position);
  SYNOD_ASSIGN_OR_RETURN(entry.id, fields.fixed_hex<32>("id"));
  SYNOD_ASSIGN_OR_RETURN(entry.role, fields.string("role", 16));
  if (entry.role != "sender" && entry.role != "recipient" && entry.role != "both") {
    return fields.fail("role", "unknown role");
  }
  return entry;
}

Status parse_history(const Json& result, uint64_t limit, HistoryReport& out) {
  JsonFields fields{result, "get_history result"};
  SYNOD_TRY(fields.require_object());
  auto entries = result.find("entries");
  if (entries == result.end() || !entries->is_array() || entries->size() > limit) {
    return fields.fail("entries", "expected a list of at most " + std::to_string(limit));
  }
  out.entries.clear();
  for (const Json& item : *entries) {
    SYNOD_ASSIGN_OR_RETURN(HistoryEntry entry, parse_history_entry(item));
    out.entries.push_back(std::move(entry));
  }
  SYNOD_ASSIGN_OR_RETURN(out.more, fields.boolean("more"));
  out.cursor.clear();
  if (fields.has("cursor")) {
    SYNOD_ASSIGN_OR_RETURN(out.cursor, fields.string("cursor", 256));
  }
  return Status::ok();
}

}  // namespace

std::string_view transaction_state_name(TransactionState state) {
  switch (state) {
    case TransactionState::kUnknown:
      return "unknown";
    case TransactionState::kPending:
      return "pending";
    case TransactionState::kCommitted:
      return "committed";
  }
  return "unknown";
}

Result<AccountReport> fetch_account(RpcClient& client, const TrustAnchor& anchor,
                                    const chain::Address& address) {
  std::optional<VerifiedAccount> verified;
  auto check = [&](const Json& result) -> Status {
    auto account = verify_account_answer(anchor, address, result);
    if (!account.is_ok()) return account.status();
    verified = *account;
    return Status::ok();
  };
  SYNOD_ASSIGN_OR_RETURN(RpcAnswer answer,
                         client.call("get_account", Json{{"address", address.to_string()}}, check));
  SYNOD_ASSERT(verified.has_value());
  return AccountReport{*verified, answer.endpoint, std::move(answer.failures)};
}

Result<SubmitReport> submit_transaction(RpcClient& client, const chain::Transaction& transaction) {
  Hash256 id = transaction.id();
  auto check = [&](const Json& result) -> Status {
    JsonFields fields{result, "submit_transaction result"};
    SYNOD_ASSIGN_OR_RETURN(Hash256 answered, fields.fixed_hex<32>("id"));
    if (answered != id) return fields.fail("id", "is not the id of the transaction sent");
    return Status::ok();
  };
  Json params{{"transaction", to_hex(encode(transaction))}};
  auto answer = client.call("submit_transaction", params, check);
  if (!answer.is_ok()) {
    if (answer.status().code() == Code::kAlreadyExists) {
      return SubmitReport{id, client.last_endpoint(), true, {}};
    }
    return answer.status();
  }
  return SubmitReport{id, answer->endpoint, false, std::move(answer->failures)};
}

Result<TransactionReport> fetch_transaction(RpcClient& client, const TrustAnchor& anchor,
                                            const Hash256& id) {
  std::optional<TransactionClaim> claim;
  std::optional<VerifiedInclusion> inclusion;
  // A node that says "committed" must prove it with its block, or it counts as a wrong answer and
  // the next node is asked.
  auto check_claim = [&](const Json& result) -> Status {
    claim.reset();
    inclusion.reset();
    SYNOD_ASSIGN_OR_RETURN(TransactionClaim parsed, parse_claim(result, id));
    claim = parsed;
    if (parsed.state != TransactionState::kCommitted) return Status::ok();
    auto check_block = [&](const Json& block) -> Status {
      auto verified = verify_block_inclusion(anchor, id, parsed.height, parsed.position, block);
      if (!verified.is_ok()) return verified.status();
      inclusion = *verified;
      return Status::ok();
    };
    auto block = client.call_one(client.answering_endpoint(), "get_block",
                                 Json{{"height", parsed.height}}, check_block);
    if (block.is_ok()) return Status::ok();
    Code code =
        block.status().code() == Code::kUnavailable || block.status().code() == Code::kTimeout
            ? Code::kUnavailable
            : Code::kCorrupt;
    return Status(code, "says the transaction is committed at height " +
                            std::to_string(parsed.height) +
                            ", but its block does not prove it: " + block.status().message());
  };
  Json params{{"id", id.hex()}};
  SYNOD_ASSIGN_OR_RETURN(RpcAnswer answer, client.call("get_transaction", params, check_claim));
  TransactionReport report{id,        claim->state,    claim->outcome,
                           inclusion, answer.endpoint, std::move(answer.failures)};
  if (report.state == TransactionState::kCommitted) return report;
  // "pending" or "unknown" cannot be disproved from the node's own answer: it may be behind, or
  // hiding the commit. Every node not yet tried is asked, and one that proves the commit wins.
  // Being behind is no fault, so the first node is not reported; nodes that claim a commit they
  // cannot prove are.
  auto tried = [&](const std::string& url) {
    return url == report.endpoint ||
           std::any_of(report.failures.begin(), report.failures.end(),
                       [&](const NodeFailure& failure) { return failure.endpoint == url; });
  };
  for (const rpc::Endpoint& endpoint : client.options().endpoints) {
    if (tried(endpoint.url)) continue;
    auto other = client.call_one(endpoint, "get_transaction", params, check_claim);
    if (!other.is_ok() && other.status().code() == Code::kCorrupt) {
      report.failures.push_back(NodeFailure{endpoint.url, other.status()});
    }
    if (!other.is_ok() || !inclusion) continue;
    return TransactionReport{id,           TransactionState::kCommitted, claim->outcome, inclusion,
                             endpoint.url, std::move(report.failures)};
  }
  return report;
}

Result<TransactionReport> wait_for_commit(RpcClient& client, const TrustAnchor& anchor,
                                          const Hash256& id, const WaitOptions& options) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point start = Clock::now();
  auto elapsed_ms = [&] {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  };
  Status last = error(Code::kTimeout, "no answer yet");
  std::optional<TransactionReport> last_report;
  while (true) {
    auto report = fetch_transaction(client, anchor, id);
    if (report.is_ok() && report->state == TransactionState::kCommitted) return report;
    if (report.is_ok()) {
      last_report = *report;
      if (options.progress) options.progress(elapsed_ms(), *report);
    } else if (report.status().code() != Code::kUnavailable) {
      return report.status();  // a lie about commitment, or a refusal: not worth waiting on
    } else {
      last = report.status();
    }
    if (elapsed_ms() >= options.timeout_ms) break;
    uint64_t left = options.timeout_ms - elapsed_ms();
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(options.poll_interval_ms, left)));
  }
  if (!last_report) return last;
  return error(Code::kTimeout,
               "not committed after " + std::to_string(options.timeout_ms) + " ms (last seen " +
                   std::string(transaction_state_name(last_report->state)) + " at " +
                   last_report->endpoint +
                   "); it may still commit: check with `synod-wallet status " + id.hex() + "`");
}

Result<HistoryReport> fetch_history(RpcClient& client, const chain::Address& address,
                                    uint64_t limit, const std::string& before) {
  if (limit < 1 || limit > kHistoryLimitMax) {
    return error(Code::kInvalidArgument,
                 "the history limit must be 1.." + std::to_string(kHistoryLimitMax));
  }
  Json params{{"address", address.to_string()}, {"limit", limit}};
  if (!before.empty()) params["before"] = before;
  HistoryReport report;
  auto check = [&](const Json& result) { return parse_history(result, limit, report); };
  SYNOD_ASSIGN_OR_RETURN(RpcAnswer answer, client.call("get_history", params, check));
  report.endpoint = answer.endpoint;
  return report;
}

Status check_affordable(const ledger::Account& account, uint64_t amount, uint64_t fee) {
  std::optional<uint64_t> cost = ledger::checked_add(amount, fee);
  if (!cost) return error(Code::kOverflow, "amount plus fee is over 2^64-1");
  if (account.balance < *cost) {
    return error(Code::kInsufficientFunds,
                 "insufficient funds: balance " + std::to_string(account.balance) + " cannot pay " +
                     std::to_string(amount) + " + fee " + std::to_string(fee));
  }
  return Status::ok();
}

std::string signed_transaction_json(const chain::Transaction& transaction) {
  const auto& transfer = std::get<chain::Transfer>(transaction.payload);
  Json out{{"format", kSignedFormat},
           {"version", kSignedVersion},
           {"id", transaction.id().hex()},
           {"chain_id", transaction.chain_id},
           {"from", transaction.sender_address().to_string()},
           {"to", transfer.to.to_string()},
           {"amount", std::to_string(transfer.amount)},
           {"fee", std::to_string(transaction.fee)},
           {"nonce", std::to_string(transaction.nonce)},
           {"transaction", to_hex(encode(transaction))}};
  return out.dump(2) + "\n";
}

Result<chain::Transaction> parse_signed_transaction(std::string_view text,
                                                    const TrustAnchor& anchor) {
  SYNOD_ASSIGN_OR_RETURN(Json json, parse_json(text, "signed transaction"));
  JsonFields fields{json, "signed transaction"};
  SYNOD_TRY(fields.only({"format", "version", "id", "chain_id", "from", "to", "amount", "fee",
                         "nonce", "transaction"}));
  SYNOD_ASSIGN_OR_RETURN(std::string format, fields.string("format", 64));
  SYNOD_ASSIGN_OR_RETURN(uint64_t version, fields.number("version"));
  if (format != kSignedFormat || version != kSignedVersion) {
    return fields.fail("format", "not a synod signed transaction (version 1)");
  }
  SYNOD_ASSIGN_OR_RETURN(Bytes bytes, fields.hex("transaction", chain::kTransactionBytesMax));
  auto decoded = chain::decode_transaction(bytes);
  if (!decoded.is_ok()) return fields.fail("transaction", decoded.status().message());
  chain::Transaction transaction = std::move(decoded).value();
  if (transaction.type() != chain::PayloadType::kTransfer) {
    return fields.fail("transaction", "not a transfer");
  }
  if (!transaction.verify_signature()) return fields.fail("transaction", "bad signature");
  if (transaction.chain_id != anchor.chain_id) {
    return error(Code::kInvalidArgument, "the transaction is for chain '" + transaction.chain_id +
                                             "', but this wallet's network is '" + anchor.chain_id +
                                             "'");
  }
  // The summary must say what the signed bytes say, so nobody is shown one transfer and signs
  // (or broadcasts) another.
  Json expected = parse_json(signed_transaction_json(transaction), "summary").value();
  for (const char* key : {"id", "chain_id", "from", "to", "amount", "fee", "nonce"}) {
    if (!json.contains(key) || json[key] != expected[key]) {
      return fields.fail(key, "does not match the signed transaction");
    }
  }
  return transaction;
}

}  // namespace synod::wallet
