#include "loadgen/report.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace synod::loadgen {
namespace {

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

}  // namespace

std::optional<ProcessSample> sample_process(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return std::nullopt;
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // Field 3 is the state; utime and stime are fields 14 and 15.
  for (int number = 3; number <= 15 && fields >> field; ++number) {
    if (number == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (number == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  ProcessSample out;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  out.cpu_s = static_cast<double>(utime + stime) / static_cast<double>(ticks > 0 ? ticks : 100);
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      out.rss_mb = std::strtod(line.c_str() + 6, nullptr) / 1024.0;  // kB
      break;
    }
  }
  return out;
}

nlohmann::json report_json(const BenchReport& report) {
  const RunReport& run = report.run;
  nlohmann::json nodes = nlohmann::json::array();
  for (const NodeFigures& node : report.nodes) {
    nlohmann::json entry{{"name", node.name}, {"rpc", node.endpoint}, {"killed", node.killed}};
    if (node.pid > 0) entry["pid"] = node.pid;
    if (node.killed) entry["killed_at_s"] = node.killed_at_s;
    entry["cpu_s"] = node.sample ? nlohmann::json(node.sample->cpu_s) : nlohmann::json(nullptr);
    entry["rss_mb"] = node.sample ? nlohmann::json(node.sample->rss_mb) : nlohmann::json(nullptr);
    nodes.push_back(std::move(entry));
  }
  nlohmann::json reasons = nlohmann::json::object();
  for (const auto& [reason, count] : run.rejected_by_reason)
    reasons[reason] = count;
  return nlohmann::json{
      {"workload", report.workload},
      {"consensus", report.consensus},
      {"accounts", report.accounts},
      {"committed_tps", run.committed_tps},
      {"window_s", run.window_s},
      {"run_s", run.run_s},
      {"prepare_s", report.prepare_s},
      {"latency_ms",
       {{"p50", run.latency_ms.p50},
        {"p90", run.latency_ms.p90},
        {"p99", run.latency_ms.p99},
        {"max", run.latency_ms.max},
        {"samples", run.latency_ms.samples}}},
      {"prepared", run.prepared},
      {"submitted", run.submitted},
      {"accepted", run.accepted},
      {"committed", run.committed},
      {"rejected", run.rejected},
      {"rejected_by_reason", std::move(reasons)},
      {"lost", run.lost},
      {"unanswered", run.unanswered},
      {"resubmitted", run.resubmitted},
      {"batches", run.batches},
      {"block_events", run.block_events},
      {"batch_round_trip_ms",
       {{"mean", run.batch_round_trip_ms_mean}, {"max", run.batch_round_trip_ms_max}}},
      {"ran_out", run.ran_out},
      {"committed_per_second", run.committed_per_second},
      {"height_start", run.height_start},
      {"height_end", run.height_end},
      {"nodes", std::move(nodes)}};
}

std::string report_table(const BenchReport& report) {
  const RunReport& run = report.run;
  std::ostringstream out;
  out << "synod-bench: " << report.workload;
  if (!report.consensus.empty()) out << ", " << report.consensus;
  out << ", " << report.nodes.size() << " nodes, " << report.accounts << " accounts\n";
  out << "  committed tps     " << format("%.1f", run.committed_tps) << "  (sustained over "
      << format("%.1f", run.window_s) << " s of a " << format("%.1f", run.run_s)
      << " s load; signing took " << format("%.1f", report.prepare_s) << " s before)\n";
  out << "  latency ms        p50 " << format("%.1f", run.latency_ms.p50) << "  p90 "
      << format("%.1f", run.latency_ms.p90) << "  p99 " << format("%.1f", run.latency_ms.p99)
      << "  max " << format("%.1f", run.latency_ms.max) << "  (" << run.latency_ms.samples
      << " samples)\n";
  out << "  transactions      submitted " << run.submitted << "  committed " << run.committed
      << "  rejected " << run.rejected << "  lost " << run.lost << "  unanswered " << run.unanswered
      << "  (resubmitted " << run.resubmitted << ")\n";
  for (const auto& [reason, count] : run.rejected_by_reason)
    out << "    rejected " << reason << ": " << count << "\n";
  out << "  submit batches    " << run.batches << "  round trip ms mean "
      << format("%.1f", run.batch_round_trip_ms_mean) << "  max "
      << format("%.1f", run.batch_round_trip_ms_max) << "\n";
  out << "  blocks            " << run.height_start << " → " << run.height_end << "\n";
  out << "  committed per s  ";
  for (size_t i = 0; i < run.committed_per_second.size(); ++i)
    out << (i == 0 ? "" : " ") << run.committed_per_second[i];
  out << "\n";
  if (run.ran_out) out << "  note: the pre-signed transactions ran out before the duration\n";
  out << "  node     cpu_s    rss_mb  rpc\n";
  for (const NodeFigures& node : report.nodes) {
    char line[160];
    if (node.sample) {
      std::snprintf(line, sizeof line, "  %-6s %7.1f  %8.1f  %s%s\n", node.name.c_str(),
                    node.sample->cpu_s, node.sample->rss_mb, node.endpoint.c_str(),
                    node.killed ? "  (killed)" : "");
    } else {
      std::snprintf(line, sizeof line, "  %-6s %7s  %8s  %s%s\n", node.name.c_str(), "-", "-",
                    node.endpoint.c_str(), node.killed ? "  (killed)" : "");
    }
    out << line;
  }
  return out.str();
}

}  // namespace synod::loadgen
