#include "storage/cold_tier.h"

#include <algorithm>
#include <set>

#include "storage/coding.h"
#include "storage/format.h"

namespace trove {
namespace {

// Copies in 4 MiB steps so a large segment never sits in memory whole.
constexpr size_t kCopyChunk = 4 << 20;

Status CopyRange(const RandomAccessFile& from, uint64_t offset, uint64_t n, WritableFile* to) {
  std::string chunk;
  while (n > 0) {
    const size_t step = static_cast<size_t>(std::min<uint64_t>(n, kCopyChunk));
    TROVE_RETURN_IF_ERROR(from.Read(offset, step, &chunk));
    TROVE_RETURN_IF_ERROR(to->Append(chunk));
    offset += step;
    n -= step;
  }
  return Status::OK();
}

// Writes bytes [offset, offset + n) of `from` to `path` durably (temporary name, fsync,
// rename, fsync of the directory).
Status CopyToFileAtomically(FileSystem* fs, const RandomAccessFile& from, uint64_t offset,
                            uint64_t n, const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name;
  const std::string tmp = path + ".tmp";
  TROVE_ASSIGN_OR_RETURN(auto out, fs->NewWritableFile(tmp));
  TROVE_RETURN_IF_ERROR(CopyRange(from, offset, n, out.get()));
  TROVE_RETURN_IF_ERROR(out->Sync());
  TROVE_RETURN_IF_ERROR(out->Close());
  TROVE_RETURN_IF_ERROR(fs->RenameFile(tmp, path));
  return fs->SyncDir(dir);
}

class DirectoryColdTier final : public ColdTier {
 public:
  DirectoryColdTier(FileSystem* fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}

  std::string Describe() const override { return "dir:" + dir_; }

  Status Put(const std::string& local_path, const std::string& name) override {
    TROVE_RETURN_IF_ERROR(fs_->CreateDirs(dir_));
    TROVE_ASSIGN_OR_RETURN(auto in, fs_->NewRandomAccessFile(local_path));
    return CopyToFileAtomically(fs_, *in, 0, in->Size(), dir_, name);
  }

  Result<std::unique_ptr<RandomAccessFile>> Open(const std::string& name) override {
    return fs_->NewRandomAccessFile(dir_ + "/" + name);
  }

  Status Remove(const std::string& name) override {
    if (!fs_->FileExists(dir_ + "/" + name)) return Status::OK();
    return fs_->RemoveFile(dir_ + "/" + name);
  }

  Result<std::vector<std::string>> List() override {
    if (!fs_->FileExists(dir_)) return std::vector<std::string>();
    return fs_->ListDir(dir_);
  }

 private:
  FileSystem* fs_;
  std::string dir_;
};

// A cold object whose last tail bytes are read from a local copy.
class TailCachedFile final : public RandomAccessFile {
 public:
  TailCachedFile(std::unique_ptr<RandomAccessFile> object, std::unique_ptr<RandomAccessFile> tail)
      : object_(std::move(object)),
        tail_(std::move(tail)),
        tail_start_(object_->Size() - tail_->Size()) {}

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    if (offset >= tail_start_) return tail_->Read(offset - tail_start_, n, out);
    return object_->Read(offset, n, out);
  }
  uint64_t Size() const override { return object_->Size(); }
  const std::string& path() const override { return object_->path(); }

 private:
  std::unique_ptr<RandomAccessFile> object_;
  std::unique_ptr<RandomAccessFile> tail_;
  const uint64_t tail_start_;
};

// The checksum a cache entry is checked against: CRC-32 of the tail without its last 40 bytes.
// The segment footer is left out because it carries a CRC of itself: CRC-32 cannot tell two
// tails apart that differ only in such a self-checksummed trailer of equal length. The footer
// is compared with the object's instead.
uint32_t TailCrc(std::string_view tail) {
  return Crc32(tail.substr(0, tail.size() - std::min(tail.size(), format::kFooterSize)));
}

std::string_view FooterOf(std::string_view tail) {
  return tail.substr(tail.size() - std::min(tail.size(), format::kFooterSize));
}

}  // namespace

std::unique_ptr<ColdTier> NewDirectoryColdTier(FileSystem* fs, std::string dir) {
  return std::make_unique<DirectoryColdTier>(fs, std::move(dir));
}

Status ColdIndexCache::Fill(const std::string& name, const RandomAccessFile& whole,
                            uint64_t tail_bytes, uint32_t* tail_crc) {
  if (tail_bytes == 0 || tail_bytes > whole.Size()) {
    return Status::InvalidArgument(name + ": cache tail of " + std::to_string(tail_bytes) +
                                   " bytes does not fit a " + std::to_string(whole.Size()) +
                                   "-byte segment");
  }
  // Tails are the index part of a segment: small enough to hold once in memory.
  std::string tail;
  TROVE_RETURN_IF_ERROR(whole.Read(whole.Size() - tail_bytes, tail_bytes, &tail));
  *tail_crc = TailCrc(tail);
  TROVE_RETURN_IF_ERROR(fs_->CreateDirs(dir_));
  return WriteFileAtomically(fs_, PathOf(name), tail);
}

Result<std::unique_ptr<RandomAccessFile>> ColdIndexCache::Wrap(
    const std::string& name, std::unique_ptr<RandomAccessFile> object, uint64_t tail_bytes,
    uint32_t tail_crc) {
  if (tail_bytes < format::kFooterSize || tail_bytes > object->Size()) return object;
  std::string object_footer;
  if (!object->Read(object->Size() - format::kFooterSize, format::kFooterSize, &object_footer)
           .ok()) {
    return object;  // its own reads will report the problem
  }
  auto open_valid = [&]() -> std::unique_ptr<RandomAccessFile> {
    if (!fs_->FileExists(PathOf(name))) return nullptr;
    auto tail = fs_->NewRandomAccessFile(PathOf(name));
    std::string bytes;
    if (!tail.ok() || (*tail)->Size() != tail_bytes || !(*tail)->Read(0, tail_bytes, &bytes).ok() ||
        TailCrc(bytes) != tail_crc || FooterOf(bytes) != object_footer) {
      return nullptr;
    }
    return std::move(*tail);
  };
  auto tail = open_valid();
  if (!tail) {
    uint32_t object_crc = 0;
    if (Fill(name, *object, tail_bytes, &object_crc).ok() && object_crc == tail_crc) {
      tail = open_valid();
    }
  }
  if (!tail) return object;  // uncached: correct, only slower
  return std::unique_ptr<RandomAccessFile>(
      std::make_unique<TailCachedFile>(std::move(object), std::move(tail)));
}

Status ColdIndexCache::Remove(const std::string& name) {
  if (!fs_->FileExists(PathOf(name))) return Status::OK();
  return fs_->RemoveFile(PathOf(name));
}

Status ColdIndexCache::RemoveAllBut(const std::vector<std::string>& keep) {
  if (!fs_->FileExists(dir_)) return Status::OK();
  std::set<std::string> wanted;
  for (const std::string& k : keep) wanted.insert(k + ".tail");
  TROVE_ASSIGN_OR_RETURN(auto names, fs_->ListDir(dir_));
  for (const std::string& n : names) {
    if (!wanted.count(n)) TROVE_RETURN_IF_ERROR(fs_->RemoveFile(dir_ + "/" + n));
  }
  return Status::OK();
}

}  // namespace trove
