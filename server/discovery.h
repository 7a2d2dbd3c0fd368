// The discovery and OpenAPI documents kubectl reads before anything else:
// /version, /api, /apis, /apis/vigil.io, /apis/vigil.io/v1 and /openapi/v3.
// Served in the legacy (non-aggregated) discovery format: kubectl falls back
// to it when the response is plain application/json.
//
// Thread safety: pure functions; the OpenAPI document is built once.
#ifndef VIGIL_SERVER_DISCOVERY_H_
#define VIGIL_SERVER_DISCOVERY_H_

#include <string>

#include "api/object.h"

namespace vigil::server {

// /version: a version.Info. The Kubernetes API level Vigil serves is given
// as major/minor so tools that check it are satisfied; gitVersion names
// Vigil's own version.
api::Json VersionInfo();

// /api: an APIVersions with no versions (Vigil serves no core group).
api::Json CoreApiVersions(const std::string& server_address);

// /apis: an APIGroupList with vigil.io/v1.
api::Json ApiGroupList();

// /apis/vigil.io: the APIGroup.
api::Json VigilApiGroup();

// /apis/vigil.io/v1: an APIResourceList with every kind (verbs, shortNames,
// singularName, categories) and its /status subresource.
api::Json VigilResourceList();

// The OpenAPI v3 document of vigil.io/v1 (api::OpenApiGroupDocument()),
// serialized, and a stable hash of it for the /openapi/v3 index.
const std::string& OpenApiGroupDocumentText();
const std::string& OpenApiGroupDocumentHash();

// /openapi/v3: {"paths": {"apis/vigil.io/v1": {"serverRelativeURL": ...}}}.
api::Json OpenApiV3Index();

}  // namespace vigil::server

#endif  // VIGIL_SERVER_DISCOVERY_H_
