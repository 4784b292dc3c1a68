// Data-driven PBFT scenarios, in the spirit of etcd raft's testdata/*.txt: each file in
// testdata/ is a transcript of commands, each followed by "----" and the text the cluster printed
// in answer. The interpreter wires N engines to an in-memory network, a durable "disk" of records
// per node, and a trivial application that accepts every block except those a command marked
// invalid. Run with SYNOD_REWRITE=1 to regenerate the expected text, then review the diff.
//
// Commands (nodes are indexes; "all" or a comma list where a set is allowed):
//   cluster n=4 [powers=1,1,1,2] [interval=100] [timeout=1000] [records]
//   tick <nodes> <now_ms>              deliver a Tick at an absolute time
//   deliver [<from>-><to>]             deliver queued messages matching (default *->*), and
//                                      what they cause, until none match
//   drop <from>-><to>                  forget queued messages matching
//   cut <from>-><to> / heal            drop matching messages when sent, until heal
//   crash <node> / restart <node>      lose the engine (the disk survives) / rebuild it
//   crash-at-send <node>               crash when the next Ready has messages, after its records
//   propose-invalid <node>             the node's next proposal is a block the others reject
//   equivocate <node>                  the node sends two different pre-prepares, half and half
//   forge-pre-prepare <primary> <node> the primary's key signs a fresh block for the node's
//                                      current (height, view) and queues it to that node
//   inject <node> <kind>               garbage | oversized | non-validator | bad-signature |
//                                      far-future
//   status [nodes] / chain [nodes] / records <node> / check
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "consensus/engine.h"
#include "consensus/pbft/messages.h"
#include "consensus/pbft/pbft_engine.h"
#include "consensus/pbft/records.h"
#include "crypto/hash.h"

namespace synod::consensus::pbft {
namespace {

using Args = std::vector<std::string>;

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, separator)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::shared_ptr<const crypto::KeyPair> key_for(uint8_t seed_byte) {
  crypto::Seed seed;
  seed.data.fill(seed_byte);
  return std::make_shared<const crypto::KeyPair>(crypto::KeyPair::from_seed(seed));
}

struct Node {
  std::shared_ptr<const crypto::KeyPair> key;
  std::unique_ptr<PbftEngine> engine;  // null while crashed
  std::map<std::string, Bytes> disk;   // durable records, latest per key
  std::vector<Commit> chain;
  uint64_t now_ms = 0;
  bool propose_invalid = false;
  bool equivocate = false;
  bool crash_at_send = false;
};

struct InFlight {
  size_t from = 0;
  size_t to = 0;
  Bytes payload;
};

// "a->b" with '*' for any node.
struct Route {
  std::optional<size_t> from;
  std::optional<size_t> to;
  bool matches(size_t f, size_t t) const { return (!from || *from == f) && (!to || *to == t); }
};

class Cluster {
 public:
  std::string run(const std::string& command, const Args& args);

 private:
  void setup(const Args& args);
  std::vector<size_t> nodes(const std::string& spec) const;
  Route route(const std::string& spec) const;
  size_t node_of(const PeerId& key) const;
  std::string label(const Hash256& hash) const;
  std::string relabel(std::string text) const;
  std::string name(size_t index) const { return "n" + std::to_string(index); }

  void start(size_t index);
  void step(size_t index, const Event& event);
  void process(size_t index);
  void send(size_t from, const OutMessage& message);
  void enqueue(size_t from, size_t to, Bytes payload);
  void equivocate(size_t from, const PrePrepare& original);
  void forge_pre_prepare(size_t primary, size_t to);
  void watch_votes(size_t from, const Bytes& payload);
  chain::Block make_block(chain::BlockHeader header, bool invalid);
  bool app_accepts(size_t index, const chain::Block& block) const;
  void deliver(const Route& filter);
  void inject(size_t to, const std::string& kind);
  void print_status(size_t index);
  void print_chain(size_t index);
  void check();
  void out(const std::string& line) { output_ << line << "\n"; }

