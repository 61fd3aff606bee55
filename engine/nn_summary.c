/*
 * nn_summary.c -- text Keras users know by heart: model.summary()'s table (Keras 2.x
 * keras/utils/layer_utils.py print_summary, edu.md 3.5) and the fit progress bar (Keras 2.x
 * keras/utils/generic_utils.py Progbar, edu.md 3.6). Formatting only: the caller prints.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nn_internal.h"

/* A growable text buffer; on OOM it stays NULL-safe and `oom` is set. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) sb_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void sb_repeat(sbuf *b, char c, int n)
{
    for (int i = 0; i < n; i++) sb_add(b, &c, 1);
}

/* 101770 -> "101,770" (Python's "{:,}"). */
static char *thousands(int64_t v, char *buf)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v)), k = 0;
    if (v < 0) buf[k++] = '-';
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[k++] = ',';
        buf[k++] = digits[i];
    }
    buf[k] = '\0';
    return buf;
}

/* "(None, 26, 26, 32)": a per-sample shape with the batch dim shown as None. */
static char *batch_shape(int ndim, const int64_t *shape, char *buf, size_t cap)
{
    int k = snprintf(buf, cap, "(None");
    for (int d = 0; d < ndim && k < (int)cap; d++)
        k += snprintf(buf + k, cap - (size_t)k, ", %lld", (long long)shape[d]);
    if (k < (int)cap) snprintf(buf + k, cap - (size_t)k, ")");
    return buf;
}

/* Keras's print_row: each field goes after the previous column (whose last character becomes
 * a space), is cut at its column's end and padded to it. */
static void print_row(sbuf *b, const char *const *fields, const int *pos, int n)
{
    char line[256] = "";
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && len > 0) line[len - 1] = ' ';
        size_t room = (size_t)pos[i] > len ? (size_t)pos[i] - len : 0;
        size_t fl = strlen(fields[i]);
        if (fl > room) fl = room;
        memcpy(line + len, fields[i], fl);
        len += fl;
        while (len < (size_t)pos[i]) line[len++] = ' ';
    }
    sb_add(b, line, len);
    sb_add(b, "\n", 1);
}

static void summary_text(sbuf *b, const eng_model *m)
{
    enum { L = 65 };
    static const int pos[3] = { 29, 55, 65 };   /* int(65 * [.45, .85, 1.]) */
    static const char *const head[3] = { "Layer (type)", "Output Shape", "Param #" };
    sb_printf(b, "Model: \"%s\"\n", m->name);
    sb_repeat(b, '_', L);
    sb_add(b, "\n", 1);
    print_row(b, head, pos, 3);
    sb_repeat(b, '=', L);
    sb_add(b, "\n", 1);
    for (int i = 0; i < m->nlayers; i++) {
        const eng_layer *l = m->layers[i];
        char name[160], shape[ENG_SHAPE_BUF + 8], count[32];
        snprintf(name, sizeof name, "%s (%s)", l->cfg.name, eng_layer_kind_name(l->cfg.kind));
        batch_shape(l->out_ndim, l->out_shape, shape, sizeof shape);
        snprintf(count, sizeof count, "%lld", (long long)eng_layer_param_count(l, 0));
        const char *const row[3] = { name, shape, count };
        print_row(b, row, pos, 3);
        sb_repeat(b, i == m->nlayers - 1 ? '=' : '_', L);
        sb_add(b, "\n", 1);
    }
    char t[32];
    int64_t total = eng_model_param_count(m, 0), train = eng_model_param_count(m, 1);
    sb_printf(b, "Total params: %s\n", thousands(total, t));
    sb_printf(b, "Trainable params: %s\n", thousands(train, t));
    sb_printf(b, "Non-trainable params: %s\n", thousands(total - train, t));
    sb_repeat(b, '_', L);
    sb_add(b, "\n", 1);
}

/* Layer names are the user's: escape them for HTML. */
static void sb_html(sbuf *b, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '<': sb_add(b, "&lt;", 4); break;
        case '>': sb_add(b, "&gt;", 4); break;
        case '&': sb_add(b, "&amp;", 5); break;
        case '"': sb_add(b, "&quot;", 6); break;
        default: sb_add(b, s, 1);
        }
}

