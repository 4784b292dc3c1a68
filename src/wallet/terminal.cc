#include "wallet/terminal.h"

#include <fcntl.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iterator>
#include <optional>

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

// While echo is off, a signal that ends the process (Ctrl-C) first turns echo back on, so the
// shell is not left typing blind. The handler only calls async-signal-safe functions.
int g_echo_fd = -1;
termios g_echo_saved{};
constexpr int kEndingSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void restore_echo_and_reraise(int signal_number) {
  if (g_echo_fd >= 0) ::tcsetattr(g_echo_fd, TCSAFLUSH, &g_echo_saved);
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

class EchoGuard {
 public:
  EchoGuard(int fd, const termios& saved) {
    g_echo_fd = fd;
    g_echo_saved = saved;
    struct sigaction action {};
    action.sa_handler = restore_echo_and_reraise;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < std::size(kEndingSignals); ++i)
      ::sigaction(kEndingSignals[i], &action, &previous_[i]);
  }
  ~EchoGuard() {
    ::tcsetattr(g_echo_fd, TCSAFLUSH, &g_echo_saved);
    for (size_t i = 0; i < std::size(kEndingSignals); ++i)
      ::sigaction(kEndingSignals[i], &previous_[i], nullptr);
    g_echo_fd = -1;
  }
  EchoGuard(const EchoGuard&) = delete;
  EchoGuard& operator=(const EchoGuard&) = delete;

 private:
  struct sigaction previous_[std::size(kEndingSignals)]{};
};

}  // namespace

Result<std::string> prompt_terminal(const std::string& prompt, bool secret) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return error(Code::kFailedPrecondition,
                 "there is no terminal to ask on (use --password-file or the " +
                     std::string(kPasswordEnvironmentVariable) + " environment variable)");
  }
  termios saved{};
  std::optional<EchoGuard> guard;
  if (secret && ::tcgetattr(fd, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    guard.emplace(fd, saved);
    if (::tcsetattr(fd, TCSAFLUSH, &quiet) != 0) guard.reset();
  }
  Status written = write_text(fd, prompt);
  Result<std::string> line = written.is_ok() ? read_line(fd) : Result<std::string>(written);
  guard.reset();
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
