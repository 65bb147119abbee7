// DataLoader (determinism, coverage, drop_last, flips, prefetching, errors
// from the worker), TensorDataset, and MNIST / FashionMNIST over small IDX
// files written here.
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using zengen::testing::require_values;
using zengen::testing::TempDir;
using zengen::testing::write_bytes;

static_assert(data::TensorSource<data::ImageFolder>);
static_assert(data::TensorSource<data::MNIST>);
static_assert(data::TensorSource<data::FashionMNIST>);
static_assert(data::TensorSource<data::TensorDataset>);
static_assert(!data::TensorSource<Tensor>);

namespace {

// n examples of shape [1, 2, 3]: example i holds 100 i + (0 .. 5); label i.
data::TensorDataset numbered(std::int64_t n) {
  std::vector<float> v;
  std::vector<std::int64_t> l;
  for (std::int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < 6; ++k) v.push_back(static_cast<float>(100 * i + k));
    l.push_back(i);
  }
  return data::TensorDataset(from_vector(v, {n, 1, 2, 3}), from_vector(l, {n}));
}

std::vector<data::Batch> epoch(data::DataLoader& loader) {
  std::vector<data::Batch> out;
  for (const auto& batch : loader) out.push_back(batch);
  return out;
}

std::vector<std::int64_t> labels_of(const std::vector<data::Batch>& batches) {
  std::vector<std::int64_t> out;
  for (const auto& b : batches)
    for (auto l : b.labels.to_vector<std::int64_t>()) out.push_back(l);
  return out;
}

void require_same(const std::vector<data::Batch>& a, const std::vector<data::Batch>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].images.shape() == b[i].images.shape());
    REQUIRE(a[i].images.to_vector<float>() == b[i].images.to_vector<float>());
    REQUIRE(a[i].labels.to_vector<std::int64_t>() == b[i].labels.to_vector<std::int64_t>());
  }
}

// Each batch row must be example `label`'s image, mirrored or not.
// Returns how many were mirrored.
int check_rows(const data::Batch& b) {
  const auto labels = b.labels.to_vector<std::int64_t>();
  const auto px = b.images.to_vector<float>();
  int flipped = 0;
  for (std::size_t r = 0; r < labels.size(); ++r) {
    const float base = static_cast<float>(100 * labels[r]);
    std::vector<float> row(px.begin() + static_cast<std::ptrdiff_t>(6 * r),
                           px.begin() + static_cast<std::ptrdiff_t>(6 * r + 6));
    const std::vector<float> plain{base, base + 1, base + 2, base + 3, base + 4, base + 5};
    const std::vector<float> mirrored{base + 2, base + 1, base, base + 5, base + 4, base + 3};
    INFO("row " << r << " of a batch, label " << labels[r]);
    REQUIRE((row == plain || row == mirrored));
    flipped += row == mirrored && row != plain;
  }
  return flipped;
}

