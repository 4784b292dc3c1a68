#include "ledger/state_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "crypto/hash.h"

namespace synod::ledger {
namespace {

using Entries = std::map<Hash256, Hash256>;

Hash256 random_hash(std::mt19937_64& random) {
  Hash256 out;
  for (size_t i = 0; i < Hash256::kSize; i += 8) {
    uint64_t word = random();
    for (size_t j = 0; j < 8; ++j)
      out.data[i + j] = static_cast<uint8_t>(word >> (8 * j));
  }
  return out;
}

// A key of all zeros except `byte` at `index`.
Hash256 key_with(size_t index, uint8_t byte) {
  Hash256 out;
  out.data[index] = byte;
  return out;
}

Hash256 filled(uint8_t byte) {
  Hash256 out;
  out.data.fill(byte);
  return out;
}

unsigned bit_of(const Hash256& key, unsigned index) {
  return (key.data[index / 8] >> (7 - index % 8)) & 1u;
}

// hash(S, d) exactly as the header's HASHING section writes it, over entries sorted by key.
Hash256 reference_hash(std::vector<std::pair<Hash256, Hash256>>::const_iterator begin,
                       std::vector<std::pair<Hash256, Hash256>>::const_iterator end,
                       unsigned depth) {
  if (begin == end) return kStateEmptyHash;
  if (end - begin == 1) return state_leaf_hash(begin->first, begin->second);
  auto middle = std::partition_point(
      begin, end, [&](const auto& entry) { return bit_of(entry.first, depth) == 0; });
  return state_node_hash(reference_hash(begin, middle, depth + 1),
                         reference_hash(middle, end, depth + 1));
}

Hash256 reference_root(const Entries& entries) {
  std::vector<std::pair<Hash256, Hash256>> sorted(entries.begin(), entries.end());
  return reference_hash(sorted.begin(), sorted.end(), 0);
}

Entries random_entries(std::mt19937_64& random, size_t count) {
  Entries out;
  while (out.size() < count)
    out.emplace(random_hash(random), random_hash(random));
  return out;
}

StateTree tree_of(const Entries& entries) {
  StateTree tree;
  for (const auto& [key, value] : entries)
    tree.put(key, value);
  return tree;
}

TEST(StateTree, EmptyTree) {
  StateTree tree;
  EXPECT_EQ(tree.root(), kStateEmptyHash);
  EXPECT_TRUE(tree.root().is_zero());
  EXPECT_EQ(tree.size(), 0u);
  Hash256 key = filled(7);
  EXPECT_EQ(tree.get(key), std::nullopt);
  tree.erase(key);
  EXPECT_EQ(tree.root(), kStateEmptyHash);
  StateProof proof = tree.prove(key);
  EXPECT_TRUE(proof.siblings.empty());
  EXPECT_FALSE(proof.leaf.has_value());
  EXPECT_TRUE(verify_state_proof(kStateEmptyHash, key, std::nullopt, proof));
  EXPECT_FALSE(verify_state_proof(kStateEmptyHash, key, filled(1), proof));
}

TEST(StateTree, HashFunctionsAreTheDocumentedSha256Inputs) {
  Hash256 key = filled(0xaa);
  Hash256 value = filled(0xbb);
  Bytes leaf_input{0x00};
  leaf_input.insert(leaf_input.end(), key.begin(), key.end());
  leaf_input.insert(leaf_input.end(), value.begin(), value.end());
  EXPECT_EQ(state_leaf_hash(key, value), crypto::sha256(leaf_input));
  Bytes node_input{0x01};
  node_input.insert(node_input.end(), key.begin(), key.end());
  node_input.insert(node_input.end(), value.begin(), value.end());
  EXPECT_EQ(state_node_hash(key, value), crypto::sha256(node_input));
}

// Known answers computed independently from the header's spec (Python hashlib). Keys 0x00..00
// and 0x00..01 share 255 bits, so their proofs carry the full 256 siblings.
TEST(StateTree, KnownAnswers) {
  StateTree tree;
  tree.put(Hash256{}, filled(1));
  EXPECT_EQ(tree.root().hex(), "4fbcd862232fc131a874fd29d738e5d318318d799b44da38ac397fc3e2f89d5f");
  tree.put(key_with(0, 0x80), filled(2));
  tree.put(key_with(0, 0x40), filled(3));
  EXPECT_EQ(tree.root().hex(), "b0283125d322fa4b4b10e5f3e3d5de7752100ad20740db537f4e58c7ebb26282");
  tree.put(key_with(31, 0x01), filled(4));
  Hash256 root = tree.root();
  EXPECT_EQ(root.hex(), "1808bbd99c17c001fdcb9f96e0df5693f1422d1c54f10713a927ea98511872cb");
  StateProof deepest = tree.prove(Hash256{});
  EXPECT_EQ(deepest.siblings.size(), StateProof::kSiblingsMax);
  EXPECT_TRUE(verify_state_proof(root, Hash256{}, filled(1), deepest));
  EXPECT_TRUE(verify_state_proof(root, key_with(31, 0x01), filled(4), tree.prove(key_with(31, 1))));
  // An absent key that leaves the deep path half way down.
  Hash256 absent = key_with(16, 0x01);
  StateProof proof = tree.prove(absent);
  EXPECT_FALSE(proof.leaf.has_value());
  EXPECT_EQ(proof.siblings.size(), 16u * 8 + 8);
  EXPECT_TRUE(verify_state_proof(root, absent, std::nullopt, proof));
}

TEST(StateTree, MatchesReferenceForAllSmallSizes) {
  std::mt19937_64 random(1);
  for (size_t count = 0; count <= 40; ++count) {
    Entries entries = random_entries(random, count);
    StateTree tree = tree_of(entries);
    EXPECT_EQ(tree.size(), count);
    EXPECT_EQ(tree.root(), reference_root(entries)) << count;
  }
}

TEST(StateTree, RootIsIndependentOfOrderAndBatching) {
  std::mt19937_64 random(2);
  Entries entries = random_entries(random, 600);
  Hash256 expected = reference_root(entries);
  std::vector<std::pair<Hash256, Hash256>> order(entries.begin(), entries.end());
  for (int round = 0; round < 6; ++round) {
    std::shuffle(order.begin(), order.end(), random);
    StateTree tree;
    for (const auto& [key, value] : order) {
      tree.put(key, value);
      if (random() % 37 == 0) tree.root();  // hash part-way through, at random points
    }
    EXPECT_EQ(tree.root(), expected) << round;
  }
}

TEST(StateTree, RootChangesOnAnyValueChangeAndComesBack) {
  std::mt19937_64 random(3);
  Entries entries = random_entries(random, 200);
  StateTree tree = tree_of(entries);
  Hash256 original = tree.root();
  for (const auto& [key, value] : entries) {
    Hash256 changed = value;
    changed.data[31] ^= 1;
    tree.put(key, changed);
    EXPECT_NE(tree.root(), original);
    EXPECT_EQ(tree.get(key), changed);
    tree.put(key, value);
    EXPECT_EQ(tree.root(), original);
  }
  // Putting an unchanged value leaves nothing to rehash.
  uint64_t hashes_before = tree.hash_count();
  tree.put(entries.begin()->first, entries.begin()->second);
  EXPECT_FALSE(tree.has_pending_changes());
  EXPECT_EQ(tree.root(), original);
  EXPECT_EQ(tree.hash_count(), hashes_before);
}

TEST(StateTree, RootRehashesOnlyTheDirtyPath) {
  std::mt19937_64 random(4);
  Entries entries = random_entries(random, 4096);
  StateTree tree = tree_of(entries);
  tree.root();
  for (int i = 0; i < 20; ++i) {
    auto entry = entries.begin();
    std::advance(entry, static_cast<long>(random() % entries.size()));
    tree.put(entry->first, random_hash(random));
    uint64_t hashes_before = tree.hash_count();
    tree.root();
    // One leaf hash plus one node hash per level above the leaf, which is the proof's length.
    EXPECT_EQ(tree.hash_count() - hashes_before, tree.prove(entry->first).siblings.size() + 1);
  }
}

TEST(StateTree, EraseRehashesOnlyThePathAboveTheMovedSibling) {
  std::mt19937_64 random(13);
  Entries entries = random_entries(random, 2048);
  StateTree tree = tree_of(entries);
  tree.root();
  size_t checked = 0;
  for (int i = 0; i < 200; ++i) {
    auto entry = entries.begin();
    std::advance(entry, static_cast<long>(random() % entries.size()));
    Hash256 key = entry->first;
    entries.erase(entry);
    tree.erase(key);
    uint64_t hashes_before = tree.hash_count();
    tree.root();
    StateProof absence = tree.prove(key);
    // When the erased leaf's sibling was a leaf, it moved up unchanged and ends key's path now:
    // only the levels above it are rehashed.
    if (absence.leaf) {
      EXPECT_EQ(tree.hash_count() - hashes_before, absence.siblings.size());
      ++checked;
    }
  }
  EXPECT_GT(checked, 50u);
}

TEST(StateTree, EraseEverythingGivesTheEmptyRoot) {
  std::mt19937_64 random(5);
  Entries entries = random_entries(random, 500);
  StateTree tree = tree_of(entries);
  tree.root();
  std::vector<Hash256> keys;
  for (const auto& entry : entries)
    keys.push_back(entry.first);
  std::shuffle(keys.begin(), keys.end(), random);
  for (const Hash256& key : keys) {
    tree.erase(key);
    entries.erase(key);
    EXPECT_EQ(tree.get(key), std::nullopt);
    if (random() % 23 == 0) {
      EXPECT_EQ(tree.root(), reference_root(entries));
    }
  }
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.root(), kStateEmptyHash);
  // The emptied tree is reusable.
  tree.put(filled(1), filled(2));
  EXPECT_EQ(tree.root(), state_leaf_hash(filled(1), filled(2)));
}

TEST(StateTree, CollapsingToOneEntryGivesItsLeafHash) {
  Hash256 a = key_with(0, 0x01);
  Hash256 b = key_with(0, 0x81);
  Hash256 c = key_with(31, 0x01);  // shares 254 bits with a
  for (const Hash256& other : {b, c}) {
    StateTree tree;
    tree.put(a, filled(1));
    tree.put(other, filled(2));
    tree.root();
    tree.erase(other);
    EXPECT_EQ(tree.root(), state_leaf_hash(a, filled(1)));
    // The same, with the changes not yet hashed when the tree collapses.
    tree.put(other, filled(2));
    tree.put(a, filled(3));
    tree.erase(other);
    EXPECT_EQ(tree.root(), state_leaf_hash(a, filled(3)));
    tree.put(other, filled(2));
    tree.erase(a);
    EXPECT_EQ(tree.root(), state_leaf_hash(other, filled(2)));
  }
}

TEST(StateTree, EraseOfAbsentKeyChangesNothing) {
  std::mt19937_64 random(6);
  StateTree tree = tree_of(random_entries(random, 50));
  Hash256 root = tree.root();
  tree.erase(random_hash(random));
  EXPECT_FALSE(tree.has_pending_changes());
  EXPECT_EQ(tree.size(), 50u);
  EXPECT_EQ(tree.root(), root);
}

// The ledger reverts a block by putting back the old values and erasing what the block created.
TEST(StateTree, RevertRestoresTheRootExactly) {
  std::mt19937_64 random(7);
  Entries before = random_entries(random, 1000);
  StateTree tree = tree_of(before);
  Hash256 root_before = tree.root();
  for (int block = 0; block < 5; ++block) {
    std::vector<std::pair<Hash256, std::optional<Hash256>>> undo;  // key, old value
    auto entry = before.begin();
    for (int change = 0; change < 60; ++change) {
      for (uint64_t step = random() % 10; step > 0; --step) {
        if (++entry == before.end()) entry = before.begin();
      }
      if (undo.size() % 3 == 0) {
        tree.erase(entry->first);
      } else {
        tree.put(entry->first, random_hash(random));
      }
      undo.emplace_back(entry->first, entry->second);
      Hash256 created = random_hash(random);
      tree.put(created, random_hash(random));
      undo.emplace_back(created, std::nullopt);
    }
    EXPECT_NE(tree.root(), root_before);
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
      if (it->second) {
        tree.put(it->first, *it->second);
      } else {
        tree.erase(it->first);
      }
    }
    EXPECT_EQ(tree.size(), before.size());
    EXPECT_EQ(tree.root(), root_before) << block;
  }
}

