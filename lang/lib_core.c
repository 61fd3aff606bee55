/*
 * lib_core.c -- the core builtins a Python learner reaches for: print, len, range, str,
 * type, input, help ... Output goes through the host interface, never to stdout directly.
 * (sum, min, max, abs and round live with the tensor builtins: they work on both.)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lang/vm.h"
#include "lang/lib_core.h"
#include "lang/lib_tensor.h"

static lang_status text_arg(lang_vm *vm, lang_value v, const char *dflt, lang_buf *b)
{
    if (LANG_IS_UNDEF(v) || LANG_IS_NONE(v)) {
        lang_buf_add(b, dflt, strlen(dflt));
        return LANG_OK;
    }
    if (!LANG_IS_STR(v)) return lang_raise(vm, LANG_ERR_TYPE, "sep and end must be str, got %s", lang_type_name(v));
    lang_buf_add(b, LANG_AS_STR(v)->chars, LANG_AS_STR(v)->len);
    return LANG_OK;
}

/* print(*values, sep=" ", end="\n") */
static lang_status bi_print(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_buf b = {0}, sep = {0};
    lang_status st = text_arg(vm, a[1], " ", &sep);
    for (int i = 0; i < nva && st == LANG_OK; i++) {
        if (i) lang_buf_add(&b, sep.data, sep.len);
        lang_value_write(&b, va[i], 0);
    }
    if (st == LANG_OK) st = text_arg(vm, a[2], "\n", &b);
    if (st == LANG_OK && b.oom) st = lang_raise(vm, LANG_ERR_MEMORY, "out of memory printing");
    if (st == LANG_OK && vm->host.print && b.len) vm->host.print(vm->host.ud, b.data, b.len);
    lang_buf_free(&b);
    lang_buf_free(&sep);
    return st;
}

static lang_status bi_warn(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_buf b = {0};
    lang_buf_add(&b, "warning: ", 9);
    lang_value_write(&b, a[0], 0);
    lang_buf_add(&b, "\n", 1);
    if (!b.oom && vm->host.warn) vm->host.warn(vm->host.ud, b.data, b.len);
    lang_buf_free(&b);
    return LANG_OK;
}

static lang_status bi_len(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_value v = a[0];
    double n;
    if (LANG_IS_STR(v)) n = (double)LANG_AS_STR(v)->nchars;   /* characters, not bytes */
    else if (LANG_IS_LIST(v)) n = (double)LANG_AS_LIST(v)->len;
    else if (LANG_IS_TUPLE(v)) n = (double)LANG_AS_TUPLE(v)->len;
    else if (LANG_IS_DICT(v)) n = (double)LANG_AS_DICT(v)->len;
    else if (LANG_IS_TYPE(v, LANG_OBJ_RANGE)) n = lang_range_len((lang_range *)v.as.obj);
    else if (LANG_IS_TENSOR(v) && LANG_AS_TENSOR(v)->ndim > 0) n = (double)LANG_AS_TENSOR(v)->shape[0];
    else return lang_raise(vm, LANG_ERR_TYPE, "a %s has no len()", lang_type_name(v));
    *out = lang_num(n);
    return LANG_OK;
}

/* range(stop) / range(start, stop[, step]) */
static lang_status bi_range(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int64_t x[3] = {0, 0, 1};
    if (nva < 1 || nva > 3)
        return lang_raise(vm, LANG_ERR_TYPE, "range() takes 1 to 3 arguments, got %d", nva);
    for (int i = 0; i < nva; i++) {
        lang_status st = lang_arg_int(vm, va[i], "range() arguments", &x[nva == 1 ? 1 : i]);
        if (st != LANG_OK) return st;
    }
    if (x[2] == 0) return lang_raise(vm, LANG_ERR_VALUE, "range() step cannot be zero");
    lang_range *r = lang_range_new(vm, (double)x[0], (double)x[1], (double)x[2]);
    if (!r) return LANG_ERR_MEMORY;
    *out = lang_obj_val(r);
    return LANG_OK;
}

