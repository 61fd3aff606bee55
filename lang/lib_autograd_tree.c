/*
 * lib_autograd_tree.c -- the arguments grad() differentiates as JAX's pytrees
 * (lib_autograd_tree.h):
 *
 *     params = {"w": randn(784, 10) * 0.01, "b": zeros(10)}
 *     g = grad(loss)(params, x, y)          # {"w": dloss/dw, "b": dloss/db}
 *     params = {k: params[k] - 0.1 * g[k] for k in params}
 *
 * Wrapping walks an argument once and builds two copies of its containers: the one f receives,
 * with a fresh param at every leaf, and a private skeleton holding the same params. After
 * backward the skeleton's leaves are replaced by the gradients. Why two copies: f may change
 * the containers it receives (append, set a key), and may change the caller's containers too
 * through a global; nobody else can reach the skeleton, so the gradient always has the
 * structure the argument had when f was called, and filling it never meets a surprise.
 * gradcheck() wraps that skeleton again for every call of f, and asks the leaves to remember
 * their paths (keep_paths), so a failed check names a leaf as the errors here name one.
 *
 * Leaves are tensors, numbers and bools (differentiated, as JAX differentiates Python floats:
 * the gradient of a number is a number), and lists/tuples of numbers only, which stand for a
 * tensor everywhere in nabla (a bracket literal of numbers is one). None stays None (JAX treats
 * None as an empty subtree). Anything else is a TypeError naming the leaf's path; JAX raises a
 * TypeError for non-float leaves too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lib_autograd_tree.h"
#include "lang/lib_tensor.h"

/* Where the walk is: "argument 0['b'][1]", for messages. */
typedef struct walk {
    lang_ag_tree *t;
    int argnum;
    lang_buf path;
    size_t root;                /* the length of "argument 0": the leaf paths start after it */
} walk;

static lang_status wrap_node(lang_vm *vm, walk *w, lang_value v, int depth, lang_value *wrapped,
                             lang_value *skel);

static const char *what_text(const lang_ag_tree *t)
{
    return t->what ? t->what : "argument";
}

static const char *path_text(const walk *w)
{
    return w->path.data ? w->path.data : what_text(w->t);
}

static void path_pop(walk *w, size_t mark)
{
    if (!w->path.data || w->path.len < mark) return;
    w->path.len = mark;
    w->path.data[mark] = '\0';
}

/* The items of a list or tuple (v must be one). */
static lang_value *seq_items(lang_value v, size_t *n)
{
    if (LANG_IS_TUPLE(v)) { *n = LANG_AS_TUPLE(v)->len; return LANG_AS_TUPLE(v)->items; }
    *n = LANG_AS_LIST(v)->len;
    return LANG_AS_LIST(v)->items;
}

/* A non-empty list or tuple of numbers (nested) only: a tensor, as a bracket literal of numbers
 * is. An empty one is a container: [] gives [], as JAX gives. */
static int numbers_only(lang_value v, int depth)
{
    if (LANG_IS_NUM(v) || LANG_IS_BOOL(v)) return 1;
    if (depth > LANG_AG_TREE_MAX_DEPTH || !(LANG_IS_LIST(v) || LANG_IS_TUPLE(v))) return 0;
    size_t n;
    const lang_value *items = seq_items(v, &n);
    for (size_t i = 0; i < n; i++)
        if (!numbers_only(items[i], depth + 1)) return 0;
    return n > 0;
}

/* ---- wrapping ---------------------------------------------------------------------------- */

/* The leaf's path below its argument ("['b'][1]"), for trees that keep paths; else NULL. */
static lang_status leaf_path(lang_vm *vm, const walk *w, char **path)
{
    *path = NULL;
    if (!w->t->keep_paths) return LANG_OK;
    if (w->path.oom || !w->path.data || w->path.len < w->root ||
        !(*path = strdup(w->path.data + w->root)))
        return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    return LANG_OK;
}

/* Takes p and path: the tree owns them from here, or they are freed on error. */
static lang_status add_leaf(lang_vm *vm, const walk *w, eng_tensor *p, int was_number, char *path)
{
    lang_ag_tree *t = w->t;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        lang_ag_leaf *l = realloc(t->leaves, cap * sizeof *l);
        if (!l) {
            eng_tensor_release(p);
            free(path);
            return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
        }
        t->leaves = l;
        t->cap = cap;
    }
    t->leaves[t->n++] = (lang_ag_leaf){ p, was_number, w->argnum, path };
    return LANG_OK;
}

