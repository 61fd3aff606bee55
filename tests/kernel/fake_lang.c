/*
 * fake_lang.c -- a test double of lang/nabla.h for kernel protocol tests: it links with the
 * kernel objects instead of libnabla.a, so the protocol layer can be tested alone.
 *
 * Each line is one statement:  print("text")  warn("text")  help(name)  display_html("...")
 * clear_output()  pause() (0.3 s)  spin()  (loops until interrupted)  x = input("prompt")  name = INT  or an
 * integer expression with + - * ( ) and names, whose value is echoed. Anything else unknown is
 * a NameError; "= =" is a SyntaxError; an unclosed bracket or a trailing ':' is incomplete.
 */
#include "lang/nabla.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>

struct lang_vm {
    lang_host host;
    char names[16][32];
    long values[16];
    int n;
};

static volatile sig_atomic_t interrupted;
void lang_interrupt(void) { interrupted = 1; }
void lang_interrupt_clear(void) { interrupted = 0; }

static const char *status_names[] = {"OK", "SyntaxError", "NameError", "TypeError", "ShapeError",
    "IndexError", "KeyError", "ValueError", "IOError", "MemoryError", "RecursionError",
    "KeyboardInterrupt", "IncompleteInput"};
const char *lang_status_name(lang_status s) { return s < LANG_STATUS_COUNT ? status_names[s] : "Error"; }

size_t lang_error_format(const lang_error *e, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s: line %d, col %d: %s\n    %s\n    %*s^\n", lang_status_name(e->kind),
                     e->line, e->col, e->msg, e->source_line, e->col > 1 ? e->col - 1 : 0, "");
    return n < 0 ? 0 : (size_t)n;
}

lang_vm *lang_vm_new(const lang_host *host) { lang_vm *vm = calloc(1, sizeof *vm); if (vm) vm->host = *host; return vm; }
void lang_vm_free(lang_vm *vm) { free(vm); }
void lang_set_argv(lang_vm *vm, int argc, char **argv) { (void)vm; (void)argc; (void)argv; }
lang_status lang_disassemble(lang_vm *vm, const char *s, const char *f, char **o, lang_error *e) { (void)vm; (void)s; (void)f; (void)e; *o = strdup(""); return LANG_OK; }

static lang_status fail(lang_error *e, lang_status k, const char *line, const char *fmt, const char *arg)
{
    e->kind = k; e->line = 1; e->col = 1; e->len = 1;
    snprintf(e->msg, sizeof e->msg, fmt, arg);
    snprintf(e->source_line, sizeof e->source_line, "%s", line);
    return k;
}

/* Quoted argument of name("...") into out. */
static int str_arg(const char *line, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (strncmp(line, name, n) != 0 || line[n] != '(' || line[n + 1] != '"') return 0;
    const char *s = line + n + 2, *q = strchr(s, '"');
    if (!q) return 0;
    snprintf(out, cap, "%.*s", (int)(q - s), s);
    return 1;
}

static long *lookup(lang_vm *vm, const char *name, size_t len)
{
    for (int i = 0; i < vm->n; i++)
        if (strlen(vm->names[i]) == len && strncmp(vm->names[i], name, len) == 0) return &vm->values[i];
    return NULL;
}

/* expr -> term (('+'|'-') term)* ; term -> atom ('*' atom)* ; atom -> INT | NAME | '(' expr ')' */
static int expr(lang_vm *vm, const char **p, long *v);
static int atom(lang_vm *vm, const char **p, long *v)
{
    while (**p == ' ') (*p)++;
    if (**p == '(') { (*p)++; if (!expr(vm, p, v) || **p != ')') return 0; (*p)++; return 1; }
    if (isdigit((unsigned char)**p)) { *v = strtol(*p, (char **)p, 10); return 1; }
    const char *s = *p;
    while (isalnum((unsigned char)**p) || **p == '_') (*p)++;
    long *slot = *p > s ? lookup(vm, s, (size_t)(*p - s)) : NULL;
    if (!slot) return -1;
    *v = *slot;
    return 1;
}
static int term(lang_vm *vm, const char **p, long *v)
{
    int r = atom(vm, p, v);
    while (r == 1) { while (**p == ' ') (*p)++; if (**p != '*') break; (*p)++; long w; r = atom(vm, p, &w); *v *= w; }
    return r;
}
static int expr(lang_vm *vm, const char **p, long *v)
{
    int r = term(vm, p, v);
    while (r == 1) {
        while (**p == ' ') (*p)++;
        char op = **p;
        if (op != '+' && op != '-') break;
        (*p)++;
        long w; r = term(vm, p, &w);
        *v = op == '+' ? *v + w : *v - w;
    }
    while (**p == ' ') (*p)++;
    return r;
}

