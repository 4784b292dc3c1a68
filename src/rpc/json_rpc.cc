#include "rpc/json_rpc.h"

#include <limits>

namespace synod::rpc {

namespace {

Json response_error(const Json& id, Json error) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

// A depth check before traversal: nlohmann's parser recurses, so refuse deep nesting early.
bool nesting_over(std::string_view body, size_t depth_max) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > depth_max) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

}  // namespace

void JsonRpcDispatcher::add_method(std::string name, Handler handler, bool needs_token) {
  methods_[std::move(name)] = Method{std::move(handler), needs_token};
}

Json JsonRpcDispatcher::error_object(int code, std::string message, const Json& data) {
  Json error{{"code", code}, {"message", std::move(message)}};
  if (!data.is_null()) error["data"] = data;
  return error;
}

bool JsonRpcDispatcher::check_token(std::optional<std::string_view> authorization) const {
  if (token_.empty() || !authorization) return false;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization->substr(0, kBearer.size()) != kBearer) return false;
  std::string_view given = authorization->substr(kBearer.size());
  if (given.size() != token_.size()) return false;
  unsigned char difference = 0;  // constant time in the token's length
  for (size_t i = 0; i < given.size(); ++i)
    difference |= given[i] ^ token_[i];
  return difference == 0;
}

std::optional<Json> JsonRpcDispatcher::handle_call(const Json& call, bool authorised) const {
  if (!call.is_object()) {
    return response_error(nullptr, error_object(kInvalidRequest, "a call must be an object"));
  }
  auto id_it = call.find("id");
  bool notification = id_it == call.end();
  Json id = notification ? Json(nullptr) : *id_it;
  if (!notification && !id.is_string() && !id.is_number_integer() && !id.is_null()) {
    return response_error(nullptr, error_object(kInvalidRequest, "id must be a string or integer"));
  }
  auto version = call.find("jsonrpc");
  auto method_it = call.find("method");
  if (version == call.end() || *version != "2.0" || method_it == call.end() ||
      !method_it->is_string()) {
    return response_error(
        id, error_object(kInvalidRequest, "a call needs \"jsonrpc\": \"2.0\" and a string method"));
  }
  Json params = call.contains("params") ? call["params"] : Json::object();
  if (!params.is_object() && !params.is_array()) {
    return response_error(id, error_object(kInvalidRequest, "params must be an object or array"));
  }
  const std::string& name = method_it->get_ref<const std::string&>();
  auto method = methods_.find(name);
  if (method == methods_.end()) {
    if (notification) return std::nullopt;
    return response_error(id, error_object(kMethodNotFound, "unknown method '" + name + "'"));
  }
  if (method->second.needs_token && !authorised) {
    if (notification) return std::nullopt;
    return response_error(
        id, error_object(kUnauthorised, "method '" + name + "' needs the node's RPC token"));
  }
  Result<Json> result = error(Code::kInternal, "no result");
  try {
    result = method->second.handler(params);
  } catch (const Json::exception& e) {
    result = error(Code::kInvalidArgument, std::string("wrong parameter type: ") + e.what());
  } catch (const std::exception& e) {
    result = error(Code::kInternal, e.what());
  }
  if (notification) return std::nullopt;
  if (result.is_ok()) return Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(*result)}};
  const Status& status = result.status();
  int code = status.code() == Code::kInvalidArgument ? kInvalidParams
             : status.code() == Code::kInternal      ? kInternalError
                                                     : kServerError;
  return response_error(id, error_object(code, status.message(),
                                         Json{{"reason", std::string(code_name(status.code()))}}));
}

std::optional<std::string> JsonRpcDispatcher::handle(std::string_view body, bool authorised) const {
  if (nesting_over(body, limits_.json_depth_max)) {
    return response_error(nullptr, error_object(kParseError, "JSON nested too deeply")).dump();
  }
  Json request = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) {
    return response_error(nullptr, error_object(kParseError, "the body is not valid JSON")).dump();
  }
  if (!request.is_array()) {
    auto response = handle_call(request, authorised);
    if (!response) return std::nullopt;
    return response->dump();
  }
  if (request.empty()) {
    return response_error(nullptr, error_object(kInvalidRequest, "empty batch")).dump();
  }
  if (request.size() > limits_.batch_calls_max) {
    return response_error(
               nullptr, error_object(kInvalidRequest, "batch of " + std::to_string(request.size()) +
                                                          " calls over the limit of " +
                                                          std::to_string(limits_.batch_calls_max)))
        .dump();
  }
  Json responses = Json::array();
  for (const Json& call : request) {
    if (auto response = handle_call(call, authorised)) responses.push_back(std::move(*response));
  }
  if (responses.empty()) return std::nullopt;
  return responses.dump();
}

const Json* find_param(const Json& params, std::string_view name, size_t index) {
  if (params.is_object()) {
    auto it = params.find(name);
    return it == params.end() ? nullptr : &*it;
  }
  if (params.is_array() && index < params.size()) return &params[index];
  return nullptr;
}

Result<std::string> string_param(const Json& params, std::string_view name, size_t index) {
  const Json* value = find_param(params, name, index);
  if (value == nullptr)
    return error(Code::kInvalidArgument, "missing parameter '" + std::string(name) + "'");
  if (!value->is_string()) {
    return error(Code::kInvalidArgument, "parameter '" + std::string(name) + "' must be a string");
  }
  return value->get<std::string>();
}

Result<uint64_t> u64_param(const Json& params, std::string_view name, size_t index) {
  const Json* value = find_param(params, name, index);
  if (value == nullptr)
    return error(Code::kInvalidArgument, "missing parameter '" + std::string(name) + "'");
  if (value->is_number_unsigned()) return value->get<uint64_t>();
  if (value->is_string()) {
    const std::string& text = value->get_ref<const std::string&>();
    if (!text.empty() && text.size() <= 20 &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      try {
        return static_cast<uint64_t>(std::stoull(text));
      } catch (const std::exception&) {
      }
    }
  }
  return error(Code::kInvalidArgument, "parameter '" + std::string(name) +
                                           "' must be an unsigned integer or decimal string");
}

}  // namespace synod::rpc
