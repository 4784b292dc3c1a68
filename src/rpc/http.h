// A strict, bounded HTTP/1.1 request parser and response writer: just what JSON-RPC, /metrics,
// server-sent events and static files need. No chunked request bodies (411 Length Required), no
// pipelining beyond one request at a time per connection. Pure functions over bytes: no sockets,
// so the parser is unit-tested and fuzzed directly. Not thread-safe; one parser per connection.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace synod::rpc {

struct HttpLimits {
  size_t header_bytes_max = 16 * 1024;      // request line + headers
  size_t headers_max = 64;                  // header lines
  size_t body_bytes_max = 4 * 1024 * 1024;  // Content-Length above this gets 413
};

struct HttpRequest {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // "/", "/metrics?x=1"
  std::string version;                                       // "HTTP/1.1" or "HTTP/1.0"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The first value of header `name` (lower case), if present.
  std::optional<std::string_view> header(std::string_view name) const;
  // The target without its query string.
  std::string_view path() const;
  // Whether the connection stays open after the response (HTTP/1.1 default, or keep-alive).
  bool keep_alive() const;
};

// An error the parser found, with the status code to answer before closing the connection.
struct HttpError {
  int status = 400;
  std::string reason;
};

class HttpParser {
 public:
  explicit HttpParser(HttpLimits limits = {}) : limits_(limits) {}

  enum class State { kNeedMore, kComplete, kError };
  // Feeds bytes from the socket. Returns kComplete once a whole request is buffered (take it with
  // take_request(); bytes after it stay buffered for the next request), kError with error() set.
  State feed(std::string_view bytes);
  HttpRequest take_request();
  const HttpError& error() const { return error_; }
  // Bytes buffered beyond the request returned by take_request.
  size_t buffered() const { return buffer_.size(); }

 private:
  State parse_head();
  State fail(int status, std::string reason);

  HttpLimits limits_;
  std::string buffer_;
  std::optional<HttpRequest> request_;  // head parsed, waiting for the body
  size_t body_bytes_ = 0;
  HttpError error_;
  bool complete_ = false;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

std::string_view status_text(int status);

// Shared by the server's request parser and the client's response parser (rpc/http_client.h).
// One header line "Name: value": the name lower-cased and the value without surrounding blanks;
// nullopt when there is no ':' or the name is not an HTTP token.
std::optional<std::pair<std::string, std::string>> parse_header_line(std::string_view line);
// A Content-Length value: 1 to 12 decimal digits; nullopt otherwise.
std::optional<size_t> parse_content_length(std::string_view value);
// `text` in lower case (ASCII).
std::string lower_ascii(std::string_view text);
// Serialises a response with Content-Length; `keep_alive` sets the Connection header.
std::string write_response(const HttpResponse& response, bool keep_alive);

}  // namespace synod::rpc
