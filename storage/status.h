// Status and Result<T>: the one error vocabulary used across module boundaries.
//
// A Status is OK or carries a code and a human-readable message that names the problem
// (the file, the offset, the event). Result<T> holds either a value or a non-OK Status.
// Both are cheap to move and are thread-compatible (not shared mutable state).
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

namespace trove {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,
    kInvalidArgument,
    kCorruption,
    kIOError,
    kResourceExhausted,
    kAborted,
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status ResourceExhausted(std::string msg) {
    return Status(Code::kResourceExhausted, std::move(msg));
  }
  static Status Aborted(std::string msg) { return Status(Code::kAborted, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsResourceExhausted() const { return code_ == Code::kResourceExhausted; }
  const std::string& message() const { return message_; }

  // "Corruption: seg-…trv at offset 123: bad block checksum"
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a T or a non-OK Status. Accessing value() of an error aborts (a bug, not an error).
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) std::abort();  // an OK status carries no value
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & {
    if (!ok()) std::abort();
    return *value_;
  }
  const T& value() const& {
    if (!ok()) std::abort();
    return *value_;
  }
  T&& value() && {
    if (!ok()) std::abort();
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace trove

#define TROVE_RETURN_IF_ERROR(expr)      \
  do {                                   \
    ::trove::Status _st = (expr);        \
    if (!_st.ok()) return _st;           \
  } while (0)

#define TROVE_CONCAT_INNER(a, b) a##b
#define TROVE_CONCAT(a, b) TROVE_CONCAT_INNER(a, b)
#define TROVE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
// TROVE_ASSIGN_OR_RETURN(auto x, SomethingReturningResult());
#define TROVE_ASSIGN_OR_RETURN(lhs, expr) \
  TROVE_ASSIGN_OR_RETURN_IMPL(TROVE_CONCAT(_res_, __LINE__), lhs, expr)
