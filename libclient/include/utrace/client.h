/* utrace/client.h: the C API of libutrace-client, a client of utraced.
 *
 * Plain C99 over the C++ library (utrace/client_sync.hpp), for C programs and for FFI from
 * any language (Python ctypes, Rust, Go): opaque handles, fixed-size structs of integers and
 * C strings, no C++ type. Link with `pkg-config --cflags --libs utrace-client-c`.
 *
 * Errors: functions returning int give 0 (or a count) on success and a negative errno on
 * failure: the daemon's application errors as they are (-ESRCH, -EPERM, -EINVAL,
 * -EINPROGRESS ...), protocol errors as -EINVAL (bad params), -ENOSYS (unknown method) or
 * -EPROTO, and the library's own as -ECONNREFUSED/-ENOENT (connect), -ECONNRESET (the
 * connection is gone), -ETIMEDOUT, -EBADMSG (a reply of the wrong shape), -ENOMEM. The last
 * error of a client, with the daemon's message, is utrace_last_error(). No function lets a
 * C++ exception out.
 *
 * Threads: a client is used from one thread at a time. Reports and events reach the program
 * two ways, which mix freely:
 *   - callbacks (utrace_on_report, utrace_on_event, utrace_on_notice), called from inside
 *     the library's blocking calls and utrace_run(); a callback may make blocking calls;
 *   - utrace_next_message(): messages no callback takes wait in a queue for it; a sync report
 *     taken this way is answered with utrace_reply_to() (its thread waits until then).
 * For a poll(2) loop: drain with utrace_next_message(c, 0, &m) until it returns 0, then poll
 * utrace_fileno(c) for POLLIN (input already read by the library does not wake poll).
 *
 * Strings in a utrace_message live until the next utrace_next_message() on the client (or,
 * in a callback, until it returns). Engines are named by their daemon-wide id (uint64_t).
 */
#ifndef UTRACE_CLIENT_H
#define UTRACE_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct utrace_client utrace_client; /* one connection to utraced */
typedef uint64_t utrace_engine_id;

/* Resume actions, most restrictive first (utrace's enum utrace_resume_action). */
typedef enum utrace_action {
  UTRACE_STOP = 0,
  UTRACE_INTERRUPT = 1,
  UTRACE_REPORT = 2,
  UTRACE_SINGLESTEP = 3,
  UTRACE_BLOCKSTEP = 4,
  UTRACE_RESUME = 5,
  UTRACE_DETACH = 6
} utrace_action;

/* Event kinds; UTRACE_EVENT_BIT(kind) makes the bit for utrace_attach_options.events. */
typedef enum utrace_event {
  UTRACE_EVENT_QUIESCE = 0,
  UTRACE_EVENT_REAP = 1,
  UTRACE_EVENT_CLONE = 2,
  UTRACE_EVENT_EXEC = 3,
  UTRACE_EVENT_EXIT = 4,
  UTRACE_EVENT_DEATH = 5,
  UTRACE_EVENT_SYSCALL_ENTRY = 6,
  UTRACE_EVENT_SYSCALL_EXIT = 7,
  UTRACE_EVENT_SIGNAL = 8,
  UTRACE_EVENT_SIGNAL_IGN = 9,
  UTRACE_EVENT_SIGNAL_STOP = 10,
  UTRACE_EVENT_SIGNAL_TERM = 11,
  UTRACE_EVENT_SIGNAL_CORE = 12,
  UTRACE_EVENT_JCTL = 13,
  UTRACE_EVENT_BREAKPOINT = 14 /* always sent to the owners of the breakpoint */
} utrace_event;
#define UTRACE_EVENT_BIT(kind) (UINT32_C(1) << (kind))

typedef enum utrace_mode { UTRACE_MODE_ASYNC = 0, UTRACE_MODE_SYNC = 1 } utrace_mode;
typedef enum utrace_scope { UTRACE_SCOPE_THREAD = 0, UTRACE_SCOPE_PROCESS = 1 } utrace_scope;