TEST(StateTree, RandomOperationsMatchAMap) {
  std::mt19937_64 random(8);
  StateTree tree;
  Entries model;
  std::vector<Hash256> known;
  for (int step = 0; step < 4000; ++step) {
    uint64_t choice = random() % 10;
    Hash256 key =
        known.empty() || choice < 4 ? random_hash(random) : known[random() % known.size()];
    if (choice < 7) {
      Hash256 value = random_hash(random);
      tree.put(key, value);
      if (model.insert_or_assign(key, value).second) known.push_back(key);
    } else {
      tree.erase(key);
      model.erase(key);
    }
    ASSERT_EQ(tree.size(), model.size());
    auto found = model.find(key);
    ASSERT_EQ(tree.get(key), found == model.end() ? std::nullopt : std::optional(found->second));
    if (step % 97 == 0) {
      ASSERT_EQ(tree.root(), reference_root(model)) << step;
    }
  }
  EXPECT_EQ(tree.root(), reference_root(model));
}

TEST(StateTree, ApplyEqualsPutAndEraseInOrder) {
  std::mt19937_64 random(12);
  StateTree batched;
  StateTree one_by_one;
  std::vector<Hash256> known;
  for (size_t batch_size : {0, 1, 5, 16, 17, 40, 300, 1000}) {
    std::vector<StateChange> changes;
    for (size_t i = 0; i < batch_size; ++i) {
      // Reuse keys often, so that batches put, overwrite and erase the same key.
      Hash256 key =
          known.empty() || random() % 3 == 0 ? random_hash(random) : known[random() % known.size()];
      known.push_back(key);
      std::optional<Hash256> value;
      if (random() % 4 != 0) value = random_hash(random);
      changes.push_back(StateChange{key, value});
    }
    batched.apply(changes);
    for (const StateChange& change : changes) {
      if (change.value_hash) {
        one_by_one.put(change.key, *change.value_hash);
      } else {
        one_by_one.erase(change.key);
      }
    }
    ASSERT_EQ(batched.size(), one_by_one.size()) << batch_size;
    ASSERT_EQ(batched.root(), one_by_one.root()) << batch_size;
    for (const Hash256& key : known)
      ASSERT_EQ(batched.get(key), one_by_one.get(key));
  }
  EXPECT_GT(batched.size(), 300u);
}

