// JSON-RPC 2.0 (https://www.jsonrpc.org/specification) over one HTTP body: single calls, batches
// and notifications. Methods are registered with a handler; methods that change the node are
// registered as `needs_token` and answer -32001 unless the request carried the node's token
// (`Authorization: Bearer <token>`). Errors map from Status:
//   -32700 parse error, -32600 invalid request, -32601 method not found,
//   -32602 invalid params (Code::kInvalidArgument or a handler's JSON type error),
//   -32001 unauthorised, -32000 any other Status, with data {"reason": code name}.
// Thread-safe once methods are registered (handlers themselves must be thread-safe).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace synod::rpc {

using Json = nlohmann::json;

inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kServerError = -32000;
inline constexpr int kUnauthorised = -32001;

struct JsonRpcLimits {
  size_t batch_calls_max = 256;
  size_t json_depth_max = 32;
};

class JsonRpcDispatcher {
 public:
  using Handler = std::function<Result<Json>(const Json& params)>;

  explicit JsonRpcDispatcher(JsonRpcLimits limits = {}) : limits_(limits) {}
  // Not thread-safe: register every method before serving.
  void add_method(std::string name, Handler handler, bool needs_token = false);
  // The node's token; empty disables every needs_token method.
  void set_token(std::string token) { token_ = std::move(token); }

  // Handles one request body. Returns the response body, or nullopt when nothing is to be sent
  // (only notifications). `authorised` says whether the request carried the right token.
  std::optional<std::string> handle(std::string_view body, bool authorised) const;
  bool check_token(std::optional<std::string_view> authorization_header) const;

  static Json error_object(int code, std::string message, const Json& data = nullptr);

 private:
  struct Method {
    Handler handler;
    bool needs_token = false;
  };
  std::optional<Json> handle_call(const Json& call, bool authorised) const;

  JsonRpcLimits limits_;
  std::map<std::string, Method, std::less<>> methods_;
  std::string token_;
};

// Reads params[name] (object params) or params[index] (array params).
const Json* find_param(const Json& params, std::string_view name, size_t index);
Result<std::string> string_param(const Json& params, std::string_view name, size_t index);
Result<uint64_t> u64_param(const Json& params, std::string_view name, size_t index);

}  // namespace synod::rpc
