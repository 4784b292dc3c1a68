#include "rpc/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace synod::rpc {
namespace {

// A blocking loopback client with a receive timeout, so a broken server fails the test, not hangs.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& text) {
    ASSERT_EQ(::write(fd_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void send_ignoring_errors(const std::string& text) {
    [[maybe_unused]] ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
  }
  // Reads until `needle` appears or the peer closes; returns everything read.
  std::string read_until(const std::string& needle) {
    std::string out;
    char buffer[4096];
    while (out.find(needle) == std::string::npos) {
      ssize_t n = ::read(fd_, buffer, sizeof(buffer));
      if (n <= 0) break;
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::shared_ptr<EventStream> g_stream;

HttpReply handle(const HttpRequest& request) {
  if (request.path() == "/events") {
    g_stream = std::make_shared<EventStream>(4);
    return HttpReply{{}, g_stream};
  }
  return HttpReply{HttpResponse{200, "text/plain", request.method + " " + request.body, {}},
                   nullptr};
}

TEST(HttpServer, KeepAliveServesSeveralRequests) {
  HttpServer server({}, handle);
  auto port = server.start("127.0.0.1", 0);
  ASSERT_TRUE(port.is_ok()) << port.status().to_string();
  Client client(*port);
  ASSERT_TRUE(client.connected());
  client.send("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\none");
  EXPECT_NE(client.read_until("POST one").find("POST one"), std::string::npos);
  client.send("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\ntwo");
  EXPECT_NE(client.read_until("POST two").find("POST two"), std::string::npos);
}

// A handler that waits (as a submission waits for mempool admission) holds up its own connection
// only: another connection is answered meanwhile, and one connection's requests stay in order.
TEST(HttpServer, WaitingHandlerDoesNotHoldUpOtherConnections) {
  std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  std::atomic<int> waiting{0};
  HttpServerLimits limits;
  limits.io_threads = 2;
  HttpServer server(limits, [&](const HttpRequest& request) {
    if (request.body == "wait") {
      waiting++;
      std::unique_lock lock(mutex);
      released_cv.wait_for(lock, std::chrono::seconds(20), [&] { return released; });
    }
    return HttpReply{HttpResponse{200, "text/plain", "done " + request.body, {}}, nullptr};
  });
  auto port = server.start("127.0.0.1", 0);
  ASSERT_TRUE(port.is_ok()) << port.status().to_string();
  Client slow(*port);
  Client fast(*port);
  ASSERT_TRUE(slow.connected() && fast.connected());
  slow.send(
      "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nwait"
      "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nafter");
  for (int i = 0; i < 500 && waiting.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(waiting.load(), 1);
  fast.send("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nquick");
  EXPECT_NE(fast.read_until("done quick").find("done quick"), std::string::npos);
  {
    std::lock_guard lock(mutex);
    released = true;
  }
  released_cv.notify_all();
  const std::string answers = slow.read_until("done after");
  const size_t first = answers.find("done wait");
  ASSERT_NE(first, std::string::npos) << answers;
  EXPECT_NE(answers.find("done after", first), std::string::npos) << answers;
}

TEST(HttpServer, StopClosesTheListeningPort) {
  HttpServer server({}, handle);
  auto port = server.start("127.0.0.1", 0);
  ASSERT_TRUE(port.is_ok()) << port.status().to_string();
  ASSERT_TRUE(Client(*port).connected());
  server.stop();
  // The object still exists, but the port no longer accepts: the connection is refused.
  EXPECT_FALSE(Client(*port).connected());
  server.stop();  // a second stop is harmless
}

TEST(HttpServer, TricklingRequestGets408AtItsDeadline) {
  HttpServerLimits limits;
  limits.read_timeout_ms = 5'000;   // each byte arrives well within this
  limits.request_timeout_ms = 300;  // but the whole request does not
  HttpServer server(limits, handle);
  auto port = server.start("127.0.0.1", 0);
  ASSERT_TRUE(port.is_ok()) << port.status().to_string();
  Client client(*port);
  ASSERT_TRUE(client.connected());
  client.send("POST / HTTP/1.1\r\n");
  std::atomic<bool> stop{false};
  std::thread dripper([&] {
    for (int i = 0; i < 40 && !stop.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      client.send_ignoring_errors("X");
    }
  });
  std::string answer = client.read_until("\r\n\r\n");
  stop = true;
  dripper.join();
  EXPECT_NE(answer.find("408"), std::string::npos) << answer;

  // Other clients are served as before.
  Client other(*port);
  other.send("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_NE(other.read_until("POST ok").find("POST ok"), std::string::npos);
}

TEST(HttpServer, OversizedBodyGets413AndServerKeepsServing) {
  HttpServerLimits limits;
  limits.http.body_bytes_max = 16;
  HttpServer server(limits, handle);
  auto port = server.start("127.0.0.1", 0);
  ASSERT_TRUE(port.is_ok());
  {
    Client client(*port);
    client.send("POST / HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n");
    EXPECT_NE(client.read_until("\r\n\r\n").find("413"), std::string::npos);
  }
  {
    Client client(*port);
    client.send(std::string(64, '\x01') + "\r\n\r\n");
    EXPECT_NE(client.read_until("\r\n\r\n").find("400"), std::string::npos);
  }
  Client client(*port);
  client.send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_NE(client.read_until("GET ").find("200 OK"), std::string::npos);
}

TEST(HttpServer, EventStreamDeliversAndBoundsBacklog) {
  HttpServer server({}, handle);
  auto port = server.start("127.0.0.1", 0);
  ASSERT_TRUE(port.is_ok());
  Client client(*port);
  client.send("GET /events HTTP/1.1\r\n\r\n");
  EXPECT_NE(client.read_until(": subscribed").find("text/event-stream"), std::string::npos);
  ASSERT_TRUE(g_stream);
  EXPECT_TRUE(g_stream->push("data: 1\n\n"));
  EXPECT_NE(client.read_until("data: 1").find("data: 1"), std::string::npos);
  // A subscriber that stops reading cannot grow memory: past the bound the stream closes.
  std::shared_ptr<EventStream> lonely = std::make_shared<EventStream>(2);
  EXPECT_TRUE(lonely->push("a"));
  EXPECT_TRUE(lonely->push("b"));
  EXPECT_FALSE(lonely->push("c"));
  EXPECT_TRUE(lonely->closed());
  g_stream.reset();
}

TEST(HttpServer, ConnectionLimitAnswers503) {
  HttpServerLimits limits;
  limits.connections_max = 1;
  HttpServer server(limits, handle);
  auto port = server.start("127.0.0.1", 0);
  ASSERT_TRUE(port.is_ok());
  Client first(*port);
  first.send("GET / HTTP/1.1\r\n\r\n");
  first.read_until("GET ");
  Client second(*port);
  EXPECT_NE(second.read_until("\r\n\r\n").find("503"), std::string::npos);
}

}  // namespace
}  // namespace synod::rpc
