#include "auth/authorizer.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::auth {
namespace {

using ::testing::HasSubstr;

const Identity kAdmin{"vigil-admin", "1", {"system:masters"}};
const Identity kViewer{"vigil-viewer", "2", {"vigil:viewers"}};
const Identity kNode1{"system:node:n1", "3", {"system:nodes"}};
const Identity kNodeNoGroup{"system:node:n1", "4", {}};
const Identity kStranger{"eve", "5", {"developers"}};

// Stored objects: unit su-a on n1 with component comp-a; unit su-b on n2
// with component comp-b.
absl::StatusOr<api::Json> Lookup(const std::string& kind, const std::string& name) {
  static const std::map<std::string, api::Json> objects = {
      {"ServiceUnit/su-a", {{"spec", {{"node", "n1"}}}}},
      {"ServiceUnit/su-b", {{"spec", {{"node", "n2"}}}}},
      {"Component/comp-a", {{"spec", {{"serviceUnit", "su-a"}}}}},
      {"Component/comp-b", {{"spec", {{"serviceUnit", "su-b"}}}}},
  };
  auto it = objects.find(kind + "/" + name);
  if (it == objects.end()) return absl::NotFoundError(kind + " " + name);
  return it->second;
}

struct Case {
  const Identity* who;
  RequestAttributes request;
  bool allowed;
};

TEST(Authorizer, DecidesEachUserVerbAndObjectAsDocumented) {
  const Case cases[] = {
      {&kAdmin, {"delete", "ServiceGroup", "vlc", ""}, true},
      {&kAdmin, {"deletecollection", "Node", "", ""}, true},
      {&kViewer, {"get", "ServiceGroup", "vlc", ""}, true},
      {&kViewer, {"list", "Component", "", ""}, true},
      {&kViewer, {"watch", "ServiceInstance", "", ""}, true},
      {&kViewer, {"create", "ServiceGroup", "vlc", ""}, false},
      {&kViewer, {"patch", "Node", "n1", "status"}, false},
      {&kNode1, {"list", "ServiceGroup", "", ""}, true},
      {&kNode1, {"watch", "Operation", "", ""}, true},
      {&kNode1, {"create", "Node", "n1", ""}, true},
      {&kNode1, {"create", "Node", "n2", ""}, false},
      {&kNode1, {"update", "Node", "n1", ""}, false},  // spec: admin only
      {&kNode1, {"patch", "Node", "n1", "status"}, true},
      {&kNode1, {"patch", "Node", "n2", "status"}, false},
      {&kNode1, {"update", "ServiceUnit", "su-a", "status"}, true},
      {&kNode1, {"update", "ServiceUnit", "su-b", "status"}, false},
      {&kNode1, {"update", "ServiceUnit", "su-a", ""}, false},
      {&kNode1, {"update", "ServiceUnit", "missing", "status"}, false},
      {&kNode1, {"update", "Component", "comp-a", "status"}, true},
      {&kNode1, {"patch", "Component", "comp-b", "status"}, false},
      {&kNode1, {"create", "Component", "comp-x", ""}, false},
      {&kNode1, {"delete", "ServiceUnit", "su-a", ""}, false},
      {&kNode1, {"create", "Lease", "n1", ""}, true},
      {&kNode1, {"update", "Lease", "n1", ""}, true},
      {&kNode1, {"get", "Lease", "n1", ""}, true},
      {&kNode1, {"update", "Lease", "n2", ""}, false},
      {&kNode1, {"update", "ServiceGroup", "vlc", "status"}, false},
      {&kNodeNoGroup, {"patch", "Node", "n1", "status"}, false},
      {&kNodeNoGroup, {"get", "Node", "n1", ""}, false},
      {&kStranger, {"get", "ServiceGroup", "vlc", ""}, false},
  };
  for (const Case& c : cases) {
    absl::Status decision = Authorize(*c.who, c.request, Lookup);
    EXPECT_EQ(decision.ok(), c.allowed)
        << c.who->user << " " << c.request.verb << " " << c.request.kind << "/"
        << c.request.subresource << " " << c.request.name << ": " << decision;
    if (!c.allowed) {
      EXPECT_TRUE(absl::IsPermissionDenied(decision)) << decision;
    }
  }
}

TEST(Authorizer, ARefusalNamesUserVerbKindAndName) {
  absl::Status denied =
      Authorize(kNode1, {"update", "ServiceUnit", "su-b", "status"}, Lookup);
  EXPECT_THAT(denied.message(), HasSubstr("\"system:node:n1\""));
  EXPECT_THAT(denied.message(), HasSubstr("update ServiceUnit/status \"su-b\""));
}

TEST(Authorizer, NodeOfAgentNeedsTheNodesGroup) {
  EXPECT_EQ(NodeOfAgent(kNode1), "n1");
  EXPECT_EQ(NodeOfAgent(kNodeNoGroup), "");
  EXPECT_EQ(NodeOfAgent(kAdmin), "");
}

}  // namespace
}  // namespace vigil::auth