static lang_status bi_type(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_str *s = lang_str_cstr(vm, lang_type_name(a[0]));
    if (!s) return LANG_ERR_MEMORY;
    *out = lang_obj_val(s);
    return LANG_OK;
}

static lang_status str_of(lang_vm *vm, lang_value v, int repr, lang_value *out)
{
    lang_str *s = lang_value_str(vm, v, repr);
    if (!s) return LANG_ERR_MEMORY;
    *out = lang_obj_val(s);
    return LANG_OK;
}

static lang_status bi_str_checked(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    if (LANG_IS_UNDEF(a[0])) {
        lang_str *s = lang_str_new(vm, "", 0);
        if (!s) return LANG_ERR_MEMORY;
        *out = lang_obj_val(s);
        return LANG_OK;
    }
    return str_of(vm, a[0], 0, out);
}

static lang_status bi_repr(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return str_of(vm, a[0], 1, out);
}

/* A number from a string, as Python's float("2.5") */
static lang_status parse_number(lang_vm *vm, lang_str *s, const char *fn, double *d)
{
    char *end;
    const char *p = s->chars;
    while (*p == ' ' || *p == '\t' || *p == '\n') p++;
    *d = strtod(p, &end);
    while (*end == ' ' || *end == '\t' || *end == '\n') end++;
    if (end == p || *end)
        return lang_raise(vm, LANG_ERR_VALUE, "%s() cannot convert '%s' to a number", fn, s->chars);
    return LANG_OK;
}

static lang_status bi_float(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    double d = 0;
    if (LANG_IS_UNDEF(a[0])) { *out = lang_num(0); return LANG_OK; }
    lang_status st = LANG_IS_STR(a[0]) ? parse_number(vm, LANG_AS_STR(a[0]), "float", &d)
                                       : lang_arg_num(vm, a[0], "float() argument", &d);
    if (st != LANG_OK) return st;
    *out = lang_num(d);
    return LANG_OK;
}

static lang_status bi_int(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    double d = 0;
    if (LANG_IS_UNDEF(a[0])) { *out = lang_num(0); return LANG_OK; }
    lang_status st = LANG_IS_STR(a[0]) ? parse_number(vm, LANG_AS_STR(a[0]), "int", &d)
                                       : lang_arg_num(vm, a[0], "int() argument", &d);
    if (st != LANG_OK) return st;
    if (isnan(d) || isinf(d)) return lang_raise(vm, LANG_ERR_VALUE, "int() cannot convert %s", isnan(d) ? "nan" : "inf");
    *out = lang_num(trunc(d));
    return LANG_OK;
}

static lang_status bi_bool(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_status st = LANG_OK;
    int t = LANG_IS_UNDEF(a[0]) ? 0 : lang_truthy(vm, a[0], &st);
    *out = lang_bool(t);
    return st;
}

static lang_status bi_input(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_buf prompt = {0};
    if (!LANG_IS_UNDEF(a[0])) lang_value_write(&prompt, a[0], 0);
    char *line = NULL;
    int r = vm->host.input ? vm->host.input(vm->host.ud, prompt.data ? prompt.data : "", &line) : -1;
    lang_buf_free(&prompt);
    if (r != 0 || !line) {
        free(line);
        if (lang_interrupted) return lang_vm_check_interrupt(vm);
        return lang_raise(vm, LANG_ERR_IO, "input() has no input to read here (end of input, or "
                          "the front end does not allow input)");
    }
    lang_str *s = lang_str_cstr(vm, line);
    free(line);
    if (!s) return LANG_ERR_MEMORY;
    *out = lang_obj_val(s);
    return LANG_OK;
}

static lang_status bi_time(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    *out = lang_num((double)ts.tv_sec + ts.tv_nsec * 1e-9);
    return LANG_OK;
}

