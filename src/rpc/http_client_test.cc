#include "rpc/http_client.h"

#include <gtest/gtest.h>

#include <atomic>

#include "rpc/http_server.h"

namespace synod::rpc {
namespace {

TEST(Endpoint, ParsesHostPortAndPath) {
  auto plain = parse_endpoint("http://127.0.0.1:26657");
  ASSERT_TRUE(plain.is_ok());
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 26657);
  EXPECT_EQ(plain->path, "/");
  auto with_path = parse_endpoint("http://localhost:8080/rpc");
  ASSERT_TRUE(with_path.is_ok());
  EXPECT_EQ(with_path->path, "/rpc");
  auto v6 = parse_endpoint("http://[::1]:9000");
  ASSERT_TRUE(v6.is_ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
  EXPECT_EQ(parse_endpoint("http://127.0.0.1")->port, 26657);
}

TEST(Endpoint, RefusesWhatItCannotServe) {
  EXPECT_FALSE(parse_endpoint("https://127.0.0.1:1").is_ok());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:26657").is_ok());
  EXPECT_FALSE(parse_endpoint("http://:80").is_ok());
  EXPECT_FALSE(parse_endpoint("http://127.0.0.1:0").is_ok());
  EXPECT_FALSE(parse_endpoint("http://127.0.0.1:65536").is_ok());
  EXPECT_FALSE(parse_endpoint("http://127.0.0.1:").is_ok());
  EXPECT_FALSE(parse_endpoint("http://[::1").is_ok());
}

TEST(HttpResponse, CompleteWithContentLength) {
  auto parsed = parse_http_response(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", false,
      1024);
  ASSERT_TRUE(parsed.is_ok());
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ((*parsed)->status, 200);
  EXPECT_EQ((*parsed)->body, "{}");
}

TEST(HttpResponse, WaitsForMoreAndFailsWhenCutShort) {
  std::string partial = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}";
  auto waiting = parse_http_response(partial, false, 1024);
  ASSERT_TRUE(waiting.is_ok());
  EXPECT_FALSE(waiting->has_value());
  auto cut = parse_http_response(partial, true, 1024);
  ASSERT_FALSE(cut.is_ok());
  EXPECT_EQ(cut.status().code(), Code::kCorrupt);
  EXPECT_FALSE(parse_http_response("HTTP/1.1 200", true, 1024).is_ok());
  auto head_only = parse_http_response("HTTP/1.1 20", false, 1024);
  ASSERT_TRUE(head_only.is_ok());
  EXPECT_FALSE(head_only->has_value());
}

TEST(HttpResponse, KeepsHeaders) {
  auto parsed = parse_http_response(
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: Close\r\nX-A: b \r\n\r\n", false, 1024);
  ASSERT_TRUE(parsed.is_ok());
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ((*parsed)->header("connection"), "Close");
  EXPECT_EQ((*parsed)->header("x-a"), "b");
  EXPECT_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nbad header\r\n\r\n", true, 1024).is_ok());
}

TEST(HttpResponse, BodyUntilCloseWithoutLength) {
  std::string text = "HTTP/1.0 503 Service Unavailable\r\n\r\nbusy";
  EXPECT_FALSE(parse_http_response(text, false, 1024)->has_value());
  auto parsed = parse_http_response(text, true, 1024);
  ASSERT_TRUE(parsed.is_ok());
  EXPECT_EQ((*parsed)->status, 503);
  EXPECT_EQ((*parsed)->body, "busy");
}

TEST(HttpResponse, RefusesMalformedAndOversized) {
  EXPECT_FALSE(parse_http_response("SMTP ready\r\n\r\n", true, 1024).is_ok());
  EXPECT_FALSE(parse_http_response("HTTP/1.1 abc\r\n\r\n", true, 1024).is_ok());
  EXPECT_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}",
                                   true, 1024)
                   .is_ok());
  EXPECT_FALSE(
      parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", false, 1024).is_ok());
  EXPECT_FALSE(
      parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false, 1024).is_ok());
  EXPECT_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1"
                                   "\r\n\r\n{",
                                   false, 1024)
                   .is_ok());
  EXPECT_FALSE(
      parse_http_response(std::string(kHttpResponseHeaderBytesMax + 1, 'a'), false, 1024).is_ok());
}

