// `synod localnet` end to end, bounded: 4 validators as child processes on 127.0.0.1, heights rise
// on every node over RPC, then SIGINT stops the localnet, which exits 0 with every child gone;
// a second run on the same folder restarts the same nodes, which SIGTERM stops.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "rpc/http_client.h"

namespace {

using Json = nlohmann::json;

constexpr int kNodes = 4;

uint64_t steady_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

std::optional<Json> get_status(uint16_t port) {
  synod::rpc::HttpRequestOptions options;
  options.timeout_ms = 2'000;
  synod::rpc::JsonRpcClient client(synod::rpc::loopback_endpoint(port), {options, ""});
  auto result = client.result("get_status");
  if (!result.is_ok()) return std::nullopt;
  return std::move(result).value();
}

uint64_t height_of(uint16_t port) {
  auto status = get_status(port);
  return status ? (*status)["height"].get<uint64_t>() : 0;
}

// The child pids localnet printed ("  node0  pid 1234  ...").
std::vector<pid_t> child_pids(const std::string& output) {
  std::vector<pid_t> pids;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    size_t at = line.find(" pid ");
    if (line.find("  node") == 0 && at != std::string::npos) {
      pids.push_back(static_cast<pid_t>(std::atoi(line.c_str() + at + 5)));
    }
  }
  return pids;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `synod localnet` on `home` until heights rise on every node (all above `floor`), then
// stops it with `stop_signal` and checks it exited 0 with every child gone. Sets *reached to the
// lowest height seen last.
void run_localnet(const std::string& home, const std::string& output_path, uint16_t base_port,
                  int stop_signal, uint64_t floor, uint64_t* reached) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    FILE* out = std::freopen(output_path.c_str(), "w", stdout);
    (void)out;
    const std::string port = std::to_string(base_port);
    ::execl(SYNOD_BINARY, SYNOD_BINARY, "localnet", "--nodes", "4", "--consensus", "pbft", "--home",
            home.c_str(), "--base-port", port.c_str(), "--demo-load", "--duration-s", "60",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }

  std::vector<uint16_t> rpc_ports;
  for (int i = 0; i < kNodes; ++i)
    rpc_ports.push_back(static_cast<uint16_t>(base_port + 2 * i + 1));
  // Every node answers and has committed something.
  std::vector<uint64_t> first(kNodes, 0);
  uint64_t deadline = steady_ms() + 15'000;
  for (int i = 0; i < kNodes; ++i) {
    while (steady_ms() < deadline && (first[i] = height_of(rpc_ports[i])) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_GT(first[i], 0u) << "node" << i << "\n"
                            << read_all(output_path) << "\nnode" << i << "/node.log:\n"
                            << read_all(home + "/node" + std::to_string(i) + "/node.log");
  }
  // Heights rise on all nodes.
  deadline = steady_ms() + 10'000;
  for (int i = 0; i < kNodes; ++i) {
    uint64_t now = 0;
    while (steady_ms() < deadline && (now = height_of(rpc_ports[i])) <= first[i] + 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_GT(now, first[i] + 2) << "node" << i;
    EXPECT_GT(first[i], floor) << "node" << i << " did not go on from its disk";
    *reached = i == 0 ? now : std::min(*reached, now);
  }

  // A progress line (every 2 s) names the heights.
  deadline = steady_ms() + 10'000;
  while (steady_ms() < deadline && read_all(output_path).find("height") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  ASSERT_EQ(::kill(pid, stop_signal), 0);
  int status = -1;
  deadline = steady_ms() + 20'000;
  pid_t waited = 0;
  while (steady_ms() < deadline && (waited = ::waitpid(pid, &status, WNOHANG)) == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (waited != pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL() << "localnet did not exit after signal " << stop_signal << "\n" << read_all(output_path);
  }
  const std::string output = read_all(output_path);
  EXPECT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  EXPECT_NE(output.find("height"), std::string::npos) << output;
  const std::vector<pid_t> pids = child_pids(output);
  EXPECT_EQ(pids.size(), static_cast<size_t>(kNodes)) << output;
  for (pid_t child : pids) {
    EXPECT_EQ(::kill(child, 0), -1) << "child " << child << " still runs";
    EXPECT_EQ(errno, ESRCH);
  }
  for (uint16_t port : rpc_ports)
    EXPECT_FALSE(get_status(port).has_value());
}

TEST(LocalnetTest, FourNodesCommitStopOnSignalsAndRestartFromTheirHomes) {
  std::string pattern = (std::filesystem::temp_directory_path() / "synod-localnet-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::string root = pattern;
  std::mt19937 random(static_cast<uint32_t>(::getpid() ^ steady_ms()));
  // Below Linux's ephemeral range (32768..60999): no outgoing connection of a test running
  // beside this one can take one of these ports between now and the nodes binding them.
  const uint16_t base_port = static_cast<uint16_t>(20000 + (random() % 1270) * 10);

  uint64_t reached = 0;
  run_localnet(root + "/net", root + "/first.txt", base_port, SIGINT, 0, &reached);
  // The same folder again: the same nodes restart from their disks, and SIGTERM stops them too.
  if (!::testing::Test::HasFailure()) {
    uint64_t again = 0;
    run_localnet(root + "/net", root + "/second.txt", base_port, SIGTERM, reached - 1, &again);
    EXPECT_NE(read_all(root + "/second.txt").find("reusing"), std::string::npos);
  }
  std::error_code code;
  std::filesystem::remove_all(root, code);
}

}  // namespace
