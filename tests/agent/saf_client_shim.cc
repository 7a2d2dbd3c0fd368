// Compiles the example client library (examples/sa-aware) into agent_test,
// which also plays SA-aware components in sa_aware_test.cc.
#include "examples/sa-aware/vigil_saf.cc"  // NOLINT(build/include)
