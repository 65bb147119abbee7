// DataLoader: mini-batches over an in-memory dataset, one epoch per range-for.
//
//   zengen::manual_seed(1);
//   auto loader = zengen::data::DataLoader(emoji, {.batch_size = 64, .random_flip = true});
//   for (int epoch = 0; epoch < 25; ++epoch)
//     for (const auto& batch : loader)      // batch.images [64, 3, S, S], batch.labels [64]
//       train_step(batch.images);
//
// Randomness (the shuffle and the flips) is drawn on the calling thread,
// from zengen's global generator, when an epoch begins: manual_seed makes
// the batches reproducible, and each epoch advances the generator. With
// `prefetch`, a background thread gathers the next batch (contiguous copy,
// flips) while the caller trains on the current one; the batches are the
// same with or without it.
#pragma once

#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::data {

/// One mini-batch: images [B, ...] (contiguous, the dataset's dtype) and
/// labels [B] (or [B, ...], as the dataset holds them).
struct Batch {
  Tensor images, labels;
};

/// How a DataLoader batches, shuffles, flips and prefetches.
struct DataLoaderOptions {
  std::int64_t batch_size = 64;
  bool shuffle = true;      ///< a fresh permutation every epoch
  bool drop_last = true;    ///< leave out the last, smaller batch
  bool random_flip = false; ///< mirror each image left-right with probability 1/2 (needs [N, ..., H, W])
  bool prefetch = true;     ///< prepare the next batch on a background thread
  /// Optional: runs on each batch after gathering and flipping (in the
  /// background thread when prefetching, so it must not use the global
  /// generator). An exception it throws reaches the loop that asked for the
  /// batch.
  std::function<void(Batch&)> transform = {};
};

/// Anything with images() and labels() tensors: ImageFolder, MNIST,
/// TensorDataset, your own.
template <typename D>
concept TensorSource = requires(const D& d) {
  { d.images() } -> std::convertible_to<Tensor>;
  { d.labels() } -> std::convertible_to<Tensor>;
};

/// Mini-batches from in-memory tensors: shuffled per epoch from the global seed, optionally flipped, prepared on a background thread.
class DataLoader {
 public:
  /// Holds the dataset's tensors (shared, not copied); the dataset object
  /// itself may go away.
  template <TensorSource D>
  explicit DataLoader(const D& dataset, DataLoaderOptions options = {})
      : DataLoader(Tensor(dataset.images()), Tensor(dataset.labels()), std::move(options)) {}
  /// images [N, ...] and labels [N, ...] (labels may be undefined: batches
  /// then have undefined labels). CPU tensors.
  DataLoader(Tensor images, Tensor labels, DataLoaderOptions options = {});
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  /// Batches per epoch.
  std::int64_t size() const;
  std::int64_t num_examples() const { return images_.size(0); }
  const DataLoaderOptions& options() const { return options_; }

  /// Walks one epoch's batches (an input iterator; the batch it points to lives in the loader).
  class Iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    const Batch& operator*() const { return loader_->current_; }
    const Batch* operator->() const { return &loader_->current_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    friend class DataLoader;
    Iterator(DataLoader* loader, std::int64_t index) : loader_(loader), index_(index) {}
    DataLoader* loader_;
    std::int64_t index_;
  };

  /// Starts an epoch (draws its permutation and flips) and returns its first
  /// batch. Starting a new epoch abandons any unfinished one.
  Iterator begin();
  Iterator end() { return Iterator(this, size()); }

  /// The batch `index` of the epoch that begin() started, made on this
  /// thread (what the background thread runs too). For tests.
  Batch make_batch(std::int64_t index) const;

 private:
  struct Epoch {
    std::vector<std::int64_t> order;  // example index at each position
    std::vector<std::uint8_t> flip;   // per example index
  };
  Batch fetch(std::int64_t index);
  void worker_loop();
  Batch gather(const Epoch& epoch, std::int64_t index) const;

  Tensor images_, labels_;
  DataLoaderOptions options_;
  std::shared_ptr<const Epoch> epoch_;
  Batch current_;

  // Prefetching: the worker makes batch `next_` of generation `generation_`
  // into `ready_` and waits until the consumer has taken it.
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::uint64_t generation_ = 0;
  std::int64_t next_ = 0;
  std::int64_t ready_index_ = -1;
  std::optional<Batch> ready_;
  std::exception_ptr error_;
};

}  // namespace zengen::data
