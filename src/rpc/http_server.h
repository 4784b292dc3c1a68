// An HTTP/1.1 server on standalone asio for the node's RPC, metrics, subscriptions and explorer.
// A few io threads owned by the server accept, read (rpc/http.h parser, bounded), call the
// handler, and write. Each connection runs on a strand of its own, so its steps never overlap,
// while a handler that waits (a submission waiting for mempool admission) holds up only its own
// connection, not the others. Keep-alive; a timeout on every read; a cap on open connections.
//
// Server-sent events: a handler may answer with a stream; the server then sends the SSE headers
// and every event pushed into the stream until either side closes. Streams buffer a bounded number
// of events; a subscriber that falls further behind is disconnected, never allowed to grow memory.
//
// Thread-safety: start/stop from the owner's thread. The handler runs on any of the io threads,
// concurrently for different connections, and must be thread-safe. EventStream::push is safe
// from any thread.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rpc/http.h"

namespace asio {
class io_context;
}

namespace synod::rpc {

struct HttpServerLimits {
  HttpLimits http;
  size_t connections_max = 256;
  uint64_t read_timeout_ms = 30'000;  // idle keep-alive connections close after this
  // A whole request (headers and body) must arrive within this, however it trickles in: a
  // client sending one byte now and then cannot hold a connection (answered 408, closed).
  uint64_t request_timeout_ms = 30'000;
  size_t stream_events_max = 1'024;  // queued events per SSE subscriber
  // Threads running handlers: this many requests (on different connections) are served at once.
  size_t io_threads = 4;
};

class EventStream {
 public:
  explicit EventStream(size_t events_max) : events_max_(events_max) {}
  // Queues one event ("event: name\ndata: ...\n\n" is formed by the caller). Returns false when the
  // stream is closed or over its bound (the stream then closes).
  bool push(std::string event);
  void close();
  bool closed() const;

  // Server side.
  void set_notify(std::function<void()> notify);
  std::deque<std::string> drain();

 private:
  mutable std::mutex mutex_;
  size_t events_max_;
  std::deque<std::string> events_;
  bool closed_ = false;
  std::function<void()> notify_;
};

struct HttpReply {
  HttpResponse response;
  std::shared_ptr<EventStream> stream;  // when set: an SSE stream, `response` is ignored
};

class HttpServer {
 public:
  using Handler = std::function<HttpReply(const HttpRequest&)>;

  HttpServer(HttpServerLimits limits, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the io threads. Port 0 picks a free port; returns the bound port.
  Result<uint16_t> start(const std::string& host, uint16_t port);
  void stop();
  size_t connections() const { return connections_.load(); }

 private:
  class Connection;
  void accept();

  HttpServerLimits limits_;
  Handler handler_;
  std::unique_ptr<asio::io_context> io_;
  struct Acceptor;
  std::unique_ptr<Acceptor> acceptor_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> connections_{0};
};

}  // namespace synod::rpc