typedef struct utrace_error {
  int errnum;        /* positive errno: what the failing call returned, negated */
  int code;          /* as received: errno (application error), -326xx (JSON-RPC), -330xx
                        (client-side: connect, connection lost, timeout, bad reply) */
  char method[32];   /* the call that failed, "" if none */
  char message[224]; /* the daemon's or the library's message */
} utrace_error;

/* ---- connection ---------------------------------------------------------------------- */

/* The library's version, "0.2.0". */
const char *utrace_library_version(void);
/* $UTRACED_SOCKET if set, else /run/utraced/utraced.sock. */
const char *utrace_default_socket(void);
/* Connects (path NULL: the default socket). NULL on failure, with *err filled if err. */
utrace_client *utrace_connect(const char *socket_path, utrace_error *err);
/* Closes the connection (the daemon lets every thread of its engines go) and frees c. */
void utrace_close(utrace_client *c);
/* The last error on c (all zero before the first; successes do not clear it). Never NULL:
   for c NULL, an EINVAL "no client". */
const utrace_error *utrace_last_error(const utrace_client *c);
/* Bound on every blocking call (0: none, the default); exceeded: -ETIMEDOUT. */
void utrace_set_call_timeout(utrace_client *c, int timeout_ms);

typedef struct utrace_hello_info {
  char server[32];  /* "utraced" */
  char version[32]; /* the daemon's version */
  int protocol;
  pid_t pid;        /* the daemon's */
  uid_t uid;        /* the daemon's view of our uid */
  uint64_t client;  /* our client id */
} utrace_hello_info;
/* Checks the protocol version; client_name may be NULL; info may be NULL. */
int utrace_hello(utrace_client *c, const char *client_name, utrace_hello_info *info);

/* Raw JSON-RPC call: params_json an object (NULL: {}). On success *result_json (if
   result_json) is the result, to be freed with utrace_free(). */
int utrace_call(utrace_client *c, const char *method, const char *params_json,
                char **result_json);
void utrace_free(void *p);

/* ---- names --------------------------------------------------------------------------- */

const char *utrace_event_name(utrace_event kind);   /* "syscall_entry"; NULL if invalid */
const char *utrace_action_name(utrace_action action); /* "resume"; NULL if invalid */
/* "syscall_entry,exit" -> bits in *mask. -EINVAL for an unknown name or empty list. */
int utrace_parse_events(const char *names, uint32_t *mask);
/* "stop", "resume", ... -> *action. -EINVAL for anything else. */
int utrace_parse_action(const char *name, utrace_action *action);

/* ---- engines ------------------------------------------------------------------------- */

typedef struct utrace_attach_options {
  pid_t target;             /* a thread id, or with UTRACE_SCOPE_PROCESS a process id */
  utrace_scope scope;       /* PROCESS: every thread of the process, later ones too */
  uint32_t events;          /* UTRACE_EVENT_BIT()s ... */
  const char *event_names;  /* ... and/or names: "syscall_entry,death" (NULL: none) */
  utrace_mode mode;
  int concurrent;           /* sync: asked at the start of each pass (PROTOCOL.md) */
  int follow;               /* also children forked/cloned later (like strace -f) */
  const char *syscalls;     /* "openat,close": syscall events only for these (NULL: all) */
  const char *type;         /* engine type, NULL for none */
  const char *data_json;    /* engine data (any JSON), NULL for none */
  int lookup;               /* find an existing engine of ours instead of creating one */
  int exclusive;            /* fail with -EEXIST if a matching engine exists */
  int match_type, match_data; /* match engines by type / data */
} utrace_attach_options;
/* Zeroes *o: async, thread scope, no event. */
void utrace_attach_options_init(utrace_attach_options *o);

