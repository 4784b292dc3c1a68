#include "wallet/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace synod::wallet {
namespace {

Status io_error(const std::string& what, const std::string& path) {
  return error(Code::kIoError, what + " " + path + ": " + std::strerror(errno));
}

std::string parent_directory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status write_all(int fd, std::string_view contents, const std::string& path) {
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot write", path);
    written += static_cast<size_t>(n);
  }
  return Status::ok();
}

Status write_synced(const std::string& path, std::string_view contents) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return io_error("cannot create", path);
  Status status = ::fchmod(fd, 0600) == 0 ? Status::ok() : io_error("cannot chmod", path);
  if (status.is_ok()) status = write_all(fd, contents, path);
  if (status.is_ok() && ::fsync(fd) != 0) status = io_error("cannot sync", path);
  if (::close(fd) != 0 && status.is_ok()) status = io_error("cannot close", path);
  return status;
}

Status sync_directory(const std::string& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open directory", directory);
  Status status = ::fsync(fd) == 0 ? Status::ok() : io_error("cannot sync directory", directory);
  ::close(fd);
  return status;
}

}  // namespace

Status write_file_atomic(const std::string& path, std::string_view contents,
                         const AtomicWriteHooks& hooks) {
  std::string temporary = path + ".tmp";
  SYNOD_TRY(write_synced(temporary, contents));
  if (hooks.before_rename) SYNOD_TRY(hooks.before_rename());
  if (::rename(temporary.c_str(), path.c_str()) != 0) return io_error("cannot replace", path);
  return sync_directory(parent_directory(path));
}

Result<std::string> read_file(const std::string& path, size_t bytes_max) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return error(Code::kNotFound, path + " does not exist");
    return io_error("cannot open", path);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    Status status = io_error("cannot stat", path);
    ::close(fd);
    return status;
  }
  if (static_cast<uint64_t>(info.st_size) > bytes_max) {
    ::close(fd);
    return error(Code::kInvalidArgument,
                 path + " is larger than " + std::to_string(bytes_max) + " bytes");
  }
  std::string out;
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status status = io_error("cannot read", path);
      ::close(fd);
      return status;
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
    if (out.size() > bytes_max) {
      ::close(fd);
      return error(Code::kInvalidArgument,
                   path + " is larger than " + std::to_string(bytes_max) + " bytes");
    }
  }
  ::close(fd);
  return out;
}

Status check_owner_only(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return io_error("cannot stat", path);
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%03o", static_cast<unsigned>(info.st_mode & 0777));
    return error(Code::kFailedPrecondition, path + " has mode " + mode +
                                                ": others may read it; run `chmod 600 " + path +
                                                "` if nobody else has seen it");
  }
  return Status::ok();
}

Status ensure_private_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0) return Status::ok();
  if (errno != EEXIST) return io_error("cannot create directory", path);
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return io_error("cannot stat", path);
  if (!S_ISDIR(info.st_mode)) return error(Code::kIoError, path + " is not a directory");
  return Status::ok();
}

}  // namespace synod::wallet
