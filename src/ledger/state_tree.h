// The authenticated state tree: a sparse Merkle tree over 256-bit keys with path compression. The
// hashing is Diem's sparse Merkle tree (as in the Jellyfish Merkle Tree paper, Gao et al. 2021);
// the nodes are stored as a crit-bit tree (D. J. Bernstein), one inner node per split. The ledger
// puts one entry per account: key = a Hash256 of the account address, value_hash = the Hash256 of
// the account's canonical encoding. The root commits to the whole set; a proof shows one key's
// value, or its absence, against the root alone.
//
// HASHING (all hashes are SHA-256, written H; `||` is concatenation; the bits of a key are read
// most significant first, so bit i is (key[i / 8] >> (7 - i % 8)) & 1, and bit 0 picks the side
// at the root: 0 is left, 1 is right). The hash of the set S of (key, value_hash) entries whose
// keys share the first d bits (the subtree at depth d) is:
//
//   hash(S, d) = EMPTY                                     if S is empty
//              = H(0x00 || key || value_hash)              if S = {(key, value_hash)}
//              = H(0x01 || hash(S0, d + 1) || hash(S1, d + 1))   otherwise,
//
// where S0 and S1 are the entries of S whose bit d is 0 and 1, and EMPTY is 32 zero bytes. The
// state root is hash(all entries, 0). Each H input is exactly 65 bytes; the domain byte keeps a
// leaf from posing as an inner node. A subtree holding one entry hashes as that entry's leaf at
// whatever depth it sits, so a leaf's depth is one more than the longest prefix it shares with
// another key (about log2(n)), not 256. The root depends only on the set, never on the order or
// batching of the changes that produced it.
//
// PROOFS. A StateProof for key K holds `siblings` and a terminal `leaf`. With n = siblings.size()
// (at most 256), siblings[i] is hash(., i + 1) of the subtree whose path is K's first i bits
// followed by the complement of K's bit i. The terminal is the subtree at depth n on K's path:
// either EMPTY (no `leaf`) or a single leaf. A verifier computes the terminal hash h (EMPTY or the
// leaf hash), then for i = n - 1 down to 0: h = H(0x01 || h || siblings[i]) when K's bit i is 0,
// H(0x01 || siblings[i] || h) when it is 1; and accepts when h == root and:
//   inclusion of (K, V):  the leaf is present with key K and value_hash V;
//   non-inclusion of K:   there is no leaf, or the leaf's key differs from K and shares at least
//                         K's first n bits (a different key occupies K's path).
//
// THREADS. A StateTree is not thread-safe: mutation needs exclusive access. `get`, `size`,
// `prove` and `hash_count` are const and may run concurrently with each other while nobody
// mutates. `root()` updates cached hashes and so counts as a mutation. Free functions are pure.
#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/codec.h"

namespace synod::ledger {

// The hash of an empty subtree (and so the root of an empty tree): 32 zero bytes.
inline constexpr Hash256 kStateEmptyHash{};

// H(0x00 || key || value_hash).
Hash256 state_leaf_hash(const Hash256& key, const Hash256& value_hash);
// H(0x01 || left || right).
Hash256 state_node_hash(const Hash256& left, const Hash256& right);

struct StateLeaf {
  Hash256 key;
  Hash256 value_hash;

  friend bool operator==(const StateLeaf&, const StateLeaf&) = default;
};

// Inclusion or non-inclusion proof for one key; see PROOFS above. Encoding: u32 sibling count
// (at most kSiblingsMax), the siblings (32 bytes each, from the root down), a boolean for the
// leaf, then the leaf's key and value_hash (32 bytes each) when present.
struct StateProof {
  static constexpr size_t kSiblingsMax = 256;

  std::vector<Hash256> siblings;
  std::optional<StateLeaf> leaf;

  void encode(Writer& writer) const;
  static StateProof decode_from(Reader& reader);

