#include "sim/checkers.h"

#include <fmt/format.h>

#include <algorithm>

namespace synod::sim {
namespace {

std::string short_hash(const Hash256& hash) {
  return hash.hex().substr(0, 12);
}

}  // namespace

Checkers::Checkers(std::vector<bool> honest, std::unique_ptr<chain::Application> reference,
                   SupplyFunction supply, uint64_t genesis_supply)
    : honest_(std::move(honest)),
      reference_(std::move(reference)),
      supply_(std::move(supply)),
      genesis_supply_(genesis_supply),
      committed_(honest_.size(), 0) {
  SYNOD_ASSERT(reference_ != nullptr);
  SYNOD_ASSERT(reference_->height() == 0);
}

void Checkers::fail(CheckerVerdict& verdict, std::string detail) {
  if (!verdict.passed) return;  // keep the first reason
  verdict.passed = false;
  verdict.detail = std::move(detail);
  if (failure_ == nullptr) failure_ = &verdict;
}

void Checkers::on_commit(uint32_t node, uint64_t time_ms, const chain::Block& block,
                         const Hash256& state_root) {
  SYNOD_ASSERT(node < honest_.size());
  if (!honest_[node]) return;
  const uint64_t height = block.height();
  const Hash256 hash = block.hash();
  ++agreement_.checks;
  if (height != committed_[node] + 1) {
    fail(agreement_, fmt::format("node {} committed height {} after height {}", node, height,
                                 committed_[node]));
    return;
  }
  committed_[node] = height;
  if (height <= agreed_.size()) {
    if (agreed_[height - 1] != hash) {
      fail(agreement_,
           fmt::format("node {} committed block {} at height {}, but {} was committed "
                       "there first",
                       node, short_hash(hash), height, short_hash(agreed_[height - 1])));
      return;
    }
  } else {
    SYNOD_ASSERT(height == agreed_.size() + 1);  // nodes commit in order, so h - 1 is agreed
    agreed_.push_back(hash);
    replay_on_reference(node, block);
  }
  ++validity_.checks;
  if (height <= roots_.size() && roots_[height - 1] != state_root) {
    fail(validity_,
         fmt::format("node {} reached state root {} at height {}, the reference {}", node,
                     short_hash(state_root), height, short_hash(roots_[height - 1])));
  }
  if (window_open_) check_liveness(time_ms);
}

void Checkers::replay_on_reference(uint32_t node, const chain::Block& block) {
  Status valid = reference_->validate_block(block, /*signatures_checked=*/false);
  if (!valid.is_ok()) {
    fail(validity_, fmt::format("node {} committed block {} at height {} that the rules reject: {}",
                                node, short_hash(block.hash()), block.height(), valid.to_string()));
    return;
  }
  auto applied = reference_->apply_block(block);
  if (!applied.is_ok()) {
    fail(validity_, fmt::format("reference could not apply height {}: {}", block.height(),
                                applied.status().to_string()));
    return;
  }
  roots_.push_back(applied->state_root);
  if (!supply_) return;
  auto supply = supply_(*reference_);
  if (!supply.is_ok() || *supply != genesis_supply_) {
    fail(validity_,
         fmt::format("total supply after height {} is {}, genesis supply {}", block.height(),
                     supply.is_ok() ? std::to_string(*supply) : supply.status().to_string(),
                     genesis_supply_));
  }
}

void Checkers::on_apply_failure(uint32_t node, uint64_t height, const Status& status) {
  if (!honest_[node]) return;
  ++validity_.checks;
  fail(validity_, fmt::format("node {} could not apply committed height {}: {}", node, height,
                              status.to_string()));
}

void Checkers::on_restart(uint32_t node, const StoredHashLookup& stored) {
  if (!honest_[node]) return;
  for (uint64_t height = 1; height <= committed_[node]; ++height) {
    ++durability_.checks;
    auto hash = stored(height);
    if (!hash.is_ok()) {
      fail(durability_, fmt::format("node {} cannot read height {} after restart: {}", node, height,
                                    hash.status().to_string()));
      return;
    }
    if (!*hash || **hash != agreed_[height - 1]) {
      fail(durability_,
           fmt::format("node {} committed {} at height {} but after restart its store has {}", node,
                       short_hash(agreed_[height - 1]), height,
                       *hash ? short_hash(**hash) : std::string("nothing")));
      return;
    }
  }
}

void Checkers::on_evidence(uint32_t offender, const std::string& kind, uint64_t height,
                           uint64_t round) {
  ++equivocation_.checks;
  if (!honest_[offender]) return;
  fail(equivocation_, fmt::format("evidence '{}' against honest node {} at height {} round {}",
                                  kind, offender, height, round));
}

void Checkers::on_start_failure(uint32_t node, const Status& status) {
  if (!honest_[node]) return;
  ++durability_.checks;
  fail(durability_,
       fmt::format("node {} cannot restart from its own store: {}", node, status.to_string()));
}

uint64_t Checkers::honest_height_min() const {
  uint64_t out = UINT64_MAX;
  for (size_t node = 0; node < honest_.size(); ++node)
    if (honest_[node]) out = std::min(out, committed_[node]);
  return out == UINT64_MAX ? 0 : out;
}

uint64_t Checkers::honest_height_max() const {
  uint64_t out = 0;
  for (size_t node = 0; node < honest_.size(); ++node)
    if (honest_[node]) out = std::max(out, committed_[node]);
  return out;
}

void Checkers::open_liveness_window(uint64_t now_ms, uint64_t deadline_ms) {
  window_open_ = true;
  window_baseline_ = honest_height_max();
  window_opened_ms_ = now_ms;
  window_deadline_ms_ = deadline_ms;
}

bool Checkers::check_liveness(uint64_t now_ms) {
  if (!window_open_) return false;
  if (honest_height_min() > window_baseline_) {
    ++liveness_.checks;
    window_open_ = false;
    return true;
  }
  if (now_ms < window_deadline_ms_) return false;
  ++liveness_.checks;
  window_open_ = false;
  std::string heights;
  for (size_t node = 0; node < honest_.size(); ++node) {
    if (honest_[node]) heights += fmt::format(" n{}={}", node, committed_[node]);
  }
  fail(liveness_,
       fmt::format("faults healed at {} ms with honest height {}, but by {} ms not every "
                   "honest node committed above it:{}",
                   window_opened_ms_, window_baseline_, now_ms, heights));
  return false;
}

std::vector<CheckerVerdict> Checkers::verdicts() const {
  return {agreement_, validity_, durability_, liveness_, equivocation_};
}

}  // namespace synod::sim
