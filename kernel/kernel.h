/*
 * kernel.h -- nabla's Jupyter kernel: the ZeroMQ front end of the language (build/nabla-kernel).
 *
 * A Jupyter client (JupyterLab, Notebook, nbclient, jupyter_client) starts the kernel with
 * `nabla-kernel -f CONNECTION_FILE`. The kernel binds five sockets named in that file and
 * speaks the Jupyter messaging protocol 5.3 over them:
 *
 *     shell    ROUTER  requests/replies: execute, complete, inspect, is_complete, history, ...
 *     control  ROUTER  shutdown, interrupt, kernel_info (answered even while a cell runs)
 *     stdin    ROUTER  input_request -> input_reply, for input() when the client allows it
 *     iopub    PUB     status busy/idle, stream, display_data, execute_result, error, ...
 *     hb       ROUTER  raw heartbeat echo (zmq_proxy), on its own thread and ZeroMQ context
 *
 * IOPub is a plain PUB socket, as protocol 5.3 has it: an XPUB with `iopub_welcome` (5.5) would
 * broadcast welcomes to every client, which clients validating against 5.3 reject.
 *
 * Everything else is one single-threaded zmq_poll loop (kern_server_run). A running cell is
 * interrupted by SIGINT (kernelspec interrupt_mode "signal") or by an interrupt_request, both of
 * which only set a flag that the VM sees at its next check (lang_interrupt). While a cell runs,
 * the VM calls the host's poll callback; the kernel uses it to answer the control channel, flush
 * buffered output and send throttled display updates.
 *
 * Usage (what kernel/main.c does):
 *
 *     kern_conn conn;
 *     char err[256];
 *     if (kern_conn_load(&conn, "kernel-123.json", err, sizeof err) != 0) { fputs(err, stderr); ... }
 *     kern_server *srv = kern_server_new(&conn, err, sizeof err);
 *     if (!srv) { fputs(err, stderr); ... }
 *     int rc = kern_server_run(srv);     // returns after shutdown_request, SIGTERM or parent death
 *     kern_server_free(srv);             // closes the sockets: the ports are free again
 *
 *     kern_install(KERN_INSTALL_PREFIX, "/usr/local", NULL, dir, sizeof dir, err, sizeof err);
 *
 * Wire messages (kern_msg_decode / kern_msg_encode) are plain functions over frames so that a
 * fuzz target or a unit test can call them without sockets:
 *
 *     kern_auth *auth = kern_auth_new("hmac-sha256", key, err, sizeof err);  // "" key: no signing
 *     kern_msg msg;
 *     if (kern_msg_decode(auth, frames, n_frames, &msg, err, sizeof err) == 0) {
 *         ... json_string_value(json_object_get(msg.header, "msg_type")) ...
 *         kern_msg_free(&msg);
 *     }
 *
 * Ownership: every object comes in a _new/_free (or _load/_free) pair and the caller owns what a
 * _new returns. A decoded kern_msg owns its identity frames and JSON values (kern_msg_free).
 * Strings returned through `char **` are malloc'd; the caller frees them.
 *
 * Errors: functions return 0 (or a non-NULL pointer) on success, and -1 (or NULL) on failure
 * with a one-line message in the caller's `err` buffer (always NUL-terminated). Nothing a client
 * sends can crash the kernel: a malformed or badly signed message is logged to stderr and dropped.
 */
#ifndef NABLA_KERNEL_H
#define NABLA_KERNEL_H

#include <stddef.h>
#include <jansson.h>

#define KERN_PROTOCOL_VERSION "5.3"
#define KERN_IMPLEMENTATION "nabla-kernel"

/* ---- connection file ------------------------------------------------------------------------ */

/* The parsed connection file (jupyter_client's format; unknown fields are ignored). */
typedef struct kern_conn {
    char transport[16];            /* "tcp" or "ipc" */
    char ip[256];
    int shell_port, control_port, stdin_port, iopub_port, hb_port;
    char signature_scheme[32];     /* "hmac-sha256" (the only one supported) */
    char key[512];                 /* used as raw UTF-8 bytes; "" disables signing */
} kern_conn;

/* Reads and checks the connection file at `path`. */
int kern_conn_load(kern_conn *conn, const char *path, char *err, size_t errcap);

/* Writes the bind address of one port into buf: "tcp://127.0.0.1:5555" or "ipc://path-5555". */
void kern_conn_address(const kern_conn *conn, int port, char *buf, size_t cap);

/* ---- message signing ------------------------------------------------------------------------ */

/* An HMAC signer for one key. An empty key (or scheme "none"/"") means no signing: signatures
 * are sent empty and never checked. */
typedef struct kern_auth kern_auth;