/* isinstance(x, kind): kind is a builtin such as list, or a tuple of them (nested at most
 * LANG_MAX_NESTING deep: -1 past that). */
static int is_kind(lang_value x, lang_value kind, int depth)
{
    if (LANG_IS_TUPLE(kind)) {
        if (depth > LANG_MAX_NESTING) return -1;
        for (size_t i = 0; i < LANG_AS_TUPLE(kind)->len; i++) {
            int r = is_kind(x, LANG_AS_TUPLE(kind)->items[i], depth + 1);
            if (r) return r;
        }
        return 0;
    }
    const char *k = LANG_IS_TYPE(kind, LANG_OBJ_BUILTIN) ? ((lang_builtin *)kind.as.obj)->def->name
                  : LANG_IS_STR(kind) ? LANG_AS_STR(kind)->chars : "";
    if (strcmp(k, "float") == 0 || strcmp(k, "number") == 0) return LANG_IS_NUM(x) || LANG_IS_BOOL(x);
    if (strcmp(k, "int") == 0) return LANG_IS_BOOL(x) || (LANG_IS_NUM(x) && x.as.num == floor(x.as.num));
    return strcmp(k, lang_type_name(x)) == 0;
}

static lang_status bi_isinstance(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int r = is_kind(a[0], a[1], 0);
    if (r < 0) return lang_raise(vm, LANG_ERR_RECURSION, "maximum recursion depth exceeded in isinstance");
    *out = lang_bool(r);
    return LANG_OK;
}

static lang_status bi_help(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    char *text = LANG_IS_UNDEF(a[0]) ? lang_help_overview(vm) : lang_help_text(vm, a[0]);
    if (!text) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    if (vm->host.page) vm->host.page(vm->host.ud, text);
    else if (vm->host.print) {
        vm->host.print(vm->host.ud, text, strlen(text));
        if (text[0] && text[strlen(text) - 1] != '\n') vm->host.print(vm->host.ud, "\n", 1);
    }
    free(text);
    return LANG_OK;
}

/* Shows v through the host: a new display (update 0) or an update of display `id`. */
static void show(lang_vm *vm, lang_value v, const char *id, int update)
{
    lang_buf b = {0};
    lang_value_write(&b, v, 1);
    char *html = lang_value_html(vm, v);
    lang_mime_bundle bundle = { .text_plain = b.data ? b.data : "", .text_html = html };
    if (update && vm->host.update_display) vm->host.update_display(vm->host.ud, &bundle, id);
    else if (!update && vm->host.display) vm->host.display(vm->host.ud, &bundle, id);
    else if (vm->host.print) {
        vm->host.print(vm->host.ud, bundle.text_plain, b.len);
        vm->host.print(vm->host.ud, "\n", 1);
    }
    free(html);
    lang_buf_free(&b);
}

/* The handle display(x, display_id=True) returns, as IPython's DisplayHandle. */
typedef struct display_handle { char id[64]; } display_handle;

static lang_status dh_update(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    show(vm, a[1], ((display_handle *)LANG_AS_NATIVE(a[0])->ptr)->id, 1);
    return LANG_OK;
}

static lang_status dh_get_attr(lang_vm *vm, void *ptr, const char *name, lang_value *out)
{
    if (strcmp(name, "display_id") != 0) return LANG_ERR_NAME;
    lang_str *s = lang_str_cstr(vm, ((display_handle *)ptr)->id);
    if (!s) return LANG_ERR_MEMORY;
    *out = lang_obj_val(s);
    return LANG_OK;
}

static char *dh_repr(void *ptr)
{
    char *s = malloc(96);
    if (s) snprintf(s, 96, "<DisplayHandle display_id=%s>", ((display_handle *)ptr)->id);
    return s;
}

static const lang_builtin_def dh_methods[] = {
    { "update", dh_update, "self, value",
      "handle.update(value)\nReplaces what the display shows with value (in Jupyter, in place).\n"
      "Example: h = display(0, display_id=True); h.update(1)" },
    { NULL, NULL, NULL, NULL },
};

