// zengen error types and the one checking macro every public function uses.
//
// Every check throws a subclass of zengen::Error whose message names the
// operation, the shapes or file involved, and what was expected.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace zengen {

/// Base of every exception zengen throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// Shapes that do not fit the operation (broadcast, matmul, view, ...).
class ShapeError : public Error { public: using Error::Error; };
/// A dtype the operation does not support, or two dtypes that differ.
class DTypeError : public Error { public: using Error::Error; };
/// A device that is missing, or tensors on different devices.
class DeviceError : public Error { public: using Error::Error; };
/// A file that cannot be opened, read or written.
class IOError : public Error { public: using Error::Error; };
/// A file whose content is malformed (checkpoints, images, idx files).
class FormatError : public Error { public: using Error::Error; };
/// Misuse of an argument that is not about shape, dtype or device
/// (an index out of range, backward twice, a negative count...).
class ValueError : public Error { public: using Error::Error; };

namespace detail {
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}
}  // namespace detail

/// Runs f(); an error it throws is thrown again as the same type with
/// `context` in front of its message ("load_module(net.safetensors): ...").
template <typename F>
void with_context(const std::string& context, F&& f) {
  try {
    f();
  } catch (const ShapeError& e) {
    throw ShapeError(context + e.what());
  } catch (const DTypeError& e) {
    throw DTypeError(context + e.what());
  } catch (const DeviceError& e) {
    throw DeviceError(context + e.what());
  } catch (const IOError& e) {
    throw IOError(context + e.what());
  } catch (const FormatError& e) {
    throw FormatError(context + e.what());
  } catch (const ValueError& e) {
    throw ValueError(context + e.what());
  }
}

}  // namespace zengen

/// ZENGEN_CHECK(condition, ErrorType, message parts...): throws
/// ErrorType(message) when the condition is false. Message parts are streamed,
/// so shapes and numbers can be passed as they are.
#define ZENGEN_CHECK(cond, ErrorType, ...)                                  \
  do {                                                                      \
    if (!(cond)) [[unlikely]]                                               \
      throw ErrorType(::zengen::detail::concat(__VA_ARGS__));               \
  } while (0)
