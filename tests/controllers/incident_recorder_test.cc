// The IncidentRecorder against a real Registry on a RocksDB store: statuses
// are written as the node agent and the assignment controller would; the
// recorder stores Incidents, the SI's summaries and metrics, and prunes.
#include "controllers/incident_recorder.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "absl/time/clock.h"
#include "metrics/exposition_parser.h"
#include "server/registry.h"
#include "store/store.h"

namespace vigil::controllers {
namespace {

using api::Json;

Json Obj(const std::string& kind, const std::string& name, Json spec) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", kind},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}

std::string Now() { return Rfc3339Micros(absl::Now()); }

class IncidentRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-recorder-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    store::RocksDbStoreOptions options;
    options.sync = false;
    auto store = store::OpenRocksDbStore(dir_ + "/store", options);
    ASSERT_TRUE(store.ok()) << store.status();
    registry_ =
        std::make_unique<server::Registry>(std::shared_ptr<store::Store>(std::move(*store)));
    registry_->SetAuditSink([](const std::string&) {});
    Create(Obj("Node", "n1", Json::object()));
    PatchStatus("Node", "n1", {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}});
    Create(Obj("ServiceGroup", "g", {{"redundancyModel", "2N"}}));
    for (const char* unit : {"a", "b"}) {
      Create(Obj("ServiceUnit", unit, {{"serviceGroup", "g"}, {"node", "n1"}, {"rank", 1}}));
    }
    Create(Obj("Component", "ca",
               {{"serviceUnit", "a"}, {"csTypes", {"x"}}, {"exec", {{"instantiate", {"true"}}}}}));
    Create(Obj("ServiceInstance", "si",
               {{"serviceGroup", "g"}, {"csis", {{{"name", "x"}, {"csType", "x"}}}}}));
    SetActive("a");
  }
  void TearDown() override {
    if (recorder_ != nullptr) recorder_->Stop();
    recorder_.reset();
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }

  // `with_metrics` false: a second recorder in one test (families register once).
  void StartRecorder(size_t max_count, bool with_metrics = true) {
    IncidentRecorderOptions options;
    options.max_count = max_count;
    options.write_delay = absl::ZeroDuration();
    options.instance_quiet = absl::Milliseconds(10);
    options.metrics = with_metrics ? &metrics_ : nullptr;
    options.log = [](const std::string&) {};
    recorder_ = std::make_unique<IncidentRecorder>(registry_.get(), options);
    ASSERT_TRUE(recorder_->Start().ok());
  }

  void Create(const Json& obj) {
    absl::StatusOr<Json> created = registry_->Create(obj);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  void PatchStatus(const std::string& kind, const std::string& name, const Json& status) {
    absl::StatusOr<Json> patched = registry_->Patch(kind, name, {{"status", status}}, true);
    ASSERT_TRUE(patched.ok()) << patched.status();
  }
  void SetActive(const std::string& unit) {
    PatchStatus("ServiceInstance", "si",
                {{"assignmentState", "PartiallyAssigned"},
                 {"assignments", {{{"unit", unit}, {"haState", "Active"}, {"confirmed", true}}}}});
  }
  void Fail(const std::string& reason) {
    PatchStatus("Component", "ca", {{"lastFailure", {{"reason", reason}, {"time", Now()}}}});
  }
  std::vector<Json> Incidents() {
    absl::StatusOr<client::ObjectList> list = registry_->List("Incident");
    return list.ok() ? list->items : std::vector<Json>();
  }
  // The phase of the only Incident; "" while there is not exactly one or its
  // status is not written yet (an Incident is created first, its status after).
  std::string OnlyIncidentPhase() {
    std::vector<Json> items = Incidents();
    return items.size() == 1 ? items[0].value("status", Json::object()).value("phase", "") : "";
  }
  bool WaitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 2500; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }
  Json SiStatus() {
    return registry_->Get("ServiceInstance", "si")->value("status", Json::object());
  }

  std::string dir_;
  std::unique_ptr<server::Registry> registry_;
  metrics::Registry metrics_;
  std::unique_ptr<IncidentRecorder> recorder_;
};

