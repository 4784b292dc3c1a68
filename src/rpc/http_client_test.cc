#include "rpc/http_client.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace synod::rpc
