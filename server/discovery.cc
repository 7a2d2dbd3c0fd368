#include "api/strings.h"
#include "server/discovery.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/openapi.h"
#include "server/http_util.h"

namespace vigil::server {
namespace {

using api::Json;

// The Kubernetes API level whose REST conventions Vigil follows.
constexpr char kKubernetesMajor[] = "1";
constexpr char kKubernetesMinor[] = "32";
constexpr char kVigilVersion[] = "0.1.0";

Json GroupVersion() {
  return {{"groupVersion", std::string(api::kApiVersion)},
          {"version", std::string(api::kVersion)}};
}

Json ResourceEntry(const api::KindInfo& kind) {
  return {{"name", kind.plural},
          {"singularName", kind.singular},
          {"namespaced", false},
          {"kind", kind.kind},
          {"verbs", {"create", "delete", "deletecollection", "get", "list",
                     "patch", "update", "watch"}},
          {"shortNames", kind.short_names},
          {"categories", {"all", "vigil"}}};
}

Json StatusEntry(const api::KindInfo& kind) {
  return {{"name", kind.plural + "/status"},
          {"singularName", ""},
          {"namespaced", false},
          {"kind", kind.kind},
          {"verbs", {"get", "patch", "update"}}};
}

uint64_t Fnv1a64(const std::string& text) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

Json VersionInfo() {
  return {{"major", kKubernetesMajor},
          {"minor", kKubernetesMinor},
          {"gitVersion", api::Cat("v", kKubernetesMajor, ".", kKubernetesMinor,
                                      ".0+vigil.", kVigilVersion)},
          {"gitCommit", ""},
          {"gitTreeState", "clean"},
          {"buildDate", ""},
          {"goVersion", ""},
          {"compiler", "gcc"},
          {"platform", "linux/amd64"}};
}

Json CoreApiVersions(const std::string& server_address) {
  return {{"kind", "APIVersions"},
          {"versions", Json::array()},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

Json ApiGroupList() {
  return {{"kind", "APIGroupList"},
          {"apiVersion", "v1"},
          {"groups", {VigilApiGroup()}}};
}

Json VigilApiGroup() {
  Json group = {{"name", std::string(api::kGroup)},
                {"versions", {GroupVersion()}},
                {"preferredVersion", GroupVersion()}};
  Json out = {{"kind", "APIGroup"}, {"apiVersion", "v1"}};
  out.update(group);
  return out;
}

Json VigilResourceList() {
  Json resources = Json::array();
  for (const api::KindInfo& kind : api::AllKinds()) {
    resources.push_back(ResourceEntry(kind));
    if (kind.has_status) resources.push_back(StatusEntry(kind));
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", std::string(api::kApiVersion)},
          {"resources", std::move(resources)}};
}

const std::string& OpenApiGroupDocumentText() {
  static const std::string* text = new std::string(DumpJson(api::OpenApiGroupDocument()));
  return *text;
}

const std::string& OpenApiGroupDocumentHash() {
  static const std::string* hash = new std::string(
      absl::StrFormat("%016X", Fnv1a64(OpenApiGroupDocumentText())));
  return *hash;
}

Json OpenApiV3Index() {
  return {{"paths",
           {{api::Cat("apis/", api::kApiVersion),
             {{"serverRelativeURL",
               api::Cat("/openapi/v3/apis/", api::kApiVersion,
                            "?hash=", OpenApiGroupDocumentHash())}}}}}};
}

}  // namespace vigil::server
