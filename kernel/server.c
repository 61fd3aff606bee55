/*
 * server.c -- the sockets and the event loop of the kernel.
 *
 * One thread polls control and shell (control first, so a shutdown or interrupt never waits
 * behind queued cells) and handles one request at a time: busy -> handler -> idle, every
 * output and the reply parented to the request's header. A second thread only echoes heartbeats,
 * with its own ZeroMQ context, so a long cell never looks like a dead kernel. SIGINT sets the
 * interrupt flag (and lang_interrupt); SIGTERM ends the loop. Both handlers only set flags.
 */
#include "kernel/kernel_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

volatile sig_atomic_t kern_interrupted;
static volatile sig_atomic_t terminated;   /* SIGTERM: leave the loop and exit cleanly */

void kern_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("[nabla-kernel] ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

double kern_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- signals -------------------------------------------------------------------------------- */

static void on_sigint(int sig)
{
    (void)sig;
    kern_interrupted = 1;
    lang_interrupt();
}

static void on_sigterm(int sig)
{
    (void)sig;
    terminated = 1;
    lang_interrupt();
}

/* No SA_RESTART: a signal makes zmq_poll return EINTR, which the loop treats as "look again". */
static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_sigterm;
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* ---- headers -------------------------------------------------------------------------------- */

static void make_uuid(char out[40])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        /* Only possible very early at boot; time and pid still make a session id unique here. */
        unsigned long long t = (unsigned long long)(kern_now() * 1e9) ^ (unsigned long long)getpid() << 32;
        for (int i = 0; i < 16; i++) b[i] = (unsigned char)(t >> (8 * (i % 8))) ^ (unsigned char)(i * 37);
    }
    b[6] = (b[6] & 0x0F) | 0x40;   /* version 4 */
    b[8] = (b[8] & 0x3F) | 0x80;   /* variant 1 */
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

/* ISO 8601 in UTC with exactly six fraction digits and a Z (what jupyter_client parses). */
void kern_iso_date(char out[40])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 40 - n, ".%06ldZ", ts.tv_nsec / 1000);
}

static json_t *make_header(kern_server *srv, const char *msg_type)
{
    char id[80], date[40];
    snprintf(id, sizeof id, "%s_%llu", srv->session, ++srv->n_sent);
    kern_iso_date(date);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "msg_id", id, "session", srv->session,
                     "username", srv->username, "date", date, "msg_type", msg_type,
                     "version", KERN_PROTOCOL_VERSION);
}

/* ---- sending and receiving ------------------------------------------------------------------ */