  chain::Genesis genesis_;
  std::vector<Node> nodes_;
  std::deque<InFlight> queue_;
  std::vector<Route> cuts_;
  std::map<Hash256, std::string> labels_;
  std::set<Hash256> invalid_blocks_;
  // (signer, type, height, view) -> hash, for every vote any node sent; a second hash from an
  // honest node is a safety violation printed in the transcript.
  std::map<std::tuple<size_t, MessageType, uint64_t, uint64_t>, Hash256> votes_seen_;
  bool show_records_ = false;
  std::ostringstream output_;
};

std::string Cluster::run(const std::string& command, const Args& args) {
  output_.str("");
  if (command == "cluster") {
    setup(args);
  } else if (command == "tick") {
    for (size_t index : nodes(args.at(0))) {
      nodes_[index].now_ms = std::stoull(args.at(1));
      step(index, Tick{nodes_[index].now_ms});
    }
  } else if (command == "deliver") {
    deliver(route(args.empty() || args[0] == "all" ? "*->*" : args[0]));
  } else if (command == "drop") {
    Route filter = route(args.at(0));
    std::erase_if(queue_, [&](const InFlight& m) { return filter.matches(m.from, m.to); });
  } else if (command == "cut") {
    cuts_.push_back(route(args.at(0)));
  } else if (command == "heal") {
    cuts_.clear();
  } else if (command == "crash") {
    size_t index = nodes(args.at(0)).at(0);
    nodes_[index].engine.reset();
    std::erase_if(queue_, [&](const InFlight& m) { return m.to == index; });
  } else if (command == "crash-at-send") {
    nodes_[nodes(args.at(0)).at(0)].crash_at_send = true;
  } else if (command == "restart") {
    start(nodes(args.at(0)).at(0));
  } else if (command == "propose-invalid") {
    nodes_[nodes(args.at(0)).at(0)].propose_invalid = true;
  } else if (command == "equivocate") {
    nodes_[nodes(args.at(0)).at(0)].equivocate = true;
  } else if (command == "forge-pre-prepare") {
    forge_pre_prepare(nodes(args.at(0)).at(0), nodes(args.at(1)).at(0));
  } else if (command == "inject") {
    inject(nodes(args.at(0)).at(0), args.at(1));
  } else if (command == "status") {
    for (size_t index : nodes(args.empty() ? "all" : args[0]))
      print_status(index);
  } else if (command == "chain") {
    for (size_t index : nodes(args.empty() ? "all" : args[0]))
      print_chain(index);
  } else if (command == "records") {
    size_t index = nodes(args.at(0)).at(0);
    RecordKeys keys("pbft/");
    for (const auto& [key, value] : nodes_[index].disk)
      out(name(index) + ": " + relabel(describe_record(keys, Record{key, value})));
  } else if (command == "check") {
    check();
  } else {
    ADD_FAILURE() << "unknown command " << command;
  }
  return output_.str();
}

void Cluster::setup(const Args& args) {
  size_t n = 4;
  std::vector<uint64_t> powers;
  genesis_ = chain::Genesis{};
  genesis_.chain_id = "synod-scenario";
  genesis_.consensus.block_interval_ms = 100;
  genesis_.consensus.round_timeout_ms = 1000;
  for (const std::string& arg : args) {
    auto eq = arg.find('=');
    std::string key = arg.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (key == "n") n = std::stoul(value);
    if (key == "powers") {
      for (const std::string& power : split(value, ','))
        powers.push_back(std::stoull(power));
    }
    if (key == "interval") genesis_.consensus.block_interval_ms = std::stoull(value);
    if (key == "timeout") genesis_.consensus.round_timeout_ms = std::stoull(value);
    if (key == "records") show_records_ = true;
  }
  nodes_.clear();
  nodes_.resize(n);
  queue_.clear();
  cuts_.clear();
  votes_seen_.clear();
  std::vector<chain::Validator> validators;
  for (size_t i = 0; i < n; ++i) {
    nodes_[i].key = key_for(static_cast<uint8_t>(i + 1));
    validators.push_back({nodes_[i].key->public_key(), powers.empty() ? 1 : powers.at(i), name(i)});
  }
  genesis_.validators = chain::ValidatorSet::create(validators).value();
  for (size_t i = 0; i < n; ++i)
    start(i);
}

std::vector<size_t> Cluster::nodes(const std::string& spec) const {
  std::vector<size_t> out;
  if (spec == "all" || spec == "*") {
    for (size_t i = 0; i < nodes_.size(); ++i)
      out.push_back(i);
    return out;
  }
  for (const std::string& item : split(spec, ','))
    out.push_back(std::stoul(item));
  return out;
}

Route Cluster::route(const std::string& spec) const {
  auto arrow = spec.find("->");
  std::string from = spec.substr(0, arrow);
  std::string to = spec.substr(arrow + 2);
  Route out;
  if (from != "*") out.from = std::stoul(from);
  if (to != "*") out.to = std::stoul(to);
  return out;
}

size_t Cluster::node_of(const PeerId& key) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].key->public_key() == key) return i;
  }
  return nodes_.size();
}

