#include "bench/compare/trove_system.h"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <thread>

#include "proto/event_convert.h"
#include "proto/trove.grpc.pb.h"
#include "tests/troved_process.h"
#include "tools/json_lines.h"

namespace trove::bench::compare {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// JSON bytes a batch takes at most; its protobuf is smaller, well under gRPC's 4 MiB default.
constexpr size_t kMaxBatchBytes = 3 << 20;
// Messages per stream before it is closed and its acknowledgement counted: bounds what a
// worker keeps for a retry after backpressure (the server answers RESOURCE_EXHAUSTED for the
// whole rest of a stream) to ~16 batches.
constexpr size_t kBatchesPerStream = 16;
constexpr int kStartTimeoutMs = 120'000;
constexpr auto kAdminDeadline = std::chrono::hours(2);
constexpr auto kQueryDeadline = std::chrono::minutes(30);

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// "VmRSS:    123456 kB" of /proc/PID/status, in bytes; 0 when unreadable.
uint64_t ProcStatusBytes(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size(), field) == 0 && line.size() > field.size() &&
        line[field.size()] == ':') {
      return strtoull(line.c_str() + field.size() + 1, nullptr, 10) * 1024;
    }
  }
  return 0;
}

// utime + stime of /proc/PID/stat in seconds; 0 when unreadable.
double ProcCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = strtoull(field.c_str(), nullptr, 10);
    if (i == 15) {
      stime = strtoull(field.c_str(), nullptr, 10);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = 0;
  in >> load;
  return load;
}

// Lines whose first byte lies in [begin, end) of a file, read with pread in large chunks.
class RangeLineReader {
 public:
  RangeLineReader(int fd, uint64_t begin, uint64_t end) : fd_(fd), end_(end) {
    // The line starting at `begin` is ours only when the byte before it ends a line.
    next_ = begin;
    read_at_ = begin;
    if (begin > 0) {
      read_at_ = begin - 1;
      next_ = begin - 1;
      skip_first_ = true;
    }
  }

  // The next line without its "\n"; valid until the next call. False at the range's end.
  bool Next(std::string_view* line) {
    while (true) {
      const size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos || eof_) {
        const size_t stop = nl == std::string::npos ? buf_.size() : nl;
        if (stop == pos_ && nl == std::string::npos) return false;  // nothing left
        const size_t start = pos_;
        const uint64_t line_start = next_;
        next_ += stop - start + 1;
        pos_ = stop + (nl == std::string::npos ? 0 : 1);
        if (skip_first_) {
          skip_first_ = false;
          continue;
        }
        if (line_start >= end_) return false;
        *line = std::string_view(buf_).substr(start, stop - start);
        return true;
      }
      // Keep the partial line, read more after it.
      buf_.erase(0, pos_);
      pos_ = 0;
      const size_t have = buf_.size();
      buf_.resize(have + kChunk);
      const ssize_t n = pread(fd_, buf_.data() + have, kChunk, static_cast<off_t>(read_at_));
      if (n <= 0) {
        buf_.resize(have);
        eof_ = true;
        if (n < 0) failed_ = true;
        continue;
      }
      buf_.resize(have + static_cast<size_t>(n));
      read_at_ += static_cast<uint64_t>(n);
    }
  }
  bool failed() const { return failed_; }

 private:
  static constexpr size_t kChunk = 1 << 20;
  const int fd_;
  const uint64_t end_;
  uint64_t read_at_ = 0;  // file offset of the next read
  uint64_t next_ = 0;     // file offset of buf_[pos_]
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  bool failed_ = false;
  bool skip_first_ = false;
};

// Batches of whole lines from one file range, taken by one or several clients.
class LineBatches {
 public:
  LineBatches(int fd, uint64_t begin, uint64_t end) : reader_(fd, begin, end) {}

