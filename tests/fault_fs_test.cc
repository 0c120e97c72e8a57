// The fault-injecting FileSystem itself (tests/fault_fs.h): which operation fails, what a
// failure leaves on disk, and what is counted.
#include "tests/fault_fs.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/segment_test_util.h"
#include "tests/store_test_util.h"

namespace trove::testing {
namespace {

// Writes "hello world" to dir/name through fs: NewWritableFile, Append, Sync, Close, Rename.
Status WriteThrough(FileSystem* fs, const std::string& dir, const std::string& name) {
  TROVE_ASSIGN_OR_RETURN(auto f, fs->NewWritableFile(dir + "/" + name + ".tmp"));
  TROVE_RETURN_IF_ERROR(f->Append("hello world"));
  TROVE_RETURN_IF_ERROR(f->Sync());
  TROVE_RETURN_IF_ERROR(f->Close());
  return fs->RenameFile(dir + "/" + name + ".tmp", dir + "/" + name);
}

TEST(FaultFsTest, FailsExactlyTheNthMutationAndNothingElse) {
  TempDir dir("faultfs-nth");
  FaultInjectingFileSystem fs;
  ASSERT_TRUE(WriteThrough(&fs, dir.path(), "a").ok());
  EXPECT_EQ(fs.mutations(), 5u);
  EXPECT_EQ(fs.count(FsOp::kAppend), 1u);
  for (uint64_t k = 1; k <= 5; ++k) {
    SCOPED_TRACE("k = " + std::to_string(k));
    fs.FailMutation(k);
    Status s = WriteThrough(&fs, dir.path(), "b" + std::to_string(k));
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_NE(s.message().find("injected fault"), std::string::npos) << s.ToString();
    EXPECT_EQ(fs.injected(), 1u);
    EXPECT_EQ(fs.mutations(), k);  // the writer stops at its first error
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/b" + std::to_string(k)));
    const auto log = fs.mutation_log();
    ASSERT_EQ(log.size(), k);
    EXPECT_NE(log.back().find("[FAILED]"), std::string::npos) << log.back();
  }
  fs.FailMutation(6);  // past the end: nothing fails
  EXPECT_TRUE(WriteThrough(&fs, dir.path(), "c").ok());
  EXPECT_EQ(fs.injected(), 0u);
}

TEST(FaultFsTest, ACrashFailsEveryLaterOperationIncludingReads) {
  TempDir dir("faultfs-crash");
  FaultInjectingFileSystem fs;
  ASSERT_TRUE(WriteThrough(&fs, dir.path(), "a").ok());
  auto before = fs.NewRandomAccessFile(dir.path() + "/a");
  ASSERT_TRUE(before.ok());
  fs.CrashAtMutation(2);
  EXPECT_FALSE(WriteThrough(&fs, dir.path(), "b").ok());
  EXPECT_TRUE(fs.crashed());
  std::string out;
  EXPECT_FALSE((*before)->Read(0, 5, &out).ok());
  EXPECT_FALSE(fs.NewRandomAccessFile(dir.path() + "/a").ok());
  EXPECT_FALSE(fs.ListDir(dir.path()).ok());
  EXPECT_FALSE(fs.RemoveFile(dir.path() + "/a").ok());
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/a"));
  // The first mutation (NewWritableFile) happened: the crash does not undo it.
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/b.tmp"));
  fs.Reset();
  EXPECT_TRUE((*before)->Read(0, 5, &out).ok());
  EXPECT_EQ(out, "hello");
}

TEST(FaultFsTest, ReadFaultsFailOrComeBackShort) {
  TempDir dir("faultfs-read");
  FaultInjectingFileSystem fs;
  ASSERT_TRUE(WriteThrough(&fs, dir.path(), "a").ok());
  auto f = fs.NewRandomAccessFile(dir.path() + "/a");
  ASSERT_TRUE(f.ok());
  std::string out;
  fs.FailRead(2);
  EXPECT_TRUE((*f)->Read(0, 4, &out).ok());
  EXPECT_FALSE((*f)->Read(0, 4, &out).ok());
  EXPECT_TRUE((*f)->Read(0, 4, &out).ok());
  EXPECT_EQ(fs.reads(), 3u);
  fs.FailRead(1, /*and_later=*/false, FaultInjectingFileSystem::ReadFault::kShort);
  Status s = (*f)->Read(6, 4, &out);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(out, "wo");  // the first half arrived
  fs.FailRead(1, /*and_later=*/true);
  EXPECT_FALSE((*f)->Read(0, 1, &out).ok());
  EXPECT_FALSE((*f)->Read(0, 1, &out).ok());
  EXPECT_EQ(fs.injected(), 2u);
}

TEST(FaultFsTest, TornWritesFilterAndHook) {
  TempDir dir("faultfs-misc");
  FaultInjectingFileSystem fs;
  // A torn write leaves the first half of the failing Append.
  fs.set_torn_writes(true);
  fs.FailMutation(2);
  EXPECT_FALSE(WriteThrough(&fs, dir.path(), "a").ok());
  EXPECT_EQ(ReadFileBytes(dir.path() + "/a.tmp"), "hello");
  fs.set_torn_writes(false);
  // Only operations on matching paths are counted and failed.
  fs.set_path_filter([](std::string_view path) { return path.find("/x") != std::string::npos; });
  fs.FailMutation(1);
  EXPECT_TRUE(WriteThrough(&fs, dir.path(), "b").ok());
  EXPECT_EQ(fs.mutations(), 0u);
  EXPECT_FALSE(WriteThrough(&fs, dir.path(), "x").ok());
  fs.set_path_filter(nullptr);
  // The hook sees every performed mutation before and after it, numbered; not failed ones.
  std::vector<std::string> seen;
  fs.set_mutation_hook([&](uint64_t n, FsOp op, const std::string&, bool after) {
    seen.push_back(std::to_string(n) + (after ? " after " : " before ") + FsOpName(op));
  });
  fs.FailMutation(3);
  EXPECT_FALSE(WriteThrough(&fs, dir.path(), "c").ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"1 before NewWritableFile", "1 after NewWritableFile",
                                            "2 before Append", "2 after Append"}));
}

}  // namespace
}  // namespace trove::testing