std::string Cluster::label(const Hash256& hash) const {
  auto it = labels_.find(hash);
  return it == labels_.end() ? to_hex(ByteView(hash.data.data(), 4)) : it->second;
}

// describe_message and describe_record print 8 hex digits of a hash; show our block names.
std::string Cluster::relabel(std::string text) const {
  for (const auto& [hash, name] : labels_) {
    std::string hex = to_hex(ByteView(hash.data.data(), 4));
    for (size_t at = text.find(hex); at != std::string::npos; at = text.find(hex))
      text.replace(at, hex.size(), name);
  }
  return text;
}

void Cluster::start(size_t index) {
  Node& node = nodes_[index];
  EngineConfig config;
  config.genesis = genesis_;
  config.validators = genesis_.validators;
  config.signing_key = node.key;
  if (!node.chain.empty()) {
    const Commit& last = node.chain.back();
    config.tip = ChainTip{last.block.height(), last.block.hash(), last.block.header.time_ms,
                          last.certificate};
  }
  for (const auto& [key, value] : node.disk)
    config.records.push_back({key, value});
  config.now_ms = node.now_ms;
  auto engine = PbftEngine::create(std::move(config));
  if (!engine.is_ok()) {
    out(name(index) + ": restart failed: " + engine.status().to_string());
    return;
  }
  node.engine = std::move(engine).value();
  process(index);
}

void Cluster::step(size_t index, const Event& event) {
  if (!nodes_[index].engine) return;
  nodes_[index].engine->step(event);
  process(index);
}

// The driver loop of engine.h: records, messages, commits, answers, then advance().
void Cluster::process(size_t index) {
  Node& node = nodes_[index];
  while (node.engine && node.engine->has_ready()) {
    Ready ready = node.engine->ready();
    RecordKeys keys("pbft/");
    for (Record& record : ready.records) {
      if (show_records_) {
        out(name(index) + ": persist " + relabel(describe_record(keys, record)));
      }
      node.disk[record.key] = std::move(record.value);
    }
    if (node.crash_at_send && !ready.messages.empty()) {
      out(name(index) + ": crash before sending " + std::to_string(ready.messages.size()) +
          " messages");
      node.crash_at_send = false;
      node.engine.reset();
      return;
    }
    for (const OutMessage& message : ready.messages)
      send(index, message);
    for (Commit& commit : ready.commits) {
      std::string signers;
      for (const chain::CommitSignature& entry : commit.certificate.signatures)
        signers += (signers.empty() ? "" : ",") + std::to_string(entry.validator_index);
      out(name(index) + ": commit h=" + std::to_string(commit.block.height()) + " " +
          label(commit.block.hash()) + " cert=v" + std::to_string(commit.certificate.round) +
          " signers=" + signers);
      node.chain.push_back(std::move(commit));
    }
    for (const Evidence& evidence : ready.evidence) {
      out(name(index) + ": evidence " + evidence.kind + " by " + name(node_of(evidence.offender)) +
          " h=" + std::to_string(evidence.height) + " v=" + std::to_string(evidence.round));
    }
    std::vector<Event> answers;
    if (ready.proposal_request) {
      chain::Block block = make_block(*ready.proposal_request, node.propose_invalid);
      node.propose_invalid = false;
      out(name(index) + ": propose h=" + std::to_string(block.height()) + " " +
          label(block.hash()) + (invalid_blocks_.contains(block.hash()) ? " (invalid)" : ""));
      answers.push_back(Proposal{std::move(block)});
    }
    for (const chain::Block& block : ready.validation_requests) {
      bool valid = app_accepts(index, block);
      out(name(index) + ": validate " + label(block.hash()) + (valid ? " ok" : " rejected"));
      answers.push_back(Verdict{block.hash(), block.height(), valid, valid ? "" : "test rule"});
    }
    node.engine->advance();
    for (const Event& answer : answers) {
      if (node.engine) node.engine->step(answer);
    }
  }
}

