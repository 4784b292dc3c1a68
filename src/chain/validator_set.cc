#include "chain/validator_set.h"

#include <set>

#include "crypto/hash.h"

namespace synod::chain {

namespace {
constexpr uint64_t kTotalPowerMax = uint64_t{1} << 62;
}

Result<ValidatorSet> ValidatorSet::create(std::vector<Validator> validators) {
  if (validators.empty()) return error(Code::kInvalidArgument, "validator set is empty");
  if (validators.size() > kValidatorsMax) {
    return error(Code::kInvalidArgument,
                 "more than " + std::to_string(kValidatorsMax) + " validators");
  }
  std::set<crypto::PublicKey> seen;
  ValidatorSet set;
  for (size_t i = 0; i < validators.size(); ++i) {
    const Validator& validator = validators[i];
    std::string where = "validator " + std::to_string(i);
    if (validator.power == 0) return error(Code::kInvalidArgument, where + " has zero power");
    if (validator.power > kTotalPowerMax - set.total_power_) {
      return error(Code::kInvalidArgument, "total voting power over 2^62");
    }
    if (!seen.insert(validator.public_key).second) {
      return error(Code::kInvalidArgument, where + " repeats a public key");
    }
    if (validator.name.size() > kValidatorNameBytesMax) {
      return error(Code::kInvalidArgument,
                   where + " has a name over " + std::to_string(kValidatorNameBytesMax) + " bytes");
    }
    set.total_power_ += validator.power;
  }
  set.validators_ = std::move(validators);
  return set;
}

std::optional<uint32_t> ValidatorSet::index_of(const crypto::PublicKey& key) const {
  for (size_t i = 0; i < validators_.size(); ++i) {
    if (validators_[i].public_key == key) return static_cast<uint32_t>(i);
  }
  return std::nullopt;
}

Hash256 ValidatorSet::hash() const {
  Writer writer;
  writer.list_size(validators_.size());
  for (const Validator& validator : validators_) {
    writer.fixed(validator.public_key);
    writer.u64(validator.power);
  }
  return crypto::tagged_hash("synod/validators", writer.buffer());
}

void ValidatorSet::encode(Writer& writer) const {
  writer.list_size(validators_.size());
  for (const Validator& validator : validators_) {
    writer.fixed(validator.public_key);
    writer.u64(validator.power);
    writer.string(validator.name);
  }
}

ValidatorSet ValidatorSet::decode_from(Reader& reader) {
  size_t count = reader.list_size(kValidatorsMax, 32 + 8 + 4);
  std::vector<Validator> validators(count);
  for (Validator& validator : validators) {
    validator.public_key = reader.fixed<32>();
    validator.power = reader.u64();
    validator.name = reader.string(kValidatorNameBytesMax);
  }
  if (!reader.ok()) return {};
  auto set = create(std::move(validators));
  if (!set.is_ok()) {
    reader.fail(set.status().message());
    return {};
  }
  return std::move(set).value();
}

}  // namespace synod::chain
