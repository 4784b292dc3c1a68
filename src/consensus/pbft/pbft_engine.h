// The PBFT engine: Castro & Liskov's Practical Byzantine Fault Tolerance (OSDI'99; TOCS'02)
// adapted to a chain of blocks. Each height is one agreement slot, decided by the three-phase
// protocol of §4.2 (PRE-PREPARE, PREPARE, COMMIT) in a numbered view whose primary is
// validators[(height + view) % n], except around a failing validator (below); a faulty or silent
// primary is replaced by the view change of §4.4, which carries the highest prepared certificate
// so a block that may have committed somewhere is never lost.
//
// The rotation passes over a validator that is failing, so a crashed one does not cost a view
// change every n heights. Validator x is a suspect at height h when both hold in the committed
// chain (which every honest replica shares, so all compute the same primary):
//   - at x's last turn as first choice (the latest height j < h with j % n == x), the committed
//     block was proposed in a view above 0, or by another validator (x was passed over then);
//   - x's signature is not in the commit certificate that block h-1 carries (last_commit).
// Suspects move to the end of the rotation: primary(h, v) = order[v % n], order being the
// validators from h % n on, non-suspects first. A validator that recovers signs commits again
// and is back at the next height; a live but slow one is only passed over after it also failed
// its own turn. Without the headers (chain shorter than n + 2, or a validator-set change in
// the window) the rotation is the plain one. Quorums are by voting power (consensus/vote_set.h). A
// height ends with a commit certificate (chain::Certificate) made of the COMMIT signatures.
//
// Differences from the paper, each for the one-block-per-height setting:
// - no request log, sequence numbers, checkpoints or watermarks (§4.3): the height is the
//   sequence number and a commit certificate is the stable checkpoint;
// - the primary also sends a PREPARE, so a prepared certificate is a plain quorum of PREPARE
//   signatures (in the paper the pre-prepare stands for the primary's prepare);
// - a NEW-VIEW carries the signed view-change claims and only the proof of the highest one, and
//   the re-proposal travels as an ordinary PRE-PREPARE for the new view;
// - catch-up is by SYNC-REQUEST / SYNC-RESPONSE carrying committed blocks with certificates,
//   from a bounded cache of recent commits (older blocks come from the driver's block sync as
//   SyncedBlock events).
//
// Pure and single-threaded, as engine.h requires. Made through make_engine(); dbft and pos reuse
// it with their own mechanism name and record prefix.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "consensus/engine.h"
#include "consensus/pbft/messages.h"
#include "consensus/pbft/records.h"
#include "consensus/vote_set.h"

namespace synod::consensus::pbft {

// Messages for heights h+1..h+kFutureHeightsMax are kept for later; beyond, dropped and counted.
inline constexpr uint64_t kFutureHeightsMax = 2;
inline constexpr size_t kFutureMessagesMax = 1'024;
inline constexpr size_t kFutureBytesMax = 64 * 1024 * 1024;
// Pre-prepares and votes for views v+1..v+kViewsAheadMax of the current height are kept.
inline constexpr uint64_t kViewsAheadMax = 8;
// Vote sets kept per height (the lowest views are forgotten first).
inline constexpr size_t kViewsTrackedMax = 16;
// Distinct blocks known per height (one per view's primary, plus sync and view-change copies).
inline constexpr size_t kBlocksPerHeightMax = 16;
inline constexpr size_t kEvidencePerHeightMax = 32;
// Committed blocks kept to answer SYNC-REQUESTs.
inline constexpr size_t kRecentCommitsMax = 64;
// Certified blocks from sync waiting for their turn, heights h..h+kSyncedBlocksMax-1.
inline constexpr uint64_t kSyncedBlocksMax = 64;
// The view timeout doubles with each view up to this many times (§4.5.2).
inline constexpr uint32_t kViewTimeoutDoublingsMax = 6;

struct PbftOptions {
  std::string mechanism = "pbft";       // EngineStatus::mechanism
  std::string record_prefix = "pbft/";  // prefix of every Record key
};

class PbftEngine final : public Engine {
 public:
  // Errors: kInvalidArgument for an unusable config, kCorrupt for records that do not decode or
  // contradict each other.
  static Result<std::unique_ptr<PbftEngine>> create(EngineConfig config, PbftOptions options = {});

