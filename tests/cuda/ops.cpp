// Every CUDA op against the same op on the CPU, on random float32 inputs:
// odd sizes (not multiples of the 256-thread block or the 4-float pack),
// batch 1, 3 channels, broadcasting, transposed and sliced views, with
// outputs drawn from NaN-filled memory so an unwritten element is caught.
#include <catch2/catch.hpp>

#include <functional>

#include "cuda_helpers.hpp"

using namespace zengen;
using namespace zengen::cuda_testing;

namespace {
// Applies fn to the CPU inputs and to their GPU copies; compares.
void check_op(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs,
              double tol = 1e-4) {
  std::vector<Tensor> on_gpu;
  for (const Tensor& x : inputs) on_gpu.push_back(x.to(kGpu));
  const Tensor want = fn(inputs);
  poison(want.numel(), want.dtype());
  const Tensor got = fn(on_gpu);
  require_match(want, got, tol);
}
const std::vector<Shape> kShapes = {{1}, {7}, {1023}, {4097}, {1, 3, 5, 7}, {64, 3, 17, 9}};
}  // namespace

TEST_CASE("cuda ops: unary and scalar element-wise ops match the CPU", "[cuda][elementwise]") {
  ZENGEN_TWIN_CHECKED(neg);
  ZENGEN_TWIN_CHECKED(exp);
  ZENGEN_TWIN_CHECKED(log);
  ZENGEN_TWIN_CHECKED(sqrt);
  ZENGEN_TWIN_CHECKED(abs);
  ZENGEN_TWIN_CHECKED(square);
  ZENGEN_TWIN_CHECKED(pow);
  ZENGEN_TWIN_CHECKED(clamp);
  ZENGEN_TWIN_CHECKED(rdiv);
  for (const Shape& s : kShapes) {
    INFO("shape " << s);
    const Tensor x = randf(s), pos = (rand(s) + 0.1).detach();
    check_op([](auto& v) { return neg(v[0]); }, {x});
    check_op([](auto& v) { return exp(v[0]); }, {x});
    check_op([](auto& v) { return log(v[0]); }, {pos});
    check_op([](auto& v) { return sqrt(v[0]); }, {pos});
    check_op([](auto& v) { return abs(v[0]); }, {x});
    check_op([](auto& v) { return square(v[0]); }, {x});
    check_op([](auto& v) { return pow(v[0], 3.0); }, {x});
    check_op([](auto& v) { return clamp(v[0], -0.5, 0.75); }, {x});
    check_op([](auto& v) { return v[0] * 3.0 + 1.5; }, {x});
    check_op([](auto& v) { return 2.0 / v[0] - 1.0; }, {pos});
  }
}

TEST_CASE("cuda ops: binary ops with broadcasting and strided views", "[cuda][elementwise]") {
  ZENGEN_TWIN_CHECKED(add);
  ZENGEN_TWIN_CHECKED(sub);
  ZENGEN_TWIN_CHECKED(mul);
  ZENGEN_TWIN_CHECKED(div);
  ZENGEN_TWIN_CHECKED(maximum);
  ZENGEN_TWIN_CHECKED(minimum);
  ZENGEN_TWIN_CHECKED(transpose);
  ZENGEN_TWIN_CHECKED(narrow);
  ZENGEN_TWIN_CHECKED(contiguous);
  ZENGEN_TWIN_CHECKED(expand);
  const Tensor x = randf({8, 3, 5, 7}), y = randf({8, 3, 5, 7});
  const Tensor bias = randf({3, 1, 1}), row = randf({7}), scalar = randf({});
  check_op([](auto& v) { return v[0] + v[1]; }, {x, y});
  check_op([](auto& v) { return v[0] - v[1]; }, {x, bias});
  check_op([](auto& v) { return v[0] * v[1]; }, {x, row});
  check_op([](auto& v) { return v[0] / (abs(v[1]) + 0.5); }, {x, scalar});
  check_op([](auto& v) { return maximum(v[0], v[1]); }, {x, y});
  check_op([](auto& v) { return minimum(v[0], v[1]); }, {bias, x});
  // Views: a transpose, a narrowed slice (unaligned start), an expand.
  const Tensor m = randf({33, 65}), n = randf({65, 33});
  check_op([](auto& v) { return v[0] + v[1].t(); }, {m, n});
  check_op([](auto& v) { return v[0].narrow(1, 1, 63) * 2.0; }, {m});
  check_op([](auto& v) { return v[0].t().contiguous(); }, {m});
  check_op([](auto& v) { return v[0].expand({4, 7}) + v[1]; }, {row, randf({4, 7})});
}

