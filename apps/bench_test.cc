// `synod-bench localnet` end to end on a tiny load: 4 PBFT validators, 200 transfers over 3 s.
// The report must be sane: JSON that parses, something committed, nothing lost, percentiles in
// order, every node's CPU time and memory read. The benchmark runs as a child process with a
// deadline; the guard SIGKILLs it (by PID) if the test fails or the deadline passes, and its
// nodes die with it (LocalCluster's parent-death signal).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Json = nlohmann::json;

constexpr uint64_t kDeadlineMs = 90'000;

// A child process killed by PID when the guard goes out of scope before it exited.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ~ChildGuard() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Waits up to `timeout_ms`; the wait status, or nullopt on timeout.
  std::optional<int> wait(uint64_t timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  }

 private:
  pid_t pid_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(BenchTest, TinyLoadOnFourNodesGivesASaneReport) {
  const std::string out_path =
      ::testing::TempDir() + "/synod_bench_test_" + std::to_string(::getpid()) + ".out";
  const std::string err_path = out_path + ".err";
  std::vector<std::string> args = {SYNOD_BENCH_BINARY,
                                   "localnet",
                                   "--nodes",
                                   "4",
                                   "--duration",
                                   "3",
                                   "--transactions",
                                   "200",
                                   "--rate",
                                   "70",
                                   "--accounts",
                                   "20",
                                   "--warmup",
                                   "0",
                                   "--drain",
                                   "30",
                                   "--connections",
                                   "2",
                                   "--batch",
                                   "25",
                                   "--block-interval-ms",
                                   "100",
                                   "--synod",
                                   SYNOD_BINARY,
                                   "--json"};
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ChildGuard guard(pid);
  const std::optional<int> status = guard.wait(kDeadlineMs);
  ASSERT_TRUE(status.has_value()) << "synod-bench did not finish in time:\n" << read_file(err_path);
  const std::string output = read_file(out_path);
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << "exit status " << *status << "\nstdout:\n"
      << output << "\nstderr:\n"
      << read_file(err_path);

  const Json report = Json::parse(output, nullptr, false);
  ASSERT_TRUE(report.is_object()) << output;
  EXPECT_EQ(report["submitted"].get<uint64_t>(), 200u) << output;
  EXPECT_GT(report["committed"].get<uint64_t>(), 0u) << output;
  EXPECT_EQ(report["committed"].get<uint64_t>() + report["rejected"].get<uint64_t>() +
                report["lost"].get<uint64_t>() + report["unanswered"].get<uint64_t>(),
            200u)
      << output;
  EXPECT_EQ(report["lost"].get<uint64_t>(), 0u) << output;
  EXPECT_GT(report["committed_tps"].get<double>(), 0.0) << output;
  EXPECT_GT(report["block_events"].get<uint64_t>(), 0u) << output;  // the subscription works
  const Json& latency = report["latency_ms"];
  const double p50 = latency["p50"].get<double>();
  const double p90 = latency["p90"].get<double>();
  const double p99 = latency["p99"].get<double>();
  const double max = latency["max"].get<double>();
  EXPECT_GT(p50, 0.0) << output;
  EXPECT_LE(p50, p90) << output;
  EXPECT_LE(p90, p99) << output;
  EXPECT_LE(p99, max) << output;
  EXPECT_LT(max, 60'000.0) << output;
  ASSERT_EQ(report["nodes"].size(), 4u) << output;
  for (const Json& node : report["nodes"]) {
    ASSERT_TRUE(node["cpu_s"].is_number()) << output;
    EXPECT_GT(node["cpu_s"].get<double>(), 0.0) << output;
    EXPECT_GT(node["rss_mb"].get<double>(), 1.0) << output;
  }
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
}

}  // namespace