// A real HttpServer with a JSON-RPC dispatcher on an OS-chosen loopback port.
class ClientServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dispatcher_.add_method("echo", [](const Json& params) -> Result<Json> {
      SYNOD_ASSIGN_OR_RETURN(std::string text, string_param(params, "text", 0));
      return Json(text);
    });
    dispatcher_.add_method("missing", [](const Json&) -> Result<Json> {
      return error(Code::kNotFound, "no such block");
    });
    dispatcher_.add_method(
        "change", [](const Json&) -> Result<Json> { return Json(true); }, true);
    dispatcher_.set_token("secret");
    HttpServerLimits limits;
    limits.read_timeout_ms = read_timeout_ms_;
    server_ = std::make_unique<HttpServer>(limits, [this](const HttpRequest& request) {
      accepted_requests_.fetch_add(1);
      HttpReply reply;
      if (request.method == "GET" && request.path() == "/metrics") {
        reply.response = HttpResponse{200, "text/plain", "synod_height 7\n", {}};
      } else if (request.method == "GET" && request.path() == "/close") {
        reply.response = HttpResponse{200, "text/plain", "bye", {{"X-Test", "1"}}};
      } else {
        bool authorised = dispatcher_.check_token(request.header("authorization"));
        reply.response.body = dispatcher_.handle(request.body, authorised).value_or("");
      }
      return reply;
    });
    auto port = server_->start("127.0.0.1", 0);
    ASSERT_TRUE(port.is_ok());
    port_ = *port;
  }
  void TearDown() override { server_->stop(); }

  uint64_t read_timeout_ms_ = 30'000;
  JsonRpcDispatcher dispatcher_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  std::atomic<int> accepted_requests_{0};
};

TEST_F(ClientServerTest, OneShotPostAndGet) {
  auto answer = http_post(loopback_endpoint(port_),
                          R"({"jsonrpc":"2.0","id":1,"method":"echo","params":["hi"]})");
  ASSERT_TRUE(answer.is_ok()) << answer.status().to_string();
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(Json::parse(answer->body)["result"], "hi");
  EXPECT_EQ(answer->header("connection"), "close");
  auto metrics = http_get(loopback_endpoint(port_), "/metrics");
  ASSERT_TRUE(metrics.is_ok());
  EXPECT_EQ(metrics->body, "synod_height 7\n");
  EXPECT_EQ(metrics->header("content-type"), "text/plain");
}

TEST_F(ClientServerTest, KeepAliveReusesOneConnection) {
  JsonRpcClient client(loopback_endpoint(port_));
  for (int i = 0; i < 20; ++i) {
    auto reply = client.call("echo", Json{{"text", std::to_string(i)}});
    ASSERT_TRUE(reply.is_ok()) << reply.status().to_string();
    ASSERT_TRUE(reply->ok());
    EXPECT_EQ(*reply->result, std::to_string(i));
  }
  auto metrics = client.connection().get("/metrics");
  ASSERT_TRUE(metrics.is_ok());
  EXPECT_EQ(metrics->body, "synod_height 7\n");
  EXPECT_EQ(client.connection().connections_opened(), 1u);
  EXPECT_EQ(server_->connections(), 1u);
}

TEST_F(ClientServerTest, ErrorsAreRepliesNotFailures) {
  JsonRpcClient client(loopback_endpoint(port_));
  auto missing = client.call("missing");
  ASSERT_TRUE(missing.is_ok());
  EXPECT_FALSE(missing->ok());
  EXPECT_EQ(missing->error_code(), kServerError);
  EXPECT_EQ(missing->error_reason(), "not_found");
  auto as_result = client.result("missing");
  ASSERT_FALSE(as_result.is_ok());
  EXPECT_NE(as_result.status().message().find("not_found"), std::string::npos);
  EXPECT_EQ(client.call("no_such_method")->error_code(), kMethodNotFound);
  // The token: refused without, accepted with.
  EXPECT_EQ(client.call("change")->error_code(), kUnauthorised);
  JsonRpcClient with_token(loopback_endpoint(port_), JsonRpcClientOptions{{}, "secret"});
  EXPECT_EQ(with_token.result("change").value(), Json(true));
}

