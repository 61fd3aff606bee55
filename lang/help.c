/*
 * help.c -- what help(), Tab completion and Jupyter's inspect show: help texts of builtins,
 * methods, user functions and values, and the names that can complete a word.
 */
#include <stdlib.h>
#include <string.h>
#include "lang/vm.h"
#include "lang/lexer.h"
#include "lang/lib_core.h"

static char *buf_done(lang_buf *b)
{
    if (b->oom) {
        lang_buf_free(b);
        return NULL;
    }
    return b->data ? b->data : strdup("");
}

static void describe_function(lang_buf *b, const lang_func *f)
{
    const lang_proto *p = f->proto;
    if (p->source) lang_buf_addf(b, "%s\n", p->source);
    else {
        lang_buf_addf(b, "%s(", p->name->chars);
        for (int i = 0; i < p->nparams; i++) lang_buf_addf(b, "%s%s", i ? ", " : "", p->local_names[i]);
        lang_buf_add(b, ")\n", 2);
    }
    if (p->doc) lang_buf_addf(b, "%s\n", p->doc->chars);
    else lang_buf_addf(b, "A function you defined (line %d of %s).\n", p->line,
                       p->file[0] ? p->file : "your input");
}

char *lang_help_text(lang_vm *vm, lang_value v)
{
    lang_buf b = {0};
    if (LANG_IS_TYPE(v, LANG_OBJ_BUILTIN)) {
        const char *h = ((lang_builtin *)v.as.obj)->def->help;
        lang_buf_addf(&b, "%s\n", h ? h : "(no help)");
    } else if (LANG_IS_TYPE(v, LANG_OBJ_METHOD)) {
        const char *h = ((lang_method *)v.as.obj)->fn->def->help;
        lang_buf_addf(&b, "%s\n", h ? h : "(no help)");
    } else if (LANG_IS_TYPE(v, LANG_OBJ_FUNC)) {
        describe_function(&b, (lang_func *)v.as.obj);
    } else if (LANG_IS_TENSOR(v)) {
        eng_tensor *t = LANG_AS_TENSOR(v);
        char shape[128];
        eng_shape_format(t->ndim, t->shape, shape, sizeof shape);
        lang_buf_addf(&b, "tensor of shape %s, dtype float32 (%lld elements)\n", shape, (long long)t->size);
        lang_value_write(&b, v, 1);
        lang_buf_add(&b, "\n", 1);
    } else if (LANG_IS_TYPE(v, LANG_OBJ_NATIVE) && LANG_AS_NATIVE(v)->cls->help) {
        char *h = LANG_AS_NATIVE(v)->cls->help(LANG_AS_NATIVE(v)->ptr);
        if (h) lang_buf_addf(&b, "%s\n", h);
        free(h);
    } else if (LANG_IS_STR(v) && lang_global_find(vm, LANG_AS_STR(v)->chars) >= 0 &&
               !LANG_IS_UNDEF(vm->globals.values[lang_global_find(vm, LANG_AS_STR(v)->chars)])) {
        char *h = lang_help_text(vm, vm->globals.values[lang_global_find(vm, LANG_AS_STR(v)->chars)]);
        if (h) lang_buf_add(&b, h, strlen(h));
        free(h);
    } else {
        lang_buf_addf(&b, "a %s: ", lang_type_name(v));
        lang_value_write(&b, v, 1);
        lang_buf_add(&b, "\n", 1);
        const char *names[64];
        int n = lang_attr_names(vm, v, names, 64);
        if (n) {
            lang_buf_add(&b, "methods:", 8);
            for (int i = 0; i < n; i++) lang_buf_addf(&b, " %s", names[i]);
            lang_buf_add(&b, "\n", 1);
        }
    }
    return buf_done(&b);
}

/* Keywords the lexer knows only to explain that nabla has no such thing (class, try ...). */
static int keyword_supported(const char *k)
{
    static const char *const rejected[] = { "class", "try", "except", "finally", "import",
                                            "from", "raise", "yield", NULL };
    for (int i = 0; rejected[i]; i++)
        if (strcmp(rejected[i], k) == 0) return 0;
    return 1;
}

char *lang_help_overview(lang_vm *vm)
{
    lang_buf b = {0};
    lang_buf_addf(&b, "nabla %s: a small Python-flavoured language for learning deep learning.\n"
                  "Type help(name) for any of these, e.g. help(zeros).\n\nbuiltins:\n", LANG_VERSION);
    int col = 0;
    for (size_t i = 0; i < vm->globals.len; i++) {
        if (!lang_global_is_builtin(vm, i)) continue;
        const char *name = vm->globals.names[i];
        size_t n = strlen(name);
        if (col + (int)n + 1 > 78) {
            lang_buf_add(&b, "\n", 1);
            col = 0;
        }
        lang_buf_addf(&b, "%s%s", col ? " " : "  ", name);
        col += (int)n + (col ? 1 : 2);
    }
    lang_buf_addf(&b, "\n\nkeywords:\n");
    col = 0;
    for (int i = 0; lang_keywords[i]; i++) {
        if (!keyword_supported(lang_keywords[i])) continue;
        int n = (int)strlen(lang_keywords[i]);
        if (col + n + 1 > 78) {
            lang_buf_add(&b, "\n", 1);
            col = 0;
        }
        lang_buf_addf(&b, "%s%s", col ? " " : "  ", lang_keywords[i]);
        col += n + (col ? 1 : 2);
    }
    lang_buf_add(&b, "\n", 1);
    return buf_done(&b);
}

/* ---- completion and inspection ------------------------------------------------------- */

static int is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || (unsigned char)c >= 0x80;
}

