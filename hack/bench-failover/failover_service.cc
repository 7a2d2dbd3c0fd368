#include "hack/bench-failover/failover_service.h"

namespace vigil::bench {

const char kPerlHttpServer[] =
    "use IO::Socket::INET; $SIG{TERM} = sub { exit 0 };"
    "my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ENV{PORT},"
    " Listen => 64, ReuseAddr => 1) or die \"cannot listen on $ENV{PORT}: $!\\n\";"
    "while (my $c = $s->accept) { while (my $l = <$c>) { last if $l =~ /^\\r?\\n$/ }"
    " print $c \"HTTP/1.0 200 OK\\r\\n\\r\\nhello\\n\"; close $c; }";

namespace {

api::Json Object(const std::string& kind, const std::string& name, api::Json spec) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", kind},
          {"metadata", {{"name", name}, {"labels", {{"app.kubernetes.io/part-of", "bench-failover"}}}}},
          {"spec", std::move(spec)}};
}

api::Json ComponentSpec(const FailoverService& service, const std::string& unit,
                        const std::string& sa_example) {
  api::Json spec = {{"serviceUnit", unit}, {"csTypes", {"svc"}}, {"recovery", "ComponentFailover"}};
  if (service.kind == "exec") {
    spec["exec"] = {{"instantiate", {"/usr/bin/perl", "-e", kPerlHttpServer}},
                    {"timeouts", {{"instantiate", "10s"}, {"cleanup", "5s"}}},
                    {"healthCheck",
                     {{"tcp", {{"port", service.port}}},
                      {"period", "1s"},
                      {"timeout", "500ms"},
                      {"failureThreshold", 3}}}};
  } else {
    spec["saAware"] = {{"command", {sa_example}},
                       {"timeouts", {{"csiSet", "2s"}}},
                       {"healthCheck", {{"period", "100ms"}, {"maxDuration", "50ms"}}}};
  }
  return spec;
}

}  // namespace

std::vector<api::Json> ServiceObjects(const FailoverService& service, const std::string& node,
                                      const std::string& sa_example) {
  std::vector<api::Json> objects;
  objects.push_back(Object("ServiceGroup", service.group(),
                           {{"redundancyModel", "2N"},
                            {"autoRepair", true},
                            {"recovery", {{"componentRestartMax", 0}, {"unitRestartMax", 0}}}}));
  int rank = 1;
  for (char which : {'a', 'b'}) {
    const std::string unit = service.unit(which);
    objects.push_back(Object("ServiceUnit", unit,
                             {{"serviceGroup", service.group()}, {"node", node}, {"rank", rank++}}));
    objects.push_back(Object("Component", FailoverService::ComponentOf(unit),
                             ComponentSpec(service, unit, sa_example)));
  }
  objects.push_back(Object(
      "ServiceInstance", service.instance(),
      {{"serviceGroup", service.group()},
       {"csis", {{{"name", "svc"}, {"csType", "svc"},
                  {"attributes", {{"PORT", std::to_string(service.port)}}}}}}}));
  return objects;
}

}  // namespace vigil::bench