  friend bool operator==(const StateProof&, const StateProof&) = default;
};

// True when `proof` shows, against `root` alone, that `key` maps to `*value_hash` (inclusion) or,
// when `value_hash` is nullopt, that `key` is absent. Checks untrusted input; never asserts.
bool verify_state_proof(const Hash256& root, const Hash256& key,
                        const std::optional<Hash256>& value_hash, const StateProof& proof);

// One change for StateTree::apply: a put, or an erase when value_hash is nullopt.
struct StateChange {
  Hash256 key;
  std::optional<Hash256> value_hash;
};

// The tree. Changes apply at once to the entries (`get` and `size` see them) and mark the paths
// they touch dirty; `root()` rehashes only the dirty paths, so a batch of k changes over n entries
// costs about k * log2(n) hashes however it is interleaved. Memory is about 140 bytes per entry:
// a 64-byte leaf (key, value_hash) and a 76-byte inner node (two child indices, the split bit,
// dirty bits, two child hashes), kept in pools indexed by 32 bits. Copying is a deep O(n)
// copy; the ledger reverts a block by putting back the old values, which restores the old root
// exactly.
class StateTree {
 public:
  // Bounds the pools' 31-bit indices; far above any ledger this node will hold in memory.
  static constexpr uint32_t kEntriesMax = uint32_t{1} << 30;

  StateTree() = default;

  // Sets key's value_hash, inserting the key when absent. Asserts size() < kEntriesMax on insert.
  void put(const Hash256& key, const Hash256& value_hash);
  // Removes key; does nothing when it is absent.
  void erase(const Hash256& key);
  // The same as put/erase of each change in order, but faster for large batches: it walks the
  // paths of several keys at once so that their cache misses overlap.
  void apply(std::span<const StateChange> changes);

  std::optional<Hash256> get(const Hash256& key) const;
  size_t size() const { return size_; }

  // The root hash after all changes so far; rehashes the dirty paths, bottom up.
  Hash256 root();
  // True when changes since the last root() are not yet hashed.
  bool has_pending_changes() const { return root_dirty_; }

  // A proof for key against root(). Asserts !has_pending_changes(): call root() first.
  StateProof prove(const Hash256& key) const;

  // SHA-256 computations done by root() so far; lets tests and benchmarks see the work done.
  uint64_t hash_count() const { return hash_count_; }
  // Bytes of node storage handed out (in use or free for reuse) plus bookkeeping.
  size_t memory_bytes() const;

 private:
  // A reference to a node: kNone, a leaf (kLeafTag set) or an inner node (index below kLeafTag).
  using NodeRef = uint32_t;
  static constexpr NodeRef kNone = 0xffffffff;
  static constexpr NodeRef kLeafTag = 0x80000000;

  struct Leaf {
    Hash256 key;
    Hash256 value_hash;
  };
  // An inner node where the keys below first differ: at bit `split_bit`, child[0] holds those
  // with a 0 there, child[1] those with a 1; both are non-empty. child_hash[i] is hash(child i's
  // subtree, split_bit + 1), valid unless bit i of `dirty` is set.
  struct Inner {
    NodeRef child[2];  // first, so a lookup reads one cache line
    uint8_t split_bit;
    uint8_t dirty;
    Hash256 child_hash[2];
  };

  // Node storage addressed by 32-bit index. Chunk c holds kFirstChunk << c nodes, so growth never
  // moves or copies a node and the index math is a bit scan. Chunks start uninitialised; a slot is
  // written when it is handed out.
  template <typename T>
  class Pool {
   public:
    Pool() = default;
    Pool(const Pool& other);
    Pool& operator=(const Pool& other);
    Pool(Pool&&) noexcept = default;
    Pool& operator=(Pool&&) noexcept = default;

    uint32_t allocate();
    void release(uint32_t index) { free_.push_back(index); }
    T& operator[](uint32_t index) { return *locate(index); }
    const T& operator[](uint32_t index) const { return *locate(index); }
    size_t memory_bytes() const;

