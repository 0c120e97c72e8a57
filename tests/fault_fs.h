// FaultInjectingFileSystem: a FileSystem for tests that forwards to another one (by default
// FileSystem::Default()) and injects failures at chosen operations, in the spirit of LevelDB's
// fault-injection Env. It lets a test walk a failure or a "crash" across every file operation
// of a code path:
//
//   FaultInjectingFileSystem fs;
//   ... open the store with options.fs = &fs (and the cold tier on &fs too) ...
//   fs.Reset();                       // count from here
//   store->RunMaintenance();          // a clean run: fs.mutations() says how many there were
//   for (k = 1; k <= total + 1; ++k) {
//     ... fresh copy of the store ...
//     fs.FailMutation(k);             // or fs.CrashAtMutation(k)
//     store->RunMaintenance();        // k-th mutation returns IOError
//     ... destroy, reopen on a healthy FileSystem, check invariants ...
//   }
//
// Operations are of two kinds:
//   mutations  NewWritableFile, WritableFile::Append/Sync/Close, RenameFile, RemoveFile,
//              CreateDirs, SyncDir
//   reads      RandomAccessFile::Read (NewRandomAccessFile and ListDir only fail after a
//              crash; FileExists always answers truthfully, it cannot report an error)
// Each kind is numbered from 1, counting from the last Reset() / Fail*() / Crash*() call.
// Only operations on paths accepted by the path filter (default: all) are counted or failed.
//
// An injected failure returns IOError("injected fault: <op> <path>") and does not perform the
// operation, except that a failing Append with torn writes on first writes a prefix of its data
// (a short write). Nothing is undone: data written before a "crash" stays on disk, synced or
// not, so a crash here is a process crash, not a power loss. Work that does not go through this
// FileSystem (RocksDB's own files) is not stopped by a crash point; to capture exactly what a
// process crash between two operations leaves on disk, copy the directories from a mutation
// hook (set_mutation_hook) instead.
//
// Thread-safe. File objects created before a Reset() keep working and are counted.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/file_system.h"

namespace trove::testing {

enum class FsOp : uint8_t {
  // Mutations.
  kNewWritableFile,
  kAppend,
  kSync,
  kClose,
  kRename,
  kRemove,
  kCreateDirs,
  kSyncDir,
  // Reads.
  kNewRandomAccessFile,
  kRead,
  kListDir,
};
const char* FsOpName(FsOp op);
bool IsMutation(FsOp op);

class FaultInjectingFileSystem final : public FileSystem {
 public:
  // How a failing read fails.
  enum class ReadFault {
    kIOError,  // nothing read
    kShort,    // *out holds the first half of the range, then IOError (a short read)
  };

  explicit FaultInjectingFileSystem(FileSystem* base = FileSystem::Default()) : base_(base) {}

  // Healthy again: no fault armed, not crashed, counters and log cleared. Keeps the path
  // filter, the mutation hook and the torn-write setting.
  void Reset();
  // The n-th mutation from now (1-based) fails; every other operation succeeds. With
  // and_later, the n-th and every later mutation fail (reads still work).
  void FailMutation(uint64_t n, bool and_later = false);
  // A crash at the n-th mutation from now: it and every later operation of any kind (reads,
  // opens, listings included) fail, as if the process had died just before it.
  void CrashAtMutation(uint64_t n);
  // The n-th read from now fails (with and_later: it and every later read).
  void FailRead(uint64_t n, bool and_later = false, ReadFault how = ReadFault::kIOError);
  // A failing Append first writes the first half of its data.
  void set_torn_writes(bool on);
  // Injected failures look like a full disk: ResourceExhausted("... No space left on device"),
  // what the POSIX file system returns for ENOSPC, instead of IOError.
  void set_disk_full(bool on);
  // Only operations on paths for which filter returns true are counted and may fail (RenameFile:
  // the source path). nullptr: all paths.
  void set_path_filter(std::function<bool(std::string_view path)> filter);
  // Called around every counted mutation that is performed (not failed): with after = false
  // just before it, with after = true once it is done; n numbers it as mutations() counts.
  // Runs on the calling thread, outside the file system's lock: it may read the disk (e.g. copy
  // the directories to capture what a crash at that moment would leave) but must not call
  // this FileSystem. Kept across Reset(). nullptr: none.
  using MutationHook =
      std::function<void(uint64_t n, FsOp op, const std::string& path, bool after)>;
  void set_mutation_hook(MutationHook hook);

  // Counted since the last Reset() / Fail*() / Crash*().
  uint64_t mutations() const;
  uint64_t reads() const;
  uint64_t count(FsOp op) const;
  // Faults injected since then, and whether the crash point has been reached.
  uint64_t injected() const;
  bool crashed() const;
  // Every counted mutation since then, "Rename /a -> /b" (failed ones marked "[FAILED]"), for
  // failure messages.
  std::vector<std::string> mutation_log() const;

  // FileSystem.
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDirs(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  bool FileExists(const std::string& path) override;

  // Used by the file wrappers. Reads and opens: CheckRead counts op on path and returns the
  // fault to inject, if any (*short_read: the read should come back short). Mutations:
  // BeginMutation counts it and returns the fault to inject, or calls the hook (before) and
  // sets *n; after performing it, EndMutation(n, …) calls the hook (after).
  Status CheckRead(FsOp op, const std::string& path, const std::string& detail = "",
                   bool* short_read = nullptr);
  Status BeginMutation(FsOp op, const std::string& path, const std::string& detail, uint64_t* n);
  void EndMutation(uint64_t n, FsOp op, const std::string& path);
  bool torn_writes() const;

 private:
  FileSystem* const base_;
  mutable std::mutex mu_;
  // Counts op on path; returns the fault to inject. *n gets the mutation number.
  Status Check(FsOp op, const std::string& path, const std::string& detail, bool* short_read,
               uint64_t* n);
  // Runs op through BeginMutation / EndMutation.
  template <typename Perform>
  auto Mutate(FsOp op, const std::string& path, const std::string& detail, Perform perform)
      -> decltype(perform());

  std::function<bool(std::string_view)> filter_;
  MutationHook hook_;
  bool torn_writes_ = false;
  bool disk_full_ = false;
  uint64_t counts_[static_cast<int>(FsOp::kListDir) + 1] = {};
  uint64_t mutations_ = 0, reads_ = 0, injected_ = 0;
  uint64_t fail_mutation_at_ = 0;  // 0: never
  bool fail_later_mutations_ = false;
  bool crash_ = false;  // fail_mutation_at_ is a crash point
  bool crashed_ = false;
  uint64_t fail_read_at_ = 0;
  bool fail_later_reads_ = false;
  ReadFault read_fault_ = ReadFault::kIOError;
  std::vector<std::string> log_;
};

}  // namespace trove::testing
