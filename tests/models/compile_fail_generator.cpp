// Must NOT compile: GAN<> is given a module that has forward() but no
// latent_shape(), so it is not a models::Generator. CTest builds this
// target (excluded from ALL) through tests/models/compile_fail.cmake and
// passes when the build fails with an error that names the concept.
#include "zengen/models/models.hpp"

namespace {
struct JustAModule : zengen::nn::ModuleBase {
  zengen::Tensor forward(const zengen::Tensor& x) const { return x; }
};
}  // namespace

int main() {
  zengen::models::GAN<JustAModule, zengen::models::MLPDiscriminator> gan(JustAModule{},
                                                                         zengen::models::mlp_discriminator());
  return static_cast<int>(gan.step());
}
