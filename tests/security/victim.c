/* victim: the programs the security tests attack. Compiled with `cc` at test time (seclib.py)
 * and copied set-uid root, set-gid root and with file capabilities.
 *
 *   victim ids              prints "ids pid=P tid=T ruid= euid= suid= rgid= egid= sgid= capeff=HEX",
 *                           then reads stdin lines: "o" opens /dev/null through a 512-byte
 *                           buffer (the path an attacker would rewrite) and prints
 *                           "opened fd=N"; "q" or EOF prints "bye" and exits 0
 *   victim ids-sleep MS     prints the ids line, sleeps MS ms, prints "bye", exits 0
 *   victim exec-on-input PATH ARGS...       prints "ready PID", reads one line, execs PATH ARGS
 *   victim fork-exec-on-input PATH ARGS...  prints "ready PID", reads one line, forks; the child
 *                           execs PATH ARGS; prints "child-exit N" and exits N (the child's code)
 *   victim thread-exec PATH ARGS...         prints "ready PID TID": a second thread (TID) reads
 *                           one line and execs PATH ARGS while the main thread waits in join
 *   victim percred UID GID MODE   started as root: one thread changes its own credentials with
 *                           the raw setresuid/setresgid syscalls (per thread) to UID/GID, the
 *                           other keeps root; MODE main-user (the main thread drops) or
 *                           main-root (the second thread drops). Dumpable is turned back on.
 *                           Prints "ready PID ROOTTID USERTID", then waits for "q" on stdin;
 *                           the root thread then checks it is still root and not traced, and
 *                           prints "root-thread ok" (or "root-thread BAD ..."); exits 0.
 *   victim nodump           prints "ready PID ADDR" (ADDR: hex address of a 16-byte buffer
 *                           holding "canary-nodump-ok"), reads one line, calls getppid() while
 *                           still dumpable, then prctl(PR_SET_DUMPABLE, 0) and getppid() again;
 *                           prints "bye ppid=P ppid2=P2 dumpable=D canary=BUF" and exits 0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void capeff(char* out, size_t n) {
  snprintf(out, n, "?");
  FILE* f = fopen("/proc/thread-self/status", "r");
  if (!f) return;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "CapEff:", 7) == 0) {
      char* p = line + 7;
      while (*p == ' ' || *p == '\t') ++p;
      p[strcspn(p, "\n")] = 0;
      snprintf(out, n, "%.60s", p);
    }
  }
  fclose(f);
}

static void print_ids(void) {
  uid_t r, e, s;
  gid_t rg, eg, sg;
  getresuid(&r, &e, &s);
  getresgid(&rg, &eg, &sg);
  char cap[64];
  capeff(cap, sizeof cap);
  printf("ids pid=%d tid=%ld ruid=%u euid=%u suid=%u rgid=%u egid=%u sgid=%u capeff=%s\n",
         (int)getpid(), (long)syscall(SYS_gettid), r, e, s, rg, eg, sg, cap);
  fflush(stdout);
}

static int read_line(char* buf, size_t n) {
  size_t i = 0;
  for (;;) {
    char c;
    ssize_t k = read(0, &c, 1);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return i > 0 ? (int)i : -1;
    if (c == '\n') break;
    if (i + 1 < n) buf[i++] = c;
  }
  buf[i] = 0;
  return (int)i;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int mode_ids(void) {
  print_ids();
  static char path[512];
  char line[64];
  for (;;) {
    if (read_line(line, sizeof line) < 0 || strcmp(line, "q") == 0) break;
    if (strcmp(line, "o") == 0) {
      strcpy(path, "/dev/null");
      int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY, 0);
      printf("opened fd=%d\n", fd);
      fflush(stdout);
      if (fd >= 0) close(fd);
    }
  }
  printf("bye\n");
  fflush(stdout);
  return 0;
}

static char** exec_argv;

static void do_exec(void) {
  execv(exec_argv[0], exec_argv);
  printf("exec failed errno=%d\n", errno);
  fflush(stdout);
  _exit(127);
}

static void* exec_thread(void* arg) {
  (void)arg;
  printf("ready %d %ld\n", (int)getpid(), (long)syscall(SYS_gettid));
  fflush(stdout);
  char line[64];
  read_line(line, sizeof line);
  do_exec();
  return NULL;
}

/* percred */
static volatile int quit_flag;
static pthread_barrier_t barrier;
static uid_t pc_uid;
static gid_t pc_gid;
static long root_tid, user_tid;

static void drop_this_thread(void) {
  if (syscall(SYS_setresgid, pc_gid, pc_gid, pc_gid) != 0 ||
      syscall(SYS_setresuid, pc_uid, pc_uid, pc_uid) != 0) {
    printf("drop failed errno=%d\n", errno);
    fflush(stdout);
    _exit(3);
  }
}

