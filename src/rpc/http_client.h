// The project's one blocking HTTP/1.1 + JSON-RPC 2.0 client (the wallet, `synod localnet`, tests
// and tools all use it; docs/rpc.md is what it talks to).
//
//   http_post / http_get   one request on its own connection ("Connection: close").
//   HttpConnection         keep-alive: requests reuse one socket; reconnects when the server has
//                          closed it (once per request, only when nothing of the answer arrived).
//   JsonRpcClient          call(method, params) and batch(calls) over an HttpConnection, with the
//                          node's token when set.
//   EventStreamReader      server-sent events (`GET /events/<subscription>`), one event at a time,
//                          each wait bounded, lines and events bounded in size.
//
// Bounds: one deadline per request covers connect, send and receive; response headers at most
// kHttpResponseHeaderBytesMax, whole responses at most `response_bytes_max`. Responses must carry
// Content-Length or end at close; chunked bodies are refused (synod nodes never send them). Only
// plain http: a wallet reaching a node across an untrusted network relies on verifying answers
// (wallet/verify.h), not on the channel. Host names go through getaddrinfo, which the deadline
// does not cover; IP literals never touch DNS.
//
// Errors: kUnavailable cannot resolve, connect, send or read (refused, reset, closed early);
// kTimeout the deadline passed; kCorrupt not a well-formed HTTP (or JSON-RPC) answer, or over a
// size bound. Any HTTP status is an answer, not an error.
//
// Thread-safety: the free functions are stateless and thread-safe; one HttpConnection or
// JsonRpcClient per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "rpc/json_rpc.h"

namespace synod::rpc {

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
// http://127.0.0.1:<port>/
Endpoint loopback_endpoint(uint16_t port);

struct HttpRequestOptions {
  uint64_t timeout_ms = 5'000;
  size_t response_bytes_max = kHttpResponseBytesMaxDefault;
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
};

struct HttpAnswer {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  // The first value of header `name` (lower case), if present.
  std::optional<std::string_view> header(std::string_view name) const;
};

// POSTs `body` as application/json to endpoint.path on a new connection.
Result<HttpAnswer> http_post(const Endpoint& endpoint, std::string_view body,
                             const HttpRequestOptions& options = {});
// GETs `target` ("/metrics") on a new connection.
Result<HttpAnswer> http_get(const Endpoint& endpoint, std::string_view target,
                            const HttpRequestOptions& options = {});

// Parses the response read so far. nullopt: more bytes are needed (never when `at_eof`, the
// connection having closed: that ends a body without Content-Length, and makes a short one an
// error). kCorrupt when malformed, truncated, over `response_bytes_max`, or followed by bytes
// beyond its Content-Length.
Result<std::optional<HttpAnswer>> parse_http_response(std::string_view bytes, bool at_eof,
                                                      size_t response_bytes_max);

// Requests over one kept-alive connection to `endpoint`, opened on first use. A request on a
// reused connection that the server closed while idle (send fails, or the connection ends before
// any byte of the answer) is sent once more on a new connection; so a POST may reach the node
// twice in that case (submit_transaction then answers `already_exists`). After an error or an
// answer with "Connection: close" the next request opens a new connection.
class HttpConnection {
 public:
  explicit HttpConnection(Endpoint endpoint, HttpRequestOptions options = {});
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // `method` "GET" or "POST"; `body` is sent as application/json when not empty or when POST.
  Result<HttpAnswer> request(std::string_view method, std::string_view target,
                             std::string_view body);
  Result<HttpAnswer> post(std::string_view body) { return request("POST", endpoint_.path, body); }
  Result<HttpAnswer> get(std::string_view target) { return request("GET", target, ""); }
  void close();

  const Endpoint& endpoint() const { return endpoint_; }
  HttpRequestOptions& options() { return options_; }
  // TCP connections opened so far (keep-alive keeps this at 1 while the server keeps it open).
  uint64_t connections_opened() const { return connections_opened_; }

 private:
  Result<HttpAnswer> attempt(std::string_view request, bool& reused_and_silent);

