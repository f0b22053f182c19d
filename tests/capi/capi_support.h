/* Helpers of the C API tests (compiled as C): a private utraced on a temporary socket, and
 * CHECK macros that print the line and the client's last error. */
#ifndef CAPI_SUPPORT_H
#define CAPI_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include <utrace/client.h>

struct test_daemon {
  pid_t pid;
  char dir[64];
  char socket[96];
};

/* Starts $UTRACED_BIN (or argv_daemon) on DIR/utraced.sock; exits the test on failure. */
void daemon_start(struct test_daemon *d, const char *utraced);
/* SIGTERM, and the daemon's exit status (0 expected); removes the directory. */
int daemon_stop(struct test_daemon *d);

/* Connects or exits the test. */
utrace_client *must_connect(const struct test_daemon *d);

extern int failures;

#define CHECK(cond)                                                             \
  do {                                                                          \
    if (!(cond)) {                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                               \
    }                                                                           \
  } while (0)

/* A call on c that must return >= 0; prints the last error otherwise. */
#define CHECK_OK(c, expr)                                                                   \
  do {                                                                                      \
    long long rc_ = (long long)(expr);                                                      \
    if (rc_ < 0) {                                                                          \
      const utrace_error *e_ = utrace_last_error(c);                                        \
      fprintf(stderr, "%s:%d: %s = %lld (%s: %s)\n", __FILE__, __LINE__, #expr, rc_,        \
              e_ ? e_->method : "?", e_ ? e_->message : "?");                               \
      failures++;                                                                           \
    }                                                                                       \
  } while (0)

#define CHECK_EQ(expr, want)                                                                  \
  do {                                                                                        \
    long long got_ = (long long)(expr), want_ = (long long)(want);                            \
    if (got_ != want_) {                                                                      \
      fprintf(stderr, "%s:%d: %s = %lld, expected %lld\n", __FILE__, __LINE__, #expr, got_,   \
              want_);                                                                         \
      failures++;                                                                             \
    }                                                                                         \
  } while (0)

#endif
