// MNIST / Fashion-MNIST over the idx reader, and TensorDataset.
#include "zengen/data/datasets.hpp"

#include <unistd.h>

#include "zengen/data/idx.hpp"

namespace zengen::data {

namespace {

// `dir/name`, or `dir/name.gz` when only that exists.
std::string idx_file(const std::string& root, const std::string& name) {
  const std::string plain = root + "/" + name;
  if (::access(plain.c_str(), F_OK) != 0 && ::access((plain + ".gz").c_str(), F_OK) == 0) return plain + ".gz";
  return plain;  // read_idx_* names it in the IOError when it is missing
}

Example example(const Tensor& images, const Tensor& labels, std::int64_t i, const char* op) {
  const std::int64_t n = images.size(0);
  ZENGEN_CHECK(i >= 0 && i < n, ValueError, op, "::get: index ", i, " out of range for ", n, " examples");
  return {images.select(0, i), labels.select(0, i).item<std::int64_t>()};
}

}  // namespace

MNIST::MNIST(const std::string& root, MNISTOptions options) : MNIST(root, options, "MNIST", {}) {}

MNIST::MNIST(const std::string& root, MNISTOptions options, const char* op, std::vector<std::string> classes)
    : classes_(std::move(classes)) {
  ZENGEN_CHECK(options.limit >= 0, ValueError, op, ": limit must be >= 0 (0: all), got ", options.limit);
  if (classes_.empty())
    for (int d = 0; d < 10; ++d) classes_.push_back(std::to_string(d));
  const std::string prefix = options.split == Split::Train ? "train" : "t10k";
  const std::string images_path = idx_file(root, prefix + "-images-idx3-ubyte");
  const std::string labels_path = idx_file(root, prefix + "-labels-idx1-ubyte");
  images_ = read_idx_images(images_path);
  labels_ = read_idx_labels(labels_path);
  ZENGEN_CHECK(images_.size(0) == labels_.size(0), FormatError, op, ": '", images_path, "' holds ",
               images_.size(0), " images but '", labels_path, "' holds ", labels_.size(0), " labels");
  // A dataset that can never give a batch is an error now, not at the first batch.
  ZENGEN_CHECK(images_.size(0) > 0, FormatError, op, ": '", images_path, "' holds no images (shape ",
               images_.shape(), "): a dataset needs at least one example");
  const auto n_classes = static_cast<std::int64_t>(classes_.size());
  const std::int64_t* label = labels_.data<std::int64_t>();
  for (std::int64_t i = 0, n = labels_.numel(); i < n; ++i)
    ZENGEN_CHECK(label[i] >= 0 && label[i] < n_classes, FormatError, op, ": '", labels_path, "': label ", i, " is ",
                 label[i], ", outside the ", n_classes, " classes (0 to ", n_classes - 1, ")");
  if (options.limit > 0 && options.limit < images_.size(0)) {
    images_ = images_.narrow(0, 0, options.limit).clone();
    labels_ = labels_.narrow(0, 0, options.limit).clone();
  }
  if (options.range == Range::MinusOneToOne) {
    float* p = images_.data<float>();
    for (std::int64_t i = 0, n = images_.numel(); i < n; ++i) p[i] = p[i] * 2.0f - 1.0f;
  }
}

Example MNIST::get(std::int64_t i) const { return example(images_, labels_, i, "MNIST"); }

FashionMNIST::FashionMNIST(const std::string& root, MNISTOptions options)
    : MNIST(root, options, "FashionMNIST",
            {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
             "Ankle boot"}) {}

TensorDataset::TensorDataset(Tensor images, Tensor labels) : images_(std::move(images)), labels_(std::move(labels)) {
  ZENGEN_CHECK(images_.defined(), ValueError, "TensorDataset: images is an undefined tensor");
  ZENGEN_CHECK(images_.dim() >= 1, ShapeError, "TensorDataset: images must have a batch dim, got shape ",
               images_.shape());
  if (!labels_.defined()) {
    labels_ = Tensor::empty({images_.size(0)}, {.dtype = DType::Int64});
    labels_.zero_();
  }
  ZENGEN_CHECK(labels_.dim() == 1 && labels_.size(0) == images_.size(0), ShapeError,
               "TensorDataset: expected labels [N] for images of shape ", images_.shape(), ", got labels of shape ",
               labels_.shape());
}

Example TensorDataset::get(std::int64_t i) const { return example(images_, labels_, i, "TensorDataset"); }

}  // namespace zengen::data
