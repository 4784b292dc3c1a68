#include "rpc/http_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include "rpc/http.h"

namespace synod::rpc {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

// Waits for `events` on fd until the deadline: ok, kTimeout, or kUnavailable.
Status wait_for(int fd, short events, Clock::time_point deadline, const std::string& url) {
  while (true) {
    int left = remaining_ms(deadline);
    if (left == 0) return error(Code::kTimeout, url + ": no answer within the timeout");
    pollfd entry{fd, events, 0};
    int ready = ::poll(&entry, 1, left);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return error(Code::kUnavailable, url + ": poll: " + std::strerror(errno));
    if (ready == 0) return error(Code::kTimeout, url + ": no answer within the timeout");
    return Status::ok();
  }
}

Result<int> connect_one(const addrinfo& address, Clock::time_point deadline,
                        const std::string& url) {
  int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    address.ai_protocol);
  if (fd < 0) return error(Code::kUnavailable, url + ": socket: " + std::strerror(errno));
  if (::connect(fd, address.ai_addr, address.ai_addrlen) == 0) return fd;
  if (errno != EINPROGRESS) {
    Status status = error(Code::kUnavailable, url + ": cannot connect: " + std::strerror(errno));
    ::close(fd);
    return status;
  }
  Status waited = wait_for(fd, POLLOUT, deadline, url);
  int socket_error = 0;
  socklen_t length = sizeof(socket_error);
  if (waited.is_ok() && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &length) == 0 &&
      socket_error != 0) {
    waited = error(Code::kUnavailable, url + ": cannot connect: " + std::strerror(socket_error));
  }
  if (!waited.is_ok()) {
    ::close(fd);
    return waited;
  }
  return fd;
}

Result<int> connect_endpoint(const Endpoint& endpoint, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* addresses = nullptr;
  std::string port = std::to_string(endpoint.port);
  int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &addresses);
  if (rc != 0) {
    return error(Code::kUnavailable,
                 endpoint.url + ": cannot resolve " + endpoint.host + ": " + ::gai_strerror(rc));
  }
  Result<int> connected = error(Code::kUnavailable, endpoint.url + ": no address");
  for (addrinfo* a = addresses; a != nullptr; a = a->ai_next) {
    connected = connect_one(*a, deadline, endpoint.url);
    if (connected.is_ok() || connected.status().code() == Code::kTimeout) break;
  }
  ::freeaddrinfo(addresses);
  return connected;
}

Status send_all(int fd, std::string_view data, Clock::time_point deadline, const std::string& url) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      SYNOD_TRY(wait_for(fd, POLLOUT, deadline, url));
    } else {
      return error(Code::kUnavailable, url + ": send: " + std::strerror(errno));
    }
  }
  return Status::ok();
}

// Reads one response. `*got_bytes` says whether any byte of it arrived.
Result<HttpAnswer> receive_response(int fd, Clock::time_point deadline, size_t response_bytes_max,
                                    const std::string& url, bool* got_bytes) {
  std::string buffer;
  char chunk[16 * 1024];
  while (true) {
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      SYNOD_TRY(wait_for(fd, POLLIN, deadline, url));
      continue;
    }
    if (n < 0) return error(Code::kUnavailable, url + ": receive: " + std::strerror(errno));
    bool at_eof = n == 0;
    buffer.append(chunk, static_cast<size_t>(n));
    *got_bytes = !buffer.empty();
    if (at_eof && buffer.empty()) {
      return error(Code::kUnavailable, url + ": closed the connection without answering");
    }
    auto parsed = parse_http_response(buffer, at_eof, response_bytes_max);
    if (!parsed.is_ok()) return parsed.status().with_context(url);
    if (parsed->has_value()) return std::move(**parsed);
  }
}

Status bad_response(const std::string& problem) {
  return error(Code::kCorrupt, "malformed HTTP response: " + problem);
}

struct ResponseHead {
  int status = 0;
  std::optional<size_t> content_length;
  bool chunked = false;
  std::vector<std::pair<std::string, std::string>> headers;
};

