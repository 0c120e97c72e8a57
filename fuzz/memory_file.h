// An in-memory RandomAccessFile (storage/file_system.h), so the segment fuzzer can hand the
// reader its input without touching the disk. Thread-safe: Read never mutates.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "storage/file_system.h"
#include "storage/status.h"

namespace trove::fuzz {

class MemoryFile : public RandomAccessFile {
 public:
  MemoryFile(std::string path, std::string data)
      : path_(std::move(path)), data_(std::move(data)) {}

  // Exactly n bytes at offset, or IOError (a short read) like the POSIX file.
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    if (offset > data_.size() || n > data_.size() - offset) {
      return Status::IOError(path_ + ": short read of " + std::to_string(n) + " bytes at offset " +
                             std::to_string(offset));
    }
    out->assign(data_, offset, n);
    return Status::OK();
  }
  uint64_t Size() const override { return data_.size(); }
  const std::string& path() const override { return path_; }

 private:
  const std::string path_;
  const std::string data_;
};

}  // namespace trove::fuzz
