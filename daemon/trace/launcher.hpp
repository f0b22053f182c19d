// Launcher: starts a program for `launch` so that it can be seized before it runs. The child is
// forked, waits on a pipe until the daemon has seized it, then takes the client's identity,
// opens its stdio, and execs. A failure after the fork is written to an error pipe as
// {step, errno}; a successful exec closes that pipe (O_CLOEXEC).
//
// Program lookup: argv[0] without a '/' is searched in the PATH of the program's environment by
// the child, after it has taken the client's identity and changed to its cwd (as execvp does),
// so the daemon never stat()s or searches a directory for a client: the client gets exactly the
// errors (ENOENT, EACCES, ...) it would get itself, reported as step "exec".
//
// Privilege: for a client that is not root the child takes the client's uid, gid and groups and
// sets PR_SET_NO_NEW_PRIVS, so set-uid/set-gid bits and file capabilities are ignored: a
// set-uid program runs with the client's own privilege, as if it had no set-uid bit.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace utraced::launcher {

struct Spec {
  std::string path;               // the program: with a '/', exec'd as it is; else searched in
                                  // env's PATH (default /usr/local/bin:/usr/bin:/bin) by the child
  std::vector<std::string> argv;  // argv as the program sees it
  std::vector<std::string> env;   // "NAME=value"
  std::string cwd;                // "" keeps the daemon's (/)
  std::string stdio[3];           // paths, opened as the client; "" means /dev/null
  bool drop_privileges = true;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string seccomp_bpf;  // a filter to install before the exec ("" for none)
};

struct Child {
  pid_t pid = -1;
  int go_fd = -1;     // write one byte to let it exec
  int error_fd = -1;  // read {step, errno} after it died before its exec
};

// Forks the held child. Returns 0 or an errno (pipe/fork failures).
int spawn_held(const Spec& spec, Child* out);
// Lets the child go on to its exec.
void release(Child& child);
// After the child died before its exec: what failed ("exec", "chdir", ...) and the errno.
// Returns false when the child wrote nothing (it was killed).
bool read_failure(int error_fd, std::string* step, int* err);

// The files the child tries to exec for `name`, in order, like execvp: a name with a '/' is the
// only candidate; otherwise DIR/name for each DIR of the PATH in env ("" counts as "."), or of
// /usr/local/bin:/usr/bin:/bin when env has no PATH. Pure string work: nothing is looked at.
std::vector<std::string> program_candidates(const std::string& name,
                                            const std::vector<std::string>& env);

}  // namespace utraced::launcher