Result<ResponseHead> parse_head(std::string_view head) {
  ResponseHead out;
  size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.1 ") && !status_line.starts_with("HTTP/1.0 ")) {
    return bad_response("status line '" + std::string(status_line.substr(0, 64)) + "'");
  }
  std::string_view code = status_line.substr(9, 3);
  auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), out.status);
  if (code.size() != 3 || ec != std::errc() || end != code.data() + 3 || out.status < 100) {
    return bad_response("status code '" + std::string(code) + "'");
  }
  size_t position = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (position < head.size()) {
    size_t next = head.find("\r\n", position);
    if (next == std::string_view::npos) next = head.size();
    std::string_view line = head.substr(position, next - position);
    position = next + 2;
    auto header = parse_header_line(line);
    if (!header) return bad_response("malformed header line");
    const auto& [name, value] = *header;
    if (name == "content-length") {
      auto length = parse_content_length(value);
      if (!length || out.content_length) return bad_response("Content-Length");
      out.content_length = *length;
    } else if (name == "transfer-encoding" && lower_ascii(value) != "identity") {
      out.chunked = true;
    }
    out.headers.push_back(std::move(*header));
  }
  return out;
}

std::string request_text(const Endpoint& endpoint, std::string_view method, std::string_view target,
                         std::string_view body, bool keep_alive,
                         const HttpRequestOptions& options) {
  std::string host =
      endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]" : endpoint.host;
  std::string request = std::string(method) + " " + std::string(target) +
                        " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(endpoint.port) + "\r\n";
  if (method == "POST" || !body.empty()) {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "Accept: */*\r\n";
  request += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (const auto& [name, value] : options.headers)
    request += name + ": " + value + "\r\n";
  request += "\r\n";
  request += body;
  return request;
}

Result<HttpAnswer> one_shot(const Endpoint& endpoint, std::string_view method,
                            std::string_view target, std::string_view body,
                            const HttpRequestOptions& options) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
  SYNOD_ASSIGN_OR_RETURN(int fd, connect_endpoint(endpoint, deadline));
  std::string request = request_text(endpoint, method, target, body, false, options);
  Status sent = send_all(fd, request, deadline, endpoint.url);
  bool got_bytes = false;
  Result<HttpAnswer> answer =
      sent.is_ok()
          ? receive_response(fd, deadline, options.response_bytes_max, endpoint.url, &got_bytes)
          : Result<HttpAnswer>(sent);
  ::close(fd);
  return answer;
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view url) {
  Endpoint out;
  out.url = std::string(url);
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return error(
        Code::kInvalidArgument,
        "endpoint '" + out.url + "' must start with http:// (e.g. http://127.0.0.1:26657)");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(rest.substr(slash));
  std::string_view port_text;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return error(Code::kInvalidArgument, "endpoint '" + out.url + "': unclosed '['");
    }
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(":")) {
      return error(Code::kInvalidArgument, "endpoint '" + out.url + "': bad port");
    }
    if (!after.empty()) port_text = after.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return error(Code::kInvalidArgument, "endpoint '" + out.url + "': no host");
  if (!port_text.empty() || authority.find(':') != std::string_view::npos) {
    auto port = port_text.size() <= 5 ? parse_content_length(port_text) : std::nullopt;
    if (!port || *port == 0 || *port > 65535) {
      return error(Code::kInvalidArgument, "endpoint '" + out.url + "': port must be 1..65535");
    }
    out.port = static_cast<uint16_t>(*port);
  }
  return out;
}

Result<std::optional<HttpAnswer>> parse_http_response(std::string_view bytes, bool at_eof,
                                                      size_t response_bytes_max) {
  size_t head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (bytes.size() > kHttpResponseHeaderBytesMax) return bad_response("headers too long");
    if (at_eof) return bad_response("the connection closed inside the headers");
    return std::optional<HttpAnswer>();
  }
  if (head_end > kHttpResponseHeaderBytesMax) return bad_response("headers too long");
  SYNOD_ASSIGN_OR_RETURN(ResponseHead head, parse_head(bytes.substr(0, head_end)));
  if (head.chunked) return bad_response("chunked bodies are not supported");
  std::string_view body = bytes.substr(head_end + 4);
  size_t expected = head.content_length.value_or(body.size());
  if (expected > response_bytes_max || body.size() > response_bytes_max) {
    return error(Code::kCorrupt,
                 "the response is larger than " + std::to_string(response_bytes_max) + " bytes");
  }
  if (head.content_length && body.size() > expected) return bad_response("body beyond its length");
  bool complete = head.content_length ? body.size() == expected : at_eof;
  if (!complete) {
    if (at_eof) {
      return bad_response("truncated body (" + std::to_string(body.size()) + " of " +
                          std::to_string(expected) + " bytes)");
    }
    return std::optional<HttpAnswer>();
  }
  return std::optional<HttpAnswer>(
      HttpAnswer{head.status, std::string(body), std::move(head.headers)});
}

