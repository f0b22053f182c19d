/* The C API (utrace/client.h) against a real utraced, compiled as C: poll-style sync reports
 * with registers and memory (a program's exit code changed at its exit_group), callbacks
 * with a reply that aborts a syscall, events through poll(2) on utrace_fileno, attach /
 * control / wait / barrier / detach on a forked child, bad input, and the daemon's end.
 * Prints "capi: N failures" and exits 0 only when there are none. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capi_support.h"

static int wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

/* A sync engine held at exit_group: read registers and the stack, change rdi (the exit
 * code) with set_reg, answer from outside the dispatch (utrace_next_message + reply_to). */
static void test_sync_poll(utrace_client *c) {
  const char *argv[] = {"/bin/sh", "-c", "exit 7", NULL};
  utrace_launch_options lo;
  utrace_launch_options_init(&lo);
  lo.argv = argv;
  lo.event_names = "syscall_entry,death,reap";
  lo.mode = UTRACE_MODE_SYNC;
  lo.syscalls = "exit_group";
  utrace_launch_result lr;
  CHECK_OK(c, utrace_launch(c, &lo, &lr));
  CHECK(lr.engine != 0 && lr.pid > 0 && !lr.untraced);
  CHECK_OK(c, utrace_control(c, lr.engine, 0, UTRACE_RESUME));
  int saw_entry = 0, saw_death = 0, gone = 0;
  utrace_message m;
  while (!gone) {
    int rc = utrace_next_message(c, 10000, &m);
    CHECK_EQ(rc, 1);
    if (rc != 1) break;
    if (m.engine != lr.engine) continue;
    if (m.event == UTRACE_EVENT_SYSCALL_ENTRY) {
      saw_entry++;
      CHECK_EQ(m.kind, UTRACE_MSG_REPORT);
      CHECK(m.has_syscall && strcmp(m.syscall_name, "exit_group") == 0);
      CHECK_EQ(m.args[0], 7);
      CHECK(strstr(m.json, "\"exit_group\"") != NULL);
      utrace_regs regs;
      CHECK_OK(c, utrace_get_regs(c, m.engine, m.tid, &regs));
      CHECK_EQ(regs.orig_rax, 231);
      CHECK_EQ(regs.rdi, 7);
      unsigned char stack[8];
      CHECK_EQ(utrace_read_memory(c, m.engine, m.tid, regs.rsp, stack, sizeof stack), 8);
      CHECK_OK(c, utrace_set_reg(c, m.engine, m.tid, "rdi", 9));
      CHECK_EQ(utrace_set_reg(c, m.engine, m.tid, "no_such_reg", 1), -EINVAL);
      utrace_regs again;
      CHECK_OK(c, utrace_get_regs(c, m.engine, m.tid, &again));
      CHECK_EQ(again.rdi, 9);
      CHECK_OK(c, utrace_set_regs(c, m.engine, m.tid, &again)); /* all of them, unchanged */
      CHECK_OK(c, utrace_reply_action(c, &m, UTRACE_RESUME));
      CHECK_EQ(utrace_reply_action(c, &m, UTRACE_RESUME), -ENOENT); /* answered already */
    } else if (m.event == UTRACE_EVENT_DEATH) {
      saw_death++;
      CHECK(m.has_exit_code && m.exit_code == 9);
      if (m.kind == UTRACE_MSG_REPORT) CHECK_OK(c, utrace_reply_action(c, &m, UTRACE_RESUME));
    } else if (m.event == UTRACE_EVENT_REAP && m.engine_gone) {
      gone = 1;
    }
  }
  CHECK_EQ(saw_entry, 1);
  CHECK_EQ(saw_death, 1);
  int status = wait_child(lr.pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 9);
}

struct abort_state {
  int reports, reaped;
};

static utrace_action abort_kill(utrace_client *c, const utrace_message *m, utrace_reply *reply,
                                void *user) {
  struct abort_state *s = user;
  (void)c;
  if (m->event == UTRACE_EVENT_SYSCALL_ENTRY && strcmp(m->syscall_name, "kill") == 0) {
    s->reports++;
    reply->set_abort = 1;
    reply->abort = 1;
    reply->set_retval = 1;
    reply->retval = -EPERM;
  }
  return UTRACE_RESUME;
}

static void note_reap(utrace_client *c, const utrace_message *m, void *user) {
  (void)c;
  if (m->event == UTRACE_EVENT_REAP && m->engine_gone) ((struct abort_state *)user)->reaped = 1;
}