TEST(StateTree, CopyIsIndependent) {
  std::mt19937_64 random(9);
  StateTree tree = tree_of(random_entries(random, 100));
  Hash256 root = tree.root();
  StateTree copy = tree;
  copy.put(random_hash(random), random_hash(random));
  EXPECT_NE(copy.root(), root);
  EXPECT_EQ(tree.root(), root);
  EXPECT_EQ(tree.size(), 100u);
}

TEST(StateTree, MemoryPerEntryIsBounded) {
  std::mt19937_64 random(10);
  StateTree tree;
  constexpr size_t kCount = 1 << 17;
  for (size_t i = 0; i < kCount; ++i)
    tree.put(random_hash(random), random_hash(random));
  EXPECT_LT(tree.memory_bytes() / kCount, 150u);
  // Hashing a bulk load does not leave its scratch space behind.
  tree.root();
  EXPECT_LT(tree.memory_bytes() / kCount, 150u);
}

class StateProofTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 random(11);
    entries_ = random_entries(random, 300);
    // Keys that share long prefixes, to force long compressed paths.
    entries_.emplace(key_with(20, 0x10), filled(1));
    entries_.emplace(key_with(20, 0x11), filled(2));
    tree_ = tree_of(entries_);
    root_ = tree_.root();
    for (int i = 0; i < 300; ++i)
      absent_.push_back(random_hash(random));
    absent_.push_back(key_with(20, 0x12));  // on the deep path, between the two above
    absent_.push_back(key_with(20, 0x13));
    absent_.push_back(Hash256{});
  }

  Entries entries_;
  StateTree tree_;
  Hash256 root_;
  std::vector<Hash256> absent_;
};

