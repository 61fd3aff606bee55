/*
 * lib_autograd_check.c -- gradcheck(f, inputs): the gradients backward() gives for f against
 * central finite differences, as torch.autograd.gradcheck does (it checks the whole Jacobian:
 * every output element with respect to every input element).
 *
 * Analytic: for each output element o, run f on fresh parameters and backpropagate a one-hot
 * gradient at o; the parameters' .grad are row o of the Jacobian. Numeric: with gradients
 * off, move each input element by +-eps and difference the outputs (in double). float32
 * limits the precision, hence the defaults eps 1e-3, atol 1e-2, rtol 1e-2 (PyTorch's 1e-6,
 * 1e-5, 1e-3 assume float64). Cost: (outputs + 2 * input elements + 1) calls of f: meant for
 * small inputs.
 *
 * Each input (an argument of f) may be a list, tuple or dict of tensors and numbers, nested, as
 * grad() takes (JAX's pytrees): gradcheck(loss, {"w": w, "b": b}). lib_autograd_tree.c wraps
 * them: once into the point checked (its params, the "base" leaves, are what we perturb in place,
 * and each remembers its path for messages: "input 0['w'] element 3"), then, for every call of
 * f, that point again into fresh params and fresh containers, so f may change what it receives
 * (append, set a key, update a tensor in place) without moving the point.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lib_autograd_tree.h"
#include "lang/lib_tensor.h"

#define MAX_INPUTS 16

static const char tree_hint[] = "gradcheck() checks tensors and numbers, alone or in lists, "
    "tuples and dicts; give f anything else through a closure: gradcheck(lambda p: loss(p, "
    "data), (params,))";

typedef struct check {
    lang_vm *vm;
    lang_value f;
    int n;                          /* inputs: f's arguments */
    lang_value skel[MAX_INPUTS];    /* owned: each input's private copy, base params at leaves */
    lang_ag_tree base;              /* those params: contiguous, perturbed in place */
    int64_t n_out;
    double *out_val;                /* scratch: n_out values */
    double eps, atol, rtol;
} check;

static int given(lang_value v) { return !LANG_IS_UNDEF(v) && !LANG_IS_NONE(v); }

static lang_ag_tree new_tree(int keep_paths)
{
    return (lang_ag_tree){ .fname = "gradcheck()", .what = "input", .hint = tree_hint,
                           .keep_paths = keep_paths };
}

/* Calls f on fresh copies of the inputs, params at the leaves, and returns its value. *t gets
 * the params (the caller reads their .grad, then frees *t). */
static lang_status call_f(check *c, lang_ag_tree *t, lang_value *res)
{
    lang_value args[MAX_INPUTS];
    int made = 0;
    lang_status st = LANG_OK;
    for (; made < c->n && st == LANG_OK; made++) {
        lang_value skel;
        st = lang_ag_tree_wrap(c->vm, t, made, c->skel[made], &args[made], &skel);
        lang_decref(c->vm, skel);
    }
    if (st == LANG_OK && t->n != c->base.n)   /* cannot happen: the skeletons are private */
        st = lang_raise(c->vm, LANG_ERR_VALUE, "gradcheck() lost track of its inputs");
    if (st == LANG_OK) st = lang_call_value(c->vm, c->f, c->n, args, res);
    for (int i = 0; i < made; i++) lang_decref(c->vm, args[i]);
    return st;
}

/* f's value as n_out doubles into dst (n_out set by the first call: *count < 0). */
static lang_status read_output(check *c, lang_value v, double *dst, int64_t *count)
{
    char sh[128];
    if (LANG_IS_NUM(v) || LANG_IS_BOOL(v)) {
        if (*count < 0) *count = 1;
        if (dst) dst[0] = LANG_IS_NUM(v) ? v.as.num : v.as.boolean;
        return LANG_OK;
    }
    if (!LANG_IS_TENSOR(v))
        return lang_raise(c->vm, LANG_ERR_TYPE, "gradcheck() needs f to return a tensor or a "
                          "number, got %s", lang_type_name(v));
    eng_tensor *t = LANG_AS_TENSOR(v);
    if (*count >= 0 && t->size != *count)
        return lang_raise(c->vm, LANG_ERR_VALUE, "gradcheck(): f returned shape %s, and "
                          "another size before", eng_shape_format(t->ndim, t->shape, sh, sizeof sh));
    *count = t->size;
    if (!dst) return LANG_OK;
    eng_error err;
    eng_tensor *cp = eng_tensor_copy(t, &err);
    if (!cp) return lang_raise_eng(c->vm, &err);
    for (int64_t i = 0; i < t->size; i++) dst[i] = eng_tensor_data(cp)[i];
    eng_tensor_release(cp);
    return LANG_OK;
}