static lang_status run_line(lang_vm *vm, const char *line, int echo, lang_error *e)
{
    char arg[256];
    const lang_host *h = &vm->host;
    if (vm->host.poll && vm->host.poll(vm->host.ud)) return fail(e, LANG_ERR_INTERRUPT, line, "interrupted%s", "");
    if (str_arg(line, "print", arg, sizeof arg)) { strcat(arg, "\n"); if (h->print) h->print(h->ud, arg, strlen(arg)); return LANG_OK; }
    if (str_arg(line, "warn", arg, sizeof arg)) { strcat(arg, "\n"); if (h->warn) h->warn(h->ud, arg, strlen(arg)); return LANG_OK; }
    if (str_arg(line, "display_html", arg, sizeof arg)) {
        lang_mime_bundle b = {.text_plain = "<html>", .text_html = arg};
        if (h->display) h->display(h->ud, &b, NULL);
        return LANG_OK;
    }
    if (strncmp(line, "help(", 5) == 0) { if (h->page) h->page(h->ud, "print(x): writes x to stdout\n"); return LANG_OK; }
    if (strcmp(line, "pause()") == 0) { nanosleep(&(struct timespec){0, 300000000}, NULL); return LANG_OK; }
    if (strcmp(line, "clear_output()") == 0) { if (h->clear_output) h->clear_output(h->ud, 0); return LANG_OK; }
    if (strcmp(line, "live()") == 0) {
        lang_mime_bundle b = {.text_plain = "step 0"};
        if (h->display) h->display(h->ud, &b, "live-1");
        char txt[32];
        for (int i = 1; i <= 200000; i++) {
            snprintf(txt, sizeof txt, "step %d", i);
            b.text_plain = txt;
            if (h->update_display) h->update_display(h->ud, &b, "live-1");
            if (h->poll && i % 1000 == 0 && h->poll(h->ud)) return fail(e, LANG_ERR_INTERRUPT, line, "interrupted%s", "");
        }
        return LANG_OK;
    }
    if (strcmp(line, "spin()") == 0) {
        for (;;) {
            if (interrupted || (h->poll && h->poll(h->ud))) return fail(e, LANG_ERR_INTERRUPT, line, "interrupted%s", "");
        }
    }
    if (strstr(line, "= =")) return fail(e, LANG_ERR_SYNTAX, line, "unexpected '='%s", "");
    const char *eq = strchr(line, '=');
    if (eq && strncmp(eq + 1, " input(", 7) == 0) {
        char *got = NULL, prompt[64] = "";
        str_arg(eq + 2, "input", prompt, sizeof prompt);
        if (!h->input || h->input(h->ud, prompt, &got) != 0) return fail(e, LANG_ERR_IO, line, "no input%s", "");
        if (h->print) { h->print(h->ud, got, strlen(got)); h->print(h->ud, "\n", 1); }
        free(got);
        return LANG_OK;
    }
    if (eq) {
        const char *p = eq + 1;
        long v;
        if (expr(vm, &p, &v) != 1) return fail(e, LANG_ERR_NAME, line, "name is not defined%s", "");
        size_t len = (size_t)(eq - line);
        while (len && line[len - 1] == ' ') len--;
        long *slot = lookup(vm, line, len);
        if (!slot && vm->n < 16) { snprintf(vm->names[vm->n], 32, "%.*s", (int)len, line); slot = &vm->values[vm->n++]; }
        if (slot) *slot = v;
        return LANG_OK;
    }
    const char *p = line;
    long v;
    int r = expr(vm, &p, &v);
    if (r != 1) return fail(e, LANG_ERR_NAME, line, "name '%s' is not defined", line);
    if (echo && h->result) {
        char txt[32];
        snprintf(txt, sizeof txt, "%ld", v);
        lang_mime_bundle b = {.text_plain = txt};
        h->result(h->ud, &b);
    }
    return LANG_OK;
}

lang_status lang_eval(lang_vm *vm, const char *src, const char *file, int flags, lang_error *err)
{
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", file);
    char *copy = strdup(src), *save = NULL;
    lang_status st = LANG_OK;
    for (char *line = strtok_r(copy, "\n", &save); line && st == LANG_OK; line = strtok_r(NULL, "\n", &save)) {
        char *next = save && *save ? save : NULL;
        st = run_line(vm, line, (flags & LANG_EVAL_ECHO) && !next, err);
    }
    free(copy);
    return st;
}

lang_status lang_is_complete(const char *src, char indent[64])
{
    int depth = 0;
    for (const char *p = src; *p; p++) depth += (*p == '(' || *p == '[') - (*p == ')' || *p == ']');
    if (strstr(src, "= =")) return LANG_ERR_SYNTAX;
    size_t n = strlen(src);
    if (depth > 0 || (n && src[n - 1] == ':')) { if (indent) strcpy(indent, n && src[n - 1] == ':' ? "    " : ""); return LANG_ERR_INCOMPLETE; }
    return LANG_OK;
}

static const char *builtins[] = {"print", "warn", "help", "input", "display_html", "clear_output", "spin", "live", "zeros", "zip"};

int lang_complete(lang_vm *vm, const char *code, size_t cursor, char ***matches, size_t *start)
{
    (void)vm;
    size_t s = cursor;
    while (s > 0 && (isalnum((unsigned char)code[s - 1]) || code[s - 1] == '_' || (unsigned char)code[s - 1] >= 0x80)) s--;
    *start = s;
    *matches = calloc(16, sizeof **matches);
    int n = 0;
    for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++)
        if (strncmp(builtins[i], code + s, cursor - s) == 0) (*matches)[n++] = strdup(builtins[i]);
    return n;
}

char *lang_inspect(lang_vm *vm, const char *code, size_t cursor, int detail)
{
    (void)vm; (void)detail;
    size_t s = cursor;
    while (s > 0 && isalnum((unsigned char)code[s - 1])) s--;
    for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++)
        if (strlen(builtins[i]) == cursor - s && strncmp(builtins[i], code + s, cursor - s) == 0) {
            char *t = malloc(64);
            snprintf(t, 64, "%s: a builtin function", builtins[i]);
            return t;
        }
    return NULL;
}
