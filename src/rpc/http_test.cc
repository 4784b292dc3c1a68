#include "rpc/http.h"

#include <gtest/gtest.h>

namespace synod::rpc {
namespace {

TEST(HttpParser, ParsesRequestInPiecesAndKeepsPipelinedBytes) {
  HttpParser parser;
  std::string text =
      "POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /metrics "
      "HTTP/1.1\r\n\r\n";
  HttpParser::State state = HttpParser::State::kNeedMore;
  size_t i = 0;
  for (; i < text.size() && state == HttpParser::State::kNeedMore; ++i) {
    state = parser.feed(text.substr(i, 1));
  }
  ASSERT_EQ(state, HttpParser::State::kComplete);
  HttpRequest request = parser.take_request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path(), "/rpc");
  EXPECT_EQ(*request.header("host"), "x");
  EXPECT_EQ(request.body, "hello");
  EXPECT_TRUE(request.keep_alive());
  ASSERT_EQ(parser.feed(text.substr(i)), HttpParser::State::kComplete);
  EXPECT_EQ(parser.take_request().target, "/metrics");
}

TEST(HttpParser, RejectsOversizedAndMalformedInput) {
  struct Case {
    std::string text;
    int status;
  };
  HttpLimits limits;
  limits.body_bytes_max = 10;
  limits.header_bytes_max = 200;
  std::vector<Case> cases = {
      {"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 413},
      {"GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n", 431},
      {std::string(300, 'a'), 431},
      {"GET /\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\n\r\n", 505},
      {"GET / HTTP/1.1\r\nbad header\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411},
  };
  for (const Case& c : cases) {
    HttpParser parser(limits);
    ASSERT_EQ(parser.feed(c.text), HttpParser::State::kError) << c.text;
    EXPECT_EQ(parser.error().status, c.status) << c.text;
  }
}

TEST(HttpParser, ConnectionHeaderControlsKeepAlive) {
  HttpParser parser;
  ASSERT_EQ(parser.feed("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"),
            HttpParser::State::kComplete);
  EXPECT_FALSE(parser.take_request().keep_alive());
  ASSERT_EQ(parser.feed("GET / HTTP/1.0\r\n\r\n"), HttpParser::State::kComplete);
  EXPECT_FALSE(parser.take_request().keep_alive());
}

TEST(HttpResponse, WritesContentLength) {
  std::string text = write_response(HttpResponse{200, "text/plain", "ok", {}}, true);
  EXPECT_EQ(text,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
            "Connection: keep-alive\r\n\r\nok");
}

}  // namespace
}  // namespace synod::rpc
