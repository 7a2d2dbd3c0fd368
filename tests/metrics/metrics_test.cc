#include "metrics/metrics.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/exposition_parser.h"

namespace vigil::metrics {
namespace {

TEST(Metrics, RendersCountersGaugesAndHistogramsAsValidExposition) {
  Registry registry;
  Family<Counter>& requests =
      registry.AddCounter("vigil_requests_total", "Requests.", {"verb", "code"});
  requests.With({"get", "200"}).Increment();
  requests.With({"get", "200"}).Increment(2);
  requests.With({"list", "404"}).Increment();
  registry.AddGauge("vigil_watches", "Watches.").With({}).Set(3);
  Family<Histogram>& outage =
      registry.AddHistogram("vigil_outage_seconds", "Outage.", {"kind"}, {0.001, 0.01, 0.1});
  outage.With({"ProcessExited"}).Observe(0.0005);
  outage.With({"ProcessExited"}).Observe(0.005);
  outage.With({"ProcessExited"}).Observe(0.5);
  registry.AddCollector("vigil_store_revision", "Revision.", Type::kGauge, {},
                        [] { return std::vector<Sample>{{{}, 42}}; });

  const std::string text = registry.Render();
  absl::StatusOr<std::vector<ParsedFamily>> parsed = ParseExposition(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  EXPECT_EQ(FindValue(*parsed, "vigil_requests_total", {{"verb", "get"}, {"code", "200"}}), 3);
  EXPECT_EQ(FindValue(*parsed, "vigil_requests_total", {{"code", "404"}}), 1);
  EXPECT_EQ(FindValue(*parsed, "vigil_watches"), 3);
  EXPECT_EQ(FindValue(*parsed, "vigil_store_revision"), 42);
  EXPECT_EQ(FindValue(*parsed, "vigil_outage_seconds_bucket", {{"le", "0.001"}}), 1);
  EXPECT_EQ(FindValue(*parsed, "vigil_outage_seconds_bucket", {{"le", "0.01"}}), 2);
  EXPECT_EQ(FindValue(*parsed, "vigil_outage_seconds_bucket", {{"le", "0.1"}}), 2);
  EXPECT_EQ(FindValue(*parsed, "vigil_outage_seconds_bucket", {{"le", "+Inf"}}), 3);
  EXPECT_EQ(FindValue(*parsed, "vigil_outage_seconds_count"), 3);
  EXPECT_DOUBLE_EQ(*FindValue(*parsed, "vigil_outage_seconds_sum"), 0.5055);
  EXPECT_EQ(FindFamily(*parsed, "vigil_outage_seconds")->type, "histogram");
  EXPECT_EQ(FindFamily(*parsed, "vigil_requests_total")->help, "Requests.");
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.AddCounter("c", "line one\nback\\slash", {"why"})
      .With({"say \"hi\"\nback\\slash"})
      .Increment();
  const std::string text = registry.Render();
  EXPECT_NE(text.find(R"(c{why="say \"hi\"\nback\\slash"} 1)"), std::string::npos) << text;
  absl::StatusOr<std::vector<ParsedFamily>> parsed = ParseExposition(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->at(0).samples.at(0).labels.at("why"), "say \"hi\"\nback\\slash");
}

TEST(Metrics, CountsFromManyThreadsAddUp) {
  Registry registry;
  Counter& counter = registry.AddCounter("n_total", "N.").With({});
  Histogram& histogram = registry.AddHistogram("h", "H.", {}, DurationBuckets()).With({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.Increment();
        histogram.Observe(0.003);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter.Value(), 40000);
  EXPECT_EQ(histogram.Count(), 40000u);
  EXPECT_EQ(histogram.CumulativeCounts().back(), 40000u);
}

TEST(Metrics, FormatsValuesAsPrometheusDoes) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
}

TEST(MetricsDeathTest, RefusesInvalidNames) {
  Registry registry;
  EXPECT_DEATH(registry.AddCounter("9lives", "x"), "invalid metric name");
  EXPECT_DEATH(registry.AddGauge("g", "x", {"__reserved"}), "invalid label name");
  EXPECT_DEATH(registry.AddHistogram("h", "x", {"le"}, {1}), "label \"le\"");
}

TEST(ExpositionParser, RejectsWhatPrometheusWouldReject) {
  const std::pair<const char*, const char*> cases[] = {
      {"a 1", "newline"},
      {"9a 1\n", "invalid metric name"},
      {"a{b=\"c} 1\n", "unterminated"},
      {"a{b=c} 1\n", "not quoted"},
      {"a{b=\"x\\q\"} 1\n", "invalid escape"},
      {"a one\n", "invalid value"},
      {"# TYPE a counter\na -1\n", "negative"},
      {"# TYPE a wobbly\n", "unknown type"},
      {"a 1\nb 1\na 2\n", "appears twice"},
      {"a 1\na 2\n", "duplicate"},
      {"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
       "decrease"},
      {"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n", "+Inf"},
      {"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 1\n", "differs"},
      {"# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n", "increasing"},
  };
  for (const auto& [text, error] : cases) {
    absl::StatusOr<std::vector<ParsedFamily>> parsed = ParseExposition(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.status().message().find(error), std::string::npos)
        << text << " -> " << parsed.status();
  }
}

TEST(ExpositionParser, AcceptsCommentsTimestampsAndUntypedSamples) {
  absl::StatusOr<std::vector<ParsedFamily>> parsed =
      ParseExposition("# a comment\nup 1 1700000000000\n# HELP x The x.\nx{a=\"b\"} 2.5\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(FindValue(*parsed, "up"), 1);
  EXPECT_EQ(FindValue(*parsed, "x", {{"a", "b"}}), 2.5);
  EXPECT_EQ(FindFamily(*parsed, "x")->help, "The x.");
}

}  // namespace
}  // namespace vigil::metrics
