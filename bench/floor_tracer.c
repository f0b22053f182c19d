// The raw ptrace floor: the least a ptrace-based tracer can do per syscall stop.
//
//   floor_tracer [--hop oneway|roundtrip] [--pin-sink CPU] -- PROGRAM ARGS...
//
// Forks PROGRAM with PTRACE_TRACEME, then PTRACE_SYSCALL + waitpid for every stop and nothing
// else (no register reads, no decoding). PROGRAM gets a pipe as stdin, with one byte already
// written (the workload's "go"), and inherits stdout, so its own timing line is what this
// prints.
//
// --hop oneway:    per stop, also write one 16-byte message over a Unix stream socketpair to a
//                  forked sink process that reads and discards it, before resuming.
// --hop roundtrip: the sink answers each message with one byte; the tracer waits for it before
//                  resuming (a stop that a client must answer, with no JSON and no daemon logic).
//
// Stop counts go to stderr.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum hop { HOP_NONE, HOP_ONEWAY, HOP_ROUNDTRIP };

static int write_all(int fd, const void* buf, size_t len) {
  const char* p = buf;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, void* buf, size_t len) {
  char* p = buf;
  while (len > 0) {
    ssize_t r = read(fd, p, len);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) return 1;  // EOF
    p += r;
    len -= (size_t)r;
  }
  return 0;
}

struct msg {
  int32_t tid;
  int32_t kind;
  uint64_t seq;
};

static void sink(int fd, enum hop hop) {
  struct msg m;
  for (;;) {
    if (read_all(fd, &m, sizeof m) != 0) _exit(0);
    if (hop == HOP_ROUNDTRIP) {
      char ok = 'r';
      if (write_all(fd, &ok, 1) != 0) _exit(1);
    }
  }
}

int main(int argc, char** argv) {
  enum hop hop = HOP_NONE;
  int i = 1;
  for (; i < argc; ++i) {
    if (strcmp(argv[i], "--") == 0) {
      ++i;
      break;
    } else if (strcmp(argv[i], "--hop") == 0 && i + 1 < argc) {
      const char* v = argv[++i];
      if (strcmp(v, "oneway") == 0) hop = HOP_ONEWAY;
      else if (strcmp(v, "roundtrip") == 0) hop = HOP_ROUNDTRIP;
      else if (strcmp(v, "none") == 0) hop = HOP_NONE;
      else {
        fprintf(stderr, "floor_tracer: bad --hop %s\n", v);
        return 2;
      }
    } else {
      fprintf(stderr, "usage: floor_tracer [--hop oneway|roundtrip] -- PROGRAM ARGS...\n");
      return 2;
    }
  }
  if (i >= argc) {
    fprintf(stderr, "usage: floor_tracer [--hop oneway|roundtrip] -- PROGRAM ARGS...\n");
    return 2;
  }

  int sv[2] = {-1, -1};
  pid_t sink_pid = -1;
  if (hop != HOP_NONE) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      perror("socketpair");
      return 1;
    }
    sink_pid = fork();
    if (sink_pid < 0) {
      perror("fork");
      return 1;
    }
    if (sink_pid == 0) {
      close(sv[0]);
      sink(sv[1], hop);
    }
    close(sv[1]);
  }

  int in[2];
  if (pipe(in) != 0) {
    perror("pipe");
    return 1;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("fork");
    return 1;
  }
  if (child == 0) {
    dup2(in[0], 0);
    close(in[0]);
    close(in[1]);
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
      perror("PTRACE_TRACEME");
      _exit(127);
    }
    raise(SIGSTOP);
    execvp(argv[i], &argv[i]);
    perror("execvp");
    _exit(127);
  }
  close(in[0]);
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status)) {
    fprintf(stderr, "floor_tracer: child did not stop\n");
    return 1;
  }
  ptrace(PTRACE_SETOPTIONS, child, NULL,
         (void*)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC));
  if (write_all(in[1], "g", 1) != 0) perror("write go");
  close(in[1]);

  uint64_t stops = 0;
  int sig = 0;
  struct msg m = {.tid = child, .kind = 0, .seq = 0};
  for (;;) {
    if (ptrace(PTRACE_SYSCALL, child, NULL, (void*)(long)sig) != 0) {
      perror("PTRACE_SYSCALL");
      break;
    }
    sig = 0;
    pid_t w = waitpid(child, &status, __WALL);
    if (w < 0) {
      if (errno == EINTR) continue;
      perror("waitpid");
      break;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) break;
    if (!WIFSTOPPED(status)) continue;
    const int s = WSTOPSIG(status);
    if (s == (SIGTRAP | 0x80)) {
      ++stops;
      if (hop != HOP_NONE) {
        m.seq = stops;
        if (write_all(sv[0], &m, sizeof m) != 0) {
          perror("hop write");
          return 1;
        }
        if (hop == HOP_ROUNDTRIP) {
          char ok;
          if (read_all(sv[0], &ok, 1) != 0) {
            perror("hop read");
            return 1;
          }
        }
      }
    } else if (s == SIGTRAP) {
      // exec or other ptrace event stop: not a signal to deliver
    } else {
      sig = s;  // a real signal: deliver it
    }
  }
  if (hop != HOP_NONE) {
    close(sv[0]);
    waitpid(sink_pid, NULL, 0);
  }
  fprintf(stderr, "floor_tracer: %llu syscall stops\n", (unsigned long long)stops);
  int code = 0;
  if (WIFEXITED(status)) code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) code = 128 + WTERMSIG(status);
  return code;
}