Endpoint loopback_endpoint(uint16_t port) {
  return Endpoint{"127.0.0.1", port, "/", "http://127.0.0.1:" + std::to_string(port) + "/"};
}

std::optional<std::string_view> HttpAnswer::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

Result<HttpAnswer> http_post(const Endpoint& endpoint, std::string_view body,
                             const HttpRequestOptions& options) {
  return one_shot(endpoint, "POST", endpoint.path, body, options);
}

Result<HttpAnswer> http_get(const Endpoint& endpoint, std::string_view target,
                            const HttpRequestOptions& options) {
  return one_shot(endpoint, "GET", target, "", options);
}

HttpConnection::HttpConnection(Endpoint endpoint, HttpRequestOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {}

HttpConnection::~HttpConnection() {
  close();
}

void HttpConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<HttpAnswer> HttpConnection::attempt(std::string_view request, bool& reused_and_silent) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  const bool reused = fd_ >= 0;
  reused_and_silent = false;
  if (!reused) {
    SYNOD_ASSIGN_OR_RETURN(fd_, connect_endpoint(endpoint_, deadline));
    ++connections_opened_;
  }
  Status sent = send_all(fd_, request, deadline, endpoint_.url);
  bool got_bytes = false;
  Result<HttpAnswer> answer =
      sent.is_ok()
          ? receive_response(fd_, deadline, options_.response_bytes_max, endpoint_.url, &got_bytes)
          : Result<HttpAnswer>(sent);
  if (!answer.is_ok()) {
    reused_and_silent = reused && !got_bytes && answer.status().code() == Code::kUnavailable;
    close();
    return answer;
  }
  auto connection = answer->header("connection");
  if (!answer->header("content-length") || (connection && lower_ascii(*connection) == "close")) {
    close();
  }
  return answer;
}

Result<HttpAnswer> HttpConnection::request(std::string_view method, std::string_view target,
                                           std::string_view body) {
  std::string text = request_text(endpoint_, method, target, body, true, options_);
  bool reused_and_silent = false;
  Result<HttpAnswer> answer = attempt(text, reused_and_silent);
  if (!answer.is_ok() && reused_and_silent) answer = attempt(text, reused_and_silent);
  return answer;
}

int JsonRpcReply::error_code() const {
  if (!error || !error->is_object() || !error->contains("code")) return 0;
  const Json& code = (*error)["code"];
  return code.is_number_integer() ? code.get<int>() : 0;
}

std::string JsonRpcReply::error_reason() const {
  if (!error || !error->is_object()) return "";
  auto data = error->find("data");
  if (data == error->end() || !data->is_object()) return "";
  auto reason = data->find("reason");
  return reason != data->end() && reason->is_string() ? reason->get<std::string>() : "";
}

Status JsonRpcReply::to_status() const {
  if (ok()) return Status::ok();
  std::string message;
  if (error && error->is_object()) {
    auto text = error->find("message");
    if (text != error->end() && text->is_string()) message = text->get<std::string>();
  }
  std::string reason = error_reason();
  return synod::error(Code::kFailedPrecondition, "JSON-RPC error " + std::to_string(error_code()) +
                                                     (reason.empty() ? "" : " (" + reason + ")") +
                                                     ": " + message);
}

Result<JsonRpcReply> parse_json_rpc_reply(const Json& answer) {
  if (!answer.is_object() || !answer.contains("jsonrpc") || answer["jsonrpc"] != "2.0" ||
      !answer.contains("id")) {
    return synod::error(Code::kCorrupt, "the answer is not a JSON-RPC 2.0 response");
  }
  JsonRpcReply reply;
  bool has_result = answer.contains("result");
  bool has_error = answer.contains("error");
  if (has_result == has_error) {
    return synod::error(Code::kCorrupt, "a JSON-RPC response needs exactly one of result, error");
  }
  if (has_result) reply.result = answer["result"];
  if (has_error) {
    const Json& error_object = answer["error"];
    if (!error_object.is_object() || !error_object.contains("code") ||
        !error_object["code"].is_number_integer()) {
      return synod::error(Code::kCorrupt, "a JSON-RPC error without an integer code");
    }
    reply.error = error_object;
  }
  return reply;
}

JsonRpcClient::JsonRpcClient(Endpoint endpoint, JsonRpcClientOptions options)
    : connection_(std::move(endpoint), std::move(options.http)) {
  if (!options.token.empty()) {
    connection_.options().headers.emplace_back("Authorization", "Bearer " + options.token);
  }
}

