#include "chain/certificate.h"

#include "crypto/hash.h"

namespace synod::chain {

Hash256 commit_signing_hash(std::string_view chain_id, uint64_t height, uint64_t round,
                            const Hash256& block_hash) {
  Writer writer(128);
  writer.string(chain_id);
  writer.u64(height);
  writer.u64(round);
  writer.fixed(block_hash);
  return crypto::tagged_hash("synod/commit", writer.buffer());
}

uint64_t Certificate::signed_power(const ValidatorSet& validators) const {
  uint64_t power = 0;
  for (const CommitSignature& entry : signatures) {
    if (entry.validator_index < validators.size())
      power += validators.at(entry.validator_index).power;
  }
  return power;
}

Status Certificate::verify(std::string_view chain_id, const ValidatorSet& validators) const {
  Hash256 digest = commit_signing_hash(chain_id, height, round, block_hash);
  uint64_t power = 0;
  for (size_t i = 0; i < signatures.size(); ++i) {
    const CommitSignature& entry = signatures[i];
    if (entry.validator_index >= validators.size()) {
      return error(Code::kUnauthenticated, "certificate names validator " +
                                               std::to_string(entry.validator_index) +
                                               " outside the set");
    }
    if (i > 0 && entry.validator_index <= signatures[i - 1].validator_index) {
      return error(Code::kUnauthenticated, "certificate signers are not strictly increasing");
    }
    const Validator& validator = validators.at(entry.validator_index);
    if (!crypto::verify(validator.public_key, digest.view(), entry.signature)) {
      return error(Code::kUnauthenticated, "certificate signature of validator " +
                                               std::to_string(entry.validator_index) +
                                               " is invalid");
    }
    power += validator.power;
  }
  if (!validators.has_quorum(power)) {
    return error(Code::kUnauthenticated, "certificate holds power " + std::to_string(power) +
                                             ", a quorum needs " +
                                             std::to_string(validators.quorum_power()));
  }
  return Status::ok();
}

void Certificate::encode(Writer& writer) const {
  writer.u64(height);
  writer.u64(round);
  writer.fixed(block_hash);
  writer.list_size(signatures.size());
  for (const CommitSignature& entry : signatures) {
    writer.u32(entry.validator_index);
    writer.fixed(entry.signature);
  }
}

Certificate Certificate::decode_from(Reader& reader) {
  Certificate certificate;
  certificate.height = reader.u64();
  certificate.round = reader.u64();
  certificate.block_hash = reader.fixed<32>();
  size_t count = reader.list_size(kValidatorsMax, 4 + 64);
  certificate.signatures.resize(count);
  for (CommitSignature& entry : certificate.signatures) {
    entry.validator_index = reader.u32();
    entry.signature = reader.fixed<64>();
  }
  for (size_t i = 1; i < count && reader.ok(); ++i) {
    if (certificate.signatures[i].validator_index <=
        certificate.signatures[i - 1].validator_index) {
      reader.fail("certificate signers are not strictly increasing");
    }
  }
  return certificate;
}

}  // namespace synod::chain