   private:
    static constexpr unsigned kFirstChunkShift = 10;
    static constexpr uint32_t kFirstChunk = uint32_t{1} << kFirstChunkShift;
    struct Free {
      void operator()(T* chunk) const;
    };
    static size_t chunk_size(size_t chunk) { return size_t{kFirstChunk} << chunk; }
    T* locate(uint32_t index) const {
      uint32_t shifted = index + kFirstChunk;
      unsigned top = static_cast<unsigned>(std::bit_width(shifted)) - 1;
      return chunks_[top - kFirstChunkShift].get() + (shifted - (uint32_t{1} << top));
    }

    std::vector<std::unique_ptr<T[], Free>> chunks_;
    std::vector<uint32_t> free_;
    uint32_t used_ = 0;
    uint32_t capacity_ = 0;
  };

  // How many paths apply() walks together; enough to keep the memory system busy.
  static constexpr size_t kApplyGroup = 16;

  static bool is_leaf(NodeRef ref) { return (ref & kLeafTag) != 0; }
  Leaf& leaf(NodeRef ref) { return leaves_[ref & ~kLeafTag]; }
  const Leaf& leaf(NodeRef ref) const { return leaves_[ref & ~kLeafTag]; }

  // Starts loading a node into the cache. Always inlined: GCC deems a function whose only effect
  // is a prefetch pure, and drops the calls.
  [[gnu::always_inline]] void prefetch(NodeRef ref) const {
    if (is_leaf(ref)) {
      __builtin_prefetch(&leaf(ref));
    } else {
      // An inner node is 76 bytes, so it may straddle two cache lines.
      const auto* bytes = reinterpret_cast<const char*>(&inners_[ref]);
      __builtin_prefetch(bytes);
      __builtin_prefetch(bytes + sizeof(Inner) - 1);
    }
  }

  NodeRef new_leaf(const Hash256& key, const Hash256& value_hash);
  // The leaf reached by following key's bits from the root (the root must not be kNone).
  NodeRef closest_leaf(const Hash256& key) const;
  // Marks dirty every inner node on key's path, and the root.
  void mark_path(const Hash256& key);
  void insert(const Hash256& key, const Hash256& value_hash, unsigned split_bit);
  // Some key stored under ref; every key under an inner node shares its skipped bits.
  const Hash256& any_key(NodeRef ref) const;
  // Loads the nodes on the paths of `changes` (at most kApplyGroup) into the cache, one level of
  // every path per round. Always inlined, as prefetch() is.
  [[gnu::always_inline]] void warm_paths(std::span<const StateChange> changes) const;
  // Rehashing work for root(): one dirty node found breadth first, so that the loads of a whole
  // level are in flight together, then hashed in reverse, children before parents.
  struct DirtyNode {
    NodeRef ref;
    uint32_t parent;         // index in dirty_nodes_, or kNone for the root
    uint16_t depth_top;      // the depth at which this subtree's hash is wanted
    uint8_t direction;       // which child of the parent this is
    const Hash256* witness;  // some key below, reported by a dirty child, or nullptr
  };
  // The scratch capacity root() keeps between calls (3 MiB): enough for blocks of ~10,000 changes.
  static constexpr size_t kDirtyNodesKeptMax = size_t{1} << 17;
  // How many places ahead in dirty_nodes_ root() prefetches.
  static constexpr size_t kPrefetchDistance = 8;
  void collect_dirty_nodes();
  void hash_dirty_nodes();

  Pool<Leaf> leaves_;
  Pool<Inner> inners_;
  NodeRef root_ = kNone;
  Hash256 root_hash_ = kStateEmptyHash;
  bool root_dirty_ = false;
  size_t size_ = 0;
  uint64_t hash_count_ = 0;
  std::vector<DirtyNode> dirty_nodes_;  // empty outside root(); capacity kept up to a bound
};

}  // namespace synod::ledger
