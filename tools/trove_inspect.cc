// trove-inspect: look inside a store directory without the server.
//
//   trove-inspect dump [--terms N] DIR   segments, columns, indexes, buffered events, totals
//   trove-inspect verify DIR             reads and checks every block of every segment
//   trove-inspect verify-file PATH       the same for one segment file, without a store
//   trove-inspect load DIR FILE...       ingests plain-text log files (one line = one event)
//   trove-inspect demo [--events N] [--loghub DIR] DIR
//                                        loads the demo data set into an empty store
//
// Exit status: 0 on success (verify: every segment OK), 1 on a store or I/O error or a failed
// check, 2 on a usage error.
//
// dump and verify open the store through Store::Open with the background thread off, which
// still recovers it: files in DIR/segments that no catalog entry names are deleted. The store
// must not be open elsewhere (RocksDB holds a lock on DIR/db).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "bench/event_gen.h"
#include "bench/loghub_loader.h"
#include "index/postings.h"
#include "storage/format.h"
#include "storage/segment.h"
#include "storage/store.h"
#include "tools/human_bytes.h"
#include "tools/log_time.h"

namespace fs = std::filesystem;
using trove::ColumnMeta;
using trove::SegmentReader;
using trove::Result;
using trove::Status;
using trove::ingest::FormatRfc3339;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int Usage(const char* problem = nullptr) {
  if (problem != nullptr) fprintf(stderr, "trove-inspect: %s\n", problem);
  fprintf(stderr,
          "usage: trove-inspect dump [--terms N] DIR\n"
          "       trove-inspect verify DIR\n"
          "       trove-inspect verify-file PATH\n"
          "       trove-inspect load DIR FILE...\n"
          "       trove-inspect demo [--events N] [--loghub DIR] DIR\n");
  return kExitUsage;
}

using trove::tools::HumanBytes;

// "0.154 (1/6.5)": stored bytes per raw byte.
std::string Ratio(uint64_t stored, uint64_t raw) {
  if (stored == 0 || raw == 0) return "-";
  const double r = static_cast<double>(stored) / static_cast<double>(raw);
  char buf[64];
  snprintf(buf, sizeof buf, "%.3f (1/%.1f)", r, 1 / r);
  return buf;
}

const char* TypeName(trove::ValueType t) {
  switch (t) {
    case trove::ValueType::kString:
      return "string";
    case trove::ValueType::kInt64:
      return "int64";
    case trove::ValueType::kDouble:
      return "double";
    case trove::ValueType::kBool:
      return "bool";
  }
  return "?";
}

std::string BaseEncodingName(const ColumnMeta& c);

// The encoding, then (format 2) the rows per frame and "+zd" for a zstd dictionary.
std::string EncodingName(const ColumnMeta& c) {
  std::string name = BaseEncodingName(c);
  if (c.frame_rows > 0) name += " f" + std::to_string(c.frame_rows);
  if (c.zstd_dictionary.size > 0) name += "+zd";
  return name;
}

std::string BaseEncodingName(const ColumnMeta& c) {
  namespace f = trove::format;
  switch (c.encoding) {
    case f::kEncodingIntDelta:
      return "delta";
    case f::kEncodingIntFor:
      return "for";
    case f::kEncodingDouble:
      return "double";
    case f::kEncodingByte:
      return "byte";
    case f::kEncodingStringPlain:
      return "plain";
    case f::kEncodingStringDict:
      return "dict(" + std::to_string(c.dictionary_size) + ")";
    case f::kEncodingId:
      return "id";
  }
  return "enc" + std::to_string(c.encoding);
}

uint64_t TermTableBytes(const trove::TermTableMeta& t) {
  uint64_t n = 0;
  for (const auto& h : t.blocks) n += h.size;
  return n;
}

uint64_t ColumnBytes(const ColumnMeta& c) {
  uint64_t n = c.encoding == trove::format::kEncodingStringDict ? c.dictionary.size : 0;
  n += c.zstd_dictionary.size;
  for (const auto& b : c.blocks) n += b.handle.size;
  return n;
}