/* Row o of the Jacobian by backward: jac[k][j * n_out + o] for leaf k, element j. */
static lang_status analytic_row(check *c, int64_t o, double **jac)
{
    lang_ag_tree t = new_tree(0);
    lang_value res = lang_none();
    eng_error err;
    lang_status st = call_f(c, &t, &res);
    /* the size is checked again: the one-hot gradient below is indexed by o */
    if (st == LANG_OK) st = read_output(c, res, NULL, &c->n_out);
    if (st == LANG_OK && LANG_IS_TENSOR(res) && LANG_AS_TENSOR(res)->requires_grad) {
        eng_tensor *out = LANG_AS_TENSOR(res);
        eng_tensor *g = eng_tensor_new(out->ndim, out->shape, &err);
        if (!g) st = lang_raise_eng(c->vm, &err);
        else {
            eng_tensor_data(g)[o] = 1.0f;
            if (eng_backward(out, g, &err) != ENG_OK) st = lang_raise_eng(c->vm, &err);
            eng_tensor_release(g);
        }
    }
    for (size_t k = 0; st == LANG_OK && k < t.n; k++) {
        const eng_tensor *p = t.leaves[k].p;
        for (int64_t j = 0; j < p->size; j++)
            jac[k][j * c->n_out + o] = p->grad ? eng_tensor_data(p->grad)[j] : 0.0;
    }
    lang_decref(c->vm, res);
    lang_ag_tree_free(&t);
    return st;
}

/* Column (k, j) of the Jacobian by central differences: num[o] for each output o. */
static lang_status numeric_column(check *c, size_t k, int64_t j, double *num)
{
    float *xj = eng_tensor_data(c->base.leaves[k].p) + j, keep = *xj;
    float hi = keep + (float)c->eps, lo = keep - (float)c->eps;
    lang_value res;
    for (int side = 0; side < 2; side++) {
        lang_ag_tree t = new_tree(0);
        *xj = side ? lo : hi;
        lang_status st = call_f(c, &t, &res);
        lang_ag_tree_free(&t);
        if (st == LANG_OK) {
            st = read_output(c, res, side ? c->out_val : num, &c->n_out);
            lang_decref(c->vm, res);
        }
        if (st != LANG_OK) { *xj = keep; return st; }
    }
    *xj = keep;
    for (int64_t o = 0; o < c->n_out; o++)
        num[o] = (num[o] - c->out_val[o]) / ((double)hi - (double)lo);
    return LANG_OK;
}

typedef struct worst {
    double err, an, num;
    size_t k;                   /* the leaf */
    int64_t j, o;
    int failed;
} worst;

static void compare(const check *c, size_t k, int64_t j, const double *an, const double *num,
                    worst *w)
{
    for (int64_t o = 0; o < c->n_out; o++) {
        double e = fabs(an[o] - num[o]), allowed = c->atol + c->rtol * fabs(num[o]);
        if (!(e <= allowed) && (!w->failed || e > w->err || isnan(e))) {
            *w = (worst){ e, an[o], num[o], k, j, o, 1 };
        } else if (!w->failed && e > w->err) {
            w->err = e;
        }
    }
}

/* The Jacobian's rows by backward, then its columns by differences, compared as they come. */
static lang_status fill_and_compare(check *c, double **jac, double *num, worst *w)
{
    lang_status st = LANG_OK;
    for (int64_t o = 0; st == LANG_OK && o < c->n_out; o++) st = analytic_row(c, o, jac);
    eng_ag *ag = lang_vm_ag(c->vm);
    int was = eng_ag_set_enabled(ag, 0);
    for (size_t k = 0; k < c->base.n && st == LANG_OK; k++)
        for (int64_t j = 0; j < c->base.leaves[k].p->size && st == LANG_OK; j++)
            if ((st = numeric_column(c, k, j, num)) == LANG_OK)
                compare(c, k, j, jac[k] + j * c->n_out, num, w);
    eng_ag_set_enabled(ag, was);
    return st;
}

