// Undo data: what revert_block needs to take the state back exactly one block.
//
// Encoding (base/codec.h): version u8 (= 1) | height u64 (of the block it undoes)
//   | state_root_before (32) | list of writes, each: state key bytes | present bool [| value bytes]
// The writes are the before-values of every entry the block changed, in strictly increasing
// state-key order; "not present" means the entry did not exist and is deleted on revert.
// Pure functions; thread-safe.
#pragma once

#include <vector>

#include "chain/application.h"
#include "ledger/state.h"

namespace synod::ledger {

struct Undo {
  static constexpr uint8_t kVersion = 1;

  uint64_t height = 0;
  Hash256 state_root_before;
  std::vector<chain::StateWrite> writes;

  void encode(Writer& writer) const;
  static Undo decode_from(Reader& reader);
};

// encode(Undo{height, state_root_before, writes_before(changes)}) without building the writes.
Bytes encode_undo(uint64_t height, const Hash256& state_root_before, const ChangeSet& changes);

}  // namespace synod::ledger
