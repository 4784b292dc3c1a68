#include "wallet/keystore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "wallet/json_util.h"

namespace synod::wallet {
namespace {

constexpr const char* kMnemonic =
    "legal winner thank year wave sausage worth useful legal winner thank yellow";
constexpr const char* kPassword = "correct horse battery";

crypto::KeyPair test_key(uint8_t n) {
  crypto::Seed seed;
  seed.data.fill(n);
  return crypto::KeyPair::from_seed(seed);
}

Keystore sample_keystore() {
  Keystore keystore = Keystore::from_mnemonic(kMnemonic, "", 2).value();
  EXPECT_TRUE(keystore.import_key(test_key(7), "cold").is_ok());
  return keystore;
}

std::string sealed_sample() {
  return sample_keystore().seal(kPassword, KdfParams::minimum()).value();
}

class KeystoreFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("synod-keystore-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    path_ = (directory_ / "keystore.json").string();
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::filesystem::path directory_;
  std::string path_;
};

TEST(Keystore, SealAndOpenRoundTrip) {
  Keystore original = sample_keystore();
  std::string text = original.seal(kPassword, KdfParams::minimum()).value();
  auto opened = Keystore::open(text, kPassword);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  EXPECT_EQ(opened->mnemonic(), kMnemonic);
  ASSERT_EQ(opened->accounts().size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const KeystoreAccount& a = original.accounts()[i];
    const KeystoreAccount& b = opened->accounts()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.public_key, b.public_key);
    EXPECT_EQ(opened->key(b).public_key(), a.public_key);
  }
  EXPECT_EQ(opened->find("cold")->public_key, test_key(7).public_key());
  EXPECT_EQ(opened->path(opened->accounts()[1]), "m/44'/7337'/1'/0'/0'");
  // The secrets are not in the file in the clear.
  EXPECT_EQ(text.find("legal"), std::string::npos);
  EXPECT_EQ(text.find(test_key(7).seed().hex()), std::string::npos);
}

TEST(Keystore, KdfParametersAreStoredInTheFile) {
  std::string text = sealed_sample();
  Json json = Json::parse(text);
  EXPECT_EQ(json["kdf"]["algorithm"], "argon2id13");
  EXPECT_EQ(json["kdf"]["ops_limit"], KdfParams::minimum().ops_limit);
  EXPECT_EQ(json["kdf"]["mem_limit_bytes"], KdfParams::minimum().mem_limit_bytes);
  EXPECT_EQ(KdfParams::moderate().mem_limit_bytes, 256u * 1024 * 1024);
}

TEST(Keystore, WrongPasswordIsAnAuthenticationFailure) {
  auto opened = Keystore::open(sealed_sample(), "correct horse battery!");
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), Code::kUnauthenticated);
  EXPECT_NE(opened.status().message().find("wrong password"), std::string::npos);
}

TEST(Keystore, EveryTruncationIsAClearError) {
  std::string text = sealed_sample();
  for (size_t length = 0; length < text.size() - 1; length += 7) {
    auto opened = Keystore::open(text.substr(0, length), kPassword);
    ASSERT_FALSE(opened.is_ok()) << "truncated at " << length;
    EXPECT_EQ(opened.status().code(), Code::kCorrupt) << opened.status().to_string();
  }
}

TEST(Keystore, TamperedCiphertextIsDetected) {
  Json json = Json::parse(sealed_sample());
  std::string ciphertext = json["ciphertext"];
  ciphertext[10] = ciphertext[10] == '0' ? '1' : '0';
  json["ciphertext"] = ciphertext;
  auto opened = Keystore::open(json.dump(), kPassword);
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), Code::kCorrupt);
  EXPECT_NE(opened.status().message().find("modified or damaged"), std::string::npos);
}

// Swapping an address for an attacker's (a consistent key and address, so only the encryption's
// associated data can tell) is caught: `list` never shows an address the secrets do not back.
TEST(Keystore, TamperedAccountListIsDetected) {
  Json json = Json::parse(sealed_sample());
  crypto::KeyPair attacker = test_key(9);
  json["accounts"][1]["public_key"] = attacker.public_key().hex();
  json["accounts"][1]["address"] =
      chain::Address::from_public_key(attacker.public_key()).to_string();
  auto opened = Keystore::open(json.dump(), kPassword);
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), Code::kCorrupt);
  // Renaming an account is tampering too.
  json = Json::parse(sealed_sample());
  json["accounts"][0]["name"] = "savings";
  EXPECT_EQ(Keystore::open(json.dump(), kPassword).status().code(), Code::kCorrupt);
}

