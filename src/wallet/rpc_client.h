// The wallet's JSON-RPC client (docs/rpc.md) over several nodes, so that the network looks like one
// service. Each call goes to the node that answered last (the first endpoint at the start); when a
// node cannot be reached, times out, answers something malformed, or answers something that fails
// the caller's check (wallet/verify.h: a forged balance, a certificate that does not verify), the
// call moves on to the next endpoint, in order, trying each once. Every failure is kept, with the
// node it came from, so the caller can report a lying node even when another one answered.
//
// What a node says deliberately is not failed over: a JSON-RPC error (`insufficient_funds`,
// `failed_precondition`, ...) is the answer, returned with its reason as the Status code and the
// node named in the message. A node that says it is syncing (`unavailable`) is skipped.
//
// Errors from call(), which the command line turns into exit codes:
//   kUnavailable  no node could be reached (every failure was a connection error or a timeout)
//   kCorrupt      at least one node answered, but no answer was well-formed and verified
//   other codes   a node refused the request; the code is its reason (docs/rpc.md, "Errors")
// Not thread-safe: one client per thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/http_client.h"
#include "wallet/json_util.h"

namespace synod::wallet {

struct RpcClientOptions {
  std::vector<rpc::Endpoint> endpoints;  // at least one
  uint64_t timeout_ms = 5'000;           // per node and attempt: connect, send and answer
  size_t response_bytes_max = rpc::kHttpResponseBytesMaxDefault;
  std::string token;  // sent as "Authorization: Bearer <token>" when not empty
};

struct NodeFailure {
  std::string endpoint;
  Status status;  // kUnavailable / kTimeout: unreachable; kCorrupt: malformed or failed a check
};

struct RpcAnswer {
  Json result;
  std::string endpoint;               // the node whose answer this is
  std::vector<NodeFailure> failures;  // nodes tried before it, in order, during this call
};

class RpcClient {
 public:
  // Checks a result; an error makes the call fail over to the next node (use kCorrupt).
  using Check = std::function<Status(const Json& result)>;

  explicit RpcClient(RpcClientOptions options);

  Result<RpcAnswer> call(std::string_view method, const Json& params, const Check& check = {});

  // One request to one endpoint, without failover: for a Check that must ask the node it is
  // checking for proof (see answering_endpoint). Errors: kUnavailable or kTimeout (unreachable),
  // kCorrupt (malformed or failed `check`), or the node's refusal.
  Result<Json> call_one(const rpc::Endpoint& endpoint, std::string_view method, const Json& params,
                        const Check& check = {});
  // The endpoint whose answer the running Check is looking at; asserted to be inside a Check.
  const rpc::Endpoint& answering_endpoint() const;

  const RpcClientOptions& options() const { return options_; }
  // The node that answered (or refused) the last call(); the first endpoint before any call.
  const std::string& last_endpoint() const { return options_.endpoints[preferred_].url; }

 private:
  // One node's answer: the result, a node's refusal (final), or a failure to fail over from.
  struct Attempt {
    enum class Kind { kResult, kRefused, kFailed } kind = Kind::kFailed;
    Json result;
    Status status;
  };
  Attempt attempt(const rpc::Endpoint& endpoint, const std::string& body, const Check& check);
  Attempt interpret(const rpc::Endpoint& endpoint, const rpc::HttpAnswer& answer,
                    const Check& check);
  Attempt interpret_error(const rpc::Endpoint& endpoint, const Json& error_object);

  std::string request_body(std::string_view method, const Json& params);

  RpcClientOptions options_;
  const rpc::Endpoint* answering_ = nullptr;  // set while a Check runs
  size_t preferred_ = 0;                      // the endpoint that answered last
  uint64_t next_id_ = 1;
};

// Maps a reason name from docs/rpc.md ("insufficient_funds") to its Code; kInternal if unknown.
Code code_from_reason(std::string_view reason);

}  // namespace synod::wallet