typedef struct utrace_attach_result {
  utrace_engine_id engine;
  int created;
  int ntids;        /* threads covered when attached */
  pid_t first_tid;  /* the first of them */
} utrace_attach_result;
int utrace_attach(utrace_client *c, const utrace_attach_options *o, utrace_attach_result *out);
int utrace_set_events(utrace_client *c, utrace_engine_id engine, uint32_t events);
/* tid 0: every thread of the engine. 0, or -EINPROGRESS (stop asked, not yet stopped), ... */
int utrace_control(utrace_client *c, utrace_engine_id engine, pid_t tid, utrace_action action);
int utrace_detach(utrace_client *c, utrace_engine_id engine);
/* timeout_ms 0: the daemon's default. */
int utrace_barrier(utrace_client *c, utrace_engine_id engine, pid_t tid, int timeout_ms);

typedef struct utrace_wait_result {
  int stopped;  /* 1: the engine holds the thread stopped; 0: a report to it was sent */
  pid_t tid;    /* which thread */
} utrace_wait_result;
/* 0, -ESRCH (thread or engine gone), -ETIMEDOUT. out may be NULL. */
int utrace_wait(utrace_client *c, utrace_engine_id engine, pid_t tid, int timeout_ms,
                utrace_wait_result *out);

/* ---- examine (the engine holds the thread, or a report to it is in flight) -------------- */

typedef struct utrace_regs { /* x86-64 struct user_regs_struct */
  uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax,
      rip, cs, eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs;
} utrace_regs;
int utrace_get_regs(utrace_client *c, utrace_engine_id engine, pid_t tid, utrace_regs *regs);
/* Sets every register of *regs. */
int utrace_set_regs(utrace_client *c, utrace_engine_id engine, pid_t tid, const utrace_regs *regs);
/* Sets one register by name ("rax"); -EINVAL for an unknown name. */
int utrace_set_reg(utrace_client *c, utrace_engine_id engine, pid_t tid, const char *name,
                   uint64_t value);
/* Bytes read or written (fewer at unmapped memory), or a negative errno. size 1..1 MiB. */
ssize_t utrace_read_memory(utrace_client *c, utrace_engine_id engine, pid_t tid, uint64_t addr,
                           void *buf, size_t size);
ssize_t utrace_write_memory(utrace_client *c, utrace_engine_id engine, pid_t tid, uint64_t addr,
                            const void *buf, size_t size);

/* ---- starting a program traced from its first instruction (Client::launch) ------------ */

typedef struct utrace_launch_options {
  const char *const *argv;  /* NULL-terminated; argv[0] without '/' is looked up in PATH */
  const char *const *envp;  /* NULL-terminated, NULL: the caller's environment */
  const char *cwd;          /* NULL: the caller's */
  const char *stdin_path, *stdout_path, *stderr_path; /* NULL: inherited */
  int stdin_fd, stdout_fd, stderr_fd;                 /* >= 0: this fd instead (init: -1) */
  uint32_t events;          /* the program's engine ("scope": "process") */
  const char *event_names;
  utrace_mode mode;
  int concurrent, follow;
  const char *syscalls;     /* "openat,close" or NULL */
  int seccomp;              /* with syscalls: a seccomp filter stops only at them */
  int start_timeout_ms;     /* 0: 30000 */
} utrace_launch_options;
void utrace_launch_options_init(utrace_launch_options *o);

typedef struct utrace_launch_result {
  utrace_engine_id engine; /* 0 when untraced */
  pid_t pid;               /* our child: waitpid() it */
  int untraced;            /* 1: made privileged by its exec, runs on untraced */
} utrace_launch_result;
/* The program is held at its exec stop: utrace_control(c, engine, 0, UTRACE_RESUME) runs it. */
int utrace_launch(utrace_client *c, const utrace_launch_options *o, utrace_launch_result *out);

/* ---- reports, events, notices ---------------------------------------------------------- */

typedef enum utrace_message_kind {
  UTRACE_MSG_REPORT = 1, /* sync engine: answer with utrace_reply_to() */
  UTRACE_MSG_EVENT = 2,  /* async engine: nothing to answer */
  UTRACE_MSG_NOTICE = 3  /* notice: engine, tid, pid, reason, message */
} utrace_message_kind;

