// BIP-39 mnemonics (https://github.com/bitcoin/bips/blob/master/bip-0039.mediawiki): entropy
// written as words of the English wordlist, with a checksum, and the 64-byte seed derived from
// them. synod wallets make 24-word mnemonics from 256 bits of entropy; any valid length (12, 15,
// 18, 21 or 24 words) is accepted when restoring.
//
// Text handling: the wordlist is ASCII, and a mnemonic is read case-insensitively with any
// whitespace between words, then written back as lower-case words joined by single spaces (the
// form the seed is computed from). BIP-39 hashes the NFKD-normalised passphrase; synod does not
// carry a Unicode normaliser, so passphrases must be ASCII (where NFKD is the identity) and others
// are refused rather than silently giving a seed that other wallets would not reproduce.
//
// Pure functions; thread-safe. Secret intermediate buffers are wiped before they are freed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace synod::wallet {

inline constexpr size_t kBip39WordCount = 2048;
inline constexpr size_t kMnemonicWordsNew = 24;  // what generate_mnemonic makes
inline constexpr size_t kMnemonicWordsMin = 12;
inline constexpr size_t kMnemonicWordsMax = 24;
inline constexpr size_t kMnemonicBytesMax = 1024;    // longer text is refused before parsing
inline constexpr size_t kPassphraseBytesMax = 1024;  // BIP-39 passphrase
inline constexpr uint32_t kBip39Pbkdf2Iterations = 2048;

using Bip39Seed = FixedBytes<64>;

// The English wordlist, sorted; generated at build time from data/bip39-english.txt.
extern const std::array<std::string_view, kBip39WordCount> kBip39EnglishWords;

// The words for `entropy` (16 to 32 bytes, a multiple of 4; asserted).
std::string entropy_to_mnemonic(ByteView entropy);

// A new 24-word mnemonic from 32 bytes of the operating system's random source.
std::string generate_mnemonic();

// Checks a mnemonic and returns its normalised form (lower case, single spaces). Errors
// (kInvalidArgument) name the problem: the number of words, a word that is not in the list (by
// position, with a suggestion when its first four letters match one), or a checksum mismatch.
Result<std::string> normalize_mnemonic(std::string_view mnemonic);

// The entropy a valid mnemonic encodes; errors as normalize_mnemonic.
Result<Bytes> mnemonic_to_entropy(std::string_view mnemonic);

// seed = PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" + passphrase, 2048 iterations, 64 bytes), after
// validating and normalising the mnemonic. kInvalidArgument for a bad mnemonic or a passphrase
// that is not ASCII or longer than kPassphraseBytesMax.
Result<Bip39Seed> mnemonic_to_seed(std::string_view mnemonic, std::string_view passphrase);

// PBKDF2 (RFC 8018, section 5.2) with HMAC-SHA512 as the PRF. `iterations` >= 1 and `out` of at
// most 1 MiB are asserted (callers choose them, not outside input).
void pbkdf2_hmac_sha512(ByteView password, ByteView salt, uint32_t iterations,
                        std::span<uint8_t> out);

}  // namespace synod::wallet