TEST_CASE("cuda ops: comparisons, where, casts", "[cuda][elementwise]") {
  ZENGEN_TWIN_CHECKED(compare);
  ZENGEN_TWIN_CHECKED(where);
  const Tensor x = randf({5, 129}), y = randf({129});
  check_op([](auto& v) { return gt(v[0], v[1]).to(DType::Float32); }, {x, y});
  check_op([](auto& v) { return le(v[0], 0.25).to(DType::Float32); }, {x});
  check_op([](auto& v) { return where(lt(v[0], v[1]), v[0], v[1] * 2.0); }, {x, y});
  check_op([](auto& v) { return v[0].to(DType::Float64).to(DType::Float32); }, {x});
  // Bool and int64 tensors cross devices and convert.
  const Tensor b = gt(x, 0.0);
  REQUIRE(b.to(kGpu).to(Device::cpu()).to_vector<double>() == b.to_vector<double>());
}

TEST_CASE("cuda ops: activations forward and backward", "[cuda][activation]") {
  ZENGEN_TWIN_CHECKED(relu);
  ZENGEN_TWIN_CHECKED(leaky_relu);
  ZENGEN_TWIN_CHECKED(leaky_relu_backward);
  ZENGEN_TWIN_CHECKED(sigmoid);
  ZENGEN_TWIN_CHECKED(tanh);
  ZENGEN_TWIN_CHECKED(softplus);
  for (const Shape& s : kShapes) {
    INFO("shape " << s);
    const Tensor x = randf(s), g = randf(s);
    check_op([](auto& v) { return relu(v[0]); }, {x});
    check_op([](auto& v) { return leaky_relu(v[0], 0.2); }, {x});
    check_op([](auto& v) { return leaky_relu_backward(v[1], v[0], 0.2); }, {x, g});
    check_op([](auto& v) { return sigmoid(v[0]); }, {x});
    check_op([](auto& v) { return tanh(v[0]); }, {x});
    check_op([](auto& v) { return softplus(v[0] * 10.0); }, {x});
  }
}

TEST_CASE("cuda ops: log_softmax (fused kernels) along every dim, and its gradient", "[cuda][activation]") {
  ZENGEN_TWIN_CHECKED(log_softmax);
  // A row per block (last dim: 10 classes, a 1000-wide row, a 4097-wide one
  // past the 256 threads), a column per thread (dim 0 and a middle dim).
  for (const Shape& s : {Shape{33, 10}, Shape{5, 1000}, Shape{3, 4097}, Shape{4, 7, 9, 5}}) {
    INFO("shape " << s);
    const Tensor x = randf(s), g = randf(s);
    for (std::int64_t d = 0; d < static_cast<std::int64_t>(s.ndim()); ++d) {
      INFO("dim " << d);
      check_op([d](auto& v) { return log_softmax(v[0] * 20.0, d); }, {x});
      check_op([d](auto& v) {
        const Tensor t = v[0].detach().requires_grad_();
        (log_softmax(t, d) * v[1]).sum().backward();
        return t.grad();
      }, {x, g});
    }
  }
  // Strided input, a broadcast incoming gradient (sum's), double backward.
  const Tensor m = randf({12, 31});
  check_op([](auto& v) { return log_softmax(v[0].t(), 1); }, {m});
  check_op([](auto& v) {
    const Tensor t = v[0].detach().requires_grad_();
    log_softmax(t, 0).sum().backward();
    return t.grad();
  }, {m});
  check_op([](auto& v) {
    const Tensor t = v[0].detach().requires_grad_();
    const Tensor grad = autograd::grad({(log_softmax(t, 1) * v[1]).sum()}, {t}, {}, true, /*create_graph=*/true)[0];
    return autograd::grad({(grad * grad).sum()}, {t})[0];
  }, {m, randf({12, 31})});
  // An infinite logit, and a 0-d tensor (one softmax over one value).
  check_op([](auto& v) { return log_softmax(where(gt(v[0], 1.5), full({}, -INFINITY, {.device = v[0].device()}), v[0]), 1); }, {m});
  check_op([](auto& v) { return log_softmax(v[0].sum(), 0); }, {m});
}

