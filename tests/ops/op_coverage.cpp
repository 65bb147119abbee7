// The op list (include/zengen/ops/op_list.hpp) and the registry its
// coverage tests read (tests/op_registry.hpp). The coverage itself is
// checked after a run: `zengen_tests --op-coverage "[gradcheck]"` (CTest:
// "ops: every differentiable op of ZENGEN_OPS passes a gradcheck") fails
// naming each differentiable op whose gradcheck did not run and pass; the
// CUDA program does the same for the CPU/CUDA twins (--twin-coverage).
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace zengen;
using namespace zengen::testing;

TEST_CASE("op list: each op is listed once, and the count beside the list is its length", "[ops][coverage]") {
  std::set<std::string> names;
  for (const ops::OpInfo& op : ops::op_list) {
    INFO(op.name);
    REQUIRE(names.insert(op.name).second);
  }
  REQUIRE(static_cast<int>(names.size()) == ops::op_count);
  // The claims name listed ops only (a compile-time check).
  STATIC_REQUIRE(is_listed_op("conv2d"));
  STATIC_REQUIRE_FALSE(is_listed_op("conv3d"));
}

TEST_CASE("op coverage: only a check that ran and passed registers an op", "[ops][coverage]") {
  const auto only = [](const char* name) {
    return [name](const ops::OpInfo& op) { return std::string(op.name) == name; };
  };
  SECTION("a claim whose scope ran no check registers nothing") {
    CheckRegistry r("test");
    { const Claim c(r, "mean"); }
    REQUIRE(r.missing(only("mean")) == std::vector<std::string>{"mean"});
  }
  SECTION("a claim covers its op once a check passed in its scope") {
    CheckRegistry r("test");
    {
      const Claim c(r, "mean");
      r.passed({"sum", "mul"});
    }
    REQUIRE(r.missing(only("mean")).empty());
    // The graph's nodes are registered too; names outside the list are not ops.
    REQUIRE(r.missing(only("sum")).empty());
    REQUIRE(r.missing(only("mul")).empty());
    REQUIRE(r.missing(only("exp")) == std::vector<std::string>{"exp"});
  }
  SECTION("a check that failed in the claim's scope registers nothing") {
    CheckRegistry r("test");
    try {
      const Claim c(r, "var");
      r.passed();
      throw std::runtime_error("a REQUIRE failed");
    } catch (const std::runtime_error&) {
    }
    REQUIRE(r.missing(only("var")) == std::vector<std::string>{"var"});
  }
  SECTION("a check passed before the claim does not count for it") {
    CheckRegistry r("test");
    r.passed();
    { const Claim c(r, "stack"); }
    REQUIRE(r.missing(only("stack")) == std::vector<std::string>{"stack"});
  }
}
