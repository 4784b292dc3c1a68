#include "rpc/json_rpc.h"

#include <gtest/gtest.h>

namespace synod::rpc {
namespace {

JsonRpcDispatcher make_dispatcher() {
  JsonRpcDispatcher dispatcher;
  dispatcher.add_method("echo", [](const Json& params) -> Result<Json> {
    SYNOD_ASSIGN_OR_RETURN(std::string text, string_param(params, "text", 0));
    return Json(text);
  });
  dispatcher.add_method("add", [](const Json& params) -> Result<Json> {
    return Json(params.at("a").get<int>() + params.at("b").get<int>());
  });
  dispatcher.add_method("missing", [](const Json&) -> Result<Json> {
    return error(Code::kNotFound, "no such block");
  });
  dispatcher.add_method(
      "change", [](const Json&) -> Result<Json> { return Json(true); }, true);
  dispatcher.set_token("secret");
  return dispatcher;
}

Json call(const JsonRpcDispatcher& dispatcher, const std::string& body, bool authorised = false) {
  auto response = dispatcher.handle(body, authorised);
  EXPECT_TRUE(response.has_value()) << body;
  return response ? Json::parse(*response) : Json();
}

TEST(JsonRpc, CallsAndErrors) {
  auto dispatcher = make_dispatcher();
  EXPECT_EQ(
      call(dispatcher, R"({"jsonrpc":"2.0","id":1,"method":"echo","params":["hi"]})")["result"],
      "hi");
  EXPECT_EQ(call(dispatcher,
                 R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"text":"x"}})")["result"],
            "x");
  EXPECT_EQ(call(dispatcher, "{not json")["error"]["code"], kParseError);
  EXPECT_EQ(call(dispatcher, R"({"jsonrpc":"2.0","id":1,"method":"nope"})")["error"]["code"],
            kMethodNotFound);
  EXPECT_EQ(call(dispatcher, R"({"id":1,"method":"echo"})")["error"]["code"], kInvalidRequest);
  EXPECT_EQ(
      call(dispatcher, R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[5]})")["error"]["code"],
      kInvalidParams);
  // A handler reading the wrong JSON type answers invalid params rather than crashing.
  EXPECT_EQ(
      call(dispatcher,
           R"({"jsonrpc":"2.0","id":1,"method":"add","params":{"a":"x","b":1}})")["error"]["code"],
      kInvalidParams);
  Json missing = call(dispatcher, R"({"jsonrpc":"2.0","id":"m","method":"missing"})");
  EXPECT_EQ(missing["error"]["code"], kServerError);
  EXPECT_EQ(missing["error"]["data"]["reason"], "not_found");
  EXPECT_EQ(missing["id"], "m");
}

TEST(JsonRpc, BatchesAndNotifications) {
  auto dispatcher = make_dispatcher();
  Json batch = call(dispatcher, R"([{"jsonrpc":"2.0","id":1,"method":"echo","params":["a"]},
                                    {"jsonrpc":"2.0","method":"echo","params":["b"]},
                                    {"jsonrpc":"2.0","id":3,"method":"nope"}])");
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0]["result"], "a");
  EXPECT_EQ(batch[1]["error"]["code"], kMethodNotFound);
  EXPECT_FALSE(dispatcher.handle(R"({"jsonrpc":"2.0","method":"echo","params":["b"]})", false));
  EXPECT_EQ(call(dispatcher, "[]")["error"]["code"], kInvalidRequest);
  std::string big = "[";
  for (int i = 0; i < 300; ++i)
    big += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","id":1,"method":"echo","params":["a"]})";
  EXPECT_EQ(call(dispatcher, big + "]")["error"]["code"], kInvalidRequest);
}

TEST(JsonRpc, DeepNestingIsRefusedBeforeParsing) {
  auto dispatcher = make_dispatcher();
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(call(dispatcher, deep)["error"]["code"], kParseError);
}

TEST(JsonRpc, TokenGuardsChangingMethods) {
  auto dispatcher = make_dispatcher();
  std::string body = R"({"jsonrpc":"2.0","id":1,"method":"change"})";
  EXPECT_EQ(call(dispatcher, body, false)["error"]["code"], kUnauthorised);
  EXPECT_EQ(call(dispatcher, body, true)["result"], true);
  EXPECT_TRUE(dispatcher.check_token("Bearer secret"));
  EXPECT_FALSE(dispatcher.check_token("Bearer secreT"));
  EXPECT_FALSE(dispatcher.check_token("secret"));
  EXPECT_FALSE(dispatcher.check_token(std::nullopt));
}

}  // namespace
}  // namespace synod::rpc
