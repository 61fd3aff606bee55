/*
 * conn.c -- the connection file written by the Jupyter client (jupyter_client connect.py):
 * ports, ip, transport and the signing key. Unknown fields (kernel_name, curve keys) are ignored.
 */
#include "kernel/kernel.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t cap, const char *fmt, ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Copies a string field; absent fields get `dflt`. */
static int get_string(json_t *root, const char *name, const char *dflt, char *dst, size_t cap,
                      char *err, size_t errcap)
{
    json_t *v = json_object_get(root, name);
    const char *s = v ? json_string_value(v) : dflt;
    if (!s) return fail(err, errcap, "connection file: \"%s\" must be a string", name);
    if (strlen(s) >= cap) return fail(err, errcap, "connection file: \"%s\" is too long", name);
    strcpy(dst, s);
    return 0;
}

static int get_port(json_t *root, const char *name, int *port, char *err, size_t errcap)
{
    json_t *v = json_object_get(root, name);
    if (!json_is_integer(v)) return fail(err, errcap, "connection file: \"%s\" must be a number", name);
    json_int_t p = json_integer_value(v);
    if (p <= 0 || p > 65535) return fail(err, errcap, "connection file: \"%s\" = %lld is not a port", name, (long long)p);
    *port = (int)p;
    return 0;
}

int kern_conn_load(kern_conn *conn, const char *path, char *err, size_t errcap)
{
    memset(conn, 0, sizeof *conn);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) return fail(err, errcap, "cannot read connection file %s: %s", path, jerr.text);
    int rc = -1;
    if (!json_is_object(root)) { fail(err, errcap, "connection file %s is not a JSON object", path); goto done; }
    if (get_string(root, "transport", "tcp", conn->transport, sizeof conn->transport, err, errcap) ||
        get_string(root, "ip", "127.0.0.1", conn->ip, sizeof conn->ip, err, errcap) ||
        get_string(root, "signature_scheme", "hmac-sha256", conn->signature_scheme,
                   sizeof conn->signature_scheme, err, errcap) ||
        get_string(root, "key", "", conn->key, sizeof conn->key, err, errcap) ||
        get_port(root, "shell_port", &conn->shell_port, err, errcap) ||
        get_port(root, "control_port", &conn->control_port, err, errcap) ||
        get_port(root, "stdin_port", &conn->stdin_port, err, errcap) ||
        get_port(root, "iopub_port", &conn->iopub_port, err, errcap) ||
        get_port(root, "hb_port", &conn->hb_port, err, errcap))
        goto done;
    if (strcmp(conn->transport, "tcp") != 0 && strcmp(conn->transport, "ipc") != 0) {
        fail(err, errcap, "connection file: unknown transport \"%s\"", conn->transport);
        goto done;
    }
    rc = 0;
done:
    json_decref(root);
    return rc;
}

void kern_conn_address(const kern_conn *conn, int port, char *buf, size_t cap)
{
    /* jupyter_client connect.py _make_url: tcp://ip:port, other transports ip-port. */
    if (strcmp(conn->transport, "tcp") == 0)
        snprintf(buf, cap, "tcp://%s:%d", conn->ip, port);
    else
        snprintf(buf, cap, "%s://%s-%d", conn->transport, conn->ip, port);
}
