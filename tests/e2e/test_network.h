// TestNetwork: a network namespace of a test's own, linked to the root
// namespace by a veth pair, for end-to-end tests that cut a node off the
// network (a partition). Made with the real `ip` command:
//
//   root namespace   <host_link> 198.19.K.1/24
//                        |  veth
//   netns <name>     eth0        198.19.K.2/24
//
// K is picked so that no address of the host is in 198.19.K.0/24 yet (the
// benchmarking range 198.18.0.0/15, never routed beyond this machine), so
// that tests running side by side do not collide. The namespace and links are
// deleted on destruction.
//
// Only root can do this: Available() says why not (not root, no `ip`,
// `ip netns` refused), and tests skip with that message.
//
// Thread safety: use from one thread.
#ifndef VIGIL_TESTS_E2E_TEST_NETWORK_H_
#define VIGIL_TESTS_E2E_TEST_NETWORK_H_

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/subprocess.h"

namespace vigil::e2e {

class TestNetwork {
 public:
  // The path of the `ip` command, or "" if none is installed.
  static std::string IpCommand() {
    for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
      if (access(path, X_OK) == 0) return path;
    }
    return "";
  }

  // OK if namespaces can be made here; otherwise FailedPrecondition saying
  // what is missing (for GTEST_SKIP).
  static absl::Status Available() {
    if (geteuid() != 0) {
      return absl::FailedPreconditionError(
          "needs root: it creates a network namespace and a veth pair with `ip`");
    }
    if (IpCommand().empty()) {
      return absl::FailedPreconditionError("needs the `ip` command (Debian package iproute2)");
    }
    RunResult listed = Run({IpCommand(), "netns", "list"});
    if (listed.exit_code != 0) {
      return absl::FailedPreconditionError("`ip netns list` fails here: " + listed.output);
    }
    return absl::OkStatus();
  }

  // Creates namespace vigil-t<pid>-<tag> and its veth pair, both sides up.
  // Errors: FailedPrecondition when namespaces cannot be made here (see
  // Available; also when `ip netns add` is refused), Internal naming the
  // `ip` command that failed and its output (whatever was made is deleted
  // again).
  static absl::StatusOr<std::unique_ptr<TestNetwork>> Create(const std::string& tag) {
    if (absl::Status s = Available(); !s.ok()) return s;
    const std::string pid = std::to_string(getpid());
    std::unique_ptr<TestNetwork> net(new TestNetwork(
        absl::StrCat("vigil-t", pid, "-", tag), absl::StrCat("vt", pid, tag).substr(0, 15)));
    absl::StatusOr<int> subnet = net->FreeSubnet();
    if (!subnet.ok()) return subnet.status();
    net->host_address_ = absl::StrCat("198.19.", *subnet, ".1");
    net->netns_address_ = absl::StrCat("198.19.", *subnet, ".2");
    const std::string& ns = net->name_;
    if (absl::Status s = net->Ip({"netns", "add", ns}); !s.ok()) {
      // e.g. a container without CAP_SYS_ADMIN: root, yet no namespaces.
      return absl::FailedPreconditionError("cannot create a network namespace here: " +
                                           std::string(s.message()));
    }
    const std::vector<std::vector<std::string>> steps = {
        {"link", "add", net->host_link_, "type", "veth", "peer", "name", "eth0", "netns", ns},
        {"addr", "add", net->host_address_ + "/24", "dev", net->host_link_},
        {"link", "set", net->host_link_, "up"},
        {"-n", ns, "addr", "add", net->netns_address_ + "/24", "dev", "eth0"},
        {"-n", ns, "link", "set", "lo", "up"},
        {"-n", ns, "link", "set", "eth0", "up"}};
    for (const std::vector<std::string>& step : steps) {
      if (absl::Status s = net->Ip(step); !s.ok()) return s;
    }
    return net;
  }

  ~TestNetwork() {
    (void)Ip({"link", "del", host_link_});
    (void)Ip({"netns", "del", name_});
  }

  const std::string& name() const { return name_; }
  // The root namespace's address on the link (a server listens here).
  const std::string& host_address() const { return host_address_; }
  // The namespace's own address.
  const std::string& netns_address() const { return netns_address_; }

  // `argv` run inside the namespace: `ip netns exec NAME argv...` (ip execs
  // the program, so the PID is the program's own).
  std::vector<std::string> Wrap(const std::vector<std::string>& argv) const {
    std::vector<std::string> wrapped = {IpCommand(), "netns", "exec", name_};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return wrapped;
  }

  // Cuts (up == false) or restores the namespace's link (its eth0 goes down:
  // nothing leaves or reaches the namespace, sockets see "network
  // unreachable"). Errors: Internal with ip's output.
  absl::Status SetLinkUp(bool up) { return Ip({"-n", name_, "link", "set", "eth0", up ? "up" : "down"}); }

 private:
  TestNetwork(std::string name, std::string host_link)
      : name_(std::move(name)), host_link_(std::move(host_link)) {}

  // Runs `ip args...`; Internal with its output if it fails.
  absl::Status Ip(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {IpCommand()};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult result = Run(argv);
    if (result.exit_code == 0) return absl::OkStatus();
    std::string command = "ip";
    for (const std::string& a : args) command += " " + a;
    return absl::InternalError(absl::StrCat("`", command, "` failed (exit ", result.exit_code,
                                            "): ", result.output));
  }

  // A K in 1..254 such that no host address is in 198.19.K.0/24 yet,
  // starting from one derived from the PID.
  absl::StatusOr<int> FreeSubnet() const {
    RunResult addresses = Run({IpCommand(), "-o", "-4", "addr", "show"});
    if (addresses.exit_code != 0) {
      return absl::InternalError("`ip -o -4 addr show` failed: " + addresses.output);
    }
    const int start = static_cast<int>(getpid() % 254);
    for (int i = 0; i < 254; ++i) {
      const int k = 1 + (start + i) % 254;
      if (addresses.output.find(absl::StrCat(" 198.19.", k, ".")) == std::string::npos) return k;
    }
    return absl::ResourceExhaustedError("every 198.19.K.0/24 subnet is in use on this host");
  }

  const std::string name_;
  const std::string host_link_;
  std::string host_address_;
  std::string netns_address_;
};

}  // namespace vigil::e2e

#endif  // VIGIL_TESTS_E2E_TEST_NETWORK_H_
