#include "ledger/state_tree.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "crypto/hash.h"

namespace synod::ledger {

namespace {

constexpr unsigned kKeyBits = 256;
constexpr uint8_t kLeafDomain = 0x00;
constexpr uint8_t kNodeDomain = 0x01;

// Bit `index` of key, most significant first (see HASHING in the header).
unsigned key_bit(const Hash256& key, unsigned index) {
  return (key.data[index >> 3] >> (7 - (index & 7))) & 1u;
}

// The first bit where a and b differ, or kKeyBits when they are equal.
unsigned first_difference(const Hash256& a, const Hash256& b) {
  for (unsigned i = 0; i < Hash256::kSize; ++i) {
    uint8_t diff = a.data[i] ^ b.data[i];
    if (diff != 0) return i * 8 + static_cast<unsigned>(std::countl_zero(diff));
  }
  return kKeyBits;
}

Hash256 hash_65(uint8_t domain, const Hash256& first, const Hash256& second) {
  uint8_t input[1 + 2 * Hash256::kSize];
  input[0] = domain;
  std::memcpy(input + 1, first.data.data(), Hash256::kSize);
  std::memcpy(input + 1 + Hash256::kSize, second.data.data(), Hash256::kSize);
  return crypto::sha256(ByteView(input, sizeof(input)));
}

// `hash` is the hash of a subtree at depth `depth_from` whose keys all follow `key` above it; the
// levels between depth_top and depth_from hold nothing else, so each pairs it with EMPTY.
Hash256 lift(Hash256 hash, const Hash256& key, unsigned depth_from, unsigned depth_top) {
  for (unsigned depth = depth_from; depth-- > depth_top;) {
    hash = key_bit(key, depth) == 0 ? state_node_hash(hash, kStateEmptyHash)
                                    : state_node_hash(kStateEmptyHash, hash);
  }
  return hash;
}

}  // namespace

Hash256 state_leaf_hash(const Hash256& key, const Hash256& value_hash) {
  return hash_65(kLeafDomain, key, value_hash);
}

Hash256 state_node_hash(const Hash256& left, const Hash256& right) {
  return hash_65(kNodeDomain, left, right);
}

void StateProof::encode(Writer& writer) const {
  SYNOD_ASSERT(siblings.size() <= kSiblingsMax);
  writer.list_size(siblings.size());
  for (const Hash256& sibling : siblings)
    writer.fixed(sibling);
  writer.boolean(leaf.has_value());
  if (leaf) {
    writer.fixed(leaf->key);
    writer.fixed(leaf->value_hash);
  }
}

StateProof StateProof::decode_from(Reader& reader) {
  StateProof proof;
  size_t count = reader.list_size(kSiblingsMax, Hash256::kSize);
  proof.siblings.reserve(count);
  for (size_t i = 0; i < count; ++i)
    proof.siblings.push_back(reader.fixed<Hash256::kSize>());
  if (reader.boolean()) {
    // Braced initialisers evaluate left to right: key, then value_hash.
    proof.leaf = StateLeaf{reader.fixed<Hash256::kSize>(), reader.fixed<Hash256::kSize>()};
  }
  return proof;
}

bool verify_state_proof(const Hash256& root, const Hash256& key,
                        const std::optional<Hash256>& value_hash, const StateProof& proof) {
  size_t depth = proof.siblings.size();
  if (depth > StateProof::kSiblingsMax) return false;
  Hash256 hash = kStateEmptyHash;
  if (value_hash) {
    if (!proof.leaf || proof.leaf->key != key || proof.leaf->value_hash != *value_hash) {
      return false;
    }
    hash = state_leaf_hash(key, *value_hash);
  } else if (proof.leaf) {
    // Another key on key's path: it must differ from key and share its first `depth` bits.
    if (proof.leaf->key == key || first_difference(proof.leaf->key, key) < depth) return false;
    hash = state_leaf_hash(proof.leaf->key, proof.leaf->value_hash);
  }
  for (size_t i = depth; i-- > 0;) {
    unsigned bit = key_bit(key, static_cast<unsigned>(i));
    hash = bit == 0 ? state_node_hash(hash, proof.siblings[i])
                    : state_node_hash(proof.siblings[i], hash);
  }
  return hash == root;
}

namespace {

// Uninitialised storage; nodes are trivially copyable and written before use. Cache-line aligned,
// so that each 64-byte leaf is exactly one line.
void* allocate_chunk(size_t bytes) {
  constexpr size_t kCacheLineBytes = 64;
  void* memory = std::aligned_alloc(
      kCacheLineBytes, (bytes + kCacheLineBytes - 1) / kCacheLineBytes * kCacheLineBytes);
  SYNOD_ASSERT(memory != nullptr);
  return memory;
}

}  // namespace

template <typename T>
void StateTree::Pool<T>::Free::operator()(T* chunk) const {
  std::free(chunk);
}

template <typename T>
StateTree::Pool<T>::Pool(const Pool& other) {
  *this = other;
}

template <typename T>
StateTree::Pool<T>& StateTree::Pool<T>::operator=(const Pool& other) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (this == &other) return *this;
  chunks_.clear();
  for (size_t chunk = 0; chunk < other.chunks_.size(); ++chunk) {
    size_t start = chunk_size(chunk) - kFirstChunk;
    size_t count = std::min<size_t>(chunk_size(chunk), other.used_ - start);
    chunks_.emplace_back(static_cast<T*>(allocate_chunk(chunk_size(chunk) * sizeof(T))));
    std::memcpy(chunks_.back().get(), other.chunks_[chunk].get(), count * sizeof(T));
  }
  free_ = other.free_;
  used_ = other.used_;
  capacity_ = other.capacity_;
  return *this;
}

