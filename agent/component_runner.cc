#include "agent/component_runner.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/process.h"

namespace vigil::agent {

std::string RandomToken() {
  std::random_device random;
  std::uniform_int_distribution<uint32_t> word;
  std::string token;
  for (int i = 0; i < 4; ++i) token += absl::StrCat(absl::Hex(word(random), absl::kZeroPad8));
  return token;
}

std::string FormatTime(std::chrono::system_clock::time_point time) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", absl::FromChrono(time), absl::UTCTimeZone());
}

std::map<std::string, std::string> BuildEnvironment(
    const ComponentIdentity& who, const std::map<std::string, std::string>& spec_env,
    const std::vector<CsiAssignment>& csis) {
  std::map<std::string, std::string> attributes;
  for (const CsiAssignment& csi : csis) {
    attributes.insert(csi.csi.attributes.begin(), csi.csi.attributes.end());
  }
  std::map<std::string, std::string> env = InheritedEnvironment();
  for (const auto& [key, value] : spec_env) env[key] = ExpandVariables(value, attributes);
  for (const auto& [key, value] : attributes) env[key] = value;
  env["VIGIL_COMPONENT"] = who.name;
  env["VIGIL_SERVICE_UNIT"] = who.unit;
  env["VIGIL_NODE"] = who.node;
  if (!who.agent_record.empty()) env[kAgentRecordVariable] = who.agent_record;
  if (csis.empty()) return env;
  std::vector<std::string> names, types, instances;
  for (const CsiAssignment& csi : csis) {
    names.push_back(csi.csi.name);
    types.push_back(csi.csi.cs_type);
    if (instances.empty() || instances.back() != csi.service_instance) {
      instances.push_back(csi.service_instance);
    }
  }
  env["VIGIL_HA_STATE"] = std::string(api::ToString(csis.front().ha_state));
  env["VIGIL_CSI_NAME"] = absl::StrJoin(names, ",");
  env["VIGIL_CS_TYPE"] = absl::StrJoin(types, ",");
  env["VIGIL_SERVICE_INSTANCE"] = absl::StrJoin(instances, ",");
  return env;
}

}  // namespace vigil::agent