  // Up to max_lines lines (fewer once they pass max_bytes) into *lines; false when the range
  // is used up.
  bool Take(size_t max_lines, size_t max_bytes, std::vector<std::string>* lines) {
    std::lock_guard<std::mutex> lock(mu_);
    lines->clear();
    size_t bytes = 0;
    std::string_view line;
    while (lines->size() < max_lines && bytes < max_bytes && reader_.Next(&line)) {
      lines->emplace_back(line);
      bytes += line.size();
    }
    return !lines->empty();
  }
  bool failed() {
    std::lock_guard<std::mutex> lock(mu_);
    return reader_.failed();
  }

 private:
  std::mutex mu_;
  RangeLineReader reader_;
};

uint64_t NumberAfter(const std::string& text, const std::string& marker) {
  const size_t at = text.find(marker);
  if (at == std::string::npos) return 0;
  return strtoull(text.c_str() + at + marker.size(), nullptr, 10);
}

std::string RpcError(const std::string& what, const grpc::Status& s) {
  return what + " failed: code " + std::to_string(static_cast<int>(s.error_code())) + ": " +
         s.error_message();
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(256 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  // A connection of its own per channel, as separate clients would have.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

// A stats-table cell as an answer key / value.
std::string CellKey(const v1::Cell& c) {
  switch (c.kind_case()) {
    case v1::Cell::kStringValue:
      return c.string_value();
    case v1::Cell::kIntValue:
      return std::to_string(c.int_value());
    case v1::Cell::kTimeNs:
      return std::to_string(c.time_ns());
    case v1::Cell::kDoubleValue: {
      char buf[40];
      snprintf(buf, sizeof buf, "%.17g", c.double_value());
      return buf;
    }
    case v1::Cell::KIND_NOT_SET:
      break;
  }
  return "null";
}

std::optional<double> CellValue(const v1::Cell& c) {
  switch (c.kind_case()) {
    case v1::Cell::kIntValue:
      return static_cast<double>(c.int_value());
    case v1::Cell::kDoubleValue:
      return c.double_value();
    case v1::Cell::kTimeNs:
      return static_cast<double>(c.time_ns());
    case v1::Cell::kStringValue:
      return strtod(c.string_value().c_str(), nullptr);
    case v1::Cell::KIND_NOT_SET:
      break;
  }
  return std::nullopt;
}

}  // namespace

const std::string& NeedleFor(const Dataset& data, size_t variant) {
  return data.needles[variant % data.needles.size()];
}

const std::string& TraceFor(const Dataset& data, size_t variant) {
  return data.traces[(variant * 7) % data.traces.size()];
}

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const uint64_t n = it->file_size(size_ec);
      if (!size_ec) total += n;
    }
  }
  return total;
}

struct TroveSystem::Impl {
  TroveOptions options;
  std::unique_ptr<harness::TrovedProcess> process;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Trove::Stub> trove;
  std::unique_ptr<v1::Admin::Stub> admin;

  // Counters the ingest workers share.
  std::atomic<uint64_t> lines{0}, accepted{0}, rejected{0}, parse_errors{0}, retries{0};
  std::mutex error_mu;
  std::string error;  // the first worker failure

  void Fail(const std::string& what) {
    std::lock_guard<std::mutex> lock(error_mu);
    if (error.empty()) error = what;
  }
  bool failed() {
    std::lock_guard<std::mutex> lock(error_mu);
    return !error.empty();
  }
  // One client: batches from the source, sent on IngestStream streams until it runs dry.
  void IngestLines(LineBatches* source);
};

