#include "wallet/bip39.h"

#include <sodium.h>

#include <algorithm>
#include <vector>

#include "crypto/hash.h"

namespace synod::wallet {
namespace {

constexpr size_t kEntropyBytesNew = 32;
constexpr size_t kBitsPerWord = 11;

// Bit `index` of `bytes`, most significant bit of each byte first.
bool bit_at(ByteView bytes, size_t index) {
  return (bytes[index / 8] >> (7 - index % 8)) & 1;
}

// Splits on ASCII whitespace, lower-casing each word.
std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      if (!current.empty()) words.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

// The index of `word` in the sorted list, or -1.
int word_index(std::string_view word) {
  auto it = std::lower_bound(kBip39EnglishWords.begin(), kBip39EnglishWords.end(), word);
  if (it == kBip39EnglishWords.end() || *it != word) return -1;
  return static_cast<int>(it - kBip39EnglishWords.begin());
}

// BIP-39 English words are unique in their first four letters, so a typo after them still names
// one word.
std::string suggestion_for(std::string_view word) {
  if (word.size() < 4) return "";
  std::string_view prefix = word.substr(0, 4);
  auto it = std::lower_bound(kBip39EnglishWords.begin(), kBip39EnglishWords.end(), prefix);
  if (it == kBip39EnglishWords.end() || !it->starts_with(prefix)) return "";
  return " (did you mean '" + std::string(*it) + "'?)";
}

Status check_word_count(size_t count) {
  if (count >= kMnemonicWordsMin && count <= kMnemonicWordsMax && count % 3 == 0) {
    return Status::ok();
  }
  return error(Code::kInvalidArgument,
               "a mnemonic has 12, 15, 18, 21 or 24 words; this one has " + std::to_string(count));
}

// Packs 11-bit word indices into entropy and checks the trailing checksum bits.
Result<Bytes> unpack_indices(const std::vector<int>& indices) {
  size_t total_bits = indices.size() * kBitsPerWord;
  size_t checksum_bits = total_bits / 33;
  size_t entropy_bytes = (total_bits - checksum_bits) / 8;
  Bytes packed((total_bits + 7) / 8, 0);
  for (size_t i = 0; i < indices.size(); ++i) {
    for (size_t b = 0; b < kBitsPerWord; ++b) {
      if ((indices[i] >> (kBitsPerWord - 1 - b)) & 1) {
        size_t bit = i * kBitsPerWord + b;
        packed[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
      }
    }
  }
  Bytes entropy(packed.begin(), packed.begin() + static_cast<ptrdiff_t>(entropy_bytes));
  Hash256 digest = crypto::sha256(entropy);
  for (size_t b = 0; b < checksum_bits; ++b) {
    if (bit_at(digest.view(), b) != bit_at(packed, entropy_bytes * 8 + b)) {
      sodium_memzero(packed.data(), packed.size());
      sodium_memzero(entropy.data(), entropy.size());
      return error(Code::kInvalidArgument,
                   "the mnemonic's checksum does not match: a word is wrong, missing, or out of "
                   "order");
    }
  }
  sodium_memzero(packed.data(), packed.size());
  return entropy;
}

Result<std::vector<int>> word_indices(const std::vector<std::string>& words) {
  std::vector<int> indices;
  indices.reserve(words.size());
  for (size_t i = 0; i < words.size(); ++i) {
    int index = word_index(words[i]);
    if (index < 0) {
      return error(Code::kInvalidArgument, "word " + std::to_string(i + 1) + " '" + words[i] +
                                               "' is not in the BIP-39 English wordlist" +
                                               suggestion_for(words[i]));
    }
    indices.push_back(index);
  }
  return indices;
}

Result<std::vector<std::string>> checked_words(std::string_view mnemonic) {
  if (mnemonic.size() > kMnemonicBytesMax) {
    return error(Code::kInvalidArgument, "the mnemonic is longer than " +
                                             std::to_string(kMnemonicBytesMax) + " characters");
  }
  std::vector<std::string> words = split_words(mnemonic);
  SYNOD_TRY(check_word_count(words.size()));
  return words;
}

}  // namespace

std::string entropy_to_mnemonic(ByteView entropy) {
  SYNOD_ASSERT(entropy.size() >= 16 && entropy.size() <= 32 && entropy.size() % 4 == 0);
  Hash256 digest = crypto::sha256(entropy);
  size_t entropy_bits = entropy.size() * 8;
  size_t total_bits = entropy_bits + entropy_bits / 32;
  std::string out;
  for (size_t word = 0; word < total_bits / kBitsPerWord; ++word) {
    size_t index = 0;
    for (size_t b = 0; b < kBitsPerWord; ++b) {
      size_t bit = word * kBitsPerWord + b;
      bool set =
          bit < entropy_bits ? bit_at(entropy, bit) : bit_at(digest.view(), bit - entropy_bits);
      index = (index << 1) | (set ? 1 : 0);
    }
    if (!out.empty()) out.push_back(' ');
    out += kBip39EnglishWords[index];
  }
  return out;
}

std::string generate_mnemonic() {
  std::array<uint8_t, kEntropyBytesNew> entropy;
  crypto::random_bytes(entropy);
  std::string mnemonic = entropy_to_mnemonic(entropy);
  sodium_memzero(entropy.data(), entropy.size());
  return mnemonic;
}

Result<Bytes> mnemonic_to_entropy(std::string_view mnemonic) {
  SYNOD_ASSIGN_OR_RETURN(std::vector<std::string> words, checked_words(mnemonic));
  SYNOD_ASSIGN_OR_RETURN(std::vector<int> indices, word_indices(words));
  return unpack_indices(indices);
}

Result<std::string> normalize_mnemonic(std::string_view mnemonic) {
  SYNOD_ASSIGN_OR_RETURN(std::vector<std::string> words, checked_words(mnemonic));
  SYNOD_ASSIGN_OR_RETURN(std::vector<int> indices, word_indices(words));
  SYNOD_ASSIGN_OR_RETURN(Bytes entropy, unpack_indices(indices));
  sodium_memzero(entropy.data(), entropy.size());
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out.push_back(' ');
    out += word;
  }
  return out;
}

Result<Bip39Seed> mnemonic_to_seed(std::string_view mnemonic, std::string_view passphrase) {
  if (passphrase.size() > kPassphraseBytesMax) {
    return error(Code::kInvalidArgument, "the passphrase is longer than " +
                                             std::to_string(kPassphraseBytesMax) + " characters");
  }
  bool ascii = std::all_of(passphrase.begin(), passphrase.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii) {
    return error(Code::kInvalidArgument,
                 "the passphrase must be ASCII (synod does not normalise Unicode, so another "
                 "wallet could derive different keys from it)");
  }
  SYNOD_ASSIGN_OR_RETURN(std::string normalized, normalize_mnemonic(mnemonic));
  std::string salt = "mnemonic";
  salt += passphrase;
  Bip39Seed seed;
  pbkdf2_hmac_sha512(as_bytes(normalized), as_bytes(salt), kBip39Pbkdf2Iterations, seed.data);
  sodium_memzero(normalized.data(), normalized.size());
  sodium_memzero(salt.data(), salt.size());
  return seed;
}

void pbkdf2_hmac_sha512(ByteView password, ByteView salt, uint32_t iterations,
                        std::span<uint8_t> out) {
  SYNOD_ASSERT(iterations >= 1);
  SYNOD_ASSERT(out.size() <= 1024 * 1024);
  crypto::ensure_initialised();
  // The keyed state is computed once and copied for every HMAC (the key never changes).
  crypto_auth_hmacsha512_state keyed;
  crypto_auth_hmacsha512_init(&keyed, password.data(), password.size());
  std::array<uint8_t, crypto_auth_hmacsha512_BYTES> u;
  std::array<uint8_t, crypto_auth_hmacsha512_BYTES> t;
  for (uint32_t block = 1, offset = 0; offset < out.size(); ++block) {
    const uint8_t block_be[4] = {static_cast<uint8_t>(block >> 24),
                                 static_cast<uint8_t>(block >> 16),
                                 static_cast<uint8_t>(block >> 8), static_cast<uint8_t>(block)};
    crypto_auth_hmacsha512_state state = keyed;
    crypto_auth_hmacsha512_update(&state, salt.data(), salt.size());
    crypto_auth_hmacsha512_update(&state, block_be, sizeof(block_be));
    crypto_auth_hmacsha512_final(&state, u.data());
    t = u;
    for (uint32_t i = 1; i < iterations; ++i) {
      state = keyed;
      crypto_auth_hmacsha512_update(&state, u.data(), u.size());
      crypto_auth_hmacsha512_final(&state, u.data());
      for (size_t k = 0; k < t.size(); ++k)
        t[k] ^= u[k];
    }
    size_t take = std::min(t.size(), out.size() - offset);
    std::copy_n(t.begin(), take, out.begin() + offset);
    offset += static_cast<uint32_t>(take);
    sodium_memzero(&state, sizeof(state));
  }
  sodium_memzero(&keyed, sizeof(keyed));
  sodium_memzero(u.data(), u.size());
  sodium_memzero(t.data(), t.size());
}

}  // namespace synod::wallet
