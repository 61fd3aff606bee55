/*
 * host.c -- the lang_host of the kernel: what a running cell shows becomes IOPub messages.
 *
 *   print / warn        buffered, then one `stream` message (stdout / stderr) per burst: sent
 *                       when the other stream or any other output comes, after 50 ms, at 64 KB,
 *                       and before the reply. So "hello, world" is never split, output keeps its
 *                       order, and a loop of prints cannot flood IOPub.
 *   result              `execute_result` (text/plain plus richer types)
 *   display             `display_data`, with transient.display_id when the program names one
 *   update_display      `update_display_data`, at most one per 100 ms per display id: between
 *                       two sends only the newest bundle is kept; the last one always goes out
 *                       before the reply (a notebook saved headlessly shows the final frame)
 *   clear_output        `clear_output`
 *   page                a pager payload in the execute_reply (IPython's `?`)
 *   input               `input_request` on stdin when allow_stdin, else a refusal
 *   poll                answers control, flushes due output, reports interrupts
 */
#include "kernel/kernel_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* Outputs are published only inside a non-silent request and not while evaluating
 * user_expressions. */
static int publishing(const kern_server *srv)
{
    return srv->exec && !srv->exec->silent && !srv->exec->capture;
}

static json_t *parent_of(kern_server *srv)
{
    return srv->exec ? srv->exec->req->header : NULL;
}

/* ---- streams -------------------------------------------------------------------------------- */

/* Sends the buffered text; unless `all`, a multi-byte character cut at the end waits. */
static void flush_stream(kern_server *srv, kern_stream *s, int all)
{
    if (s->len == 0) return;
    size_t n = all ? s->len : kern_utf8_whole_prefix(s->buf, s->len);
    if (n == 0) return;
    json_t *text = kern_json_text(s->buf, n);
    if (publishing(srv) && text)
        kern_publish(srv, parent_of(srv), "stream", json_pack("{s:s,s:o}", "name", s->name, "text", text));
    else
        json_decref(text);
    memmove(s->buf, s->buf + n, s->len - n);
    s->len -= n;
    s->since = kern_now();
}

void kern_flush_streams(kern_server *srv)
{
    flush_stream(srv, &srv->out, 1);
    flush_stream(srv, &srv->err, 1);
}

static void stream_write(kern_server *srv, kern_stream *s, const char *text, size_t n)
{
    if (!publishing(srv) || n == 0) return;
    kern_stream *other = s == &srv->out ? &srv->err : &srv->out;
    flush_stream(srv, other, 1);           /* keep stdout/stderr interleaving */
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n) cap *= 2;
        char *buf = realloc(s->buf, cap);
        if (!buf) return;                  /* out of memory: this output is lost, not the kernel */
        s->buf = buf;
        s->cap = cap;
    }
    double now = kern_now();
    if (s->len == 0) s->since = now;
    memcpy(s->buf + s->len, text, n);
    s->len += n;
    if (s->len >= KERN_STREAM_MAX || now - s->since >= KERN_STREAM_INTERVAL) flush_stream(srv, s, 0);
}

static void host_print(void *ud, const char *text, size_t n)
{
    kern_server *srv = ud;
    stream_write(srv, &srv->out, text, n);
}

static void host_warn(void *ud, const char *text, size_t n)
{
    kern_server *srv = ud;
    stream_write(srv, &srv->err, text, n);
}

/* ---- MIME bundles --------------------------------------------------------------------------- */

static void set_text(json_t *data, const char *mime, const char *text)
{
    if (text) json_object_set_new(data, mime, kern_json_text(text, strlen(text)));
}

json_t *kern_bundle_json(const lang_mime_bundle *b)
{
    json_t *data = json_object();
    if (!data) return NULL;
    set_text(data, "text/plain", b->text_plain ? b->text_plain : "");
    set_text(data, "text/html", b->text_html);
    set_text(data, "text/markdown", b->text_markdown);
    set_text(data, "image/svg+xml", b->image_svg);
    if (b->image_png && b->image_png_len) {
        char *b64 = kern_base64(b->image_png, b->image_png_len);
        if (b64) json_object_set_new(data, "image/png", json_string_nocheck(b64));
        free(b64);
    }
    return data;
}