typedef struct utrace_message {
  utrace_message_kind kind;
  utrace_engine_id engine;
  pid_t tid, pid;
  utrace_event event;
  utrace_action action;     /* the combined action so far in this pass */
  uint64_t seq;
  int has_syscall;          /* syscall_entry/exit */
  int64_t syscall_nr;
  const char *syscall_name; /* "" if unknown */
  uint64_t args[6];         /* at entry */
  int has_retval;           /* syscall_exit */
  int64_t retval;
  int has_status;           /* exit: exit status; death: raw wait status */
  int status;
  int has_exit_code;        /* death by exit */
  int exit_code;
  int signo;                /* signal events, death by signal: else 0 */
  const char *signal_name;  /* "SIGUSR1" or "" */
  int signal_code;
  pid_t child, child_pid;   /* clone: else 0 */
  const char *clone_kind;   /* clone: "thread", "fork", "vfork", "clone"; else "" */
  pid_t former_tid;         /* exec by a non-leader: else 0 */
  const char *path;         /* exec: the program; else "" */
  int resumed;              /* syscall_entry pass run again at the same stop */
  int engine_gone;          /* reap of the engine's last thread */
  int for_event;            /* quiesce: the event it stopped for, or -1 */
  const char *jctl;         /* jctl: "stopped"/"continued"; else "" */
  const char *reason;       /* notice: "credentials", "follow_limit", ...; else "" */
  const char *text;         /* notice: its message; else "" */
  const char *json;         /* the line as received */
  uint64_t token;           /* identifies a report for utrace_reply_to() */
  uint64_t addr;            /* breakpoint: its address (rip is set back to it); else 0 */
  int step;                 /* signal_core SIGTRAP of a step the daemon made; else 0 */
  /* captured memory (attach option "capture") is only in `json` */
} utrace_message;

#define UTRACE_SIGNAL_DELIVER (-1)
typedef struct utrace_reply {
  utrace_action action;
  int set_signal, signal; /* signal reports: UTRACE_SIGNAL_DELIVER, 0 (ignore) or a signo */
  int set_abort, abort;   /* syscall_entry: skip the syscall */
  int set_retval;         /* syscall_entry with abort, or syscall_exit: the return value */
  int64_t retval;
} utrace_reply;
/* {UTRACE_RESUME, nothing else set}. */
void utrace_reply_init(utrace_reply *r);

/* Waits up to timeout_ms (-1: forever, 0: no wait) for a message no callback takes.
   1 with *msg filled, 0 when none came in time, negative errno (-ECONNRESET: the daemon
   closed the connection, once every queued message has been returned). */
int utrace_next_message(utrace_client *c, int timeout_ms, utrace_message *msg);
/* Answers a report from utrace_next_message(). -ENOENT if it is not one waiting for an
   answer (an event, or answered already). */
int utrace_reply_to(utrace_client *c, const utrace_message *report, const utrace_reply *reply);
int utrace_reply_action(utrace_client *c, const utrace_message *report, utrace_action action);
/* The socket, for poll(2); -1 when closed. */
int utrace_fileno(const utrace_client *c);

/* Report callback: returns the action; may set reply's signal/abort/retval fields. */
typedef utrace_action (*utrace_report_fn)(utrace_client *c, const utrace_message *m,
                                          utrace_reply *reply, void *user);
typedef void (*utrace_event_fn)(utrace_client *c, const utrace_message *m, void *user);
/* By engine id, or 0 for every engine without its own; fn NULL removes it. */
int utrace_on_report(utrace_client *c, utrace_engine_id engine, utrace_report_fn fn, void *user);
int utrace_on_event(utrace_client *c, utrace_engine_id engine, utrace_event_fn fn, void *user);
int utrace_on_notice(utrace_client *c, utrace_event_fn fn, void *user);
/* Dispatches to the callbacks for timeout_ms (-1: until the connection ends). 0, or a
   negative errno (-ECONNRESET when the daemon closed the connection). */
int utrace_run(utrace_client *c, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* UTRACE_CLIENT_H */
