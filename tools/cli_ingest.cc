// trove ingest: files (or stdin) → events → IngestStream batches.
//
// Every input is opened before anything is sent, so a typo in a file name costs nothing.
// Lines that cannot become events (malformed JSON, over-long lines) are counted as rejected
// and named by file:line; so are events the server refuses (their stream index is mapped back
// to the line they came from). The exit status is 0 when the inputs were read and the server
// answered, whatever it rejected: the counts say what happened (like a bulk API's per-item
// errors); 1 when a file cannot be read or the server fails.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "proto/event_convert.h"
#include "proto/trove.grpc.pb.h"
#include "tools/cli_commands.h"
#include "tools/cli_flags.h"
#include "tools/json_lines.h"
#include "tools/line_reader.h"
#include "tools/text_lines.h"

namespace trove::cli {

namespace {

// A request stays well under gRPC's default 4 MiB receive limit, whatever the server's own
// limit is, while a 1000-event batch of typical 500-byte lines stays one message.
constexpr size_t kMaxBatchBytes = 3 << 20;
constexpr size_t kShownProblems = 10;
constexpr auto kProgressInterval = std::chrono::milliseconds(500);

enum class Format { kAuto, kJson, kText };

struct IngestOptions {
  Format format = Format::kAuto;
  std::string service;
  bool multiline = false;
  uint64_t batch = 1000;
  // Longer lines are rejected locally: the server's default event limit is 1 MiB (DESIGN.md
  // §1), and a line is at least as large as its event.
  uint64_t max_line_bytes = 1 << 20;
};

// Where each event of the stream came from, kept as runs of consecutive lines of one file, so
// memory grows with the number of runs (gaps, multi-line events), not of events.
class EventOrigins {
 public:
  void Add(uint64_t index, uint32_t file, uint64_t line) {
    if (runs_.empty() || runs_.back().file != file ||
        runs_.back().line + (index - runs_.back().index) != line) {
      runs_.push_back(Run{index, file, line});
    }
  }
  // REQUIRES: Add was called for an index <= index.
  void Find(uint64_t index, uint32_t* file, uint64_t* line) const {
    auto it = std::upper_bound(runs_.begin(), runs_.end(), index,
                               [](uint64_t i, const Run& r) { return i < r.index; });
    --it;
    *file = it->file;
    *line = it->line + (index - it->index);
  }
  bool empty() const { return runs_.empty(); }

 private:
  struct Run {
    uint64_t index;
    uint32_t file;
    uint64_t line;
  };
  std::vector<Run> runs_;
};

class Ingester {
 public:
  Ingester(const CliEnv& env, IngestOptions options)
      : env_(env), options_(std::move(options)), stub_(v1::Trove::NewStub(env.channel)) {}

  int Run(std::vector<std::unique_ptr<ingest::LineReader>> readers);

 private:
  // Reads one input to its end. False when the stream broke or the input failed to read.
  bool ReadInput(uint32_t file, ingest::LineReader* reader);
  bool AddEvent(const Event& event, uint32_t file, uint64_t line);
  bool SendBatch();
  void Problem(uint32_t file, uint64_t line, const std::string& what);
  void ShowProgress(bool force);
  std::string InputName(uint32_t file) const {
    return names_[file] == "-" ? "<stdin>" : names_[file];
  }

  const CliEnv& env_;
  const IngestOptions options_;
  std::unique_ptr<v1::Trove::Stub> stub_;
  grpc::ClientContext context_;
  v1::IngestResponse response_;
  std::unique_ptr<grpc::ClientWriter<v1::IngestRequest>> writer_;
  v1::IngestRequest request_;
  size_t request_bytes_ = 0;