  void step(const Event& event) override;
  bool has_ready() const override { return !pending_.empty(); }
  Ready ready() override;
  void advance() override;
  EngineStatus status() const override;
  DropCounters drop_counters() const override { return drops_; }

 private:
  enum class Validity : uint8_t { kUnknown, kPending, kValid, kInvalid };
  struct KnownBlock {
    chain::Block block;
    Validity validity = Validity::kUnknown;
  };
  // A pre-prepare accepted for one view (§4.2); `acceptable` is false when its header breaks
  // the rules for that view, in which case nobody should prepare it.
  struct AcceptedPrePrepare {
    Hash256 block_hash;
    crypto::Signature signature;
    bool acceptable = false;
  };
  struct BufferedMessage {
    uint64_t height = 0;
    PeerId from;
    Message message;
    size_t bytes = 0;
  };
  // Everything about the height being decided; replaced when it commits.
  struct HeightState {
    explicit HeightState(std::shared_ptr<const chain::ValidatorSet> validators)
        : view_change_rounds(std::move(validators)) {}
    std::map<Hash256, KnownBlock> blocks;
    std::map<uint64_t, AcceptedPrePrepare> pre_prepares;  // by view
    std::map<uint64_t, PrePrepare> pending_pre_prepares;  // views above ours, until NEW-VIEW
    std::map<uint64_t, VoteSet> prepares;                 // by view
    std::map<uint64_t, VoteSet> commits;                  // by view
    std::map<uint32_t, ViewChange> view_changes;          // each validator's latest
    RoundTracker view_change_rounds;
    std::optional<PreparedProof> prepared;  // our highest prepared certificate
    std::optional<VoteRecord> my_pre_prepare;
    std::optional<VoteRecord> my_prepare;
    std::optional<VoteRecord> my_commit;
    std::optional<uint64_t> proposal_requested_view;
    std::optional<NewView> new_view;  // the NEW-VIEW that opened the current view, to forward
    std::set<std::tuple<uint32_t, MessageType, uint64_t>> evidence_reported;
    size_t evidence_count = 0;           // bounded by kEvidencePerHeightMax
    std::optional<PeerId> block_source;  // a peer that committed a block we do not have
  };

  PbftEngine(EngineConfig config, PbftOptions options);
  Status restore(const RestoredRecords& records);
  void rebroadcast_restored_votes();

  // Events.
  void on_tick(uint64_t now_ms);
  void run_timers();
  void on_peer_message(const PeerMessage& message);
  void on_proposal(const chain::Block& block);
  void on_verdict(const Verdict& verdict);
  void on_synced_block(const chain::Block& block, const chain::Certificate& certificate);
  void on_validator_set_change(const ValidatorSetChange& change);

  // Message intake: check the signer, classify by height, dispatch.
  std::optional<uint32_t> authenticate(const Message& message, uint64_t height);
  void buffer_future(const PeerId& from, Message message, uint64_t height, size_t bytes);
  void dispatch(const PeerId& from, const Message& message, uint32_t signer);
  void drain();

  // Normal case (§4.2).
  void maybe_request_proposal();
  bool awaiting_proposal() const;
  uint64_t proposal_due_ms() const;
  chain::BlockHeader header_template() const;
  Status check_header(const chain::BlockHeader& header, uint64_t view) const;
  void send_pre_prepare(const chain::Block& block);
  void on_pre_prepare(const PrePrepare& message);
  void accept_pre_prepare(const PrePrepare& message);
  bool store_block(const chain::Block& block, Validity validity);
  void request_validation(const Hash256& block_hash);
  void on_vote(const Vote& vote, uint32_t signer);
  void try_prepare();
  void check_prepared();
  void check_committed();
  void decide(chain::Block block, chain::Certificate certificate);
  void enter_height(uint64_t height);

  // View change (§4.4, §4.5.2), in view_change.cc.
  uint64_t view_timeout_ms(uint64_t view) const;
  void on_view_timeout();
  void start_view_change(uint64_t new_view);
  ViewChange make_view_change() const;
  bool remember_view_change(uint32_t signer, const ViewChange& message);
  void on_view_change(const PeerId& from, const ViewChange& message, uint32_t signer);
  void forward_new_view(const PeerId& to);
  void check_new_view();
  void on_new_view(const NewView& message);
  Status verify_new_view(const NewView& message) const;
  void enter_view(uint64_t view, std::optional<Hash256> mandate);

