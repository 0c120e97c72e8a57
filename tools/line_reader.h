// Reads an input file (or stdin) line by line in bounded memory, for `trove ingest`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace trove::ingest {

// One line of input.
struct InputLine {
  std::string_view text;  // without "\n"; valid until the next Next(); empty when too_long
  uint64_t number = 0;    // 1-based
  uint64_t length = 0;    // bytes, without "\n"
  bool too_long = false;  // longer than max_line_bytes: its bytes were skipped, not kept
};

// Not thread-safe. Memory stays within max_line_bytes plus one read chunk whatever the input.
class LineReader {
 public:
  // Opens path for reading; "-" is stdin (not closed at the end). Returns IOError naming the
  // path when it cannot be opened or is a directory.
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path, size_t max_line_bytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line into *line. A last line without "\n" is a line; a file ending in "\n" has
  // no empty line after it. Returns false at the end of input or on a read error, after which
  // status() tells which.
  bool Next(InputLine* line);

  // OK, or IOError naming the path and the system error.
  const Status& status() const { return status_; }
  // Bytes consumed so far, newlines included.
  uint64_t bytes_read() const { return bytes_read_; }
  // The path as given ("-" for stdin).
  const std::string& name() const { return name_; }

 private:
  LineReader(int fd, bool owns_fd, std::string name, size_t max_line_bytes);
  // Reads more input after the buffered bytes; false at end of input or on error.
  bool Fill();

  const int fd_;
  const bool owns_fd_;
  const std::string name_;
  const size_t max_line_bytes_;
  std::string buf_;
  size_t begin_ = 0;  // unconsumed bytes are buf_[begin_, end_)
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t line_number_ = 0;
  uint64_t bytes_read_ = 0;
  Status status_;
};

}  // namespace trove::ingest
