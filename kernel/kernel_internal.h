/*
 * kernel_internal.h -- what the files of kernel/ share; nothing outside kernel/ includes it.
 *
 *   server.c    sockets, the zmq_poll loop, dispatch with busy/idle, send helpers, signals
 *   execute.c   execute_request, abort of queued cells, user_expressions
 *   host.c      the lang_host callbacks: streams, displays (throttled updates), pager, input()
 *   requests.c  kernel_info, complete, inspect, is_complete, history, comm_*, shutdown, interrupt
 *   history.c   the in-memory input/output history and its tail/range/search queries
 *   text.c      UTF-8 repair and code point <-> byte offsets
 *   install.c   kernelspec; logo.c draws the logos
 */
#ifndef NABLA_KERNEL_INTERNAL_H
#define NABLA_KERNEL_INTERNAL_H

#include "kernel/kernel.h"
#include "lang/nabla.h"

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- history.c ------------------------------------------------------------------------------ */

typedef struct kern_hist_entry {
    int line;          /* the execution_count of the cell, 1-based */
    char *input;
    char *output;      /* text/plain of its execute_result, or NULL */
} kern_hist_entry;

typedef struct kern_history {
    kern_hist_entry *items;
    size_t n, cap;
    int session;       /* this kernel's history session number (1) */
} kern_history;

void kern_history_init(kern_history *h);
void kern_history_free(kern_history *h);
/* Appends a cell; copies the strings. Returns 0 or -1 on OOM. */
int kern_history_add(kern_history *h, int line, const char *input, const char *output);
/* Answers a history_request content with the reply's `history` list (new reference). */
json_t *kern_history_query(const kern_history *h, json_t *request);

/* ---- text.c --------------------------------------------------------------------------------- */

/* A malloc'd, NUL-terminated copy of s[0..n) with invalid UTF-8 replaced by U+FFFD. */
char *kern_utf8_repair(const char *s, size_t n);
/* A JSON string for s[0..n), repaired if needed (never NULL unless out of memory). */
json_t *kern_json_text(const char *s, size_t n);
/* Byte offset of code point `cp` in s (clamped to strlen(s)), and the reverse. */
size_t kern_utf8_byte_offset(const char *s, size_t cp);
size_t kern_utf8_cp_offset(const char *s, size_t byte);
/* Length of the longest prefix of s[0..n) that does not end inside a multi-byte sequence. */
size_t kern_utf8_whole_prefix(const char *s, size_t n);
/* Base64 of data[0..n), malloc'd. */
char *kern_base64(const unsigned char *data, size_t n);

/* ---- host.c: buffered output of the running request ----------------------------------------- */

typedef struct kern_stream {
    const char *name;      /* "stdout" or "stderr" */
    char *buf;
    size_t len, cap;
    double since;          /* monotonic time of the oldest unflushed byte */
} kern_stream;

/* A display update held back by the ~10 per second throttle; only the newest is kept. */
typedef struct kern_pending_update {
    char *display_id;      /* NULL: free slot */
    json_t *data;          /* the MIME bundle to send */
    double last_sent;      /* monotonic time of the last update sent for this id */
    int dirty;             /* data not sent yet */
} kern_pending_update;

#define KERN_MAX_PENDING 8
#define KERN_UPDATE_INTERVAL 0.1     /* seconds between two updates of one display */
#define KERN_STREAM_INTERVAL 0.05    /* seconds before buffered print output is sent */
#define KERN_STREAM_MAX (64 * 1024)  /* bytes buffered before print output is sent anyway */

/* The request being executed (srv->exec): everything the host callbacks need. */
typedef struct kern_exec {
    kern_msg *req;             /* the execute_request; its header parents every output */
    int silent;                /* nothing is published */
    int allow_stdin;
    int count;                 /* execution_count for execute_result */
    int input_refused;         /* input() was called without allow_stdin */
    int input_interrupted;     /* input() was interrupted while waiting for the reply */
    json_t *payload;           /* pager payloads of help(x) */
    char *output;              /* text/plain of the last execute_result (history) */
    int capture;               /* evaluating user_expressions: keep the result, drop the rest */
    json_t *captured;          /* the captured result bundle */
} kern_exec;

/* ---- server.c ------------------------------------------------------------------------------- */

struct kern_server {
    void *zctx;                            /* shell, control, stdin, iopub */
    void *shell, *control, *stdin_sock, *iopub;
    void *hb_ctx, *hb;                     /* heartbeat: its own context and thread */
    pthread_t hb_thread;
    int hb_started;

