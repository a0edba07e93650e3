// Plain-text tables that users can paste into issues (llama-bench style, Markdown pipes).
#pragma once

#include <string>
#include <vector>

namespace odma {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string to_markdown() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Fixed-precision formatting helpers for table cells.
std::string fmt(double value, int decimals = 3);
std::string fmt_percent(double fraction, int decimals = 2);

}  // namespace odma
