// The client's server-sent-events reader: the format parser on its own, then the reader against the
// real HttpServer's event streams (order, bounds, timeouts, the end of a stream, 404).
#include <gtest/gtest.h>

#include <mutex>

#include "rpc/http_client.h"
#include "rpc/http_server.h"

namespace synod::rpc {
namespace {

std::vector<ServerSentEvent> take_all(EventStreamParser& parser) {
  std::vector<ServerSentEvent> out;
  while (auto event = parser.take())
    out.push_back(std::move(*event));
  return out;
}

TEST(EventStreamParser, FieldsLinesAndComments) {
  EventStreamParser parser;
  ASSERT_TRUE(parser.feed(": subscribed\n\nevent: new_block\ndata: {\"height\":1}\n\n").is_ok());
  auto events = take_all(parser);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], (ServerSentEvent{"new_block", "{\"height\":1}", ""}));
  // Split anywhere, CRLF and CR line ends, several data lines, an id, no space after the colon.
  std::string text = "id: 7\r\ndata:a\rdata: b\r\n\r\nevent:\ndata\n\n";
  for (char c : text)
    ASSERT_TRUE(parser.feed(std::string_view(&c, 1)).is_ok());
  events = take_all(parser);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], (ServerSentEvent{"message", "a\nb", "7"}));
  EXPECT_EQ(events[1], (ServerSentEvent{"message", "", ""}));
  // An event with no data is not dispatched; an unfinished one waits.
  ASSERT_TRUE(parser.feed("event: x\n\ndata: half").is_ok());
  EXPECT_TRUE(take_all(parser).empty());
  ASSERT_TRUE(parser.feed("\n\n").is_ok());
  EXPECT_EQ(take_all(parser).at(0).data, "half");
}

TEST(EventStreamParser, BoundsLinesAndEvents) {
  EventStreamParser lines(EventStreamLimits{16, 1024});
  EXPECT_TRUE(lines.feed("data: 0123456789\n").is_ok());
  Status long_line = lines.feed("data: 0123456789abc");
  EXPECT_EQ(long_line.code(), Code::kCorrupt);
  EXPECT_FALSE(lines.feed("\n\n").is_ok());  // stays failed
  EventStreamParser events(EventStreamLimits{64, 20});
  EXPECT_TRUE(events.feed("data: 0123456789\n").is_ok());
  EXPECT_EQ(events.feed("data: 0123456789\n").code(), Code::kCorrupt);
}

// A server whose GET /events/<name> streams are kept for the test to push into.
class EventServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerLimits limits;
    limits.stream_events_max = 8;
    server_ = std::make_unique<HttpServer>(limits, [this](const HttpRequest& request) {
      HttpReply reply;
      if (request.path().starts_with("/events/")) {
        std::lock_guard lock(mutex_);
        stream_ = std::make_shared<EventStream>(8);
        reply.stream = stream_;
        return reply;
      }
      reply.response = HttpResponse{404, "text/plain", "no such subscription\n", {}};
      return reply;
    });
    port_ = server_->start("127.0.0.1", 0).value();
  }
  void TearDown() override { server_->stop(); }

  std::shared_ptr<EventStream> stream() {
    std::lock_guard lock(mutex_);
    return stream_;
  }
  std::unique_ptr<EventStreamReader> open(EventStreamLimits limits = {}) {
    auto reader = EventStreamReader::open(loopback_endpoint(port_), "/events/a", {}, limits);
    EXPECT_TRUE(reader.is_ok()) << reader.status().to_string();
    return reader.is_ok() ? std::move(reader).value() : nullptr;
  }

  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::shared_ptr<EventStream> stream_;
};

TEST_F(EventServerTest, EventsArriveInOrderAndTheEndIsSeen) {
  auto reader = open();
  ASSERT_TRUE(reader);
  ASSERT_TRUE(stream());
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(stream()->push("event: tick\ndata: " + std::to_string(i) + "\n\n"));
  for (int i = 0; i < 5; ++i) {
    auto event = reader->next(5'000);
    ASSERT_TRUE(event.is_ok()) << event.status().to_string();
    ASSERT_TRUE(event->has_value());
    EXPECT_EQ((*event)->event, "tick");
    EXPECT_EQ((*event)->data, std::to_string(i));
  }
  // Nothing more: a bounded wait, and the stream is still usable afterwards.
  auto none = reader->next(100);
  ASSERT_FALSE(none.is_ok());
  EXPECT_EQ(none.status().code(), Code::kTimeout);
  ASSERT_TRUE(stream()->push("event: tick\ndata: last\n\n"));
  EXPECT_EQ(reader->next(5'000).value().value().data, "last");
  // The server closes the stream: the reader sees the end, then keeps saying so.
  stream()->close();
  auto end = reader->next(5'000);
  ASSERT_TRUE(end.is_ok()) << end.status().to_string();
  EXPECT_FALSE(end->has_value());
  EXPECT_FALSE(reader->next(10).value().has_value());
}

TEST_F(EventServerTest, OversizedEventFailsTheReader) {
  auto reader = open(EventStreamLimits{1024, 4096});
  ASSERT_TRUE(reader);
  ASSERT_TRUE(stream()->push("data: " + std::string(2000, 'x') + "\n"));
  ASSERT_TRUE(stream()->push("data: " + std::string(1000, 'y') + "\n"));
  auto failed = reader->next(5'000);
  ASSERT_FALSE(failed.is_ok());
  EXPECT_EQ(failed.status().code(), Code::kCorrupt);
  auto again = open(EventStreamLimits{1024, 1500});
  ASSERT_TRUE(again);
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(stream()->push("data: " + std::string(1000, 'z') + "\n"));
  failed = again->next(5'000);
  ASSERT_FALSE(failed.is_ok());
  EXPECT_EQ(failed.status().code(), Code::kCorrupt);
}

TEST_F(EventServerTest, ClosingTheReaderEndsTheServersStream) {
  auto reader = open();
  ASSERT_TRUE(reader);
  auto server_side = stream();
  reader->close();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_side->closed() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(server_side->closed());
}

TEST_F(EventServerTest, UnknownStreamIsNotFound) {
  auto missing = EventStreamReader::open(loopback_endpoint(port_), "/nothing");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("no such subscription"), std::string::npos);
}

}  // namespace
}  // namespace synod::rpc