static void host_result(void *ud, const lang_mime_bundle *b)
{
    kern_server *srv = ud;
    kern_exec *ex = srv->exec;
    if (!ex) return;
    if (ex->capture) {
        json_decref(ex->captured);
        ex->captured = kern_bundle_json(b);
        return;
    }
    if (ex->silent) return;
    kern_flush_streams(srv);
    free(ex->output);
    ex->output = strdup(b->text_plain ? b->text_plain : "");
    kern_publish(srv, parent_of(srv), "execute_result",
                 json_pack("{s:i,s:o,s:{}}", "execution_count", ex->count, "data",
                           kern_bundle_json(b), "metadata"));
}

/* ---- displays and throttled updates --------------------------------------------------------- */

static void send_display(kern_server *srv, const char *type, json_t *data, const char *id)
{
    json_t *content = json_pack("{s:o,s:{}}", "data", data, "metadata");
    if (content && id) json_object_set_new(content, "transient", json_pack("{s:s}", "display_id", id));
    kern_publish(srv, parent_of(srv), type, content);
}

static kern_pending_update *find_slot(kern_server *srv, const char *id)
{
    for (int i = 0; i < KERN_MAX_PENDING; i++)
        if (srv->pending[i].display_id && strcmp(srv->pending[i].display_id, id) == 0)
            return &srv->pending[i];
    return NULL;
}

static void send_pending(kern_server *srv, kern_pending_update *p, double now)
{
    if (p->dirty && p->data) {
        kern_flush_streams(srv);
        send_display(srv, "update_display_data", p->data, p->display_id);
        p->data = NULL;
    }
    p->dirty = 0;
    p->last_sent = now;
}

/* A slot for a new display id: a free one, else the least recently sent (flushed first). */
static kern_pending_update *new_slot(kern_server *srv, const char *id, double now)
{
    kern_pending_update *best = &srv->pending[0];
    for (int i = 0; i < KERN_MAX_PENDING; i++) {
        kern_pending_update *p = &srv->pending[i];
        if (!p->display_id) { best = p; break; }
        if (p->last_sent < best->last_sent) best = p;
    }
    if (best->display_id) {
        send_pending(srv, best, now);
        free(best->display_id);
    }
    best->display_id = strdup(id);
    best->data = NULL;
    best->dirty = 0;
    best->last_sent = -1e9;
    return best->display_id ? best : NULL;
}

static void host_display(void *ud, const lang_mime_bundle *b, const char *display_id)
{
    kern_server *srv = ud;
    if (!publishing(srv)) return;
    kern_flush_streams(srv);
    if (display_id) {
        /* A new display of this id supersedes any update still held back for it. */
        kern_pending_update *p = find_slot(srv, display_id);
        if (p) { json_decref(p->data); p->data = NULL; p->dirty = 0; }
    }
    send_display(srv, "display_data", kern_bundle_json(b), display_id);
}

static void host_update_display(void *ud, const lang_mime_bundle *b, const char *display_id)
{
    kern_server *srv = ud;
    if (!display_id) { host_display(ud, b, NULL); return; }
    if (!publishing(srv)) return;
    double now = kern_now();
    kern_pending_update *p = find_slot(srv, display_id);
    if (!p) p = new_slot(srv, display_id, now);
    if (!p) return;
    json_decref(p->data);
    p->data = kern_bundle_json(b);
    p->dirty = 1;
    if (now - p->last_sent >= KERN_UPDATE_INTERVAL) send_pending(srv, p, now);
}

void kern_flush_updates(kern_server *srv, int all)
{
    double now = kern_now();
    for (int i = 0; i < KERN_MAX_PENDING; i++) {
        kern_pending_update *p = &srv->pending[i];
        if (p->display_id && p->dirty && (all || now - p->last_sent >= KERN_UPDATE_INTERVAL))
            send_pending(srv, p, now);
    }
}

void kern_clear_updates(kern_server *srv)
{
    for (int i = 0; i < KERN_MAX_PENDING; i++) {
        kern_pending_update *p = &srv->pending[i];
        free(p->display_id);
        json_decref(p->data);
        memset(p, 0, sizeof *p);
    }
}

static void host_clear_output(void *ud, int wait)
{
    kern_server *srv = ud;
    if (!publishing(srv)) return;
    kern_flush_updates(srv, 1);
    kern_flush_streams(srv);
    kern_publish(srv, parent_of(srv), "clear_output", json_pack("{s:b}", "wait", wait != 0));
}

static void host_page(void *ud, const char *text)
{
    kern_server *srv = ud;
    if (!srv->exec || srv->exec->capture || !text) return;
    json_t *page = json_pack("{s:s,s:{s:o},s:i}", "source", "page", "data", "text/plain",
                             kern_json_text(text, strlen(text)), "start", 0);
    if (page) json_array_append_new(srv->exec->payload, page);
}

