#include "explorer/explorer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crypto/hash.h"

namespace synod::explorer {
namespace {

rpc::HttpRequest get(std::string target) {
  rpc::HttpRequest request;
  request.method = "GET";
  request.target = std::move(target);
  request.version = "HTTP/1.1";
  return request;
}

std::string header(const rpc::HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(Explorer, ServesThePageAtRootWithItsPolicy) {
  const rpc::HttpRequest request = get("/?x=1");
  ASSERT_TRUE(owns(request));
  const rpc::HttpResponse response = serve(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_NE(response.body.find("<title>"), std::string::npos);
  EXPECT_NE(header(response, "Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);
  EXPECT_EQ(header(response, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(response, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(response.body, read_file(SYNOD_SOURCE_DIR "/web/explorer/index.html"));
}

TEST(Explorer, ServesScriptsStylesAndTheChartLibraryWithTheirTypes) {
  const rpc::HttpResponse script = serve(get("/explorer/app.js"));
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(script.body, read_file(SYNOD_SOURCE_DIR "/web/explorer/app.js"));
  EXPECT_TRUE(header(script, "Content-Security-Policy").empty());

  const rpc::HttpResponse style = serve(get("/explorer/style.css"));
  EXPECT_EQ(style.status, 200);
  EXPECT_EQ(style.content_type, "text/css; charset=utf-8");

  const rpc::HttpResponse chart = serve(get("/explorer/vendor/uPlot.iife.min.js"));
  EXPECT_EQ(chart.status, 200);
  EXPECT_EQ(chart.body, read_file(SYNOD_SOURCE_DIR "/web/vendor/uplot/uPlot.iife.min.js"));
  EXPECT_EQ(serve(get("/explorer/vendor/uPlot.min.css")).content_type, "text/css; charset=utf-8");
  const rpc::HttpResponse licence = serve(get("/explorer/vendor/uplot-LICENSE.txt"));
  EXPECT_EQ(licence.status, 200);
  EXPECT_NE(licence.body.find("MIT"), std::string::npos);
}

TEST(Explorer, EveryEtagIsTheHashOfItsBody) {
  ASSERT_GE(assets().size(), 5u);
  for (const Asset& asset : assets()) {
    const std::string digest = crypto::sha256(as_bytes(asset.body)).hex();
    EXPECT_EQ(asset.etag, "\"" + digest.substr(0, 16) + "\"") << asset.path;
    EXPECT_TRUE(asset.path.starts_with("/explorer/")) << asset.path;
    EXPECT_FALSE(asset.body.empty()) << asset.path;
  }
}

TEST(Explorer, AnswersNotModifiedWhenTheEtagMatches) {
  const rpc::HttpResponse first = serve(get("/explorer/app.js"));
  const std::string etag = header(first, "ETag");
  ASSERT_FALSE(etag.empty());
  rpc::HttpRequest again = get("/explorer/app.js");
  again.headers.emplace_back("if-none-match", "\"other\", " + etag);
  const rpc::HttpResponse cached = serve(again);
  EXPECT_EQ(cached.status, 304);
  EXPECT_TRUE(cached.body.empty());
  EXPECT_EQ(header(cached, "ETag"), etag);

  rpc::HttpRequest stale = get("/explorer/app.js");
  stale.headers.emplace_back("if-none-match", "\"0000000000000000\"");
  EXPECT_EQ(serve(stale).status, 200);
}

TEST(Explorer, UnknownNamesAndTraversalAreNotFound) {
  for (const char* target :
       {"/explorer/nope.js", "/explorer/../CMakeLists.txt", "/explorer/%2e%2e/CMakeLists.txt",
        "/explorer//app.js", "/explorer/./app.js", "/explorer/vendor/../app.js", "/explorer/APP.JS",
        "/explorer/app.js/", "/explorer/vendor/LICENSE", "/explorer/README.md", "/explorer/\x01"}) {
    const rpc::HttpRequest request = get(target);
    ASSERT_TRUE(owns(request)) << target;
    const rpc::HttpResponse response = serve(request);
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(response.body, "Not Found\n");
  }
}

TEST(Explorer, OwnsOnlyItsPathsAndOnlyGet) {
  rpc::HttpRequest rpc_call = get("/");
  rpc_call.method = "POST";
  EXPECT_FALSE(owns(rpc_call));
  EXPECT_FALSE(owns(get("/metrics")));
  EXPECT_FALSE(owns(get("/events/abc")));
  EXPECT_FALSE(owns(get("/explorerx")));

  rpc::HttpRequest post = get("/explorer/app.js");
  post.method = "POST";
  ASSERT_TRUE(owns(post));
  const rpc::HttpResponse refused = serve(post);
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(header(refused, "Allow"), "GET");

  for (const char* target : {"/explorer", "/explorer/"}) {
    const rpc::HttpResponse moved = serve(get(target));
    EXPECT_EQ(moved.status, 302);
    EXPECT_EQ(header(moved, "Location"), "/");
  }
}

}  // namespace
}  // namespace synod::explorer