/* Callbacks: the report callback skips the shell's kill(2) and makes it fail with EPERM. */
static void test_callbacks(utrace_client *c) {
  const char *argv[] = {"/bin/sh", "-c", "kill -0 $$ 2>/dev/null && exit 4 || exit 5", NULL};
  struct abort_state s = {0, 0};
  CHECK_OK(c, utrace_on_report(c, 0, abort_kill, &s));
  CHECK_OK(c, utrace_on_event(c, 0, note_reap, &s));
  utrace_launch_options lo;
  utrace_launch_options_init(&lo);
  lo.argv = argv;
  lo.events = UTRACE_EVENT_BIT(UTRACE_EVENT_SYSCALL_ENTRY) | UTRACE_EVENT_BIT(UTRACE_EVENT_REAP);
  lo.mode = UTRACE_MODE_SYNC;
  lo.syscalls = "kill";
  utrace_launch_result lr;
  CHECK_OK(c, utrace_launch(c, &lo, &lr));
  CHECK_OK(c, utrace_control(c, lr.engine, 0, UTRACE_RESUME));
  for (int i = 0; i < 100 && !s.reaped; i++) CHECK_OK(c, utrace_run(c, 100));
  CHECK_EQ(s.reaped, 1);
  CHECK_EQ(s.reports, 1);
  int status = wait_child(lr.pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5);
  CHECK_OK(c, utrace_on_report(c, 0, NULL, NULL));
  CHECK_OK(c, utrace_on_event(c, 0, NULL, NULL));
}

/* An async engine's events through poll(2) on utrace_fileno. */
static void test_poll_events(utrace_client *c) {
  const char *argv[] = {"/bin/sh", "-c", "exit 0", NULL};
  utrace_launch_options lo;
  utrace_launch_options_init(&lo);
  lo.argv = argv;
  lo.event_names = "syscall_exit,reap";
  utrace_launch_result lr;
  CHECK_OK(c, utrace_launch(c, &lo, &lr));
  CHECK_OK(c, utrace_control(c, lr.engine, 0, UTRACE_RESUME));
  int exits = 0, gone = 0, polls = 0;
  time_t deadline = time(NULL) + 20;
  while (!gone && time(NULL) < deadline) {
    utrace_message m;
    int rc;
    while (!gone && (rc = utrace_next_message(c, 0, &m)) == 1) {
      CHECK_EQ(m.kind, UTRACE_MSG_EVENT);
      if (m.event == UTRACE_EVENT_SYSCALL_EXIT) exits++;
      if (m.event == UTRACE_EVENT_REAP && m.engine_gone) gone = 1;
    }
    CHECK(rc >= 0);
    if (gone || rc < 0) break;
    struct pollfd p = {utrace_fileno(c), POLLIN, 0};
    CHECK(p.fd >= 0);
    if (poll(&p, 1, 200) > 0) polls++;
  }
  CHECK_EQ(gone, 1);
  CHECK(exits > 0);
  CHECK(polls > 0);
  wait_child(lr.pid);
}

/* attach to a running child, stop it, wait, examine, barrier, resume, detach. */
static void test_attach_control(utrace_client *c) {
  pid_t child = fork();
  if (child == 0) {
    for (;;) {
      struct timespec ts = {0, 2000000};
      nanosleep(&ts, NULL);
    }
  }
  utrace_attach_options o;
  utrace_attach_options_init(&o);
  o.target = child;
  o.scope = UTRACE_SCOPE_PROCESS;
  o.event_names = "death";
  utrace_attach_result r;
  CHECK_OK(c, utrace_attach(c, &o, &r));
  CHECK(r.created && r.ntids == 1 && r.first_tid == child);
  int rc = utrace_control(c, r.engine, 0, UTRACE_STOP);
  CHECK(rc == 0 || rc == -EINPROGRESS);
  utrace_wait_result w;
  CHECK_OK(c, utrace_wait(c, r.engine, 0, 5000, &w));
  CHECK(w.stopped == 1 && w.tid == child);
  utrace_regs regs;
  CHECK_OK(c, utrace_get_regs(c, r.engine, child, &regs));
  CHECK(regs.rip != 0 && regs.rsp != 0);
  CHECK_OK(c, utrace_barrier(c, r.engine, 0, 5000));
  CHECK_OK(c, utrace_control(c, r.engine, 0, UTRACE_RESUME));
  CHECK_EQ(utrace_get_regs(c, r.engine, child, &regs), -EINVAL); /* no longer held */
  CHECK_EQ(utrace_last_error(c)->errnum, EINVAL);
  CHECK_OK(c, utrace_detach(c, r.engine));
  CHECK_EQ(utrace_detach(c, r.engine), -ESRCH);
  CHECK_EQ(utrace_last_error(c)->errnum, ESRCH);
  CHECK(strcmp(utrace_last_error(c)->method, "control") == 0);
  CHECK(utrace_last_error(c)->message[0] != '\0');
  kill(child, SIGKILL);
  wait_child(child);
}

