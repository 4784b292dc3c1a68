// The explorer's static files (web/explorer/ and the vendored uPlot build in web/vendor/uplot/),
// embedded into the binary at build time by cmake/embed_web.cmake, and the HTTP routes that serve
// them next to the JSON-RPC service: GET / is the page, GET /explorer/<name> its files. Only the
// embedded table is ever read, so no request path can reach the file system.
//
// Responses carry the file's content type, `X-Content-Type-Options: nosniff`, `Cache-Control:
// no-cache` with a strong ETag (a browser revalidates and gets 304 when nothing changed, so a new
// binary is seen at once), and the page a Content-Security-Policy that allows only this origin.
//
// Pure functions over constant data; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "rpc/http.h"

namespace synod::explorer {

struct Asset {
  std::string_view path;  // "/explorer/app.js"
  std::string_view content_type;
  std::string_view body;
  std::string_view etag;  // quoted, as sent: "\"0123456789abcdef\""
};

// Every embedded file (generated source).
std::span<const Asset> assets();
// The asset at exactly `path`, or nullptr.
const Asset* find_asset(std::string_view path);

// True for the paths the explorer owns: GET / and anything under /explorer.
bool owns(const rpc::HttpRequest& request);
// The answer to a request that owns() accepted: the file, 304 when If-None-Match matches, 302
// from /explorer and /explorer/ to the page, 404 for a name that is not embedded, 405 for a method
// other than GET.
rpc::HttpResponse serve(const rpc::HttpRequest& request);

}  // namespace synod::explorer
