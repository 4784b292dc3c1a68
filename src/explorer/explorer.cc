#include "explorer/explorer.h"

#include <string>

namespace synod::explorer {
namespace {

constexpr std::string_view kIndexPath = "/explorer/index.html";
constexpr std::string_view kPrefix = "/explorer";
// The page talks only to the node that served it: its RPC, its event streams and its own files.
constexpr std::string_view kPagePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

rpc::HttpResponse text(int status, std::string body) {
  rpc::HttpResponse response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(body);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

// Whether an If-None-Match header names `etag` (a list of tags, or "*").
bool etag_matches(std::string_view header, std::string_view etag) {
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view tag = header.substr(start, end - start);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t'))
      tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t'))
      tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

const Asset* find_asset(std::string_view path) {
  for (const Asset& asset : assets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

bool owns(const rpc::HttpRequest& request) {
  const std::string_view path = request.path();
  if (path == "/") return request.method == "GET";
  return path == kPrefix || path.starts_with("/explorer/");
}

rpc::HttpResponse serve(const rpc::HttpRequest& request) {
  const std::string_view path = request.path();
  if (request.method != "GET") {
    rpc::HttpResponse response = text(405, "Method Not Allowed\n");
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  if (path == kPrefix || path == "/explorer/") {
    rpc::HttpResponse response = text(302, "the explorer is at /\n");
    response.headers.emplace_back("Location", "/");
    return response;
  }
  const Asset* asset = find_asset(path == "/" ? kIndexPath : path);
  if (asset == nullptr) return text(404, "Not Found\n");

  rpc::HttpResponse response;
  response.content_type = std::string(asset->content_type);
  response.headers.emplace_back("ETag", std::string(asset->etag));
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (asset->path == kIndexPath) {
    response.headers.emplace_back("Content-Security-Policy", std::string(kPagePolicy));
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  if (auto if_none_match = request.header("if-none-match");
      if_none_match && etag_matches(*if_none_match, asset->etag)) {
    response.status = 304;
    return response;
  }
  response.body = std::string(asset->body);
  return response;
}

}  // namespace synod::explorer