kern_auth *kern_auth_new(const char *scheme, const char *key, char *err, size_t errcap);
void kern_auth_free(kern_auth *auth);

/* Writes the lowercase hex HMAC of the four parts into hex[65] ("" when signing is off).
 * Returns 0, or -1 if the crypto library fails. */
int kern_auth_sign(kern_auth *auth, const unsigned char *const part[4], const size_t len[4],
                   char hex[65]);

/* ---- wire messages ---------------------------------------------------------------------------- */

/* One ZeroMQ frame, not owned. */
typedef struct kern_frame {
    const unsigned char *data;
    size_t len;
} kern_frame;

#define KERN_MAX_IDENTS 16
#define KERN_MAX_FRAMES 64

/* A decoded message. Identities are the routing frames before "<IDS|MSG>", kept verbatim for the
 * reply; the four dicts are always JSON objects; buffers (comms) are ignored. */
typedef struct kern_msg {
    size_t n_idents;
    unsigned char *ident[KERN_MAX_IDENTS];
    size_t ident_len[KERN_MAX_IDENTS];
    json_t *header, *parent, *metadata, *content;
    const char *msg_type;          /* points into header; "" never NULL after a decode */
} kern_msg;

/* Splits `frames` into identities, checks the signature over the raw bytes of the four JSON
 * frames (constant time, before any parsing) and parses them. Fails, with a reason in err, on
 * a missing delimiter, a bad or missing signature, invalid JSON, a non-object dict or a header
 * without msg_type. On failure *msg is left empty (kern_msg_free on it is harmless). */
int kern_msg_decode(kern_auth *auth, const kern_frame *frames, size_t n_frames, kern_msg *msg,
                    char *err, size_t errcap);
void kern_msg_free(kern_msg *msg);

/* An encoded message ready to send: frames[0..n) are malloc'd, free with kern_wire_free. */
typedef struct kern_wire {
    size_t n;
    unsigned char *data[KERN_MAX_IDENTS + 8];
    size_t len[KERN_MAX_IDENTS + 8];
} kern_wire;

/* Serializes the four dicts once, signs exactly those bytes and lays out
 *     idents..., "<IDS|MSG>", signature, header, parent, metadata, content
 * `idents` may be NULL (n_idents 0) or an IOPub topic. Returns 0, or -1 with err. */
int kern_msg_encode(kern_auth *auth, unsigned char *const *idents, const size_t *ident_len,
                    size_t n_idents, json_t *header, json_t *parent, json_t *metadata,
                    json_t *content, kern_wire *out, char *err, size_t errcap);
void kern_wire_free(kern_wire *w);

/* ---- the server ----------------------------------------------------------------------------- */

typedef struct kern_server kern_server;

/* Binds every socket of `conn`, starts the heartbeat thread, creates the interpreter and
 * installs the SIGINT/SIGTERM handlers. NULL with err if a port cannot be bound. */
kern_server *kern_server_new(const kern_conn *conn, char *err, size_t errcap);

/* Serves requests until shutdown_request, SIGTERM, or the death of the launching process
 * (JPY_PARENT_PID). Returns 0 on a requested shutdown, 1 otherwise. */
int kern_server_run(kern_server *srv);

/* Stops the heartbeat, closes the sockets (a short linger flushes the last messages) and frees
 * the interpreter. NULL is allowed. */
void kern_server_free(kern_server *srv);

/* ---- kernelspec ----------------------------------------------------------------------------- */

typedef enum kern_install_mode {
    KERN_INSTALL_SYSTEM = 0,   /* /usr/local/share/jupyter/kernels/nabla (jupyter's default) */
    KERN_INSTALL_USER,         /* $JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter */
    KERN_INSTALL_PREFIX,       /* PREFIX/share/jupyter/kernels/nabla */
    KERN_INSTALL_SYS_PREFIX    /* $CONDA_PREFIX or $VIRTUAL_ENV, else /usr (Debian's sys.prefix) */
} kern_install_mode;

/* Writes kernel.json (argv = [exe, "-f", "{connection_file}"], display name "Nabla", language
 * nabla, interrupt_mode signal) and logo-32x32.png / logo-64x64.png into the kernelspec directory
 * of `mode` (`prefix` is used by KERN_INSTALL_PREFIX only). `exe` is the absolute kernel path; NULL
 * means this process's own executable. The directory written is copied into dir[dircap]. */
int kern_install(kern_install_mode mode, const char *prefix, const char *exe, char *dir,
                 size_t dircap, char *err, size_t errcap);

/* Draws nabla's logo (a blue "nabla" triangle outline on transparent ground) as a size x size
 * RGBA PNG file at `path`. */
int kern_logo_write_png(const char *path, int size, char *err, size_t errcap);

#endif