TEST_F(ClientServerTest, BatchRepliesInCallOrder) {
  JsonRpcClient client(loopback_endpoint(port_));
  std::vector<JsonRpcCall> calls;
  for (int i = 0; i < 10; ++i)
    calls.push_back({"echo", Json{{"text", "n" + std::to_string(i)}}});
  calls.push_back({"missing", nullptr});
  auto replies = client.batch(calls);
  ASSERT_TRUE(replies.is_ok()) << replies.status().to_string();
  ASSERT_EQ(replies->size(), calls.size());
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(*(*replies)[i].result, "n" + std::to_string(i));
  EXPECT_EQ(replies->back().error_reason(), "not_found");
  // Over the server's batch limit: one error, given to every call.
  std::vector<JsonRpcCall> too_many(257, JsonRpcCall{"echo", Json{{"text", "x"}}});
  auto refused = client.batch(too_many);
  ASSERT_TRUE(refused.is_ok()) << refused.status().to_string();
  EXPECT_EQ(refused->front().error_code(), kInvalidRequest);
  EXPECT_FALSE(client.batch({}).is_ok());
  EXPECT_EQ(accepted_requests_.load(), 2);
}

TEST_F(ClientServerTest, ReconnectsWhenTheServerClosedAnIdleConnection) {
  server_->stop();
  read_timeout_ms_ = 200;
  SetUp();
  JsonRpcClient client(loopback_endpoint(port_));
  ASSERT_TRUE(client.result("echo", Json{{"text", "a"}}).is_ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the server closes it
  auto again = client.result("echo", Json{{"text", "b"}});
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ(*again, "b");
  EXPECT_EQ(client.connection().connections_opened(), 2u);
}

TEST(HttpClient, UnreachableAndSilentServersFailInTime) {
  // A port nobody listens on: kUnavailable.
  uint16_t port = 0;
  {
    HttpServer probe({}, [](const HttpRequest&) { return HttpReply{}; });
    port = probe.start("127.0.0.1", 0).value();
  }  // destroyed: nothing listens on `port` any more
  auto refused = http_get(loopback_endpoint(port), "/");
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable);
  // A server that never answers: kTimeout after the deadline.
  std::atomic<bool> release{false};
  HttpServer silent({}, [&](const HttpRequest&) {
    while (!release.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return HttpReply{};
  });
  uint16_t silent_port = silent.start("127.0.0.1", 0).value();
  HttpRequestOptions options;
  options.timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();
  auto timed_out = http_get(loopback_endpoint(silent_port), "/", options);
  auto took = std::chrono::steady_clock::now() - start;
  release.store(true);
  ASSERT_FALSE(timed_out.is_ok());
  EXPECT_EQ(timed_out.status().code(), Code::kTimeout);
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(JsonRpcReplyParse, RefusesWhatIsNotJsonRpc) {
  EXPECT_FALSE(parse_json_rpc_reply(Json::parse(R"({"id":1,"result":1})")).is_ok());
  EXPECT_FALSE(parse_json_rpc_reply(Json::parse(R"({"jsonrpc":"2.0","id":1})")).is_ok());
  EXPECT_FALSE(
      parse_json_rpc_reply(Json::parse(R"({"jsonrpc":"2.0","id":1,"result":1,"error":{}})"))
          .is_ok());
  EXPECT_FALSE(parse_json_rpc_reply(Json::parse(R"({"jsonrpc":"2.0","id":1,"error":{"code":"x"}})"))
                   .is_ok());
  auto ok = parse_json_rpc_reply(Json::parse(R"({"jsonrpc":"2.0","id":1,"result":[1]})"));
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(*ok->result, Json::array({1}));
}

}  // namespace
}  // namespace synod::rpc
