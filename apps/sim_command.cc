// `synod sim`: runs the deterministic simulator on one seed (printing a summary) or sweeps a
// range of seeds with short runs (printing each failure with its seed). Exit code 0 when every
// checker passed, 1 when one failed, 2 for bad options.
//
//   synod sim --consensus pbft --nodes 7 --byzantine 2 --faults all --seed 42 --heights 1000
//   synod sim --nodes 4 --byzantine 1 --faults all --seeds 1..200 --heights 30
#include <cstdio>
#include <memory>
#include <string>

#include "apps/commands.h"
#include "sim/simulator.h"

namespace synod::apps {
namespace {

struct SimFlags {
  std::string consensus = "pbft";
  std::string faults = "all";
  std::string seeds;  // "A..B", inclusive
  uint64_t seed_count = 0;
  uint64_t wall_seconds_max = 0;
  bool heights_given = false;
  sim::Options options;
};

// A sweep runs many short runs: this many heights unless --heights says otherwise.
constexpr uint64_t kSweepHeightsDefault = 40;

// "A..B" (inclusive) → first seed and count.
Result<std::pair<uint64_t, uint64_t>> parse_seed_range(const std::string& text) {
  const size_t dots = text.find("..");
  if (dots == std::string::npos) return error(Code::kInvalidArgument, "--seeds wants A..B");
  try {
    size_t used_first = 0, used_last = 0;
    const uint64_t first = std::stoull(text.substr(0, dots), &used_first);
    const uint64_t last = std::stoull(text.substr(dots + 2), &used_last);
    if (used_first != dots || used_last != text.size() - dots - 2 || last < first) {
      return error(Code::kInvalidArgument, "--seeds wants A..B with A <= B");
    }
    return std::make_pair(first, last - first + 1);
  } catch (const std::exception&) {
    return error(Code::kInvalidArgument, "--seeds wants A..B with decimal seeds");
  }
}

int run_one(const sim::Options& options) {
  auto summary = sim::run(options);
  if (!summary.is_ok()) {
    std::fprintf(stderr, "synod sim: %s\n", summary.status().to_string().c_str());
    return 2;
  }
  std::fputs(summary->to_text().c_str(), stdout);
  return summary->passed ? 0 : 1;
}

int run_sweep(const sim::Options& options, uint64_t first, uint64_t count) {
  uint64_t done = 0;
  auto failures = sim::sweep(options, first, count, [&](const sim::Summary& summary) {
    ++done;
    std::printf("seed %llu: %s (heights %llu, %llu events, %llu ms wall)\n",
                static_cast<unsigned long long>(summary.options.seed),
                summary.passed ? "pass" : ("FAIL " + summary.failure).c_str(),
                static_cast<unsigned long long>(summary.agreed_height),
                static_cast<unsigned long long>(summary.events),
                static_cast<unsigned long long>(summary.wall_time_ms));
    std::fflush(stdout);
  });
  std::printf("\nswept %llu seeds from %llu: %zu failed\n", static_cast<unsigned long long>(done),
              static_cast<unsigned long long>(first), failures.size());
  for (const sim::Summary& failure : failures) {
    std::printf("\n");
    std::fputs(failure.to_text().c_str(), stdout);
  }
  return failures.empty() ? 0 : 1;
}

int run_sim(const SimFlags& flags) {
  sim::Options options = flags.options;
  auto mechanism = chain::parse_mechanism(flags.consensus);
  auto faults = sim::FaultMix::parse(flags.faults);
  if (!mechanism.is_ok() || !faults.is_ok()) {
    std::fprintf(stderr, "synod sim: %s\n",
                 (!mechanism.is_ok() ? mechanism.status() : faults.status()).to_string().c_str());
    return 2;
  }
  options.mechanism = *mechanism;
  options.faults = *faults;
  if (flags.wall_seconds_max != 0) options.wall_time_ms_max = flags.wall_seconds_max * 1000;
  const bool sweeping = !flags.seeds.empty() || flags.seed_count != 0;
  if (sweeping && !flags.heights_given) options.heights = kSweepHeightsDefault;
  if (Status valid = options.check(); !valid.is_ok()) {
    std::fprintf(stderr, "synod sim: %s\n", valid.to_string().c_str());
    return 2;
  }
  if (!flags.seeds.empty()) {
    auto range = parse_seed_range(flags.seeds);
    if (!range.is_ok()) {
      std::fprintf(stderr, "synod sim: %s\n", range.status().to_string().c_str());
      return 2;
    }
    return run_sweep(options, range->first, range->second);
  }
  if (flags.seed_count != 0) return run_sweep(options, options.seed, flags.seed_count);
  return run_one(options);
}

}  // namespace

Action add_sim_command(CLI::App& app) {
  auto flags = std::make_shared<SimFlags>();
  CLI::App* command = app.add_subcommand(
      "sim", "Run a whole cluster in one process on a simulated network, clock and disk");
  sim::Options& options = flags->options;
  command->add_option("--consensus", flags->consensus, "Consensus mechanism")
      ->capture_default_str();
  command->add_option("--nodes", options.nodes, "Validators in the cluster")->capture_default_str();
  command->add_option("--byzantine", options.byzantine, "Byzantine validators, at most f")
      ->capture_default_str();
  command
      ->add_option("--faults", flags->faults,
                   "all, none, or a list of drop,delay,duplicate,reorder,partition,crash,skew")
      ->capture_default_str();
  command->add_option("--seed", options.seed, "The seed that drives the run")
      ->capture_default_str();
  command
      ->add_option("--heights", options.heights,
                   "Done when every honest node commits this many (a sweep's default: 40)")
      ->capture_default_str();
  auto* seeds = command->add_option("--seeds", flags->seeds, "Sweep seeds A..B (inclusive)");
  command->add_option("--seed-count", flags->seed_count, "Sweep this many seeds from --seed")
      ->excludes(seeds);
  command->add_option("--events-max", options.events_max, "Bound on events per run")
      ->capture_default_str();
  command->add_option("--wall-seconds-max", flags->wall_seconds_max,
                      "Bound on wall time per run (0: the default, 30 minutes)");
  command
      ->add_option("--liveness-ms", options.liveness_bound_ms,
                   "After faults heal, every honest node must commit within this much virtual "
                   "time (0: derived from the round timeout)")
      ->capture_default_str();
  command->add_flag("--trace", options.echo_trace, "Print every trace event");
  return [flags, command] {
    flags->heights_given = command->count("--heights") > 0;
    return run_sim(*flags);
  };
}

}  // namespace synod::apps
