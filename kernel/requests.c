/*
 * requests.c -- every request other than execute: kernel_info, complete, inspect, is_complete,
 * history, comm_info and the comm messages, shutdown and interrupt, plus the handler table.
 *
 * complete and inspect use the interpreter, so while a cell runs (they can only arrive on
 * control then) they answer "nothing found" instead of touching the busy VM.
 */
#include "kernel/kernel_internal.h"

#include <stdlib.h>
#include <string.h>

#define BANNER "Nabla " LANG_VERSION " -- a small Python-flavoured array language for learning deep " \
               "learning.\nhelp(x) explains x; lessons() lists the course."

static void handle_kernel_info(kern_server *srv, void *sock, kern_msg *req)
{
    json_t *content = json_pack(
        "{s:s,s:s,s:s,s:s,"
        "s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s},"
        "s:s,s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}],s:b}",
        "status", "ok", "protocol_version", KERN_PROTOCOL_VERSION, "implementation",
        KERN_IMPLEMENTATION, "implementation_version", LANG_VERSION,
        "language_info", "name", "nabla", "version", LANG_VERSION, "mimetype", "text/x-nabla",
        "file_extension", ".nabla", "pygments_lexer", "python", "codemirror_mode", "python",
        "nbconvert_exporter", "script",
        "banner", BANNER,
        "help_links", "text", "NumPy reference", "url", "https://numpy.org/doc/stable/reference/",
        "text", "Keras API", "url", "https://keras.io/api/",
        "text", "PyTorch docs", "url", "https://pytorch.org/docs/stable/",
        "debugger", 0);
    kern_reply(srv, sock, req, "kernel_info_reply", content, NULL);
}

/* cursor_pos in code points (protocol 5.2); absent means the end of the code. */
static size_t cursor_cp(json_t *content, const char *code)
{
    json_t *v = json_object_get(content, "cursor_pos");
    if (json_is_integer(v) && json_integer_value(v) >= 0) return (size_t)json_integer_value(v);
    return kern_utf8_cp_offset(code, strlen(code));
}

static void handle_complete(kern_server *srv, void *sock, kern_msg *req)
{
    const char *code = json_string_value(json_object_get(req->content, "code"));
    if (!code) code = "";
    size_t cp = cursor_cp(req->content, code);
    size_t byte = kern_utf8_byte_offset(code, cp);
    cp = kern_utf8_cp_offset(code, byte);          /* clamped to the code */
    json_t *list = json_array();
    char **matches = NULL;
    size_t start = byte;
    int n = srv->exec ? 0 : lang_complete(srv->vm, code, byte, &matches, &start);
    for (int i = 0; i < n; i++) {
        json_array_append_new(list, kern_json_text(matches[i], strlen(matches[i])));
        free(matches[i]);
    }
    free(matches);
    if (start > byte) start = byte;
    kern_reply(srv, sock, req, "complete_reply",
               json_pack("{s:s,s:o,s:i,s:i,s:{}}", "status", "ok", "matches", list, "cursor_start",
                         (int)kern_utf8_cp_offset(code, start), "cursor_end", (int)cp, "metadata"),
               NULL);
}

static void handle_inspect(kern_server *srv, void *sock, kern_msg *req)
{
    const char *code = json_string_value(json_object_get(req->content, "code"));
    if (!code) code = "";
    size_t byte = kern_utf8_byte_offset(code, cursor_cp(req->content, code));
    int detail = (int)json_integer_value(json_object_get(req->content, "detail_level"));
    char *text = srv->exec ? NULL : lang_inspect(srv->vm, code, byte, detail);
    json_t *data = json_object();
    if (text) json_object_set_new(data, "text/plain", kern_json_text(text, strlen(text)));
    kern_reply(srv, sock, req, "inspect_reply",
               json_pack("{s:s,s:b,s:o,s:{}}", "status", "ok", "found", text != NULL, "data", data,
                         "metadata"),
               NULL);
    free(text);
}

static void handle_is_complete(kern_server *srv, void *sock, kern_msg *req)
{
    const char *code = json_string_value(json_object_get(req->content, "code"));
    char indent[64] = "";
    json_t *content;
    lang_status st = code ? lang_is_complete(code, indent) : LANG_ERR_VALUE;
    if (st == LANG_OK)
        content = json_pack("{s:s}", "status", "complete");
    else if (st == LANG_ERR_INCOMPLETE)
        content = json_pack("{s:s,s:s}", "status", "incomplete", "indent", indent);
    else if (st == LANG_ERR_SYNTAX)
        content = json_pack("{s:s}", "status", "invalid");
    else
        content = json_pack("{s:s}", "status", "unknown");
    kern_reply(srv, sock, req, "is_complete_reply", content, NULL);
}

static void handle_history(kern_server *srv, void *sock, kern_msg *req)
{
    kern_reply(srv, sock, req, "history_reply",
               json_pack("{s:s,s:o}", "status", "ok", "history",
                         kern_history_query(&srv->history, req->content)),
               NULL);
}

static void handle_comm_info(kern_server *srv, void *sock, kern_msg *req)
{
    kern_reply(srv, sock, req, "comm_info_reply", json_pack("{s:s,s:{}}", "status", "ok", "comms"), NULL);
}

/* No comm targets exist: an opened comm is closed again at once, as the spec asks. */
static void handle_comm_open(kern_server *srv, void *sock, kern_msg *req)
{
    (void)sock;
    json_t *id = json_object_get(req->content, "comm_id");
    if (!json_is_string(id)) return;
    kern_publish(srv, req->header, "comm_close",
                 json_pack("{s:O,s:{}}", "comm_id", id, "data"));
}

static void handle_ignore(kern_server *srv, void *sock, kern_msg *req)
{
    (void)srv; (void)sock; (void)req;
}

static void handle_shutdown(kern_server *srv, void *sock, kern_msg *req)
{
    int restart = json_is_true(json_object_get(req->content, "restart"));
    kern_reply(srv, sock, req, "shutdown_reply",
               json_pack("{s:s,s:b}", "status", "ok", "restart", restart), NULL);
    /* ipykernel also broadcasts the reply, so every client learns of the shutdown. */
    kern_publish(srv, req->header, "shutdown_reply",
                 json_pack("{s:s,s:b}", "status", "ok", "restart", restart));
    srv->stopping = 1;
    srv->restart = restart;
    if (srv->exec) lang_interrupt();   /* a running cell stops at its next check */
}

static void handle_interrupt(kern_server *srv, void *sock, kern_msg *req)
{
    kern_interrupted = 1;
    lang_interrupt();
    kern_reply(srv, sock, req, "interrupt_reply", json_pack("{s:s}", "status", "ok"), NULL);
}

static const struct {
    const char *msg_type;
    kern_handler handler;
} handlers[] = {
    {"execute_request", kern_handle_execute},
    {"kernel_info_request", handle_kernel_info},
    {"complete_request", handle_complete},
    {"inspect_request", handle_inspect},
    {"is_complete_request", handle_is_complete},
    {"history_request", handle_history},
    {"comm_info_request", handle_comm_info},
    {"comm_open", handle_comm_open},
    {"comm_msg", handle_ignore},
    {"comm_close", handle_ignore},
    {"shutdown_request", handle_shutdown},
    {"interrupt_request", handle_interrupt},
};

kern_handler kern_handler_for(const char *msg_type)
{
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (strcmp(handlers[i].msg_type, msg_type) == 0) return handlers[i].handler;
    return NULL;
}