void Cluster::send(size_t from, const OutMessage& message) {
  auto decoded = decode_message(message.payload);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  std::string target = message.to ? name(node_of(*message.to)) : "*";
  out(name(from) + " -> " + target + ": " + relabel(describe_message(*decoded)));
  watch_votes(from, message.payload);
  if (const auto* pre_prepare = std::get_if<PrePrepare>(&*decoded);
      pre_prepare && !message.to && nodes_[from].equivocate) {
    equivocate(from, *pre_prepare);
    return;
  }
  for (size_t to = 0; to < nodes_.size(); ++to) {
    if (to == from || (message.to && node_of(*message.to) != to)) continue;
    enqueue(from, to, message.payload);
  }
}

void Cluster::enqueue(size_t from, size_t to, Bytes payload) {
  for (const Route& cut : cuts_) {
    if (cut.matches(from, to)) return;
  }
  queue_.push_back({from, to, std::move(payload)});
}

// A byzantine primary: the first half of the others get the real pre-prepare, the rest a
// different valid block for the same (height, view), signed with the same key; the last of the
// first half gets both.
void Cluster::equivocate(size_t from, const PrePrepare& original) {
  PrePrepare other = original;
  other.block = make_block(original.block.header, false);
  Message signed_other = other;
  sign_message(signed_other, genesis_.chain_id, *nodes_[from].key);
  Bytes other_payload = encode_message(signed_other);
  out(name(from) + " equivocates: " + relabel(describe_message(signed_other)));
  size_t half = (nodes_.size() - 1) / 2;
  size_t sent = 0;
  std::optional<size_t> last_of_first_half;
  for (size_t to = 0; to < nodes_.size(); ++to) {
    if (to == from) continue;
    if (sent++ < half) last_of_first_half = to;
    enqueue(from, to, sent <= half ? encode_message(original) : other_payload);
  }
  // The last of the first half sees both, and should keep them as evidence.
  if (last_of_first_half) enqueue(from, *last_of_first_half, other_payload);
}

// What a byzantine primary could send a replica that just restarted: a second block for the
// (height, view) the replica is in, valid by every header rule.
void Cluster::forge_pre_prepare(size_t primary, size_t to) {
  const Node& target = nodes_[to];
  EngineStatus status = target.engine->status();
  chain::BlockHeader header;
  header.chain_id = genesis_.chain_id;
  header.height = status.height;
  if (!target.chain.empty()) {
    const Commit& last = target.chain.back();
    header.previous_hash = last.block.hash();
    header.last_commit = last.certificate;
  }
  header.time_ms =
      std::max(target.now_ms, target.chain.empty() ? genesis_.genesis_time_ms + 1
                                                   : target.chain.back().block.header.time_ms + 1);
  header.proposer = nodes_[primary].key->public_key();
  header.validator_set_hash = genesis_.validators.hash();
  Writer view;
  view.u64(status.round);
  header.engine_data = view.take();
  Message forged = PrePrepare{status.height, status.round, make_block(header, false), {}};
  sign_message(forged, genesis_.chain_id, *nodes_[primary].key);
  out(name(primary) + " forges for " + name(to) + ": " + relabel(describe_message(forged)));
  queue_.push_back({primary, to, encode_message(forged)});
}

