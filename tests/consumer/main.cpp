// A downstream program: builds a tensor, runs a backward pass and checks the
// gradient. It only uses the public API, through the installed package
// (find_package) or through add_subdirectory.
//
// f(x) = sum(x * x + x)  =>  df/dx = 2x + 1
#include <zengen/zengen.hpp>

#include <cmath>
#include <exception>
#include <iostream>
#include <vector>

int main() {
  namespace zg = zengen;
  try {
    auto x = zg::tensor({1.0, 2.0, 3.0}, {.dtype = zg::DType::Float64});
    x.requires_grad_();
    auto f = (x * x + x).sum();
    f.backward();

    const std::vector<double> grad = x.grad().to_vector<double>();
    const std::vector<double> expected = {3.0, 5.0, 7.0};
    std::cout << "zengen " << ZENGEN_VERSION_STRING << ": f = " << f.item<double>()
              << ", df/dx = " << x.grad() << "\n";
    if (grad.size() != expected.size()) {
      std::cerr << "wrong gradient size " << grad.size() << "\n";
      return 1;
    }
    for (std::size_t i = 0; i < grad.size(); ++i)
      if (std::abs(grad[i] - expected[i]) > 1e-12) {
        std::cerr << "wrong gradient at " << i << ": " << grad[i] << " (expected " << expected[i] << ")\n";
        return 1;
      }
    std::cout << "gradient ok\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
