// FenceMethods: the ways vigild can make sure a node that stopped answering
// runs nothing any more (Node.spec.fencing): a fence command (IPMI, a PDU, a
// cloud API: "power this node off"), and destroying the node's virtual
// machines through a libvirt URI that still answers.
//
// Both block; the NodeFencer calls them on a thread of its own.
//
// Thread safety: implementations are safe for concurrent use.
#ifndef VIGIL_CONTROLLERS_FENCE_METHODS_H_
#define VIGIL_CONTROLLERS_FENCE_METHODS_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace vigil::controllers {

class FenceMethods {
 public:
  virtual ~FenceMethods() = default;

  // Runs `argv` (argv[0] searched in PATH) with `env` added to vigild's
  // environment, in a session of its own, output collected. OK on exit
  // status 0. DeadlineExceeded if it still ran after `timeout` (its whole
  // process group is then killed); Unavailable for any other exit, with the
  // status and the last lines of its output; InvalidArgument if it cannot
  // be started.
  virtual absl::Status RunCommand(const std::vector<std::string>& argv,
                                  const std::map<std::string, std::string>& env,
                                  std::chrono::milliseconds timeout) = 0;

  // Destroys each of `domains` through the libvirt connection `uri`. OK when
  // every one is off afterwards (destroyed now, already shut off, or not
  // defined there at all). Otherwise the first error, e.g. Unavailable when
  // the hypervisor does not answer.
  virtual absl::Status DestroyDomains(const std::string& uri,
                                      const std::vector<std::string>& domains) = 0;
};

// The real methods: fork/exec with a pidfd deadline, and libvirt (one
// connection per URI, kept open and re-connected with backoff).
std::unique_ptr<FenceMethods> MakeFenceMethods();

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_FENCE_METHODS_H_