static void summary_html(sbuf *b, const eng_model *m)
{
    sb_str(b, "<b>Model: \"");
    sb_html(b, m->name);
    sb_printf(b, "\"</b>\n<table>\n<thead><tr><th style=\"text-align:left\">Layer (type)</th>"
              "<th style=\"text-align:left\">Output Shape</th><th style=\"text-align:right\">"
              "Param #</th></tr></thead>\n<tbody>\n");
    for (int i = 0; i < m->nlayers; i++) {
        const eng_layer *l = m->layers[i];
        char shape[ENG_SHAPE_BUF + 8], count[32];
        sb_str(b, "<tr><td style=\"text-align:left\">");
        sb_html(b, l->cfg.name);
        sb_printf(b, " (%s)</td><td style=\"text-align:left\">%s</td><td style=\"text-align:"
                  "right\">%s</td></tr>\n", eng_layer_kind_name(l->cfg.kind),
                  batch_shape(l->out_ndim, l->out_shape, shape, sizeof shape),
                  thousands(eng_layer_param_count(l, 0), count));
    }
    char t[32];
    int64_t total = eng_model_param_count(m, 0), train = eng_model_param_count(m, 1);
    sb_printf(b, "</tbody>\n</table>\n<p>Total params: %s<br>\n", thousands(total, t));
    sb_printf(b, "Trainable params: %s<br>\n", thousands(train, t));
    sb_printf(b, "Non-trainable params: %s</p>\n", thousands(total - train, t));
}

char *eng_model_summary(const eng_model *m, int html, eng_error *err)
{
    if (!m->built)
        return eng_err(err, ENG_ERR_VALUE, "This model has not yet been built. Build the model "
                       "first by calling `build()` or by calling the model on a batch of data."),
               eng_err_hint(err, "give the first layer input_shape=, or fit the model first"),
               NULL;
    sbuf b = { 0 };
    if (html) summary_html(&b, m);
    else summary_text(&b, m);
    if (b.oom || !b.s) {
        free(b.s);
        return eng_err(err, ENG_ERR_MEMORY, "out of memory formatting the summary"), NULL;
    }
    return b.s;
}

/* ---- Progbar ------------------------------------------------------------------------------- */

/* Keras Progbar._format_time: " 3s/step", " 12ms/step", " 80us/step". */
static void format_time(sbuf *b, double t, const char *unit)
{
    if (t >= 1 || t == 0) sb_printf(b, " %.0fs/%s", t, unit);
    else if (t >= 1e-3) sb_printf(b, " %.0fms/%s", t * 1e3, unit);
    else sb_printf(b, " %.0fus/%s", t * 1e6, unit);
}

static void format_eta(sbuf *b, double eta)
{
    long e = (long)eta;
    if (eta > 3600) sb_printf(b, " - ETA: %ld:%02ld:%02ld", e / 3600, (e % 3600) / 60, e % 60);
    else if (eta > 60) sb_printf(b, " - ETA: %ld:%02ld", e / 60, e % 60);
    else sb_printf(b, " - ETA: %lds", e);
}

static void format_logs(sbuf *b, const eng_logs *logs)
{
    for (int i = 0; i < logs->n; i++) {
        double v = logs->values[i];
        if (isnan(v)) sb_printf(b, " - %s: nan", logs->names[i]);     /* not printf's "-nan" */
        else sb_printf(b, fabs(v) > 1e-3 ? " - %s: %.4f" : " - %s: %.4e", logs->names[i], v);
    }
}

static void format_bar(sbuf *b, const eng_progress *p)
{
    int digits = p->steps > 0 ? (int)floor(log10((double)p->steps)) + 1 : 1;
    sb_printf(b, "%*lld/%lld [", digits, (long long)p->step, (long long)p->steps);
    int width = p->steps > 0 ? (int)(30.0 * (double)p->step / (double)p->steps) : 30;
    if (width > 30) width = 30;
    if (width > 0) {
        sb_repeat(b, '=', width - 1);
        sb_add(b, p->step < p->steps ? ">" : "=", 1);
    }
    sb_repeat(b, '.', 30 - width);
    sb_add(b, "]", 1);
}

size_t eng_progbar_format(char *buf, size_t cap, const eng_progress *p, int verbose)
{
    sbuf b = { 0 };
    double per_step = p->step > 0 ? p->seconds / (double)p->step : 0;
    int done = p->step >= p->steps;
    if (verbose == 2) {
        int digits = p->steps > 0 ? (int)floor(log10((double)p->steps)) + 1 : 1;
        sb_printf(&b, "%*lld/%lld - %.0fs", digits, (long long)p->step, (long long)p->steps,
                  p->seconds);
        format_logs(&b, &p->logs);
        sb_add(&b, " -", 2);
        format_time(&b, p->seconds, "epoch");
        sb_add(&b, " -", 2);
        format_time(&b, per_step, "step");
    } else {
        format_bar(&b, p);
        if (done) {
            sb_printf(&b, " - %.0fs", p->seconds);
            format_time(&b, per_step, "step");
        } else {
            format_eta(&b, per_step * (double)(p->steps - p->step));
        }
        format_logs(&b, &p->logs);
    }
    size_t n = 0;
    if (cap > 0) {
        n = b.s ? (b.len < cap ? b.len : cap - 1) : 0;
        if (n) memcpy(buf, b.s, n);
        buf[n] = '\0';
    }
    free(b.s);
    return n;
}
