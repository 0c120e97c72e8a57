// The small filesystem interface all of Trove's own file I/O goes through (segment files,
// directory listing, renames). Tests substitute an implementation that injects write and
// fsync failures or short reads. RocksDB does its own I/O through its Env.
//
// Implementations must be thread-safe; file objects are used by one thread at a time for
// writing, and RandomAccessFile::Read may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace trove {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads exactly n bytes at offset into *out. A short read is an IOError naming the file.
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  virtual uint64_t Size() const = 0;
  virtual const std::string& path() const = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // The POSIX implementation; lives for the whole program.
  static FileSystem* Default();

  // Creates or truncates path.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // mkdir -p.
  virtual Status CreateDirs(const std::string& path) = 0;
  // Makes renames and creations inside dir durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // File names (not paths) in dir, without "." and "..".
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
};

// Raises this process's soft limit on open files to its hard limit (once). Every live segment
// keeps its file open (a cold one also its cached index tail), and stores with years of hourly
// partitions hold thousands of segments, beyond the common soft limit of 1024.
void RaiseOpenFileLimit();

// Writes data to path durably: a temporary file, fsync, rename, fsync of the directory.
Status WriteFileAtomically(FileSystem* fs, const std::string& path, std::string_view data);

}  // namespace trove