/* ---- input() over the stdin channel --------------------------------------------------------- */

/* Waits for the input_reply, answering control meanwhile. 1 = got a line, 0 = keep waiting,
 * -1 = give up (interrupt, shutdown, lost parent). */
static int wait_input_reply(kern_server *srv, char **line)
{
    if (kern_interrupted || kern_stop_requested(srv) || kern_parent_gone(srv)) return -1;
    zmq_pollitem_t items[2] = {{srv->stdin_sock, 0, ZMQ_POLLIN, 0}, {srv->control, 0, ZMQ_POLLIN, 0}};
    if (zmq_poll(items, 2, 100) <= 0) return 0;    /* timeout or EINTR: look at the flags again */
    if (items[1].revents & ZMQ_POLLIN) kern_pump_control(srv);
    kern_msg msg;
    if (!(items[0].revents & ZMQ_POLLIN) || !kern_recv(srv, srv->stdin_sock, 1, &msg)) return 0;
    int got = 0;
    if (strcmp(msg.msg_type, "input_reply") == 0) {
        const char *value = json_string_value(json_object_get(msg.content, "value"));
        if (!value || strcmp(value, "\x04") == 0) got = -1;   /* "\x04" is EOF (Ctrl-D) */
        else got = (*line = strdup(value)) ? 1 : -1;
    }
    kern_msg_free(&msg);
    return got;
}

static int host_input(void *ud, const char *prompt, char **line)
{
    kern_server *srv = ud;
    kern_exec *ex = srv->exec;
    *line = NULL;
    if (!ex || ex->capture || !ex->allow_stdin) {
        if (ex) ex->input_refused = 1;
        return -1;
    }
    kern_flush_updates(srv, 1);
    kern_flush_streams(srv);
    kern_msg stale;
    while (kern_recv(srv, srv->stdin_sock, 1, &stale)) kern_msg_free(&stale);
    json_t *content = json_pack("{s:o,s:b}", "prompt", kern_json_text(prompt ? prompt : "", prompt ? strlen(prompt) : 0),
                                "password", 0);
    if (kern_send_stdin(srv, ex->req, content) != 0) return -1;
    int rc;
    while ((rc = wait_input_reply(srv, line)) == 0) {}
    if (rc < 0 && (kern_interrupted || kern_stop_requested(srv))) ex->input_interrupted = 1;
    return rc > 0 ? 0 : -1;
}

/* ---- progress ------------------------------------------------------------------------------- */

/* A training bar is one display_data, then update_display_data (throttled with the other
 * updates, at most ~10 a second); a final line ends it, and the next bar opens a new one. */
static void host_progress(void *ud, const char *line, int final)
{
    kern_server *srv = ud;
    if (!publishing(srv)) return;
    lang_mime_bundle b = { .text_plain = line };
    if (!srv->progress_id[0]) {
        snprintf(srv->progress_id, sizeof srv->progress_id, "nabla-progress-%u", ++srv->progress_count);
        host_display(ud, &b, srv->progress_id);
    } else {
        host_update_display(ud, &b, srv->progress_id);
    }
    if (final) {
        kern_flush_updates(srv, 1);
        srv->progress_id[0] = '\0';
    }
}

/* ---- poll ----------------------------------------------------------------------------------- */

static int host_poll(void *ud)
{
    kern_server *srv = ud;
    /* The coarse clock costs a few ns, so poll may be called as often as the VM likes. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    double now = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    if (now - srv->last_pump >= 0.02) {
        srv->last_pump = now;
        kern_pump_control(srv);
        if (srv->out.len && now - srv->out.since >= KERN_STREAM_INTERVAL) flush_stream(srv, &srv->out, 0);
        if (srv->err.len && now - srv->err.since >= KERN_STREAM_INTERVAL) flush_stream(srv, &srv->err, 0);
        kern_flush_updates(srv, 0);
        if (kern_parent_gone(srv)) srv->stopping = 1;
    }
    return kern_interrupted || kern_stop_requested(srv);
}

lang_host kern_host_make(kern_server *srv)
{
    lang_host h = {
        .ud = srv,
        .print = host_print,
        .warn = host_warn,
        .result = host_result,
        .display = host_display,
        .update_display = host_update_display,
        .clear_output = host_clear_output,
        .page = host_page,
        .input = host_input,
        .poll = host_poll,
        .progress = host_progress,
    };
    return h;
}
