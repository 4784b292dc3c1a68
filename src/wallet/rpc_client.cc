#include "wallet/rpc_client.h"

#include <algorithm>

namespace synod::wallet {
namespace {

constexpr int kServerError = -32000;
constexpr int kInvalidParams = -32602;
constexpr int kUnauthorised = -32001;
constexpr int kMethodNotFound = -32601;

std::string summary(const std::vector<NodeFailure>& failures) {
  std::string out;
  for (const NodeFailure& failure : failures) {
    if (!out.empty()) out += "; ";
    out += failure.status.message();
  }
  return out;
}

// json[key] when it is a string, else "" (nlohmann's value() throws on a type mismatch).
std::string string_or_empty(const Json& json, std::string_view key) {
  if (!json.is_object()) return "";
  auto it = json.find(key);
  return it != json.end() && it->is_string() ? it->get<std::string>() : "";
}

bool unreachable(const Status& status) {
  return status.code() == Code::kUnavailable || status.code() == Code::kTimeout;
}

}  // namespace

Code code_from_reason(std::string_view reason) {
  for (int value = static_cast<int>(Code::kInvalidArgument);
       value <= static_cast<int>(Code::kInternal); ++value) {
    if (code_name(static_cast<Code>(value)) == reason) return static_cast<Code>(value);
  }
  return Code::kInternal;
}

RpcClient::RpcClient(RpcClientOptions options) : options_(std::move(options)) {
  SYNOD_ASSERT(!options_.endpoints.empty());
}

std::string RpcClient::request_body(std::string_view method, const Json& params) {
  Json request{{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}};
  return request.dump();
}

const rpc::Endpoint& RpcClient::answering_endpoint() const {
  SYNOD_ASSERT(answering_ != nullptr);
  return *answering_;
}

Result<Json> RpcClient::call_one(const rpc::Endpoint& endpoint, std::string_view method,
                                 const Json& params, const Check& check) {
  Attempt outcome = attempt(endpoint, request_body(method, params), check);
  if (outcome.kind != Attempt::Kind::kResult) return outcome.status;
  return std::move(outcome.result);
}

Result<RpcAnswer> RpcClient::call(std::string_view method, const Json& params, const Check& check) {
  std::string body = request_body(method, params);
  std::vector<NodeFailure> failures;
  size_t count = options_.endpoints.size();
  for (size_t i = 0; i < count; ++i) {
    size_t index = (preferred_ + i) % count;
    const rpc::Endpoint& endpoint = options_.endpoints[index];
    Attempt outcome = attempt(endpoint, body, check);
    if (outcome.kind == Attempt::Kind::kFailed) {
      failures.push_back(NodeFailure{endpoint.url, outcome.status});
      continue;
    }
    preferred_ = index;
    if (outcome.kind == Attempt::Kind::kRefused) return outcome.status;
    return RpcAnswer{std::move(outcome.result), endpoint.url, std::move(failures)};
  }
  bool all_unreachable = std::all_of(failures.begin(), failures.end(),
                                     [](const NodeFailure& f) { return unreachable(f.status); });
  if (all_unreachable) {
    return error(Code::kUnavailable, "no node could be reached: " + summary(failures));
  }
  return error(Code::kCorrupt, "no node gave a well-formed, verified answer: " + summary(failures));
}

RpcClient::Attempt RpcClient::attempt(const rpc::Endpoint& endpoint, const std::string& body,
                                      const Check& check) {
  rpc::HttpRequestOptions http;
  http.timeout_ms = options_.timeout_ms;
  http.response_bytes_max = options_.response_bytes_max;
  if (!options_.token.empty())
    http.headers.emplace_back("Authorization", "Bearer " + options_.token);
  auto answer = rpc::http_post(endpoint, body, http);
  if (!answer.is_ok()) return Attempt{Attempt::Kind::kFailed, nullptr, answer.status()};
  return interpret(endpoint, *answer, check);
}

RpcClient::Attempt RpcClient::interpret(const rpc::Endpoint& endpoint,
                                        const rpc::HttpAnswer& answer, const Check& check) {
  auto failed = [&](Code code, const std::string& problem) {
    return Attempt{Attempt::Kind::kFailed, nullptr, error(code, endpoint.url + ": " + problem)};
  };
  if (answer.status == 503) return failed(Code::kUnavailable, "HTTP 503 (unavailable)");
  if (answer.status != 200) {
    return failed(Code::kCorrupt, "answered HTTP " + std::to_string(answer.status));
  }
  auto json = parse_json(answer.body, "answer");
  if (!json.is_ok()) return failed(Code::kCorrupt, json.status().message());
  if (!json->is_object() || string_or_empty(*json, "jsonrpc") != "2.0" || !json->contains("id")) {
    return failed(Code::kCorrupt, "answer is not a JSON-RPC 2.0 response");
  }
  if (json->contains("error")) return interpret_error(endpoint, (*json)["error"]);
  if (!json->contains("result"))
    return failed(Code::kCorrupt, "answer has neither result nor error");
  if (check) {
    const rpc::Endpoint* outer = answering_;  // a Check may call call_one, whose Check nests
    answering_ = &endpoint;
    Status verified = check((*json)["result"]);
    answering_ = outer;
    if (!verified.is_ok()) {
      return failed(verified.code() == Code::kUnavailable ? Code::kUnavailable : Code::kCorrupt,
                    verified.message());
    }
  }
  return Attempt{Attempt::Kind::kResult, std::move((*json)["result"]), Status::ok()};
}

RpcClient::Attempt RpcClient::interpret_error(const rpc::Endpoint& endpoint,
                                              const Json& error_object) {
  if (!error_object.is_object() || !error_object.contains("code") ||
      !error_object["code"].is_number_integer()) {
    return Attempt{Attempt::Kind::kFailed, nullptr,
                   error(Code::kCorrupt, endpoint.url + ": malformed JSON-RPC error")};
  }
  int code = error_object["code"].get<int>();
  std::string message = string_or_empty(error_object, "message");
  if (message.size() > 1024) message.resize(1024);
  std::string reason;
  if (error_object.contains("data")) reason = string_or_empty(error_object["data"], "reason");
  std::string text = endpoint.url + " refused: " + message;
  auto refused = [&](Code status_code) {
    return Attempt{Attempt::Kind::kRefused, nullptr, error(status_code, text)};
  };
  if (code == kServerError) {
    Code status_code = code_from_reason(reason);
    if (status_code == Code::kUnavailable) {
      return Attempt{Attempt::Kind::kFailed, nullptr,
                     error(Code::kUnavailable, endpoint.url + ": unavailable: " + message)};
    }
    // "corrupt" from a node means it could not decode what we sent; it is not our verdict on it.
    return refused(status_code == Code::kCorrupt ? Code::kInvalidArgument : status_code);
  }
  if (code == kUnauthorised) {
    return refused(Code::kUnauthenticated);
  }
  if (code == kMethodNotFound) {
    return Attempt{
        Attempt::Kind::kFailed, nullptr,
        error(Code::kCorrupt, endpoint.url + ": does not serve this method (" + message + ")")};
  }
  if (code == kInvalidParams) return refused(Code::kInvalidArgument);
  return refused(Code::kInternal);
}

}  // namespace synod::wallet
