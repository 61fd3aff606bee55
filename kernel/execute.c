/*
 * execute.c -- execute_request: run a cell, publish what it shows, reply, record history.
 *
 *     busy -> execute_input -> stream/display/execute_result/error... -> execute_reply -> idle
 *
 * The execution counter grows by one for each cell with store_history (silent forces it off);
 * the reply always carries it. An error publishes exactly one `error` message (ename, evalue,
 * a traceback with the caret view) and an error reply; with stop_on_error, the execute requests
 * already queued behind the failed cell are answered "aborted" without running (JupyterLab's
 * "Run All" sends every cell at once).
 */
#include "kernel/kernel_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The error report as the Jupyter error triple. */
static json_t *error_content(const lang_error *err)
{
    char buf[4096];
    lang_error_format(err, buf, sizeof buf);
    json_t *tb = json_array();
    char *line = buf;
    for (;;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (n > 0 || nl) json_array_append_new(tb, kern_json_text(line, n));
        if (!nl || !nl[1]) break;
        line = nl + 1;
    }
    if (err->trace[0] && !strstr(buf, err->trace)) {
        json_array_append_new(tb, json_string("Traceback (innermost first):"));
        for (char *t = (char *)err->trace; *t;) {
            char *nl = strchr(t, '\n');
            size_t n = nl ? (size_t)(nl - t) : strlen(t);
            if (n) json_array_append_new(tb, kern_json_text(t, n));
            if (!nl) break;
            t = nl + 1;
        }
    }
    return json_pack("{s:s,s:o,s:o}", "ename", lang_status_name(err->kind), "evalue",
                     kern_json_text(err->msg, strlen(err->msg)), "traceback", tb);
}

/* input() failures get a message that says why, in the learner's terms. */
static void explain_input_failure(const kern_exec *ex, lang_error *err)
{
    if (err->kind != LANG_ERR_IO && err->kind != LANG_ERR_INTERRUPT) return;
    if (ex->input_interrupted) {
        err->kind = LANG_ERR_INTERRUPT;
        snprintf(err->msg, sizeof err->msg, "interrupted while waiting for input()");
        err->hint[0] = '\0';
    } else if (ex->input_refused && err->kind == LANG_ERR_IO) {
        snprintf(err->msg, sizeof err->msg,
                 "input() is not available here: this frontend does not accept input "
                 "(allow_stdin is false, as when a notebook runs headless)");
        snprintf(err->hint, sizeof err->hint, "set the value in the code instead of asking for it");
    }
}

/* Evaluates each user expression, capturing its value instead of publishing it. */
static json_t *user_expressions(kern_server *srv, kern_exec *ex, json_t *exprs)
{
    json_t *out = json_object();
    const char *name;
    json_t *v;
    if (!json_is_object(exprs)) return out;
    json_object_foreach(exprs, name, v) {
        const char *code = json_string_value(v);
        if (!code) continue;
        lang_error err;
        memset(&err, 0, sizeof err);
        ex->capture = 1;
        ex->captured = NULL;
        lang_status st = lang_eval(srv->vm, code, "<user_expression>", LANG_EVAL_ECHO, &err);
        ex->capture = 0;
        json_t *r;
        if (st == LANG_OK) {
            json_t *data = ex->captured ? ex->captured : json_pack("{s:s}", "text/plain", "None");
            r = json_pack("{s:s,s:o,s:{}}", "status", "ok", "data", data, "metadata");
        } else {
            json_decref(ex->captured);
            r = error_content(&err);
            json_object_set_new(r, "status", json_string("error"));
        }
        ex->captured = NULL;
        json_object_set_new(out, name, r);
    }
    return out;
}

