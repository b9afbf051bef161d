#include "sweep/child.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/format.h"

namespace cs::sweep {

namespace {

std::string command_line(const std::vector<std::string>& args) {
  std::string line;
  for (const std::string& a : args) line += " " + a;
  return line;
}

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void become(const std::string& binary, char* const* argv, int log_fd, pid_t sweep) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != sweep) _exit(1);  // the sweep died before the line above took effect
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  execv(binary.c_str(), argv);
  const char* why = "sweep: could not start the run's train\n";
  const ssize_t ignored = write(log_fd, why, std::strlen(why));
  (void)ignored;
  _exit(127);
}

}  // namespace

Child start_child(const std::string& binary, const std::vector<std::string>& args, const std::string& log) {
  std::filesystem::create_directories(std::filesystem::path(log).parent_path());
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  CS_CHECK(fd >= 0, "cannot open " << log << ": " << std::strerror(errno));
  const std::string header = "== " + utc_now() + " sweep run:" + command_line(args) + "\n";
  const ssize_t ignored = write(fd, header.data(), header.size());
  (void)ignored;
  // Everything the child needs is made before fork: a process with threads may only make
  // async-signal-safe calls in the child.
  std::vector<std::string> owned = {binary};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t sweep = getpid();
  const pid_t pid = fork();
  if (pid == 0) become(binary, argv.data(), fd, sweep);
  const int fork_errno = errno;
  close(fd);
  CS_CHECK(pid > 0, "cannot start a run: fork failed: " << std::strerror(fork_errno));
  setpgid(pid, pid);  // also here, so that a signal sent right away finds the group
  return {pid};
}

std::optional<ChildExit> poll_child(const Child& child) {
  int status = 0;
  rusage usage{};
  const pid_t done = wait4(child.pid, &status, WNOHANG, &usage);
  ChildExit e;
  if (done < 0 && errno == ECHILD) {
    e.code = -1;  // no longer ours to wait for: it ended, how is not known
    return e;
  }
  if (done != child.pid) return std::nullopt;
  e.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  e.code = e.signal ? 128 + e.signal : WEXITSTATUS(status);
  e.cpu_seconds = double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  1e-6 * double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  return e;
}

void signal_child(const Child& child, int signal) { kill(child.pid, signal); }

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

}  // namespace cs::sweep
