/* tracee: small programs for the tests to trace, one per MODE.
 *
 *   tracee sleep            sleeps forever in nanosleep (a sleeping tracee)
 *   tracee spin             burns CPU without syscalls (a busy tracee)
 *   tracee getppid-loop     calls getppid() forever (a busy, syscall-heavy tracee)
 *   tracee on-input         reads stdin line by line: "g" calls getppid(), "s" runs the known
 *                           sequence below, "o" opens /nonexistent/utraced-example (ENOENT),
 *                           "f" forks a child that calls syscall(3) (prints "child STATUS"),
 *                           "v" the same with vfork,
 *                           "q" exits with status 3; EOF exits 0
 *   tracee nops             burns CPU in a long sled of one-byte nop instructions (x86), so that
 *                           a single step moves the instruction pointer by exactly one byte
 *   tracee threads3         the main thread and two more threads, all sleeping in nanosleep
 *   tracee nondumpable      prctl(PR_SET_DUMPABLE, 0), then sleeps forever in nanosleep
 *   tracee saved-ids-swap   moves its real uid and gid into the saved ones (setresgid(egid,
 *                           egid, rgid), setresuid(euid, euid, ruid)), turns dumpable back on
 *                           (exec made it non-dumpable if real != effective), then sleeps:
 *                           started with real ids != effective ones, it runs with a saved id
 *                           that differs from its real and effective ids, yet is dumpable
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
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void known_sequence(void) {
  syscall(SYS_close, -1);
  syscall(SYS_lseek, -1, 4242, SEEK_CUR);
  syscall(SYS_getppid);
  syscall(SYS_kill, 0, 0);
}

/* A child that calls syscall(3) and exits 0; "child N\n" on stdout, N its raw wait status.
 * With vfork the child runs in this process's memory until its _exit (vfork is called here,
 * in this frame, as it must be). */
static void spawn_child(int use_vfork) {
  pid_t child = use_vfork ? vfork() : fork();
  if (child == 0) {
    syscall(SYS_getppid);
    _exit(0);
  }
  int status = -1;
  waitpid(child, &status, 0);
  printf("child %d\n", status);
  fflush(stdout);
}

static void sleep_forever(void) {
  for (;;) {
    struct timespec ts = {100, 0};
    nanosleep(&ts, NULL);
  }
}

static void* sleeper_thread(void* arg) {
  (void)arg;
  sleep_forever();
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tracee sleep|spin|getppid-loop|on-input\n");
    return 2;
  }
  /* Allow any tracer under Yama ptrace_scope=1 (strace's set_ptracer_any). */
  prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
  if (strcmp(argv[1], "threads3") == 0) {
    /* The threads exist before "ready" is printed. */
    for (int i = 0; i < 2; i++) {
      pthread_t th;
      pthread_create(&th, NULL, sleeper_thread, NULL);
    }
  }
  if (strcmp(argv[1], "nondumpable") == 0) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (strcmp(argv[1], "saved-ids-swap") == 0) {
    gid_t rg, eg, sg;
    uid_t ru, eu, su;
    if (getresgid(&rg, &eg, &sg) != 0 || setresgid(eg, eg, rg) != 0) return 4;
    if (getresuid(&ru, &eu, &su) != 0 || setresuid(eu, eu, ru) != 0) return 5;
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  }
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
  if (strcmp(argv[1], "nops") == 0) {
    for (;;) __asm__ volatile(".rept 4096\n\tnop\n\t.endr" ::: "memory");
  }
  if (strcmp(argv[1], "threads3") == 0) sleep_forever();
  if (strcmp(argv[1], "nondumpable") == 0 || strcmp(argv[1], "saved-ids-swap") == 0)
    sleep_forever();
  if (strcmp(argv[1], "getppid-loop") == 0) {
    for (;;) syscall(SYS_getppid);
  }
  if (strcmp(argv[1], "on-input") == 0) {
    /* One read may bring several lines ("s\nq\n"): act on the first letter of each. */
    char buf[256];
    for (;;) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) return 0;
      for (ssize_t i = 0; i < n; ++i) {
        if (i > 0 && buf[i - 1] != '\n') continue;
        switch (buf[i]) {
          case 'g': syscall(SYS_getppid); break;
          case 's': known_sequence(); break;
          /* a path argument (PROTOCOL.md's capture example) */
          case 'o': syscall(SYS_openat, AT_FDCWD, "/nonexistent/utraced-example", O_RDONLY); break;
          case 'f': spawn_child(0); break;
          case 'v': spawn_child(1); break;
          case 'q': return 3;
          default: break;
        }
      }
    }
  }

  fprintf(stderr, "tracee: unknown mode %s\n", argv[1]);
  return 2;
}