// "min .. max" over the blocks that hold values, in the column's own terms.
std::string Range(const ColumnMeta& c) {
  bool any = false;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  double dlo = 0, dhi = 0;
  for (const auto& b : c.blocks) {
    if (b.present == 0) continue;
    if (!any) dlo = b.min_double, dhi = b.max_double;
    any = true;
    lo = std::min(lo, b.min_int);
    hi = std::max(hi, b.max_int);
    dlo = std::min(dlo, b.min_double);
    dhi = std::max(dhi, b.max_double);
  }
  if (!any) return "";
  char buf[128];
  if (c.kind == trove::format::kKindBuiltin && c.name == trove::kFieldTime) {
    return FormatRfc3339(lo, 3) + " .. " + FormatRfc3339(hi, 3);
  }
  if (c.kind == trove::format::kKindBuiltin && c.name == trove::kFieldLevel) {
    auto name = [](int64_t v) {
      return v >= 0 && v < trove::kNumLevels
                 ? std::string(trove::LevelName(static_cast<trove::Level>(v)))
                 : std::to_string(v);
    };
    return name(lo) + " .. " + name(hi);
  }
  switch (c.type) {
    case trove::ValueType::kInt64:
      snprintf(buf, sizeof buf, "%" PRId64 " .. %" PRId64, lo, hi);
      return buf;
    case trove::ValueType::kBool:
      return std::string(lo ? "true" : "false") + " .. " + (hi ? "true" : "false");
    case trove::ValueType::kDouble:
      snprintf(buf, sizeof buf, "%g .. %g", dlo, dhi);
      return buf;
    case trove::ValueType::kString:
      break;
  }
  return "";
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// The N most frequent terms of a segment, and the term index broken down by field (the
// bytes are the encoded posting lists, before block compression). Returns the first error.
Status PrintTopTerms(const SegmentReader& seg, size_t n) {
  struct FieldUse {
    uint64_t terms = 0, postings_bytes = 0, key_bytes = 0;
  };
  std::map<std::string, FieldUse, std::less<>> fields;
  using Entry = std::pair<uint64_t, std::string>;  // (rows, "field:token")
  // Min-heap on count (ties: the larger key is evicted first), so memory stays O(n).
  auto better = [](const Entry& a, const Entry& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  std::priority_queue<Entry, std::vector<Entry>, decltype(better)> top(better);
  Status bad;
  Status s = seg.ForEachTerm(
      [&](std::string_view field, std::string_view token, std::string_view postings) {
        auto it = fields.find(field);
        if (it == fields.end()) it = fields.emplace(std::string(field), FieldUse()).first;
        ++it->second.terms;
        it->second.postings_bytes += postings.size();
        it->second.key_bytes += field.size() + 1 + token.size();
        Roaring rows;
        if (!trove::index::DecodePostings(postings, &rows)) {
          if (bad.ok()) {
            bad = Status::Corruption(seg.path() + ": malformed posting list of term " +
                                     std::string(field) + ":" + std::string(token));
          }
          return;
        }
        Entry e{rows.cardinality(), std::string(field) + ":" + std::string(token)};
        if (top.size() < n) {
          top.push(std::move(e));
        } else if (n > 0 && better(e, top.top())) {
          top.pop();
          top.push(std::move(e));
        }
      });
  std::vector<Entry> sorted;
  while (!top.empty()) {
    sorted.push_back(top.top());
    top.pop();
  }
  std::reverse(sorted.begin(), sorted.end());
  printf("  term index by field (uncompressed):  %10s %12s %12s\n", "terms", "key B", "postings B");
  for (const auto& [name, use] : fields) {
    printf("    %-34s %10" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", name.c_str(), use.terms,
           use.key_bytes, use.postings_bytes);
  }
  printf("  top %zu terms:\n", n);
  for (const Entry& e : sorted) printf("    %10" PRIu64 "  %s\n", e.first, e.second.c_str());
  return s.ok() ? bad : s;
}

void PrintSegment(const SegmentReader& seg, int64_t partition_ns) {
  const trove::SegmentMeta& m = seg.meta();
  printf("segment %s\n", fs::path(seg.path()).filename().c_str());
  std::string note;
  if (m.rows > 0 && FloorDiv(m.min_time, partition_ns) != m.partition) {
    note = "  (rows lie outside this partition width: the store uses another partition_ns)";
  }
  printf("  partition  %s  (#%" PRId64 ")%s\n",
         FormatRfc3339(m.partition * partition_ns, 0).c_str(), m.partition, note.c_str());
  printf("  rows       %u   (segment format %u)\n", m.rows, m.format_version);
  printf("  time       %s .. %s\n", FormatRfc3339(m.min_time, 3).c_str(),
         FormatRfc3339(m.max_time, 3).c_str());
  printf("  file       %s (%" PRIu64 " B)   raw %s (%" PRIu64 " B)   file/raw %s\n",
         HumanBytes(seg.file_size()).c_str(), seg.file_size(), HumanBytes(m.raw_bytes).c_str(),
         m.raw_bytes, Ratio(seg.file_size(), m.raw_bytes).c_str());
  printf("  %-24s %-6s %-16s %9s %6s %12s  %s\n", "column", "type", "encoding", "present", "blocks",
         "stored B", "min .. max");
  uint64_t accounted = 0;
  for (const ColumnMeta& c : m.columns) {
    const uint64_t bytes = ColumnBytes(c);
    accounted += bytes;
    printf("  %-24s %-6s %-16s %9u %6zu %12" PRIu64 "  %s\n", c.name.c_str(), TypeName(c.type),
           EncodingName(c).c_str(), c.present, c.blocks.size(), bytes, Range(c).c_str());
  }
  const uint64_t term_bytes = TermTableBytes(m.terms), trace_bytes = TermTableBytes(m.traces);
  accounted += term_bytes + trace_bytes;
  printf("  terms      %" PRIu64 " keys, %" PRIu64 " B in %zu blocks\n", m.terms.num_keys,
         term_bytes, m.terms.blocks.size());
  printf("  trace ids  %" PRIu64 " keys, %" PRIu64 " B in %zu blocks\n", m.traces.num_keys,
         trace_bytes, m.traces.blocks.size());
  if (seg.file_size() >= accounted) {
    printf("  meta+footer %" PRIu64 " B\n", seg.file_size() - accounted);
  }
}

// Opens an existing store for inspection. Refuses a directory without a store, so that a
// mistyped path is not turned into a new, empty store.
trove::Result<std::unique_ptr<trove::Store>> OpenExisting(const std::string& dir) {
  if (!fs::exists(fs::path(dir) / "db" / "CURRENT")) {
    return Status::NotFound(dir + " is not a Trove store (no " + dir + "/db/CURRENT)");
  }
  trove::StoreOptions options;
  options.background = false;
  options.cold_tier = trove::ColdTierForTools(dir);
  return trove::Store::Open(options, dir);
}

int Dump(const std::string& dir, size_t top_terms) {
  auto opened = OpenExisting(dir);
  if (!opened.ok()) {
    fprintf(stderr, "trove-inspect: cannot open store %s: %s\n", dir.c_str(),
            opened.status().ToString().c_str());
    return kExitFailure;
  }
  const trove::Store& store = **opened;
  const int64_t partition_ns = store.options().partition_ns;
  auto snap = store.GetSnapshot();
  printf("store %s  (partition width %" PRId64 " s assumed)\n\n", dir.c_str(),
         partition_ns / 1'000'000'000);
  int rc = kExitOk;
  for (const auto& seg : snap->segments()) {
    PrintSegment(*seg, partition_ns);
    if (top_terms > 0) {
      Status s = PrintTopTerms(*seg, top_terms);
      if (!s.ok()) {
        fprintf(stderr, "trove-inspect: %s\n", s.ToString().c_str());
        rc = kExitFailure;
      }
    }
    printf("\n");
  }
  uint64_t buffered_bytes = 0;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (const auto& b : snap->recent()) {
    buffered_bytes += b->bytes;
    lo = std::min(lo, b->min_time);
    hi = std::max(hi, b->max_time);
  }
  printf("buffered   %" PRIu64 " events in %zu batches, %s", snap->recent_events(),
         snap->recent().size(), HumanBytes(buffered_bytes).c_str());
  if (!snap->recent().empty()) {
    printf(", %s .. %s", FormatRfc3339(lo, 3).c_str(), FormatRfc3339(hi, 3).c_str());
  }
  printf("\n");

  const trove::StoreStats st = store.GetStats();
  printf("totals     %" PRIu64 " segments, %" PRIu64
         " rows, segments %s, raw %s, "
         "segments/raw %s\n",
         st.segments, st.segment_rows, HumanBytes(st.segment_bytes).c_str(),
         HumanBytes(st.segment_raw_bytes).c_str(),
         Ratio(st.segment_bytes, st.segment_raw_bytes).c_str());
  printf("           buffered %" PRIu64
         " events / %s; RocksDB live files %s; "
         "flushes %" PRIu64 ", merges %" PRIu64 " (this process)\n",
         st.buffered_events, HumanBytes(st.buffered_bytes).c_str(), HumanBytes(st.db_bytes).c_str(),
         st.flushes, st.merges);
  if (!st.background_error.empty())
    printf("           background error: %s\n", st.background_error.c_str());
  return rc;
}

// Opens and verifies one segment file; prints one line. Returns true when it is sound.
bool VerifyFile(const std::string& path) {
  auto seg = SegmentReader::Open(trove::FileSystem::Default(), path);
  Status s = seg.ok() ? (*seg)->Verify() : seg.status();
  if (s.ok()) {
    printf("OK       %s  (%u rows, %s)\n", path.c_str(), (*seg)->rows(),
           HumanBytes((*seg)->file_size()).c_str());
  } else {
    printf("%-8s %s  %s\n", s.IsCorruption() ? "CORRUPT" : "ERROR", path.c_str(),
           s.ToString().c_str());
  }
  return s.ok();
}

int Verify(const std::string& dir) {
  auto opened = OpenExisting(dir);
  if (!opened.ok()) {
    fprintf(stderr, "trove-inspect: cannot open store %s: %s\n", dir.c_str(),
            opened.status().ToString().c_str());
    // Opening checks every segment's footer and meta, so one bad file stops it; say which.
    const fs::path segments = fs::path(dir) / "segments";
    std::error_code ec;
    if (fs::is_directory(segments, ec)) {
      fprintf(stderr, "trove-inspect: checking the files in %s directly:\n", segments.c_str());
      std::vector<std::string> paths;
      for (const auto& e : fs::directory_iterator(segments, ec)) {
        uint64_t id;
        if (trove::ParseSegmentFileName(e.path().filename().string(), &id)) {
          paths.push_back(e.path().string());
        }
      }
      std::sort(paths.begin(), paths.end());
      for (const auto& p : paths) VerifyFile(p);
    }
    return kExitFailure;
  }
  auto snap = (*opened)->GetSnapshot();
  size_t bad = 0;
  for (const auto& seg : snap->segments()) {
    Status s = seg->Verify();
    const std::string name = fs::path(seg->path()).filename().string();
    if (s.ok()) {
      printf("OK       %s  (%u rows)\n", name.c_str(), seg->rows());
    } else {
      printf("%-8s %s  %s\n", s.IsCorruption() ? "CORRUPT" : "ERROR", name.c_str(),
             s.ToString().c_str());
      ++bad;
    }
  }
  printf("%zu segments, %zu failed; %" PRIu64 " buffered events\n", snap->segments().size(), bad,
         snap->recent_events());
  return bad == 0 ? kExitOk : kExitFailure;
}

// Appends events in batches, retrying while the store applies backpressure. Prints a line with
// the counts under `label`. Returns false on a store error (already reported).
bool AppendAll(trove::Store& store, const std::vector<trove::Event>& events,
               const std::string& label) {
  constexpr size_t kBatch = 10000;
  size_t accepted = 0, rejected = 0, printed = 0;
  for (size_t i = 0; i < events.size(); i += kBatch) {
    const auto first = events.begin() + static_cast<ptrdiff_t>(i);
    const auto last = events.begin() + static_cast<ptrdiff_t>(std::min(events.size(), i + kBatch));
    auto r = store.Append(std::vector<trove::Event>(first, last));
    for (int attempt = 0; !r.ok() && r.status().IsResourceExhausted() && attempt < 30; ++attempt) {
      std::this_thread::sleep_for(std::chrono::seconds(1));  // flushing is behind; retry
      r = store.Append(std::vector<trove::Event>(first, last));
    }
    if (!r.ok()) {
      fprintf(stderr, "trove-inspect: %s: append: %s\n", label.c_str(),
              r.status().ToString().c_str());
      return false;
    }
    accepted += r->accepted;
    rejected += r->rejected.size();
    for (const auto& rej : r->rejected) {
      if (printed++ >= 3) break;
      fprintf(stderr, "  %s event %zu rejected: %s\n", label.c_str(), i + rej.index + 1,
              rej.reason.ToString().c_str());
    }
  }
  printf("%s: %zu events, %zu accepted, %zu rejected\n", label.c_str(), events.size(), accepted,
         rejected);
  return true;
}

Result<std::unique_ptr<trove::Store>> OpenForLoad(const std::string& dir) {
  trove::StoreOptions options;  // background flushing keeps the buffer bounded on big files
  options.cold_tier = trove::ColdTierForTools(dir);
  auto opened = trove::Store::Open(options, dir);
  if (!opened.ok()) {
    fprintf(stderr, "trove-inspect: cannot open store %s: %s\n", dir.c_str(),
            opened.status().ToString().c_str());
  }
  return opened;
}

int FlushAndReport(trove::Store& store, const std::string& dir) {
  if (Status s = store.Flush(); !s.ok()) {
    fprintf(stderr, "trove-inspect: flush: %s\n", s.ToString().c_str());
    return kExitFailure;
  }
  const trove::StoreStats st = store.GetStats();
  printf("store %s: %" PRIu64 " segments, %" PRIu64 " rows, %s on disk in segments\n", dir.c_str(),
         st.segments, st.segment_rows, HumanBytes(st.segment_bytes).c_str());
  return kExitOk;
}

int Load(const std::string& dir, const std::vector<std::string>& files) {
  auto opened = OpenForLoad(dir);
  if (!opened.ok()) return kExitFailure;
  trove::Store& store = **opened;
  int rc = kExitOk;
  for (const std::string& file : files) {
    Status st;
    std::vector<trove::Event> events =
        trove::bench::LoadTextLog(file, fs::path(file).stem().string(), &st);
    if (!st.ok()) {
      fprintf(stderr, "trove-inspect: %s\n", st.ToString().c_str());
      rc = kExitFailure;
      continue;
    }
    if (!AppendAll(store, events, file)) return kExitFailure;
  }
  int flushed = FlushAndReport(store, dir);
  return rc != kExitOk ? rc : flushed;
}

// Loads the demo data set into an empty store: generated microservice events (with trace IDs
// shared across services) and every *.log file of loghub_dir when that directory exists.
int Demo(const std::string& dir, size_t generated, const std::string& loghub_dir) {
  auto opened = OpenForLoad(dir);
  if (!opened.ok()) return kExitFailure;
  trove::Store& store = **opened;
  const trove::StoreStats before = store.GetStats();
  if (before.segment_rows + before.buffered_events > 0) {
    printf("store %s already holds %" PRIu64 " events; demo data not loaded again\n", dir.c_str(),
           before.segment_rows + before.buffered_events);
    return kExitOk;
  }
  trove::bench::EventGenOptions gen_options;
  // Recent data: the last `generated` milliseconds or so, ending now.
  gen_options.start_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() -
                         static_cast<int64_t>(generated) * gen_options.mean_step_ns;
  trove::bench::EventGenerator gen(gen_options);
  constexpr size_t kChunk = 50000;
  for (size_t done = 0; done < generated; done += kChunk) {
    std::vector<trove::Event> events;
    gen.Fill(std::min(kChunk, generated - done), &events);
    if (!AppendAll(store, events, "generated microservice events")) return kExitFailure;
  }
  std::error_code ec;
  if (!loghub_dir.empty() && fs::is_directory(loghub_dir, ec)) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(loghub_dir)) {
      if (entry.path().extension() == ".log") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      Status st;
      auto events = trove::bench::LoadTextLog(file, fs::path(file).stem().string(), &st);
      if (!st.ok()) {
        fprintf(stderr, "trove-inspect: %s\n", st.ToString().c_str());
        continue;
      }
      if (!AppendAll(store, events, file)) return kExitFailure;
    }
  } else {
    printf("(no loghub directory at '%s': only generated events loaded)\n", loghub_dir.c_str());
  }
  return FlushAndReport(store, dir);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);

  if (cmd == "dump") {
    size_t terms = 0;
    std::string dir;
    for (size_t i = 0; i < args.size(); ++i) {
      std::string a = args[i], value;
      if (a == "--terms" || a.rfind("--terms=", 0) == 0) {
        if (a == "--terms") {
          if (i + 1 >= args.size()) return Usage("--terms needs a number");
          value = args[++i];
        } else {
          value = a.substr(8);
        }
        char* end = nullptr;
        errno = 0;
        const unsigned long long n = strtoull(value.c_str(), &end, 10);
        if (value.empty() || value[0] == '-' || *end != '\0' || errno != 0) {
          return Usage(("--terms wants a count, got '" + value + "'").c_str());
        }
        terms = static_cast<size_t>(n);
      } else if (a.size() > 1 && a[0] == '-') {
        return Usage(("unknown option " + a).c_str());
      } else if (dir.empty()) {
        dir = a;
      } else {
        return Usage("dump takes one directory");
      }
    }
    if (dir.empty()) return Usage("dump needs a store directory");
    return Dump(dir, terms);
  }
  if (cmd == "verify") {
    if (args.size() != 1) return Usage("verify takes one store directory");
    return Verify(args[0]);
  }
  if (cmd == "verify-file") {
    if (args.size() != 1) return Usage("verify-file takes one segment file");
    return VerifyFile(args[0]) ? kExitOk : kExitFailure;
  }
  if (cmd == "load") {
    if (args.size() < 2) return Usage("load needs a store directory and at least one file");
    return Load(args[0], std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (cmd == "demo") {
    size_t events = 200000;
    std::string loghub, dir;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--events" && i + 1 < args.size()) {
        char* end = nullptr;
        events = strtoull(args[++i].c_str(), &end, 10);
        if (*end != '\0') return Usage("--events wants a count");
      } else if (args[i] == "--loghub" && i + 1 < args.size()) {
        loghub = args[++i];
      } else if (!args[i].empty() && args[i][0] == '-') {
        return Usage(("unknown option " + args[i]).c_str());
      } else if (dir.empty()) {
        dir = args[i];
      } else {
        return Usage("demo takes one directory");
      }
    }
    if (dir.empty()) return Usage("demo needs a store directory");
    return Demo(dir, events, loghub);
  }
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    Usage();
    return kExitOk;
  }
  return Usage(("unknown command '" + cmd + "'").c_str());
}
