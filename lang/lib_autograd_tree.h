/*
 * lib_autograd_tree.h -- lang internal: the arguments grad() and value_and_grad() differentiate,
 * JAX's "pytrees" (lib_autograd_tree.c):
 *
 *     lang_ag_tree t = { .fname = "grad()" };
 *     lang_ag_tree_wrap(vm, &t, 0, arg, &wrapped, &skel);   // f gets `wrapped`
 *     ... call f, backward ...
 *     size_t next = 0;
 *     lang_ag_tree_grad(vm, &t, &skel, &next);              // skel is now the gradient
 *     lang_decref(vm, wrapped); lang_decref(vm, skel); lang_ag_tree_free(&t);
 *
 * An argument is a leaf (a tensor, a number, a bool, or a list/tuple of numbers only, which
 * stands for a tensor as a bracket literal does), None, or a list, tuple or dict of those,
 * nested. Each leaf becomes a fresh param (a copy: the caller's tensors and their .grad are
 * never touched); its gradient has the leaf's place in a copy of the structure.
 *
 * gradcheck() (lib_autograd_check.c) reads the leaves themselves: with keep_paths set each leaf
 * remembers where it sits ("['w'][0]"), so a failed check can name it as errors here do.
 */
#ifndef LANG_LIB_AUTOGRAD_TREE_H
#define LANG_LIB_AUTOGRAD_TREE_H

#include "lang/value.h"

/* Containers in containers beyond this are an error (a list that contains itself, say). */
#define LANG_AG_TREE_MAX_DEPTH 100

typedef struct lang_ag_leaf {
    eng_tensor *p;              /* one reference: the fresh param */
    int was_number;             /* the leaf was a number or bool: its gradient is a number */
    int argnum;                 /* the argument it is in */
    char *path;                 /* owned: its place in the argument, "['b'][1]" ("" for the
                                   argument itself); NULL unless the tree keeps paths */
} lang_ag_leaf;

/* The leaves of every argument wrapped so far, in argnums order, each argument in preorder. */
typedef struct lang_ag_tree {
    const char *fname;          /* "grad()" or "value_and_grad()", for messages */
    const char *what;           /* what messages call an argument; NULL: "argument" */
    const char *hint;           /* the hint for a leaf that is no tensor; NULL: grad()'s */
    int keep_paths;             /* record each leaf's path (gradcheck's messages need them) */
    lang_ag_leaf *leaves;       /* owned */
    size_t n, cap;
} lang_ag_tree;

/* Wraps argument `argnum` (arg borrowed): *wrapped is what f receives, *skel a private copy of
   the structure for lang_ag_tree_grad to fill (both owned, None after an error). TypeError for
   a leaf that is neither tensor nor number, naming its path: "grad() argument 0['b'][1] is a
   str, not a tensor". */
lang_status lang_ag_tree_wrap(lang_vm *vm, lang_ag_tree *t, int argnum, lang_value arg,
                              lang_value *wrapped, lang_value *skel);
/* Replaces the leaves of *skel, in place, by the gradients their params hold after backward
   (zeros when nothing reached them; numbers for leaves that were numbers), taking leaves from
   *next on. Call once per wrapped argument, in the order they were wrapped. */
lang_status lang_ag_tree_grad(lang_vm *vm, lang_ag_tree *t, lang_value *skel, size_t *next);
/* Releases the params and the paths. */
void lang_ag_tree_free(lang_ag_tree *t);

#endif