Result<Json> JsonRpcClient::exchange(const Json& request) {
  SYNOD_ASSIGN_OR_RETURN(HttpAnswer answer, connection_.post(request.dump()));
  const std::string& url = connection_.endpoint().url;
  Json parsed = Json::parse(answer.body, nullptr, false);
  if (parsed.is_discarded()) {
    return synod::error(Code::kCorrupt,
                        url + ": HTTP " + std::to_string(answer.status) + " without a JSON body");
  }
  return parsed;
}

Result<JsonRpcReply> JsonRpcClient::call(std::string_view method, const Json& params) {
  Json request{{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}};
  if (!params.is_null()) request["params"] = params;
  SYNOD_ASSIGN_OR_RETURN(Json answer, exchange(request));
  auto reply = parse_json_rpc_reply(answer);
  if (!reply.is_ok()) return reply.status().with_context(connection_.endpoint().url);
  if (answer["id"] != request["id"] && !answer["id"].is_null()) {
    return synod::error(Code::kCorrupt,
                        connection_.endpoint().url + ": the answer has another call's id");
  }
  return reply;
}

Result<Json> JsonRpcClient::result(std::string_view method, const Json& params) {
  SYNOD_ASSIGN_OR_RETURN(JsonRpcReply reply, call(method, params));
  if (!reply.ok()) return reply.to_status();
  return std::move(*reply.result);
}

Result<std::vector<JsonRpcReply>> JsonRpcClient::batch(const std::vector<JsonRpcCall>& calls) {
  const std::string& url = connection_.endpoint().url;
  if (calls.empty()) return synod::error(Code::kInvalidArgument, "an empty JSON-RPC batch");
  Json request = Json::array();
  const uint64_t first_id = next_id_;
  for (const JsonRpcCall& call : calls) {
    Json entry{{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", call.method}};
    if (!call.params.is_null()) entry["params"] = call.params;
    request.push_back(std::move(entry));
  }
  SYNOD_ASSIGN_OR_RETURN(Json answer, exchange(request));
  std::vector<std::optional<JsonRpcReply>> slots(calls.size());
  if (answer.is_object()) {
    // One error for the whole batch (invalid request, too many calls).
    SYNOD_ASSIGN_OR_RETURN(JsonRpcReply whole, parse_json_rpc_reply(answer));
    if (whole.ok()) return synod::error(Code::kCorrupt, url + ": a batch answered by one result");
    return std::vector<JsonRpcReply>(calls.size(), whole);
  }
  if (!answer.is_array()) return synod::error(Code::kCorrupt, url + ": a batch answer not a list");
  for (const Json& entry : answer) {
    auto reply = parse_json_rpc_reply(entry);
    if (!reply.is_ok()) return reply.status().with_context(url);
    const Json& id = entry["id"];
    if (!id.is_number_unsigned() || id.get<uint64_t>() < first_id ||
        id.get<uint64_t>() - first_id >= calls.size() || slots[id.get<uint64_t>() - first_id]) {
      return synod::error(Code::kCorrupt, url + ": a batch answer with an unknown or repeated id");
    }
    slots[id.get<uint64_t>() - first_id] = std::move(*reply);
  }
  std::vector<JsonRpcReply> out;
  out.reserve(calls.size());
  for (auto& slot : slots) {
    if (!slot) return synod::error(Code::kCorrupt, url + ": a batch answer is missing a reply");
    out.push_back(std::move(*slot));
  }
  return out;
}

}  // namespace synod::rpc

namespace synod::rpc {

Status EventStreamParser::feed(std::string_view bytes) {
  if (!failed_.is_ok()) return failed_;
  for (char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // the "\n" of "\r\n"
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      Status done = line(partial_);
      partial_.clear();
      if (!done.is_ok()) return failed_ = done;
      continue;
    }
    if (partial_.size() >= limits_.line_bytes_max) {
      return failed_ = error(Code::kCorrupt, "an event-stream line is longer than " +
                                                 std::to_string(limits_.line_bytes_max) + " bytes");
    }
    partial_.push_back(c);
  }
  return Status::ok();
}

Status EventStreamParser::line(std::string_view text) {
  if (text.empty()) {
    if (has_data_) ready_.push_back(std::move(current_));
    current_ = ServerSentEvent{};
    has_data_ = false;
    return Status::ok();
  }
  if (text.front() == ':') return Status::ok();  // a comment
  size_t colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  if (value.starts_with(' ')) value.remove_prefix(1);
  if (field == "event") {
    current_.event = value.empty() ? "message" : std::string(value);
  } else if (field == "data") {
    if (current_.data.size() + value.size() + 1 > limits_.event_bytes_max) {
      return error(Code::kCorrupt, "an event's data is larger than " +
                                       std::to_string(limits_.event_bytes_max) + " bytes");
    }
    if (has_data_) current_.data.push_back('\n');
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "id" && value.find('\0') == std::string_view::npos) {
    current_.id = std::string(value);
  }
  return Status::ok();
}

std::optional<ServerSentEvent> EventStreamParser::take() {
  if (ready_front_ == ready_.size()) {
    ready_.clear();
    ready_front_ = 0;
    return std::nullopt;
  }
  return std::move(ready_[ready_front_++]);
}

EventStreamReader::EventStreamReader(int fd, std::string url, EventStreamLimits limits)
    : fd_(fd), url_(std::move(url)), parser_(limits) {}

EventStreamReader::~EventStreamReader() {
  close();
}

void EventStreamReader::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ended_ = true;
}

