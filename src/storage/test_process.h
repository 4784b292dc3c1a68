// A writer child process for the real crash tests: the test binary re-executes itself (a fork
// alone would inherit a copy of RocksDB's global thread pools without their threads) with extra
// environment variables that make a static initializer run the writer instead of the tests. The
// writer reports each number it has made durable (u64, consecutive) on a pipe; the parent kills it
// with SIGKILL and reads what was acknowledged. Test-only; nothing in the library includes this.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"

extern char** environ;

namespace synod::storage::test {

class ChildWriter {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts this binary again with `environment` added, plus `ack_fd_variable`=the pipe's write
  // end. The child is killed if this thread exits first.
  ChildWriter(std::vector<std::pair<std::string, std::string>> environment,
              const std::string& ack_fd_variable) {
    int fds[2];
    SYNOD_ASSERT(::pipe(fds) == 0);
    std::vector<std::string> env_strings;
    for (char** entry = environ; *entry != nullptr; ++entry)
      env_strings.emplace_back(*entry);
    for (const auto& [name, value] : environment)
      env_strings.push_back(name + "=" + value);
    env_strings.push_back(ack_fd_variable + "=" + std::to_string(fds[1]));
    std::vector<char*> envp;
    for (std::string& entry : env_strings)
      envp.push_back(entry.data());
    envp.push_back(nullptr);
    char self[] = "/proc/self/exe";
    char* argv[] = {self, nullptr};
    pid_t parent = ::getpid();
    pid_ = ::fork();
    SYNOD_ASSERT(pid_ >= 0);
    if (pid_ == 0) {  // only async-signal-safe calls until execve
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);
      ::close(fds[0]);
      ::execve(self, argv, envp.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    ack_fd_ = fds[0];
  }
  ~ChildWriter() {
    if (pid_ > 0) kill_and_wait();
    if (ack_fd_ >= 0) ::close(ack_fd_);
  }
  ChildWriter(const ChildWriter&) = delete;
  ChildWriter& operator=(const ChildWriter&) = delete;

  // Reads acknowledgements until `deadline`, or only until the first one if `until_first_ack`.
  // Returns false when the writer has closed its end (it exited).
  bool read_acks(Clock::time_point deadline, bool until_first_ack = false) {
    while (!(until_first_ack && acked_any_)) {
      auto remaining =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (remaining.count() <= 0) return true;
      pollfd poll_fd{ack_fd_, POLLIN, 0};
      int ready = ::poll(&poll_fd, 1, static_cast<int>(remaining.count()));
      if (ready == 0) continue;
      if (ready < 0 && errno == EINTR) continue;
      SYNOD_ASSERT(ready > 0);
      uint8_t chunk[4096];
      ssize_t got = ::read(ack_fd_, chunk, sizeof(chunk));
      if (got < 0 && errno == EINTR) continue;
      SYNOD_ASSERT(got >= 0);
      if (got == 0) return false;
      pending_.insert(pending_.end(), chunk, chunk + got);
      take_whole_acks();
    }
    return true;
  }

  // SIGKILL, reap, and read the acknowledgements the writer sent before it died. Returns the
  // writer's wait status.
  int kill_and_wait() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    SYNOD_ASSERT(::waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    while (read_acks(Clock::now() + std::chrono::seconds(5))) {
    }
    return status;
  }

  bool acked_any() const { return acked_any_; }
  uint64_t acked_last() const { return acked_last_; }

  // The child's side: reports `number` as durable. False if the parent is gone.
  static bool acknowledge(int ack_fd, uint64_t number) {
    uint8_t ack[sizeof(number)];
    std::memcpy(ack, &number, sizeof(number));
    return ::write(ack_fd, ack, sizeof(ack)) == static_cast<ssize_t>(sizeof(ack));
  }

 private:
  void take_whole_acks() {
    size_t whole = pending_.size() / sizeof(uint64_t) * sizeof(uint64_t);
    for (size_t offset = 0; offset < whole; offset += sizeof(uint64_t)) {
      uint64_t n;
      std::memcpy(&n, pending_.data() + offset, sizeof(n));
      SYNOD_ASSERT(!acked_any_ || n == acked_last_ + 1);
      acked_last_ = n;
      acked_any_ = true;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(whole));
  }

  pid_t pid_ = -1;
  int ack_fd_ = -1;
  Bytes pending_;
  bool acked_any_ = false;
  uint64_t acked_last_ = 0;
};

}  // namespace synod::storage::test
