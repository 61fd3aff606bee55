/*
 * api.c -- the public entry points of nabla.h: making and freeing a VM, evaluating source,
 * disassembling it, and telling a front end whether input is complete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang/ast.h"
#include "lang/compiler.h"
#include "lang/vm.h"

#define GC_THRESHOLD 20000   /* containers made between cycle collections */

lang_vm *lang_vm_new(const lang_host *host)
{
    lang_vm *vm = calloc(1, sizeof *vm);
    if (!vm) return NULL;
    vm->stack = calloc(LANG_STACK_MAX, sizeof *vm->stack);
    if (!vm->stack) {
        free(vm);
        return NULL;
    }
    vm->sp = vm->stack;
    if (host) vm->host = *host;
    vm->gc_head.gc_next = vm->gc_head.gc_prev = &vm->gc_head;
    vm->gc_threshold = GC_THRESHOLD;
    eng_rng_seed(&vm->rng, 0x6e61626c61ull);   /* "nabla": runs repeat unless seeded */
    if (lang_libs_open(vm) != LANG_OK) {
        lang_vm_free(vm);
        return NULL;
    }
    return vm;
}

void lang_vm_free(lang_vm *vm)
{
    if (!vm) return;
    for (size_t i = 0; i < vm->globals.len; i++) {
        lang_value v = vm->globals.values[i], b = vm->globals.builtins[i];
        vm->globals.values[i] = vm->globals.builtins[i] = lang_undef();
        lang_decref(vm, v);
        lang_decref(vm, b);
    }
    while (vm->sp > vm->stack) lang_decref(vm, *--vm->sp);
    for (int t = 0; t < LANG_METHODS_COUNT; t++) {
        for (size_t i = 0; i < vm->nmethods[t]; i++) lang_decref(vm, lang_obj_val(vm->methods[t][i]));
        free(vm->methods[t]);
    }
    for (size_t i = 0; i < vm->n_native_methods; i++)
        lang_decref(vm, lang_obj_val(vm->native_methods[i]));
    free(vm->native_methods);
    free(vm->native_method_cls);
    lang_gc_collect(vm);   /* whatever is left is in cycles */
    for (size_t i = 0; i < vm->globals.len; i++) free(vm->globals.names[i]);
    free(vm->globals.values);
    free(vm->globals.builtins);
    free(vm->globals.names);
    free(vm->globals.index);
    free(vm->stack);
    free(vm);
}

void lang_interrupt(void) { lang_interrupted = 1; }
void lang_interrupt_clear(void) { lang_interrupted = 0; }

/* Runs a compiled top-level proto as a closure with no captured variables. */
static lang_status run_proto(lang_vm *vm, lang_proto *p)
{
    lang_func *f = calloc(1, sizeof *f);
    if (!f) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    f->h.refcount = 1;
    f->h.type = LANG_OBJ_FUNC;
    f->proto = p;
    p->h.refcount++;
    lang_gc_track(vm, &f->h);
    lang_value result;
    lang_status st = lang_vm_run(vm, f, &result);
    if (st == LANG_OK) lang_decref(vm, result);
    lang_decref(vm, lang_obj_val(f));
    return st;
}

static lang_status eval_text(lang_vm *vm, const char *src, const char *file, int flags,
                             lang_error *err);

/* Source as Python reads it: a UTF-8 byte-order mark dropped, "\r\n" and "\r" line ends
 * made "\n" (so a string spanning lines holds "\n" whatever the file's origin). Returns src
 * itself when nothing changes, else a malloc'd copy stored in *owned too (NULL on OOM). */
