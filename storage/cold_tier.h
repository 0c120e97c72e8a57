// The cold tier: where archived segments live. Segments older than `archive_after` are
// rewritten for size and handed to a ColdTier, which stores them as named, immutable objects.
// Today's implementation is a directory (possibly on another, cheaper disk); the interface is
// the subset of an S3-compatible object store Trove needs (put a whole object, ranged reads,
// delete, list), so an object-store implementation can be added without touching the store.
//
// ColdIndexCache keeps a local copy of the tail of every cold segment (its term index,
// correlation-ID index, meta and footer), so needle searches and trace lookups read only the
// few column blocks they need from the cold tier.
//
// Implementations must be thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/file_system.h"
#include "storage/status.h"

namespace trove {

class ColdTier {
 public:
  virtual ~ColdTier() = default;
  // Where the tier is, for logs and admin output: "dir:/mnt/cold/trove".
  virtual std::string Describe() const = 0;
  // Stores the local file at local_path as object `name`, durably: once this returns OK the
  // object survives a crash and reads back exactly. Replaces an existing object of that name.
  virtual Status Put(const std::string& local_path, const std::string& name) = 0;
  // Ranged reads of an object. path() of the file names the object's location.
  virtual Result<std::unique_ptr<RandomAccessFile>> Open(const std::string& name) = 0;
  // Deleting a missing object is OK.
  virtual Status Remove(const std::string& name) = 0;
  // Names of every object, including leftovers of interrupted puts ("<name>.tmp").
  virtual Result<std::vector<std::string>> List() = 0;
};

// A cold tier in a local directory, through `fs`. Put copies the file (temporary name, fsync,
// rename, fsync of the directory), so the directory may sit on another filesystem.
std::unique_ptr<ColdTier> NewDirectoryColdTier(FileSystem* fs, std::string dir);

// A local cache of cold segment tails, in its own directory ("DIR/cold-cache"). Entry `name`
// holds the last `tail_bytes` bytes of the object `name`; reads that fall inside the tail are
// served locally, the rest go to the cold tier. An entry is trusted only when its size and the
// CRC-32 of all but its last 40 bytes equal what the catalog recorded when the segment was
// archived, and its last 40 bytes (the segment footer) equal the object's; so a damaged or
// stale entry is rebuilt from the object instead of being blamed on it, and a damaged object
// footer is still noticed.
class ColdIndexCache {
 public:
  ColdIndexCache(FileSystem* fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }

  // Writes the cache entry for `name` from a local copy of the whole segment; *tail_crc gets
  // the checksum Wrap checks it against.
  Status Fill(const std::string& name, const RandomAccessFile& whole, uint64_t tail_bytes,
              uint32_t* tail_crc);
  // The cold object with its cached tail in front of it. Without a valid entry (missing,
  // damaged, stale) the entry is rebuilt from the object first; when that fails, or the
  // object's own tail does not match (a damaged object: its reads will say so), or
  // tail_bytes is smaller than a footer, reads all go to the cold tier.
  Result<std::unique_ptr<RandomAccessFile>> Wrap(const std::string& name,
                                                 std::unique_ptr<RandomAccessFile> object,
                                                 uint64_t tail_bytes, uint32_t tail_crc);
  Status Remove(const std::string& name);
  // Removes entries whose name is not in `keep`.
  Status RemoveAllBut(const std::vector<std::string>& keep);

 private:
  std::string PathOf(const std::string& name) const { return dir_ + "/" + name + ".tail"; }
  FileSystem* fs_;
  std::string dir_;
};

}  // namespace trove
