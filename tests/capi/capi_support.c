#include "capi_support.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int failures;

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

void daemon_start(struct test_daemon *d, const char *utraced) {
  snprintf(d->dir, sizeof d->dir, "/tmp/utraced-capi-XXXXXX");
  if (!mkdtemp(d->dir)) {
    perror("mkdtemp");
    exit(1);
  }
  snprintf(d->socket, sizeof d->socket, "%s/utraced.sock", d->dir);
  char log[128];
  snprintf(log, sizeof log, "%s/daemon.log", d->dir);
  d->pid = fork();
  if (d->pid < 0) {
    perror("fork");
    exit(1);
  }
  if (d->pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) dup2(fd, 2);
    execl(utraced, utraced, "--socket", d->socket, "--log-level", "info", (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 2000; i++) {
    utrace_client *c = utrace_connect(d->socket, NULL);
    if (c) {
      utrace_close(c);
      return;
    }
    int status;
    if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
      fprintf(stderr, "utraced (%s) exited at start-up, status %d; log in %s\n", utraced, status,
              log);
      exit(1);
    }
    sleep_ms(5);
  }
  fprintf(stderr, "utraced does not accept connections on %s\n", d->socket);
  kill(d->pid, SIGKILL);
  exit(1);
}

int daemon_stop(struct test_daemon *d) {
  int status = -1;
  kill(d->pid, SIGTERM);
  for (int i = 0; i < 2000; i++) {
    if (waitpid(d->pid, &status, WNOHANG) == d->pid) break;
    sleep_ms(5);
    if (i == 1999) {
      kill(d->pid, SIGKILL);
      waitpid(d->pid, &status, 0);
    }
  }
  if (failures == 0) {
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", d->dir);
  } else {
    fprintf(stderr, "utraced's log kept in %s/daemon.log\n", d->dir);
  }
  return status;
}

utrace_client *must_connect(const struct test_daemon *d) {
  utrace_error err;
  utrace_client *c = utrace_connect(d->socket, &err);
  if (!c) {
    fprintf(stderr, "connect %s: %s (errno %d)\n", d->socket, err.message, err.errnum);
    exit(1);
  }
  return c;
}