TEST(Keystore, HostileKdfParametersAreRefusedBeforeHashing) {
  Json json = Json::parse(sealed_sample());
  json["kdf"]["mem_limit_bytes"] = uint64_t{1} << 40;
  auto opened = Keystore::open(json.dump(), kPassword);
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), Code::kCorrupt);
  EXPECT_NE(opened.status().message().find("mem_limit_bytes"), std::string::npos);
}

TEST(Keystore, NotAKeystoreIsCorrupt) {
  EXPECT_EQ(Keystore::open("{}", kPassword).status().code(), Code::kCorrupt);
  EXPECT_EQ(Keystore::open("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", kPassword).status().code(),
            Code::kCorrupt);
  Json json = Json::parse(sealed_sample());
  json["version"] = 2;
  auto opened = Keystore::open(json.dump(), kPassword);
  EXPECT_NE(opened.status().message().find("version 2 is not supported"), std::string::npos);
}

TEST(Keystore, DuplicateKeysAndNamesAreRefused) {
  Keystore keystore = sample_keystore();
  EXPECT_EQ(keystore.import_key(test_key(7)).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(keystore.import_key(test_key(8), "cold").status().code(), Code::kAlreadyExists);
  EXPECT_EQ(keystore.add_mnemonic_account("account-0").status().code(), Code::kAlreadyExists);
  auto added = keystore.add_mnemonic_account();
  ASSERT_TRUE(added.is_ok());
  EXPECT_EQ(added->name, "account-2");
  EXPECT_EQ(Keystore::without_mnemonic().add_mnemonic_account().status().code(),
            Code::kFailedPrecondition);
}

TEST_F(KeystoreFileTest, SavedFileIsOwnerOnlyAndLoads) {
  ASSERT_TRUE(save_keystore(path_, sample_keystore(), kPassword, KdfParams::minimum()).is_ok());
  struct stat info {};
  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto loaded = load_keystore(path_, kPassword);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->accounts().size(), 3u);
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  EXPECT_EQ(load_keystore(path_, kPassword).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(load_keystore(path_ + ".missing", kPassword).status().code(), Code::kNotFound);
}

TEST_F(KeystoreFileTest, TruncatedFileOnDiskIsCorrupt) {
  ASSERT_TRUE(save_keystore(path_, sample_keystore(), kPassword, KdfParams::minimum()).is_ok());
  std::filesystem::resize_file(path_, 200);
  auto loaded = load_keystore(path_, kPassword);
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_EQ(loaded.status().code(), Code::kCorrupt);
  EXPECT_NE(loaded.status().message().find(path_), std::string::npos);
}

TEST_F(KeystoreFileTest, FailureBeforeRenameKeepsTheOldKeystore) {
  Keystore old_keystore = Keystore::from_mnemonic(kMnemonic, "", 1).value();
  ASSERT_TRUE(save_keystore(path_, old_keystore, kPassword, KdfParams::minimum()).is_ok());
  AtomicWriteHooks hooks;
  hooks.before_rename = [] { return error(Code::kIoError, "simulated failure"); };
  Status saved =
      save_keystore(path_, sample_keystore(), "another password", KdfParams::minimum(), hooks);
  EXPECT_EQ(saved.code(), Code::kIoError);
  auto loaded = load_keystore(path_, kPassword);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->accounts().size(), 1u);
}

// A real crash: a child process is killed (SIGKILL) after writing and syncing the new keystore
// to the temporary file, before the rename. The old keystore must still open, and the next save
// must work despite the leftover temporary file.
TEST_F(KeystoreFileTest, CrashWhileSavingKeepsTheOldKeystore) {
  Keystore old_keystore = Keystore::from_mnemonic(kMnemonic, "", 1).value();
  ASSERT_TRUE(save_keystore(path_, old_keystore, kPassword, KdfParams::minimum()).is_ok());
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    AtomicWriteHooks hooks;
    hooks.before_rename = []() -> Status {
      ::kill(::getpid(), SIGKILL);
      return Status::ok();
    };
    (void)save_keystore(path_, sample_keystore(), "another password", KdfParams::minimum(), hooks);
    ::_exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_TRUE(std::filesystem::exists(path_ + ".tmp"));
  auto loaded = load_keystore(path_, kPassword);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->accounts().size(), 1u);
  ASSERT_TRUE(save_keystore(path_, sample_keystore(), kPassword, KdfParams::minimum()).is_ok());
  EXPECT_EQ(load_keystore(path_, kPassword)->accounts().size(), 3u);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
}

}  // namespace
}  // namespace synod::wallet
