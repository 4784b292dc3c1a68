#include "node/rpc_submit_batch.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "node/node.h"

namespace synod::node {
namespace {

thread_local SubmitBatch* current_batch = nullptr;

// The "transaction" parameter of a well-formed submit_transaction call, or null.
const nlohmann::json* submitted_hex(const nlohmann::json& call) {
  if (!call.is_object()) return nullptr;
  auto method = call.find("method");
  if (method == call.end() || !method->is_string() || *method != "submit_transaction") {
    return nullptr;
  }
  auto params = call.find("params");
  if (params == call.end()) return nullptr;
  const nlohmann::json* hex = nullptr;
  if (params->is_object()) {
    auto found = params->find("transaction");
    if (found != params->end()) hex = &*found;
  } else if (params->is_array() && !params->empty()) {
    hex = &(*params)[0];
  }
  return hex != nullptr && hex->is_string() ? hex : nullptr;
}

}  // namespace

SubmitBatch SubmitBatch::start(Node& node, std::string_view body) {
  SubmitBatch batch;
  // Cheap checks before parsing: a batch, naming the method at least twice.
  const size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || body[first] != '[') return batch;
  const size_t mention = body.find("submit_transaction");
  if (mention == std::string_view::npos ||
      body.find("submit_transaction", mention + 1) == std::string_view::npos) {
    return batch;
  }
  const nlohmann::json calls = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!calls.is_array()) return batch;
  std::vector<Bytes> encoded;
  std::unordered_map<std::string, size_t> index_by_hex;
  for (const nlohmann::json& call : calls) {
    const nlohmann::json* hex = submitted_hex(call);
    if (hex == nullptr) continue;
    const std::string& text = hex->get_ref<const std::string&>();
    if (text.size() > 2 * chain::kTransactionBytesMax || index_by_hex.contains(text)) continue;
    auto bytes = from_hex(text);
    if (!bytes.is_ok()) continue;
    index_by_hex.emplace(text, encoded.size());
    encoded.push_back(std::move(bytes).value());
  }
  if (encoded.size() < 2) return batch;
  auto shared = std::make_shared<Shared>();
  Status submitted = node.submit_transactions(std::move(encoded),
                                              [shared](std::vector<mempool::Admission> results) {
                                                {
                                                  std::lock_guard lock(shared->mutex);
                                                  shared->results = std::move(results);
                                                  shared->done = true;
                                                }
                                                shared->done_cv.notify_all();
                                              });
  if (!submitted.is_ok()) return batch;  // refused at the door: the one-by-one path decides
  batch.shared_ = std::move(shared);
  batch.index_by_hex_ = std::move(index_by_hex);
  return batch;
}

std::optional<Result<mempool::Admission>> SubmitBatch::take(const std::string& transaction_hex,
                                                            uint64_t timeout_ms) {
  auto found = index_by_hex_.find(transaction_hex);
  if (found == index_by_hex_.end()) return std::nullopt;
  const size_t index = found->second;
  index_by_hex_.erase(found);
  std::unique_lock lock(shared_->mutex);
  if (!shared_->done_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                 [&] { return shared_->done; })) {
    return Result<mempool::Admission>(error(Code::kTimeout, "the mempool did not answer in time"));
  }
  SYNOD_ASSERT(index < shared_->results.size());
  return Result<mempool::Admission>(shared_->results[index]);
}

SubmitBatch* SubmitBatch::current() {
  return current_batch;
}

SubmitBatch::Scope::Scope(SubmitBatch* batch) : previous_(current_batch) {
  current_batch = batch;
}

SubmitBatch::Scope::~Scope() {
  current_batch = previous_;
}

}  // namespace synod::node
