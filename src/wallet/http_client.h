// A minimal blocking HTTP/1.1 client for JSON-RPC: one POST per connection ("Connection: close"),
// one deadline covering connect, send and receive, and a bound on the response size. Responses
// must carry Content-Length or end at close; chunked bodies are refused (synod nodes do not send
// them). Only plain http: a wallet reaching a node across an untrusted network relies on the
// verification of answers (wallet/verify.h), not on the channel. Host names go through
// getaddrinfo, which the deadline does not cover; IP literals never touch DNS.
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace synod::wallet {

inline constexpr size_t kHttpResponseHeaderBytesMax = 16 * 1024;
inline constexpr size_t kHttpResponseBytesMaxDefault = 32 * 1024 * 1024;

// "http://127.0.0.1:26657" or "http://[::1]:26657/"; the port defaults to 26657 and the path to
// "/".
struct Endpoint {
  std::string host;
  uint16_t port = 26657;
  std::string path = "/";
  std::string url;  // as written, for messages
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// kInvalidArgument for anything but http://host[:port][/path].
Result<Endpoint> parse_endpoint(std::string_view url);

struct HttpRequestOptions {
  uint64_t timeout_ms = 5'000;
  size_t response_bytes_max = kHttpResponseBytesMaxDefault;
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
};

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// POSTs `body` as application/json. kUnavailable: cannot resolve, connect, send or read (refused,
// reset, closed early); kTimeout: the deadline passed; kCorrupt: not a well-formed HTTP response
// or over the size bound. Any HTTP status is returned as an answer.
Result<HttpAnswer> http_post(const Endpoint& endpoint, std::string_view body,
                             const HttpRequestOptions& options = {});

// Parses the response read so far. nullopt: more bytes are needed (never when `at_eof`, the
// connection having closed: that ends a body without Content-Length, and makes a short one an
// error). kCorrupt when malformed, truncated or over `response_bytes_max`.
Result<std::optional<HttpAnswer>> parse_http_response(std::string_view bytes, bool at_eof,
                                                      size_t response_bytes_max);

}  // namespace synod::wallet
