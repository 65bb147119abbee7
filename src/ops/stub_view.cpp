// TEMPORARY: placeholders until src/ops/view.cpp lands; each throws.
#include "zengen/ops/view.hpp"

namespace zengen {
namespace {
[[noreturn]] void todo(const char* op) { throw Error(std::string(op) + ": not implemented yet"); }
}  // namespace
Tensor reshape(const Tensor&, const Shape&) { todo("reshape"); }
Tensor view(const Tensor&, const Shape&) { todo("view"); }
Tensor flatten(const Tensor&, std::int64_t, std::int64_t) { todo("flatten"); }
Tensor permute(const Tensor&, const std::vector<std::int64_t>&) { todo("permute"); }
Tensor transpose(const Tensor&, std::int64_t, std::int64_t) { todo("transpose"); }
Tensor unsqueeze(const Tensor&, std::int64_t) { todo("unsqueeze"); }
Tensor squeeze(const Tensor&, std::optional<std::int64_t>) { todo("squeeze"); }
Tensor expand(const Tensor&, const Shape&) { todo("expand"); }
Tensor expand_as(const Tensor&, const Tensor&) { todo("expand_as"); }
Tensor narrow(const Tensor&, std::int64_t, std::int64_t, std::int64_t) { todo("narrow"); }
Tensor slice(const Tensor&, std::int64_t, std::int64_t, std::int64_t, std::int64_t) { todo("slice"); }
Tensor select(const Tensor&, std::int64_t, std::int64_t) { todo("select"); }
Tensor cat(const std::vector<Tensor>&, std::int64_t) { todo("cat"); }
Tensor stack(const std::vector<Tensor>&, std::int64_t) { todo("stack"); }
Tensor contiguous(const Tensor&) { todo("contiguous"); }
}  // namespace zengen