static const char *const dh_attrs[] = { "display_id", NULL };

static const lang_native_class display_handle_class = {
    .name = "DisplayHandle", .free = free, .get_attr = dh_get_attr, .methods = dh_methods,
    .repr = dh_repr, .attrs = dh_attrs,
};

static lang_status bi_display(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    if (LANG_IS_UNDEF(a[1]) || LANG_IS_NONE(a[1]) || (LANG_IS_BOOL(a[1]) && !a[1].as.boolean)) {
        for (int i = 0; i < nva; i++) show(vm, va[i], NULL, 0);
        return LANG_OK;
    }
    display_handle *h = calloc(1, sizeof *h);
    if (!h) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    if (LANG_IS_STR(a[1])) snprintf(h->id, sizeof h->id, "%s", LANG_AS_STR(a[1])->chars);
    else snprintf(h->id, sizeof h->id, "nabla-display-%u", ++vm->display_count);
    for (int i = 0; i < nva; i++) show(vm, va[i], h->id, 0);
    lang_native *n = lang_native_new(vm, &display_handle_class, h);
    if (!n) return LANG_ERR_MEMORY;
    *out = lang_obj_val(n);
    return LANG_OK;
}

static lang_status bi_clear_output(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int wait = 0;
    if (!LANG_IS_UNDEF(a[0])) {
        lang_status st = lang_arg_bool(vm, a[0], "wait", &wait);
        if (st != LANG_OK) return st;
    }
    if (vm->host.clear_output) vm->host.clear_output(vm->host.ud, wait);
    return LANG_OK;
}

