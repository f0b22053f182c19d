/* A multi-threaded program for the gdbserver tests (tests/scripts/test_gdbserver.py), built
 * with -g -O0. Two workers (named "worker1", "worker2") loop in worker_step(); the main thread
 * prints "ready PID" and then, for each line on stdin: getppid() (a marker syscall), compute()
 * (breakpoints, next/step/finish, a watched local), open_marker() (openat of /etc/hostname:
 * catch syscall), and prints "result R usr1 N". "f" forks a child that runs compute(1) and
 * exits 7 ("child exited 7"). "q" ends it with exit status 3. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int usr1_count;
static volatile int worker_rounds;
static double scale = 2.5; /* in xmm0 on the way into scaled() */

static void on_usr1(int sig) {
  (void)sig;
  usr1_count++;
}

int worker_step(int id) {
  int local = id * 7;
  worker_rounds++;
  return local + 1;
}

static void *worker(void *arg) {
  int id = (int)(long)arg;
  char name[16];
  snprintf(name, sizeof name, "worker%d", id);
  pthread_setname_np(pthread_self(), name);
  for (;;) {
    worker_step(id);
    usleep(200000);
  }
  return NULL;
}

double scaled(double v) { return v * scale; }

int add_one(int v) {
  int bumped = v + 1;
  return bumped;
}

int compute(int x) {
  int total = 0;
  int i;
  for (i = 0; i < 3; i++)
    total += x + i;
  total = add_one(total);
  total += (int)scaled(2.0);
  return total;
}

int open_marker(void) {
  int fd = open("/etc/hostname", O_RDONLY);
  if (fd >= 0) close(fd);
  return fd;
}

int main(void) {
  pthread_t t[2];
  char line[64];
  signal(SIGUSR1, on_usr1);
  pthread_create(&t[0], NULL, worker, (void *)1L);
  pthread_create(&t[1], NULL, worker, (void *)2L);
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    int r;
    if (line[0] == 'q') break;
    if (line[0] == 'f') {
      int status = 0;
      pid_t child = fork();
      if (child == 0) _exit(compute(1) == 12 ? 7 : 1);
      waitpid(child, &status, 0);
      printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
      fflush(stdout);
      continue;
    }
    getppid();
    r = compute(5);
    open_marker();
    printf("result %d usr1 %d\n", r, usr1_count);
    fflush(stdout);
  }
  return 3;
}