TEST_F(StateProofTest, InclusionProofsVerify) {
  for (const auto& [key, value] : entries_) {
    StateProof proof = tree_.prove(key);
    ASSERT_TRUE(proof.leaf.has_value());
    EXPECT_TRUE(verify_state_proof(root_, key, value, proof));
    EXPECT_FALSE(verify_state_proof(root_, key, std::nullopt, proof));
  }
}

TEST_F(StateProofTest, NonInclusionProofsVerifyBothKinds) {
  size_t ending_empty = 0;
  size_t ending_at_other_leaf = 0;
  for (const Hash256& key : absent_) {
    StateProof proof = tree_.prove(key);
    EXPECT_TRUE(verify_state_proof(root_, key, std::nullopt, proof));
    EXPECT_FALSE(verify_state_proof(root_, key, filled(1), proof));
    if (proof.leaf) {
      ++ending_at_other_leaf;
      // The other leaf is no proof that key holds that leaf's value.
      EXPECT_FALSE(verify_state_proof(root_, key, proof.leaf->value_hash, proof));
    } else {
      ++ending_empty;
    }
  }
  EXPECT_GT(ending_empty, 0u);
  EXPECT_GT(ending_at_other_leaf, 0u);
}

TEST_F(StateProofTest, TamperedProofsFail) {
  auto entry = entries_.begin();
  std::advance(entry, 17);
  const Hash256& key = entry->first;
  const Hash256& value = entry->second;
  StateProof proof = tree_.prove(key);
  ASSERT_TRUE(verify_state_proof(root_, key, value, proof));

  Hash256 wrong_value = value;
  wrong_value.data[0] ^= 1;
  EXPECT_FALSE(verify_state_proof(root_, key, wrong_value, proof));
  EXPECT_FALSE(verify_state_proof(root_, std::next(entry)->first, value, proof));
  Hash256 wrong_root = root_;
  wrong_root.data[5] ^= 1;
  EXPECT_FALSE(verify_state_proof(wrong_root, key, value, proof));

  StateProof truncated = proof;
  truncated.siblings.pop_back();
  EXPECT_FALSE(verify_state_proof(root_, key, value, truncated));
  truncated = proof;
  truncated.siblings.erase(truncated.siblings.begin());
  EXPECT_FALSE(verify_state_proof(root_, key, value, truncated));
  StateProof extended = proof;
  extended.siblings.push_back(kStateEmptyHash);
  EXPECT_FALSE(verify_state_proof(root_, key, value, extended));
  for (size_t i = 0; i < proof.siblings.size(); ++i) {
    StateProof flipped = proof;
    flipped.siblings[i].data[i % 32] ^= 0x80;
    EXPECT_FALSE(verify_state_proof(root_, key, value, flipped)) << i;
  }
  StateProof no_leaf = proof;
  no_leaf.leaf.reset();
  EXPECT_FALSE(verify_state_proof(root_, key, value, no_leaf));
  EXPECT_FALSE(verify_state_proof(root_, key, std::nullopt, no_leaf));
}

