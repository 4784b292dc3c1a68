#include "node/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace synod::node {
namespace {

Status io_error(const std::string& path, std::string_view what) {
  return error(Code::kIoError, path + ": " + std::string(what) + ": " + std::strerror(errno));
}

std::string_view trim(std::string_view text) {
  const char* space = " \t\r\n";
  const size_t first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

Result<crypto::KeyPair> key_from_seed_hex(std::string_view hex, const std::string& name) {
  auto seed = crypto::Seed::from_hex(hex);
  if (!seed.is_ok())
    return error(Code::kInvalidArgument, name + ": seed: " + seed.status().message());
  return crypto::KeyPair::from_seed(*seed);
}

Result<crypto::KeyPair> parse_json_key(std::string_view text, const std::string& name) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return error(Code::kInvalidArgument, name + ": not a JSON object");
  }
  for (const auto& [field, value] : json.items()) {
    if (field != "type" && field != "public_key" && field != "seed") {
      return error(Code::kInvalidArgument, name + ": " + field + ": is not a known field");
    }
  }
  auto type = json.find("type");
  if (type != json.end() && (!type->is_string() || type->get<std::string>() != "ed25519")) {
    return error(Code::kInvalidArgument, name + ": type: must be \"ed25519\"");
  }
  auto seed = json.find("seed");
  if (seed == json.end() || !seed->is_string()) {
    return error(Code::kInvalidArgument, name + ": seed: must be a hex string");
  }
  SYNOD_ASSIGN_OR_RETURN(crypto::KeyPair key, key_from_seed_hex(seed->get<std::string>(), name));
  auto public_key = json.find("public_key");
  if (public_key != json.end()) {
    if (!public_key->is_string()) {
      return error(Code::kInvalidArgument, name + ": public_key: must be a hex string");
    }
    auto parsed = crypto::PublicKey::from_hex(public_key->get<std::string>());
    if (!parsed.is_ok() || *parsed != key.public_key()) {
      return error(Code::kInvalidArgument, name + ": public_key: does not match the seed");
    }
  }
  return key;
}

}  // namespace

Status write_new_file(const std::string& path, std::string_view text, unsigned mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) return error(Code::kAlreadyExists, path + ": already exists");
    return io_error(path, "cannot create");
  }
  // The umask may have cleared bits of `mode`, never added any; fchmod makes it exact.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t written = 0;
  while (ok && written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  Status status = ok ? Status::ok() : io_error(path, "cannot write");
  if (::close(fd) != 0 && status.is_ok()) status = io_error(path, "cannot close");
  return status;
}

std::string key_file_json(const crypto::KeyPair& key) {
  nlohmann::ordered_json json;
  json["type"] = "ed25519";
  json["public_key"] = key.public_key().hex();
  json["seed"] = key.seed().hex();
  return json.dump(2) + "\n";
}

Status write_key_file(const std::string& path, const crypto::KeyPair& key) {
  return write_new_file(path, key_file_json(key), 0600);
}

Result<crypto::KeyPair> parse_key_file(std::string_view text, const std::string& name) {
  std::string_view body = trim(text);
  if (!body.empty() && body.front() == '{') return parse_json_key(body, name);
  return key_from_seed_hex(body, name);
}

Result<crypto::KeyPair> read_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return error(Code::kNotFound, path + ": no such key file");
    return io_error(path, "cannot open");
  }
  struct stat info {};
  std::string text;
  Status status;
  if (::fstat(fd, &info) != 0) {
    status = io_error(path, "cannot stat");
  } else if ((info.st_mode & 077) != 0) {
    status = error(Code::kFailedPrecondition,
                   path + ": others may access this key file; make it private (chmod 600)");
  } else if (info.st_size < 0 || static_cast<size_t>(info.st_size) > kKeyFileBytesMax) {
    status = error(Code::kInvalidArgument, path + ": too large for a key file");
  } else {
    text.resize(static_cast<size_t>(info.st_size));
    size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got != text.size()) status = io_error(path, "cannot read");
  }
  ::close(fd);
  if (!status.is_ok()) return status;
  return parse_key_file(text, path);
}

}  // namespace synod::node
