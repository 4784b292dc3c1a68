// Fuzzes the decoders of everything peers send after the handshake and of the ledger's proofs:
// PBFT messages, block-sync and transaction-gossip messages, p2p control and peer-exchange
// messages, accounts and state proofs. The first byte picks the decoder. Errors, never crashes;
// accepted inputs re-encode to exactly themselves where the format is canonical.
#include <cstdint>
#include <cstdlib>

#include "consensus/pbft/messages.h"
#include "ledger/account.h"
#include "ledger/state_tree.h"
#include "net/messages.h"
#include "node/protocol.h"

namespace {

using synod::Bytes;
using synod::ByteView;

void same_or_abort(const Bytes& again, ByteView input) {
  if (again.size() != input.size() || !std::equal(again.begin(), again.end(), input.begin())) {
    std::abort();
  }
}

template <typename T>
void round_trip(ByteView input) {
  auto decoded = synod::decode<T>(input);
  if (decoded.is_ok()) same_or_abort(synod::encode(*decoded), input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ByteView input(data + 1, size - 1);
  switch (data[0] % 7) {
    case 0: {
      auto message = synod::consensus::pbft::decode_message(input);
      if (message.is_ok()) same_or_abort(synod::consensus::pbft::encode_message(*message), input);
      break;
    }
    case 1: {
      auto message = synod::node::decode_sync_message(input);
      if (message.is_ok()) same_or_abort(synod::node::encode_sync_message(*message), input);
      break;
    }
    case 2: {
      auto message = synod::node::decode_gossip_message(input);
      if (message.is_ok()) same_or_abort(synod::node::encode_gossip_message(*message), input);
      break;
    }
    case 3:
      round_trip<synod::net::ControlMessage>(input);
      break;
    case 4:
      round_trip<synod::net::PeerExchangeMessage>(input);
      break;
    case 5:
      round_trip<synod::ledger::Account>(input);
      break;
    case 6:
      round_trip<synod::ledger::StateProof>(input);
      break;
  }
  return 0;
}
