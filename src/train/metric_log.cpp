#include "zengen/train/metric_log.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "io/atomic_file.hpp"
#include "zengen/core/error.hpp"

namespace zengen::train {

namespace {

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i];
  return out;
}

}  // namespace

MetricLog::MetricLog(std::vector<std::string> columns) : columns_(std::move(columns)) {
  ZENGEN_CHECK(!columns_.empty(), ValueError, "MetricLog: needs at least one column");
}

void MetricLog::add(std::vector<double> row) {
  ZENGEN_CHECK(row.size() == columns_.size(), ValueError, "MetricLog::add: a row of ", row.size(),
               " values for the ", columns_.size(), " columns ", join(columns_));
  rows_.push_back(std::move(row));
}

void MetricLog::truncate_after(double key) {
  rows_.erase(std::remove_if(rows_.begin(), rows_.end(), [&](const auto& row) { return row[0] > key; }),
              rows_.end());
}

std::vector<double> MetricLog::column(const std::string& name) const {
  const auto it = std::find(columns_.begin(), columns_.end(), name);
  ZENGEN_CHECK(it != columns_.end(), ValueError, "MetricLog::column: no column \"", name, "\" in ", join(columns_));
  const auto c = static_cast<std::size_t>(it - columns_.begin());
  std::vector<double> out;
  out.reserve(rows_.size());
  for (const auto& row : rows_) out.push_back(row[c]);
  return out;
}

void MetricLog::write_csv(const std::string& path) const {
  std::string text = join(columns_) + "\n";
  char buf[32];
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%.17g", row[i]);  // round-trips a double exactly
      text += (i ? "," : "");
      text += buf;
    }
    text += '\n';
  }
  io::detail::AtomicFile file(path, "MetricLog::write_csv");
  file.write(text.data(), text.size());
  file.commit();
}

MetricLog MetricLog::read_csv(const std::string& path, std::vector<std::string> columns) {
  std::ifstream in(path);
  ZENGEN_CHECK(in, IOError, "MetricLog::read_csv: cannot open ", path);
  MetricLog log(std::move(columns));
  std::string line;
  std::getline(in, line);
  ZENGEN_CHECK(line == join(log.columns_), FormatError, "MetricLog::read_csv: ", path, " has the header \"", line,
               "\", expected \"", join(log.columns_), "\"");
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    std::vector<double> row;
    std::istringstream fields(line);
    for (std::string field; std::getline(fields, field, ',');) {
      std::size_t used = 0;
      double v = 0;
      try {
        v = std::stod(field, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      ZENGEN_CHECK(used == field.size() && used > 0, FormatError, "MetricLog::read_csv: ", path, " line ", number,
                   ": \"", field, "\" is not a number");
      row.push_back(v);
    }
    ZENGEN_CHECK(row.size() == log.columns_.size(), FormatError, "MetricLog::read_csv: ", path, " line ", number,
                 " has ", row.size(), " values, expected ", log.columns_.size());
    log.rows_.push_back(std::move(row));
  }
  return log;
}

}  // namespace zengen::train