void Cluster::watch_votes(size_t from, const Bytes& payload) {
  auto decoded = decode_message(payload);
  if (!decoded.is_ok()) return;
  std::optional<std::tuple<size_t, MessageType, uint64_t, uint64_t>> key;
  Hash256 hash;
  if (const auto* vote = std::get_if<Vote>(&*decoded)) {
    key = {from, vote->type, vote->height, vote->view};
    hash = vote->block_hash;
  } else if (const auto* pre_prepare = std::get_if<PrePrepare>(&*decoded)) {
    key = {from, MessageType::kPrePrepare, pre_prepare->height, pre_prepare->view};
    hash = pre_prepare->block.hash();
  }
  if (!key) return;
  auto [it, inserted] = votes_seen_.try_emplace(*key, hash);
  if (!inserted && it->second != hash && !nodes_[from].equivocate) {
    out("SAFETY VIOLATION: " + name(from) +
        " signed two blocks: " + relabel(describe_message(*decoded)));
  }
}

// Labels each block B1, B2, ... in order of creation; the state root is what tells them apart.
chain::Block Cluster::make_block(chain::BlockHeader header, bool invalid) {
  std::string name = "B" + std::to_string(labels_.size() + 1);
  chain::Block block;
  block.header = std::move(header);
  block.header.transaction_count = 0;
  block.header.transactions_root = block.compute_transactions_root();
  block.header.state_root = crypto::tagged_hash("test/state", as_bytes(name));
  labels_[block.hash()] = name;
  if (invalid) invalid_blocks_.insert(block.hash());
  return block;
}

bool Cluster::app_accepts(size_t index, const chain::Block& block) const {
  const Node& node = nodes_[index];
  Hash256 tip = node.chain.empty() ? Hash256{} : node.chain.back().block.hash();
  return !invalid_blocks_.contains(block.hash()) && block.header.previous_hash == tip;
}

void Cluster::deliver(const Route& filter) {
  for (size_t delivered = 0; delivered < 100'000; ++delivered) {
    auto it = std::find_if(queue_.begin(), queue_.end(),
                           [&](const InFlight& m) { return filter.matches(m.from, m.to); });
    if (it == queue_.end()) return;
    InFlight message = std::move(*it);
    queue_.erase(it);
    step(message.to, PeerMessage{nodes_[message.from].key->public_key(), message.payload});
  }
  ADD_FAILURE() << "deliver did not settle";
}

void Cluster::inject(size_t to, const std::string& kind) {
  uint64_t height = nodes_[to].engine ? nodes_[to].engine->status().height : 1;
  Message vote = Vote{MessageType::kPrepare, height, 0, crypto::sha256(as_bytes(kind)), {}};
  Bytes payload;
  if (kind == "garbage") {
    payload = {0xff, 0x01, 0x02};
  } else if (kind == "oversized") {
    payload.assign(kMessageBytesMax + 1, 0);
  } else if (kind == "non-validator") {
    sign_message(vote, genesis_.chain_id, *key_for(200));
    payload = encode_message(vote);
  } else if (kind == "bad-signature") {
    sign_message(vote, genesis_.chain_id, *nodes_[(to + 1) % nodes_.size()].key);
    std::get<Vote>(vote).sig.signature.data[0] ^= 1;
    payload = encode_message(vote);
  } else if (kind == "far-future") {
    std::get<Vote>(vote).height = height + 10;
    sign_message(vote, genesis_.chain_id, *nodes_[(to + 1) % nodes_.size()].key);
    payload = encode_message(vote);
  } else {
    ADD_FAILURE() << "unknown injection " << kind;
    return;
  }
  // Validator-signed injections arrive over that validator's link, the rest over a stranger's.
  PeerId from = kind == "bad-signature" || kind == "far-future"
                    ? nodes_[(to + 1) % nodes_.size()].key->public_key()
                    : key_for(200)->public_key();
  step(to, PeerMessage{from, std::move(payload)});
}

void Cluster::print_status(size_t index) {
  const Node& node = nodes_[index];
  if (!node.engine) {
    out(name(index) + ": crashed");
    return;
  }
  EngineStatus status = node.engine->status();
  const DropCounters& drops = node.engine->drop_counters();
  std::string line = name(index) + ": h=" + std::to_string(status.height) +
                     " v=" + std::to_string(status.round) + " " + status.role +
                     " leader=" + name(node_of(*status.leader)) +
                     " view_changes=" + std::to_string(status.view_changes) +
                     " dropped=" + std::to_string(status.messages_dropped);
  for (const auto& [counter, value] :
       {std::pair{"malformed", drops.malformed}, std::pair{"bad_signature", drops.bad_signature},
        std::pair{"not_validator", drops.not_validator},
        std::pair{"out_of_window", drops.out_of_window}, std::pair{"oversized", drops.oversized}}) {
    if (value > 0) line += " " + std::string(counter) + "=" + std::to_string(value);
  }
  out(line);
}