TEST_F(IncidentRecorderTest, StoresTheIncidentTheSummaryAndTheMetrics) {
  ASSERT_NO_FATAL_FAILURE(StartRecorder(10));
  Fail("ProcessExited: process 7 killed by SIGKILL");
  SetActive("b");
  ASSERT_TRUE(WaitFor([&] { return OnlyIncidentPhase() == "Recovered"; }))
      << (Incidents().empty() ? "none" : Incidents()[0].dump(2));
  const Json incident = Incidents()[0];
  EXPECT_EQ(incident["spec"].value("failedName", ""), "ca");
  EXPECT_EQ(incident["spec"].value("source", ""), "pidfd");
  EXPECT_EQ(incident["status"].value("recoveryAction", ""), "Failover");
  EXPECT_EQ(incident["status"].value("recoveredBy", ""), "b");
  ASSERT_TRUE(WaitFor([&] {
    return SiStatus().value("incidents", Json::object()).value("total", 0) == 1;
  })) << SiStatus().dump(2);
  EXPECT_EQ(SiStatus()["incidents"].value("last", ""), api::NameOf(incident));
  EXPECT_EQ(SiStatus()["incidents"].value("lastOutage", ""),
            incident["status"]["durations"].value("outage", ""));
  EXPECT_EQ(SiStatus()["availability"].value("target", ""), "99.999%");
  absl::StatusOr<std::vector<metrics::ParsedFamily>> parsed =
      metrics::ParseExposition(metrics_.Render());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(
      metrics::FindValue(*parsed, "vigil_incidents_total", {{"kind", "exec"}, {"source", "pidfd"}}),
      1);
  EXPECT_EQ(metrics::FindValue(*parsed, "vigil_failovers_total"), 1);
  EXPECT_EQ(metrics::FindValue(*parsed, "vigil_incident_outage_seconds_count"), 1);
}

TEST_F(IncidentRecorderTest, KeepsOnlyTheNewestMaxCountIncidents) {
  ASSERT_NO_FATAL_FAILURE(StartRecorder(1));
  Fail("ProcessExited: first");
  ASSERT_TRUE(WaitFor([&] { return Incidents().size() == 1; }));
  const std::string first = api::NameOf(Incidents()[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // another name
  Fail("ProcessExited: second");
  ASSERT_TRUE(WaitFor([&] {
    std::vector<Json> items = Incidents();
    return items.size() == 1 && api::NameOf(items[0]) != first;
  })) << Incidents().size();
  EXPECT_EQ(Incidents()[0]["spec"].value("reason", ""), "ProcessExited: second");
}

TEST_F(IncidentRecorderTest, AFailureFoundAtStartIsNotANewIncident) {
  Fail("ProcessExited: before the recorder");
  ASSERT_NO_FATAL_FAILURE(StartRecorder(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(Incidents().empty());
}

// vigild stops while an incident is Open; the failover completes while it is
// away. The next recorder takes the stored incident up and records the
// recovery (dated when it saw it), instead of leaving it Open for ever.
TEST_F(IncidentRecorderTest, AnIncidentLeftOpenIsTakenUpByTheNextRecorder) {
  ASSERT_NO_FATAL_FAILURE(StartRecorder(10));
  Fail("ProcessExited: process 7 killed by SIGKILL");
  ASSERT_TRUE(WaitFor([&] { return OnlyIncidentPhase() == "Open"; }))
      << (Incidents().empty() ? "none" : Incidents()[0].dump(2));
  const std::string name = api::NameOf(Incidents()[0]);
  recorder_->Stop();
  recorder_.reset();
  SetActive("b");  // recovered while no recorder ran

  ASSERT_NO_FATAL_FAILURE(StartRecorder(10, /*with_metrics=*/false));
  ASSERT_TRUE(WaitFor([&] { return OnlyIncidentPhase() == "Recovered"; }))
      << Incidents()[0].dump(2);
  const Json incident = Incidents()[0];
  EXPECT_EQ(api::NameOf(incident), name);
  EXPECT_EQ(incident["status"].value("recoveryAction", ""), "Failover");
  EXPECT_EQ(incident["status"].value("recoveredBy", ""), "b");
  EXPECT_NE(incident["status"].value("message", "").find("taken up again"), std::string::npos)
      << incident.dump(2);
}

}  // namespace
}  // namespace vigil::controllers
