/* tracee: small programs for the tests to trace, one per MODE.
 *
 *   tracee sleep            sleeps forever in nanosleep (a sleeping tracee)
 *   tracee spin             burns CPU without syscalls (a busy tracee)
 *   tracee getppid-loop     calls getppid() forever (a busy, syscall-heavy tracee)
 *   tracee on-input         reads stdin line by line: "g" calls getppid(), "s" runs the known
 *                           sequence below, "q" exits with status 3; EOF exits 0
 *
 * The known sequence, with its expected reports (syscall name, args, return value):
 *   close(-1)                 = -EBADF
 *   lseek(-1, 4242, SEEK_CUR) = -EBADF
 *   getppid()                 = parent pid
 *   kill(0, 0)                = 0
 *
 * Every mode prints "ready <pid>\n" on stdout first, so a test knows it has started.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void known_sequence(void) {
  syscall(SYS_close, -1);
  syscall(SYS_lseek, -1, 4242, SEEK_CUR);
  syscall(SYS_getppid);
  syscall(SYS_kill, 0, 0);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tracee sleep|spin|getppid-loop|on-input\n");
    return 2;
  }
  /* Allow any tracer under Yama ptrace_scope=1 (strace's set_ptracer_any). */
  prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  if (strcmp(argv[1], "sleep") == 0) {
    for (;;) {
      struct timespec ts = {100, 0};
      nanosleep(&ts, NULL);
    }
  }
  if (strcmp(argv[1], "spin") == 0) {
    volatile unsigned long n = 0;
    for (;;) n++;
  }
  if (strcmp(argv[1], "getppid-loop") == 0) {
    for (;;) syscall(SYS_getppid);
  }
  if (strcmp(argv[1], "on-input") == 0) {
    char line[64];
    for (;;) {
      ssize_t n = read(0, line, sizeof line - 1);
      if (n <= 0) return 0;
      switch (line[0]) {
        case 'g': syscall(SYS_getppid); break;
        case 's': known_sequence(); break;
        case 'q': return 3;
        default: break;
      }
    }
  }
  fprintf(stderr, "tracee: unknown mode %s\n", argv[1]);
  return 2;
}
