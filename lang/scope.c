/*
 * scope.c -- name resolution before code generation, with Python's rules:
 *   - at the top level every name is a global;
 *   - in a function, a name assigned anywhere in its body (or a parameter) is local, unless
 *     declared `global` or `nonlocal`;
 *   - any other name is looked up in the enclosing functions (a free variable, captured in a
 *     cell shared with the outer function), else it is a global (builtins are globals).
 * The compiler needs to know that a local is captured before it emits the function's first
 * instruction (captured locals live in cells), hence a separate pass over the whole tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang/scope.h"

static lang_scope *scope_new(lang_arena *arena, lang_scope *parent, lang_node *fn)
{
    lang_scope *s = lang_arena_alloc(arena, sizeof *s);
    if (!s) return NULL;
    s->parent = parent;
    s->fn = fn;
    s->is_module = parent == NULL;
    return s;
}

lang_var *lang_scope_find(lang_scope *s, const char *name)
{
    for (int i = 0; i < s->nvars; i++)
        if (strcmp(s->vars[i].name, name) == 0) return &s->vars[i];
    return NULL;
}

static lang_var *add_var(lang_arena *arena, lang_scope *s, const char *name, int flags)
{
    lang_var *v = lang_scope_find(s, name);
    if (v) {
        v->flags |= flags;
        return v;
    }
    if (s->nvars == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        lang_var *vars = lang_arena_alloc(arena, (size_t)cap * sizeof *vars);
        if (!vars) return NULL;
        if (s->nvars) memcpy(vars, s->vars, (size_t)s->nvars * sizeof *vars);
        s->vars = vars;
        s->cap = cap;
    }
    v = &s->vars[s->nvars++];
    v->name = name;
    v->flags = flags;
    v->slot = -1;
    return v;
}

typedef struct walker {
    lang_arena *arena;
    int oom;
    lang_scope_error *err;   /* the first misuse of global/nonlocal found */
} walker;

static void misuse(walker *w, lang_node *at, const char *fmt, const char *name)
{
    if (w->err->node) return;
    w->err->node = at;
    snprintf(w->err->msg, sizeof w->err->msg, fmt, name);
}

static void declare_block(walker *w, lang_scope *s, lang_node **body, int n);
static void declare_expr(walker *w, lang_scope *s, lang_node *e);

/* A name stored to in scope s. */
static void declare_target(walker *w, lang_scope *s, lang_node *t)
{
    if (!t) return;
    switch (t->kind) {
    case LANG_N_NAME:
        if (!add_var(w->arena, s, t->str, LANG_VAR_ASSIGNED)) w->oom = 1;
        break;
    case LANG_N_TUPLE: case LANG_N_LIST:
        for (int i = 0; i < t->n; i++) declare_target(w, s, t->list[i]);
        break;
    default:   /* x[i] = ..., x.a = ...: loads of x */
        declare_expr(w, s, t);
        break;
    }
}

/* Nested function scopes: make one, declare its parameters, walk its body. */
static void declare_function(walker *w, lang_scope *s, lang_node *fn)
{
    lang_scope *inner = scope_new(w->arena, s, fn);
    if (!inner) { w->oom = 1; return; }
    fn->scope = inner;
    for (int i = 0; i < fn->n2; i++) {
        if (fn->list2[i]->a) declare_expr(w, s, fn->list2[i]->a);   /* defaults: outer scope */
        if (!add_var(w->arena, inner, fn->list2[i]->str, LANG_VAR_ASSIGNED | LANG_VAR_PARAM))
            w->oom = 1;
    }
    inner->nparams = fn->n2;
    if (fn->kind == LANG_N_LAMBDA) declare_expr(w, inner, fn->a);
    else declare_block(w, inner, fn->list, fn->n);
}

/* A comprehension is a function of one parameter (the first iterable, evaluated outside). */
static void declare_comprehension(walker *w, lang_scope *s, lang_node *c)
{
    lang_scope *inner = scope_new(w->arena, s, c);
    if (!inner) { w->oom = 1; return; }
    c->scope = inner;
    if (!add_var(w->arena, inner, ".0", LANG_VAR_ASSIGNED | LANG_VAR_PARAM)) w->oom = 1;
    inner->nparams = 1;
    for (int i = 0; i < c->n; i++) {
        lang_node *clause = c->list[i];
        declare_expr(w, i == 0 ? s : inner, clause->b);
        declare_target(w, inner, clause->a);
        for (int k = 0; k < clause->n; k++) declare_expr(w, inner, clause->list[k]);
    }
    declare_expr(w, inner, c->a);
    declare_expr(w, inner, c->b);
}

static void record_use(walker *w, lang_scope *s, const char *name)
{
    if (!s->is_module && !lang_scope_find(s, name) && !add_var(w->arena, s, name, LANG_VAR_USED))
        w->oom = 1;
}

static void declare_expr(walker *w, lang_scope *s, lang_node *e)
{
    if (!e) return;
    switch (e->kind) {
    case LANG_N_NAME: record_use(w, s, e->str); return;
    case LANG_N_LAMBDA: declare_function(w, s, e); return;
    case LANG_N_LISTCOMP: declare_comprehension(w, s, e); return;
    default: break;
    }
    declare_expr(w, s, e->a);
    declare_expr(w, s, e->b);
    declare_expr(w, s, e->c);
    for (int i = 0; i < e->n; i++) declare_expr(w, s, e->list[i]);
    for (int i = 0; i < e->n2; i++) declare_expr(w, s, e->list2[i]);
}

