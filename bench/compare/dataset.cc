#include "bench/compare/dataset.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "bench/event_gen.h"
#include "bench/loghub_loader.h"
#include "tools/event_json.h"

namespace trove::bench::compare {

namespace {

// Bump when the files' content changes for the same size and seed.
constexpr int kFormatVersion = 1;

uint64_t FileBytes(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// 2024-01-01T00:00:00.123456789Z
void AppendRfc3339(int64_t ns, std::string* out) {
  const time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[48];
  const int n =
      snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRId64 "Z", tm.tm_year + 1900,
               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns % 1'000'000'000);
  out->append(buf, static_cast<size_t>(n));
}

// A field of the text line: "-" when empty, spaces replaced so it stays one column.
void AppendColumn(const std::string& value, std::string* out) {
  if (value.empty()) {
    out->push_back('-');
    return;
  }
  for (char c : value) out->push_back(c == ' ' || c == '\t' ? '_' : c);
}

void AppendTextLine(const Event& e, std::string* out) {
  AppendRfc3339(e.time_ns, out);
  out->push_back(' ');
  out->append(LevelName(e.level));
  out->push_back(' ');
  AppendColumn(e.service, out);
  out->push_back(' ');
  AppendColumn(e.host, out);
  out->append(" trace=");
  AppendColumn(e.trace_id, out);
  out->push_back(' ');
  // Line breaks separate tokens just like spaces do, so words keep their boundaries.
  for (char c : e.message) out->push_back(c == '\n' || c == '\r' ? ' ' : c);
  out->push_back('\n');
}

std::string MetaPath(const std::string& dir) { return dir + "/events.meta"; }

// Reads the meta file; false when absent, of another version or for other options.
bool ReadMeta(const DatasetOptions& options, bool loghub, Dataset* d) {
  std::ifstream in(MetaPath(options.work_dir));
  if (!in) return false;
  std::string line;
  int version = 0;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    auto number = [&] { return strtoull(value.c_str(), nullptr, 10); };
    if (key == "version")
      version = static_cast<int>(number());
    else if (key == "target_bytes")
      d->target_bytes = number();
    else if (key == "seed")
      d->seed = number();
    else if (key == "loghub")
      d->loghub = number() != 0;
    else if (key == "events")
      d->events = number();
    else if (key == "jsonl_bytes")
      d->jsonl_bytes = number();
    else if (key == "text_bytes")
      d->text_bytes = number();
    else if (key == "needle")
      d->needles.push_back(value);
    else if (key == "trace")
      d->traces.push_back(value);
    else if (key == "service")
      d->services.push_back(value);
  }
  return version == kFormatVersion && d->target_bytes == options.target_bytes &&
         d->seed == options.seed && d->loghub == loghub &&
         d->needles.size() == static_cast<size_t>(kNeedles) && !d->traces.empty() &&
         FileBytes(d->jsonl_path) == d->jsonl_bytes && FileBytes(d->text_path) == d->text_bytes;
}

Status WriteMeta(const std::string& dir, const Dataset& d) {
  const std::string tmp = MetaPath(dir) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "version=" << kFormatVersion << "\n"
        << "target_bytes=" << d.target_bytes << "\n"
        << "seed=" << d.seed << "\n"
        << "loghub=" << (d.loghub ? 1 : 0) << "\n"
        << "events=" << d.events << "\n"
        << "jsonl_bytes=" << d.jsonl_bytes << "\n"
        << "text_bytes=" << d.text_bytes << "\n";
    for (const std::string& n : d.needles) out << "needle=" << n << "\n";
    for (const std::string& t : d.traces) out << "trace=" << t << "\n";
    for (const std::string& s : d.services) out << "service=" << s << "\n";
    if (!out.flush()) return Status::IOError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, MetaPath(dir), ec);
  if (ec) return Status::IOError("cannot rename " + tmp + ": " + ec.message());
  return Status::OK();
}

// A FILE* with a large buffer, closed (and checked) once.
class Output {
 public:
  Status Open(const std::string& path) {
    path_ = path;
    f_ = fopen(path.c_str(), "wb");
    if (f_ == nullptr) return Status::IOError("cannot create " + path);
    setvbuf(f_, nullptr, _IOFBF, 4 << 20);
    return Status::OK();
  }
  ~Output() {
    if (f_ != nullptr) fclose(f_);
  }
  bool Write(const std::string& s) { return fwrite(s.data(), 1, s.size(), f_) == s.size(); }
  Status Close() {
    const bool ok = fflush(f_) == 0 && fsync(fileno(f_)) == 0;
    const bool closed = fclose(f_) == 0;
    f_ = nullptr;
    return ok && closed ? Status::OK() : Status::IOError("cannot write " + path_);
  }

