#include "tools/line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace trove::ingest {

namespace {

// Large enough that read(2) calls cost nothing next to parsing.
constexpr size_t kChunkBytes = 1 << 20;

}  // namespace

Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path,
                                                     size_t max_line_bytes) {
  if (path == "-") {
    return std::unique_ptr<LineReader>(new LineReader(STDIN_FILENO, false, path, max_line_bytes));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::IOError("cannot read " + path + ": " + std::strerror(EISDIR));
  }
  return std::unique_ptr<LineReader>(new LineReader(fd, true, path, max_line_bytes));
}

LineReader::LineReader(int fd, bool owns_fd, std::string name, size_t max_line_bytes)
    : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)), max_line_bytes_(max_line_bytes) {}

LineReader::~LineReader() {
  if (owns_fd_) ::close(fd_);
}

bool LineReader::Fill() {
  if (eof_ || !status_.ok()) return false;
  if (begin_ > 0) {  // keep the partial line at the front
    buf_.erase(0, begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() < end_ + kChunkBytes) buf_.resize(end_ + kChunkBytes);
  while (true) {
    const ssize_t n = ::read(fd_, buf_.data() + end_, kChunkBytes);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    status_ = Status::IOError("cannot read " + name_ + ": " + std::strerror(errno));
    return false;
  }
}

bool LineReader::Next(InputLine* line) {
  size_t scanned = begin_;  // bytes before this have no '\n'
  uint64_t skipped = 0;     // bytes of an over-long line already thrown away
  while (true) {
    const void* nl = std::memchr(buf_.data() + scanned, '\n', end_ - scanned);
    if (nl != nullptr || (eof_ && end_ > begin_) || (eof_ && skipped > 0)) {
      const size_t stop =
          nl ? static_cast<size_t>(static_cast<const char*>(nl) - buf_.data()) : end_;
      const size_t len = stop - begin_;
      *line = InputLine{};
      line->number = ++line_number_;
      line->length = skipped + len;
      line->too_long = line->length > max_line_bytes_;
      if (!line->too_long) line->text = std::string_view(buf_.data() + begin_, len);
      const size_t consumed = len + (nl ? 1 : 0);
      bytes_read_ += consumed;
      begin_ += consumed;
      return true;
    }
    if (end_ - begin_ > max_line_bytes_) {  // too long: drop what we have, keep counting
      skipped += end_ - begin_;
      bytes_read_ += end_ - begin_;
      begin_ = end_;
    }
    scanned = end_;
    const size_t offset = scanned - begin_;
    if (!Fill()) {
      if (!status_.ok()) return false;
      if (end_ == begin_ && skipped == 0) return false;  // clean end of input
    }
    scanned = begin_ + offset;
  }
}

}  // namespace trove::ingest