void TroveSystem::Impl::IngestLines(LineBatches* source) {
  ingest::JsonLineParser parser;
  Event event;
  auto stub = v1::Trove::NewStub(NewChannel(process->address()));
  std::deque<v1::IngestRequest> retry;  // batches to resend, in order
  std::vector<std::string> taken;

  // The next batch to send: a retried one first, else lines taken from the source.
  auto next_batch = [&](v1::IngestRequest* out) -> bool {
    if (!retry.empty()) {
      *out = std::move(retry.front());
      retry.pop_front();
      return true;
    }
    out->Clear();
    while (out->events_size() == 0) {
      if (!source->Take(options.batch, kMaxBatchBytes, &taken)) return false;
      lines += taken.size();
      for (const std::string& line : taken) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        if (!parser.Parse(line, &event).ok()) {
          ++parse_errors;
          continue;
        }
        EventToProto(event, out->add_events());
      }
    }
    return true;
  };

  v1::IngestRequest first;
  while (!failed() && next_batch(&first)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kAdminDeadline);
    v1::IngestResponse response;
    auto stream = stub->IngestStream(&context, &response);
    std::vector<v1::IngestRequest> sent;
    sent.push_back(std::move(first));
    bool open = stream->Write(sent.back());
    while (open && sent.size() < kBatchesPerStream) {
      v1::IngestRequest req;
      if (!next_batch(&req)) break;
      sent.push_back(std::move(req));
      open = stream->Write(sent.back());
    }
    if (open) stream->WritesDone();
    const grpc::Status s = stream->Finish();
    if (s.ok()) {
      accepted += response.accepted();
      rejected += response.rejected();
      continue;
    }
    if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) {
      Fail(RpcError("IngestStream", s));
      break;
    }
    // Backpressure: the events before index N of the stream are stored, the rest are not.
    const uint64_t handled = NumberAfter(s.error_message(), "before index ");
    const uint64_t handled_accepted = NumberAfter(s.error_message(), "were handled: ");
    accepted += handled_accepted;
    rejected += handled - handled_accepted;
    ++retries;
    uint64_t counted = 0;
    size_t i = 0;
    while (i < sent.size() && counted + static_cast<uint64_t>(sent[i].events_size()) <= handled) {
      counted += static_cast<uint64_t>(sent[i].events_size());
      ++i;
    }
    for (size_t j = sent.size(); j > i; --j) retry.push_front(std::move(sent[j - 1]));
    int wait_ms = 1000;
    const auto& trailers = context.GetServerTrailingMetadata();
    if (auto it = trailers.find("retry-after-ms"); it != trailers.end()) {
      wait_ms = std::max(10, atoi(std::string(it->second.data(), it->second.size()).c_str()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
  }
}

TroveSystem::TroveSystem(TroveOptions options) : impl_(new Impl) {
  impl_->options = std::move(options);
}

TroveSystem::~TroveSystem() = default;

Status TroveSystem::Start() {
  std::error_code ec;
  fs::remove_all(impl_->options.data_dir, ec);
  if (ec) return Status::IOError("cannot remove " + impl_->options.data_dir + ": " + ec.message());
  std::vector<std::string> args = {"--data", impl_->options.data_dir};
  args.insert(args.end(), impl_->options.troved_flags.begin(), impl_->options.troved_flags.end());
  impl_->process = std::make_unique<harness::TrovedProcess>(impl_->options.troved, args,
                                                            impl_->options.log_path);
  TROVE_RETURN_IF_ERROR(impl_->process->Start(kStartTimeoutMs));
  impl_->channel = NewChannel(impl_->process->address());
  impl_->trove = v1::Trove::NewStub(impl_->channel);
  impl_->admin = v1::Admin::NewStub(impl_->channel);
  return Status::OK();
}

Status TroveSystem::Ingest(const Dataset& data, IngestFigures* f) {
  Impl& m = *impl_;
  const uint64_t size = data.jsonl_bytes;
  f->file_bytes = size;
  const pid_t pid = m.process->pid();

  std::atomic<bool> sampling{true};
  std::vector<uint64_t> rss;
  std::thread sampler([&] {
    while (sampling.load()) {
      if (uint64_t b = ProcStatusBytes(pid, "VmRSS"); b > 0) rss.push_back(b);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  f->load_before = LoadAverage();
  const double troved_cpu = ProcCpuSeconds(pid), client_cpu = SelfCpuSeconds();
  const auto start = Clock::now();
  const int streams = std::max(1, m.options.streams);
  const int fd = open(data.jsonl_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) m.Fail("cannot open " + data.jsonl_path);
  // Live order: the clients share one reader, so the batches in flight at any moment are
  // close in time, as when services ship their logs as they happen. Backfill order: each
  // client reads its own contiguous part of the file, so every flush holds events of
  // `streams` distant time ranges.
  std::vector<std::unique_ptr<LineBatches>> sources;
  for (int i = 0; fd >= 0 && i < (m.options.backfill ? streams : 1); ++i) {
    const uint64_t parts = m.options.backfill ? static_cast<uint64_t>(streams) : 1;
    sources.push_back(std::make_unique<LineBatches>(fd, size * static_cast<uint64_t>(i) / parts,
                                                    size * static_cast<uint64_t>(i + 1) / parts));
  }
  std::vector<std::thread> workers;
  for (int i = 0; fd >= 0 && i < streams; ++i) {
    LineBatches* source = sources[m.options.backfill ? static_cast<size_t>(i) : 0].get();
    workers.emplace_back([&m, source] { m.IngestLines(source); });
  }
  for (std::thread& t : workers) t.join();
  for (const auto& source : sources) {
    if (source->failed()) m.Fail("cannot read " + data.jsonl_path);
  }
  if (fd >= 0) close(fd);
  f->acked_s = Since(start);
  Status result;
  if (m.failed()) {
    result = Status::IOError(m.error);
  } else {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kAdminDeadline);
    v1::FlushResponse response;
    const grpc::Status s = m.admin->Flush(&context, v1::FlushRequest(), &response);
    if (!s.ok()) result = Status::IOError(RpcError("Admin.Flush", s));
  }
  if (result.ok()) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(1));
    v1::StatsResponse stats;
    if (m.admin->Stats(&context, v1::StatsRequest(), &stats).ok()) {
      f->flushes = stats.flushes();
      f->merges = stats.merges();
    }
  }
  f->flushed_s = Since(start);
  f->troved_cpu_s = ProcCpuSeconds(pid) - troved_cpu;
  f->client_cpu_s = SelfCpuSeconds() - client_cpu;
  f->load_after = LoadAverage();
  sampling = false;
  sampler.join();

  f->lines = m.lines;
  f->accepted = m.accepted;
  f->rejected = m.rejected;
  f->parse_errors = m.parse_errors;
  f->backpressure_retries = m.retries;
  f->peak_rss = ProcStatusBytes(pid, "VmHWM");
  f->rss_samples = rss.size();
  if (!rss.empty()) {
    f->steady_rss_max = *std::max_element(rss.begin(), rss.end());
    std::vector<uint64_t> second(rss.begin() + static_cast<ptrdiff_t>(rss.size() / 2), rss.end());
    std::sort(second.begin(), second.end());
    f->steady_rss_median = second[second.size() / 2];
  }
  return result;
}

Status TroveSystem::Compact(IngestFigures* f) {
  Impl& m = *impl_;
  const auto start = Clock::now();
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kAdminDeadline);
    v1::CompactResponse response;
    const grpc::Status s = m.admin->Compact(&context, v1::CompactRequest(), &response);
    if (!s.ok()) return Status::IOError(RpcError("Admin.Compact", s));
  }
  f->compact_s = Since(start);
  f->peak_rss_after_compact = ProcStatusBytes(m.process->pid(), "VmHWM");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(1));
  v1::StatsResponse stats;
  const grpc::Status s = m.admin->Stats(&context, v1::StatsRequest(), &stats);
  if (!s.ok()) return Status::IOError(RpcError("Admin.Stats", s));
  f->flushes_after_compact = stats.flushes();
  f->merges_after_compact = stats.merges();
  f->segments = stats.segments();
  f->segment_rows = stats.segment_rows();
  f->segment_bytes = stats.segment_bytes();
  f->db_bytes = stats.db_bytes();
  f->dir_bytes = DirectoryBytes(m.options.data_dir);
  return Status::OK();
}

