// The one contract every consensus engine implements, in the style of etcd's raft library
// (Step → Ready → Advance). An engine is a pure, single-threaded state machine: it never touches a
// socket, a file, a thread or a clock. Time arrives as numbers in Tick events; randomness from the
// seed in EngineConfig; every effect leaves as data in Ready. That is what lets the deterministic
// simulator (src/sim) run the production engines, and the node (src/node) run them on real I/O.
//
// The driver's loop, written once:
//
//   engine.step(event);                     // any number of events
//   while (engine.has_ready()) {
//     Ready ready = engine.ready();
//     1. persist ready.records durably (sync) — before anything below leaves the node;
//     2. send ready.messages;
//     3. revert ready.reverts (newest first), then apply ready.commits in order, store each with
//        its certificate; answer ready.proposal_request with a Proposal event and each of
//        ready.validation_requests with a Verdict event (now or later);
//     4. arm a timer for ready.wake_at_ms (a Tick at or after that time);
//     engine.advance();
//   }
//
// Ownership: the engine owns its state; Ready is a value handed to the driver. No engine keeps a
// pointer to the driver. Not thread-safe: one driver thread calls everything.
//
// How each mechanism maps onto the contract:
// - pbft, dbft, pos (BFT family): per height a primary asks for a proposal (proposal_request),
//   replicas ask the ledger to check it (validation_requests → Verdict), votes are persisted in
//   records before the messages carrying them, a commit certificate leaves with each commit.
//   dbft and pos differ only in the ValidatorSetChange events the driver feeds them (elected
//   delegates, bonded stake) and in evidence, which leaves in Ready::evidence for slashing.
// - raft, paxos: the log is the block sequence; term/vote (raft) and promised ballot (paxos) are
//   records; the leader asks for proposals; followers commit what the leader commits, with an
//   empty certificate. A leader lease is engine state driven by Tick times.
// - pow: mining happens outside (the driver mines the template from proposal_request and reports
//   a Mined event); the engine keeps the block tree, and on a heavier branch emits reverts then
//   commits; commits carry `final_height` advancing as blocks become `confirmations` deep.
// - Validator-set changes take effect two heights after the block that causes them: the driver
//   sends ValidatorSetChange{effective_height, set} after applying that block.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "chain/block.h"
#include "chain/genesis.h"
#include "chain/validator_set.h"

namespace synod::consensus {

// A node's consensus identity: its validator public key (or, for pow, its miner key).
using PeerId = crypto::PublicKey;

// ---- Events (input) ----

struct Tick {
  uint64_t now_ms = 0;  // monotonic; never read from a clock inside the engine
};

// A message from a peer. The transport authenticated the link and checked the frame against
// kMessageBytesMax; the engine decodes it strictly and checks its signatures.
struct PeerMessage {
  PeerId from;
  Bytes payload;
};

// The block the driver prepared (through the application) for a proposal_request.
struct Proposal {
  chain::Block block;
};

// The application's verdict on a block named in a validation request.
struct Verdict {
  Hash256 block_hash;
  uint64_t height = 0;
  bool valid = false;
  std::string reason;  // why not, when !valid
};

// A block the driver learned is final from outside the engine's own messages (block sync).
// The driver checked the certificate against the validator set before handing it over.
struct SyncedBlock {
  chain::Block block;
  chain::Certificate certificate;
};

// pow: the driver's miner found a nonce for a template.
struct Mined {
  chain::Block block;
};

// The records of Ready number `sequence` (and all before) are durable.
struct Durable {
  uint64_t sequence = 0;
};

// The validator set for heights >= effective_height.
struct ValidatorSetChange {
  uint64_t effective_height = 0;
  chain::ValidatorSet validators;
};

using Event = std::variant<Tick, PeerMessage, Proposal, Verdict, SyncedBlock, Mined, Durable,
                           ValidatorSetChange>;

// ---- Ready (output) ----

// A small record the engine must find again after a restart (votes, view, term, ballot). Records
// with the same key replace each other; the driver hands all of them back to the engine factory.
struct Record {
  std::string key;
  Bytes value;
};

struct OutMessage {
  std::optional<PeerId> to;  // nullopt: every other peer in the consensus set
  Bytes payload;
};

struct Commit {
  chain::Block block;
  chain::Certificate certificate;  // empty for engines without certificates (raft, paxos, pow)
};

// Two conflicting messages signed by one validator (double vote, equivocating proposal).
struct Evidence {
  PeerId offender;
  uint64_t height = 0;
  uint64_t round = 0;
  std::string kind;  // "double-prepare", "double-commit", "equivocating-pre-prepare", ...
  Bytes first;       // the two signed messages, as received
  Bytes second;
};

struct Ready {
  uint64_t sequence = 0;              // numbers this Ready; Durable{sequence} acknowledges it
  std::vector<Record> records;        // 1. persist durably first
  std::vector<OutMessage> messages;   // 2. then send
  std::vector<chain::Block> reverts;  // 3a. pow only: undo these, newest first
  std::vector<Commit> commits;        // 3b. then apply and store, in height order
  uint64_t final_height = 0;          // pow: blocks up to here are final (0: unchanged)
  std::optional<chain::BlockHeader> proposal_request;  // prepare a block on this header
  std::vector<chain::Block> validation_requests;       // check these blocks, answer with Verdict
  std::vector<Evidence> evidence;
  std::optional<uint64_t> wake_at_ms;  // 4. a Tick at or after this time