TEST_F(StateProofTest, TamperedNonInclusionProofsFail) {
  for (const Hash256& key : absent_) {
    StateProof proof = tree_.prove(key);
    if (!proof.siblings.empty()) {
      StateProof truncated = proof;
      truncated.siblings.pop_back();
      EXPECT_FALSE(verify_state_proof(root_, key, std::nullopt, truncated));
    }
    Hash256 wrong_root = root_;
    wrong_root.data[0] ^= 1;
    EXPECT_FALSE(verify_state_proof(wrong_root, key, std::nullopt, proof));
  }
  // A present key's inclusion proof, replayed as absence of a key elsewhere, fails: that leaf
  // does not share the other key's path.
  const Hash256& present = entries_.begin()->first;
  StateProof proof = tree_.prove(present);
  Hash256 elsewhere = present;
  elsewhere.data[0] ^= 0x80;
  EXPECT_FALSE(verify_state_proof(root_, elsewhere, std::nullopt, proof));
  // An inclusion proof cannot be turned into a non-inclusion proof of the same key.
  EXPECT_FALSE(verify_state_proof(root_, present, std::nullopt, proof));
  // Over 256 siblings is rejected outright.
  StateProof oversized;
  oversized.siblings.assign(StateProof::kSiblingsMax + 1, kStateEmptyHash);
  EXPECT_FALSE(verify_state_proof(root_, present, std::nullopt, oversized));
}

