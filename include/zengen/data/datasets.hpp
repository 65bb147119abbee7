// In-memory datasets: MNIST and Fashion-MNIST (over the idx reader) and
// TensorDataset (any images and labels you already hold). Like ImageFolder,
// each offers size(), get(i), images() [N, C, H, W] and labels() int64 [N],
// which is all DataLoader needs.
//
//   auto train = zengen::data::MNIST("data/mnist");                        // [-1, 1]
//   auto test  = zengen::data::FashionMNIST("data/fashion-mnist",
//                   {.split = zengen::data::Split::Test, .range = zengen::data::Range::ZeroToOne,
//                    .limit = 1000});
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::data {

enum class Split { Train, Test };

/// The value range pixels are scaled to.
enum class Range {
  MinusOneToOne,  ///< [-1, 1]: what a tanh generator outputs
  ZeroToOne,      ///< [0, 1]: what a Bernoulli/sigmoid decoder models
};

/// One example of an in-memory dataset.
struct Example {
  Tensor image;
  std::int64_t label = 0;
};

/// Which split of MNIST / Fashion-MNIST to load, the pixel range, and an optional limit.
struct MNISTOptions {
  Split split = Split::Train;
  Range range = Range::MinusOneToOne;
  std::int64_t limit = 0;  ///< > 0: keep only the first `limit` examples
};

/// MNIST from `root`, the folder holding {train,t10k}-{images-idx3,
/// labels-idx1}-ubyte (or the same names with .gz): images float32
/// [N, 1, 28, 28], labels int64 [N]. IOError naming the file when it is
/// missing; FormatError when images and labels disagree in count, when the
/// files hold no image, or when a label is outside the classes (naming the
/// file, the label's index and its value).
class MNIST {
 public:
  explicit MNIST(const std::string& root, MNISTOptions options = {});

  std::int64_t size() const { return images_.size(0); }
  Example get(std::int64_t i) const;
  const Tensor& images() const { return images_; }
  const Tensor& labels() const { return labels_; }
  /// The names of the 10 classes ("0" .. "9" for MNIST).
  const std::vector<std::string>& classes() const { return classes_; }

 protected:
  MNIST(const std::string& root, MNISTOptions options, const char* op, std::vector<std::string> classes);

 private:
  Tensor images_, labels_;
  std::vector<std::string> classes_;
};

/// Fashion-MNIST: the same files and layout as MNIST; the classes are
/// "T-shirt/top", "Trouser", ... "Ankle boot".
class FashionMNIST : public MNIST {
 public:
  explicit FashionMNIST(const std::string& root, MNISTOptions options = {});
};

/// Images and labels you already have: images [N, ...], labels [N] of any
/// dtype (get() reads them as integers), or undefined: every label 0, as
/// int64 [N]. Shares their memory.
class TensorDataset {
 public:
  explicit TensorDataset(Tensor images, Tensor labels = Tensor());

  std::int64_t size() const { return images_.size(0); }
  Example get(std::int64_t i) const;
  const Tensor& images() const { return images_; }
  const Tensor& labels() const { return labels_; }

 private:
  Tensor images_, labels_;
};

}  // namespace zengen::data