    kern_auth *auth;
    char session[40];                      /* header.session: one UUID per process */
    char username[64];
    unsigned long long n_sent;             /* makes every msg_id unique */

    lang_vm *vm;
    int count;                             /* execution_count of the last stored cell */
    kern_history history;
    kern_exec *exec;                       /* NULL while idle */
    kern_stream out, err;
    kern_pending_update pending[KERN_MAX_PENDING];
    unsigned long long n_display;          /* for fresh display ids */
    char progress_id[48];                  /* the display of the training bar being drawn, or "" */
    unsigned progress_count;

    double last_pump;                      /* last time poll() looked at the control socket */
    pid_t parent_pid;                      /* JPY_PARENT_PID, 0 if unset */
    pid_t first_ppid;                      /* getppid() at start */
    kern_msg *queued;                      /* shell requests taken off the socket when a cell */
    size_t n_queued;                       /* failed with stop_on_error (kern_collect_queued) */
    int stopping;                          /* shutdown requested (or SIGTERM): leave the loop */
    int restart;
};

/* The one interrupt flag of the process (style rule 12), set by SIGINT and interrupt_request;
 * the VM sees it through lang_interrupt(). */
extern volatile sig_atomic_t kern_interrupted;

double kern_now(void);
/* Now as ISO 8601 UTC with microseconds: "2026-01-02T03:04:05.000123Z". */
void kern_iso_date(char out[40]);
/* Receives one multipart message from `sock` (non-blocking if `dontwait`) and decodes it. Returns
 * 1 with *msg filled, 0 when nothing (valid) was there; bad messages are logged and dropped. */
int kern_recv(kern_server *srv, void *sock, int dontwait, kern_msg *msg);
/* Sends msg_type with `content` (stolen reference) to the identities of `req` on `sock`.
 * `metadata` (stolen, may be NULL) defaults to {}. */
int kern_reply(kern_server *srv, void *sock, const kern_msg *req, const char *msg_type,
               json_t *content, json_t *metadata);
/* Publishes msg_type with `content` (stolen) on IOPub; `parent` is a header or NULL for {}. */
int kern_publish(kern_server *srv, json_t *parent, const char *msg_type, json_t *content);
void kern_publish_status(kern_server *srv, json_t *parent, const char *state);
/* Sends input_request on stdin to the identities of `req`. */
int kern_send_stdin(kern_server *srv, const kern_msg *req, json_t *content);
/* Handles one request: busy, handler, idle. `sock` is where replies go. */
void kern_dispatch(kern_server *srv, void *sock, kern_msg *req);
/* Answers whatever is waiting on the control socket (called from poll during a cell). */
void kern_pump_control(kern_server *srv);
/* True once shutdown_request or SIGTERM asked the kernel to exit. */
int kern_stop_requested(const kern_server *srv);
/* True if the process that launched us (JPY_PARENT_PID) is gone. */
int kern_parent_gone(const kern_server *srv);
void kern_log(const char *fmt, ...);

/* ---- host.c --------------------------------------------------------------------------------- */

/* The lang_host whose callbacks publish through srv. */
lang_host kern_host_make(kern_server *srv);
/* Sends buffered print/warn text (both streams, stdout first if it is older). */
void kern_flush_streams(kern_server *srv);
/* Sends held-back display updates; `all` ignores the throttle (end of a cell). */
void kern_flush_updates(kern_server *srv, int all);
/* Drops held-back updates (after a cell, once flushed). */
void kern_clear_updates(kern_server *srv);
/* MIME bundle -> Jupyter `data` dict (new reference). */
json_t *kern_bundle_json(const lang_mime_bundle *b);

/* ---- execute.c / requests.c: handlers ------------------------------------------------------- */

typedef void (*kern_handler)(kern_server *srv, void *sock, kern_msg *req);

void kern_handle_execute(kern_server *srv, void *sock, kern_msg *req);
/* When a cell fails with stop_on_error: takes the requests already queued on shell off the
 * socket, before the failure is replied (so a request sent after the client saw the error is
 * never among them). */
void kern_collect_queued(kern_server *srv);
/* After the failed cell's idle: answers each collected execute_request with status "aborted"
 * (busy/reply/idle) and dispatches the other collected requests normally. */
void kern_answer_queued(kern_server *srv);

/* Returns the handler for msg_type, or NULL (the request then only gets busy/idle). */
kern_handler kern_handler_for(const char *msg_type);

#endif