TEST_CASE("cuda ops: bias_leaky_relu (one fused pass) and its gradients", "[cuda][activation]") {
  ZENGEN_TWIN_CHECKED(bias_leaky_relu);
  struct Case {
    Shape shape;
    std::int64_t dim;
  };
  // Packs of 4 that cross channel boundaries (inner 153, C 65 rows), one
  // value per channel, a 1-d input.
  for (const Case& c : {Case{{64, 3, 17, 9}, 1}, Case{{33, 65}, -1}, Case{{5, 3}, 0}, Case{{4097}, 0},
                        Case{{2, 8, 4, 4}, 2}}) {
    INFO("shape " << c.shape << " dim " << c.dim);
    const std::int64_t d = c.dim < 0 ? c.dim + c.shape.ndim() : c.dim;
    const Tensor x = randf(c.shape), bias = randf({c.shape[d]}), g = randf(c.shape);
    check_op([&](auto& v) { return bias_leaky_relu(v[0], v[1], 0.2, c.dim); }, {x, bias});
    check_op([&](auto& v) { return bias_leaky_relu(v[0], v[1], 0.0, c.dim); }, {x, bias});  // relu
    check_op([&](auto& v) {
      const Tensor t = v[0].detach().requires_grad_(), b = v[1].detach().requires_grad_();
      const auto grads = autograd::grad({(bias_leaky_relu(t, b, 0.2, c.dim) * v[2]).sum()}, {t, b});
      return cat({grads[0].flatten(), grads[1]}, 0);
    }, {x, bias, g});
  }
  // Linear + LeakyReLU in a Sequential run fused on the GPU too.
  nn::Sequential net(nn::Linear(9, 17), nn::LeakyReLU(0.2));
  const Tensor in = randf({6, 9});
  const Tensor want = net.forward(in);
  net.to(kGpu);
  require_match(want, net.forward(in.to(kGpu)));
}

TEST_CASE("cuda ops: LeakyReLU on views with a storage offset, aligned and not", "[cuda][activation]") {
  const Tensor big = randf({4099});
  // 12 bytes in: not 16-byte aligned, the one-element contiguous kernel.
  check_op([](auto& v) { return leaky_relu(v[0].narrow(0, 3, 4093), 0.01); }, {big});
  // 16 bytes in: aligned, the 128-bit packs from an offset, with a tail of 3.
  check_op([](auto& v) { return leaky_relu(v[0].narrow(0, 4, 4091), 0.01); }, {big});
}

TEST_CASE("cuda ops: reductions over dims, full sums, max and argmax", "[cuda][reduction]") {
  ZENGEN_TWIN_CHECKED(sum);
  ZENGEN_TWIN_CHECKED(mean);
  ZENGEN_TWIN_CHECKED(var);
  ZENGEN_TWIN_CHECKED(max);
  ZENGEN_TWIN_CHECKED(argmax);
  const Tensor x = randf({64, 3, 17, 9});
  check_op([](auto& v) { return sum(v[0]); }, {x}, 1e-5);
  check_op([](auto& v) { return sum(v[0], {0, 2, 3}); }, {x}, 1e-5);  // a bias gradient
  check_op([](auto& v) { return sum(v[0], {1}, true); }, {x}, 1e-5);
  check_op([](auto& v) { return mean(v[0], {3}); }, {x}, 1e-5);
  check_op([](auto& v) { return var(v[0], {0}); }, {x}, 1e-4);
  check_op([](auto& v) { return sum(v[0].transpose(0, 3), {1, 2}); }, {x}, 1e-5);
  const Tensor big = randf({300001});  // several chunks of the two-pass reduction
  check_op([](auto& v) { return sum(v[0]); }, {big}, 1e-5);
  check_op([](auto& v) { return max(v[0]); }, {big});
  check_op([](auto& v) { return max(v[0], 1).values; }, {x});
  check_op([](auto& v) { return argmax(v[0], 3).to(DType::Float32); }, {x});
  check_op([](auto& v) { return argmax(v[0]).to(DType::Float32); }, {big});
  // Determinism: the same sum twice is the same bit for bit.
  const Tensor g = big.to(kGpu);
  REQUIRE(sum(g).item<float>() == sum(g).item<float>());
}