static int traced_now(void) {
  char path[128], line[256];
  snprintf(path, sizeof path, "/proc/self/task/%ld/status", (long)syscall(SYS_gettid));
  FILE* f = fopen(path, "r");
  int tracer = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "TracerPid:", 10) == 0) tracer = atoi(line + 10);
  fclose(f);
  return tracer;
}

static void root_thread_loop(void) {
  int bad = 0;
  while (!quit_flag) {
    uid_t r, e, s;
    syscall(SYS_getresuid, &r, &e, &s);
    if (e != 0) bad = 1;
    sleep_ms(10);
  }
  uid_t r, e, s;
  syscall(SYS_getresuid, &r, &e, &s);
  int tracer = traced_now();
  if (bad || e != 0 || tracer != 0)
    printf("root-thread BAD euid=%u tracer=%d\n", e, tracer);
  else
    printf("root-thread ok\n");
  fflush(stdout);
}

static void* percred_second(void* arg) {
  const char* mode = arg;
  long me = syscall(SYS_gettid);
  if (strcmp(mode, "main-user") == 0) {
    root_tid = me;
    pthread_barrier_wait(&barrier);
    root_thread_loop();
  } else {
    user_tid = me;
    drop_this_thread();
    pthread_barrier_wait(&barrier);
    while (!quit_flag) sleep_ms(10);
  }
  return NULL;
}

static int mode_percred(const char* mode) {
  if (pthread_barrier_init(&barrier, NULL, 2) != 0) return 2;
  pthread_t th;
  if (pthread_create(&th, NULL, percred_second, (void*)mode) != 0) return 2;
  long me = syscall(SYS_gettid);
  if (strcmp(mode, "main-user") == 0) {
    user_tid = me;
    drop_this_thread();
  } else {
    root_tid = me;
  }
  pthread_barrier_wait(&barrier);
  /* a credential change made the mm non-dumpable; the user thread is meant to be traceable */
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  printf("ready %d %ld %ld\n", (int)getpid(), root_tid, user_tid);
  fflush(stdout);
  char line[64];
  while (read_line(line, sizeof line) >= 0 && strcmp(line, "q") != 0) {
  }
  if (strcmp(mode, "main-user") == 0) {
    quit_flag = 1;
    pthread_join(th, NULL);
  } else {
    quit_flag = 1;
    root_thread_loop();
    pthread_join(th, NULL);
  }
  return 0;
}

/* nodump */
static volatile char canary[17] = "canary-nodump-ok";

static int mode_nodump(void) {
  printf("ready %d %lx\n", (int)getpid(), (unsigned long)(uintptr_t)canary);
  fflush(stdout);
  char line[64];
  read_line(line, sizeof line);
  long ppid = syscall(SYS_getppid); /* dumpable: the attacker may examine it here */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  long ppid2 = syscall(SYS_getppid); /* non-dumpable: it may not */
  int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  char buf[17];
  for (int i = 0; i < 16; ++i) buf[i] = canary[i];
  buf[16] = 0;
  printf("bye ppid=%ld ppid2=%ld dumpable=%d canary=%s\n", ppid, ppid2, dumpable, buf);
  fflush(stdout);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: victim ids|ids-sleep|exec-on-input|fork-exec-on-input|thread-exec|percred|nodump\n");
    return 2;
  }
  const char* mode = argv[1];
  char line[64];
  if (strcmp(mode, "ids") == 0) return mode_ids();
  if (strcmp(mode, "nodump") == 0) return mode_nodump();
  if (strcmp(mode, "ids-sleep") == 0 && argc >= 3) {
    print_ids();
    sleep_ms(atol(argv[2]));
    printf("bye\n");
    fflush(stdout);
    return 0;
  }
  if (argc >= 3) exec_argv = argv + 2;
  if (strcmp(mode, "exec-on-input") == 0 && exec_argv) {
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    read_line(line, sizeof line);
    do_exec();
  }
  if (strcmp(mode, "fork-exec-on-input") == 0 && exec_argv) {
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    read_line(line, sizeof line);
    pid_t c = fork();
    if (c == 0) do_exec();
    int st = 0;
    while (waitpid(c, &st, 0) < 0 && errno == EINTR) {
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    printf("child-exit %d\n", code);
    fflush(stdout);
    return code;
  }
  if (strcmp(mode, "thread-exec") == 0 && exec_argv) {
    pthread_t th;
    if (pthread_create(&th, NULL, exec_thread, NULL) != 0) return 2;
    pthread_join(th, NULL);
    return 2;
  }
  if (strcmp(mode, "percred") == 0 && argc >= 5) {
    pc_uid = (uid_t)atol(argv[2]);
    pc_gid = (gid_t)atol(argv[3]);
    return mode_percred(argv[4]);
  }
  fprintf(stderr, "victim: bad mode %s\n", mode);
  return 2;
}
