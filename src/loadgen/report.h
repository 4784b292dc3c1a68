// The benchmark's report: the run's figures plus each node's CPU time and peak memory, as a
// human-readable table or one JSON object (the fields `synod-bench --json` promises:
// committed_tps, latency_ms{p50,p90,p99,max}, submitted, committed, rejected, lost,
// nodes[{cpu_s, rss_mb}], and more).
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/runner.h"

namespace synod::loadgen {

// One node process, read from /proc/<pid>/stat (user + system CPU time) and /proc/<pid>/status
// (VmHWM: peak resident memory). nullopt when the process is gone or unreadable.
struct ProcessSample {
  double cpu_s = 0;
  double rss_mb = 0;  // peak
};
std::optional<ProcessSample> sample_process(pid_t pid);

struct NodeFigures {
  std::string name;      // "node0"
  std::string endpoint;  // its RPC host:port
  pid_t pid = -1;        // -1: not a local process we know
  std::optional<ProcessSample> sample;
  bool killed = false;     // stopped on purpose during the run
  double killed_at_s = 0;  // when, since the clock started
};

struct BenchReport {
  std::string workload;   // "transfer" or "kv_put"
  std::string consensus;  // "pbft", or "" when unknown
  uint32_t accounts = 0;
  RunReport run;
  std::vector<NodeFigures> nodes;
  double prepare_s = 0;  // signing time before the clock started
};

nlohmann::json report_json(const BenchReport& report);
std::string report_table(const BenchReport& report);

}  // namespace synod::loadgen