TEST_CASE("cuda ops: matmul through cuBLAS, transposed operands and batches", "[cuda][matmul]") {
  ZENGEN_TWIN_CHECKED(matmul);
  const Tensor a = randf({37, 19}), b = randf({19, 23});
  check_op([](auto& v) { return matmul(v[0], v[1]); }, {a, b});
  check_op([](auto& v) { return matmul(v[1].t(), v[0].t()); }, {a, b});
  check_op([](auto& v) { return matmul(v[0], v[1].narrow(1, 1, 20)); }, {a, b});
  check_op([](auto& v) { return matmul(v[0], v[1]); }, {randf({5, 37, 19}), b});       // shared weight
  check_op([](auto& v) { return matmul(v[0], v[1]); }, {randf({2, 3, 4, 6}), randf({3, 6, 5})});  // broadcast batch
  check_op([](auto& v) { return matmul(v[0], v[1]); }, {randf({19}), b});               // vector @ matrix
  check_op([](auto& v) { return matmul(v[0].transpose(1, 2), v[1]); }, {randf({4, 19, 37}), randf({4, 19, 8})});
}

TEST_CASE("cuda ops: losses forward and backward in every reduction", "[cuda][loss]") {
  ZENGEN_TWIN_CHECKED(mse_loss);
  ZENGEN_TWIN_CHECKED(l1_loss);
  ZENGEN_TWIN_CHECKED(binary_cross_entropy);
  ZENGEN_TWIN_CHECKED(binary_cross_entropy_with_logits);
  ZENGEN_TWIN_CHECKED(gaussian_kl);
  const Shape s{64, 3, 5, 7};
  const Tensor logits = randf(s), target = rand(s), p = (rand(s) * 0.98 + 0.01).detach(), w = rand({7});
  for (Reduction r : {Reduction::None, Reduction::Sum, Reduction::Mean}) {
    check_op([r](auto& v) { return mse_loss(v[0], v[1], r); }, {logits, target});
    check_op([r](auto& v) { return l1_loss(v[0], v[1], r); }, {logits, target});
    check_op([r](auto& v) { return binary_cross_entropy(v[0], v[1], r); }, {p, target});
    check_op([r](auto& v) { return binary_cross_entropy(v[0], v[1], r, v[2]); }, {p, target, w});
    check_op([r](auto& v) { return binary_cross_entropy_with_logits(v[0] * 30.0, v[1], r); }, {logits, target});
    check_op([r](auto& v) { return gaussian_kl(v[0], v[1], r); }, {randf({33, 20}), randf({33, 20})});
  }
  // Gradients of each loss w.r.t. input, target and weight.
  auto grads_of = [](int which) {
    return [which](const std::vector<Tensor>& v) {
      const Tensor x = v[0].detach().requires_grad_(), t = v[1].detach().requires_grad_(),
                   w = v[2].detach().requires_grad_();
      Tensor loss;
      switch (which) {
        case 0: loss = mse_loss(x, t); break;
        case 1: loss = binary_cross_entropy(sigmoid(x), t, Reduction::Sum, w); break;
        case 2: loss = binary_cross_entropy_with_logits(x, t, Reduction::Mean, w); break;
        default: loss = gaussian_kl(x, t, Reduction::Mean); break;
      }
      loss.backward();
      return cat({x.grad().flatten(), t.grad().flatten(), which == 1 || which == 2 ? w.grad().flatten()
                                                                                  : zeros({1}, {.device = x.device()})});
    };
  };
  const Tensor a = randf({9, 33}), b = rand({9, 33}), c = rand({33});
  for (int which = 0; which < 4; ++which) {
    INFO("loss " << which);
    check_op(grads_of(which), {a, which == 3 ? randf({9, 33}) : b, c}, 1e-4);
  }
  // The kernels read 128-bit packs when every operand is 16-byte aligned:
  // 300,001 elements (packs, a tail of 1, several reduction chunks), and
  // views one float past the boundary (the element-by-element path).
  const Tensor long_x = randf({300001}), long_t = rand({300001});
  const auto skewed = [](const Tensor& t) { return t.narrow(0, 1, 4098); };
  for (Reduction r : {Reduction::None, Reduction::Sum, Reduction::Mean}) {
    INFO("reduction " << static_cast<int>(r));
    check_op([r](auto& v) { return mse_loss(v[0], v[1], r); }, {long_x, long_t});
    check_op([r](auto& v) { return gaussian_kl(v[0].reshape({1, 300001}), v[1].reshape({1, 300001}), r); },
             {long_x, long_t});
    check_op([&](auto& v) { return binary_cross_entropy_with_logits(skewed(v[0]), skewed(v[1]), r); }, {long_x, long_t});
    check_op([&](auto& v) { return gaussian_kl(skewed(v[0]).reshape({2, 2049}), skewed(v[1]).reshape({2, 2049}), r); },
             {long_x, long_t});
  }
  const auto skewed_grads = [&](const std::vector<Tensor>& v) {
    const Tensor x = skewed(v[0]).detach().requires_grad_(), t = skewed(v[1]).detach().requires_grad_();
    (mse_loss(x, t, Reduction::Sum) + gaussian_kl(x.reshape({2, 2049}), t.reshape({2, 2049}))).backward();
    return cat({x.grad(), t.grad()});
  };
  check_op(skewed_grads, {long_x, long_t});
}