// Defence in depth: a terminal leaf must lie on the key's path, even under a root that was not
// built by a StateTree (here, one that puts a left-hand key on the right).
TEST(StateProof, RejectsATerminalLeafOffTheKeysPath) {
  Hash256 left_key = key_with(0, 0x01);  // bit 0 is 0
  Hash256 value = filled(9);
  Hash256 crooked_root = state_node_hash(kStateEmptyHash, state_leaf_hash(left_key, value));
  Hash256 right_key = key_with(0, 0x81);  // bit 0 is 1
  StateProof proof;
  proof.siblings.push_back(kStateEmptyHash);
  proof.leaf = StateLeaf{left_key, value};
  EXPECT_FALSE(verify_state_proof(crooked_root, right_key, std::nullopt, proof));
  // The same shape with the leaf on its own side verifies.
  Hash256 straight_root = state_node_hash(state_leaf_hash(left_key, value), kStateEmptyHash);
  Hash256 other_left_key = key_with(0, 0x02);
  EXPECT_TRUE(verify_state_proof(straight_root, other_left_key, std::nullopt, proof));
}

TEST_F(StateProofTest, ProofsTrackChanges) {
  auto entry = entries_.begin();
  Hash256 key = entry->first;
  tree_.erase(key);
  Hash256 root_after = tree_.root();
  StateProof absence = tree_.prove(key);
  EXPECT_TRUE(verify_state_proof(root_after, key, std::nullopt, absence));
  EXPECT_FALSE(verify_state_proof(root_, key, std::nullopt, absence));
  tree_.put(key, entry->second);
  EXPECT_EQ(tree_.root(), root_);
  EXPECT_TRUE(verify_state_proof(root_, key, entry->second, tree_.prove(key)));
}

TEST_F(StateProofTest, CodecRoundTrip) {
  for (const Hash256& key : {entries_.begin()->first, absent_.front(), absent_.back()}) {
    StateProof proof = tree_.prove(key);
    Bytes encoded = encode(proof);
    EXPECT_EQ(encoded.size(), 4 + 32 * proof.siblings.size() + 1 + (proof.leaf ? 64 : 0));
    auto decoded = decode<StateProof>(encoded);
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, proof);
    EXPECT_EQ(encode(*decoded), encoded);
  }
  auto empty = decode<StateProof>(encode(StateProof{}));
  ASSERT_TRUE(empty.is_ok());
  EXPECT_EQ(*empty, StateProof{});
}

TEST_F(StateProofTest, CodecRejectsMalformedInput) {
  Bytes encoded = encode(tree_.prove(entries_.begin()->first));
  for (size_t size = 0; size < encoded.size(); ++size) {
    auto decoded = decode<StateProof>(ByteView(encoded.data(), size));
    ASSERT_FALSE(decoded.is_ok()) << size;
    EXPECT_EQ(decoded.status().code(), Code::kCorrupt);
  }
  Bytes trailing = encoded;
  trailing.push_back(0);
  EXPECT_FALSE(decode<StateProof>(trailing).is_ok());
  // The leaf flag is a strict boolean.
  Bytes bad_flag = encoded;
  bad_flag[encoded.size() - 65] = 2;
  EXPECT_FALSE(decode<StateProof>(bad_flag).is_ok());
  // A sibling count over 256 is rejected before reading on, even with the bytes present.
  Writer over_limit;
  over_limit.list_size(StateProof::kSiblingsMax + 1);
  for (size_t i = 0; i <= StateProof::kSiblingsMax; ++i)
    over_limit.fixed(kStateEmptyHash);
  over_limit.boolean(false);
  auto over = decode<StateProof>(over_limit.buffer());
  ASSERT_FALSE(over.is_ok());
  EXPECT_NE(over.status().message().find("limit"), std::string::npos);
  // A count the input cannot hold is rejected without allocating for it.
  Writer too_long;
  too_long.list_size(200);
  too_long.boolean(false);
  EXPECT_FALSE(decode<StateProof>(too_long.buffer()).is_ok());
  // Exactly 256 siblings is accepted.
  Writer at_limit;
  at_limit.list_size(StateProof::kSiblingsMax);
  for (size_t i = 0; i < StateProof::kSiblingsMax; ++i)
    at_limit.fixed(kStateEmptyHash);
  at_limit.boolean(false);
  EXPECT_TRUE(decode<StateProof>(at_limit.buffer()).is_ok());
}

}  // namespace
}  // namespace synod::ledger
