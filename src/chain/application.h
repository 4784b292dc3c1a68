// The boundary between consensus and the state machine, in the spirit of CometBFT's ABCI. The
// node driver (and the simulator) call it; engines never do — they ask through their Ready output
// and get the verdict back as an event. Two applications implement it: the ledger (accounts,
// transfers, later staking) and the kvstore.
//
// Contract: calls come from one thread at a time (the driver's). Blocks are applied strictly in
// height order; revert_block undoes the most recently applied block that is not yet final. Every
// method is deterministic: the same blocks in the same order give the same state root on every
// node. A Status error from validate_block / check_transaction carries the reason to show.
#pragma once

#include <functional>
#include <optional>
#include <span>

#include "chain/block.h"
#include "chain/validator_set.h"

namespace synod::chain {

// One write to the application's persistent state; the node stores these in the same atomic batch
// as the block. `value` empty means delete. Keys are application-defined and ordered.
struct StateWrite {
  Bytes key;
  std::optional<Bytes> value;
};

// What committing one block produced.
struct ApplyResult {
  Hash256 state_root;
  std::vector<StateWrite> writes;  // every state key the block changed, in key order
  Bytes undo;                      // enough to revert the block exactly (kept until final)
};

// Per-transaction outcome kept in the transaction index.
enum class TxOutcome : uint8_t { kSuccess = 0 };

class Application {
 public:
  virtual ~Application() = default;

  // The last applied height (0 before the first block) and the state root after it.
  virtual uint64_t height() const = 0;
  virtual Hash256 state_root() const = 0;

  // The nonce the next transaction from `sender` must carry (0 for an unknown account).
  virtual uint64_t next_nonce(const Address& sender) const = 0;

  // Stateful admission check against the last applied state (signature not included: the
  // mempool verifies signatures on its worker pool). Nonces ahead of the account's are allowed
  // up to `nonce_gap_max`.
  virtual Status check_transaction(const Transaction& tx, uint64_t nonce_gap_max) const = 0;

  // Builds the body of the next block from `candidates` (in the order given, typically the
  // mempool's), skipping those that would fail, up to `transactions_max`. Fills the header's
  // transaction_count, transactions_root and state_root; the caller filled the rest.
  virtual Result<Block> prepare_block(BlockHeader header, std::span<const Transaction> candidates,
                                      size_t transactions_max) = 0;

  // Checks that `block` can follow the last applied block: body matches the header, every
  // transaction is valid in order (signatures included unless `signatures_checked`), and the state
  // root after it matches the header. Leaves the state unchanged.
  virtual Status validate_block(const Block& block, bool signatures_checked) = 0;

  // Applies a block that was validated (or is final by certificate) and returns what changed.
  virtual Result<ApplyResult> apply_block(const Block& block) = 0;

  // Undoes the last applied block using its undo data (PoW reorganisations).
  virtual Status revert_block(const Block& block, ByteView undo) = 0;

  // Marks blocks up to `height` final: their undo data may be dropped.
  virtual void finalize(uint64_t height) = 0;

  // The validators who vote on `height` (changes take effect two heights after their block).
  virtual ValidatorSet validator_set(uint64_t height) const = 0;

  // Restores from the node's stored state: every (key, value) written so far, in key order,
  // fed through `each`, at `height` with the given state root to check against.
  using StateScan = std::function<Status(const std::function<Status(ByteView, ByteView)>&)>;
  virtual Status restore(uint64_t height, const Hash256& expected_state_root,
                         const StateScan& scan) = 0;
};

}  // namespace synod::chain
