#include "loadgen/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace synod::loadgen {
namespace {

using Json = nlohmann::json;

uint64_t now_us() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count());
}

void sleep_ms(uint64_t ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

enum Outcome : uint8_t { kNone = 0, kAccepted = 1, kRejected = 2, kUnanswered = 3 };

// Shared by the submitters, the follower and the run's thread.
struct Shared {
  explicit Shared(size_t count)
      : submit_us(std::make_unique<std::atomic<uint64_t>[]>(count)),
        commit_us(std::make_unique<std::atomic<uint64_t>[]>(count)),
        outcome(std::make_unique<std::atomic<uint8_t>[]>(count)) {}

  std::unique_ptr<std::atomic<uint64_t>[]> submit_us;  // first send; 0: never sent
  std::unique_ptr<std::atomic<uint64_t>[]> commit_us;  // 0: not seen committed
  std::unique_ptr<std::atomic<uint8_t>[]> outcome;
  std::atomic<uint64_t> next{0};       // the next index to hand out
  std::atomic<uint64_t> sent{0};       // distinct transactions sent
  std::atomic<uint64_t> committed{0};  // distinct sent transactions seen committed
  std::atomic<uint64_t> refused{0};    // final rejections
  std::atomic<uint64_t> resubmitted{0};
  std::atomic<uint64_t> last_send_us{0};
  std::atomic<uint64_t> block_events{0};  // new_block events from the subscription
  std::atomic<uint64_t> round_trips{0};   // answered submission batches
  std::atomic<uint64_t> round_trip_us_total{0};
  std::atomic<uint64_t> round_trip_us_max{0};
  std::atomic<bool> stop_sending{false};
  std::atomic<bool> stop_following{false};
  std::atomic<uint64_t> height{0};  // the last height the follower has read
  std::mutex reasons_mutex;
  std::map<std::string, uint64_t> reasons;

  uint64_t in_flight() const {
    const uint64_t done = committed.load() + refused.load();
    const uint64_t out = sent.load();
    return out > done ? out - done : 0;
  }
};

std::string batch_body(const std::vector<PreparedTransaction>& transactions,
                       const std::vector<uint64_t>& indices) {
  std::string body;
  body.reserve(indices.size() * (transactions[indices.front()].encoded.size() * 2 + 96));
  body.push_back('[');
  for (size_t k = 0; k < indices.size(); ++k) {
    if (k > 0) body.push_back(',');
    body.append(R"({"jsonrpc":"2.0","id":)");
    body.append(std::to_string(indices[k]));
    body.append(R"(,"method":"submit_transaction","params":{"transaction":")");
    body.append(to_hex(transactions[indices[k]].encoded));
    body.append("\"}}");
  }
  body.push_back(']');
  return body;
}

rpc::HttpRequestOptions http_options(const RunOptions& options) {
  rpc::HttpRequestOptions out;
  out.timeout_ms = options.request_timeout_ms;
  return out;
}

bool is_backpressure(const std::string& reason) {
  return reason == "resource_exhausted" || reason == "unavailable" || reason == "timeout";
}

class Submitter {
 public:
  Submitter(const RunOptions& options, const std::vector<PreparedTransaction>& transactions,
            Shared& shared, uint32_t number, uint64_t start_us)
      : options_(options),
        transactions_(transactions),
        shared_(shared),
        node_(number % options.nodes.size()),
        start_us_(start_us) {}

  void run() {
    std::vector<uint64_t> retry;
    while (!shared_.stop_sending.load()) {
      std::vector<uint64_t> indices = std::move(retry);
      retry.clear();
      if (indices.empty()) {
        if (!wait_for_room()) break;
        const uint64_t first = shared_.next.fetch_add(options_.batch);
        if (first >= transactions_.size()) break;
        const uint64_t end = std::min<uint64_t>(first + options_.batch, transactions_.size());
        wait_for_rate(end);
        if (shared_.stop_sending.load()) break;
        for (uint64_t i = first; i < end; ++i)
          indices.push_back(i);
      } else {
        sleep_ms(10);  // backpressure: give the nodes a moment
      }
      retry = send(indices);
    }
  }

 private:
  // Waits until the in-flight bound leaves room for a batch; false when the run stops first.
  bool wait_for_room() {
    while (shared_.in_flight() + options_.batch > options_.inflight_max) {
      if (shared_.stop_sending.load()) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    return true;
  }

  void wait_for_rate(uint64_t end_index) {
    if (options_.rate == 0) return;
    const uint64_t due_us = start_us_ + end_index * 1'000'000 / options_.rate;
    while (!shared_.stop_sending.load()) {
      const uint64_t now = now_us();
      if (now >= due_us) return;
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::min<uint64_t>(due_us - now, 50'000)));
    }
  }

  rpc::HttpConnection& connection(size_t node) {
    if (connections_.size() != options_.nodes.size()) {
      for (const rpc::Endpoint& endpoint : options_.nodes)
        connections_.push_back(
            std::make_unique<rpc::HttpConnection>(endpoint, http_options(options_)));
    }
    return *connections_[node];
  }

  // Sends one batch (failing over across nodes); returns the indices to send again.
  std::vector<uint64_t> send(const std::vector<uint64_t>& indices) {
    const std::string body = batch_body(transactions_, indices);
    const uint64_t sent_us = now_us();
    uint64_t first_sends = 0;
    for (uint64_t index : indices) {
      uint64_t expected = 0;
      if (shared_.submit_us[index].compare_exchange_strong(expected, sent_us)) ++first_sends;
    }
    shared_.sent += first_sends;
    shared_.last_send_us = sent_us;
    for (size_t attempt = 0; attempt < options_.nodes.size(); ++attempt) {
      const uint64_t asked_us = now_us();
      auto answer = connection(node_).post(body);
      if (answer.is_ok() && answer->status == 200) {
        record_round_trip(now_us() - asked_us);
        return read_answer(indices, answer->body);
      }
      node_ = (node_ + 1) % options_.nodes.size();  // that node is down or broken: the next one
    }
    // Nobody answered: these may or may not be pending somewhere. Try again later.
    for (uint64_t index : indices) {
      uint8_t none = kNone;
      shared_.outcome[index].compare_exchange_strong(none, kUnanswered);
    }
    shared_.resubmitted += indices.size();
    sleep_ms(100);
    return indices;
  }

  void record_round_trip(uint64_t us) {
    shared_.round_trips++;
    shared_.round_trip_us_total += us;
    uint64_t max = shared_.round_trip_us_max.load();
    while (us > max && !shared_.round_trip_us_max.compare_exchange_weak(max, us)) {
    }
  }

  std::vector<uint64_t> read_answer(const std::vector<uint64_t>& indices, const std::string& body) {
    std::vector<uint64_t> retry;
    const Json answer = Json::parse(body, nullptr, false);
    if (!answer.is_array()) {
      shared_.resubmitted += indices.size();
      return indices;
    }
    for (const Json& item : answer) {
      if (!item.is_object() || !item.contains("id") || !item["id"].is_number_unsigned()) continue;
      const uint64_t index = item["id"].get<uint64_t>();
      if (index >= transactions_.size()) continue;
      if (item.contains("result")) {
        shared_.outcome[index] = kAccepted;
        continue;
      }
      std::string reason = "unknown";
      const Json* data =
          item.contains("error") && item["error"].is_object() && item["error"].contains("data")
              ? &item["error"]["data"]
              : nullptr;
      if (data != nullptr && data->is_object() && data->contains("reason") &&
          (*data)["reason"].is_string()) {
        reason = (*data)["reason"].get<std::string>();
      }
      if (reason == "already_exists") {
        shared_.outcome[index] = kAccepted;
      } else if (is_backpressure(reason)) {
        retry.push_back(index);
      } else {
        uint8_t previous = shared_.outcome[index].exchange(kRejected);
        if (previous != kRejected && shared_.commit_us[index].load() == 0) shared_.refused++;
        std::lock_guard lock(shared_.reasons_mutex);
        shared_.reasons[reason]++;
      }
    }
    shared_.resubmitted += retry.size();
    std::sort(retry.begin(), retry.end());
    return retry;
  }

  const RunOptions& options_;
  const std::vector<PreparedTransaction>& transactions_;
  Shared& shared_;
  size_t node_;
  const uint64_t start_us_;
  std::vector<std::unique_ptr<rpc::HttpConnection>> connections_;
};

// Follows the chain from `height` on, stamping commit times.
class Follower {
 public:
  Follower(const RunOptions& options, const std::vector<PreparedTransaction>& transactions,
           Shared& shared, uint64_t height)
      : options_(options), shared_(shared), index_(index_by_id(transactions)), height_(height) {}

  // Woken by the node's new_blocks subscription; between events it looks for the next block
  // every kStreamPollMs anyway (every kPollMs while no subscription stands), so a lost stream
  // costs nothing.
  void run() {
    uint64_t subscribe_at_us = 0;
    while (!shared_.stop_following.load()) {
      if (!events_ && now_us() >= subscribe_at_us) {
        subscribe();
        subscribe_at_us = now_us() + 1'000'000;  // at most one try a second
      }
      if (events_) {
        auto event = events_->next(kStreamPollMs);
        if (!event.is_ok() ? event.status().code() != Code::kTimeout : !event->has_value()) {
          events_.reset();  // broken or ended: poll until a new subscription stands
        } else if (event.is_ok()) {
          shared_.block_events++;
        }
      } else {
        sleep_ms(kPollMs);
      }
      while (!shared_.stop_following.load() && fetch_next()) {
      }
    }
  }

 private:
  void subscribe() {
    const rpc::Endpoint& endpoint = options_.nodes[node_];
    rpc::JsonRpcClient client(endpoint, rpc::JsonRpcClientOptions{http_options(options_), ""});
    auto subscribed = client.result("subscribe", Json{{"topic", "new_blocks"}});
    if (!subscribed.is_ok() || !(*subscribed)["events_url"].is_string()) return;
    auto reader = rpc::EventStreamReader::open(
        endpoint, (*subscribed)["events_url"].get<std::string>(), http_options(options_));
    if (reader.is_ok()) events_ = std::move(reader).value();
  }

  // True when it read block height_ + 1.
  bool fetch_next() {
    if (!connection_) {
      connection_ =
          std::make_unique<rpc::HttpConnection>(options_.nodes[node_], http_options(options_));
    }
    const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"get_block","params":{"height":)" +
                             std::to_string(height_ + 1) + R"(,"transactions":"ids"}})";
    auto answer = connection_->post(body);
    if (!answer.is_ok() || answer->status != 200) {
      node_ = (node_ + 1) % options_.nodes.size();
      connection_.reset();
      events_.reset();  // follow the next node
      return false;
    }
    const uint64_t seen_us = now_us();
    const Json reply = Json::parse(answer->body, nullptr, false);
    if (!reply.is_object() || !reply.contains("result") || !reply["result"].is_object()) {
      return false;  // not committed yet (not_found)
    }
    const Json& ids = reply["result"]["transaction_ids"];
    if (ids.is_array()) {
      for (const Json& text : ids) {
        if (!text.is_string()) continue;
        auto id = Hash256::from_hex(text.get<std::string>());
        if (!id.is_ok()) continue;
        auto found = index_.find(*id);
        if (found == index_.end()) continue;
        uint64_t expected = 0;
        if (shared_.commit_us[found->second].compare_exchange_strong(expected, seen_us)) {
          if (shared_.submit_us[found->second].load() != 0) shared_.committed++;
          if (shared_.outcome[found->second].load() == kRejected) shared_.refused--;
        }
      }
    }
    ++height_;
    shared_.height = height_;
    return true;
  }

  const RunOptions& options_;
  Shared& shared_;
  const std::unordered_map<Hash256, uint32_t, FixedBytesHasher> index_;
  uint64_t height_;
  size_t node_ = 0;
  std::unique_ptr<rpc::HttpConnection> connection_;
  std::unique_ptr<rpc::EventStreamReader> events_;
};

Result<uint64_t> current_height(const RunOptions& options) {
  for (const rpc::Endpoint& endpoint : options.nodes) {
    rpc::HttpConnection connection(endpoint, http_options(options));
    auto answer = connection.post(R"({"jsonrpc":"2.0","id":1,"method":"get_status"})");
    if (!answer.is_ok() || answer->status != 200) continue;
    const Json reply = Json::parse(answer->body, nullptr, false);
    if (reply.is_object() && reply.contains("result") && reply["result"].is_object() &&
        reply["result"]["height"].is_number_unsigned()) {
      return reply["result"]["height"].get<uint64_t>();
    }
  }
  return error(Code::kUnavailable, "no node answers get_status");
}

Status check(const RunOptions& options, size_t count) {
  if (options.nodes.empty()) return error(Code::kInvalidArgument, "no node to submit to");
  if (options.connections == 0 || options.connections > kConnectionsMax) {
    return error(Code::kInvalidArgument,
                 "connections must be 1.." + std::to_string(kConnectionsMax));
  }
  if (options.batch == 0 || options.batch > kBatchCallsMax) {
    return error(Code::kInvalidArgument, "batch must be 1.." + std::to_string(kBatchCallsMax));
  }
  if (options.inflight_max < options.batch) {
    return error(Code::kInvalidArgument, "inflight must be at least the batch size");
  }
  if (options.duration_ms == 0) return error(Code::kInvalidArgument, "duration must be positive");
  if (count == 0 || count > kTransactionsMax) {
    return error(Code::kInvalidArgument, "no transactions to submit");
  }
  return Status::ok();
}

RunReport summarise(const RunOptions& options, Shared& shared, size_t count, uint64_t start_us,
                    uint64_t load_end_us) {
  RunReport report;
  report.prepared = count;
  const uint64_t warm_us = start_us + options.warmup_ms * 1'000;
  std::vector<double> measured;
  std::vector<double> all;
  uint64_t in_window = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint64_t submitted = shared.submit_us[i].load();
    if (submitted == 0) continue;
    report.submitted++;
    const uint64_t committed = shared.commit_us[i].load();
    const uint8_t outcome = shared.outcome[i].load();
    if (outcome == kAccepted) report.accepted++;
    if (committed != 0) {
      report.committed++;
      const uint64_t second = committed > start_us ? (committed - start_us) / 1'000'000 : 0;
      if (second < kTimelineSecondsMax) {
        if (report.committed_per_second.size() <= second) {
          report.committed_per_second.resize(second + 1, 0);
        }
        report.committed_per_second[second]++;
      }
      const double latency = static_cast<double>(committed - submitted) / 1'000.0;
      all.push_back(latency);
      if (submitted >= warm_us) measured.push_back(latency);
      if (committed >= warm_us && committed <= load_end_us) in_window++;
    } else if (outcome == kAccepted) {
      report.lost++;
    } else if (outcome == kRejected) {
      report.rejected++;
    } else {
      report.unanswered++;
    }
  }
  report.resubmitted = shared.resubmitted.load();
  report.batches = shared.round_trips.load();
  report.block_events = shared.block_events.load();
  if (report.batches > 0) {
    report.batch_round_trip_ms_mean =
        static_cast<double>(shared.round_trip_us_total.load()) / 1e3 / report.batches;
  }
  report.batch_round_trip_ms_max = static_cast<double>(shared.round_trip_us_max.load()) / 1e3;
  report.rejected_by_reason = shared.reasons;
  report.run_s = static_cast<double>(load_end_us - start_us) / 1e6;
  if (load_end_us > warm_us && !measured.empty()) {
    report.window_s = static_cast<double>(load_end_us - warm_us) / 1e6;
    report.committed_tps = static_cast<double>(in_window) / report.window_s;
    report.latency_ms = percentiles(measured);
  } else {
    // A run too short for a warm-up: everything counts.
    report.window_s = report.run_s;
    report.committed_tps =
        report.run_s > 0 ? static_cast<double>(report.committed) / report.run_s : 0;
    report.latency_ms = percentiles(all);
  }
  return report;
}

}  // namespace

Percentiles percentiles(std::vector<double>& values) {
  Percentiles out;
  out.samples = values.size();
  if (values.empty()) return out;
  std::sort(values.begin(), values.end());
  auto rank = [&](double p) {
    const size_t k = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
    return values[std::min(values.size() - 1, k == 0 ? 0 : k - 1)];
  };
  out.p50 = rank(0.50);
  out.p90 = rank(0.90);
  out.p99 = rank(0.99);
  out.max = values.back();
  return out;
}

Result<RunReport> run_load(const RunOptions& options,
                           const std::vector<PreparedTransaction>& transactions) {
  SYNOD_TRY(check(options, transactions.size()));
  SYNOD_ASSIGN_OR_RETURN(uint64_t height_start, current_height(options));
  Shared shared(transactions.size());
  shared.height = height_start;
  Follower follower(options, transactions, shared, height_start);
  std::thread following([&] { follower.run(); });

  const uint64_t start_us = now_us();
  std::vector<std::unique_ptr<Submitter>> submitters;
  std::vector<std::thread> threads;
  for (uint32_t c = 0; c < options.connections; ++c) {
    submitters.push_back(std::make_unique<Submitter>(options, transactions, shared, c, start_us));
  }
  std::atomic<uint32_t> running{options.connections};
  for (auto& submitter : submitters) {
    threads.emplace_back([&, s = submitter.get()] {
      s->run();
      running--;
    });
  }
  // The load phase: until the duration passes or every submitter is done.
  const uint64_t end_us = start_us + options.duration_ms * 1'000;
  while (now_us() < end_us && running.load() > 0) {
    sleep_ms(100);
    if (options.on_tick) options.on_tick((now_us() - start_us) / 1'000);
  }
  const bool ran_out = running.load() == 0 && now_us() < end_us;
  uint64_t load_end_us = std::min(now_us(), end_us);
  shared.stop_sending = true;
  for (std::thread& thread : threads)
    thread.join();
  // The drain: until every accepted transaction committed, or the drain time passed.
  const uint64_t drain_end_us = now_us() + options.drain_ms * 1'000;
  while (now_us() < drain_end_us && shared.in_flight() > 0) {
    sleep_ms(50);
    if (options.on_tick) options.on_tick((now_us() - start_us) / 1'000);
  }
  sleep_ms(2 * kPollMs);
  shared.stop_following = true;
  following.join();

  if (ran_out) {
    // Every prepared transaction went out early: the load ends with the last commit.
    load_end_us = std::max(shared.last_send_us.load(), start_us + 1);
    for (size_t i = 0; i < transactions.size(); ++i)
      load_end_us = std::max(load_end_us, shared.commit_us[i].load());
  }
  RunReport report = summarise(options, shared, transactions.size(), start_us, load_end_us);
  report.ran_out = ran_out;
  report.height_start = height_start;
  report.height_end = shared.height.load();
  return report;
}

}  // namespace synod::loadgen
