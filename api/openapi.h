// OpenAPI v3 documents for the Vigil kinds, generated from api/schema.h.
#ifndef VIGIL_API_OPENAPI_H_
#define VIGIL_API_OPENAPI_H_

#include <string_view>

#include "api/object.h"

namespace vigil::api {

// The structural schema (OpenAPI v3 "object" schema with properties,
// descriptions, enums, defaults, required) of one kind, as a CRD would carry
// it, including apiVersion/kind/metadata. Null if the kind is unknown.
Json KindSchema(std::string_view kind);

// The document served at /openapi/v3/apis/vigil.io/v1: components.schemas
// named "io.vigil.v1.<Kind>" (each with x-kubernetes-group-version-kind) and
// "io.vigil.v1.<Kind>List", plus paths for the REST endpoints, so that
// kubectl apply validates and kubectl explain works.
Json OpenApiGroupDocument();

}  // namespace vigil::api

#endif  // VIGIL_API_OPENAPI_H_
