// train::MetricLog: rows survive a CSV round trip exactly, a resumed run
// drops the rows after its checkpoint, and bad files name the file and line.
#include <vector>

#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;

TEST_CASE("metric log: CSV round trip, truncation after a resume point, bad files", "[train][io]") {
  zengen::testing::TempDir dir;
  train::MetricLog log({"step", "d_loss", "g_loss"});
  log.add({1, 0.1, 1.0 / 3.0});
  log.add({2, 0.2, -1e-300});
  log.add({3, 0.3, 7});
  REQUIRE_THROWS_AS(log.add({4, 0.4}), ValueError);
  log.write_csv(dir.file("loss.csv"));
  auto back = train::MetricLog::read_csv(dir.file("loss.csv"), {"step", "d_loss", "g_loss"});
  REQUIRE(back.rows() == log.rows());  // bit for bit: %.17g round-trips
  back.truncate_after(2);
  REQUIRE(back.column("step") == std::vector<double>{1, 2});
  REQUIRE(back.column("g_loss") == std::vector<double>{1.0 / 3.0, -1e-300});
  REQUIRE_THROWS_AS(back.column("nope"), ValueError);
  REQUIRE_THROWS_AS(train::MetricLog::read_csv(dir.file("loss.csv"), {"step", "loss"}), FormatError);
  REQUIRE_THROWS_AS(train::MetricLog::read_csv(dir.file("missing.csv"), {"step"}), IOError);
  zengen::testing::write_bytes(dir.file("bad.csv"), "step,loss\n1,2\n2,x\n");
  REQUIRE_THROWS_WITH(train::MetricLog::read_csv(dir.file("bad.csv"), {"step", "loss"}),
                      Catch::Contains("bad.csv line 3") && Catch::Contains("\"x\""));
}
