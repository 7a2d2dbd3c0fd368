// One experiment's table for bench_paper: rows (reaction, recovery, outage,
// repair, ...) of Vigil's per-run figures as min/median/p95/max, next to the
// paper's OpenSAF and VMware HA figures for the same row, and a verdict
// computed from them.
//
// Thread safety: plain values and pure functions writing to stdout.
#ifndef VIGIL_HACK_BENCH_PAPER_PAPER_TABLE_H_
#define VIGIL_HACK_BENCH_PAPER_PAPER_TABLE_H_

#include <optional>
#include <string>
#include <vector>

namespace vigil::bench {

// A figure of the paper for one row, or why there is none.
struct PaperFigure {
  // How the paper states the value: kExact ("0.055"), kAbout ("about 60
  // seconds"), kBelow ("less than 3 seconds": the true value is below ms),
  // kAbove ("a significant increase" over ms: the true value is above ms),
  // kNone (no figure; `text` says why).
  enum class Kind { kExact, kAbout, kBelow, kAbove, kNone };
  Kind kind = Kind::kNone;
  double ms = 0;
  std::string text;  // the cell, e.g. "55 ms T.III" or "not detectable"
};

PaperFigure Exact(double ms, const std::string& source);
PaperFigure About(double ms, const std::string& source);
PaperFigure Below(double ms, const std::string& source);
PaperFigure Above(double ms, const std::string& source);
PaperFigure NoFigure(const std::string& why);

struct Stats {
  double min, median, p95, max;
};

// REQUIRES: `values` is not empty. The median of an even count is the mean
// of the middle two; p95 is the nearest-rank percentile (the max for
// fewer than 20 values).
Stats Summarize(std::vector<double> values);

struct Row {
  std::string label;            // e.g. "outage   kill -> new active (Vigil)"
  std::vector<double> samples;  // ms, one per run; may be empty (then "n/a")
  PaperFigure opensaf, vmware;
  bool judged = true;           // false: informational row, no verdict
};

// The verdict of `row` against both paper figures:
//   "beats"          Vigil's p95 is below every paper figure of the row;
//   "median only"    its median is, its p95 is not;
//   "does not beat"  its median is not below some paper figure;
//   "unknown (paper: bound)"  the paper gives only a lower bound (kAbove)
//                    and Vigil's median is not below it;
//   "no paper figure" / "no samples" / "" (row not judged).
// A kBelow figure is compared with its bound (a "*" marks the verdict as
// against a bound); a kAbove figure is beaten when Vigil is below its bound.
std::string Verdict(const Row& row);

// Prints `title`, the header and every row. Returns the number of rows
// with a paper figure whose verdict is "median only" or "does not beat".
int PrintTable(const std::string& title, const std::vector<Row>& rows);

}  // namespace vigil::bench

#endif  // VIGIL_HACK_BENCH_PAPER_PAPER_TABLE_H_