TEST_CASE("cuda ops: cross_entropy (fused kernels) and its gradient", "[cuda][loss]") {
  ZENGEN_TWIN_CHECKED(cross_entropy);
  // 10 classes (fewer than a warp), 1000 (a block's stride loop), and rows
  // of large logits (the max shift keeps exp finite).
  for (const std::int64_t classes : {10, 1000}) {
    INFO(classes << " classes");
    const Tensor logits = randf({37, classes});
    const Tensor labels = randint(0, classes, {37}, {.dtype = DType::Int64});
    const Tensor labels_gpu = labels.to(kGpu);
    for (Reduction r : {Reduction::None, Reduction::Sum, Reduction::Mean}) {
      const Tensor want = cross_entropy(logits * 50.0, labels, r);
      require_match(want, cross_entropy(logits.to(kGpu) * 50.0, labels_gpu, r));
      // The gradient for each reduction (per-row grad_out for None).
      const Tensor xc = logits.clone().requires_grad_(), xg = logits.to(kGpu).detach().requires_grad_();
      const Tensor seed = r == Reduction::None ? randf({37}) : Tensor();
      if (seed.defined()) {
        (cross_entropy(xc, labels, r) * seed).sum().backward();
        (cross_entropy(xg, labels_gpu, r) * seed.to(kGpu)).sum().backward();
      } else {
        cross_entropy(xc, labels, r).backward();
        cross_entropy(xg, labels_gpu, r).backward();
      }
      require_match(xc.grad(), xg.grad());
    }
  }
  // Double backward (create_graph) takes the composed gradient on the GPU too.
  const Tensor logits = randf({5, 7});
  const Tensor labels = randint(0, 7, {5}, {.dtype = DType::Int64});
  auto grad_norm = [&](const Tensor& x, const Tensor& t) {
    const Tensor g = autograd::grad({cross_entropy(x, t)}, {x}, {}, true, true)[0];
    return autograd::grad({(g * g).sum()}, {x})[0];
  };
  require_match(grad_norm(logits.clone().requires_grad_(), labels),
                grad_norm(logits.to(kGpu).detach().requires_grad_(), labels.to(kGpu)));
}