/* A field that defaults to `dflt` when absent or not a boolean. */
static int flag(json_t *content, const char *name, int dflt)
{
    json_t *v = json_object_get(content, name);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static void reply_busy(kern_server *srv, void *sock, kern_msg *req)
{
    kern_reply(srv, sock, req, "execute_reply",
               json_pack("{s:s,s:s,s:s,s:[],s:i}", "status", "error", "ename", "KernelBusy",
                         "evalue", "a cell is already running", "traceback", "execution_count",
                         srv->count),
               NULL);
}

/* Runs the code of the request with srv->exec set; returns the status, err filled. */
static lang_status run_cell(kern_server *srv, kern_exec *ex, const char *code, lang_error *err)
{
    char file[32];
    snprintf(file, sizeof file, "In[%d]", ex->count);
    memset(err, 0, sizeof *err);
    lang_interrupt_clear();
    kern_interrupted = 0;
    srv->exec = ex;
    lang_status st = lang_eval(srv->vm, code, file, ex->silent ? 0 : LANG_EVAL_ECHO, err);
    kern_flush_updates(srv, 1);
    kern_flush_streams(srv);
    if (st != LANG_OK) explain_input_failure(ex, err);
    return st;
}

/* The error reply; the `error` message itself is published unless the request is silent. */
static json_t *error_reply(kern_server *srv, kern_exec *ex, const lang_error *err)
{
    json_t *reply = error_content(err);
    if (!ex->silent) kern_publish(srv, ex->req->header, "error", json_deep_copy(reply));
    json_object_set_new(reply, "status", json_string("error"));
    json_object_set_new(reply, "execution_count", json_integer(srv->count));
    json_object_set_new(reply, "payload", ex->payload);
    json_object_set_new(reply, "user_expressions", json_object());
    return reply;
}

static json_t *ok_reply(kern_server *srv, kern_exec *ex)
{
    json_t *exprs = json_object_get(ex->req->content, "user_expressions");
    return json_pack("{s:s,s:i,s:o,s:o}", "status", "ok", "execution_count", srv->count,
                     "payload", ex->payload, "user_expressions", user_expressions(srv, ex, exprs));
}

void kern_handle_execute(kern_server *srv, void *sock, kern_msg *req)
{
    if (srv->exec) { reply_busy(srv, sock, req); return; }   /* sent on control mid-cell */
    json_t *c = req->content;
    const char *code = json_string_value(json_object_get(c, "code"));
    if (!code) code = "";
    kern_exec ex = {.req = req, .silent = flag(c, "silent", 0), .allow_stdin = flag(c, "allow_stdin", 0)};
    int store = !ex.silent && flag(c, "store_history", 1);
    if (store) srv->count++;
    ex.count = srv->count;
    ex.payload = json_array();
    char started[40];
    kern_iso_date(started);
    if (!ex.silent)
        kern_publish(srv, req->header, "execute_input",
                     json_pack("{s:s,s:i}", "code", code, "execution_count", ex.count));
    lang_error err;
    lang_status st = run_cell(srv, &ex, code, &err);
    /* Take the queued cells off the socket before the client can learn of the error. */
    if (st != LANG_OK && flag(c, "stop_on_error", 1) && !ex.silent) kern_collect_queued(srv);
    json_t *reply = st == LANG_OK ? ok_reply(srv, &ex) : error_reply(srv, &ex, &err);
    srv->exec = NULL;
    srv->progress_id[0] = '\0';   /* a bar interrupted mid-epoch does not continue in the next cell */
    if (store && kern_history_add(&srv->history, ex.count, code, ex.output) != 0)
        kern_log("out of memory recording history");
    free(ex.output);
    kern_clear_updates(srv);
    kern_reply(srv, sock, req, "execute_reply", reply, json_pack("{s:s}", "started", started));
}

#define MAX_QUEUED 1024

void kern_collect_queued(kern_server *srv)
{
    kern_msg req;
    while (srv->n_queued < MAX_QUEUED && kern_recv(srv, srv->shell, 1, &req)) {
        if (!srv->queued && !(srv->queued = malloc(MAX_QUEUED * sizeof *srv->queued))) {
            kern_msg_free(&req);   /* out of memory: this one request is lost, not the kernel */
            return;
        }
        srv->queued[srv->n_queued++] = req;
    }
}

static void answer_aborted(kern_server *srv, kern_msg *req)
{
    kern_publish_status(srv, req->header, "busy");
    kern_reply(srv, srv->shell, req, "execute_reply",
               json_pack("{s:s,s:i,s:[],s:{}}", "status", "aborted", "execution_count",
                         srv->count, "payload", "user_expressions"),
               NULL);
    kern_publish_status(srv, req->header, "idle");
}

void kern_answer_queued(kern_server *srv)
{
    /* Detach the list first: a dispatched request may fail and collect a new one. */
    kern_msg *list = srv->queued;
    size_t n = srv->n_queued;
    srv->queued = NULL;
    srv->n_queued = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].msg_type, "execute_request") == 0) answer_aborted(srv, &list[i]);
        else kern_dispatch(srv, srv->shell, &list[i]);
        kern_msg_free(&list[i]);
    }
    free(list);
}
