/* count_syscalls: start a program traced from its first instruction and count its syscalls,
 * like `strace -c -f`, with the C API of libutrace-client.
 *
 *   cc count_syscalls.c $(pkg-config --cflags --libs utrace-client-c) -o count_syscalls
 *   ./count_syscalls [-s SOCKET] CMD [ARGS...]
 *
 * The program's engine is asynchronous (the program never waits for us); events are taken
 * with utrace_next_message() until the engine's last thread is reaped. Exits with the
 * program's status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utrace/client.h>

#define MAX_NAMES 512

struct counter {
  char name[32];
  unsigned long calls, errors;
};

static struct counter table[MAX_NAMES];
static int ntable;

/* Calls are counted at entry (exit_group never returns), errors at exit. */
static void count(const utrace_message *m) {
  int i;
  char name[32];
  if (m->syscall_name[0]) snprintf(name, sizeof name, "%s", m->syscall_name);
  else snprintf(name, sizeof name, "syscall_%lld", (long long)m->syscall_nr);
  for (i = 0; i < ntable; i++)
    if (strcmp(table[i].name, name) == 0) break;
  if (i == ntable) {
    if (ntable == MAX_NAMES) return;
    memcpy(table[ntable].name, name, sizeof name);
    ntable++;
  }
  if (m->event == UTRACE_EVENT_SYSCALL_ENTRY) table[i].calls++;
  else if (m->has_retval && m->retval < 0 && m->retval > -4096) table[i].errors++;
}

static int by_calls(const void *a, const void *b) {
  const struct counter *x = a, *y = b;
  if (x->calls != y->calls) return x->calls < y->calls ? 1 : -1;
  return strcmp(x->name, y->name);
}

int main(int argc, char **argv) {
  const char *socket_path = NULL;
  int first = 1;
  if (argc > 2 && strcmp(argv[1], "-s") == 0) {
    socket_path = argv[2];
    first = 3;
  }
  if (first >= argc) {
    fprintf(stderr, "usage: %s [-s SOCKET] CMD [ARGS...]\n", argv[0]);
    return 2;
  }

  utrace_error err;
  utrace_client *c = utrace_connect(socket_path, &err);
  if (!c) {
    fprintf(stderr, "count_syscalls: %s\n", err.message);
    return 1;
  }
  if (utrace_hello(c, "count_syscalls", NULL) < 0) {
    fprintf(stderr, "count_syscalls: hello: %s\n", utrace_last_error(c)->message);
    utrace_close(c);
    return 1;
  }

  utrace_launch_options lo;
  utrace_launch_options_init(&lo);
  lo.argv = (const char *const *)&argv[first];
  lo.events = UTRACE_EVENT_BIT(UTRACE_EVENT_SYSCALL_ENTRY) |
              UTRACE_EVENT_BIT(UTRACE_EVENT_SYSCALL_EXIT) | UTRACE_EVENT_BIT(UTRACE_EVENT_REAP);
  lo.mode = UTRACE_MODE_ASYNC;
  lo.follow = 1;
  utrace_launch_result lr;
  if (utrace_launch(c, &lo, &lr) < 0) {
    const utrace_error *e = utrace_last_error(c);
    fprintf(stderr, "count_syscalls: cannot start %s: %s (%s)\n", argv[first], e->message,
            strerror(e->errnum));
    utrace_close(c);
    return 127;
  }
  if (lr.untraced) fprintf(stderr, "count_syscalls: %s runs untraced (privileged)\n", argv[first]);
  else utrace_control(c, lr.engine, 0, UTRACE_RESUME); /* held at its exec: let it go */

  utrace_message m;
  int rc;
  while (!lr.untraced && (rc = utrace_next_message(c, -1, &m)) > 0) {
    if (m.kind != UTRACE_MSG_EVENT || m.engine != lr.engine) continue;
    if (m.has_syscall) count(&m);
    if (m.event == UTRACE_EVENT_REAP && m.engine_gone) break;
  }
  if (!lr.untraced && rc < 0)
    fprintf(stderr, "count_syscalls: %s\n", utrace_last_error(c)->message);
  utrace_close(c);

  int status = 0;
  while (waitpid(lr.pid, &status, 0) < 0 && errno == EINTR) {
  }
  qsort(table, (size_t)ntable, sizeof table[0], by_calls);
  unsigned long total = 0, errors = 0;
  fprintf(stderr, "%10s %10s  %s\n", "calls", "errors", "syscall");
  for (int i = 0; i < ntable; i++) {
    fprintf(stderr, "%10lu %10lu  %s\n", table[i].calls, table[i].errors, table[i].name);
    total += table[i].calls;
    errors += table[i].errors;
  }
  fprintf(stderr, "%10lu %10lu  total\n", total, errors);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
