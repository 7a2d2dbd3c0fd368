// vigil-subreaper: runs a command as a child subreaper.
//
//   vigil-subreaper COMMAND [ARGS...]
//
// Why: on machines whose PID 1 reaps orphans only 1-2 s after they die
// (DESIGN.md section 5), libvirtd's qemu processes -- orphans of libvirtd --
// stay zombies that long, and libvirt notices a VM's death only then. Run
// under this program, libvirtd's orphans are re-parented here instead of to
// PID 1 and reaped at once, as systemd would.
//
// Behaviour: marks itself PR_SET_CHILD_SUBREAPER, starts COMMAND as its
// child, reaps every child (direct or adopted) as soon as it exits, forwards
// SIGTERM, SIGINT and SIGHUP to the direct child, and exits with the direct
// child's status (128+signal when it was killed) once it has gone and no
// other descendants remain to be reaped in this instant.
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <initializer_list>

namespace {

// Blocks the signals this program handles synchronously through sigwait.
sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, signal);
  return set;
}

// Starts argv[0] as a child with the default signal mask. Returns its pid, or
// -1 (with a message on stderr) when fork fails.
pid_t StartChild(char** argv, const sigset_t& original_mask) {
  pid_t pid = fork();
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &original_mask, nullptr);
    execvp(argv[0], argv);
    std::fprintf(stderr, "vigil-subreaper: exec %s: %s\n", argv[0],
                 std::strerror(errno));
    _exit(127);
  }
  if (pid < 0) {
    std::fprintf(stderr, "vigil-subreaper: fork: %s\n", std::strerror(errno));
  }
  return pid;
}

// Reaps every child that has exited. Sets *child_status and returns true
// once the direct child `child` has been reaped.
bool ReapExited(pid_t child, int* child_status) {
  bool child_gone = false;
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return child_gone;  // 0: none exited; -1/ECHILD: none left.
    if (pid == child) {
      *child_status = status;
      child_gone = true;
    }
  }
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: vigil-subreaper COMMAND [ARGS...]\n");
    return 2;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    std::fprintf(stderr, "vigil-subreaper: prctl: %s\n", std::strerror(errno));
    return 1;
  }
  sigset_t handled = HandledSignals();
  sigset_t original_mask;
  sigprocmask(SIG_BLOCK, &handled, &original_mask);
  pid_t child = StartChild(argv + 1, original_mask);
  if (child < 0) return 1;
  int child_status = 0;
  for (;;) {
    if (ReapExited(child, &child_status)) break;
    int signal = 0;
    if (sigwait(&handled, &signal) != 0) continue;
    if (signal != SIGCHLD) kill(child, signal);
  }
  // The direct child is gone; reap whatever else has already exited, then
  // leave (remaining descendants are re-parented to the next subreaper).
  ReapExited(-1, &child_status);
  return ExitCode(child_status);
}