  Endpoint endpoint_;
  HttpRequestOptions options_;
  int fd_ = -1;
  uint64_t connections_opened_ = 0;
};

// A JSON-RPC 2.0 answer to one call: exactly one of `result` and `error` is set.
struct JsonRpcReply {
  std::optional<Json> result;
  std::optional<Json> error;  // {"code", "message", "data"?}
  bool ok() const { return result.has_value(); }
  int error_code() const;            // 0 when ok
  std::string error_reason() const;  // error.data.reason, or ""
  Status to_status() const;          // ok, or kFailedPrecondition with code and message
};

struct JsonRpcCall {
  std::string method;
  Json params;  // null: sent without "params"
};

struct JsonRpcClientOptions {
  HttpRequestOptions http;
  std::string token;  // sent as "Authorization: Bearer <token>" when not empty
};

// JSON-RPC over one kept-alive connection. A transport failure or an answer that is not JSON-RPC
// is the Status; a JSON-RPC error answer is a reply with `error` set (the node's word).
class JsonRpcClient {
 public:
  explicit JsonRpcClient(Endpoint endpoint, JsonRpcClientOptions options = {});

  Result<JsonRpcReply> call(std::string_view method, const Json& params = nullptr);
  // The result of call(), or its error as a Status (see JsonRpcReply::to_status).
  Result<Json> result(std::string_view method, const Json& params = nullptr);
  // One HTTP request with every call (at most the server's batch limit, 256 for synod); the
  // replies in the order of `calls`. kCorrupt when an answer is missing or duplicated; a whole-
  // batch error object (e.g. an oversized batch) becomes that error for every call.
  Result<std::vector<JsonRpcReply>> batch(const std::vector<JsonRpcCall>& calls);

  HttpConnection& connection() { return connection_; }

 private:
  Result<Json> exchange(const Json& request);

  HttpConnection connection_;
  uint64_t next_id_ = 1;
};

// Reads a JSON-RPC reply object ({"jsonrpc":"2.0","id",...,"result"|"error"}); kCorrupt otherwise.
Result<JsonRpcReply> parse_json_rpc_reply(const Json& answer);

// One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html).
struct ServerSentEvent {
  std::string event = "message";  // the `event:` field, "message" when absent
  std::string data;               // `data:` lines joined with "\n"
  std::string id;                 // the `id:` field, if any
  friend bool operator==(const ServerSentEvent&, const ServerSentEvent&) = default;
};

struct EventStreamLimits {
  size_t line_bytes_max = 64 * 1024;     // one line of the stream, without its end
  size_t event_bytes_max = 1024 * 1024;  // the data of one event
};

// The event-stream format, incrementally: feed bytes, take whole events. Lines end in "\n",
// "\r\n" or "\r"; comment lines (":...") and `retry:` are skipped; an event without data is not
// dispatched. kCorrupt (and stays failed) when a line or an event's data outgrows its bound.
class EventStreamParser {
 public:
  explicit EventStreamParser(EventStreamLimits limits = {}) : limits_(limits) {}
  Status feed(std::string_view bytes);
  // The next whole event, in order.
  std::optional<ServerSentEvent> take();

 private:
  Status line(std::string_view text);

  EventStreamLimits limits_;
  std::string partial_;  // an unfinished line
  bool after_cr_ = false;
  ServerSentEvent current_;
  bool has_data_ = false;
  std::vector<ServerSentEvent> ready_;
  size_t ready_front_ = 0;
  Status failed_ = Status::ok();
};

// A subscriber's end of `GET <target>` answered with text/event-stream. open() waits (up to
// `options.timeout_ms`) for the answer's head: kNotFound for HTTP 404 (an unknown or expired
// subscription), kFailedPrecondition for any other status or a content type that is not
// text/event-stream. next() waits up to `timeout_ms` for one event: nullopt when the server ended
// the stream (then every later call says so too), kTimeout when none came in time (the stream stays
// usable), kCorrupt for an oversized line or event, kUnavailable for a reset connection.
class EventStreamReader {
 public:
  static Result<std::unique_ptr<EventStreamReader>> open(const Endpoint& endpoint,
                                                         std::string_view target,
                                                         const HttpRequestOptions& options = {},
                                                         EventStreamLimits limits = {});
  ~EventStreamReader();
  EventStreamReader(const EventStreamReader&) = delete;
  EventStreamReader& operator=(const EventStreamReader&) = delete;

  Result<std::optional<ServerSentEvent>> next(uint64_t timeout_ms);
  // Closes the connection (the server sees the subscriber leave).
  void close();

 private:
  EventStreamReader(int fd, std::string url, EventStreamLimits limits);

  int fd_;
  std::string url_;
  EventStreamParser parser_;
  bool ended_ = false;
};

}  // namespace synod::rpc
