// Fuzzes the HTTP request parser (fed in two pieces) and the JSON-RPC dispatcher: errors, never
// crashes, and every parsed request's body length equals its Content-Length.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rpc/http.h"
#include "rpc/json_rpc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  synod::rpc::HttpParser parser;
  size_t split = size == 0 ? 0 : data[0] % (size + 1);
  auto state = parser.feed(text.substr(0, split));
  if (state == synod::rpc::HttpParser::State::kNeedMore) state = parser.feed(text.substr(split));
  if (state == synod::rpc::HttpParser::State::kComplete) {
    synod::rpc::HttpRequest request = parser.take_request();
    auto length = request.header("content-length");
    if (length && std::to_string(request.body.size()) != std::string(*length) &&
        std::stoull(std::string(*length)) != request.body.size()) {
      std::abort();
    }
  }
  static const synod::rpc::JsonRpcDispatcher dispatcher = [] {
    synod::rpc::JsonRpcDispatcher d;
    d.add_method("echo", [](const synod::rpc::Json& params) -> synod::Result<synod::rpc::Json> {
      return params;
    });
    return d;
  }();
  (void)dispatcher.handle(text, false);
  return 0;
}
