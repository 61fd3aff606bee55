/*
 * format.c -- NumPy's repr of a float32 array, with a caller's prefix in place of "array".
 *
 * This is a port of numpy/core/arrayprint.py (NumPy 1.24, default print options: precision 8,
 * floatmode 'maxprec', linewidth 75, threshold 1000, edgeitems 3) restricted to float32:
 *   - FloatingFormat: every shown value is printed once to find the common layout, then each
 *     is printed padded to it (positional "1.5 ", or scientific "1.0e-05" when the nonzero
 *     magnitudes span more than 1e3, reach 1e8, or go below 1e-4);
 *   - _formatArray: nested brackets, ", " separators, rows wrapped at the line width with a
 *     hanging indent, "..." for the middle of large arrays.
 * Digits come from dragon4.c, the same digit generator NumPy uses, so every digit matches.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

#define FMT_PRECISION 8
#define FMT_LINEWIDTH 75
#define FMT_THRESHOLD 1000
#define FMT_EDGEITEMS 3

/* ---- a growable string ------------------------------------------------------------------- */

typedef struct sbuf {
    char  *p;
    size_t len, cap;
    int    oom;
} sbuf;

static void sb_putn(sbuf *s, const char *t, size_t n)
{
    if (s->oom)
        return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *p = realloc(s->p, cap);
        if (!p) {
            s->oom = 1;
            return;
        }
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, t, n);
    s->len += n;
    s->p[s->len] = '\0';
}

static void sb_puts(sbuf *s, const char *t)
{
    sb_putn(s, t, strlen(t));
}

static void sb_spaces(sbuf *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sb_putn(s, " ", 1);
}

/* ---- positional and scientific strings (numpy FormatPositional / FormatScientific) -------- */

/* Positional form of x split at the point: int part (with sign) and fraction digits, at most
 * FMT_PRECISION of them, trailing zeros trimmed (trim '.'). min_digits 0 (what the final
 * printing pass uses) makes Dragon4 emit every integer digit: 82109984., not 82109980. */
static void positional_parts(float x, int min_digits, char *ip, char *fp)
{
    char d[64];
    int e, n = eng_dragon4_f32(x, 0, FMT_PRECISION, min_digits, d, &e);
    char *o = ip + sprintf(ip, "%s", signbit(x) ? "-" : "");
    int k = 0;
    if (e >= 0) {
        for (int i = 0; i <= e; i++)
            *o++ = i < n ? d[i] : '0';
        for (int i = e + 1; i < n; i++)
            fp[k++] = d[i];
    } else {
        *o++ = '0';
        for (int z = 0; z < -e - 1; z++)
            fp[k++] = '0';
        for (int i = 0; i < n; i++)
            fp[k++] = d[i];
    }
    *o = '\0';
    while (k > 0 && fp[k - 1] == '0')
        k--;
    fp[k] = '\0';
}

/* Scientific form: int part "d" (with sign), fraction digits, and the exponent. With
 * min_digits < 0 the digits are the shortest (trailing zeros trimmed); otherwise exactly
 * `precision` fraction digits, the extra ones being the value's own digits. */
static int scientific_parts(float x, int precision, int min_digits, char *ip, char *fp)
{
    char d[64];
    int e, n = eng_dragon4_f32(x, 1, precision + 1, min_digits < 0 ? -1 : min_digits + 1, d, &e);
    sprintf(ip, "%s%c", signbit(x) ? "-" : "", d[0]);
    int k = 0;
    for (int i = 1; i < n; i++)
        fp[k++] = d[i];
    if (min_digits < 0)
        while (k > 0 && fp[k - 1] == '0')
            k--;
    while (k < min_digits)
        fp[k++] = '0';
    fp[k] = '\0';
    return e;
}

/* ---- FloatingFormat ---------------------------------------------------------------------- */

typedef struct float_format {
    int exp_format;
    int pad_left, pad_right;
    int precision;              /* scientific: fraction digits every value gets */
    int exp_size;               /* scientific: exponent digits */
} float_format;

/* NumPy's choice of scientific notation: nonzero finite magnitudes reaching 1e8, going below
 * 1e-4, or spanning more than 1e3 (the thresholds compare in double, the ratio is a float32
 * division, exactly as arrayprint does it). */
static int wants_scientific(const float *v, int64_t n)
{
    float mx = 0.0f, mn = INFINITY;
    for (int64_t i = 0; i < n; i++) {
        float a = fabsf(v[i]);
        if (isfinite(a) && a != 0.0f) {
            mx = a > mx ? a : mx;
            mn = a < mn ? a : mn;
        }
    }
    return mx != 0.0f && ((double)mx >= 1e8 || (double)mn < 0.0001 || (float)(mx / mn) > 1000.0f);
}