std::string TroveQueryText(const Workload& w, const Dataset& data, size_t variant,
                           std::string* key) {
  std::string query = w.trove_query;
  key->clear();
  if (w.variant == Variant::kNeedle) {
    *key = NeedleFor(data, variant);
    std::string lower = *key;
    for (char& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    query = lower;  // queried in lower case: the data has it mixed case
  }
  if (w.search) query += " | stats count()";
  return query;
}

void AnswerFromAggregate(const Workload& w, const std::string& key,
                         const v1::AggregateResponse& response, Answer* answer) {
  for (const v1::Row& row : response.rows()) {
    if (row.cells_size() == 0) continue;
    std::string k = key;
    for (int i = 0; i + 1 < row.cells_size(); ++i) {
      if (i > 0) k += "\x1f";
      k += CellKey(row.cells(i));
    }
    (*answer)[k] = CellValue(row.cells(row.cells_size() - 1));
  }
  if (w.search && response.rows_size() == 0) (*answer)[key] = 0.0;
}

Status TroveSystem::Run(const Workload& w, const Dataset& data, size_t variant, Answer* answer) {
  Impl& m = *impl_;
  if (w.id == WorkloadId::kTraceLookup) {
    const std::string& id = TraceFor(data, variant);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kQueryDeadline);
    v1::GetTraceRequest request;
    request.set_trace_id(id);
    v1::GetTraceResponse response;
    const grpc::Status s = m.trove->GetTrace(&context, request, &response);
    if (!s.ok()) return Status::IOError(RpcError("GetTrace " + id, s));
    (*answer)[id] = static_cast<double>(response.events_size());
    return Status::OK();
  }
  std::string key;
  const std::string query = TroveQueryText(w, data, variant, &key);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kQueryDeadline);
  v1::AggregateRequest request;
  request.set_query(query);
  v1::AggregateResponse response;
  const grpc::Status s = m.trove->Aggregate(&context, request, &response);
  if (!s.ok()) return Status::IOError(RpcError("Aggregate `" + query + "`", s));
  AnswerFromAggregate(w, key, response, answer);
  return Status::OK();
}