/* The verdict, for the worst element: its leaf is named by its input and its path there. */
static lang_status run_check(check *c, int raise, lang_value *out)
{
    size_t n_leaves = c->base.n;
    double **jac = calloc(n_leaves + 1, sizeof *jac), *num;
    worst w = { 0 };
    lang_status st = LANG_OK;
    num = malloc(((size_t)c->n_out + 1) * sizeof *num);
    c->out_val = malloc(((size_t)c->n_out + 1) * sizeof *c->out_val);
    for (size_t k = 0; jac && k < n_leaves; k++)
        jac[k] = malloc(((size_t)(c->base.leaves[k].p->size * c->n_out) + 1) * sizeof **jac);
    for (size_t k = 0; jac && k < n_leaves; k++)
        if (!jac[k]) st = LANG_ERR_MEMORY;
    if (!jac || !num || !c->out_val || st != LANG_OK)
        st = lang_raise(c->vm, LANG_ERR_MEMORY, "gradcheck(): out of memory");
    else st = fill_and_compare(c, jac, num, &w);
    for (size_t k = 0; jac && k < n_leaves; k++) free(jac[k]);
    free(jac);
    free(num);
    free(c->out_val);
    c->out_val = NULL;
    if (st != LANG_OK) return st;
    if (w.failed && raise) {
        const lang_ag_leaf *l = &c->base.leaves[w.k];
        return lang_raise(c->vm, LANG_ERR_VALUE, "gradcheck failed: Jacobian mismatch for output "
                          "element %lld with respect to input %d%s element %lld: backward gives "
                          "%.6g, finite differences %.6g (error %.3g)", (long long)w.o, l->argnum,
                          l->path ? l->path : "", (long long)w.j, w.an, w.num, w.err);
    }
    *out = lang_bool(!w.failed);
    return LANG_OK;
}

/* inputs: one input, or a tuple/list of them (f's arguments). An input is a tensor, a number, a
 * list of numbers, or a list, tuple or dict of those, nested. A top-level list that does not
 * start with a number is the list of arguments, as it was before inputs could be containers,
 * so a list of parameters meant as f's one argument goes in a tuple: (params,). */
static lang_status read_inputs(check *c, lang_value v)
{
    const lang_value *items = &v;
    size_t n = 1;
    if (LANG_IS_TUPLE(v) || (LANG_IS_LIST(v) && LANG_AS_LIST(v)->len &&
                             !LANG_IS_NUM(LANG_AS_LIST(v)->items[0]))) {
        items = LANG_IS_TUPLE(v) ? LANG_AS_TUPLE(v)->items : LANG_AS_LIST(v)->items;
        n = LANG_IS_TUPLE(v) ? LANG_AS_TUPLE(v)->len : LANG_AS_LIST(v)->len;
    }
    if (n == 0 || n > MAX_INPUTS)
        return lang_raise(c->vm, LANG_ERR_VALUE, "gradcheck() needs 1 to %d inputs", MAX_INPUTS);
    for (size_t i = 0; i < n; i++) {
        lang_value wrapped;   /* not needed: every call of f wraps the skeleton afresh */
        lang_status st = lang_ag_tree_wrap(c->vm, &c->base, (int)i, items[i], &wrapped,
                                           &c->skel[i]);
        c->n++;
        lang_decref(c->vm, wrapped);
        if (st != LANG_OK) return st;
    }
    return LANG_OK;
}

static lang_status arg_pos(lang_vm *vm, lang_value v, const char *what, double *x)
{
    if (!given(v)) return LANG_OK;
    lang_status st = lang_arg_num(vm, v, what, x);
    if (st == LANG_OK && !(*x >= 0))
        return lang_raise(vm, LANG_ERR_VALUE, "%s must be a positive number", what);
    return st;
}

lang_status lang_gradcheck(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    check c = { .vm = vm, .f = a[0], .base = new_tree(1), .eps = 1e-3, .atol = 1e-2,
                .rtol = 1e-2, .n_out = -1 };
    int raise = 1;
    lang_value res;
    lang_status st = arg_pos(vm, a[2], "gradcheck() eps", &c.eps);
    if (st == LANG_OK) st = arg_pos(vm, a[3], "gradcheck() atol", &c.atol);
    if (st == LANG_OK) st = arg_pos(vm, a[4], "gradcheck() rtol", &c.rtol);
    if (st == LANG_OK && given(a[5])) st = lang_arg_bool(vm, a[5], "gradcheck() raise_exception", &raise);
    if (st == LANG_OK && c.eps == 0)
        st = lang_raise(vm, LANG_ERR_VALUE, "gradcheck() eps must be a positive number");
    if (st == LANG_OK) st = read_inputs(&c, a[1]);
    if (st == LANG_OK) {                        /* the output's size, and f runs at all */
        lang_ag_tree t = new_tree(0);
        int was = eng_ag_set_enabled(lang_vm_ag(vm), 0);
        st = call_f(&c, &t, &res);
        eng_ag_set_enabled(lang_vm_ag(vm), was);
        lang_ag_tree_free(&t);
        if (st == LANG_OK) {
            st = read_output(&c, res, NULL, &c.n_out);
            lang_decref(vm, res);
        }
    }
    if (st == LANG_OK) {
        int was = eng_ag_set_enabled(lang_vm_ag(vm), 1);
        st = run_check(&c, raise, out);
        eng_ag_set_enabled(lang_vm_ag(vm), was);
    }
    for (int k = 0; k < c.n; k++) lang_decref(vm, c.skel[k]);
    lang_ag_tree_free(&c.base);
    return st;
}
