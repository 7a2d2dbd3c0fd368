// `vigild fence-local`: the fence command of a node that is a node agent on
// this very machine (hack/cluster.sh, the end-to-end tests): it stops every
// process the agent recorded as started (<data-dir>/agent/<node>.json,
// agent/adoption_store.h), each checked by its kernel start time so a reused
// PID is never hit, by SIGKILL to its whole process group, and waits until
// none of them runs. That is what powering the node off would do to them.
#ifndef VIGIL_CMD_VIGILD_FENCE_LOCAL_H_
#define VIGIL_CMD_VIGILD_FENCE_LOCAL_H_

#include <chrono>
#include <string>

namespace vigil::vigild {

// Returns the exit status: 0 once every recorded process is gone (also when
// there were none), 1 with a message on stderr if the records cannot be
// read or a process still runs after `timeout`.
int FenceLocalNode(const std::string& data_dir, const std::string& node,
                   std::chrono::milliseconds timeout);

}  // namespace vigil::vigild

#endif  // VIGIL_CMD_VIGILD_FENCE_LOCAL_H_