std::string be32(std::uint32_t v) {
  std::string s;
  for (int i = 3; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

}  // namespace

TEST_CASE("loader: every example exactly once per epoch; the last batch is smaller without drop_last",
          "[data][loader]") {
  auto ds = numbered(10);
  for (bool prefetch : {false, true}) {
    data::DataLoader loader(ds, {.batch_size = 3, .drop_last = false, .prefetch = prefetch});
    REQUIRE(loader.size() == 4);
    REQUIRE(loader.num_examples() == 10);
    for (int e = 0; e < 3; ++e) {
      const auto batches = epoch(loader);
      REQUIRE(batches.size() == 4);
      REQUIRE(batches[0].images.shape() == Shape{3, 1, 2, 3});
      REQUIRE(batches[3].images.shape() == Shape{1, 1, 2, 3});
      REQUIRE(batches[3].labels.shape() == Shape{1});
      auto labels = labels_of(batches);
      std::sort(labels.begin(), labels.end());
      REQUIRE(labels == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
      for (const auto& b : batches) {
        REQUIRE(b.images.is_contiguous());
        REQUIRE(check_rows(b) == 0);
      }
    }
  }
}

TEST_CASE("loader: drop_last leaves out the partial batch", "[data][loader]") {
  auto ds = numbered(10);
  data::DataLoader loader(ds, {.batch_size = 4});
  REQUIRE(loader.size() == 2);
  const auto batches = epoch(loader);
  REQUIRE(batches.size() == 2);
  for (const auto& b : batches) REQUIRE(b.images.size(0) == 4);
  const auto labels = labels_of(batches);
  REQUIRE(std::set<std::int64_t>(labels.begin(), labels.end()).size() == 8);
  data::DataLoader too_big(ds, {.batch_size = 11});
  REQUIRE(too_big.size() == 0);
  REQUIRE(epoch(too_big).empty());
  data::DataLoader one(ds, {.batch_size = 11, .drop_last = false});
  REQUIRE(one.size() == 1);
}

TEST_CASE("loader: without shuffle the order is the dataset's", "[data][loader]") {
  auto ds = numbered(5);
  data::DataLoader loader(ds, {.batch_size = 2, .shuffle = false, .drop_last = false});
  const auto before = default_generator().state();
  REQUIRE(labels_of(epoch(loader)) == std::vector<std::int64_t>{0, 1, 2, 3, 4});
  REQUIRE(default_generator().state() == before);  // nothing random was drawn
}

TEST_CASE("loader: the same seed gives the same batches; epochs differ and advance the generator",
          "[data][loader]") {
  auto ds = numbered(50);
  data::DataLoader loader(ds, {.batch_size = 7, .random_flip = true});
  manual_seed(123);
  const auto first = epoch(loader);
  const auto offset = default_generator().state().offset;
  REQUIRE(offset > 0);
  const auto second = epoch(loader);
  REQUIRE(default_generator().state().offset > offset);
  REQUIRE(labels_of(first) != labels_of(second));

  manual_seed(123);
  require_same(epoch(loader), first);
  require_same(epoch(loader), second);
  manual_seed(124);
  REQUIRE(labels_of(epoch(loader)) != labels_of(first));

  // The order is a permutation, not the identity.
  auto labels = labels_of(first);
  REQUIRE(labels.size() == 49);
  REQUIRE_FALSE(std::is_sorted(labels.begin(), labels.end()));
}

TEST_CASE("loader: prefetching gives the same batches as no prefetching", "[data][loader]") {
  auto ds = numbered(37);
  data::DataLoader with(ds, {.batch_size = 5, .drop_last = false, .random_flip = true, .prefetch = true});
  data::DataLoader without(ds, {.batch_size = 5, .drop_last = false, .random_flip = true, .prefetch = false});
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    manual_seed(seed);
    const auto a = epoch(with);
    manual_seed(seed);
    const auto b = epoch(without);
    require_same(a, b);
    // make_batch (on this thread) agrees with what the worker made.
    manual_seed(seed);
    auto it = with.begin();
    require_same({*it}, {with.make_batch(0)});
    require_same({with.make_batch(3)}, {a[3]});
  }
}

TEST_CASE("loader: random_flip mirrors a known image left-right, about half the time", "[data][loader]") {
  // One known [1, 2, 3] image: rows (0 1 2) and (3 4 5); mirrored (2 1 0), (5 4 3).
  auto ds = numbered(200);
  data::DataLoader loader(ds, {.batch_size = 20, .shuffle = false, .random_flip = true});
  manual_seed(7);
  int flipped = 0;
  for (const auto& batch : loader) flipped += check_rows(batch);
  REQUIRE(flipped > 60);
  REQUIRE(flipped < 140);
  // The first example, exactly.
  manual_seed(7);
  const auto b = *loader.begin();
  const auto px = b.images.to_vector<float>();
  const std::vector<float> first(px.begin(), px.begin() + 6);
  REQUIRE((first == std::vector<float>{0, 1, 2, 3, 4, 5} || first == std::vector<float>{2, 1, 0, 5, 4, 3}));
  // Float64 images and flips without shuffling use the same draws.
  data::DataLoader f64(data::TensorDataset(ds.images().to(DType::Float64), ds.labels()),
                       {.batch_size = 20, .shuffle = false, .random_flip = true, .prefetch = false});
  manual_seed(7);
  require_values(f64.begin()->images, {20, 1, 2, 3}, b.images.to_vector<double>());
  REQUIRE_THROWS_AS(data::DataLoader(data::TensorDataset(zeros({4, 3})), {.random_flip = true}), ShapeError);
}

TEST_CASE("loader: an exception in the worker reaches the loop; a new epoch starts clean", "[data][loader]") {
  auto ds = numbered(20);
  for (bool prefetch : {true, false}) {
    std::atomic<int> calls{0};
    data::DataLoader loader(ds, {.batch_size = 4,
                                 .prefetch = prefetch,
                                 .transform = [&](data::Batch& b) {
                                   if (++calls == 3) throw std::runtime_error("transform failed on purpose");
                                   b.images = b.images * 2.0;
                                 }});
    int seen = 0;
    try {
      for (const auto& batch : loader) {
        (void)batch;
        ++seen;
      }
      FAIL("no exception");
    } catch (const std::runtime_error& e) {
      REQUIRE(std::string(e.what()) == "transform failed on purpose");
    }
    REQUIRE(seen == 2);
    const auto batches = epoch(loader);  // the next epoch works (calls > 3 from now on)
    REQUIRE(batches.size() == 5);
    for (const auto& b : batches) {
      const auto l = b.labels.to_vector<std::int64_t>();
      REQUIRE(b.images.to_vector<float>()[0] == 200.0f * static_cast<float>(l[0]));
    }
  }
}

TEST_CASE("loader: leaving an epoch early, restarting, and destroying mid-epoch", "[data][loader]") {
  auto ds = numbered(64);
  data::DataLoader loader(ds, {.batch_size = 8, .random_flip = true});
  data::DataLoader reference(ds, {.batch_size = 8, .random_flip = true, .prefetch = false});
  manual_seed(9);
  for (const auto& batch : loader) {
    (void)batch;
    break;
  }
  const auto state = default_generator().state();
  const auto rest = epoch(loader);
  default_generator().set_state(state);
  require_same(rest, epoch(reference));
  {
    data::DataLoader dying(ds, {.batch_size = 8});
    auto it = dying.begin();
    ++it;
  }  // the worker is making batch 2: the destructor stops and joins it
  SUCCEED();
}

TEST_CASE("loader: bad arguments", "[data][loader]") {
  auto ds = numbered(4);
  REQUIRE_THROWS_AS(data::DataLoader(ds, {.batch_size = 0}), ValueError);
  REQUIRE_THROWS_AS(data::DataLoader(ds.images(), zeros({3}, {.dtype = DType::Int64})), ShapeError);
  REQUIRE_THROWS_AS(data::DataLoader(Tensor(), Tensor()), ValueError);
  REQUIRE_THROWS_AS(data::DataLoader(zeros({0, 3}), Tensor()), ShapeError);
  data::DataLoader loader(ds, {.batch_size = 2});
  REQUIRE_THROWS_AS(loader.make_batch(0), ValueError);  // no epoch yet
  loader.begin();
  REQUIRE_THROWS_AS(loader.make_batch(2), ValueError);
  // Undefined labels: batches without labels.
  data::DataLoader unlabelled(ds.images(), Tensor(), {.batch_size = 2});
  REQUIRE_FALSE(unlabelled.begin()->labels.defined());
}

TEST_CASE("tensor dataset: shares its tensors; labels default to zeros", "[data]") {
  const Tensor x = arange(12).reshape({3, 4});
  data::TensorDataset ds(x, tensor({5, 6, 7}));
  REQUIRE(ds.size() == 3);
  REQUIRE(ds.images().is_same(x));
  REQUIRE(ds.get(2).label == 7);
  require_values(ds.get(1).image, {4}, {4, 5, 6, 7});
  REQUIRE_THROWS_AS(ds.get(3), ValueError);
  data::TensorDataset unlabelled(x);
  require_values(unlabelled.labels(), {3}, {0, 0, 0});
  REQUIRE(unlabelled.labels().dtype() == DType::Int64);
  REQUIRE_THROWS_AS(data::TensorDataset(x, zeros({2})), ShapeError);
  REQUIRE_THROWS_AS(data::TensorDataset(x, zeros({3, 1})), ShapeError);
  REQUIRE_THROWS_AS(data::TensorDataset(Tensor()), ValueError);
}

TEST_CASE("mnist: splits, [-1, 1] or [0, 1], limit, gzipped files, Fashion-MNIST's classes", "[data]") {
  TempDir dir;
  // train: 3 images of 28x28 (image i: every pixel 0, 255 or 51 * i), test: 1.
  auto write_split = [&](const std::string& prefix, const std::vector<int>& fill, bool gz) {
    std::string images = std::string("\0\0\x08\x03", 4) + be32(static_cast<std::uint32_t>(fill.size())) + be32(28) +
                         be32(28);
    std::string labels = std::string("\0\0\x08\x01", 4) + be32(static_cast<std::uint32_t>(fill.size()));
    for (std::size_t i = 0; i < fill.size(); ++i) {
      images += std::string(28 * 28, static_cast<char>(fill[i]));
      labels += static_cast<char>(9 - i);
    }
    const std::string base = dir.file(prefix);
    if (!gz) {
      write_bytes(base + "-images-idx3-ubyte", images);
      write_bytes(base + "-labels-idx1-ubyte", labels);
      return;
    }
    for (const auto& [name, bytes] : {std::pair{base + "-images-idx3-ubyte.gz", images},
                                      std::pair{base + "-labels-idx1-ubyte.gz", labels}}) {
      gzFile f = gzopen(name.c_str(), "wb");
      REQUIRE(f != nullptr);
      REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
      REQUIRE(gzclose(f) == Z_OK);
    }
  };
  write_split("train", {0, 255, 51}, false);
  write_split("t10k", {102}, true);

  data::MNIST train(dir.path().string());
  REQUIRE(train.size() == 3);
  REQUIRE(train.images().shape() == Shape{3, 1, 28, 28});
  require_values(train.labels(), {3}, {9, 8, 7});
  REQUIRE(train.get(1).image.to_vector<float>()[0] == 1.0f);
  REQUIRE(train.get(0).image.to_vector<float>()[100] == -1.0f);
  REQUIRE(train.get(2).image.to_vector<float>()[5] == Approx(51.0 / 255.0 * 2 - 1));
  REQUIRE(train.classes().size() == 10);
  REQUIRE(train.classes()[3] == "3");

  data::MNIST unit(dir.path().string(), {.range = data::Range::ZeroToOne, .limit = 2});
  REQUIRE(unit.size() == 2);
  REQUIRE(unit.get(1).image.to_vector<float>()[0] == 1.0f);
  REQUIRE(unit.get(0).image.to_vector<float>()[0] == 0.0f);
  require_values(unit.labels(), {2}, {9, 8});

  data::FashionMNIST test(dir.path().string(), {.split = data::Split::Test});
  REQUIRE(test.size() == 1);
  REQUIRE(test.get(0).label == 9);
  REQUIRE(test.classes()[9] == "Ankle boot");
  REQUIRE(test.get(0).image.to_vector<float>()[0] == Approx(102.0 / 255.0 * 2 - 1));

  REQUIRE_THROWS_AS(data::MNIST(dir.file("nowhere")), IOError);
  REQUIRE_THROWS_WITH(data::MNIST(dir.file("nowhere")), Catch::Contains(dir.file("nowhere")));
  REQUIRE_THROWS_AS(data::MNIST(dir.path().string(), {.limit = -1}), ValueError);
  // Images and labels of different lengths.
  write_bytes(dir.file("train-labels-idx1-ubyte"), std::string("\0\0\x08\x01", 4) + be32(2) + "\x01\x02");
  REQUIRE_THROWS_AS(data::MNIST(dir.path().string()), FormatError);
}
