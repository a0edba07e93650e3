// A small hand-written SVG line-chart renderer (no dependencies): panels stacked vertically, each
// with axes, ticks, a legend and one polyline per series. Readable in any browser.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace odma::sim {

struct PlotSeries {
  std::string label;                              // legend text ("" = not in the legend)
  std::vector<std::pair<double, double>> points;  // (x, y), x ascending
  std::string color;                              // CSS colour; "" = picked from a palette
};

struct PlotPanel {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<PlotSeries> series;
  bool y_from_zero = true;  // y axis starts at 0 (else at the data minimum)
};

// Renders `panels` one under another under `title`. Series longer than `max_points` are thinned
// (every k-th point, keeping the last) so files stay small.
std::string render_svg(const std::string& title, const std::vector<PlotPanel>& panels,
                       std::size_t max_points = 800);

// Escapes &, <, >, " for SVG text.
std::string svg_escape(const std::string& text);

}  // namespace odma::sim
