#include "consensus/engine.h"

#include <gtest/gtest.h>

#include "consensus/pbft/records.h"

namespace synod::consensus {
namespace {

std::shared_ptr<const crypto::KeyPair> key(uint8_t n) {
  crypto::Seed seed;
  seed.data.fill(n);
  return std::make_shared<const crypto::KeyPair>(crypto::KeyPair::from_seed(seed));
}

EngineConfig config_for(chain::Mechanism mechanism) {
  EngineConfig config;
  config.genesis.chain_id = "synod-test";
  config.genesis.consensus.mechanism = mechanism;
  std::vector<chain::Validator> validators;
  for (uint8_t i = 1; i <= 4; ++i)
    validators.push_back({key(i)->public_key(), 1, "v" + std::to_string(i)});
  config.validators = chain::ValidatorSet::create(validators).value();
  config.genesis.validators = config.validators;
  config.signing_key = key(2);
  return config;
}

TEST(MakeEngine, MechanismsNotBuiltYetSaySo) {
  for (chain::Mechanism mechanism :
       {chain::Mechanism::kDbft, chain::Mechanism::kPos, chain::Mechanism::kPow,
        chain::Mechanism::kRaft, chain::Mechanism::kPaxos}) {
    auto engine = make_engine(config_for(mechanism));
    ASSERT_FALSE(engine.is_ok());
    EXPECT_EQ(engine.status().code(), Code::kFailedPrecondition);
    EXPECT_NE(engine.status().message().find(chain::mechanism_name(mechanism)), std::string::npos);
  }
}

TEST(MakeEngine, PbftStartsAtTheHeightAfterTheTip) {
  auto engine = make_engine(config_for(chain::Mechanism::kPbft));
  ASSERT_TRUE(engine.is_ok()) << engine.status().to_string();
  EngineStatus status = (*engine)->status();
  EXPECT_EQ(status.mechanism, "pbft");
  EXPECT_EQ(status.height, 1u);
  EXPECT_EQ(status.round, 0u);
  EXPECT_EQ(status.role, "primary");  // validators[(1 + 0) % 4] is key 2
  EXPECT_EQ(status.leader, key(2)->public_key());
  // The first Ready asks for a timer: the proposal is due after block_interval_ms.
  ASSERT_TRUE((*engine)->has_ready());
  Ready ready = (*engine)->ready();
  EXPECT_EQ(ready.wake_at_ms,
            config_for(chain::Mechanism::kPbft).genesis.consensus.block_interval_ms);
  (*engine)->advance();
  EXPECT_FALSE((*engine)->has_ready());
  (*engine)->step(Tick{500});
  ASSERT_TRUE((*engine)->has_ready());
  EXPECT_TRUE((*engine)->ready().proposal_request.has_value());
}

TEST(MakeEngine, RejectsAnEmptyValidatorSet) {
  EngineConfig config = config_for(chain::Mechanism::kPbft);
  config.validators = chain::ValidatorSet();
  EXPECT_EQ(make_engine(std::move(config)).status().code(), Code::kInvalidArgument);
}

TEST(MakeEngine, RejectsCorruptOrInconsistentRecords) {
  pbft::RecordKeys keys("pbft/");
  EngineConfig config = config_for(chain::Mechanism::kPbft);
  config.records = {{keys.prepare, Bytes{1, 2, 3}}};
  EXPECT_EQ(make_engine(config).status().code(), Code::kCorrupt);

  // A vote in a view above the stored view cannot have been written by this engine.
  config.records = {{keys.view, encode(pbft::ViewRecord{1, 1, true, std::nullopt})},
                    {keys.prepare, encode(pbft::VoteRecord{1, 3, Hash256{}})}};
  EXPECT_EQ(make_engine(config).status().code(), Code::kCorrupt);

  // Records of a height above tip + 1 mean the chain lost a committed block.
  config.records = {{keys.prepare, encode(pbft::VoteRecord{5, 0, Hash256{}})}};
  EXPECT_EQ(make_engine(config).status().code(), Code::kFailedPrecondition);

  // Records of heights already committed are history and ignored.
  config.tip.height = 7;
  config.tip.block_hash.data[0] = 1;
  EXPECT_TRUE(make_engine(config).is_ok());
}

TEST(MakeEngine, RestartKeepsTheViewAndResendsTheViewChange) {
  pbft::RecordKeys keys("pbft/");
  EngineConfig config = config_for(chain::Mechanism::kPbft);
  config.records = {{keys.view, encode(pbft::ViewRecord{1, 3, false, std::nullopt})}};
  auto engine = make_engine(config);
  ASSERT_TRUE(engine.is_ok()) << engine.status().to_string();
  EXPECT_EQ((*engine)->status().round, 3u);
  Ready ready = (*engine)->ready();
  ASSERT_EQ(ready.messages.size(), 1u);
  EXPECT_FALSE(ready.messages[0].to.has_value());
  EXPECT_EQ(ready.messages[0].payload[0], 4);  // VIEW-CHANGE
}

}  // namespace
}  // namespace synod::consensus
