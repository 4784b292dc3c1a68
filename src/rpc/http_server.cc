#include "rpc/http_server.h"

#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <optional>

namespace synod::rpc {

bool EventStream::push(std::string event) {
  std::function<void()> notify;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    if (events_.size() >= events_max_) {
      closed_ = true;
      events_.clear();
    } else {
      events_.push_back(std::move(event));
    }
    notify = notify_;
  }
  if (notify) notify();
  std::lock_guard lock(mutex_);
  return !closed_;
}

void EventStream::close() {
  std::function<void()> notify;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    notify = notify_;
  }
  if (notify) notify();
}

bool EventStream::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void EventStream::set_notify(std::function<void()> notify) {
  std::lock_guard lock(mutex_);
  notify_ = std::move(notify);
}

std::deque<std::string> EventStream::drain() {
  std::lock_guard lock(mutex_);
  return std::exchange(events_, {});
}

struct HttpServer::Acceptor {
  explicit Acceptor(asio::io_context& io) : acceptor(io) {}
  asio::ip::tcp::acceptor acceptor;
};

class HttpServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpServer& server, asio::ip::tcp::socket socket)
      : server_(server),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        parser_(server.limits_.http) {
    server_.connections_.fetch_add(1);
  }
  ~Connection() { server_.connections_.fetch_sub(1); }

  void start() { read(); }

 private:
  // Idle between requests: read_timeout_ms. Inside a request: whatever is left of its
  // request_timeout_ms, after which the client gets 408 and the connection closes.
  void arm_timer() {
    using Clock = std::chrono::steady_clock;
    auto wait = std::chrono::milliseconds(server_.limits_.read_timeout_ms);
    bool request_deadline = false;
    if (request_deadline_) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*request_deadline_ - Clock::now());
      if (left < wait) {
        wait = std::max(left, std::chrono::milliseconds(0));
        request_deadline = true;
      }
    }
    timer_.expires_after(wait);
    timer_.async_wait([self = shared_from_this(), request_deadline](const asio::error_code& error) {
      if (error) return;
      if (!request_deadline) return self->close();
      asio::error_code ignored;
      self->socket_.cancel(ignored);  // the pending read ends; its handler sees timed_out_
      self->timed_out_ = true;
    });
  }

  void read() {
    arm_timer();
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](
                                                       const asio::error_code& error, size_t n) {
      self->timer_.cancel();
      if (self->timed_out_) {
        HttpResponse response{408, "text/plain", "request not received in time\n", {}};
        return self->write(write_response(response, false), false);
      }
      if (error) return self->close();
      self->on_bytes(std::string_view(self->buffer_.data(), n));
    });
  }

  void on_bytes(std::string_view bytes) {
    HttpParser::State state = parser_.feed(bytes);
    if (state == HttpParser::State::kNeedMore) {
      if (!request_deadline_ && parser_.buffered() > 0) {
        request_deadline_ = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(server_.limits_.request_timeout_ms);
      }
      return read();
    }
    request_deadline_.reset();
    if (state == HttpParser::State::kError) {
      HttpResponse response;
      response.status = parser_.error().status;
      response.content_type = "text/plain";
      response.body = parser_.error().reason + "\n";
      return write(write_response(response, false), false);
    }
    HttpRequest request = parser_.take_request();
    bool keep_alive = request.keep_alive();
    HttpReply reply;
    try {
      reply = server_.handler_(request);
    } catch (const std::exception& e) {
      reply.response =
          HttpResponse{500, "text/plain", std::string("internal error: ") + e.what(), {}};
    }
    if (reply.stream) return start_stream(std::move(reply.stream));
    write(write_response(reply.response, keep_alive), keep_alive);
  }

  void write(std::string bytes, bool keep_alive) {
    auto data = std::make_shared<std::string>(std::move(bytes));
    asio::async_write(
        socket_, asio::buffer(*data),
        [self = shared_from_this(), data, keep_alive](const asio::error_code& error, size_t) {
          if (error || !keep_alive) return self->close();
          // A pipelined request may already be buffered.
          if (self->parser_.buffered() > 0) return self->on_bytes({});
          self->read();
        });
  }

  void start_stream(std::shared_ptr<EventStream> stream) {
    stream_ = std::move(stream);
    std::weak_ptr<Connection> weak = shared_from_this();
    auto executor = socket_.get_executor();
    stream_->set_notify([weak, executor] {
      asio::post(executor, [weak] {
        if (auto self = weak.lock()) self->flush_stream();
      });
    });
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Connection: keep-alive\r\nAccess-Control-Allow-Origin: *\r\n\r\n: subscribed\n\n";
    pending_.push_back(std::move(head));
    flush_stream();
    // Watch for the client closing: any read completion ends the stream.
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](const asio::error_code&, size_t) {
                              self->stream_->close();
                              self->close();
                            });
  }

  void flush_stream() {
    if (!stream_ || writing_) return;
    for (std::string& event : stream_->drain())
      pending_.push_back(std::move(event));
    if (pending_.empty()) {
      if (stream_->closed()) close();
      return;
    }
    writing_ = true;
    auto data = std::make_shared<std::string>();
    while (!pending_.empty()) {
      *data += pending_.front();
      pending_.pop_front();
    }
    asio::async_write(socket_, asio::buffer(*data),
                      [self = shared_from_this(), data](const asio::error_code& error, size_t) {
                        self->writing_ = false;
                        if (error) {
                          self->stream_->close();
                          return self->close();
                        }
                        self->flush_stream();
                      });
  }

  void close() {
    asio::error_code ignored;
    timer_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    if (stream_) stream_->set_notify({});
  }

  HttpServer& server_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  // Set when the first bytes of a request arrive, cleared when it is complete.
  std::optional<std::chrono::steady_clock::time_point> request_deadline_;
  bool timed_out_ = false;
  HttpParser parser_;
  std::array<char, 16 * 1024> buffer_;
  std::shared_ptr<EventStream> stream_;
  std::deque<std::string> pending_;
  bool writing_ = false;
};