Status TroveSystem::EmptyCall() {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kQueryDeadline);
  v1::GetTraceRequest request;
  request.set_trace_id("no-such-trace-id");
  v1::GetTraceResponse response;
  const grpc::Status s = impl_->trove->GetTrace(&context, request, &response);
  return s.ok() ? Status::OK() : Status::IOError(RpcError("GetTrace", s));
}

Status TroveSystem::SearchNeedle(const std::string& needle, uint64_t* events, double* server_ms) {
  Impl& m = *impl_;
  std::string lower = needle;
  for (char& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kQueryDeadline);
  v1::SearchRequest request;
  request.set_query(lower + " | limit 100");
  request.set_explain(server_ms != nullptr);
  auto reader = m.trove->Search(&context, request);
  v1::SearchResponse response;
  *events = 0;
  while (reader->Read(&response)) {
    *events += static_cast<uint64_t>(response.events_size());
    if (server_ms != nullptr && response.has_explain())
      *server_ms = response.explain().elapsed_ms();
  }
  const grpc::Status s = reader->Finish();
  if (!s.ok()) return Status::IOError(RpcError("Search " + lower, s));
  return Status::OK();
}

Status TroveSystem::Stop() {
  if (!impl_->process || !impl_->process->running()) return Status::OK();
  impl_->trove.reset();
  impl_->admin.reset();
  impl_->channel.reset();
  return impl_->process->Stop(120'000);
}

std::string TroveSystem::LogTail() const {
  return impl_->process ? impl_->process->LogTail(20) : std::string();
}

}  // namespace trove::bench::compare
