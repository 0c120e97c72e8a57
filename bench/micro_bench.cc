// trove-micro-bench: Google Benchmark micro-benchmarks of the hot loops (DESIGN.md §6 asks for
// them next to the drivers): tokenizing, phrase verification, postings codec and intersection,
// segment writing (columns + term index), column block decoding, JSON-lines parsing and the
// distinct-count sketch. Each reports bytes/s or items/s.
//
//   build/bench/trove-micro-bench [--benchmark_filter=REGEX]
#include <benchmark/benchmark.h>
#include <roaring/roaring.hh>

#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "bench/event_gen.h"
#include "index/postings.h"
#include "index/tokenizer.h"
#include "query/sketch.h"
#include "storage/segment.h"
#include "tools/event_json.h"
#include "tools/json_lines.h"

namespace {

using trove::Event;

const std::vector<Event>& Events() {
  static const std::vector<Event> events = [] {
    trove::bench::EventGenerator gen;
    std::vector<Event> out;
    gen.Fill(50000, &out);
    return out;
  }();
  return events;
}

size_t MessageBytes() {
  size_t n = 0;
  for (const Event& e : Events()) n += e.message.size();
  return n;
}

void BM_Tokenize(benchmark::State& state) {
  size_t tokens = 0;
  for (auto _ : state) {
    for (const Event& e : Events()) {
      trove::index::ForEachToken(e.message, [&](std::string_view) { ++tokens; });
    }
  }
  benchmark::DoNotOptimize(tokens);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * MessageBytes()));
}
BENCHMARK(BM_Tokenize);

void BM_MatchesPhrase(benchmark::State& state) {
  const std::string phrase = trove::index::AsciiLower("payment declined");
  size_t hits = 0;
  for (auto _ : state) {
    for (const Event& e : Events()) {
      hits += trove::index::MatchesLowerPhrase(e.message, phrase, false);
    }
  }
  benchmark::DoNotOptimize(hits);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * MessageBytes()));
}
BENCHMARK(BM_MatchesPhrase);

Roaring RandomRows(uint32_t n, uint32_t every, uint32_t seed) {
  trove::bench::Rng rng(seed);
  Roaring r;
  for (uint32_t i = 0; i < n; ++i) {
    if (rng.Uniform(every) == 0) r.add(i);
  }
  r.runOptimize();
  return r;
}

// AND of a 10%-dense and a 1%-dense list over 1M rows: a frequent and a rarer term.
void BM_PostingsIntersect(benchmark::State& state) {
  const Roaring a = RandomRows(1 << 20, 10, 1), b = RandomRows(1 << 20, 100, 2);
  uint64_t n = 0;
  for (auto _ : state) n += (a & b).cardinality();
  benchmark::DoNotOptimize(n);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() *
                                               (a.cardinality() + b.cardinality())));
}
BENCHMARK(BM_PostingsIntersect);

void BM_PostingsDecode(benchmark::State& state) {
  Roaring rows = RandomRows(1 << 20, static_cast<uint32_t>(state.range(0)), 3);
  std::string encoded;
  trove::index::EncodePostings(&rows, &encoded);
  for (auto _ : state) {
    Roaring out;
    benchmark::DoNotOptimize(trove::index::DecodePostings(encoded, &out));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows.cardinality()));
}
BENCHMARK(BM_PostingsDecode)->Arg(10)->Arg(1000);

std::string TempSegmentPath() {
  return (std::filesystem::temp_directory_path() /
          ("trove-micro-" + std::to_string(getpid()) + ".trv"))
      .string();
}

// Columns + term index + correlation index of 50k events, written to a temp file.
void BM_WriteSegment(benchmark::State& state) {
  const std::string path = TempSegmentPath();
  size_t raw = 0;
  for (const Event& e : Events()) raw += e.ApproximateSize();
  for (auto _ : state) {
    trove::SegmentMeta meta;
    uint64_t size = 0;
    trove::Status s = trove::WriteSegment(trove::FileSystem::Default(), path, 1, 0, Events(),
                                          trove::SegmentWriteOptions(), &meta, &size);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  std::filesystem::remove(path);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * Events().size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw));
}
BENCHMARK(BM_WriteSegment)->Unit(benchmark::kMillisecond);

// Decoding one 8192-row block of a column (read, CRC, zstd, decode), uncached.
void BM_DecodeColumnBlock(benchmark::State& state, const char* column, trove::ValueType type) {
  const std::string path = TempSegmentPath();
  trove::SegmentMeta meta;
  uint64_t size = 0;
  if (!trove::WriteSegment(trove::FileSystem::Default(), path, 1, 0, Events(),
                           trove::SegmentWriteOptions(), &meta, &size)
           .ok()) {
    state.SkipWithError("write failed");
    return;
  }
  auto reader = trove::SegmentReader::Open(trove::FileSystem::Default(), path);
  const trove::ColumnMeta* c = reader.ok() ? (*reader)->FindColumn(column, type) : nullptr;
  if (!c) {
    state.SkipWithError("no column");
    return;
  }
  trove::ColumnBlock block;
  size_t b = 0;
  for (auto _ : state) {
    if (!(*reader)->ReadColumnBlock(*c, b, &block).ok()) state.SkipWithError("decode failed");
    b = (b + 1) % c->blocks.size();
  }
  std::filesystem::remove(path);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 8192));
}
BENCHMARK_CAPTURE(BM_DecodeColumnBlock, msg, "_msg", trove::ValueType::kString);
BENCHMARK_CAPTURE(BM_DecodeColumnBlock, service, "service", trove::ValueType::kString);
BENCHMARK_CAPTURE(BM_DecodeColumnBlock, trace_id, "trace_id", trove::ValueType::kString);
BENCHMARK_CAPTURE(BM_DecodeColumnBlock, time, "_time", trove::ValueType::kInt64);

// JSON lines → Events, as `trove ingest` parses a batch.
void BM_JsonLinesParse(benchmark::State& state) {
  std::vector<std::string> lines;
  size_t bytes = 0;
  for (size_t i = 0; i < 10000; ++i) {
    lines.push_back(trove::ingest::ToJsonLine(Events()[i]));
    bytes += lines.back().size() + 1;
  }
  trove::ingest::JsonLineParser parser;
  Event e;
  for (auto _ : state) {
    for (const std::string& l : lines) {
      if (!parser.Parse(l, &e).ok()) state.SkipWithError("parse failed");
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines.size()));
}
BENCHMARK(BM_JsonLinesParse);

void BM_DistinctCounter(benchmark::State& state) {
  for (auto _ : state) {
    trove::query::DistinctCounter counter;
    for (const Event& e : Events()) counter.AddHash(trove::query::HashBytes(e.trace_id));
    benchmark::DoNotOptimize(counter.Estimate());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * Events().size()));
}
BENCHMARK(BM_DistinctCounter);

}  // namespace

BENCHMARK_MAIN();
