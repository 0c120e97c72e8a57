// trove-bench-layout: how segment write options trade size against cold point lookups, on the
// events of an existing store (DESIGN.md §6: the trace and needle rows against SQLite).
//
//   trove-bench-layout DIR [--segments K] [--out TMPDIR] [--only VARIANT] [--columns]
//
// Reads the events of the first K segments of the store in DIR (default 1), writes them as
// one segment per variant of SegmentWriteOptions into TMPDIR (default /tmp/trove-layout), and
// prints for each the file's size, its term index's, and the p50 of point lookups through a
// freshly opened reader, so that nothing is in the block cache (the file is in the page cache),
// as for the benchmark's distinct IDs:
//   trace      TraceRows + ReadTraceEvents of up to 500 of the events' trace IDs;
//   2nd trace  the same after another trace's lookup on that reader (dictionaries loaded);
//   token      Postings of as many rare message tokens (the 16 hex digits of api-gateway's
//              `request_id=`, one event each).
// --columns adds each column's share of the trace lookup (ReadEvents of that field alone).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "storage/file_system.h"
#include "storage/segment.h"

namespace {

using trove::SegmentReader;
using trove::SegmentWriteOptions;

double P50(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename Fn>
double TimeMs(Fn fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: trove-bench-layout DIR [--segments K] [--out TMPDIR]\n");
    return 2;
  }
  const std::string dir = argv[1];
  size_t k = 1;
  std::string out = "/tmp/trove-layout";
  std::string only;
  bool columns = false;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--columns") {
      columns = true;
    } else if (i + 1 < argc && flag == "--segments") {
      k = std::strtoull(argv[++i], nullptr, 10);
    } else if (i + 1 < argc && flag == "--only") {
      only = argv[++i];
    } else if (i + 1 < argc && flag == "--out") {
      out = argv[++i];
    } else {
      fprintf(stderr, "trove-bench-layout: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  trove::FileSystem* fs = trove::FileSystem::Default();
  auto listed = fs->ListDir(dir + "/segments");
  if (!listed.ok()) {
    fprintf(stderr, "cannot list %s/segments\n", dir.c_str());
    return 1;
  }
  std::vector<std::string> names = *listed;
  std::sort(names.begin(), names.end());
  std::vector<trove::Event> events;
  int64_t partition = 0;
  for (size_t i = 0; i < names.size() && i < k; ++i) {
    auto seg = SegmentReader::Open(fs, dir + "/segments/" + names[i]);
    if (!seg.ok()) {
      fprintf(stderr, "%s\n", seg.status().ToString().c_str());
      return 1;
    }
    partition = (*seg)->meta().partition;
    auto all = (*seg)->ReadAllEvents();
    if (!all.ok()) return 1;
    for (auto& e : *all) events.push_back(std::move(e));
  }
  // The sample: trace IDs and rare request_id tokens.
  std::vector<std::string> traces, tokens;
  for (size_t i = 0; i < events.size() && traces.size() < 500; i += events.size() / 600 + 1) {
    if (events[i].trace_id.empty()) continue;
    traces.push_back(events[i].trace_id);
  }
  for (const auto& e : events) {
    if (tokens.size() >= 500) break;
    const size_t at = e.message.find("request_id=");
    if (at != std::string::npos && e.message.size() >= at + 27) {
      tokens.push_back(e.message.substr(at + 11, 16));
    }
  }
  fs->CreateDirs(out);
  struct Variant {
    const char* name;
    SegmentWriteOptions options;
  };
  std::vector<Variant> variants;
  auto add = [&](const char* name, auto edit) {
    SegmentWriteOptions o;
    edit(&o);
    variants.push_back({name, o});
  };
  add("default", [](SegmentWriteOptions*) {});
  add("no dict frames", [](SegmentWriteOptions* o) { o->dictionary_frame_values = 0; });
  add("dict frames 64", [](SegmentWriteOptions* o) { o->dictionary_frame_values = 64; });
  add("term blocks 4K", [](SegmentWriteOptions* o) { o->term_block_bytes = 4 << 10; });
  add("term blocks 8K", [](SegmentWriteOptions* o) { o->term_block_bytes = 8 << 10; });
  add("frames 32K", [](SegmentWriteOptions* o) { o->frame_bytes = 32 << 10; });
  add("frames 16K", [](SegmentWriteOptions* o) { o->frame_bytes = 16 << 10; });
  add("frames 8K", [](SegmentWriteOptions* o) { o->frame_bytes = 8 << 10; });
  add("zstd blocks 4K", [](SegmentWriteOptions* o) { o->zstd_block_bytes = 4 << 10; });
  add("no zstd dict", [](SegmentWriteOptions* o) { o->zstd_dictionary_bytes = 0; });
  add("level 9", [](SegmentWriteOptions* o) { o->zstd_level = 9; });
  printf("%zu events from %zu segment(s); %zu trace IDs, %zu rare tokens\n", events.size(),
         std::min(k, names.size()), traces.size(), tokens.size());
  printf("%-16s %12s %12s %10s %10s %10s\n", "variant", "file B", "terms B", "trace ms",
         "2nd trace", "token ms");
  const std::string path = out + "/layout.trv";
  auto open = [&] {
    auto seg = SegmentReader::Open(fs, path);
    if (!seg.ok()) {
      fprintf(stderr, "%s\n", seg.status().ToString().c_str());
      exit(1);
    }
    return *std::move(seg);
  };
  auto trace = [](const SegmentReader& seg, const std::string& id,
                  const std::vector<std::string>* fields) {
    auto rows = seg.TraceRows(id);
    if (!rows.ok()) return;
    if (fields) {
      (void)seg.ReadEvents(*rows, fields);
    } else {
      (void)seg.ReadTraceEvents(*rows, id);
    }
  };
  uint64_t id = 1 << 20;
  for (const Variant& v : variants) {
    if (!only.empty() && only != v.name) continue;
    trove::SegmentMeta meta;
    uint64_t size = 0;
    auto s = trove::WriteSegment(fs, path, ++id, partition, events, v.options, &meta, &size);
    if (!s.ok()) {
      fprintf(stderr, "%s: %s\n", v.name, s.ToString().c_str());
      return 1;
    }
    uint64_t term_bytes = 0;
    for (const auto& b : meta.terms.blocks) term_bytes += b.size;
    std::vector<double> first_ms, second_ms, token_ms;
    for (size_t i = 0; i < traces.size(); ++i) {
      auto seg = open();
      first_ms.push_back(TimeMs([&] { trace(*seg, traces[i], nullptr); }));
      seg = open();
      trace(*seg, traces[(i + traces.size() / 2) % traces.size()], nullptr);
      second_ms.push_back(TimeMs([&] { trace(*seg, traces[i], nullptr); }));
    }
    for (const std::string& t : tokens) {
      auto seg = open();
      token_ms.push_back(TimeMs([&] { (void)seg->Postings("_msg", t); }));
    }
    printf("%-16s %12llu %12llu %10.4f %10.4f %10.4f\n", v.name,
           static_cast<unsigned long long>(size), static_cast<unsigned long long>(term_bytes),
           P50(first_ms), P50(second_ms), P50(token_ms));
    if (!columns) continue;
    std::vector<std::string> names_seen;
    for (const auto& c : meta.columns) {
      if (std::find(names_seen.begin(), names_seen.end(), c.name) != names_seen.end()) continue;
      names_seen.push_back(c.name);
      const std::vector<std::string> fields{c.name};
      std::vector<double> ms;
      for (const std::string& t : traces) {
        auto seg = open();
        ms.push_back(TimeMs([&] { trace(*seg, t, &fields); }));
      }
      printf("  column %-16s %8.4f ms\n", c.name.c_str(), P50(ms));
    }
  }
  return 0;
}
