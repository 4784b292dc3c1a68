#include "wallet/terminal.h"

#include <fcntl.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wallet/files.h"

namespace synod::wallet {
namespace {

Status write_text(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return error(Code::kIoError,
                   std::string("cannot write to the terminal: ") + std::strerror(errno));
    text.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

Result<std::string> read_line(int fd) {
  std::string line;
  while (true) {
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return error(Code::kIoError,
                   std::string("cannot read the terminal: ") + std::strerror(errno));
    }
    if (n == 0) {
      if (line.empty()) return error(Code::kIoError, "the input ended before a line was typed");
      return line;
    }
    if (c == '\n') break;
    if (line.size() >= kTerminalLineBytesMax) {
      sodium_memzero(line.data(), line.size());
      return error(Code::kInvalidArgument,
                   "the line is longer than " + std::to_string(kTerminalLineBytesMax) + " bytes");
    }
    line.push_back(c);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

Result<std::string> prompt_terminal(const std::string& prompt, bool secret) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return error(Code::kFailedPrecondition,
                 "there is no terminal to ask on (use --password-file or the " +
                     std::string(kPasswordEnvironmentVariable) + " environment variable)");
  }
  termios saved{};
  bool echo_off = false;
  if (secret && ::tcgetattr(fd, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    echo_off = ::tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
  }
  Result<std::string> line = error(Code::kInternal, "unset");
  Status written = write_text(fd, prompt);
  line = written.is_ok() ? read_line(fd) : Result<std::string>(written);
  if (echo_off) ::tcsetattr(fd, TCSAFLUSH, &saved);
  ::close(fd);
  return line;
}

Result<std::string> read_secret_file(const std::string& path) {
  SYNOD_ASSIGN_OR_RETURN(std::string text, read_file(path, kTerminalLineBytesMax + 2));
  size_t end = text.find('\n');
  std::string line = text.substr(0, end);
  sodium_memzero(text.data(), text.size());
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return error(Code::kInvalidArgument, path + ": the first line is empty");
  if (line.size() > kTerminalLineBytesMax) {
    return error(Code::kInvalidArgument, path + ": the first line is too long");
  }
  return line;
}

}  // namespace synod::wallet
