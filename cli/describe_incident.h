// The parts of `vigil describe` for measured availability: an Incident's
// timeline (the paper's four metrics), and a ServiceInstance's availability
// and recent incidents.
//
// Thread safety: pure functions, except DescribeInstanceIncidents (one List
// through the client).
#ifndef VIGIL_CLI_DESCRIBE_INCIDENT_H_
#define VIGIL_CLI_DESCRIBE_INCIDENT_H_

#include <string>

#include "api/object.h"
#include "client/http_client.h"

namespace vigil::cli {

// "Timeline:" then a table of Failure, Detected, Reaction, Recovered and
// Repaired with their time and offset from the failure, then "Metrics:"
// with the four durations. Absent steps show as "<pending>".
std::string DescribeIncidentTimeline(const api::Json& incident);

// "Availability:" with the SI's status.availability in words, or
// "Availability:  <none>" before accounting began.
std::string DescribeAvailability(const api::Json& instance);

// "Incidents:" then the latest `limit` Incidents naming the SI (newest
// last), with the total from its status; "Incidents:  <none>" without any.
std::string DescribeInstanceIncidents(client::HttpClient& client, const api::Json& instance,
                                      size_t limit = 5);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_DESCRIBE_INCIDENT_H_
