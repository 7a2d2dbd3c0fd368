#include "agent/adoption_store.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace vigil::agent {
namespace {

using api::Json;

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

absl::Status WriteAll(int fd, const std::string& data) {
  for (size_t done = 0; done < data.size();) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write");
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open " + dir);
  int rc = fsync(fd);
  close(fd);
  return rc == 0 ? absl::OkStatus() : Errno("fsync " + dir);
}

Json CsiToJson(const CsiAssignment& csi) {
  return {{"serviceInstance", csi.service_instance},
          {"name", csi.csi.name},
          {"csType", csi.csi.cs_type},
          {"attributes", csi.csi.attributes},
          {"haState", std::string(api::ToString(csi.ha_state))}};
}

CsiAssignment CsiFromJson(const Json& json) {
  CsiAssignment csi;
  csi.service_instance = json.value("serviceInstance", "");
  csi.csi.name = json.value("name", "");
  csi.csi.cs_type = json.value("csType", "");
  if (json.contains("attributes") && json["attributes"].is_object()) {
    for (const auto& [key, value] : json["attributes"].items()) {
      if (value.is_string()) csi.csi.attributes[key] = value.get<std::string>();
    }
  }
  api::Parse(json.value("haState", ""), &csi.ha_state);
  return csi;
}

}  // namespace

Json ToJson(const AdoptionRecords& records) {
  Json components = Json::object();
  for (const auto& [name, record] : records) {
    Json csis = Json::array();
    for (const CsiAssignment& csi : record.csis) csis.push_back(CsiToJson(csi));
    components[name] = {{"pid", record.pid},
                        {"startTicks", record.start_ticks},
                        {"startTime", record.start_time},
                        {"token", record.token},
                        {"csis", csis}};
  }
  return {{"components", components}};
}

AdoptionRecords AdoptionRecordsFromJson(const Json& json) {
  AdoptionRecords records;
  if (!json.is_object() || !json.contains("components")) return records;
  for (const auto& [name, entry] : json["components"].items()) {
    if (!entry.is_object()) continue;
    AdoptionRecord record;
    record.pid = entry.value("pid", 0);
    record.start_ticks = entry.value("startTicks", uint64_t{0});
    record.start_time = entry.value("startTime", "");
    record.token = entry.value("token", "");
    if (entry.contains("csis") && entry["csis"].is_array()) {
      for (const Json& csi : entry["csis"]) record.csis.push_back(CsiFromJson(csi));
    }
    if (record.pid > 0) records.emplace(name, std::move(record));
  }
  return records;
}

std::string AgentRecordPath(const std::string& data_dir, const std::string& node) {
  std::error_code ignored;
  std::filesystem::path dir = std::filesystem::absolute(data_dir, ignored);
  if (dir.empty()) dir = data_dir;
  return (dir.lexically_normal() / "agent" / (node + ".json")).string();
}

absl::StatusOr<AdoptionRecords> LoadAdoptionRecords(const std::string& path) {
  std::ifstream in(path);
  if (!in) return AdoptionRecords{};
  std::stringstream text;
  text << in.rdbuf();
  Json json = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::DataLossError("cannot parse the agent state file " + path);
  }
  return AdoptionRecordsFromJson(json);
}

absl::Status SaveAdoptionRecords(const std::string& path, const AdoptionRecords& records) {
  const std::filesystem::path target(path);
  std::error_code error;
  std::filesystem::create_directories(target.parent_path(), error);
  const std::string temp = path + ".tmp";
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open " + temp);
  absl::Status status = WriteAll(fd, ToJson(records).dump(2) + "\n");
  if (status.ok() && fsync(fd) != 0) status = Errno("fsync " + temp);
  close(fd);
  if (status.ok() && rename(temp.c_str(), path.c_str()) != 0) status = Errno("rename " + temp);
  if (status.ok()) status = SyncDirectory(target.parent_path().string());
  return status;
}

}  // namespace vigil::agent
