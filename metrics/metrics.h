// Metrics in the Prometheus data model: counters, gauges and histograms with
// fixed buckets, grouped in labelled families held by a Registry, which
// renders them in the Prometheus text exposition format (version 0.0.4), as
// served on vigild's /metrics.
//
// No external Prometheus library: Debian packages none for C++ (only Go
// client libraries); this one is small and covers what Vigil exports.
//
// Thread safety: every class here is thread-safe. Recording (Increment, Set,
// Observe) takes no lock once a labelled child exists; With() and Render()
// take the family's lock. References returned by With() and Add*() stay valid
// as long as the Registry lives.
#ifndef VIGIL_METRICS_METRICS_H_
#define VIGIL_METRICS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::metrics {

enum class Type { kCounter, kGauge, kHistogram };

// "counter", "gauge" or "histogram", as the # TYPE line spells it.
std::string_view TypeName(Type type);

// Whether `name` is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or label
// name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__").
bool ValidMetricName(std::string_view name);
bool ValidLabelName(std::string_view name);

// A sample value as the exposition format spells it: "+Inf", "-Inf", "NaN",
// integers without a fraction ("3"), others in shortest round-trip form.
std::string FormatValue(double value);

// A value that only goes up (events so far).
class Counter {
 public:
  // REQUIRES: by >= 0.
  void Increment(double by = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double by);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted in fixed buckets (upper bounds, inclusive), plus their
// sum and count.
class Histogram {
 public:
  // REQUIRES: bounds strictly increasing and finite (+Inf is implied).
  explicit Histogram(std::vector<double> bounds);

  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations <= bounds()[i] (cumulative), then the total count last.
  std::vector<uint64_t> CumulativeCounts() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // one per bound, not cumulative
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// Buckets for durations in seconds, 0.5 ms to 120 s: fine below 100 ms
// (where Vigil's failovers are), coarse above.
std::vector<double> DurationBuckets();

// The children of one metric, one per combination of label values.
template <typename M>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<M>()> make)
      : name_(std::move(name)), help_(std::move(help)),
        label_names_(std::move(label_names)), make_(std::move(make)) {}

  // The child with these label values (in label_names order), created (at
  // zero) on first use.
  // REQUIRES: values.size() == label_names().size().
  M& With(const std::vector<std::string>& values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls visit(values, child) for every child, in label-value order.
  void ForEach(const std::function<void(const std::vector<std::string>&, const M&)>& visit) const;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<M>()> make_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;  // GUARDED_BY(mu_)
};

// One sample a Collector computes at scrape time.
struct Sample {
  std::vector<std::string> label_values;  // in the collector's label_names order
  double value = 0;
};

// Every metric vigild exports, and their rendering.
class Registry {
 public:
  using Collect = std::function<std::vector<Sample>()>;

  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Add a family. REQUIRES: name a valid metric name not yet registered,
  // label names valid (and not "le" for a histogram); the process aborts on
  // a violation (a programming error, found by the first test that runs it).
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> bounds);
  // A counter or gauge family whose samples `collect` computes at each
  // Render (for figures owned elsewhere: watch count, store revision).
  // REQUIRES: as above; type is kCounter or kGauge; collect is thread-safe.
  void AddCollector(std::string name, std::string help, Type type,
                    std::vector<std::string> label_names, Collect collect);

  // Every family in the text exposition format, in registration order,
  // ending with a newline. Families without samples print HELP and TYPE only.
  std::string Render() const;

 private:
  struct Entry;
  void Register(std::unique_ptr<Entry> entry);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // GUARDED_BY(mu_)
};

// The content type of Render()'s output.
inline constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace vigil::metrics

#endif  // VIGIL_METRICS_METRICS_H_
