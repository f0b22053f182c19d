/* family: tracees that make threads and processes, for the whole-program tests.
 * Every mode prints "ready <pid>\n" first; later messages are lines on stdout (unbuffered).
 * Commands are lines on stdin.
 *
 *   family fork-counter     "f": forks a child whose first act is to increment a counter in
 *                           memory shared with the parent, then sleeps; prints "forked PID".
 *                           "c": prints "counter N". "q": kills the child, exits 0.
 *   family fork-wait        "f": forks a child that exits 7 at once; waits for it and prints
 *                           "reaped PID STATUS". "q": exits 0.
 *   family vfork-exec       "v": vfork()s; the child execs /bin/true; the parent prints
 *                           "vforked PID" once vfork returns, then waits for it and prints
 *                           "reaped PID STATUS". "q": exits 0.
 *   family spawn N          creates N threads one after another (each then sleeps), prints
 *                           "spawned N" and sleeps. Without N: 50.
 *   family churn N          N worker threads that each create and join short-lived threads
 *                           (getppid x10) forever; the main thread sleeps.
 *   family exec-thread      the leader and threads A and B, all sleeping; prints
 *                           "tids LEADER A B". "x": thread A execs "family sleep" (so the
 *                           process goes on as a single sleeping thread with the leader's tid).
 *   family fork-storm N     "s": forks N children that _exit(0) at once, reaps each, prints
 *                           "storm N". "q": exits 0.
 *   family handlers         SA_SIGINFO handlers for SIGUSR1 and SIGUSR2 print
 *                           "got SIGNO code=SI_CODE pid=SI_PID"; otherwise it sleeps.
 *   family syscalls N       N getppid() calls and one getpid(), then exits 0.
 *   family getpid-on-signal waits for SIGUSR1 (sigwaitinfo), then prints "getpid N" with
 *                           what getpid() returned (-errno on failure), again and again.
 *   family sleep            prints "ready PID" and sleeps forever.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_forever(void) {
  for (;;) {
    struct timespec ts = {100, 0};
    nanosleep(&ts, NULL);
  }
}

static void* sleeper(void* arg) {
  (void)arg;
  sleep_forever();
  return NULL;
}

static int read_cmd(void) {
  char line[64];
  if (!fgets(line, sizeof line, stdin)) return 'q';
  return line[0];
}

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static void* short_lived(void* arg) {
  (void)arg;
  for (int i = 0; i < 10; ++i) syscall(SYS_getppid);
  return NULL;
}

static void* churner(void* arg) {
  (void)arg;
  for (;;) {
    pthread_t t;
    if (pthread_create(&t, NULL, short_lived, NULL) == 0) pthread_join(t, NULL);
  }
  return NULL;
}

static pid_t thread_a_tid;
static void* exec_thread(void* arg) {
  (void)arg;
  thread_a_tid = gettid_();
  sleep_forever();
  return NULL;
}
static pthread_t thread_a;
static char* self_path;
static void on_usr1(int sig) {
  (void)sig;
  char* argv[] = {"family", "sleep", NULL};
  execv(self_path, argv);
  _exit(99);
}

static void on_signal(int sig, siginfo_t* si, void* ctx) {
  (void)ctx;
  char line[96];
  int n = snprintf(line, sizeof line, "got %d code=%d pid=%d\n", sig, si->si_code, si->si_pid);
  ssize_t w = write(1, line, (size_t)n);
  (void)w;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: family MODE [N]\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  const char* mode = argv[1];
  long n = argc > 2 ? atol(argv[2]) : 0;
  /* Signal dispositions first: a test may send a signal as soon as it reads "ready". */
  if (!strcmp(mode, "handlers")) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
  }
  if (!strcmp(mode, "getpid-on-signal")) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
  }
  printf("ready %d\n", getpid());

  if (!strcmp(mode, "sleep")) sleep_forever();

  if (!strcmp(mode, "syscalls")) {
    for (long i = 0; i < n; ++i) syscall(SYS_getppid);
    syscall(SYS_getpid);
    return 0;
  }

  if (!strcmp(mode, "getpid-on-signal")) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    for (;;) {
      if (sigwaitinfo(&set, NULL) < 0) continue;
      long r = syscall(SYS_getpid);
      printf("getpid %ld\n", r < 0 ? -(long)errno : r);
    }
  }

  if (!strcmp(mode, "handlers")) sleep_forever();

  if (!strcmp(mode, "fork-counter")) {
    volatile int* counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t child = 0;
    for (;;) {
      int c = read_cmd();
      if (c == 'f') {
        child = fork();
        if (child == 0) {
          __atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
          prctl(PR_SET_PDEATHSIG, SIGKILL);  /* never outlive the test's tracee */
          if (getppid() == 1) _exit(0);
          sleep_forever();
        }
        printf("forked %d\n", child);
      } else if (c == 'c') {
        printf("counter %d\n", __atomic_load_n(counter, __ATOMIC_SEQ_CST));
      } else if (c == 'q') {
        if (child > 0) {
          kill(child, SIGKILL);
          waitpid(child, NULL, 0);
        }
        return 0;
      }
    }
  }

  if (!strcmp(mode, "fork-wait") || !strcmp(mode, "vfork-exec")) {
    for (;;) {
      int c = read_cmd();
      if (c == 'q') return 0;
      pid_t child;
      if (c == 'f') {
        child = fork();
        if (child == 0) _exit(7);
      } else if (c == 'v') {
        child = vfork();
        if (child == 0) {
          execl("/bin/true", "true", (char*)NULL);
          _exit(127);
        }
        printf("vforked %d\n", child);
      } else {
        continue;
      }
      int status = 0;
      waitpid(child, &status, 0);
      printf("reaped %d %d\n", child, status);
    }
  }

  if (!strcmp(mode, "spawn")) {
    if (n <= 0) n = 50;
    for (long i = 0; i < n; ++i) {
      pthread_t t;
      pthread_create(&t, NULL, sleeper, NULL);
      usleep(2000);
    }
    printf("spawned %ld\n", n);
    sleep_forever();
  }

  if (!strcmp(mode, "churn")) {
    if (n <= 0) n = 8;
    for (long i = 0; i < n; ++i) {
      pthread_t t;
      pthread_create(&t, NULL, churner, NULL);
    }
    sleep_forever();
  }

  if (!strcmp(mode, "exec-thread")) {
    self_path = realpath("/proc/self/exe", NULL);
    signal(SIGUSR1, on_usr1);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    pthread_t b;
    /* Only thread A takes SIGUSR1 (the others block it), so A is the one to exec. */
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    pthread_create(&b, NULL, sleeper, NULL);
    pthread_sigmask(SIG_UNBLOCK, &block, NULL);
    pthread_create(&thread_a, NULL, exec_thread, NULL);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    while (!__atomic_load_n(&thread_a_tid, __ATOMIC_SEQ_CST)) usleep(1000);
    /* B's tid: the task that is neither the leader nor A. */
    pid_t b_tid = 0;
    DIR* d = opendir("/proc/self/task");
    struct dirent* e;
    while (d && (e = readdir(d))) {
      pid_t t = (pid_t)atoi(e->d_name);
      if (t > 0 && t != getpid() && t != thread_a_tid) b_tid = t;
    }
    if (d) closedir(d);
    printf("tids %d %d %d\n", getpid(), thread_a_tid, b_tid);
    for (;;) {
      int c = read_cmd();
      if (c == 'x') pthread_kill(thread_a, SIGUSR1);
      if (c == 'q') return 0;
    }
  }

  if (!strcmp(mode, "fork-storm")) {
    if (n <= 0) n = 200;
    for (;;) {
      int c = read_cmd();
      if (c == 'q') return 0;
      if (c != 's') continue;
      for (long i = 0; i < n; ++i) {
        pid_t child = fork();
        if (child == 0) _exit(0);
        if (child > 0) waitpid(child, NULL, 0);
      }
      printf("storm %ld\n", n);
    }
  }

  fprintf(stderr, "family: unknown mode %s\n", mode);
  return 2;
}