/* The start of the expression ending at `end` (before a '.'): names, dots and balanced
 * brackets, as in `model.layers[0]` or `zeros(2)`. */
static size_t expr_start(const char *code, size_t end)
{
    size_t i = end;
    while (i > 0) {
        char c = code[i - 1];
        if (is_ident(c) || c == '.') { i--; continue; }
        if (c == ')' || c == ']') {
            int depth = 0;
            while (i > 0) {
                char d = code[--i];
                if (d == ')' || d == ']') depth++;
                if (d == '(' || d == '[') depth--;
                if (depth == 0) break;
            }
            continue;
        }
        break;
    }
    return i;
}

/* Builtins completion may call to know what `expr.` is: they only compute a value (no output,
 * no files, no random draws that would change a seeded run, nothing slow like loading data). */
static const char *const pure_builtins[] = {
    "tensor", "zeros", "ones", "full", "eye", "arange", "linspace", "reshape", "transpose",
    "flatten", "concat", "stack", "sum", "mean", "max", "min", "argmax", "argmin", "std", "var",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "softmax", "log_softmax", "where", "clip",
    "matmul", "maximum", "minimum", "one_hot", "abs", "round", "shape", "len", "range", "str",
    "repr", "list", "tuple", "dict", "sorted", "reversed", "enumerate", "zip", "type", "float",
    "int", "bool", NULL
};

static int is_pure_builtin(const char *name)
{
    for (int i = 0; pure_builtins[i]; i++)
        if (strcmp(pure_builtins[i], name) == 0) return 1;
    return 0;
}

/* Evaluates the text of an expression for completion or inspection, without running the
 * learner's functions: only names, attributes, indexing and calls of pure builtins. */
static int quiet_eval(lang_vm *vm, const char *code, size_t start, size_t end, lang_value *out)
{
    for (size_t i = start; i < end; i++)
        if (code[i] == '(' && i > start) {
            size_t s = expr_start(code, i);
            char name[64];
            size_t n = i - s;
            if (n == 0 || n >= sizeof name) return 0;
            memcpy(name, code + s, n);
            name[n] = '\0';
            int g = strchr(name, '.') ? -1 : lang_global_find(vm, name);
            if (g < 0 || !lang_global_is_builtin(vm, (size_t)g) || !is_pure_builtin(name))
                return 0;   /* no user code, no methods, nothing with side effects */
        }
    char *src = malloc(end - start + 8);
    if (!src) return 0;
    memcpy(src, code + start, end - start);
    src[end - start] = '\0';
    lang_host saved = vm->host;
    memset(&vm->host, 0, sizeof vm->host);   /* nothing may be printed while completing */
    lang_value captured = lang_undef();
    vm->capture = &captured;
    lang_error err;
    lang_status st = lang_eval(vm, src, "<complete>", LANG_EVAL_ECHO, &err);
    vm->capture = NULL;
    vm->host = saved;
    free(src);
    if (st != LANG_OK || LANG_IS_UNDEF(captured)) {
        lang_decref(vm, captured);
        return 0;
    }
    *out = captured;
    return 1;
}

typedef struct matches {
    char **items;
    int n, cap;
} matches;

static void add_match(matches *m, const char *s)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->items[i], s) == 0) return;
    if (m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 32;
        char **items = realloc(m->items, (size_t)cap * sizeof *items);
        if (!items) return;
        m->items = items;
        m->cap = cap;
    }
    char *c = strdup(s);
    if (c) m->items[m->n++] = c;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int lang_complete(lang_vm *vm, const char *code, size_t cursor, char ***out, size_t *start)
{
    size_t len = strlen(code);
    if (cursor > len) cursor = len;
    size_t w = cursor;
    while (w > 0 && is_ident(code[w - 1])) w--;
    const char *word = code + w;
    size_t wlen = cursor - w;
    matches m = {0};
    *start = w;
    if (w > 0 && code[w - 1] == '.') {
        size_t s = expr_start(code, w - 1);
        lang_value obj;
        if (s < w - 1 && quiet_eval(vm, code, s, w - 1, &obj)) {
            const char *names[256];
            int n = lang_attr_names(vm, obj, names, 256);
            for (int i = 0; i < n; i++)
                if (strncmp(names[i], word, wlen) == 0) add_match(&m, names[i]);
            lang_decref(vm, obj);
        }
    } else {
        for (size_t i = 0; i < vm->globals.len; i++)
            if (!LANG_IS_UNDEF(vm->globals.values[i]) && strncmp(vm->globals.names[i], word, wlen) == 0 &&
                vm->globals.names[i][0] != '_')
                add_match(&m, vm->globals.names[i]);
        for (int i = 0; lang_keywords[i]; i++)
            if (keyword_supported(lang_keywords[i]) && strncmp(lang_keywords[i], word, wlen) == 0)
                add_match(&m, lang_keywords[i]);
    }
    if (m.n > 1) qsort(m.items, (size_t)m.n, sizeof *m.items, cmp_str);
    *out = m.items;
    return m.n;
}

char *lang_inspect(lang_vm *vm, const char *code, size_t cursor, int detail)
{
    size_t len = strlen(code);
    if (cursor > len) cursor = len;
    size_t end = cursor;
    while (end < len && is_ident(code[end])) end++;   /* the whole word under the cursor */
    if (end == cursor && cursor > 0 && code[cursor - 1] == '(') end = --cursor;   /* f(| */
    size_t s = expr_start(code, end);
    if (s == end) return NULL;
    lang_value v;
    if (!quiet_eval(vm, code, s, end, &v)) return NULL;
    char *text = lang_help_text(vm, v);
    lang_decref(vm, v);
    (void)detail;
    return text;
}