static int send_wire(void *sock, const kern_wire *w)
{
    for (size_t i = 0; i < w->n; i++) {
        int flags = i + 1 < w->n ? ZMQ_SNDMORE : 0;
        while (zmq_send(sock, w->data[i], w->len[i], flags) < 0) {
            if (errno == EINTR) continue;
            kern_log("send failed: %s", zmq_strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Encodes and sends; steals content and metadata. */
static int send_msg(kern_server *srv, void *sock, unsigned char *const *idents, const size_t *lens,
                    size_t n_idents, json_t *parent, const char *msg_type, json_t *content,
                    json_t *metadata)
{
    json_t *header = make_header(srv, msg_type);
    json_t *empty = parent ? NULL : json_object();
    if (!metadata) metadata = json_object();
    int rc = -1;
    char err[160];
    kern_wire w;
    if (!header || !content || !metadata) {
        kern_log("out of memory building %s", msg_type);
    } else if (kern_msg_encode(srv->auth, idents, lens, n_idents, header, parent ? parent : empty,
                               metadata, content, &w, err, sizeof err) != 0) {
        kern_log("cannot encode %s: %s", msg_type, err);
    } else {
        rc = send_wire(sock, &w);
        kern_wire_free(&w);
    }
    json_decref(header);
    json_decref(empty);
    json_decref(metadata);
    json_decref(content);
    return rc;
}

int kern_reply(kern_server *srv, void *sock, const kern_msg *req, const char *msg_type,
               json_t *content, json_t *metadata)
{
    return send_msg(srv, sock, req->ident, req->ident_len, req->n_idents, req->header, msg_type,
                    content, metadata);
}

int kern_send_stdin(kern_server *srv, const kern_msg *req, json_t *content)
{
    return send_msg(srv, srv->stdin_sock, req->ident, req->ident_len, req->n_idents, req->header,
                    "input_request", content, NULL);
}

int kern_publish(kern_server *srv, json_t *parent, const char *msg_type, json_t *content)
{
    /* Topic frame by convention kernel.<session>.<msg_type>; clients subscribe to "". */
    char topic[160];
    snprintf(topic, sizeof topic, "kernel.%s.%s", srv->session, msg_type);
    unsigned char *ids[1] = {(unsigned char *)topic};
    size_t lens[1] = {strlen(topic)};
    return send_msg(srv, srv->iopub, ids, lens, 1, parent, msg_type, content, NULL);
}

void kern_publish_status(kern_server *srv, json_t *parent, const char *state)
{
    kern_publish(srv, parent, "status", json_pack("{s:s}", "execution_state", state));
}

int kern_recv(kern_server *srv, void *sock, int dontwait, kern_msg *msg)
{
    zmq_msg_t parts[KERN_MAX_FRAMES];
    kern_frame frames[KERN_MAX_FRAMES];
    size_t n = 0;
    int more = 1, got = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc = zmq_msg_recv(&m, sock, (dontwait || n > 0) ? ZMQ_DONTWAIT : 0);
        if (rc < 0) {
            zmq_msg_close(&m);
            if (errno == EINTR && n > 0) continue;   /* finish a started message */
            break;
        }
        more = zmq_msg_more(&m);
        if (n < KERN_MAX_FRAMES) parts[n++] = m;
        else zmq_msg_close(&m);                     /* excess buffers: dropped */
        if (!more) got = 1;
    }
    if (got) {
        for (size_t i = 0; i < n; i++) {
            frames[i].data = zmq_msg_data(&parts[i]);
            frames[i].len = zmq_msg_size(&parts[i]);
        }
        char err[200];
        if (kern_msg_decode(srv->auth, frames, n, msg, err, sizeof err) != 0) {
            kern_log("dropped a message (never executed): %s", err);
            got = 0;
        }
    }
    for (size_t i = 0; i < n; i++) zmq_msg_close(&parts[i]);
    return got;
}

/* ---- dispatch ------------------------------------------------------------------------------- */

void kern_dispatch(kern_server *srv, void *sock, kern_msg *req)
{
    kern_publish_status(srv, req->header, "busy");
    kern_handler h = kern_handler_for(req->msg_type);
    if (h) h(srv, sock, req);
    else kern_log("no handler for %s (answered with busy/idle only)", req->msg_type);
    kern_publish_status(srv, req->header, "idle");
    /* After idle, so the failed cell is finished before the queued ones are answered. */
    if (srv->n_queued) kern_answer_queued(srv);
}

static void serve_one(kern_server *srv, void *sock)
{
    kern_msg req;
    if (!kern_recv(srv, sock, 1, &req)) return;
    kern_dispatch(srv, sock, &req);
    kern_msg_free(&req);
}

void kern_pump_control(kern_server *srv)
{
    kern_msg req;
    while (kern_recv(srv, srv->control, 1, &req)) {
        kern_dispatch(srv, srv->control, &req);
        kern_msg_free(&req);
    }
    if (terminated) srv->stopping = 1;
}

int kern_stop_requested(const kern_server *srv)
{
    return srv->stopping || terminated;
}

/* Like ipykernel's ParentPollerUnix: the launcher passes its pid in JPY_PARENT_PID. We are
 * orphaned when our parent changes (we were reparented), or, when a wrapper started us, when
 * the launcher's pid no longer exists. An orphan exits instead of holding ports and memory. */
int kern_parent_gone(const kern_server *srv)
{
    if (srv->parent_pid <= 0) return 0;
    if (getppid() != srv->first_ppid) return 1;
    return srv->first_ppid != srv->parent_pid && kill(srv->parent_pid, 0) != 0 && errno == ESRCH;
}

int kern_server_run(kern_server *srv)
{
    kern_publish_status(srv, NULL, "starting");
    while (!srv->stopping && !terminated) {
        zmq_pollitem_t items[2] = {{srv->control, 0, ZMQ_POLLIN, 0}, {srv->shell, 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, 2, 1000);
        if (rc < 0) {
            if (errno == EINTR) continue;
            kern_log("poll failed: %s", zmq_strerror(errno));
            return 1;
        }
        if (items[0].revents & ZMQ_POLLIN) serve_one(srv, srv->control);
        else if (items[1].revents & ZMQ_POLLIN) serve_one(srv, srv->shell);
        if (kern_parent_gone(srv)) {
            kern_log("the launching process is gone; exiting");
            return 1;
        }
    }
    return srv->stopping && !terminated ? 0 : 1;
}

/* ---- set-up and tear-down ------------------------------------------------------------------- */

static void *heartbeat_main(void *arg)
{
    void *hb = arg;
    zmq_proxy(hb, hb, NULL);   /* echoes until zmq_ctx_shutdown makes it return (ETERM) */
    int zero = 0;
    zmq_setsockopt(hb, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(hb);
    return NULL;
}

/* Binds with a short retry: on restart the old process may still be releasing the port. */
static int bind_retry(void *sock, const char *addr)
{
    for (int attempt = 0;; attempt++) {
        if (zmq_bind(sock, addr) == 0) return 0;
        if (errno != EADDRINUSE || attempt >= 20) return -1;
        usleep(100 * 1000);
    }
}

static void *open_socket(void *ctx, int type, const kern_conn *conn, int port, int linger,
                         char *err, size_t errcap)
{
    char addr[320];
    kern_conn_address(conn, port, addr, sizeof addr);
    void *s = zmq_socket(ctx, type);
    if (!s) {
        snprintf(err, errcap, "cannot create a socket: %s", zmq_strerror(errno));
        return NULL;
    }
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    int one = 1;
    if (type == ZMQ_ROUTER) zmq_setsockopt(s, ZMQ_ROUTER_HANDOVER, &one, sizeof one);
    if (type == ZMQ_PUB) {
        int hwm = 10000;
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    }
    if (bind_retry(s, addr) != 0) {
        snprintf(err, errcap, "cannot bind %s: %s", addr, zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    return s;
}

static int start_heartbeat(kern_server *srv, const kern_conn *conn, char *err, size_t errcap)
{
    srv->hb_ctx = zmq_ctx_new();
    if (!srv->hb_ctx) { snprintf(err, errcap, "cannot create a ZeroMQ context"); return -1; }
    srv->hb = open_socket(srv->hb_ctx, ZMQ_ROUTER, conn, conn->hb_port, 0, err, errcap);
    if (!srv->hb) return -1;
    /* The echo thread must never take SIGINT/SIGTERM: block them while it is created. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&srv->hb_thread, NULL, heartbeat_main, srv->hb);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errcap, "cannot start the heartbeat thread");
        zmq_close(srv->hb);
        srv->hb = NULL;
        return -1;
    }
    srv->hb_started = 1;
    return 0;
}

static int open_sockets(kern_server *srv, const kern_conn *conn, char *err, size_t errcap)
{
    srv->zctx = zmq_ctx_new();
    if (!srv->zctx) { snprintf(err, errcap, "cannot create a ZeroMQ context"); return -1; }
    if (!(srv->shell = open_socket(srv->zctx, ZMQ_ROUTER, conn, conn->shell_port, 500, err, errcap)) ||
        !(srv->control = open_socket(srv->zctx, ZMQ_ROUTER, conn, conn->control_port, 500, err, errcap)) ||
        !(srv->stdin_sock = open_socket(srv->zctx, ZMQ_ROUTER, conn, conn->stdin_port, 500, err, errcap)) ||
        !(srv->iopub = open_socket(srv->zctx, ZMQ_PUB, conn, conn->iopub_port, 500, err, errcap)))
        return -1;
    return start_heartbeat(srv, conn, err, errcap);
}

kern_server *kern_server_new(const kern_conn *conn, char *err, size_t errcap)
{
    kern_server *srv = calloc(1, sizeof *srv);
    if (!srv) { snprintf(err, errcap, "out of memory"); return NULL; }
    make_uuid(srv->session);
    const char *user = getenv("USER");
    snprintf(srv->username, sizeof srv->username, "%s", user && *user ? user : "nabla");
    kern_history_init(&srv->history);
    srv->out.name = "stdout";
    srv->err.name = "stderr";
    const char *jpy = getenv("JPY_PARENT_PID");
    if (jpy && atoi(jpy) > 0) {
        srv->parent_pid = (pid_t)atoi(jpy);
        srv->first_ppid = getppid();
    }
    if (!(srv->auth = kern_auth_new(conn->signature_scheme, conn->key, err, errcap)) ||
        open_sockets(srv, conn, err, errcap) != 0)
        goto fail;
    lang_host host = kern_host_make(srv);
    if (!(srv->vm = lang_vm_new(&host))) {
        snprintf(err, errcap, "out of memory creating the interpreter");
        goto fail;
    }
    install_signals();
    return srv;
fail:
    kern_server_free(srv);
    return NULL;
}

void kern_server_free(kern_server *srv)
{
    if (!srv) return;
    if (srv->hb_started) {
        zmq_ctx_shutdown(srv->hb_ctx);
        pthread_join(srv->hb_thread, NULL);
    } else if (srv->hb) {
        zmq_close(srv->hb);
    }
    /* zmq_ctx_term may be interrupted by a signal (EINTR); it can simply be called again. */
    while (srv->hb_ctx && zmq_ctx_term(srv->hb_ctx) != 0 && errno == EINTR) {}
    void *socks[4] = {srv->shell, srv->control, srv->stdin_sock, srv->iopub};
    for (int i = 0; i < 4; i++)
        if (socks[i]) zmq_close(socks[i]);
    while (srv->zctx && zmq_ctx_term(srv->zctx) != 0 && errno == EINTR) {}   /* <= 500 ms linger */
    if (srv->vm) lang_vm_free(srv->vm);
    kern_clear_updates(srv);
    for (size_t i = 0; i < srv->n_queued; i++) kern_msg_free(&srv->queued[i]);
    free(srv->queued);
    free(srv->out.buf);
    free(srv->err.buf);
    kern_history_free(&srv->history);
    kern_auth_free(srv->auth);
    free(srv);
}