static void declare_stmt(walker *w, lang_scope *s, lang_node *st)
{
    switch (st->kind) {
    case LANG_N_ASSIGN:
        for (int i = 0; i < st->n; i++) declare_target(w, s, st->list[i]);
        declare_expr(w, s, st->b);
        return;
    case LANG_N_AUGASSIGN:
        declare_target(w, s, st->a);
        declare_expr(w, s, st->a);
        declare_expr(w, s, st->b);
        return;
    case LANG_N_FOR:
        declare_target(w, s, st->a);
        declare_expr(w, s, st->b);
        declare_block(w, s, st->list, st->n);
        return;
    case LANG_N_DEF:
        if (!add_var(w->arena, s, st->str, LANG_VAR_ASSIGNED)) w->oom = 1;
        declare_function(w, s, st);
        return;
    case LANG_N_GLOBAL: case LANG_N_NONLOCAL:
        for (int i = 0; i < st->n; i++) {
            const char *kw = st->kind == LANG_N_GLOBAL ? "global" : "nonlocal";
            lang_var *v = lang_scope_find(s, st->names[i]);
            if (v && (v->flags & LANG_VAR_PARAM))
                misuse(w, st, kw[0] == 'g' ? "name '%s' is parameter and global"
                                           : "name '%s' is parameter and nonlocal", st->names[i]);
            else if (v && (v->flags & LANG_VAR_ASSIGNED) &&
                     !(v->flags & (LANG_VAR_GLOBAL | LANG_VAR_NONLOCAL)))
                misuse(w, st, kw[0] == 'g' ? "name '%s' is assigned to before global declaration"
                                           : "name '%s' is assigned to before nonlocal declaration",
                       st->names[i]);
            else if (v && (v->flags & LANG_VAR_USED) &&
                     !(v->flags & (LANG_VAR_GLOBAL | LANG_VAR_NONLOCAL)))
                misuse(w, st, kw[0] == 'g' ? "name '%s' is used prior to global declaration"
                                           : "name '%s' is used prior to nonlocal declaration",
                       st->names[i]);
            if (!add_var(w->arena, s, st->names[i],
                         st->kind == LANG_N_GLOBAL ? LANG_VAR_GLOBAL : LANG_VAR_NONLOCAL))
                w->oom = 1;
        }
        return;
    case LANG_N_DEL:
        declare_target(w, s, st->a);
        return;
    case LANG_N_WITH:
        declare_expr(w, s, st->a);
        declare_target(w, s, st->b);
        declare_block(w, s, st->list, st->n);
        return;
    case LANG_N_IF:
        declare_expr(w, s, st->a);
        declare_block(w, s, st->list, st->n);
        if (st->c) declare_stmt(w, s, st->c);
        return;
    case LANG_N_BLOCK: case LANG_N_WHILE:
        declare_expr(w, s, st->a);
        declare_block(w, s, st->list, st->n);
        return;
    default:
        declare_expr(w, s, st->a);
        declare_expr(w, s, st->b);
        return;
    }
}

static void declare_block(walker *w, lang_scope *s, lang_node **body, int n)
{
    for (int i = 0; i < n; i++) declare_stmt(w, s, body[i]);
}

/* Pass 2: every name of a function that is used but not assigned is free (found in an
 * enclosing function) or global. Captured locals of the outer function are marked. */
static int resolve_free(lang_arena *arena, lang_scope *s, lang_var *v)
{
    for (lang_scope *outer = s->parent; outer && !outer->is_module; outer = outer->parent) {
        lang_var *o = lang_scope_find(outer, v->name);
        if (!o || (o->flags & LANG_VAR_GLOBAL)) continue;
        if (!(o->flags & (LANG_VAR_ASSIGNED | LANG_VAR_FREE))) continue;
        if (o->flags & LANG_VAR_ASSIGNED) o->flags |= LANG_VAR_CAPTURED;
        v->flags |= LANG_VAR_FREE;
        /* every function between s and outer passes the cell along */
        for (lang_scope *mid = s->parent; mid != outer; mid = mid->parent) {
            lang_var *m = add_var(arena, mid, v->name, LANG_VAR_FREE);
            if (!m) return 0;
        }
        return 1;
    }
    return 1;
}

static int resolve_scope(lang_arena *arena, lang_scope *s)
{
    for (int i = 0; i < s->nvars; i++) {
        lang_var *v = &s->vars[i];
        if (v->flags & LANG_VAR_NONLOCAL) {
            v->flags &= ~LANG_VAR_ASSIGNED;
            v->flags |= LANG_VAR_USED;
        }
        if (s->is_module || (v->flags & (LANG_VAR_GLOBAL | LANG_VAR_ASSIGNED))) continue;
        if (!resolve_free(arena, s, v)) return 0;
    }
    return 1;
}

/* Walks the declared scopes in tree order so outer scopes resolve before inner ones. */
static int resolve_tree(lang_arena *arena, lang_node *n)
{
    if (!n) return 1;
    if (n->scope && !resolve_scope(arena, n->scope)) return 0;
    if (!resolve_tree(arena, n->a) || !resolve_tree(arena, n->b) || !resolve_tree(arena, n->c))
        return 0;
    for (int i = 0; n->list && i < n->n; i++) if (!resolve_tree(arena, n->list[i])) return 0;
    for (int i = 0; i < n->n2; i++) if (!resolve_tree(arena, n->list2[i])) return 0;
    return 1;
}

/* Declares every scope of the program, then resolves free variables, outer scopes first (a
 * free variable found two levels up is added to the middle scope as it is found). */
lang_scope *lang_scope_analyze(lang_arena *arena, lang_node *program, lang_scope_error *err)
{
    err->node = NULL;
    err->msg[0] = '\0';
    walker w = { arena, 0, err };
    lang_scope *module = scope_new(arena, NULL, program);
    if (!module) return NULL;
    program->scope = module;
    declare_block(&w, module, program->list, program->n);
    if (w.oom || err->node || !resolve_tree(arena, program)) return NULL;
    return module;
}