/* numpy FloatingFormat.fillFormat over the values that will be shown: every finite value is
 * printed once (shortest digits) to find the widest int part and fraction. */
static void fill_format(float_format *f, const float *v, int64_t n)
{
    char ip[128], fp[128];
    int64_t nfinite = 0;
    int neginf = 0;
    memset(f, 0, sizeof *f);
    f->exp_format = wants_scientific(v, n);
    for (int64_t i = 0; i < n; i++) {
        neginf |= isinf(v[i]) && v[i] < 0;
        if (!isfinite(v[i]))
            continue;
        nfinite++;
        if (f->exp_format) {
            int el = abs(scientific_parts(v[i], FMT_PRECISION, -1, ip, fp)) >= 100 ? 3 : 2;
            f->exp_size = el > f->exp_size ? el : f->exp_size;
        } else {
            positional_parts(v[i], -1, ip, fp);
        }
        int il = (int)strlen(ip), fl = (int)strlen(fp);
        f->pad_left = il > f->pad_left ? il : f->pad_left;
        if (f->exp_format)
            f->precision = fl > f->precision ? fl : f->precision;
        else
            f->pad_right = fl > f->pad_right ? fl : f->pad_right;
    }
    if (f->exp_format && nfinite)
        f->pad_right = f->exp_size + 2 + f->precision;
    if (nfinite != n) {                               /* room for "nan", "inf", "-inf" */
        int need = 3 + neginf - (f->pad_right + 1);
        f->pad_left = need > f->pad_left ? need : f->pad_left;
    }
}

/* numpy FloatingFormat.__call__: one value, padded to the common layout. */
static void format_value(const float_format *f, float x, sbuf *out)
{
    char ip[128], fp[128];
    if (!isfinite(x)) {
        const char *s = isnan(x) ? "nan" : x < 0 ? "-inf" : "inf";
        int width = f->pad_left + f->pad_right + 1;
        sb_spaces(out, width > (int)strlen(s) ? (size_t)(width - (int)strlen(s)) : 0);
        sb_puts(out, s);
        return;
    }
    if (f->exp_format) {
        int e = scientific_parts(x, f->precision, f->precision, ip, fp);
        char ex[16];
        snprintf(ex, sizeof ex, "e%c%0*d", e < 0 ? '-' : '+', f->exp_size, abs(e));
        sb_spaces(out, (size_t)(f->pad_left - (int)strlen(ip)));
        sb_puts(out, ip);
        sb_puts(out, ".");
        sb_puts(out, fp);
        sb_puts(out, ex);
        return;
    }
    positional_parts(x, 0, ip, fp);
    sb_spaces(out, (size_t)(f->pad_left - (int)strlen(ip)));
    sb_puts(out, ip);
    sb_puts(out, ".");
    sb_puts(out, fp);
    sb_spaces(out, (size_t)(f->pad_right - (int)strlen(fp)));
}

/* ---- which elements are shown ------------------------------------------------------------ */

/* Positions shown along a dim of length len: all, or the first and last FMT_EDGEITEMS. */
static int64_t shown_count(int64_t len, int summary)
{
    return summary && len > 2 * FMT_EDGEITEMS ? 2 * FMT_EDGEITEMS : len;
}

static int64_t shown_index(int64_t k, int64_t len, int summary)
{
    if (summary && len > 2 * FMT_EDGEITEMS && k >= FMT_EDGEITEMS)
        return len - 2 * FMT_EDGEITEMS + k;
    return k;
}

/* Appends every shown element (row-major) to vals: what fillFormat sees in NumPy. */
static void collect_shown(const eng_tensor *t, int dim, int64_t off, int summary, float *vals,
                          int64_t *n)
{
    if (dim == t->ndim) {
        vals[(*n)++] = t->storage->data[off];
        return;
    }
    int64_t len = t->shape[dim], cnt = shown_count(len, summary);
    for (int64_t k = 0; k < cnt; k++)
        collect_shown(t, dim + 1, off + shown_index(k, len, summary) * t->strides[dim], summary,
                      vals, n);
}

/* ---- _formatArray ------------------------------------------------------------------------ */

typedef struct layout {
    const eng_tensor  *t;
    const float_format *f;
    int                summary;
} layout;

/* numpy _extendLine: start a new line when the word does not fit (and wrapping helps). */
static void extend_line(sbuf *s, sbuf *line, const char *word, size_t width, size_t indent)
{
    if (line->len + strlen(word) > width && line->len > indent) {
        size_t n = line->len;
        while (n > 0 && line->p[n - 1] == ' ')
            n--;
        sb_putn(s, line->p, n);
        sb_puts(s, "\n");
        line->len = 0;
        sb_spaces(line, indent);
    }
    sb_puts(line, word);
}