  bool empty() const {
    return records.empty() && messages.empty() && reverts.empty() && commits.empty() &&
           final_height == 0 && !proposal_request && validation_requests.empty() &&
           evidence.empty() && !wake_at_ms;
  }
};

// What an engine reports about itself, for RPC, the explorer and the simulator's checkers.
struct EngineStatus {
  std::string mechanism;
  uint64_t height = 0;  // the height being decided now (last committed + 1)
  uint64_t round = 0;   // view (pbft), term (raft), ballot (paxos)
  std::string role;     // "primary", "replica", "leader", "follower", "candidate", "miner"
  std::optional<PeerId> leader;
  uint64_t view_changes = 0;
  uint64_t messages_dropped = 0;  // malformed, unauthenticated, from non-validators, too far ahead
};

// Counts for the messages an engine refused, by reason; all engines fill what applies.
struct DropCounters {
  uint64_t malformed = 0;
  uint64_t bad_signature = 0;
  uint64_t not_validator = 0;
  uint64_t out_of_window = 0;
  uint64_t oversized = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual void step(const Event& event) = 0;
  virtual bool has_ready() const = 0;
  // Hands over everything accumulated since the last advance(). Call advance() after executing.
  virtual Ready ready() = 0;
  virtual void advance() = 0;
  virtual EngineStatus status() const = 0;
  // The messages dropped so far, by reason. The driver reads it around each PeerMessage it steps
  // and scores the peer that sent a malformed or badly signed one (node/node_network.cc).
  virtual DropCounters drop_counters() const { return {}; }
};

// The largest consensus message a transport accepts (a pre-prepare carries a whole block).
inline constexpr size_t kMessageBytesMax = chain::kBlockBytesMax + 64 * 1024;

// Where the committed chain stands when an engine is created (from the node's own disk).
struct ChainTip {
  uint64_t height = 0;  // last committed height; 0 = only genesis
  Hash256 block_hash;   // hash of that block (zero at genesis)
  uint64_t time_ms = 0;
  chain::Certificate certificate;  // its commit certificate, if any
};

// How many of the last committed headers an engine reads (EngineConfig::recent_headers): one
// rotation of the validators and the two blocks whose last_commit certificates it checks.
inline size_t recent_headers_wanted(const chain::ValidatorSet& validators) {
  return validators.size() + 2;
}

// Everything an engine needs to start. `signing_key` is null for a node that only follows.
struct EngineConfig {
  chain::Genesis genesis;
  chain::ValidatorSet validators;  // the set for tip.height + 1
  std::shared_ptr<const crypto::KeyPair> signing_key;
  ChainTip tip;
  // The committed headers just below and at the tip, oldest first: the last
  // recent_headers_wanted(validators) of them, or all where the chain is shorter (engines that
  // pick leaders from the committed history, like PBFT's rotation around a failing primary).
  std::vector<chain::BlockHeader> recent_headers;
  std::vector<Record> records;  // every record the engine persisted before, latest value per key
  uint64_t seed = 0;            // for any randomness (election timeouts)
  uint64_t now_ms = 0;
};

// Makes the engine the genesis names. Errors if that mechanism is not built yet or the records
// are corrupt.
Result<std::unique_ptr<Engine>> make_engine(EngineConfig config);

}  // namespace synod::consensus
