#include "wallet/slip10.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "chain/address.h"
#include "wallet/bip39.h"
#include "wallet/json_util.h"

namespace synod::wallet {
namespace {

Json load_vectors() {
  std::ifstream file(std::string(SYNOD_SOURCE_DIR) +
                     "/src/wallet/testdata/slip10-ed25519-vectors.json");
  std::stringstream text;
  text << file.rdbuf();
  return Json::parse(text.str());
}

void check_chain(const Json& vector) {
  Bytes seed = from_hex(vector["seed"].get<std::string>()).value();
  for (const Json& step : vector["chain"]) {
    std::string path_text = step["path"];
    auto path = parse_path(path_text);
    ASSERT_TRUE(path.is_ok()) << path.status().to_string();
    EXPECT_EQ(path_to_string(*path), path_text);
    ExtendedKey key = slip10_derive(seed, *path);
    EXPECT_EQ(key.chain_code.hex(), step["chain_code"].get<std::string>()) << path_text;
    EXPECT_EQ(key.key.hex(), step["private"].get<std::string>()) << path_text;
    EXPECT_EQ(to_hex(slip10_public_key(key)), step["public"].get<std::string>()) << path_text;
  }
}

TEST(Slip10, ReferenceVectorOne) {
  check_chain(load_vectors()["vector1"]);
}
TEST(Slip10, ReferenceVectorTwo) {
  check_chain(load_vectors()["vector2"]);
}

TEST(Slip10, OnlyHardenedPathsParse) {
  EXPECT_TRUE(parse_path("m").is_ok());
  EXPECT_EQ(parse_path("m/44h/7337H/0'").value(),
            (std::vector<uint32_t>{44 | kHardenedOffset, 7337 | kHardenedOffset, kHardenedOffset}));
  auto soft = parse_path("m/44'/0");
  ASSERT_FALSE(soft.is_ok());
  EXPECT_NE(soft.status().message().find("not hardened"), std::string::npos);
  EXPECT_FALSE(parse_path("44'/0'").is_ok());
  EXPECT_FALSE(parse_path("m/").is_ok());
  EXPECT_FALSE(parse_path("m/1'/").is_ok());
  EXPECT_FALSE(parse_path("m/2147483648'").is_ok());
  EXPECT_FALSE(parse_path("m/-1'").is_ok());
  EXPECT_FALSE(parse_path("m/x'").is_ok());
  std::string deep = "m";
  for (size_t i = 0; i <= kDerivationDepthMax; ++i)
    deep += "/1'";
  EXPECT_FALSE(parse_path(deep).is_ok());
}

TEST(Slip10, SynodAccountPath) {
  EXPECT_EQ(path_to_string(account_path(0)), "m/44'/7337'/0'/0'/0'");
  EXPECT_EQ(path_to_string(account_path(12)), "m/44'/7337'/12'/0'/0'");
}

// Pins the address of the first account of a well-known mnemonic, so that a change to the path,
// the coin type or the derivation (which would strand every user's funds) fails here. The
// expected value was computed independently with Python's hashlib/hmac, the `cryptography`
// package's Ed25519 and a bech32m reference encoder.
TEST(Slip10, PinnedFirstAccountOfTheAbandonMnemonic) {
  auto seed = mnemonic_to_seed(
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
      "about",
      "");
  ASSERT_TRUE(seed.is_ok());
  ExtendedKey key = slip10_derive(seed->view(), account_path(0));
  crypto::KeyPair pair = crypto::KeyPair::from_seed(key.key);
  EXPECT_EQ(chain::Address::from_public_key(pair.public_key()).to_string(),
            "synod1ll6v2cryne9smfawn08wedqqaqjy9vwhrysle8");
}

}  // namespace
}  // namespace synod::wallet