static void recurse(const layout *L, int dim, int64_t off, size_t indent, size_t width, sbuf *out);

/* The last axis: elements separated by ", ", wrapped at width - 1. */
static void format_row(const layout *L, int dim, int64_t off, size_t indent, size_t width,
                       sbuf *s)
{
    const eng_tensor *t = L->t;
    int64_t len = t->shape[dim];
    int show_summary = L->summary && len > 2 * FMT_EDGEITEMS;
    size_t elem_width = width - 1;
    sbuf line = { 0 };
    sb_spaces(&line, indent);
    for (int64_t i = 0; i < len; i++) {
        if (show_summary && i == FMT_EDGEITEMS) {
            extend_line(s, &line, "...", elem_width, indent);
            sb_puts(&line, ", ");
            i = len - FMT_EDGEITEMS;
        }
        sbuf word = { 0 };
        format_value(L->f, t->storage->data[off + i * t->strides[dim]], &word);
        extend_line(s, &line, word.p ? word.p : "", elem_width, indent);
        free(word.p);
        if (i < len - 1)
            sb_puts(&line, ", ");
    }
    if (line.p)
        sb_puts(s, line.p);
    s->oom |= line.oom;
    free(line.p);
}

/* Outer axes: sub-arrays separated by ",", one newline per remaining axis. */
static void format_block(const layout *L, int dim, int64_t off, size_t indent, size_t width,
                         sbuf *s)
{
    const eng_tensor *t = L->t;
    int64_t len = t->shape[dim];
    int show_summary = L->summary && len > 2 * FMT_EDGEITEMS;
    int axes_left = t->ndim - dim;
    for (int64_t i = 0; i < len; i++) {
        if (show_summary && i == FMT_EDGEITEMS) {
            sb_spaces(s, indent);
            sb_puts(s, "...,");
            for (int k = 0; k < axes_left - 1; k++)
                sb_puts(s, "\n");
            i = len - FMT_EDGEITEMS;
        }
        sb_spaces(s, indent);
        recurse(L, dim + 1, off + i * t->strides[dim], indent + 1, width - 1, s);
        if (i < len - 1) {
            sb_puts(s, ",");
            for (int k = 0; k < axes_left - 1; k++)
                sb_puts(s, "\n");
        }
    }
}

/* numpy _formatArray.recurser: "[" + body without its first hanging indent + "]". */
static void recurse(const layout *L, int dim, int64_t off, size_t indent, size_t width, sbuf *out)
{
    if (dim == L->t->ndim) {
        format_value(L->f, L->t->storage->data[off], out);
        return;
    }
    sbuf s = { 0 };
    if (L->t->ndim - dim == 1)
        format_row(L, dim, off, indent, width, &s);
    else
        format_block(L, dim, off, indent, width, &s);
    sb_puts(out, "[");
    if (s.p && s.len > indent)
        sb_puts(out, s.p + indent);
    sb_puts(out, "]");
    out->oom |= s.oom;
    free(s.p);
}

/* ---- entry point ------------------------------------------------------------------------- */

char *eng_tensor_format(const eng_tensor *t, const char *prefix)
{
    sbuf out = { 0 };
    char shp[ENG_SHAPE_BUF];
    if (!prefix)
        prefix = "tensor";
    sb_puts(&out, prefix);
    sb_puts(&out, "(");
    if (t->size == 0) {
        sb_puts(&out, "[]");
        if (!(t->ndim == 1 && t->shape[0] == 0)) {
            sb_puts(&out, ", shape=");
            sb_puts(&out, eng_shape_format(t->ndim, t->shape, shp, sizeof shp));
        }
    } else {
        int summary = t->size > FMT_THRESHOLD;
        int64_t nshown = 1;
        for (int d = 0; d < t->ndim; d++)
            nshown *= shown_count(t->shape[d], summary);
        float *vals = malloc((size_t)nshown * sizeof(float));
        if (!vals) {
            free(out.p);
            return NULL;
        }
        int64_t n = 0;
        collect_shown(t, 0, t->offset, summary, vals, &n);
        float_format f;
        fill_format(&f, vals, n);
        free(vals);
        layout L = { t, &f, summary };
        /* The hanging indent skips "prefix(" and "["; the ")" suffix narrows the line. */
        size_t indent = strlen(prefix) + 2;
        recurse(&L, 0, t->offset, indent, FMT_LINEWIDTH - 1, &out);
    }
    sb_puts(&out, ")");
    if (out.oom) {
        free(out.p);
        return NULL;
    }
    return out.p;
}