void Cluster::print_chain(size_t index) {
  std::string line = name(index) + ":";
  for (const Commit& commit : nodes_[index].chain)
    line += " " + label(commit.block.hash());
  out(line);
}

// Agreement (no two nodes commit different blocks at one height), chaining, and certificates
// that verify against the validator set.
void Cluster::check() {
  std::map<uint64_t, Hash256> decided;
  bool ok = true;
  for (size_t index = 0; index < nodes_.size(); ++index) {
    Hash256 previous;
    for (const Commit& commit : nodes_[index].chain) {
      Hash256 hash = commit.block.hash();
      auto [it, inserted] = decided.try_emplace(commit.block.height(), hash);
      if (!inserted && it->second != hash) {
        out("DISAGREEMENT at h=" + std::to_string(commit.block.height()));
        ok = false;
      }
      Status certificate = commit.certificate.verify(genesis_.chain_id, genesis_.validators);
      if (!certificate.is_ok() || commit.certificate.block_hash != hash ||
          commit.block.header.previous_hash != previous) {
        out(name(index) + ": bad commit at h=" + std::to_string(commit.block.height()));
        ok = false;
      }
      previous = hash;
    }
  }
  if (ok) out("ok: agreement on " + std::to_string(decided.size()) + " heights");
}

// ---- The transcript files ----

struct Case {
  std::vector<std::string> before;  // comments and blank lines above the command
  std::string command_line;
  std::string expected;
};

std::vector<Case> parse_file(const std::string& path, std::vector<std::string>& trailer) {
  std::ifstream file(path);
  std::vector<Case> cases;
  std::vector<std::string> before;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') {
      before.push_back(line);
      continue;
    }
    Case c;
    c.before = std::move(before);
    before.clear();
    c.command_line = line;
    if (!std::getline(file, line) || line != "----") {
      ADD_FAILURE() << path << ": expected ---- after " << c.command_line;
      return cases;
    }
    while (std::getline(file, line) && !line.empty())
      c.expected += line + "\n";
    cases.push_back(std::move(c));
  }
  trailer = std::move(before);
  return cases;
}

std::string testdata_dir() {
  return std::string(SYNOD_SOURCE_DIR) + "/src/consensus/pbft/testdata";
}

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(testdata_dir())) {
    if (entry.path().extension() == ".txt") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class Scenario : public testing::TestWithParam<std::string> {};

TEST_P(Scenario, Transcript) {
  std::string path = testdata_dir() + "/" + GetParam() + ".txt";
  std::vector<std::string> trailer;
  std::vector<Case> cases = parse_file(path, trailer);
  ASSERT_FALSE(cases.empty()) << path;
  const char* rewrite_env = std::getenv("SYNOD_REWRITE");
  bool rewrite = rewrite_env != nullptr && std::string(rewrite_env) == "1";
  Cluster cluster;
  std::ostringstream rewritten;
  for (const Case& c : cases) {
    std::vector<std::string> words = split(c.command_line, ' ');
    std::string command = words.front();
    Args args(words.begin() + 1, words.end());
    std::string actual = cluster.run(command, args);
    if (!rewrite) {
      EXPECT_EQ(c.expected, actual) << path << ": " << c.command_line;
    }
    for (const std::string& line : c.before)
      rewritten << line << "\n";
    rewritten << c.command_line << "\n----\n" << actual << "\n";
  }
  if (rewrite) {
    for (const std::string& line : trailer)
      rewritten << line << "\n";
    std::string text = rewritten.str();
    while (text.size() >= 2 && text.substr(text.size() - 2) == "\n\n")
      text.pop_back();
    std::ofstream(path) << text;
  }
}

INSTANTIATE_TEST_SUITE_P(Pbft, Scenario, testing::ValuesIn(scenario_names()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace synod::consensus::pbft
