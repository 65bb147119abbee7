// DataLoader: the epoch's randomness is drawn on the caller's thread in
// begin(); a batch is then a pure function of (epoch, index), made either
// on the caller's thread or, one batch ahead, on a background thread.
#include "zengen/data/loader.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "zengen/core/generator.hpp"

namespace zengen::data {

namespace {

// The 32-bit words of a reserved stretch of the global generator's stream.
class PhiloxWords {
 public:
  explicit PhiloxWords(std::uint64_t count) {
    Generator& g = default_generator();
    seed_ = g.state().seed;
    first_block_ = g.advance((count + 3) / 4);
  }
  std::uint32_t operator[](std::uint64_t i) {
    const std::uint64_t block = first_block_ + i / 4;
    if (block != cached_) {
      philox_block(seed_, block, words_);
      cached_ = block;
    }
    return words_[i % 4];
  }

 private:
  std::uint64_t seed_ = 0, first_block_ = 0, cached_ = ~std::uint64_t{0};
  std::uint32_t words_[4] = {};
};

}  // namespace

DataLoader::DataLoader(Tensor images, Tensor labels, DataLoaderOptions options) : options_(std::move(options)) {
  constexpr const char* op = "DataLoader";
  ZENGEN_CHECK(images.defined(), ValueError, op, ": images is an undefined tensor");
  ZENGEN_CHECK(images.dim() >= 1 && images.size(0) > 0, ShapeError, op,
               ": expected images [N, ...] with N > 0, got shape ", images.shape());
  ZENGEN_CHECK(images.device().is_cpu(), DeviceError, op, ": images must be on the CPU (move batches instead)");
  ZENGEN_CHECK(options_.batch_size > 0, ValueError, op, ": batch_size must be positive, got ", options_.batch_size);
  ZENGEN_CHECK(!options_.random_flip || images.dim() >= 3, ShapeError, op,
               ": random_flip mirrors the last dim of images [N, ..., H, W], got shape ", images.shape());
  if (labels.defined()) {
    ZENGEN_CHECK(labels.dim() >= 1 && labels.size(0) == images.size(0), ShapeError, op, ": images of shape ",
                 images.shape(), " and labels of shape ", labels.shape(), " differ in their first dim");
    ZENGEN_CHECK(labels.device().is_cpu(), DeviceError, op, ": labels must be on the CPU");
    labels_ = labels.detach().contiguous();
  }
  images_ = images.detach().contiguous();
  if (options_.prefetch) worker_ = std::thread([this] { worker_loop(); });
}

DataLoader::~DataLoader() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

std::int64_t DataLoader::size() const {
  const std::int64_t n = num_examples(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

DataLoader::Iterator DataLoader::begin() { return begin_at(0); }

DataLoader::Iterator DataLoader::begin_at(std::int64_t first) {
  ZENGEN_CHECK(first >= 0 && first <= size(), ValueError, "DataLoader::begin_at: batch ", first,
               " out of range for an epoch of ", size(), " batches");
  const std::int64_t n = num_examples();
  auto epoch = std::make_shared<Epoch>();
  epoch->order.resize(static_cast<std::size_t>(n));
  std::iota(epoch->order.begin(), epoch->order.end(), std::int64_t{0});
  if (options_.shuffle && n > 1) {
    // Fisher-Yates; j uniform in [0, i] from 64 random bits (bias < n / 2^64).
    PhiloxWords words(2 * static_cast<std::uint64_t>(n - 1));
    std::uint64_t w = 0;
    for (std::int64_t i = n - 1; i > 0; --i, w += 2) {
      const std::uint64_t r = (std::uint64_t{words[w]} << 32) | words[w + 1];
      const auto j = static_cast<std::int64_t>(
          (static_cast<unsigned __int128>(r) * static_cast<std::uint64_t>(i + 1)) >> 64);
      std::swap(epoch->order[static_cast<std::size_t>(i)], epoch->order[static_cast<std::size_t>(j)]);
    }
  }
  if (options_.random_flip) {
    PhiloxWords words(static_cast<std::uint64_t>(n));
    epoch->flip.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) epoch->flip[static_cast<std::size_t>(i)] = words[static_cast<std::uint64_t>(i)] >> 31;
  }
  if (options_.prefetch) {
    std::lock_guard lock(mutex_);
    epoch_ = std::move(epoch);
    ++generation_;
    next_ = first;
    ready_.reset();
    ready_index_ = -1;
    error_ = nullptr;
  } else {
    epoch_ = std::move(epoch);
  }
  cv_.notify_all();
  current_ = first < size() ? fetch(first) : Batch{};
  return Iterator(this, first);
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++index_;
  if (index_ < loader_->size()) loader_->current_ = loader_->fetch(index_);
  return *this;
}

Batch DataLoader::make_batch(std::int64_t index) const {
  ZENGEN_CHECK(epoch_, ValueError, "DataLoader::make_batch: no epoch yet (call begin() first)");
  ZENGEN_CHECK(index >= 0 && index < size(), ValueError, "DataLoader::make_batch: batch ", index,
               " out of range for ", size(), " batches per epoch");
  return gather(*epoch_, index);
}

Batch DataLoader::fetch(std::int64_t index) {
  if (!options_.prefetch) return gather(*epoch_, index);
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return ready_index_ == index || error_; });
  if (error_) std::rethrow_exception(error_);  // stays set: this epoch is over
  Batch batch = std::move(*ready_);
  ready_.reset();
  ready_index_ = -1;
  lock.unlock();
  cv_.notify_all();  // the worker starts on the next one
  return batch;
}

