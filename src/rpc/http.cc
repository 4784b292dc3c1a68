#include "rpc/http.h"

#include <algorithm>
#include <cctype>

#include "base/text.h"

namespace synod::rpc {

namespace {

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool is_visible(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > 32 && c < 127; });
}

}  // namespace

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<std::pair<std::string, std::string>> parse_header_line(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return std::nullopt;
  return std::make_pair(lower_ascii(line.substr(0, colon)),
                        std::string(trim_blanks(line.substr(colon + 1))));
}

std::optional<size_t> parse_content_length(std::string_view value) {
  if (value.empty() || value.size() > 12 ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  size_t out = 0;
  for (char c : value)
    out = out * 10 + static_cast<size_t>(c - '0');
  return out;
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view HttpRequest::path() const {
  std::string_view view(target);
  return view.substr(0, view.find('?'));
}

bool HttpRequest::keep_alive() const {
  auto connection = header("connection");
  std::string value = connection ? lower_ascii(*connection) : "";
  if (version == "HTTP/1.0") return value == "keep-alive";
  return value != "close";
}

HttpParser::State HttpParser::fail(int status, std::string reason) {
  error_ = HttpError{status, std::move(reason)};
  return State::kError;
}

HttpParser::State HttpParser::feed(std::string_view bytes) {
  if (!error_.reason.empty()) return State::kError;
  buffer_.append(bytes);
  if (complete_) return State::kComplete;
  if (!request_) {
    State state = parse_head();
    if (state != State::kComplete) return state;
  }
  if (buffer_.size() < body_bytes_) return State::kNeedMore;
  request_->body = buffer_.substr(0, body_bytes_);
  buffer_.erase(0, body_bytes_);
  complete_ = true;
  return State::kComplete;
}

HttpParser::State HttpParser::parse_head() {
  size_t end = buffer_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (buffer_.size() > limits_.header_bytes_max) return fail(431, "request headers too large");
    return State::kNeedMore;
  }
  if (end + 4 > limits_.header_bytes_max) return fail(431, "request headers too large");
  std::string_view head(buffer_.data(), end);
  HttpRequest request;
  size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  size_t first_space = line.find(' ');
  size_t second_space = line.find(' ', first_space == std::string_view::npos ? 0 : first_space + 1);
  if (first_space == std::string_view::npos || second_space == std::string_view::npos) {
    return fail(400, "malformed request line");
  }
  request.method = std::string(line.substr(0, first_space));
  request.target = std::string(line.substr(first_space + 1, second_space - first_space - 1));
  request.version = std::string(line.substr(second_space + 1));
  if (!is_token(request.method) || request.target.empty() || !is_visible(request.target)) {
    return fail(400, "malformed request line");
  }
  if (request.version != "HTTP/1.1" && request.version != "HTTP/1.0") {
    return fail(505, "HTTP version not supported");
  }
  std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
  while (!rest.empty()) {
    size_t next = rest.find("\r\n");
    std::string_view header_line = rest.substr(0, next);
    rest = next == std::string_view::npos ? "" : rest.substr(next + 2);
    auto header = parse_header_line(header_line);
    if (!header) return fail(400, "malformed header line");
    if (request.headers.size() >= limits_.headers_max) return fail(431, "too many headers");
    request.headers.push_back(std::move(*header));
  }
  if (request.header("transfer-encoding")) return fail(411, "chunked bodies are not supported");
  body_bytes_ = 0;
  if (auto length = request.header("content-length")) {
    auto bytes = parse_content_length(*length);
    if (!bytes) return fail(400, "malformed Content-Length");
    body_bytes_ = *bytes;
    if (body_bytes_ > limits_.body_bytes_max) return fail(413, "request body too large");
  }
  buffer_.erase(0, end + 4);
  request_ = std::move(request);
  return State::kComplete;
}

HttpRequest HttpParser::take_request() {
  SYNOD_ASSERT(complete_ && request_);
  HttpRequest request = std::move(*request_);
  request_.reset();
  complete_ = false;
  body_bytes_ = 0;
  return request;
}

std::string_view status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
  }
  return "Unknown";
}

std::string write_response(const HttpResponse& response, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    std::string(status_text(response.status)) + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (const auto& [name, value] : response.headers)
    out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += response.body;
  return out;
}

}  // namespace synod::rpc