  std::vector<std::string> names_;
  std::vector<ingest::LineReader*> readers_;
  EventOrigins origins_;
  uint64_t events_sent_ = 0;  // stream index of the next event
  uint64_t local_rejected_ = 0;
  std::vector<std::string> problems_;  // the first kShownProblems, "file:line: what"
  bool read_failed_ = false;

  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_progress_ = start_;
  bool progress_shown_ = false;
};

void Ingester::Problem(uint32_t file, uint64_t line, const std::string& what) {
  ++local_rejected_;
  if (problems_.size() < kShownProblems) {
    problems_.push_back(InputName(file) + ":" + std::to_string(line) + ": " + what);
  }
}

bool Ingester::AddEvent(const Event& event, uint32_t file, uint64_t line) {
  EventToProto(event, request_.add_events());
  origins_.Add(events_sent_++, file, line);
  request_bytes_ += event.ApproximateSize();
  if (static_cast<uint64_t>(request_.events_size()) >= options_.batch ||
      request_bytes_ >= kMaxBatchBytes) {
    return SendBatch();
  }
  return true;
}

bool Ingester::SendBatch() {
  if (request_.events_size() == 0) return true;
  const bool ok = writer_->Write(request_);
  request_.Clear();
  request_bytes_ = 0;
  ShowProgress(false);
  return ok;
}

void Ingester::ShowProgress(bool done) {
  if (!env_.stderr_tty) return;
  const auto now = std::chrono::steady_clock::now();
  if (!done && now - last_progress_ < kProgressInterval) return;
  last_progress_ = now;
  if (done) {
    if (progress_shown_) fprintf(stderr, "\r\033[K");
    return;
  }
  uint64_t bytes = 0;
  for (const ingest::LineReader* r : readers_) bytes += r->bytes_read();
  const double seconds = std::chrono::duration<double>(now - start_).count();
  fprintf(stderr, "\r\033[K%" PRIu64 " events, %.1f MB, %.1f MB/s", events_sent_,
          static_cast<double>(bytes) / 1e6,
          seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0);
  progress_shown_ = true;
}

bool Ingester::ReadInput(uint32_t file, ingest::LineReader* reader) {
  Format format = options_.format;
  ingest::JsonParseOptions json_options;
  json_options.service = options_.service;
  ingest::JsonLineParser json(json_options);
  ingest::TextParseOptions text_options;
  text_options.service = options_.service;
  text_options.multiline = options_.multiline;
  ingest::TextLineParser text(text_options);
  std::vector<ingest::LineEvent> completed;
  Event event;

  ingest::InputLine line;
  while (reader->Next(&line)) {
    if (line.too_long) {
      Problem(file, line.number,
              "line of " + std::to_string(line.length) + " bytes exceeds the " +
                  std::to_string(options_.max_line_bytes) + "-byte limit (--max-line-bytes)");
      continue;
    }
    if (format == Format::kAuto) {
      if (line.text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      format = ingest::LooksLikeJsonLine(line.text) ? Format::kJson : Format::kText;
    }
    if (format == Format::kJson) {
      if (line.text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      const Status st = json.Parse(line.text, &event);
      if (!st.ok()) {
        Problem(file, line.number, st.message());
        continue;
      }
      if (!AddEvent(event, file, line.number)) return false;
    } else {
      completed.clear();
      text.AddLine(line.text, line.number, &completed);
      for (const ingest::LineEvent& le : completed) {
        if (!AddEvent(le.event, file, le.line)) return false;
      }
    }
  }
  completed.clear();
  text.Finish(&completed);
  for (const ingest::LineEvent& le : completed) {
    if (!AddEvent(le.event, file, le.line)) return false;
  }
  if (!reader->status().ok()) {
    fprintf(stderr, "trove: %s\n", reader->status().message().c_str());
    read_failed_ = true;
    return false;
  }
  return true;
}

int Ingester::Run(std::vector<std::unique_ptr<ingest::LineReader>> readers) {
  for (const auto& r : readers) {
    names_.push_back(r->name());
    readers_.push_back(r.get());
  }
  writer_ = stub_->IngestStream(&context_, &response_);
  bool stream_ok = true;
  for (uint32_t f = 0; f < readers.size() && stream_ok; ++f) {
    stream_ok = ReadInput(f, readers[f].get());
  }
  if (stream_ok) stream_ok = SendBatch();
  if (read_failed_) context_.TryCancel();
  if (stream_ok) writer_->WritesDone();
  const grpc::Status status = writer_->Finish();
  ShowProgress(true);
  if (read_failed_) return kExitFailure;
  if (!status.ok()) {
    const int code = ReportRpcError(env_, "ingest", status);
    if (events_sent_ > 0 && status.error_code() != grpc::StatusCode::UNAVAILABLE) {
      fprintf(stderr,
              "trove: %" PRIu64
              " events were sent before the failure; batches the server "
              "acknowledged are stored\n",
              events_sent_);
    }
    return code;
  }

  const uint64_t rejected = local_rejected_ + response_.rejected();
  printf("%" PRIu64 " accepted, %" PRIu64 " rejected\n", response_.accepted(), rejected);
  for (const v1::Rejection& r : response_.rejections()) {
    if (problems_.size() >= kShownProblems) break;
    std::string where = "event " + std::to_string(r.index());
    if (r.index() < events_sent_ && !origins_.empty()) {
      uint32_t file;
      uint64_t line;
      origins_.Find(r.index(), &file, &line);
      where = InputName(file) + ":" + std::to_string(line);
    }
    problems_.push_back(where + ": rejected by the server: " + r.reason());
  }
  for (const std::string& p : problems_) fprintf(stderr, "trove: %s\n", p.c_str());
  if (rejected > problems_.size()) {
    fprintf(stderr, "trove: … and %" PRIu64 " more rejected\n", rejected - problems_.size());
  }
  return kExitOk;
}

}  // namespace

int RunIngest(const CliEnv& env, const std::vector<std::string>& args) {
  FlagParser flags({"format", "service", "batch", "max-line-bytes"}, {"multiline", "help"});
  if (Status st = flags.Parse(args); !st.ok()) return UsageError(st.message());
  IngestOptions options;
  const std::string format = flags.Value("format", "auto");
  if (format == "jsonl" || format == "json") {
    options.format = Format::kJson;
  } else if (format == "text") {
    options.format = Format::kText;
  } else if (format != "auto") {
    return UsageError("--format must be jsonl or text, not '" + format + "'");
  }
  options.service = flags.Value("service");
  options.multiline = flags.Has("multiline");
  if (flags.Has("batch") && !ParseCount(flags.Value("batch"), 1, &options.batch)) {
    return UsageError("--batch wants a number of events >= 1, not '" + flags.Value("batch") + "'");
  }
  if (flags.Has("max-line-bytes") &&
      !ParseCount(flags.Value("max-line-bytes"), 1, &options.max_line_bytes)) {
    return UsageError("--max-line-bytes wants a number >= 1");
  }
  if (options.multiline && options.format == Format::kJson) {
    return UsageError("--multiline applies to --format text only");
  }
  if (flags.positional().empty()) return UsageError("ingest needs a FILE, or - for stdin");

  std::vector<std::unique_ptr<ingest::LineReader>> readers;
  int stdin_count = 0;
  for (const std::string& path : flags.positional()) {
    stdin_count += path == "-";
    auto reader = ingest::LineReader::Open(path, options.max_line_bytes);
    if (!reader.ok()) {
      fprintf(stderr, "trove: %s\n", reader.status().message().c_str());
      return kExitFailure;
    }
    readers.push_back(std::move(reader).value());
  }
  if (stdin_count > 1) return UsageError("- (stdin) may be given once");
  Ingester ingester(env, options);
  return ingester.Run(std::move(readers));
}

}  // namespace trove::cli