/* A leaf: a fresh param (the tree keeps one reference), the same value for f and skeleton. */
static lang_status wrap_leaf(lang_vm *vm, walk *w, lang_value v, lang_value *wrapped,
                             lang_value *skel)
{
    eng_tensor *x, *p;
    eng_error err;
    char what[256];   /* "grad() argument 0['x'] needs a rectangular list: ..." */
    snprintf(what, sizeof what, "%s %s", w->t->fname, path_text(w));
    char *path;
    lang_status st = lang_tensor_from_value(vm, v, what, &x);
    if (st != LANG_OK) return st;
    p = eng_param(x, &err);
    eng_tensor_release(x);
    if (!p) return lang_raise_eng(vm, &err);
    if ((st = leaf_path(vm, w, &path)) != LANG_OK) { eng_tensor_release(p); return st; }
    st = add_leaf(vm, w, p, LANG_IS_NUM(v) || LANG_IS_BOOL(v), path);
    if (st != LANG_OK) return st;
    *wrapped = lang_tensor_wrap(vm, eng_tensor_retain(p));
    if (LANG_IS_UNDEF(*wrapped)) { *wrapped = lang_none(); return LANG_ERR_MEMORY; }
    *skel = lang_incref(*wrapped);
    return LANG_OK;
}

/* An empty container of v's kind (list, tuple of v's length, dict); None after MemoryError. */
static lang_value new_like(lang_vm *vm, lang_value v)
{
    void *o;
    if (LANG_IS_DICT(v)) o = lang_dict_new(vm);
    else if (LANG_IS_TUPLE(v)) o = lang_tuple_new(vm, LANG_AS_TUPLE(v)->len);
    else o = lang_list_new(vm, LANG_AS_LIST(v)->len);
    return o ? lang_obj_val(o) : lang_none();
}

/* Stores item i (or key's value, for a dict) into a container made by new_like. Takes v. */
static lang_status put(lang_vm *vm, lang_value c, size_t i, lang_value key, lang_value v)
{
    if (LANG_IS_TUPLE(c)) { LANG_AS_TUPLE(c)->items[i] = v; return LANG_OK; }
    if (LANG_IS_LIST(c)) return lang_list_append(vm, LANG_AS_LIST(c), v);
    lang_status st = lang_dict_set(vm, LANG_AS_DICT(c), key, v);
    lang_decref(vm, v);
    return st;
}

/* Wraps item i of a container (key: its dict key, else UNDEF) into both copies. */
static lang_status wrap_child(lang_vm *vm, walk *w, lang_value item, size_t i, lang_value key,
                              int depth, lang_value wrapped, lang_value skel)
{
    lang_value cw, cs;
    size_t mark = w->path.len;
    lang_buf_add(&w->path, "[", 1);
    if (LANG_IS_UNDEF(key)) lang_buf_addf(&w->path, "%zu", i);
    else lang_value_write(&w->path, key, 1);
    lang_buf_add(&w->path, "]", 1);
    lang_status st = wrap_node(vm, w, item, depth + 1, &cw, &cs);
    path_pop(w, mark);
    if (st != LANG_OK) {
        lang_decref(vm, cw);
        lang_decref(vm, cs);
        return st;
    }
    st = put(vm, wrapped, i, key, cw);
    if (st != LANG_OK) { lang_decref(vm, cs); return st; }
    return put(vm, skel, i, key, cs);
}

/* A list, tuple or dict: both copies, item by item, dict keys in their order. */
static lang_status wrap_container(lang_vm *vm, walk *w, lang_value v, int depth,
                                  lang_value *wrapped, lang_value *skel)
{
    *wrapped = new_like(vm, v);
    *skel = new_like(vm, v);
    if (LANG_IS_NONE(*wrapped) || LANG_IS_NONE(*skel)) return LANG_ERR_MEMORY;
    lang_status st = LANG_OK;
    if (LANG_IS_DICT(v)) {
        const lang_dict *d = LANG_AS_DICT(v);
        for (size_t i = 0; st == LANG_OK && i < d->n_entries; i++)
            if (!LANG_IS_UNDEF(d->entries[i].key))   /* a deleted entry */
                st = wrap_child(vm, w, d->entries[i].val, i, d->entries[i].key, depth, *wrapped, *skel);
        return st;
    }
    size_t n;
    const lang_value *items = seq_items(v, &n);
    for (size_t i = 0; st == LANG_OK && i < n; i++)
        st = wrap_child(vm, w, items[i], i, lang_undef(), depth, *wrapped, *skel);
    return st;
}