TEST_CASE("cuda ops: index_select and its gradient (index_add)", "[cuda][index]") {
  ZENGEN_TWIN_CHECKED(index_select);
  ZENGEN_TWIN_CHECKED(index_add);
  const Tensor table = randf({11, 6}), g = randf({5, 6});
  const Tensor index = tensor({3.0, 0.0, 10.0, 3.0, -1.0}, {5}).to(DType::Int64);
  check_op([&](auto& v) { return index_select(v[0], 0, index); }, {table});
  check_op([&](auto& v) { return index_select(v[0], 1, index.narrow(0, 0, 2)); }, {table});
  check_op([&](auto& v) {
    const Tensor x = v[0].detach().requires_grad_();
    (index_select(x, 0, index.to(x.device())) * v[1]).sum().backward();
    return x.grad();  // repeated index 3 accumulates
  }, {table, g});
  // A 3-d tensor's middle and last dims (one launch each, [outer, size, inner]),
  // an int64 tensor, and index_add with repeated indices.
  const Tensor cube = randf({4, 11, 37});
  check_op([&](auto& v) { return index_select(v[0], 1, index); }, {cube});
  check_op([&](auto& v) { return index_select(v[0], 2, index); }, {cube});
  check_op([&](auto& v) { return index_select(v[0], 1, index).to(DType::Float32); }, {(cube * 10.0).to(DType::Int64)});
  check_op([&](auto& v) { return index_add(v[0], 1, index, v[1]); }, {cube, randf({4, 5, 37})});
}

TEST_CASE("cuda ops: Philox samples equal the CPU's for the same seed", "[cuda][random]") {
  for (const Shape& s : {Shape{1}, Shape{7}, Shape{1000, 33}}) {
    manual_seed(1234);
    const Tensor u_cpu = rand(s), n_cpu = randn(s);
    manual_seed(1234);
    const Tensor u_gpu = rand(s, {.device = kGpu}), n_gpu = randn(s, {.device = kGpu});
    REQUIRE(u_gpu.to(Device::cpu()).to_vector<float>() == u_cpu.to_vector<float>());  // bit for bit
    require_match(n_cpu, n_gpu, 1e-5);  // libm vs CUDA log/sin/cos: a few ulp
  }
  manual_seed(7);
  const Tensor d_cpu = randn({501}, {.dtype = DType::Float64});
  manual_seed(7);
  const Tensor d_gpu = randn({501}, {.dtype = DType::Float64, .device = kGpu});
  require_match(d_cpu, d_gpu, 1e-12);
}

TEST_CASE("cuda ops: bernoulli, randint and dropout sample on the GPU, as the CPU does", "[cuda][random]") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    INFO(dt);
    const Shape s{333, 7};
    manual_seed(99);
    const Tensor b_cpu = bernoulli(s, 0.3, {.dtype = dt}), r_cpu = randint(-3, 1000, s, {.dtype = dt});
    const Tensor p_cpu = rand(s, {.dtype = dt}), bt_cpu = bernoulli(p_cpu);
    manual_seed(99);
    const Tensor b_gpu = bernoulli(s, 0.3, {.dtype = dt, .device = kGpu});
    const Tensor r_gpu = randint(-3, 1000, s, {.dtype = dt, .device = kGpu});
    const Tensor p_gpu = rand(s, {.dtype = dt, .device = kGpu}), bt_gpu = bernoulli(p_gpu);
    REQUIRE(b_gpu.device() == kGpu);
    REQUIRE(bt_gpu.device() == kGpu);
    // Bit for bit: the same uniform words and integer arithmetic.
    REQUIRE(b_gpu.to(Device::cpu()).to_vector<double>() == b_cpu.to_vector<double>());
    REQUIRE(r_gpu.to(Device::cpu()).to_vector<double>() == r_cpu.to_vector<double>());
    REQUIRE(bt_gpu.to(Device::cpu()).to_vector<double>() == bt_cpu.to_vector<double>());
  }
  manual_seed(5);
  const Tensor i_cpu = randint(0, 1 << 20, {4097});
  manual_seed(5);
  const Tensor i_gpu = randint(0, 1 << 20, {4097}, {.dtype = DType::Int64, .device = kGpu});
  REQUIRE(i_gpu.to(Device::cpu()).to_vector<std::int64_t>() == i_cpu.to_vector<std::int64_t>());

  const Tensor x = randn({64, 100});
  manual_seed(3);
  const Tensor y_cpu = nn::functional::dropout(x, 0.25, true);
  manual_seed(3);
  const Tensor y_gpu = nn::functional::dropout(x.to(kGpu), 0.25, true);
  REQUIRE(y_gpu.to(Device::cpu()).to_vector<float>() == y_cpu.to_vector<float>());

  REQUIRE_THROWS_AS(bernoulli(full({3}, 1.5, {.device = kGpu})), ValueError);  // checked on the device
}
