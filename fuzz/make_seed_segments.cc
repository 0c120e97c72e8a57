// Writes the seed corpus of segment_reader_fuzz: a few small, valid segments (real
// WriteSegment output), each as the fuzzer's input format: a flags byte, then the file.
// Usage: make_seed_segments OUT_DIR
// Seeds with flag 1 (checksums repaired before reading) are stored already repaired, so their
// meta block is uncompressed and mutations hit the meta decoder directly.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/memory_file.h"
#include "fuzz/segment_checksums.h"
#include "storage/event.h"
#include "storage/file_system.h"
#include "storage/segment.h"

namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kBase = int64_t{1'767'268'800} * kSecond;  // 2026-01-01T12:00:00Z
constexpr int64_t kPartitionNs = 3600 * kSecond;

std::vector<trove::Event> Events(int n, bool attributes) {
  static const char* kServices[] = {"api", "db", "auth"};
  static const char* kMessages[] = {"GET /api/v1/users 200", "error: connection refused",
                                    "timeout after 5s", "user=42 logged in"};
  std::vector<trove::Event> events;
  for (int i = 0; i < n; ++i) {
    trove::Event e;
    e.time_ns = kBase + i * kSecond;
    e.service = kServices[i % 3];
    e.level = static_cast<trove::Level>(i % trove::kNumLevels);
    e.host = i % 2 ? "host-1" : "";
    e.message = kMessages[i % 4];
    if (i % 3 != 2) e.trace_id = i % 2 ? "4bf92f3577b34da6a3ce929d0e0e4736" : "req-" + std::to_string(i);
    if (i % 2) e.span_id = "00f067aa0ba902b7";
    if (attributes) {
      e.attributes.push_back({"http.status", int64_t{200 + (i % 3) * 150}});
      if (i % 2) e.attributes.push_back({"latency", 0.5 * i});
      e.attributes.push_back({"ok", i % 3 == 0});
      e.attributes.push_back({"user", "u-" + std::to_string(i % 5)});
    }
    events.push_back(std::move(e));
  }
  return events;
}

bool WriteSeed(const std::string& tmp_dir, const std::string& out_dir, const std::string& name,
               const std::vector<trove::Event>& events, const trove::SegmentWriteOptions& options) {
  trove::FileSystem* fs = trove::FileSystem::Default();
  const std::string path = tmp_dir + "/" + name + ".trv";
  trove::SegmentMeta meta;
  uint64_t size = 0;
  trove::Status st = trove::WriteSegment(fs, path, 1, kBase / kPartitionNs, events, options,
                                         &meta, &size);
  if (!st.ok()) {
    fprintf(stderr, "make_seed_segments: %s\n", st.ToString().c_str());
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  (void)fs->RemoveFile(path);
  for (int flags : {0, 1}) {
    std::string bytes = file;
    if (flags & 1) trove::fuzz::RepairChecksums(&bytes);
    // A seed that does not open and verify would only teach the fuzzer the error paths.
    auto seg = trove::SegmentReader::Open(
        std::make_unique<trove::fuzz::MemoryFile>(name, bytes), trove::Tier::kHot);
    const trove::Status verified = seg.ok() ? (*seg)->Verify() : seg.status();
    if (!verified.ok() || (*seg)->rows() != events.size()) {
      fprintf(stderr, "make_seed_segments: %s-%d does not read back: %s\n", name.c_str(), flags,
              verified.ToString().c_str());
      return false;
    }
    std::ofstream out(out_dir + "/" + name + "-" + std::to_string(flags), std::ios::binary);
    out.put(static_cast<char>(flags));
    out << bytes;
    printf("%s-%d: %zu bytes\n", name.c_str(), flags, bytes.size() + 1);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_seed_segments OUT_DIR\n");
    return 2;
  }
  const std::string out_dir = argv[1];
  trove::FileSystem* fs = trove::FileSystem::Default();
  const std::string tmp_dir = out_dir + "/.tmp";
  if (!fs->CreateDirs(tmp_dir).ok()) return 1;
  trove::SegmentWriteOptions small_blocks;
  small_blocks.block_rows = 4;  // several blocks per column
  small_blocks.term_block_bytes = 64;  // several term-table blocks
  trove::SegmentWriteOptions granular = small_blocks;
  granular.term_granule_rows = 2;
  trove::SegmentWriteOptions framed = small_blocks;  // format 2, every block in 2-row frames
  framed.frame_bytes = 1;
  framed.frame_row_step = 2;
  framed.framed_block_bytes = 0;
  trove::SegmentWriteOptions format1 = small_blocks;  // one zstd frame per block
  format1.frame_bytes = 0;
  bool ok = WriteSeed(tmp_dir, out_dir, "one-row", Events(1, false), {}) &&
            WriteSeed(tmp_dir, out_dir, "small-blocks", Events(10, true), small_blocks) &&
            WriteSeed(tmp_dir, out_dir, "granular", Events(7, true), granular) &&
            WriteSeed(tmp_dir, out_dir, "framed", Events(10, true), framed) &&
            WriteSeed(tmp_dir, out_dir, "format1", Events(10, true), format1);
  std::error_code ec;
  std::filesystem::remove_all(tmp_dir, ec);
  return ok ? 0 : 1;
}
