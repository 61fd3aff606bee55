/*
 * vm_globals.c -- the global variables. Names are turned into slot numbers when code is
 * compiled, so a global read at run time is an array access; the name table only serves the
 * compiler, error messages and completion.
 */
#include <stdlib.h>
#include <string.h>
#include "lang/vm.h"

static size_t find_pos(const lang_globals *g, const char *name, size_t len)
{
    size_t mask = g->index_cap - 1, i = lang_hash_bytes(name, len) & mask;
    while (g->index[i] >= 0) {
        const char *n = g->names[g->index[i]];
        if (strlen(n) == len && memcmp(n, name, len) == 0) break;
        i = (i + 1) & mask;
    }
    return i;
}

static int grow(lang_globals *g)
{
    size_t cap = g->cap ? g->cap * 2 : 256;
    lang_value *values = realloc(g->values, cap * sizeof *values);
    if (!values) return 0;
    g->values = values;
    char **names = realloc(g->names, cap * sizeof *names);
    if (!names) return 0;
    g->names = names;
    lang_value *builtins = realloc(g->builtins, cap * sizeof *builtins);
    if (!builtins) return 0;
    g->builtins = builtins;
    int32_t *index = malloc(cap * 2 * sizeof *index);
    if (!index) return 0;
    free(g->index);
    g->index = index;
    g->index_cap = cap * 2;
    g->cap = cap;
    memset(index, 0xff, g->index_cap * sizeof *index);
    for (size_t i = 0; i < g->len; i++)
        index[find_pos(g, g->names[i], strlen(g->names[i]))] = (int32_t)i;
    return 1;
}

int lang_global_find(const lang_vm *vm, const char *name)
{
    const lang_globals *g = &vm->globals;
    if (!g->index_cap) return -1;
    return g->index[find_pos(g, name, strlen(name))];
}

int lang_global_slot(lang_vm *vm, const char *name, size_t len)
{
    lang_globals *g = &vm->globals;
    if (g->index_cap) {
        int32_t i = g->index[find_pos(g, name, len)];
        if (i >= 0) return i;
    }
    if (g->len == g->cap && !grow(g)) return -1;
    char *copy = strndup(name, len);
    if (!copy) return -1;
    size_t i = g->len++;
    g->names[i] = copy;
    g->values[i] = lang_undef();
    g->builtins[i] = lang_undef();
    g->index[find_pos(g, copy, len)] = (int32_t)i;
    return (int)i;
}