/* Any value of the tree. On error *wrapped and *skel are still the caller's to release. */
static lang_status wrap_node(lang_vm *vm, walk *w, lang_value v, int depth, lang_value *wrapped,
                             lang_value *skel)
{
    *wrapped = *skel = lang_none();
    if (LANG_IS_NONE(v)) return LANG_OK;
    if (LANG_IS_TENSOR(v) || numbers_only(v, depth)) return wrap_leaf(vm, w, v, wrapped, skel);
    if (!LANG_IS_LIST(v) && !LANG_IS_TUPLE(v) && !LANG_IS_DICT(v)) {
        lang_raise(vm, LANG_ERR_TYPE, "%s %s is a %s, not a tensor", w->t->fname, path_text(w),
                   lang_type_name(v));
        if (w->t->hint) lang_hint(vm, "%s", w->t->hint);
        else lang_hint(vm, "%s differentiates tensors and numbers, alone or in lists, tuples "
                       "and dicts; pass anything else in an argument that argnums does not name",
                       w->t->fname);
        return LANG_ERR_TYPE;
    }
    if (depth >= LANG_AG_TREE_MAX_DEPTH)
        return lang_raise(vm, LANG_ERR_RECURSION, "%s %s %d nests containers more than %d deep "
                          "(does a container contain itself?)", w->t->fname, what_text(w->t),
                          w->argnum, LANG_AG_TREE_MAX_DEPTH);
    return wrap_container(vm, w, v, depth, wrapped, skel);
}

lang_status lang_ag_tree_wrap(lang_vm *vm, lang_ag_tree *t, int argnum, lang_value arg,
                              lang_value *wrapped, lang_value *skel)
{
    walk w = { .t = t, .argnum = argnum };
    lang_buf_addf(&w.path, "%s %d", what_text(t), argnum);
    w.root = w.path.len;
    lang_status st = wrap_node(vm, &w, arg, 0, wrapped, skel);
    lang_buf_free(&w.path);
    if (st != LANG_OK) {
        lang_decref(vm, *wrapped);
        lang_decref(vm, *skel);
        *wrapped = *skel = lang_none();
    }
    return st;
}

/* ---- gradients --------------------------------------------------------------------------- */

/* A leaf's gradient: its param's .grad, zeros when backward never reached it. */
static lang_status leaf_grad(lang_vm *vm, const lang_ag_leaf *l, lang_value *out)
{
    eng_error err;
    eng_tensor *g = l->p->grad ? eng_tensor_retain(l->p->grad)
                               : eng_tensor_new(l->p->ndim, l->p->shape, &err);
    return lang_tensor_result(vm, g, &err, l->was_number, out);
}

/* Replaces the leaves under *slot. In the skeleton every tensor is a leaf, in walk order. */
static lang_status fill(lang_vm *vm, lang_ag_tree *t, lang_value *slot, size_t *next)
{
    lang_status st = LANG_OK;
    if (LANG_IS_TENSOR(*slot)) {
        lang_value g;
        if (*next >= t->n)   /* cannot happen: the skeleton is private */
            return lang_raise(vm, LANG_ERR_VALUE, "%s lost track of its arguments", t->fname);
        st = leaf_grad(vm, &t->leaves[(*next)++], &g);
        if (st != LANG_OK) return st;
        lang_decref(vm, *slot);
        *slot = g;
    } else if (LANG_IS_DICT(*slot)) {
        lang_dict *d = LANG_AS_DICT(*slot);
        for (size_t i = 0; st == LANG_OK && i < d->n_entries; i++)
            if (!LANG_IS_UNDEF(d->entries[i].key)) st = fill(vm, t, &d->entries[i].val, next);
    } else if (LANG_IS_LIST(*slot) || LANG_IS_TUPLE(*slot)) {
        size_t n;
        lang_value *items = seq_items(*slot, &n);
        for (size_t i = 0; st == LANG_OK && i < n; i++) st = fill(vm, t, &items[i], next);
    }
    return st;   /* None: no leaves, its gradient is None */
}

lang_status lang_ag_tree_grad(lang_vm *vm, lang_ag_tree *t, lang_value *skel, size_t *next)
{
    return fill(vm, t, skel, next);
}

void lang_ag_tree_free(lang_ag_tree *t)
{
    for (size_t i = 0; i < t->n; i++) {
        eng_tensor_release(t->leaves[i].p);
        free(t->leaves[i].path);
    }
    free(t->leaves);
    t->leaves = NULL;
    t->n = t->cap = 0;
}
