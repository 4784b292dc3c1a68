#include "consensus/vote_set.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"

namespace synod::consensus {
namespace {

crypto::KeyPair key(uint8_t n) {
  crypto::Seed seed;
  seed.data.fill(n);
  return crypto::KeyPair::from_seed(seed);
}

std::shared_ptr<const chain::ValidatorSet> set_with_powers(std::vector<uint64_t> powers) {
  std::vector<chain::Validator> validators;
  for (size_t i = 0; i < powers.size(); ++i)
    validators.push_back({key(static_cast<uint8_t>(i + 1)).public_key(), powers[i], ""});
  return std::make_shared<const chain::ValidatorSet>(
      chain::ValidatorSet::create(validators).value());
}

Hash256 hash_of(std::string_view text) {
  return crypto::sha256(as_bytes(text));
}

TEST(VoteSet, QuorumIsByPowerNotCount) {
  // Total 5: a quorum needs 4. Three validators of power 1 are not enough; the heavy one and
  // two light ones are.
  auto validators = set_with_powers({1, 1, 1, 2});
  VoteSet votes(validators);
  Hash256 block = hash_of("block");
  for (uint32_t i = 0; i < 3; ++i)
    EXPECT_EQ(votes.add(i, block, {}), VoteSet::AddResult::kAdded);
  EXPECT_EQ(votes.power_for(block), 3u);
  EXPECT_FALSE(votes.quorum_hash());
  EXPECT_EQ(votes.add(3, block, {}), VoteSet::AddResult::kAdded);
  EXPECT_EQ(votes.quorum_hash(), block);
}

TEST(VoteSet, OneVotePerValidatorAndConflictsKeepTheFirst) {
  auto validators = set_with_powers({1, 1, 1, 1});
  VoteSet votes(validators);
  Hash256 a = hash_of("a");
  Hash256 b = hash_of("b");
  EXPECT_EQ(votes.add(2, a, {}), VoteSet::AddResult::kAdded);
  EXPECT_EQ(votes.add(2, a, {}), VoteSet::AddResult::kDuplicate);
  EXPECT_EQ(votes.add(2, b, {}), VoteSet::AddResult::kConflict);
  EXPECT_EQ(votes.power_for(a), 1u);
  EXPECT_EQ(votes.power_for(b), 0u);
  EXPECT_EQ(votes.vote_of(2)->block_hash, a);
  EXPECT_EQ(votes.vote_of(1), nullptr);
}

TEST(VoteSet, SignaturesFormAVerifiableCertificate) {
  auto validators = set_with_powers({1, 1, 1, 1});
  VoteSet votes(validators);
  Hash256 block = hash_of("block");
  Hash256 digest = chain::commit_signing_hash("synod-test", 7, 1, block);
  for (uint32_t i : {3u, 0u, 2u})
    (void)votes.add(i, block, key(static_cast<uint8_t>(i + 1)).sign(digest.view()));
  chain::Certificate certificate{7, 1, block, votes.signatures_for(block)};
  ASSERT_EQ(certificate.signatures.size(), 3u);
  EXPECT_EQ(certificate.signatures[0].validator_index, 0u);  // increasing index order
  EXPECT_TRUE(certificate.verify("synod-test", *validators).is_ok());
  EXPECT_TRUE(verify_quorum_signatures(*validators, digest, certificate.signatures).is_ok());
}

TEST(VerifyQuorumSignatures, RejectsShortPowerBadSignaturesAndDisorder) {
  auto validators = set_with_powers({1, 1, 1, 1});
  Hash256 digest = hash_of("digest");
  auto sign = [&](uint32_t i) {
    return chain::CommitSignature{i, key(static_cast<uint8_t>(i + 1)).sign(digest.view())};
  };
  std::vector<chain::CommitSignature> two = {sign(0), sign(1)};
  EXPECT_EQ(verify_quorum_signatures(*validators, digest, two).code(), Code::kUnauthenticated);
  std::vector<chain::CommitSignature> forged = {sign(0), sign(1), sign(2)};
  forged[1].signature.data[0] ^= 1;
  EXPECT_FALSE(verify_quorum_signatures(*validators, digest, forged).is_ok());
  std::vector<chain::CommitSignature> repeated = {sign(0), sign(1), sign(1)};
  EXPECT_FALSE(verify_quorum_signatures(*validators, digest, repeated).is_ok());
  std::vector<chain::CommitSignature> outside = {sign(0), sign(1), {9, {}}};
  EXPECT_FALSE(verify_quorum_signatures(*validators, digest, outside).is_ok());
}

TEST(RoundTracker, JoinsTheSmallestRoundOnceMoreThanAThirdAsks) {
  // Total 6: more than a third is 3.
  auto validators = set_with_powers({1, 1, 2, 2});
  RoundTracker rounds(validators);
  rounds.observe(0, 5);
  rounds.observe(1, 3);
  EXPECT_FALSE(rounds.round_to_join(2));  // power 2
  rounds.observe(2, 4);
  EXPECT_EQ(rounds.round_to_join(2), 3u);  // power 4 above round 2; the smallest asked is 3
  EXPECT_EQ(rounds.round_to_join(3), 4u);  // validators 0 and 2 (power 3) are above 3
  EXPECT_FALSE(rounds.round_to_join(4));   // only validator 0 (power 1) is above 4
  rounds.observe(2, 1);                    // a lower round never replaces a higher one
  EXPECT_EQ(rounds.round_to_join(3), 4u);
}

}  // namespace
}  // namespace synod::consensus
