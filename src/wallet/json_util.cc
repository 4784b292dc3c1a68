#include "wallet/json_util.h"

#include <charconv>

namespace synod::wallet {
namespace {

// nlohmann's parser recurses, so refuse deep nesting before parsing.
bool nesting_over(std::string_view text, size_t depth_max) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > depth_max) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

}  // namespace

Result<Json> parse_json(std::string_view text, std::string_view what) {
  if (nesting_over(text, kJsonDepthMax)) {
    return error(Code::kCorrupt,
                 std::string(what) + ": JSON nested deeper than " + std::to_string(kJsonDepthMax));
  }
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return error(Code::kCorrupt, std::string(what) + ": not valid JSON (truncated or damaged)");
  }
  return json;
}

Result<uint64_t> parse_u64(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      (text.size() > 1 && text[0] == '0')) {
    return error(Code::kInvalidArgument, "'" + std::string(text.substr(0, 32)) +
                                             "' is not a whole number from 0 to 2^64-1");
  }
  return value;
}

Status JsonFields::fail(std::string_view key, const std::string& problem) const {
  return error(code, context + (key.empty() ? "" : "." + std::string(key)) + ": " + problem);
}

Status JsonFields::require_object() const {
  return object.is_object() ? Status::ok() : fail("", "expected a JSON object");
}

Status JsonFields::only(std::initializer_list<std::string_view> allowed) const {
  SYNOD_TRY(require_object());
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (std::string_view name : allowed)
      known = known || key == name;
    if (!known) return fail(key, "unknown field");
  }
  return Status::ok();
}

bool JsonFields::has(std::string_view key) const {
  return object.is_object() && object.contains(key);
}

Result<std::string> JsonFields::string(std::string_view key, size_t bytes_max) const {
  SYNOD_TRY(require_object());
  auto it = object.find(key);
  if (it == object.end()) return fail(key, "missing");
  if (!it->is_string()) return fail(key, "expected a string");
  const auto& text = it->get_ref<const std::string&>();
  if (text.size() > bytes_max) {
    return fail(key, "longer than " + std::to_string(bytes_max) + " characters");
  }
  return text;
}

Result<uint64_t> JsonFields::number(std::string_view key) const {
  SYNOD_TRY(require_object());
  auto it = object.find(key);
  if (it == object.end()) return fail(key, "missing");
  if (!it->is_number_unsigned()) return fail(key, "expected a non-negative integer");
  return it->get<uint64_t>();
}

Result<bool> JsonFields::boolean(std::string_view key) const {
  SYNOD_TRY(require_object());
  auto it = object.find(key);
  if (it == object.end()) return fail(key, "missing");
  if (!it->is_boolean()) return fail(key, "expected true or false");
  return it->get<bool>();
}

Result<uint64_t> JsonFields::decimal(std::string_view key) const {
  SYNOD_ASSIGN_OR_RETURN(std::string text, string(key, 20));
  auto value = parse_u64(text);
  if (!value.is_ok()) return fail(key, value.status().message());
  return *value;
}

Result<Bytes> JsonFields::hex(std::string_view key, size_t bytes_max) const {
  SYNOD_ASSIGN_OR_RETURN(std::string text, string(key, 2 * bytes_max));
  auto bytes = from_hex(text);
  if (!bytes.is_ok()) return fail(key, bytes.status().message());
  return std::move(bytes).value();
}

}  // namespace synod::wallet