template <typename T>
uint32_t StateTree::Pool<T>::allocate() {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
  if (!free_.empty()) {
    uint32_t index = free_.back();
    free_.pop_back();
    return index;
  }
  if (used_ == capacity_) {
    size_t count = chunk_size(chunks_.size());
    chunks_.emplace_back(static_cast<T*>(allocate_chunk(count * sizeof(T))));
    capacity_ += static_cast<uint32_t>(count);
  }
  return used_++;
}

template <typename T>
size_t StateTree::Pool<T>::memory_bytes() const {
  return size_t{used_} * sizeof(T) + free_.capacity() * sizeof(uint32_t) +
         chunks_.capacity() * sizeof(chunks_[0]);
}

template class StateTree::Pool<StateTree::Leaf>;
template class StateTree::Pool<StateTree::Inner>;

size_t StateTree::memory_bytes() const {
  return leaves_.memory_bytes() + inners_.memory_bytes() +
         dirty_nodes_.capacity() * sizeof(DirtyNode);
}

StateTree::NodeRef StateTree::new_leaf(const Hash256& key, const Hash256& value_hash) {
  SYNOD_ASSERT(size_ < kEntriesMax);
  uint32_t index = leaves_.allocate();
  leaves_[index] = Leaf{key, value_hash};
  ++size_;
  return index | kLeafTag;
}

StateTree::NodeRef StateTree::closest_leaf(const Hash256& key) const {
  SYNOD_ASSERT(root_ != kNone);
  NodeRef ref = root_;
  while (!is_leaf(ref)) {
    const Inner& inner = inners_[ref];
    ref = inner.child[key_bit(key, inner.split_bit)];
  }
  return ref;
}

const Hash256& StateTree::any_key(NodeRef ref) const {
  while (!is_leaf(ref))
    ref = inners_[ref].child[0];
  return leaf(ref).key;
}

std::optional<Hash256> StateTree::get(const Hash256& key) const {
  if (root_ == kNone) return std::nullopt;
  const Leaf& found = leaf(closest_leaf(key));
  if (found.key != key) return std::nullopt;
  return found.value_hash;
}

void StateTree::mark_path(const Hash256& key) {
  root_dirty_ = true;
  NodeRef ref = root_;
  while (!is_leaf(ref)) {
    Inner& inner = inners_[ref];
    unsigned direction = key_bit(key, inner.split_bit);
    inner.dirty |= static_cast<uint8_t>(1u << direction);
    ref = inner.child[direction];
  }
}

void StateTree::put(const Hash256& key, const Hash256& value_hash) {
  if (root_ == kNone) {
    root_ = new_leaf(key, value_hash);
    root_dirty_ = true;
    return;
  }
  Leaf& closest = leaf(closest_leaf(key));
  unsigned split_bit = first_difference(key, closest.key);
  if (split_bit < kKeyBits) {
    insert(key, value_hash, split_bit);
    return;
  }
  if (closest.value_hash == value_hash) return;
  closest.value_hash = value_hash;
  mark_path(key);
}