HttpServer::HttpServer(HttpServerLimits limits, Handler handler)
    : limits_(limits), handler_(std::move(handler)), io_(std::make_unique<asio::io_context>()) {}

HttpServer::~HttpServer() {
  stop();
  acceptor_.reset();
  io_.reset();  // destroys pending handlers while the counters they touch still exist
}

Result<uint16_t> HttpServer::start(const std::string& host, uint16_t port) {
  asio::error_code error;
  auto address = asio::ip::make_address(host, error);
  if (error) return synod::error(Code::kInvalidArgument, "bad RPC listen address '" + host + "'");
  acceptor_ = std::make_unique<Acceptor>(*io_);
  asio::ip::tcp::endpoint endpoint(address, port);
  acceptor_->acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor_->acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor_->acceptor.bind(endpoint, error);
  if (!error) acceptor_->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return synod::error(Code::kIoError, "cannot listen on " + host + ":" + std::to_string(port) +
                                            ": " + error.message());
  }
  uint16_t bound = acceptor_->acceptor.local_endpoint().port();
  accept();
  const size_t threads = std::max<size_t>(1, limits_.io_threads);
  for (size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this] { io_->run(); });
  return bound;
}

void HttpServer::accept() {
  // Each accepted socket gets a strand of its own: its handlers never run concurrently.
  acceptor_->acceptor.async_accept(
      asio::make_strand(*io_), [this](const asio::error_code& error, asio::ip::tcp::socket socket) {
        if (error == asio::error::operation_aborted) return;
        if (!error) {
          if (connections_.load() >= limits_.connections_max) {
            HttpResponse busy{503, "text/plain", "too many connections\n", {}};
            std::string bytes = write_response(busy, false);
            asio::error_code ignored;
            asio::write(socket, asio::buffer(bytes), ignored);
            socket.close(ignored);
          } else {
            std::make_shared<Connection>(*this, std::move(socket))->start();
          }
        }
        accept();
      });
}

void HttpServer::stop() {
  if (threads_.empty()) return;
  io_->stop();
  for (std::thread& thread : threads_)
    thread.join();
  threads_.clear();
  // The io threads are gone, so the acceptor is ours to close: the port stops accepting now, not
  // when the server is destroyed (a handler posted before io_->stop() might never have run).
  asio::error_code ignored;
  acceptor_->acceptor.close(ignored);
}

}  // namespace synod::rpc