static const char *normalize_source(const char *src, char **owned)
{
    *owned = NULL;
    if (strncmp(src, "\xEF\xBB\xBF", 3) == 0) src += 3;
    if (!strchr(src, '\r')) return src;
    char *copy = malloc(strlen(src) + 1), *w = copy;
    if (!copy) return NULL;
    for (const char *p = src; *p; p++) {
        if (*p == '\r') {
            *w++ = '\n';
            if (p[1] == '\n') p++;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return *owned = copy;
}

lang_status lang_eval(lang_vm *vm, const char *src, const char *file, int flags, lang_error *err)
{
    char *owned;
    const char *text = normalize_source(src, &owned);
    if (!text) {
        memset(err, 0, sizeof *err);
        err->kind = LANG_ERR_MEMORY;
        snprintf(err->msg, sizeof err->msg, "out of memory reading the program");
        return LANG_ERR_MEMORY;
    }
    lang_status st = eval_text(vm, text, file, flags, err);
    free(owned);
    return st;
}

static lang_status eval_text(lang_vm *vm, const char *src, const char *file, int flags, lang_error *err)
{
    lang_error *saved_err = vm->err;
    const char *saved_src = vm->cur_source, *saved_file = vm->cur_file;
    memset(err, 0, sizeof *err);
    vm->err = err;
    vm->cur_source = src;
    vm->cur_file = file;
    lang_proto *p;
    lang_status st = lang_compile(vm, src, file, flags & LANG_EVAL_ECHO, &p, err);
    if (st == LANG_OK) {
        st = run_proto(vm, p);
        lang_decref(vm, lang_obj_val(p));
    } else {
        lang_error_fill_line(err, src);
        if (err->kind == LANG_ERR_INCOMPLETE) {
            err->kind = LANG_ERR_SYNTAX;   /* eval has no more input to wait for */
            if (!strstr(err->msg, "was never closed")) {
                size_t n = strlen(err->msg);
                snprintf(err->msg + n, sizeof err->msg - n, " (the input ended too early)");
            }
        }
    }
    if (vm->gc_count > vm->gc_threshold && vm->nframes == 0) lang_gc_collect(vm);
    vm->err = saved_err;
    vm->cur_source = saved_src;
    vm->cur_file = saved_file;
    return st;
}

lang_status lang_disassemble(lang_vm *vm, const char *src, const char *file, char **out,
                             lang_error *err)
{
    lang_proto *p;
    memset(err, 0, sizeof *err);
    *out = NULL;
    char *owned;
    const char *text = normalize_source(src, &owned);
    if (!text) {
        err->kind = LANG_ERR_MEMORY;
        strcpy(err->msg, "out of memory");
        return LANG_ERR_MEMORY;
    }
    lang_status st = lang_compile(vm, text, file, 0, &p, err);
    if (st != LANG_OK) lang_error_fill_line(err, text);
    free(owned);
    if (st != LANG_OK) {
        if (err->kind == LANG_ERR_INCOMPLETE) err->kind = LANG_ERR_SYNTAX;
        return err->kind;
    }
    lang_buf b = {0};
    lang_disasm_proto(&b, p, vm->globals.names);
    lang_decref(vm, lang_obj_val(p));
    if (b.oom) {
        lang_buf_free(&b);
        err->kind = LANG_ERR_MEMORY;
        strcpy(err->msg, "out of memory");
        return LANG_ERR_MEMORY;
    }
    *out = b.data ? b.data : strdup("");
    return LANG_OK;
}

/* The indentation of the last non-blank line, and whether it opens a block (ends with ':'). */
static void last_line(const char *src, char indent[64], int *opens, int *blank_end)
{
    const char *end = src + strlen(src);
    *blank_end = 0;
    const char *p = end;
    /* a trailing blank line ends a block, as in Python's REPL */
    int newlines = 0;
    while (p > src && (p[-1] == '\n' || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r')) {
        if (p[-1] == '\n') newlines++;
        p--;
    }
    *blank_end = newlines >= 2;
    const char *line_end = p, *line = p;
    while (line > src && line[-1] != '\n') line--;
    size_t k = 0;
    while (line + k < line_end && (line[k] == ' ' || line[k] == '\t') && k < 60) {
        indent[k] = line[k];
        k++;
    }
    indent[k] = '\0';
    const char *q = line_end;   /* ignore a trailing comment when looking for ':' */
    const char *hash = memchr(line, '#', (size_t)(line_end - line));
    if (hash) q = hash;
    while (q > line && (q[-1] == ' ' || q[-1] == '\t')) q--;
    *opens = q > line && q[-1] == ':';
}

/* Python's REPL rule: input is complete when it parses, unless its last statement opens a
 * block (if, for, def ...) and no blank line has ended it yet. Lines continued inside
 * brackets do not count as blocks, however they are indented. */
lang_status lang_is_complete(const char *src, char indent[64])
{
    char ind[64];
    int opens, blank_end;
    last_line(src, ind, &opens, &blank_end);
    lang_arena arena = {0};
    lang_node *prog = NULL;
    lang_error err;
    memset(&err, 0, sizeof err);
    char *owned;
    const char *text = normalize_source(src, &owned);
    lang_status st = text ? lang_parse(text, "<input>", &arena, &prog, &err) : LANG_ERR_MEMORY;
    free(owned);
    if (st == LANG_OK && prog->n > 0 && !blank_end) {
        lang_node_kind k = prog->list[prog->n - 1]->kind;
        if (k == LANG_N_IF || k == LANG_N_WHILE || k == LANG_N_FOR || k == LANG_N_DEF ||
            k == LANG_N_WITH)
            st = LANG_ERR_INCOMPLETE;
    }
    lang_arena_free(&arena);
    if (st == LANG_ERR_MEMORY) st = LANG_ERR_SYNTAX;
    if (indent) {
        indent[0] = '\0';
        if (st == LANG_ERR_INCOMPLETE) {
            size_t n = strlen(ind);
            if (opens && n + 4 < 64) memcpy(ind + n, "    ", 5);
            memcpy(indent, ind, strlen(ind) + 1);
        }
    }
    return st;
}

void lang_set_argv(lang_vm *vm, int argc, char **argv)
{
    lang_list *l = lang_list_new(vm, (size_t)(argc > 0 ? argc : 1));
    if (!l) return;
    for (int i = 0; i < argc; i++) {
        lang_str *s = lang_str_cstr(vm, argv[i]);
        if (!s || lang_list_append(vm, l, lang_obj_val(s)) != LANG_OK) break;
    }
    lang_set_global(vm, "argv", lang_obj_val(l));
}