 private:
  std::string path_;
  FILE* f_ = nullptr;
};

}  // namespace

std::string NeedleToken(int k) { return "zqxneedle" + std::to_string(k) + "Kq"; }

Result<Dataset> PrepareDataset(const DatasetOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.work_dir, ec);
  if (ec) return Status::IOError("cannot create " + options.work_dir + ": " + ec.message());

  EventGenOptions gen_options;
  gen_options.seed = options.seed;
  std::shared_ptr<std::vector<std::string>> extra;
  if (!options.loghub_dir.empty()) {
    extra = std::make_shared<std::vector<std::string>>(LoadLoghubMessages(options.loghub_dir));
    if (extra->empty()) extra.reset();
  }
  gen_options.extra_messages = extra;

  Dataset d;
  d.jsonl_path = options.work_dir + "/events.jsonl";
  d.text_path = options.work_dir + "/events.txt";
  if (ReadMeta(options, extra != nullptr, &d)) {
    d.reused = true;
    return d;
  }
  d = Dataset();
  d.jsonl_path = options.work_dir + "/events.jsonl";
  d.text_path = options.work_dir + "/events.txt";
  d.target_bytes = options.target_bytes;
  d.seed = options.seed;
  d.loghub = extra != nullptr;
  std::filesystem::remove(MetaPath(options.work_dir), ec);

  const auto start = std::chrono::steady_clock::now();
  Output jsonl, text;
  TROVE_RETURN_IF_ERROR(jsonl.Open(d.jsonl_path));
  TROVE_RETURN_IF_ERROR(text.Open(d.text_path));
  EventGenerator gen(gen_options);
  std::set<std::string> services;
  std::string line, text_line;
  // Needle k goes into the first event starting at or after byte (k + 0.5) / kNeedles of the
  // target; trace sample j likewise at (j + 0.5) / kTraceSamples.
  int next_needle = 0, next_trace = 0;
  auto mark = [&](int i, int of) {
    return static_cast<uint64_t>((static_cast<double>(i) + 0.5) / of *
                                 static_cast<double>(options.target_bytes));
  };
  while (d.jsonl_bytes < options.target_bytes) {
    Event e = gen.Next();
    if (next_needle < kNeedles && d.jsonl_bytes >= mark(next_needle, kNeedles)) {
      d.needles.push_back(NeedleToken(next_needle));
      e.message += " marker " + d.needles.back();
      ++next_needle;
    }
    if (next_trace < kTraceSamples && d.jsonl_bytes >= mark(next_trace, kTraceSamples) &&
        !e.trace_id.empty()) {
      d.traces.push_back(e.trace_id);
      ++next_trace;
    }
    services.insert(e.service);
    line = ingest::ToJsonLine(e);
    line.push_back('\n');
    text_line.clear();
    AppendTextLine(e, &text_line);
    if (!jsonl.Write(line)) return Status::IOError("cannot write " + d.jsonl_path);
    if (!text.Write(text_line)) return Status::IOError("cannot write " + d.text_path);
    d.jsonl_bytes += line.size();
    d.text_bytes += text_line.size();
    ++d.events;
    if (d.events % 5'000'000 == 0) {
      fprintf(stderr, "  generated %" PRIu64 " events, %.1f GB\n", d.events,
              static_cast<double>(d.jsonl_bytes) / 1e9);
    }
  }
  TROVE_RETURN_IF_ERROR(jsonl.Close());
  TROVE_RETURN_IF_ERROR(text.Close());
  if (d.needles.size() != static_cast<size_t>(kNeedles)) {
    return Status::InvalidArgument("the target size is too small for " + std::to_string(kNeedles) +
                                   " needles");
  }
  d.services.assign(services.begin(), services.end());
  d.generate_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  TROVE_RETURN_IF_ERROR(WriteMeta(options.work_dir, d));
  return d;
}

}  // namespace trove::bench::compare