  // Catch-up, in catch_up.cc.
  void note_peer_ahead(const PeerId& from, uint64_t message_height);
  void send_sync_request(const PeerId& to);
  void on_sync_request(const PeerId& from, const SyncRequest& message, uint32_t signer);
  void send_sync_response(const PeerId& to, uint32_t requester, uint64_t height_from,
                          uint32_t count);
  void on_sync_response(const SyncResponse& message);
  bool commit_next_synced();
  void continue_sync();
  void on_stale_message(const PeerId& from, const Message& message, uint32_t signer);

  // Output.
  void broadcast(const Message& message);
  void send_to(const PeerId& to, const Message& message);
  Message signed_message(Message message) const;
  void persist(const std::string& key, Bytes value);
  void persist_view();
  void persist_vote(const std::string& key, const VoteRecord& record);
  void persist_prepared();
  void report_evidence(uint32_t offender, MessageType type, uint64_t view, const Message& first,
                       const Message& second);
  void update_wake();

  // The leader rule around failing validators (see the top of this file).
  void note_header(const chain::BlockHeader& header);
  void compute_primary_order();

  // Small queries.
  uint32_t primary_index(uint64_t view) const;
  bool is_primary(uint64_t view) const;
  std::shared_ptr<const chain::ValidatorSet> validators_for(uint64_t height) const;
  VoteSet* votes_for(std::map<uint64_t, VoteSet>& sets, uint64_t view);
  void add_own_vote(std::map<uint64_t, VoteSet>& sets, const Vote& vote);
  const std::string& chain_id() const { return genesis_.chain_id; }

  const PbftOptions options_;
  const RecordKeys keys_;
  const chain::Genesis genesis_;
  const std::shared_ptr<const crypto::KeyPair> signing_key_;

  // Validator sets by the first height they govern (ValidatorSetChange); the current one cached.
  std::map<uint64_t, std::shared_ptr<const chain::ValidatorSet>> validator_sets_;
  std::shared_ptr<const chain::ValidatorSet> validators_;
  std::optional<uint32_t> my_index_;

  ChainTip tip_;         // the last committed block
  uint64_t height_ = 1;  // the height being decided: tip_.height + 1
  uint64_t view_ = 0;
  bool view_active_ = true;         // false between our VIEW-CHANGE and the NEW-VIEW (§4.4)
  std::optional<Hash256> mandate_;  // the block the NEW-VIEW of this view obliges
  HeightState state_;
  // Set by a commit until the driver has executed the Ready carrying it: until then nothing of
  // the next height is recorded or sent (see decide()).
  bool holding_ = false;
  bool hold_handed_ = false;  // the Ready with that commit went out in ready()

  uint64_t now_ms_ = 0;
  uint64_t height_start_ms_ = 0;
  uint64_t view_deadline_ms_ = 0;
  uint64_t view_entered_ms_ = 0;

  std::deque<BufferedMessage> future_;  // bounded by kFutureMessagesMax and kFutureBytesMax
  size_t future_bytes_ = 0;
  std::deque<Commit> recent_commits_;  // bounded by kRecentCommitsMax
  // What the leader rule needs of each committed header, for the last n + 2 heights.
  struct HeaderNote {
    crypto::PublicKey proposer;
    uint64_t view = 0;
    Hash256 validator_set_hash;
    std::vector<uint32_t> last_commit_signers;
  };
  std::map<uint64_t, HeaderNote> header_notes_;
  std::vector<uint32_t> primary_order_;   // height_'s rotation, suspects last
  std::map<uint64_t, SyncEntry> synced_;  // heights h..h+kSyncedBlocksMax-1
  struct Served {
    uint64_t at_ms = 0;
    uint64_t next_height = 0;
  };
  std::map<uint32_t, Served> sync_served_;  // by validator index: bounded by the set
  std::optional<PeerId> peer_ahead_;
  uint64_t sync_target_height_ = 0;  // the highest height a peer showed it has committed
  uint64_t sync_next_ms_ = 0;        // no SYNC-REQUEST before this time
  bool sync_continue_ = false;       // a useful SYNC-RESPONSE came: ask for the next batch

  Ready pending_;
  uint64_t ready_sequence_ = 0;
  bool awaiting_advance_ = false;
  std::optional<uint64_t> wake_emitted_ms_;
  DropCounters drops_;
  uint64_t view_changes_ = 0;
};

}  // namespace synod::consensus::pbft
