// What a PBFT replica persists so that, after a crash, it never signs two different blocks for
// one (height, view) and never goes back in view (Castro & Liskov 2002, §4.5 / TOCS §5.3: a
// replica logs its prepares, commits and view number before sending them). Each record replaces
// the previous one with the same key; only records for the height being decided matter, older
// ones are ignored on restart.
//
// Keys (under the engine's prefix, "pbft/" for pbft) and values (base/codec.h):
//   view              height u64 | view u64 | active bool | mandate: bool [block_hash]
//                     active: a NEW-VIEW for `view` was accepted (view 0 is always active);
//                     mandate: the block that NEW-VIEW obliges the view to re-propose
//   vote/pre-prepare  height u64 | view u64 | block_hash   (the primary's own pre-prepare)
//   vote/prepare      height u64 | view u64 | block_hash   (the last PREPARE signed)
//   vote/commit       height u64 | view u64 | block_hash   (the last COMMIT signed)
//   prepared          height u64 | proof view u64 | block_hash | prepares list | block
//                     the highest prepared certificate and its block, for VIEW-CHANGE
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/engine.h"
#include "consensus/pbft/messages.h"

namespace synod::consensus::pbft {

struct RecordKeys {
  std::string prefix;
  std::string view;
  std::string pre_prepare;
  std::string prepare;
  std::string commit;
  std::string prepared;

  explicit RecordKeys(std::string_view prefix);
  bool owns(std::string_view key) const;
};

struct ViewRecord {
  uint64_t height = 0;
  uint64_t view = 0;
  bool active = true;
  std::optional<Hash256> mandate;

  void encode(Writer& writer) const;
  static ViewRecord decode_from(Reader& reader);
  friend bool operator==(const ViewRecord&, const ViewRecord&) = default;
};

struct VoteRecord {
  uint64_t height = 0;
  uint64_t view = 0;
  Hash256 block_hash;

  void encode(Writer& writer) const;
  static VoteRecord decode_from(Reader& reader);
  friend bool operator==(const VoteRecord&, const VoteRecord&) = default;
};

struct PreparedRecord {
  uint64_t height = 0;
  PreparedProof proof;
  chain::Block block;

  void encode(Writer& writer) const;
  static PreparedRecord decode_from(Reader& reader);
  friend bool operator==(const PreparedRecord&, const PreparedRecord&) = default;
};

// The latest value of each record, decoded. Unknown keys under the prefix and values that fail
// strict decoding are kCorrupt errors; keys outside the prefix belong to others and are skipped.
struct RestoredRecords {
  std::optional<ViewRecord> view;
  std::optional<VoteRecord> pre_prepare;
  std::optional<VoteRecord> prepare;
  std::optional<VoteRecord> commit;
  std::optional<PreparedRecord> prepared;
};
Result<RestoredRecords> restore_records(const RecordKeys& keys, const std::vector<Record>& records);

// One line per record for test transcripts, e.g. "vote/prepare h=1 v=0 9f3a01bc".
std::string describe_record(const RecordKeys& keys, const Record& record);

}  // namespace synod::consensus::pbft
