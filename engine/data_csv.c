/*
 * data_csv.c -- reading a CSV file of numbers into a (rows, cols) tensor.
 *
 * The whole file is read into memory, then split into lines and cells. A cell may be quoted
 * ("1.5", with "" for a quote inside); blanks around cells are ignored; with delimiter ' ' any
 * run of blanks separates cells, as str.split() does. Every error names the file, the line
 * (1-based, counting every line of the file) and the column (the cell's 1-based position).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

#define CSV_CELL_MAX 256      /* longer cells are not numbers anyway; shown cut in messages */

typedef struct csv_reader {
    const char *path;
    char       *text;         /* the file, NUL-terminated (owned) */
    char       *pos;          /* start of the next line */
    int         line;         /* number of the line last returned */
    char        delim;
} csv_reader;

/* The values read so far: a growable array, cols fixed by the first data line. */
typedef struct csv_table {
    float  *vals;
    int64_t n, cap, rows, cols;
    int     cols_line;        /* the line that fixed cols */
} csv_table;

static int read_file(const char *path, char **text, eng_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return eng_err(err, ENG_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - 1 - len, f);
        if (len < cap - 1)
            break;                               /* end of file, or an error */
        char *bigger = realloc(buf, cap * 2);
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf)
        return eng_err(err, ENG_ERR_MEMORY, "out of memory reading %s", path);
    if (failed) {
        free(buf);
        return eng_err(err, ENG_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) {
        free(buf);
        return eng_err(err, ENG_ERR_IO, "%s is not a text file (it contains NUL bytes)", path);
    }
    *text = buf;
    return ENG_OK;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* The next line worth reading (not blank, not a # comment), NUL-terminated in place; NULL at
 * the end of the file. */
static char *next_line(csv_reader *r)
{
    while (*r->pos) {
        char *s = r->pos, *nl = strchr(s, '\n');
        r->pos = nl ? nl + 1 : s + strlen(s);
        if (nl)
            *nl = '\0';
        r->line++;
        char *p = s;
        while (is_blank(*p))
            p++;
        if (*p && *p != '#')
            return s;
    }
    return NULL;
}

/* Cuts the next cell off *p into cell (unquoted, trimmed, NUL-terminated, at most
 * CSV_CELL_MAX - 1 chars kept). Returns 0 when the line has no more cells. */
static int next_cell(char **p, char delim, char cell[CSV_CELL_MAX], int first)
{
    char *s = *p;
    if (delim == ' ') {
        while (is_blank(*s))
            s++;
        if (!*s)
            return 0;
    } else {
        if (!first) {
            if (!*s)
                return 0;
            s++;                                 /* the delimiter */
        }
        while (is_blank(*s) && *s != delim)
            s++;
    }
    size_t n = 0;
    if (*s == '"') {
        for (s++; *s && !(*s == '"' && s[1] != '"'); s++) {
            if (*s == '"') s++;                  /* "" is one quote */
            if (n < CSV_CELL_MAX - 1) cell[n++] = *s;
        }
        if (*s == '"') s++;
    }
    while (*s && *s != delim && !(delim == ' ' && is_blank(*s))) {
        if (n < CSV_CELL_MAX - 1) cell[n++] = *s;
        s++;
    }
    while (n && is_blank(cell[n - 1]))
        n--;
    cell[n] = '\0';
    *p = s;
    return 1;
}

/* A whole cell as a number (strtod syntax: "1", "-2.5e3", "nan", "inf"). */
static int parse_number(const char *cell, double *v)
{
    char *end;
    if (!*cell)
        return 0;
    errno = 0;
    *v = strtod(cell, &end);
    return *end == '\0';
}

/* For header == -1: is every cell of the line something other than a number? */
static int looks_like_header(char *line, char delim)
{
    char cell[CSV_CELL_MAX], *p = line;
    double v;
    for (int first = 1; next_cell(&p, delim, cell, first); first = 0)
        if (parse_number(cell, &v))
            return 0;
    return 1;
}

static int64_t count_cells(char *line, char delim)
{
    char cell[CSV_CELL_MAX], *p = line;
    int64_t n = 0;
    for (int first = 1; next_cell(&p, delim, cell, first); first = 0)
        n++;
    return n;
}

static int table_push(csv_table *t, float v, eng_error *err)
{
    if (t->n == t->cap) {
        int64_t cap = t->cap ? 2 * t->cap : 1024;
        if (cap > ENG_MAX_ELEMENTS)
            return eng_err(err, ENG_ERR_MEMORY, "the CSV file is too large");
        float *bigger = realloc(t->vals, sizeof(float) * (size_t)cap);
        if (!bigger)
            return eng_err(err, ENG_ERR_MEMORY, "out of memory reading a CSV file");
        t->vals = bigger;
        t->cap = cap;
    }
    t->vals[t->n++] = v;
    return ENG_OK;
}

/* Parses one data line into t. */
static int read_row(csv_reader *r, char *line, csv_table *t, eng_error *err)
{
    char cell[CSV_CELL_MAX], *p = line;
    int64_t col = 0;
    for (int first = 1; next_cell(&p, r->delim, cell, first); first = 0) {
        double v;
        col++;
        if (!parse_number(cell, &v)) {
            if (!*cell) {
                eng_err(err, ENG_ERR_VALUE, "%s, line %d, column %lld: the cell is empty",
                        r->path, r->line, (long long)col);
                eng_err_hint(err, "write nan for a missing value");
                return ENG_ERR_VALUE;
            }
            return eng_err(err, ENG_ERR_VALUE, "%s, line %d, column %lld: '%.40s%s' is not a "
                           "number", r->path, r->line, (long long)col, cell,
                           strlen(cell) > 40 ? "..." : "");
        }
        if (table_push(t, (float)v, err) != ENG_OK)
            return ENG_ERR_MEMORY;
    }
    if (t->rows == 0) {
        t->cols = col;
        t->cols_line = r->line;
    } else if (col != t->cols) {
        return eng_err(err, ENG_ERR_VALUE, "%s, line %d: %lld cell%s, but line %d has %lld",
                       r->path, r->line, (long long)col, col == 1 ? "" : "s", t->cols_line,
                       (long long)t->cols);
    }
    t->rows++;
    return ENG_OK;
}

eng_tensor *eng_csv_load(const char *path, int header, char delimiter, eng_error *err)
{
    csv_reader r = { .path = path, .delim = delimiter ? delimiter : ',' };
    if (delimiter == '"' || delimiter == '\n' || delimiter == '\r' || delimiter == '#') {
        eng_err(err, ENG_ERR_VALUE, "a CSV delimiter cannot be %s",
                delimiter == '"' ? "'\"'" : delimiter == '#' ? "'#'" : "a line break");
        return NULL;
    }
    if (read_file(path, &r.text, err) != ENG_OK)
        return NULL;
    r.pos = r.text;
    if (strncmp(r.pos, "\xEF\xBB\xBF", 3) == 0)   /* a UTF-8 byte order mark */
        r.pos += 3;
    csv_table t = { 0 };
    int rc = ENG_OK;
    char *line = next_line(&r);
    if (line && (header == 1 || (header < 0 && looks_like_header(line, r.delim)))) {
        t.cols = count_cells(line, r.delim);     /* the width when no data rows follow */
        line = next_line(&r);
    }
    for (; line && rc == ENG_OK; line = next_line(&r))
        rc = read_row(&r, line, &t, err);
    eng_tensor *out = NULL;
    if (rc == ENG_OK) {
        out = eng_tensor_empty(2, (const int64_t[]){ t.rows, t.cols }, err);
        if (out && t.n)
            memcpy(out->storage->data, t.vals, sizeof(float) * (size_t)t.n);
    }
    free(t.vals);
    free(r.text);
    return out;
}