// Adds an inner node splitting at `split_bit` (where key first differs from the tree) above the
// first node on key's path that splits lower down, with the new leaf on one side and that node's
// subtree on the other.
void StateTree::insert(const Hash256& key, const Hash256& value_hash, unsigned split_bit) {
  NodeRef new_ref = new_leaf(key, value_hash);
  uint32_t new_inner = inners_.allocate();
  // The slot to fill, and whether the hash cached for it was valid before this change.
  NodeRef* slot = &root_;
  const Hash256* slot_hash = &root_hash_;
  bool slot_was_clean = !root_dirty_;
  root_dirty_ = true;
  while (!is_leaf(*slot) && inners_[*slot].split_bit < split_bit) {
    Inner& inner = inners_[*slot];
    unsigned direction = key_bit(key, inner.split_bit);
    slot_was_clean = ((inner.dirty >> direction) & 1u) == 0;
    inner.dirty |= static_cast<uint8_t>(1u << direction);
    slot = &inner.child[direction];
    slot_hash = &inner.child_hash[direction];
  }
  NodeRef displaced = *slot;
  unsigned direction = key_bit(key, split_bit);
  Inner& inner = inners_[new_inner];
  inner.split_bit = static_cast<uint8_t>(split_bit);
  inner.child[direction] = new_ref;
  inner.child[1 - direction] = displaced;
  inner.dirty = static_cast<uint8_t>(1u << direction);
  // The displaced subtree now starts one level below split_bit. A leaf hashes the same at any
  // depth, so a clean leaf keeps its hash; an inner node must be lifted again.
  if (is_leaf(displaced) && slot_was_clean) {
    inner.child_hash[1 - direction] = *slot_hash;
  } else {
    inner.dirty |= static_cast<uint8_t>(1u << (1 - direction));
  }
  *slot = new_inner;
}

void StateTree::erase(const Hash256& key) {
  if (root_ == kNone) return;
  NodeRef target = closest_leaf(key);
  if (leaf(target).key != key) return;
  leaves_.release(target & ~kLeafTag);
  --size_;
  if (target == root_) {
    root_ = kNone;
    root_hash_ = kStateEmptyHash;
    root_dirty_ = false;
    return;
  }
  // Walk to the leaf's parent, marking the path above it; the leaf's sibling takes its place.
  Inner* grandparent = nullptr;
  unsigned grandparent_direction = 0;
  NodeRef parent_ref = root_;
  for (;;) {
    Inner& inner = inners_[parent_ref];
    unsigned direction = key_bit(key, inner.split_bit);
    if (inner.child[direction] == target) break;
    inner.dirty |= static_cast<uint8_t>(1u << direction);
    grandparent = &inner;
    grandparent_direction = direction;
    parent_ref = inner.child[direction];
  }
  Inner& parent = inners_[parent_ref];
  unsigned sibling_direction = 1 - key_bit(key, parent.split_bit);
  NodeRef sibling = parent.child[sibling_direction];
  // The sibling moves up; as in insert(), only a clean leaf keeps its cached hash.
  bool sibling_hash_valid = is_leaf(sibling) && ((parent.dirty >> sibling_direction) & 1u) == 0;
  const Hash256& sibling_hash = parent.child_hash[sibling_direction];
  if (grandparent == nullptr) {
    root_ = sibling;
    root_dirty_ = !sibling_hash_valid;
    if (sibling_hash_valid) root_hash_ = sibling_hash;
  } else {
    root_dirty_ = true;
    grandparent->child[grandparent_direction] = sibling;
    uint8_t bit = static_cast<uint8_t>(1u << grandparent_direction);
    if (sibling_hash_valid) {
      grandparent->child_hash[grandparent_direction] = sibling_hash;
      grandparent->dirty &= static_cast<uint8_t>(~bit);
    } else {
      grandparent->dirty |= bit;
    }
  }
  inners_.release(parent_ref);
}

void StateTree::apply(std::span<const StateChange> changes) {
  for (size_t begin = 0; begin < changes.size(); begin += kApplyGroup) {
    std::span<const StateChange> group =
        changes.subspan(begin, std::min(kApplyGroup, changes.size() - begin));
    warm_paths(group);
    for (const StateChange& change : group) {
      if (change.value_hash) {
        put(change.key, *change.value_hash);
      } else {
        erase(change.key);
      }
    }
  }
}

inline void StateTree::warm_paths(std::span<const StateChange> changes) const {
  SYNOD_ASSERT(changes.size() <= kApplyGroup);
  if (root_ == kNone) return;
  NodeRef refs[kApplyGroup];
  std::fill(refs, refs + changes.size(), root_);
  for (bool descending = true; descending;) {
    descending = false;
    for (size_t i = 0; i < changes.size(); ++i) {
      if (is_leaf(refs[i])) continue;
      const Inner& inner = inners_[refs[i]];
      refs[i] = inner.child[key_bit(changes[i].key, inner.split_bit)];
      prefetch(refs[i]);
      descending = true;
    }
  }
}