void DataLoader::worker_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || (epoch_ && !ready_ && !error_ && next_ < size()); });
    if (stop_) return;
    const std::shared_ptr<const Epoch> epoch = epoch_;
    const std::uint64_t generation = generation_;
    const std::int64_t index = next_;
    lock.unlock();
    std::optional<Batch> batch;
    std::exception_ptr error;
    try {
      batch = gather(*epoch, index);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (generation != generation_) continue;  // a new epoch began meanwhile
    ready_ = std::move(batch);
    error_ = error;
    ready_index_ = index;
    next_ = index + 1;
    cv_.notify_all();
  }
}

Batch DataLoader::gather(const Epoch& epoch, std::int64_t index) const {
  const std::int64_t n = num_examples(), b = options_.batch_size;
  const std::int64_t start = index * b, count = std::min(b, n - start);

  auto rows = [&](const Tensor& src, bool flip) {
    Shape shape = src.shape();
    shape[0] = count;
    Tensor out = Tensor::empty(shape, {.dtype = src.dtype()});
    const std::size_t esize = element_size(src.dtype());
    const std::size_t row = src.nbytes() / static_cast<std::size_t>(n);
    const auto* from = static_cast<const char*>(src.data_ptr());
    auto* to = static_cast<char*>(out.data_ptr());
    const std::size_t width = src.dim() >= 2 ? static_cast<std::size_t>(src.shape().back()) : 1;
    for (std::int64_t k = 0; k < count; ++k) {
      const std::int64_t ex = epoch.order[static_cast<std::size_t>(start + k)];
      const char* s = from + static_cast<std::size_t>(ex) * row;
      char* d = to + static_cast<std::size_t>(k) * row;
      if (!flip || !epoch.flip[static_cast<std::size_t>(ex)]) {
        std::memcpy(d, s, row);
        continue;
      }
      const std::size_t line = width * esize;  // mirror each line of the last dim
      for (std::size_t off = 0; off < row; off += line)
        for (std::size_t x = 0; x < width; ++x) std::memcpy(d + off + x * esize, s + off + (width - 1 - x) * esize, esize);
    }
    return out;
  };

  Batch batch{rows(images_, options_.random_flip), labels_.defined() ? rows(labels_, false) : Tensor()};
  if (options_.transform) options_.transform(batch);
  return batch;
}

}  // namespace zengen::data
