// MetricLog: a trainer's figures over time (one row per step or epoch,
// named columns), written as CSV and read back when a run resumes, so the
// log of a resumed run continues the interrupted one without gaps or
// duplicates. The first column is the step (or epoch) the row belongs to.
//
//   train::MetricLog log({"step", "d_loss", "g_loss"});
//   log.add({step, s.d_loss, s.g_loss});
//   log.write_csv("out/loss.csv");                       // atomic
//   auto old = train::MetricLog::read_csv("out/loss.csv", {"step", "d_loss", "g_loss"});
//   old.truncate_after(resumed_step);                     // rows the checkpoint does not cover
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace zengen::train {

/// A table of named metrics, one row per step or epoch, saved as CSV atomically and read back (exactly) on resume.
class MetricLog {
 public:
  /// ValueError when there are no columns.
  explicit MetricLog(std::vector<std::string> columns);

  /// Appends a row; ValueError unless it has one value per column.
  void add(std::vector<double> row);
  /// Drops the rows whose first value is greater than `key`.
  void truncate_after(double key);

  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::vector<double>>& rows() const { return rows_; }
  std::size_t size() const { return rows_.size(); }
  /// One column's values; ValueError naming it when there is no such column.
  std::vector<double> column(const std::string& name) const;

  /// Writes a header line and the rows (full precision), atomically: a
  /// reader (or a crash) never sees half a file. IOError naming the path.
  void write_csv(const std::string& path) const;
  /// Reads a write_csv() file whose header must be exactly `columns`
  /// (FormatError naming the file otherwise, or for a malformed row);
  /// IOError when it cannot be opened.
  static MetricLog read_csv(const std::string& path, std::vector<std::string> columns);

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<double>> rows_;
};

}  // namespace zengen::train