Hash256 StateTree::root() {
  if (!root_dirty_) return root_hash_;
  SYNOD_ASSERT(root_ != kNone);
  collect_dirty_nodes();
  hash_dirty_nodes();
  // Keep the scratch space a block's worth of changes needs; give back what a bulk load took.
  if (dirty_nodes_.capacity() > kDirtyNodesKeptMax) {
    dirty_nodes_ = std::vector<DirtyNode>();  // not `= {}`, which keeps the capacity
  } else {
    dirty_nodes_.clear();
  }
  root_dirty_ = false;
  return root_hash_;
}

void StateTree::collect_dirty_nodes() {
  SYNOD_ASSERT(dirty_nodes_.empty());
  dirty_nodes_.push_back(DirtyNode{root_, kNone, 0, 0, nullptr});
  for (size_t i = 0; i < dirty_nodes_.size(); ++i) {
    // Nodes queued a few places ahead, rather than every child as it is queued: a whole level
    // of prefetches at once would overflow the memory system's queue and be dropped.
    if (i + kPrefetchDistance < dirty_nodes_.size()) {
      prefetch(dirty_nodes_[i + kPrefetchDistance].ref);
    }
    NodeRef ref = dirty_nodes_[i].ref;
    if (is_leaf(ref)) continue;
    const Inner& inner = inners_[ref];
    for (uint8_t direction = 0; direction < 2; ++direction) {
      if (((inner.dirty >> direction) & 1u) == 0) continue;
      NodeRef child = inner.child[direction];
      dirty_nodes_.push_back(DirtyNode{child, static_cast<uint32_t>(i),
                                       static_cast<uint16_t>(inner.split_bit + 1u), direction,
                                       nullptr});
    }
  }
}

void StateTree::hash_dirty_nodes() {
  for (size_t i = dirty_nodes_.size(); i-- > 0;) {
    if (i >= kPrefetchDistance) {
      const DirtyNode& ahead = dirty_nodes_[i - kPrefetchDistance];
      prefetch(ahead.ref);
      if (ahead.parent != kNone) {
        __builtin_prefetch(&inners_[dirty_nodes_[ahead.parent].ref].child_hash[ahead.direction], 1);
      }
    }
    DirtyNode& node = dirty_nodes_[i];
    Hash256 hash;
    const Hash256* witness = node.witness;
    if (is_leaf(node.ref)) {
      const Leaf& entry = leaf(node.ref);
      hash = state_leaf_hash(entry.key, entry.value_hash);
      witness = &entry.key;
      ++hash_count_;
    } else {
      // Its dirty children came later in breadth-first order, so they are hashed already.
      Inner& inner = inners_[node.ref];
      inner.dirty = 0;
      hash = state_node_hash(inner.child_hash[0], inner.child_hash[1]);
      ++hash_count_;
      if (inner.split_bit > node.depth_top) {
        if (witness == nullptr) witness = &any_key(node.ref);
        hash = lift(hash, *witness, inner.split_bit, node.depth_top);
        hash_count_ += inner.split_bit - node.depth_top;
      }
    }
    if (node.parent == kNone) {
      root_hash_ = hash;
    } else {
      DirtyNode& parent = dirty_nodes_[node.parent];
      inners_[parent.ref].child_hash[node.direction] = hash;
      if (witness != nullptr) parent.witness = witness;
    }
  }
}

StateProof StateTree::prove(const Hash256& key) const {
  SYNOD_ASSERT(!root_dirty_);
  StateProof proof;
  if (root_ == kNone) return proof;
  // The closest leaf lies under every inner node on key's path, and key leaves the tree's paths
  // at the first bit where the two differ.
  const Hash256& closest_key = leaf(closest_leaf(key)).key;
  unsigned leave_bit = first_difference(key, closest_key);
  NodeRef ref = root_;
  unsigned depth = 0;
  while (!is_leaf(ref)) {
    const Inner& inner = inners_[ref];
    if (inner.split_bit > leave_bit) {
      // Key's side at leave_bit is empty; the sibling there is this whole subtree.
      proof.siblings.insert(proof.siblings.end(), leave_bit - depth, kStateEmptyHash);
      Hash256 own = state_node_hash(inner.child_hash[0], inner.child_hash[1]);
      proof.siblings.push_back(lift(own, closest_key, inner.split_bit, leave_bit + 1));
      return proof;
    }
    proof.siblings.insert(proof.siblings.end(), inner.split_bit - depth, kStateEmptyHash);
    unsigned direction = key_bit(key, inner.split_bit);
    proof.siblings.push_back(inner.child_hash[1 - direction]);
    ref = inner.child[direction];
    depth = inner.split_bit + 1u;
  }
  proof.leaf = StateLeaf{leaf(ref).key, leaf(ref).value_hash};
  return proof;
}

}  // namespace synod::ledger
