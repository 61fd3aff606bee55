/*
 * scope.h -- lang internal: what each name in a function refers to (scope.c).
 */
#ifndef LANG_SCOPE_H
#define LANG_SCOPE_H

#include "lang/ast.h"

enum {
    LANG_VAR_ASSIGNED = 1,   /* stored to in this function: a local */
    LANG_VAR_PARAM = 2,
    LANG_VAR_USED = 4,       /* only read here */
    LANG_VAR_GLOBAL = 8,     /* declared global */
    LANG_VAR_NONLOCAL = 16,  /* declared nonlocal */
    LANG_VAR_CAPTURED = 32,  /* a local that inner functions capture: lives in a cell */
    LANG_VAR_FREE = 64,      /* a variable of an enclosing function, reached through a cell */
};

typedef struct lang_var {
    const char *name;
    int flags;
    int slot;                /* local slot, or index among the closure's cells; -1 unset */
} lang_var;

typedef struct lang_scope {
    struct lang_scope *parent;
    lang_node *fn;
    int is_module;
    int nparams;
    lang_var *vars;
    int nvars, cap;
} lang_scope;

/* A global or nonlocal declaration that cannot stand (Python rejects the same). */
typedef struct lang_scope_error {
    lang_node *node;         /* NULL: none */
    char msg[160];
} lang_scope_error;

/* Builds the scopes of every function in the program (node->scope). NULL on OOM, or with
 * err->node set when a declaration is misused. */
lang_scope *lang_scope_analyze(lang_arena *arena, lang_node *program, lang_scope_error *err);
lang_var *lang_scope_find(lang_scope *s, const char *name);

#endif