static void test_bad_input(utrace_client *c) {
  utrace_attach_options o;
  utrace_attach_options_init(&o);
  utrace_attach_result r;
  CHECK_EQ(utrace_attach(c, NULL, &r), -EINVAL);
  CHECK_EQ(utrace_attach(c, &o, &r), -EINVAL); /* no target */
  o.target = getpid();
  o.event_names = "syscall_entry,bogus";
  CHECK_EQ(utrace_attach(c, &o, &r), -EINVAL);
  CHECK(strstr(utrace_last_error(c)->message, "bogus") != NULL);
  o.event_names = NULL;
  o.events = UINT32_C(1) << 30;
  CHECK_EQ(utrace_attach(c, &o, &r), -EINVAL);
  o.events = 0;
  o.data_json = "{not json";
  CHECK_EQ(utrace_attach(c, &o, &r), -EINVAL);
  CHECK_EQ(utrace_control(c, 1, 0, (utrace_action)42), -EINVAL);
  CHECK_EQ(utrace_control(c, 999999999, 0, UTRACE_RESUME), -ESRCH);
  char buf[8];
  CHECK_EQ(utrace_read_memory(c, 1, 0, 0, buf, 0), -EINVAL);
  CHECK_EQ(utrace_read_memory(c, 1, 0, 0, NULL, 8), -EINVAL);
  CHECK_EQ(utrace_get_regs(c, 1, 0, NULL), -EINVAL);
  CHECK_EQ(utrace_next_message(c, 0, NULL), -EINVAL);
  CHECK_EQ(utrace_hello(NULL, NULL, NULL), -EINVAL);
  CHECK(utrace_last_error(NULL) != NULL && utrace_last_error(NULL)->errnum == EINVAL);
  CHECK_EQ(utrace_fileno(NULL), -1);
  utrace_close(NULL);
  CHECK_EQ(utrace_call(c, "no_such_method", NULL, NULL), -ENOSYS);
  CHECK_EQ(utrace_call(c, "stats", "[1,2]", NULL), -EINVAL);
  CHECK_EQ(utrace_call(c, "stats", "{bad", NULL), -EINVAL);
  char *json = NULL;
  CHECK_OK(c, utrace_call(c, "stats", "{}", &json));
  CHECK(json && json[0] == '{');
  utrace_free(json);
  const char *argv_none[] = {NULL};
  utrace_launch_options lo;
  utrace_launch_options_init(&lo);
  utrace_launch_result lr;
  CHECK_EQ(utrace_launch(c, &lo, &lr), -EINVAL);
  lo.argv = argv_none;
  CHECK_EQ(utrace_launch(c, &lo, &lr), -EINVAL);
  const char *argv_missing[] = {"/nonexistent/program", NULL};
  lo.argv = argv_missing;
  lo.event_names = "exec";
  CHECK_EQ(utrace_launch(c, &lo, &lr), -ENOENT);
  utrace_message fake;
  memset(&fake, 0, sizeof fake);
  fake.kind = UTRACE_MSG_REPORT;
  fake.token = 12345;
  CHECK_EQ(utrace_reply_action(c, &fake, UTRACE_RESUME), -ENOENT);

  uint32_t mask = 0;
  CHECK_EQ(utrace_parse_events("syscall_entry, exit", &mask), 0);
  CHECK_EQ(mask, UTRACE_EVENT_BIT(UTRACE_EVENT_SYSCALL_ENTRY) | UTRACE_EVENT_BIT(UTRACE_EVENT_EXIT));
  CHECK_EQ(utrace_parse_events("nope", &mask), -EINVAL);
  CHECK_EQ(utrace_parse_events("", &mask), -EINVAL);
  utrace_action a;
  CHECK_EQ(utrace_parse_action("stop", &a), 0);
  CHECK_EQ(a, UTRACE_STOP);
  CHECK_EQ(utrace_parse_action("halt", &a), -EINVAL);
  CHECK(strcmp(utrace_event_name(UTRACE_EVENT_JCTL), "jctl") == 0);
  CHECK(utrace_event_name((utrace_event)99) == NULL);
  CHECK(strcmp(utrace_action_name(UTRACE_DETACH), "detach") == 0);
}

int main(void) {
  const char *utraced = getenv("UTRACED_BIN");
  if (!utraced || !*utraced) utraced = "build/daemon/utraced";
  signal(SIGPIPE, SIG_IGN);

  utrace_error err;
  CHECK(utrace_connect("/nonexistent/dir/utraced.sock", &err) == NULL);
  CHECK(err.errnum == ENOENT || err.errnum == ECONNREFUSED);
  CHECK(strcmp(err.method, "connect") == 0 && err.message[0] != '\0');
  CHECK(strcmp(utrace_library_version(), "0.2.0") >= 0);

  struct test_daemon d;
  daemon_start(&d, utraced);
  utrace_client *c = must_connect(&d);
  utrace_hello_info info;
  CHECK_OK(c, utrace_hello(c, "test_capi", &info));
  CHECK(strcmp(info.server, "utraced") == 0);
  CHECK(info.protocol >= 1 && info.pid == d.pid && info.client > 0);

  test_sync_poll(c);
  test_callbacks(c);
  test_poll_events(c);
  test_attach_control(c);
  test_bad_input(c);

  utrace_message m;
  int status = daemon_stop(&d);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_EQ(utrace_next_message(c, 5000, &m), -ECONNRESET);
  CHECK_EQ(utrace_control(c, 1, 0, UTRACE_RESUME), -ECONNRESET);
  utrace_close(c);

  printf("capi: %d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
