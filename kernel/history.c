/*
 * history.c -- the cells this kernel ran with store_history, for history_request:
 *
 *     tail    the last n cells
 *     range   cells start <= line < stop of one session
 *     search  cells whose whole input matches a glob (fnmatch, like SQLite GLOB in IPython),
 *             the last n matches, optionally unique by input (the newest copy kept)
 *
 * Entries are [session, line, input], or [session, line, [input, output]] when the request asks
 * for output (output is the execute_result text, or null). History lives in memory for the life
 * of the process; the session number is 1.
 */
#include "kernel/kernel_internal.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

void kern_history_init(kern_history *h)
{
    memset(h, 0, sizeof *h);
    h->session = 1;
}

void kern_history_free(kern_history *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->items[i].input);
        free(h->items[i].output);
    }
    free(h->items);
    memset(h, 0, sizeof *h);
}

int kern_history_add(kern_history *h, int line, const char *input, const char *output)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        kern_hist_entry *items = realloc(h->items, cap * sizeof *items);
        if (!items) return -1;
        h->items = items;
        h->cap = cap;
    }
    kern_hist_entry *e = &h->items[h->n];
    e->line = line;
    e->input = strdup(input ? input : "");
    e->output = output ? strdup(output) : NULL;
    if (!e->input || (output && !e->output)) {
        free(e->input);
        free(e->output);
        return -1;
    }
    h->n++;
    return 0;
}

static json_t *entry_json(const kern_history *h, const kern_hist_entry *e, int with_output)
{
    json_t *in = json_string(e->input);
    if (with_output) {
        json_t *out = e->output ? json_string(e->output) : json_null();
        in = json_pack("[oo]", in, out);
    }
    return json_pack("[iio]", h->session, e->line, in);
}

static int bool_field(json_t *req, const char *name)
{
    return json_is_true(json_object_get(req, name));
}

/* n from the request; `dflt` when absent or null. */
static long count_field(json_t *req, const char *name, long dflt)
{
    json_t *v = json_object_get(req, name);
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

/* True if a later selected entry has the same input (unique keeps the newest copy). */
static int seen_later(const kern_history *h, const char *sel, size_t i)
{
    for (size_t j = i + 1; j < h->n; j++)
        if (sel[j] && strcmp(h->items[j].input, h->items[i].input) == 0) return 1;
    return 0;
}

/* Marks the selected entries in sel[0..n) according to the access type. */
static void select_entries(const kern_history *h, json_t *req, char *sel)
{
    const char *type = json_string_value(json_object_get(req, "hist_access_type"));
    if (!type) type = "tail";
    if (strcmp(type, "range") == 0) {
        long session = count_field(req, "session", 0);
        if (session != 0 && session != h->session) return;   /* only one session exists */
        long start = count_field(req, "start", 1), stop = count_field(req, "stop", 0);
        for (size_t i = 0; i < h->n; i++)
            sel[i] = h->items[i].line >= start && (stop <= 0 || h->items[i].line < stop);
        return;
    }
    const char *pattern = "*";
    if (strcmp(type, "search") == 0) {
        const char *p = json_string_value(json_object_get(req, "pattern"));
        if (p && *p) pattern = p;
    } else if (strcmp(type, "tail") != 0) {
        return;
    }
    for (size_t i = 0; i < h->n; i++) sel[i] = fnmatch(pattern, h->items[i].input, 0) == 0;
    if (bool_field(req, "unique"))
        for (size_t i = 0; i < h->n; i++)
            if (sel[i] && seen_later(h, sel, i)) sel[i] = 0;
    long n = count_field(req, "n", strcmp(type, "tail") == 0 ? 10 : -1);
    if (n < 0) return;
    /* Keep only the last n selected. */
    for (size_t i = h->n; i-- > 0;) {
        if (!sel[i]) continue;
        if (n > 0) n--; else sel[i] = 0;
    }
}

json_t *kern_history_query(const kern_history *h, json_t *req)
{
    json_t *list = json_array();
    if (!list || h->n == 0) return list;
    char *sel = calloc(h->n, 1);
    if (!sel) return list;
    select_entries(h, req, sel);
    int with_output = bool_field(req, "output");
    for (size_t i = 0; i < h->n; i++)
        if (sel[i]) json_array_append_new(list, entry_json(h, &h->items[i], with_output));
    free(sel);
    return list;
}
