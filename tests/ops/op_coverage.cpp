// Every op in the one list (include/zengen/ops/op_list.hpp) that is
// differentiable must have a gradcheck test somewhere in tests/ops/.
#include "helpers.hpp"

static_assert(zengen::ops::op_count == 55,
              "an op was added to or removed from ZENGEN_OPS: update this count and add its gradcheck test");

TEST_CASE("op coverage: every differentiable op has a gradcheck test", "[ops][coverage]") {
  const auto& checked = zengen::testing::gradchecked_ops();
  std::vector<std::string> missing;
#define ZENGEN_CHECK_COVERED(name, differentiable) \
  if (differentiable && !checked.count(#name)) missing.push_back(#name);
  ZENGEN_OPS(ZENGEN_CHECK_COVERED)
#undef ZENGEN_CHECK_COVERED
  std::string list;
  for (const auto& m : missing) list += m + " ";
  INFO("ops without a gradcheck test: " << list);
  REQUIRE(missing.empty());
}
