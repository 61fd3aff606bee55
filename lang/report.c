/*
 * report.c -- errors as values: raising them from builtins, placing them in the source, and
 * formatting the report a learner reads:
 *
 *     ShapeError: line 4, col 9: cannot matmul (64, 784) @ (10, 784): inner sizes 784 and 10 differ
 *         h = x @ w
 *               ^
 *     hint: w.T has shape (784, 10)
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lang/vm.h"

/* ORDER LANG_STATUS */
static const char *const status_names[LANG_STATUS_COUNT] = {
    "OK", "SyntaxError", "NameError", "TypeError", "ShapeError", "IndexError", "KeyError",
    "ValueError", "IOError", "MemoryError", "RecursionError", "KeyboardInterrupt", "SyntaxError",
};

const char *lang_status_name(lang_status s)
{
    return (unsigned)s < LANG_STATUS_COUNT ? status_names[s] : "Error";
}

static lang_error *current(lang_vm *vm) { return vm->err ? vm->err : &vm->scratch_err; }

lang_status lang_raise(lang_vm *vm, lang_status kind, const char *fmt, ...)
{
    lang_error *e = current(vm);
    memset(e, 0, sizeof *e);
    e->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    vm->raised_pos = 0;
    return kind;
}

void lang_hint(lang_vm *vm, const char *fmt, ...)
{
    lang_error *e = current(vm);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->hint, sizeof e->hint, fmt, ap);
    va_end(ap);
}

lang_status lang_raise_eng(lang_vm *vm, const eng_error *ee)
{
    lang_status kind;
    switch (ee->code) {
    case ENG_ERR_SHAPE: kind = LANG_ERR_SHAPE; break;
    case ENG_ERR_INDEX: kind = LANG_ERR_INDEX; break;
    case ENG_ERR_TYPE: kind = LANG_ERR_TYPE; break;
    case ENG_ERR_MEMORY: kind = LANG_ERR_MEMORY; break;
    case ENG_ERR_IO: kind = LANG_ERR_IO; break;
    default: kind = LANG_ERR_VALUE; break;
    }
    lang_raise(vm, kind, "%s", ee->msg);
    if (ee->hint[0]) lang_hint(vm, "%s", ee->hint);
    return kind;
}

/* Copies line `line` (1-based) of source into e->source_line. */
void lang_error_fill_line(lang_error *e, const char *source)
{
    e->source_line[0] = '\0';
    if (!source || e->line <= 0) return;
    const char *p = source;
    for (int l = 1; l < e->line && *p; p++)
        if (*p == '\n') l++;
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len >= sizeof e->source_line) len = sizeof e->source_line - 1;
    memcpy(e->source_line, p, len);
    e->source_line[len] = '\0';
}

void lang_error_set_pos(lang_vm *vm, const lang_srcpos *pos, const char *file)
{
    lang_error *e = current(vm);
    e->line = pos->line;
    e->col = pos->col;
    e->caret_col = pos->caret;
    e->len = 1;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    const lang_frame *top = &vm->frames[vm->nframes - 1];
    const lang_str *src = top->fn->proto->src;
    lang_error_fill_line(e, src ? src->chars : vm->cur_source);
}

size_t lang_error_format(const lang_error *e, char *buf, size_t cap)
{
    if (!cap) return 0;
    size_t n = 0;
#define OUT(...) do { int k_ = snprintf(buf + n, cap - n, __VA_ARGS__); \
                      if (k_ > 0) n = n + (size_t)k_ >= cap ? cap - 1 : n + (size_t)k_; } while (0)
    const char *kind = lang_status_name(e->kind);
    if (e->kind == LANG_ERR_INTERRUPT) OUT("KeyboardInterrupt\n");   /* then where it stopped */
    else if (e->line > 0) OUT("%s: line %d, col %d: %s\n", kind, e->line, e->col, e->msg);
    else OUT("%s: %s\n", kind, e->msg);
    if (e->line > 0 && e->source_line[0]) {
        OUT("%s\n", e->source_line);
        int caret = e->caret_col > 0 ? e->caret_col : e->col;
        int width = e->caret_col > 0 ? 1 : (e->len > 0 ? e->len : 1);
        char marks[300];
        int k = 0;
        for (int i = 1; i < caret && k < 256; i++)
            marks[k++] = e->source_line[i - 1] == '\t' ? '\t' : ' ';
        for (int i = 0; i < width && k < 290; i++) marks[k++] = '^';
        marks[k] = '\0';
        OUT("%s\n", marks);
    }
    if (e->hint[0]) OUT("hint: %s\n", e->hint);
    if (e->trace[0]) OUT("%s", e->trace);
#undef OUT
    return n;
}

/* Levenshtein distance, capped: names are short. */
int lang_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 30 || lb > 30) return 99;
    int d[31][31];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}

/* Names from PyTorch and NumPy that nabla spells another way. */
static const char *const other_names[][2] = {
    { "cross_entropy", "PyTorch's cross_entropy(logits, y) is "
                       "sparse_categorical_crossentropy(y, logits, from_logits=True) here" },
    { "mse_loss", "PyTorch's mse_loss(y_pred, y) is mse(y, y_pred) here" },
    { "binary_cross_entropy", "PyTorch's binary_cross_entropy(p, y) is "
                              "binary_crossentropy(y, p) here" },
    { "randperm", "PyTorch's randperm(n) is permutation(n) here" },
    { "shuffle", "for a shuffled order use permutation(n), then index with it: x[idx]" },
};

/* "did you mean 'zeros'?" for a misspelt name, from the defined globals. */
void lang_suggest_name(lang_vm *vm, const char *name)
{
    for (size_t i = 0; i < sizeof other_names / sizeof other_names[0]; i++)
        if (strcmp(name, other_names[i][0]) == 0) {
            lang_hint(vm, "%s", other_names[i][1]);
            return;
        }
    if (strcmp(name, "true") == 0 || strcmp(name, "false") == 0 || strcmp(name, "null") == 0 ||
        strcmp(name, "none") == 0) {
        lang_hint(vm, "nabla writes True, False and None with capitals");
        return;
    }
    if (strcmp(name, "np") == 0 || strcmp(name, "numpy") == 0 || strcmp(name, "torch") == 0) {
        lang_hint(vm, "tensor functions are built in: write zeros(3), not %s.zeros(3)", name);
        return;
    }
    if (strcmp(name, "math") == 0 || strcmp(name, "random") == 0) {
        lang_hint(vm, "%s functions are built in: write %s, not %s.%s", name,
                  name[0] == 'm' ? "sqrt(x)" : "rand(n)", name, name[0] == 'm' ? "sqrt(x)" : "rand(n)");
        return;
    }
    /* the closest defined name; the program's own names win over builtins at equal distance */
    const char *best = NULL;
    int best_d = (strlen(name) <= 3 ? 1 : 2) + 1, best_builtin = 1;
    for (size_t i = 0; i < vm->globals.len; i++) {
        if (LANG_IS_UNDEF(vm->globals.values[i])) continue;
        int d = lang_edit_distance(name, vm->globals.names[i]);
        int builtin = lang_global_is_builtin(vm, i);
        if (d < best_d || (d == best_d && best_builtin && !builtin)) {
            best = vm->globals.names[i];
            best_d = d;
            best_builtin = builtin;
        }
    }
    if (best) lang_hint(vm, "did you mean '%s'?", best);
}