static lang_status bi_chr(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int64_t cp;
    lang_status st = lang_arg_int(vm, a[0], "chr() argument", &cp);
    if (st != LANG_OK) return st;
    if (cp < 0 || cp > 0x10FFFF) return lang_raise(vm, LANG_ERR_VALUE, "chr() argument out of range");
    char buf[5];
    size_t n;
    if (cp < 0x80) { buf[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { buf[0] = (char)(0xC0 | cp >> 6); buf[1] = (char)(0x80 | (cp & 63)); n = 2; }
    else if (cp < 0x10000) { buf[0] = (char)(0xE0 | cp >> 12); buf[1] = (char)(0x80 | ((cp >> 6) & 63)); buf[2] = (char)(0x80 | (cp & 63)); n = 3; }
    else { buf[0] = (char)(0xF0 | cp >> 18); buf[1] = (char)(0x80 | ((cp >> 12) & 63)); buf[2] = (char)(0x80 | ((cp >> 6) & 63)); buf[3] = (char)(0x80 | (cp & 63)); n = 4; }
    lang_str *s = lang_str_new(vm, buf, n);
    if (!s) return LANG_ERR_MEMORY;
    *out = lang_obj_val(s);
    return LANG_OK;
}

static lang_status bi_ord(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    if (!LANG_IS_STR(a[0]) || LANG_AS_STR(a[0])->len == 0)
        return lang_raise(vm, LANG_ERR_TYPE, "ord() needs a one-character str");
    const unsigned char *s = (const unsigned char *)LANG_AS_STR(a[0])->chars;
    unsigned cp = s[0];
    int extra = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : cp >= 0xC0 ? 1 : 0;
    if (extra) cp &= 0x3F >> extra;
    for (int i = 1; i <= extra && s[i]; i++) cp = cp << 6 | (s[i] & 63);
    if ((size_t)extra + 1 != LANG_AS_STR(a[0])->len)
        return lang_raise(vm, LANG_ERR_TYPE, "ord() needs a one-character str");
    *out = lang_num(cp);
    return LANG_OK;
}

const lang_builtin_def lang_core_builtins[] = {
    { "print", bi_print, "*values, sep=, end=, flush=",
      "print(*values, sep=' ', end='\\n', flush=False)\nWrites the values as text, separated by sep and "
      "followed by end (output is always shown at once; flush is accepted for Python's sake).\nExample: print(\"loss\", 0.25)  prints  loss 0.25" },
    { "warn", bi_warn, "message",
      "warn(message)\nWrites 'warning: message' to the error stream (stderr in a terminal, "
      "a red stream in Jupyter).\nExample: warn(\"learning rate is very high\")" },
    { "len", bi_len, "x",
      "len(x)\nThe number of items: characters of a str, items of a list, tuple or dict, rows "
      "(first dimension) of a tensor.\nExample: len(zeros(4, 3))  is  4" },
    { "range", bi_range, "*args",
      "range(stop) / range(start, stop, step=1)\nThe whole numbers from start up to (not "
      "including) stop.\nExample: for i in range(3): print(i)" },
    { "type", bi_type, "x",
      "type(x)\nThe name of x's type as a str: 'number', 'str', 'list', 'tuple', 'dict', "
      "'tensor', 'function', 'bool', 'NoneType' ...\nExample: type(zeros(2))  is  'tensor'" },
    { "str", bi_str_checked, "x=",
      "str(x)\nx as text, as print shows it.\nExample: \"epoch \" + str(3)" },
    { "repr", bi_repr, "x",
      "repr(x)\nx as it would be written in code: strings get quotes.\nExample: repr('a')  is  \"'a'\"" },
    { "float", bi_float, "x=",
      "float(x)\nA number from a number, a one-element tensor or a str.\nExample: float(\"2.5\")" },
    { "int", bi_int, "x=",
      "int(x)\nThe whole number part of x (rounds toward zero), from a number or a str.\n"
      "Example: int(3.9)  is  3" },
    { "bool", bi_bool, "x=",
      "bool(x)\nTrue or False: 0, empty collections, None and False are False.\nExample: bool([])  is  False" },
    { "input", bi_input, "prompt=",
      "input(prompt='')\nShows the prompt and returns the line the user types, as a str.\n"
      "Example: name = input(\"name? \")" },
    { "help", bi_help, "x=",
      "help(x)\nHelp on a builtin, a layer, your function or a value; help() lists "
      "everything.\nExample: help(zeros)" },
    { "time", bi_time, "",
      "time()\nSeconds on a monotonic clock: subtract two readings to time something.\n"
      "Example: t0 = time(); ...; print(time() - t0)" },
    { "isinstance", bi_isinstance, "x, kind",
      "isinstance(x, kind)\nTrue when x is of that kind: list, tuple, dict, str, float, int, "
      "bool, tensor, or a tuple of these.\nExample: isinstance(3, int)  is  True" },
    { "display", bi_display, "*values, display_id=",
      "display(*values, display_id=None)\nShows each value as rich output (tables and pictures in "
      "Jupyter, text in a terminal). With display_id=True (or a name) it returns a handle whose "
      "update(value) replaces the shown value in place.\nExample: h = display(0, display_id=True); "
      "h.update(1)" },
    { "clear_output", bi_clear_output, "wait=",
      "clear_output(wait=False)\nClears the output of the current notebook cell (with wait, "
      "when the next output arrives).\nExample: clear_output(wait=True)" },
    { "chr", bi_chr, "code",
      "chr(code)\nThe one-character str of a Unicode code point.\nExample: chr(8711)  is  '\xe2\x88\x87'" },
    { "ord", bi_ord, "char",
      "ord(char)\nThe Unicode code point of a one-character str.\nExample: ord('a')  is  97" },
    { NULL, NULL, NULL, NULL },
};

lang_status lang_lib_core_open(lang_vm *vm)
{
    lang_status st = lang_register(vm, lang_core_builtins);
    if (st == LANG_OK) st = lang_register(vm, lang_seq_builtins);
    if (st == LANG_OK) st = lang_lib_methods_open(vm);
    return st;
}
