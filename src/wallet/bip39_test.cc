#include "wallet/bip39.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crypto/hash.h"
#include "wallet/json_util.h"

namespace synod::wallet {
namespace {

Json load_vectors(const std::string& name) {
  std::ifstream file(std::string(SYNOD_SOURCE_DIR) + "/src/wallet/testdata/" + name);
  std::stringstream text;
  text << file.rdbuf();
  return Json::parse(text.str());
}

size_t word_count(const std::string& mnemonic) {
  return static_cast<size_t>(std::count(mnemonic.begin(), mnemonic.end(), ' ')) + 1;
}

TEST(Bip39, EmbeddedWordlistIsTheStandardOne) {
  std::string joined;
  for (std::string_view word : kBip39EnglishWords) {
    joined += word;
    joined += "\n";
  }
  EXPECT_EQ(crypto::sha256(as_bytes(joined)).hex(),
            "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda");
  EXPECT_TRUE(std::is_sorted(kBip39EnglishWords.begin(), kBip39EnglishWords.end()));
}

TEST(Bip39, ReferenceVectors) {
  Json vectors = load_vectors("bip39-vectors.json");
  std::string passphrase = vectors["passphrase"];
  ASSERT_EQ(vectors["vectors"].size(), 24u);
  for (const Json& vector : vectors["vectors"]) {
    std::string mnemonic = vector["mnemonic"];
    Bytes entropy = from_hex(vector["entropy"].get<std::string>()).value();
    EXPECT_EQ(entropy_to_mnemonic(entropy), mnemonic);
    auto decoded = mnemonic_to_entropy(mnemonic);
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, entropy);
    auto seed = mnemonic_to_seed(mnemonic, passphrase);
    ASSERT_TRUE(seed.is_ok()) << seed.status().to_string();
    EXPECT_EQ(seed->hex(), vector["seed"].get<std::string>()) << mnemonic;
  }
}

TEST(Bip39, Pbkdf2HmacSha512KnownAnswer) {
  std::array<uint8_t, 64> out;
  pbkdf2_hmac_sha512(as_bytes("password"), as_bytes("salt"), 1, out);
  EXPECT_EQ(to_hex(out),
            "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252"
            "c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce");
}

TEST(Bip39, GeneratesFreshTwentyFourWordMnemonics) {
  std::string first = generate_mnemonic();
  std::string second = generate_mnemonic();
  EXPECT_EQ(word_count(first), kMnemonicWordsNew);
  EXPECT_NE(first, second);
  auto entropy = mnemonic_to_entropy(first);
  ASSERT_TRUE(entropy.is_ok());
  EXPECT_EQ(entropy->size(), 32u);
  EXPECT_EQ(entropy_to_mnemonic(*entropy), first);
}

TEST(Bip39, NormalisesCaseAndSpacing) {
  std::string canonical =
      "legal winner thank year wave sausage worth useful legal winner thank yellow";
  std::string messy =
      "  Legal WINNER thank\tyear wave sausage worth useful legal winner thank yellow\n";
  EXPECT_EQ(normalize_mnemonic(messy).value(), canonical);
  EXPECT_EQ(mnemonic_to_seed(messy, "").value(), mnemonic_to_seed(canonical, "").value());
}

TEST(Bip39, UnknownWordIsNamedWithASuggestion) {
  auto result = mnemonic_to_entropy(
      "legal winner thank year wave sausage worth usefull legal winner thank yellow");
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), Code::kInvalidArgument);
  EXPECT_NE(result.status().message().find("word 8 'usefull'"), std::string::npos);
  EXPECT_NE(result.status().message().find("did you mean 'useful'"), std::string::npos);
}

TEST(Bip39, ChecksumCatchesASwappedWord) {
  // Valid words, but the last carries the checksum of other entropy.
  auto result = mnemonic_to_entropy(
      "legal winner thank year wave sausage worth useful legal winner thank thank");
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("checksum"), std::string::npos);
  // Two words exchanged.
  result = mnemonic_to_entropy(
      "winner legal thank year wave sausage worth useful legal winner thank yellow");
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("checksum"), std::string::npos);
}

TEST(Bip39, WrongWordCountIsRefused) {
  auto result = mnemonic_to_entropy("abandon abandon abandon");
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("has 3"), std::string::npos);
  EXPECT_FALSE(mnemonic_to_entropy("").is_ok());
  EXPECT_FALSE(mnemonic_to_entropy(std::string(kMnemonicBytesMax + 1, 'a')).is_ok());
}

TEST(Bip39, NonAsciiPassphraseIsRefused) {
  auto result = mnemonic_to_seed(
      "legal winner thank year wave sausage worth useful legal winner thank yellow", "caf\xc3\xa9");
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("ASCII"), std::string::npos);
}

}  // namespace
}  // namespace synod::wallet
