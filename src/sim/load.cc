#include "sim/load.h"

namespace synod::sim {

std::vector<crypto::KeyPair> LoadGenerator::make_accounts(size_t count, Prng& prng) {
  std::vector<crypto::KeyPair> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    crypto::Seed seed;
    for (size_t word = 0; word < seed.size() / 8; ++word) {
      uint64_t value = prng.next();
      for (size_t byte = 0; byte < 8; ++byte)
        seed.data[word * 8 + byte] = static_cast<uint8_t>(value >> (8 * byte));
    }
    out.push_back(crypto::KeyPair::from_seed(seed));
  }
  return out;
}

LoadGenerator::LoadGenerator(std::string chain_id, std::vector<crypto::KeyPair> accounts, Prng prng)
    : chain_id_(std::move(chain_id)),
      accounts_(std::move(accounts)),
      state_(accounts_.size()),
      prng_(prng) {
  SYNOD_ASSERT(accounts_.size() >= 2);
  for (const crypto::KeyPair& key : accounts_)
    addresses_.push_back(chain::Address::from_public_key(key.public_key()));
}

std::optional<chain::Transaction> LoadGenerator::next(uint64_t now_ms,
                                                      const chain::Application& agreed) {
  const size_t start = prng_.below(accounts_.size());
  for (size_t offset = 0; offset < accounts_.size(); ++offset) {
    const size_t sender = (start + offset) % accounts_.size();
    AccountState& state = state_[sender];
    const uint64_t agreed_nonce = agreed.next_nonce(addresses_[sender]);
    if (agreed_nonce != state.agreed_nonce) {
      state.agreed_nonce = agreed_nonce;
      state.agreed_changed_ms = now_ms;
    }
    if (state.next_nonce < agreed_nonce) state.next_nonce = agreed_nonce;
    if (state.next_nonce > agreed_nonce && now_ms - state.agreed_changed_ms > kStallMs) {
      state.next_nonce = agreed_nonce;  // what we sent was lost; send those nonces again
      state.agreed_changed_ms = now_ms;
    }
    if (state.next_nonce - agreed_nonce >= kInFlightPerAccountMax) continue;
    size_t receiver = prng_.below(accounts_.size() - 1);
    if (receiver >= sender) ++receiver;
    const uint64_t fee = prng_.between(1, 10);
    const uint64_t amount = prng_.between(1, 1'000);
    ++generated_;
    return chain::make_transfer(chain_id_, accounts_[sender], state.next_nonce++, fee,
                                addresses_[receiver], amount);
  }
  return std::nullopt;
}

}  // namespace synod::sim
