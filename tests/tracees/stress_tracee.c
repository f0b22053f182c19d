/* stress_tracee: many-threaded busy programs for the stress and race suites, one per MODE.
 *
 *   stress_tracee getppid-threads:N   N threads in all (the main thread and N-1 more), each
 *                                     calling getppid() in a loop forever
 *   stress_tracee mixed:N             N threads in all, thread i (the main thread is 0) doing
 *                                       i % 4 == 0: spin without syscalls
 *                                       i % 4 == 1: getppid() in a loop
 *                                       i % 4 == 2: spin a little, then getppid(), in a loop
 *                                       i % 4 == 3: nanosleep(200 us) in a loop
 *   stress_tracee pause:N             N threads in all, each blocked in pause() forever
 *
 * "ready <pid>\n" is printed on stdout (as tests/tracees/tracee does) once every thread has
 * entered its loop, so a test that reads it finds all N tasks in /proc/PID/task and none of
 * them is still in its start-up syscalls (set_robust_list, rseq, sigprocmask, ...).
 * It runs until killed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum kind { SPIN, GETPPID, SPIN_THEN_GETPPID, SHORT_SLEEP, PAUSE };

static volatile int started;  /* threads that entered their loop (atomic builtins) */

static void enter_loop(void) { __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST); }

static void run(enum kind k) {
  volatile unsigned long n = 0;
  switch (k) {
    case SPIN:
      for (;;) n++;
    case GETPPID:
      for (;;) syscall(SYS_getppid);
    case SPIN_THEN_GETPPID:
      for (;;) {
        for (int i = 0; i < 20000; i++) n++;
        syscall(SYS_getppid);
      }
    case SHORT_SLEEP:
      for (;;) {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
      }
    case PAUSE:
      for (;;) pause();
  }
}

static void* worker(void* arg) {
  enter_loop();
  run((enum kind)(long)arg);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: stress_tracee getppid-threads:N|mixed:N|pause:N\n");
    return 2;
  }
  /* Allow any tracer under Yama ptrace_scope=1. */
  prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
  int mixed = 0;
  enum kind all = GETPPID; /* the kind of every thread unless mixed */
  const char* count;
  if (strncmp(argv[1], "getppid-threads:", 16) == 0) {
    count = argv[1] + 16;
  } else if (strncmp(argv[1], "mixed:", 6) == 0) {
    mixed = 1;
    count = argv[1] + 6;
  } else if (strncmp(argv[1], "pause:", 6) == 0) {
    all = PAUSE;
    count = argv[1] + 6;
  } else {
    fprintf(stderr, "stress_tracee: unknown mode %s\n", argv[1]);
    return 2;
  }
  int n = atoi(count);
  if (n < 1 || n > 4096) {
    fprintf(stderr, "stress_tracee: bad thread count %s\n", count);
    return 2;
  }
  for (long i = 1; i < n; i++) {
    pthread_t th;
    enum kind k = mixed ? (enum kind)(i % 4) : all;
    if (pthread_create(&th, NULL, worker, (void*)(long)k) != 0) {
      fprintf(stderr, "stress_tracee: pthread_create failed\n");
      return 3;
    }
  }
  while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < n - 1) {
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
  }
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  run(mixed ? SPIN : all);
  return 0;
}
