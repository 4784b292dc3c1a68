// The simulator's checkers. They watch what honest nodes do and fail the run at the first
// violation of:
//   agreement   no two honest nodes commit different blocks at one height, and each honest node
//               commits heights in order without gaps;
//   validity    every committed block passes the application's rules when replayed on a
//               reference application built from genesis, every honest node reaches the same
//               state root, and (for the ledger) the total supply stays the genesis supply;
//   durability  a block an honest node committed is still in its store after each restart;
//   liveness    once faults heal (at most f nodes faulty), every honest node commits a new
//               height within a bound of virtual time;
//   equivocation no node reports evidence (two conflicting signed messages) against an honest
//               node: a restarted node must never vote twice (its records are durable first).
// Byzantine nodes are never checked. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chain/application.h"

namespace synod::sim {

struct CheckerVerdict {
  std::string name;
  bool passed = true;
  uint64_t checks = 0;  // how many times the property was checked
  std::string detail;   // why it failed
};

// The total balance held in an application's state; empty when the application has no supply
// (kvstore). Must be deterministic.
using SupplyFunction = std::function<Result<uint64_t>(const chain::Application&)>;

// What the durability checker reads back from a restarted node's store: the block hash stored
// at a height, or nullopt.
using StoredHashLookup = std::function<Result<std::optional<Hash256>>(uint64_t height)>;

class Checkers {
 public:
  Checkers(std::vector<bool> honest, std::unique_ptr<chain::Application> reference,
           SupplyFunction supply, uint64_t genesis_supply);
  Checkers(const Checkers&) = delete;
  Checkers& operator=(const Checkers&) = delete;

  // An honest node applied `block` (and it is durable) and reached `state_root`.
  void on_commit(uint32_t node, uint64_t time_ms, const chain::Block& block,
                 const Hash256& state_root);
  // An honest node's application refused a block its engine committed.
  void on_apply_failure(uint32_t node, uint64_t height, const Status& status);
  // A node restarted; `stored` reads its store. Checks every height it committed before.
  void on_restart(uint32_t node, const StoredHashLookup& stored);
  // Some node's engine reported evidence against `offender`.
  void on_evidence(uint32_t offender, const std::string& kind, uint64_t height, uint64_t round);
  // An honest node could not start from its own disk.
  void on_start_failure(uint32_t node, const Status& status);
  // A node's committed height after a restart (blocks that were written but not yet reported
  // are reported through on_commit first).
  uint64_t committed_height(uint32_t node) const { return committed_[node]; }

  // Faults healed at `now_ms`: every honest node must commit above the highest honest height by
  // `deadline_ms`. check_liveness() closes the window when it passed and fails it at the deadline.
  void open_liveness_window(uint64_t now_ms, uint64_t deadline_ms);
  bool liveness_window_open() const { return window_open_; }
  // True when the window was satisfied (and closed) by now.
  bool check_liveness(uint64_t now_ms);

  bool failed() const { return failure_ != nullptr; }
  const CheckerVerdict* failure() const { return failure_; }
  std::vector<CheckerVerdict> verdicts() const;

  uint64_t agreed_height() const { return agreed_.size(); }
  // The lowest height every honest node has committed.
  uint64_t honest_height_min() const;
  uint64_t honest_height_max() const;
  // The reference application, at agreed_height(): the agreed chain's state.
  const chain::Application& reference() const { return *reference_; }

 private:
  void fail(CheckerVerdict& verdict, std::string detail);
  void replay_on_reference(uint32_t node, const chain::Block& block);

  std::vector<bool> honest_;
  std::unique_ptr<chain::Application> reference_;
  SupplyFunction supply_;
  uint64_t genesis_supply_;

  std::vector<uint64_t> committed_;  // per node
  std::vector<Hash256> agreed_;      // agreed_[h - 1]: the block hash at height h
  std::vector<Hash256> roots_;       // roots_[h - 1]: the state root after height h

  bool window_open_ = false;
  uint64_t window_baseline_ = 0;
  uint64_t window_opened_ms_ = 0;
  uint64_t window_deadline_ms_ = 0;

  CheckerVerdict agreement_{"agreement", true, 0, ""};
  CheckerVerdict validity_{"validity", true, 0, ""};
  CheckerVerdict durability_{"durability", true, 0, ""};
  CheckerVerdict liveness_{"liveness", true, 0, ""};
  CheckerVerdict equivocation_{"equivocation", true, 0, ""};
  const CheckerVerdict* failure_ = nullptr;
};

}  // namespace synod::sim
