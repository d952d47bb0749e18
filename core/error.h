// Error and Result<T>: the one error system of hfbundle (after ExecuTorch runtime/core).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace hfb {

/// What kind of failure. The CLI maps each kind to one exit code in one place (cli/exit_codes.cpp, table in
/// the README): kCheckFailed -> 1; kIo, kOutOfMemory, kInternal -> 3; every other kind -> 2 (bad input or usage).
enum class ErrorCode {
  kInvalidFile,      ///< bytes on disk are malformed (truncated, bad header, bad offsets)
  kInvalidArgument,  ///< a caller/user argument is wrong (bad flag value, bad prompt)
  kUnsupported,      ///< well-formed but not something we handle (unknown model_type, dtype)
  kLimit,            ///< a size or count beyond a limit or overflowing
  kIo,               ///< the OS failed a read or write (EIO, ENOSPC, rename); not for bad paths (kNotFound)
  kNotFound,         ///< a file, tensor or key that must exist does not
  kInternal,         ///< a bug: a programmer invariant broke
  kCheckFailed,      ///< the input is readable but a check on it failed (checksum, non-finite logits, parity)
  kOutOfMemory,      ///< an allocation failed (std::bad_alloc) while doing what the message says
};

const char* error_code_name(ErrorCode code);

/// A failure with everything a person needs to act on it: what file, which tensor, where, why.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string path;                    ///< file the failure is about, if any
  std::optional<uint64_t> offset;      ///< byte offset in that file, if known
  std::string tensor;                  ///< tensor name, if any
  std::vector<std::string> context;    ///< outermost last: "while loading shard 2", ...

  Error() = default;
  Error(ErrorCode c, std::string msg) : code(c), message(std::move(msg)) {}

  Error&& with_path(std::string p) && { path = std::move(p); return std::move(*this); }
  Error&& with_offset(uint64_t o) && { offset = o; return std::move(*this); }
  Error&& with_tensor(std::string t) && { tensor = std::move(t); return std::move(*this); }
  Error&& with_context(std::string c) && { context.push_back(std::move(c)); return std::move(*this); }

  /// `path@0x1F8: tensor 'name': message (while ...; while ...)`
  std::string to_string() const;
};

/// Either a value or an Error. Construct from either; check ok() before value().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}       // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

/// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}       // NOLINT(google-explicit-constructor)
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status ok_status() { return Status(); }

}  // namespace hfb

// HFB_TRY(expr)         : return the error of a Status/Result expression.
// HFB_TRY(decl, expr)   : same, else bind the value: HFB_TRY(auto x, f());
#define HFB_CONCAT_INNER(a, b) a##b
#define HFB_CONCAT(a, b) HFB_CONCAT_INNER(a, b)
#define HFB_TRY_1(expr)                                       \
  do {                                                        \
    auto&& hfb_try_r_ = (expr);                               \
    if (!hfb_try_r_.ok()) return std::move(hfb_try_r_).error(); \
  } while (0)
#define HFB_TRY_2(decl, expr)                                                    \
  auto HFB_CONCAT(hfb_try_, __LINE__) = (expr);                                  \
  if (!HFB_CONCAT(hfb_try_, __LINE__).ok())                                      \
    return std::move(HFB_CONCAT(hfb_try_, __LINE__)).error();                    \
  decl = std::move(HFB_CONCAT(hfb_try_, __LINE__)).value()
#define HFB_TRY_PICK(_1, _2, NAME, ...) NAME
#define HFB_TRY(...) HFB_TRY_PICK(__VA_ARGS__, HFB_TRY_2, HFB_TRY_1, unused)(__VA_ARGS__)

// HFB_CHECK: programmer invariants only (never input validation); stays on in release builds.
#define HFB_CHECK(cond)                                                          \
  do {                                                                           \
    if (!(cond)) ::hfb::check_failed(#cond, __FILE__, __LINE__);                 \
  } while (0)

namespace hfb {
[[noreturn]] void check_failed(const char* cond, const char* file, int line);
}
