// The benchmark's tracee.
//
//   workload N           waits for one byte on stdin (so a tracer can attach first), then makes
//                        N getppid() syscalls plus one rare syscall (uname, once, half-way), and
//                        prints the elapsed nanoseconds of that loop on stdout.
//   workload --go N      the same without waiting for stdin (for `launch` and the seccomp
//                        baseline, which start it directly).
//   workload --files N   waits for the byte, then makes N rounds of openat("/etc/hostname"),
//                        read(fd, buf, 64) and close(fd) (3N syscalls with a path, a buffer
//                        and an fd: what an strace-like decoder has work on), and prints the
//                        elapsed nanoseconds.
//   workload --threads T creates T threads that sleep in read() on a pipe, prints "ready PID\n"
//                        on stdout, waits for one byte on stdin (or EOF), and exits.
//
// The clock is CLOCK_MONOTONIC through the vDSO, so timing adds no syscalls (and no stops).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void wait_for_go(void) {
  char c;
  ssize_t r;
  do {
    r = read(0, &c, 1);
  } while (r < 0 && errno == EINTR);
}

static int sleep_fd = -1;

static void* sleeper(void* arg) {
  (void)arg;
  char c;
  // Blocks until the process exits (nobody writes to the pipe).
  while (read(sleep_fd, &c, 1) < 0 && errno == EINTR) {
  }
  return NULL;
}

static int threads_mode(long count) {
  int p[2];
  if (pipe(p) != 0) {
    perror("pipe");
    return 1;
  }
  sleep_fd = p[0];
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  for (long i = 0; i < count; ++i) {
    pthread_t t;
    int e = pthread_create(&t, &attr, sleeper, NULL);
    if (e != 0) {
      fprintf(stderr, "workload: pthread_create #%ld: %s\n", i, strerror(e));
      return 1;
    }
  }
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  wait_for_go();
  _exit(0);
}

static int files_mode(long n) {
  wait_for_go();
  char buf[64];
  const uint64_t t0 = now_ns();
  for (long i = 0; i < n; ++i) {
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
    if (fd < 0) {
      perror("workload: /etc/hostname");
      return 1;
    }
    syscall(SYS_read, fd, buf, sizeof buf);
    syscall(SYS_close, fd);
  }
  const uint64_t t1 = now_ns();
  printf("%llu\n", (unsigned long long)(t1 - t0));
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "--threads") == 0) return threads_mode(strtol(argv[2], NULL, 10));
  if (argc == 3 && strcmp(argv[1], "--files") == 0) return files_mode(strtol(argv[2], NULL, 10));
  const int go = argc == 3 && strcmp(argv[1], "--go") == 0;
  if (argc != 2 && !go) {
    fprintf(stderr, "usage: workload N | workload --go N | workload --files N | workload --threads T\n");
    return 2;
  }
  const long n = strtol(argv[go ? 2 : 1], NULL, 10);
  if (n <= 0) {
    fprintf(stderr, "workload: N must be positive\n");
    return 2;
  }
  if (!go) wait_for_go();
  struct utsname u;
  const uint64_t t0 = now_ns();
  for (long i = 0; i < n; ++i) {
    syscall(SYS_getppid);  // raw syscall: never cached by libc
    if (i == n / 2) uname(&u);  // the rare one
  }
  const uint64_t t1 = now_ns();
  printf("%llu\n", (unsigned long long)(t1 - t0));
  return 0;
}