Result<std::unique_ptr<EventStreamReader>> EventStreamReader::open(
    const Endpoint& endpoint, std::string_view target, const HttpRequestOptions& options,
    EventStreamLimits limits) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
  SYNOD_ASSIGN_OR_RETURN(int fd, connect_endpoint(endpoint, deadline));
  // Owned by the reader from here, so every return below closes it.
  std::unique_ptr<EventStreamReader> reader(new EventStreamReader(fd, endpoint.url, limits));
  HttpRequestOptions with_accept = options;
  with_accept.headers.emplace_back("Accept", "text/event-stream");
  SYNOD_TRY(send_all(fd, request_text(endpoint, "GET", target, "", true, with_accept), deadline,
                     endpoint.url));
  std::string buffer;
  char chunk[4096];
  size_t head_end = std::string::npos;
  while (head_end == std::string::npos) {
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      SYNOD_TRY(wait_for(fd, POLLIN, deadline, endpoint.url));
      continue;
    }
    if (n <= 0) {
      return error(Code::kUnavailable, endpoint.url + ": the connection ended before an answer");
    }
    buffer.append(chunk, static_cast<size_t>(n));
    head_end = buffer.find("\r\n\r\n");
    if (head_end == std::string::npos && buffer.size() > kHttpResponseHeaderBytesMax) {
      return bad_response("headers too long").with_context(endpoint.url);
    }
  }
  auto head = parse_head(std::string_view(buffer).substr(0, head_end));
  if (!head.is_ok()) return head.status().with_context(endpoint.url);
  std::string_view rest = std::string_view(buffer).substr(head_end + 4);
  if (head->status != 200) {
    std::string what = endpoint.url + std::string(target.substr(0, 256)) + ": HTTP " +
                       std::to_string(head->status) + " " + std::string(rest.substr(0, 256));
    return error(head->status == 404 ? Code::kNotFound : Code::kFailedPrecondition, what);
  }
  std::string type;
  for (const auto& [name, value] : head->headers) {
    if (name == "content-type") type = lower_ascii(value);
  }
  if (!type.starts_with("text/event-stream")) {
    return error(Code::kFailedPrecondition,
                 endpoint.url + ": answered '" + type + "', not text/event-stream");
  }
  SYNOD_TRY(reader->parser_.feed(rest));
  return reader;
}

Result<std::optional<ServerSentEvent>> EventStreamReader::next(uint64_t timeout_ms) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char chunk[16 * 1024];
  while (true) {
    if (auto event = parser_.take()) return event;
    if (ended_) return std::optional<ServerSentEvent>();
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      Status waited = wait_for(fd_, POLLIN, deadline, url_);
      if (waited.code() == Code::kTimeout) {
        return error(Code::kTimeout,
                     url_ + ": no event within " + std::to_string(timeout_ms) + " ms");
      }
      SYNOD_TRY(waited);
      continue;
    }
    if (n < 0) {
      Status failed = error(Code::kUnavailable, url_ + ": receive: " + std::strerror(errno));
      close();
      return failed;
    }
    if (n == 0) {
      close();  // an unfinished event at the end is dropped, as the format says
      continue;
    }
    Status fed = parser_.feed(std::string_view(chunk, static_cast<size_t>(n)));
    if (!fed.is_ok()) {
      close();
      return fed.with_context(url_);
    }
  }
}

}  // namespace synod::rpc
