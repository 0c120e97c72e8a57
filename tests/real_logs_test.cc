// Real logs from ../shared/data/loghub through the store: every line comes back (invalid UTF-8
// repaired with U+FFFD), and phrase lookups over the real text agree with a plain scan.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "index/tokenizer.h"
#include "storage/store.h"
#include "tests/store_test_util.h"

namespace trove {
namespace {

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path
                         << " (the shared data set belongs beside the repository as ../shared)";
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Stores each line as one event (id attribute = line number), flushes, and returns the store.
std::unique_ptr<Store> LoadLines(const std::string& dir, const std::vector<std::string>& lines) {
  StoreOptions options;
  options.background = false;
  auto store = Store::Open(options, dir);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  std::vector<Event> events;
  const int64_t base = int64_t{1'700'000'000} * 1'000'000'000;
  for (size_t i = 0; i < lines.size(); ++i) {
    Event e;
    e.time_ns = base + static_cast<int64_t>(i) * 1'000'000;
    e.service = "real";
    e.message = lines[i];
    e.attributes.push_back({"id", static_cast<int64_t>(i)});
    events.push_back(std::move(e));
  }
  auto r = (*store)->Append(std::move(events));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, lines.size());
  EXPECT_TRUE((*store)->Flush().ok());
  return std::move(store).value();
}

TEST(RealLogsTest, LinuxLogWithInvalidUtf8RoundTrips) {
  auto lines = ReadLines(std::string(TROVE_SHARED_DATA) + "/loghub/Linux.log");
  ASSERT_EQ(lines.size(), 25567u);
  testing::TempDir dir("linux");
  auto store = LoadLines(dir.path(), lines);
  auto events = testing::AllEvents(*store->GetSnapshot());
  ASSERT_EQ(events.size(), lines.size());
  size_t repaired = 0;
  for (const Event& e : events) {
    std::string want = lines[testing::IdOf(e)];
    if (SanitizeUtf8(&want)) {
      ++repaired;
      EXPECT_NE(e.message.find("\xEF\xBF\xBD"), std::string::npos);
    }
    ASSERT_EQ(e.message, want);
  }
  EXPECT_EQ(repaired, 20u);  // SOURCE.md: 20 lines carry raw non-UTF-8 bytes
}

TEST(RealLogsTest, PhrasesOverHdfsAgreeWithAScan) {
  auto lines = ReadLines(std::string(TROVE_SHARED_DATA) + "/loghub/HDFS_2k.log");
  ASSERT_EQ(lines.size(), 2000u);
  testing::TempDir dir("hdfs");
  auto store = LoadLines(dir.path(), lines);
  auto snap = store->GetSnapshot();
  ASSERT_EQ(snap->segments().size(), 1u);
  const auto& seg = snap->segments()[0];
  // Block IDs (with their minus sign), words and multi-word phrases from the file itself.
  std::set<std::string> phrases = {"PacketResponder", "terminating", "Received block",
                                   "addStoredBlock: blockMap updated", "nonexistent-word"};
  for (size_t i = 0; i < lines.size(); i += 97) {
    size_t at = lines[i].find("blk_");
    if (at != std::string::npos) phrases.insert(lines[i].substr(at, lines[i].find(' ', at) - at));
  }
  ASSERT_GT(phrases.size(), 10u);
  for (const std::string& phrase : phrases) {
    Roaring rows;
    rows.addRange(0, seg->rows());
    for (const std::string& token : index::Tokenize(phrase)) rows &= *seg->Postings("_msg", token);
    auto candidates = seg->ReadEvents(rows);
    ASSERT_TRUE(candidates.ok());
    std::set<int64_t> got, want;
    for (const Event& e : *candidates) {
      if (index::MatchesPhrase(e.message, phrase)) got.insert(testing::IdOf(e));
    }
    for (size_t i = 0; i < lines.size(); ++i) {
      // The scan: case-sensitive find is enough here, as HDFS text has one spelling of each.
      size_t at = lines[i].find(phrase);
      bool hit = false;
      for (; at != std::string::npos && !hit; at = lines[i].find(phrase, at + 1)) {
        size_t end = at + phrase.size();
        auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
        bool cut = (at > 0 && word(lines[i][at - 1]) && word(lines[i][at])) ||
                   (end < lines[i].size() && word(lines[i][end - 1]) && word(lines[i][end]));
        hit = !cut;
      }
      if (hit) want.insert(static_cast<int64_t>(i));
    }
    EXPECT_EQ(got, want) << "phrase \"" << phrase << "\"";
  }
}

}  // namespace
}  // namespace trove
