#include "wallet/http_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include "wallet/json_util.h"

namespace synod::wallet {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// An open socket closed on scope exit.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

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

Result<HttpAnswer> receive_response(int fd, Clock::time_point deadline,
                                    const HttpRequestOptions& options, const std::string& url) {
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
    auto parsed = parse_http_response(buffer, at_eof, options.response_bytes_max);
    if (!parsed.is_ok()) {
      if (at_eof && buffer.empty()) {
        return error(Code::kUnavailable, url + ": closed the connection without answering");
      }
      return parsed.status().with_context(url);
    }
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
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return bad_response("header line without ':'");
    std::string name = lower(trim(line.substr(0, colon)));
    std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-length") {
      auto length = parse_u64(value);
      if (!length.is_ok() || out.content_length) return bad_response("Content-Length");
      out.content_length = static_cast<size_t>(*length);
    } else if (name == "transfer-encoding" && lower(value) != "identity") {
      out.chunked = true;
    }
  }
  return out;
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
    auto port = parse_u64(port_text);
    if (!port.is_ok() || *port == 0 || *port > 65535) {
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
  return std::optional<HttpAnswer>(HttpAnswer{head.status, std::string(body)});
}

Result<HttpAnswer> http_post(const Endpoint& endpoint, std::string_view body,
                             const HttpRequestOptions& options) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
  SYNOD_ASSIGN_OR_RETURN(int fd, connect_endpoint(endpoint, deadline));
  Socket socket(fd);
  std::string host =
      endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]" : endpoint.host;
  std::string request = "POST " + endpoint.path + " HTTP/1.1\r\nHost: " + host + ":" +
                        std::to_string(endpoint.port) +
                        "\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
                        "Connection: close\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n";
  for (const auto& [name, value] : options.headers)
    request += name + ": " + value + "\r\n";
  request += "\r\n";
  request += body;
  SYNOD_TRY(send_all(socket.fd(), request, deadline, endpoint.url));
  return receive_response(socket.fd(), deadline, options, endpoint.url);
}

}  // namespace synod::wallet
