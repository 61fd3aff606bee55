/*
 * lib_autograd.c -- autograd in the language (engine.h, section "autograd"):
 *
 *     w = param(randn(3, 1))             # a copy that records gradients (a leaf)
 *     loss = mean((x @ w - y) ** 2)      # ops on params record a graph
 *     loss.backward()                    # w.grad += dloss/dw, the graph is freed
 *     w -= 0.1 * w.grad;  w.zero_grad()  # in-place updates of a leaf record nothing
 *     with no_grad(): ...                # nothing records inside
 *     g = grad(f, argnums=0)             # JAX style: g(w, x, y) is df/dw
 *     v, g = value_and_grad(f)(w, x, y)
 *     g = grad(loss)({"w": w, "b": b}, x, y)   # a dict of params: a dict of gradients
 *     gradcheck(f, (x,))                 # finite differences against backward: True or ValueError
 *     gradcheck(loss, {"w": w, "b": b})  # containers too: each tensor in them is checked
 *
 * grad() copies each argument it differentiates into fresh params and runs f on the copies,
 * so the caller's tensors and their .grad never change. An argument may be a list, tuple or
 * dict of tensors and numbers, nested (JAX's pytrees); lib_autograd_tree.c wraps it and gives
 * the gradient the same structure. gradcheck() (lib_autograd_check.c) takes the same inputs.
 *
 * The gradient mode lives in the VM (vm->ag), so every VM has its own; the tensor operators
 * and builtins (lib_tensor*.c) pass it to the engine's eng_ag_* ops. grad() and gradcheck()
 * switch gradients on while they run f, so they work inside `with no_grad():` too (JAX has no
 * grad mode at all).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lib_autograd_tree.h"
#include "lang/lib_tensor.h"
#include "lang/vm.h"

eng_ag *lang_vm_ag(lang_vm *vm)
{
    return &vm->ag;
}

static int given(lang_value v) { return !LANG_IS_UNDEF(v) && !LANG_IS_NONE(v); }

/* ---- param and the tensor methods -------------------------------------------------------- */

static lang_status bi_param(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor *t;
    eng_error err;
    lang_status st = lang_tensor_from_value(vm, a[0], "param()", &t);
    if (st != LANG_OK) return st;
    eng_tensor *p = eng_param(t, &err);
    eng_tensor_release(t);
    return lang_tensor_result(vm, p, &err, 0, out);
}

static lang_status m_backward(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor *g = NULL;
    eng_error err;
    if (given(a[1])) {
        lang_status st = lang_tensor_from_value(vm, a[1], "backward() gradient", &g);
        if (st != LANG_OK) return st;
    }
    int rc = eng_backward(LANG_AS_TENSOR(a[0]), g, &err);
    eng_tensor_release(g);
    *out = lang_none();
    return rc == ENG_OK ? LANG_OK : lang_raise_eng(vm, &err);
}

static lang_status m_zero_grad(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor_zero_grad(LANG_AS_TENSOR(a[0]));
    *out = lang_none();
    return LANG_OK;
}

static lang_status m_detach(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_error err;
    return lang_tensor_result(vm, eng_tensor_detach(LANG_AS_TENSOR(a[0]), &err), &err, 0, out);
}

/* The recorded graph as text, one op per line from t back to the params ("*" marks them). */
static lang_status m_graph(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    char *s = eng_graph_format(LANG_AS_TENSOR(a[0]));
    if (!s) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    size_t n = strlen(s);
    lang_str *str = lang_str_new(vm, s, n && s[n - 1] == '\n' ? n - 1 : n);
    free(s);
    if (!str) return LANG_ERR_MEMORY;
    *out = lang_obj_val(str);
    return LANG_OK;
}

/* ---- no_grad ----------------------------------------------------------------------------- */

/* The object `with` enters: remembers the mode to restore. */
typedef struct no_grad_ctx {
    int was;
} no_grad_ctx;

static lang_status no_grad_enter(lang_vm *vm, void *ptr, lang_value *out)
{
    ((no_grad_ctx *)ptr)->was = eng_ag_set_enabled(&vm->ag, 0);
    *out = lang_none();
    return LANG_OK;
}

static void no_grad_leave(lang_vm *vm, void *ptr)
{
    eng_ag_set_enabled(&vm->ag, ((no_grad_ctx *)ptr)->was);
}

static char *no_grad_repr(void *ptr)
{
    return strdup("<no_grad>");
}

static const lang_native_class no_grad_class = {
    .name = "no_grad",
    .free = free,
    .repr = no_grad_repr,
    .enter = no_grad_enter,
    .leave = no_grad_leave,
};

static lang_status bi_no_grad(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    no_grad_ctx *c = calloc(1, sizeof *c);
    if (!c) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    c->was = 1;
    lang_native *n = lang_native_new(vm, &no_grad_class, c);
    if (!n) return LANG_ERR_MEMORY;
    *out = lang_obj_val(n);
    return LANG_OK;
}

/* ---- grad and value_and_grad ------------------------------------------------------------- */

#define MAX_ARGNUMS 8

/* The function grad(f) returns. Holds f (one reference) and the VM to release it with. */
typedef struct grad_fn {
    lang_vm *vm;
    lang_value f;
    int argnums[MAX_ARGNUMS], nargnums;
    int tuple;                  /* argnums was a tuple: return a tuple of gradients */
    int with_value;             /* value_and_grad */
} grad_fn;

static void grad_fn_free(void *ptr)
{
    grad_fn *g = ptr;
    lang_decref(g->vm, g->f);
    free(g);
}

static void grad_fn_traverse(void *ptr, void (*visit)(lang_value *v, void *arg), void *arg)
{
    visit(&((grad_fn *)ptr)->f, arg);
}

static char *grad_fn_repr(void *ptr)
{
    const grad_fn *g = ptr;
    char *s = malloc(64);
    if (s) snprintf(s, 64, "<%s function>", g->with_value ? "value_and_grad" : "grad");
    return s;
}

/* The value f returned, as the loss: a number (f does not depend on its arguments: gradient
 * zero) or a one-element tensor. *t NULL for a number. */
static lang_status loss_of(lang_vm *vm, lang_value v, const char *fname, eng_tensor **t)
{
    char sh[128];
    *t = NULL;
    if (LANG_IS_NUM(v) || LANG_IS_BOOL(v)) return LANG_OK;
    if (!LANG_IS_TENSOR(v))
        return lang_raise(vm, LANG_ERR_TYPE, "%s needs f to return a number or a tensor, got %s",
                          fname, lang_type_name(v));
    *t = LANG_AS_TENSOR(v);
    if ((*t)->size != 1)
        return lang_raise(vm, LANG_ERR_VALUE, "%s needs f to return a scalar (one element), got "
                          "shape %s", fname, eng_shape_format((*t)->ndim, (*t)->shape, sh, sizeof sh));
    return LANG_OK;
}

static const char *fname_of(const grad_fn *g)
{
    return g->with_value ? "value_and_grad()" : "grad()";
}

/* args[k] for each argnum k replaced by its wrapped copy (params at the leaves, the tree holds
 * them); the other arguments stay borrowed. *made counts wrapped[] and skel[] to release. */
static lang_status wrap_args(lang_vm *vm, const grad_fn *g, lang_value *args, int nargs,
                             lang_ag_tree *tree, lang_value *wrapped, lang_value *skel, int *made)
{
    for (int i = 0; i < g->nargnums; i++) {
        int k = g->argnums[i];
        if (k >= nargs)
            return lang_raise(vm, LANG_ERR_TYPE, "%s: argnums asks for argument %d but the function "
                              "got %d argument%s", fname_of(g), k, nargs, nargs == 1 ? "" : "s");
        lang_status st = lang_ag_tree_wrap(vm, tree, k, args[k], &wrapped[i], &skel[i]);
        (*made)++;
        if (st != LANG_OK) return st;
        args[k] = wrapped[i];
    }
    return LANG_OK;
}

/* The result: grads alone, one or a tuple; with the value first for value_and_grad. */
static lang_status pack_result(lang_vm *vm, const grad_fn *g, lang_value value, lang_value *grads,
                               lang_value *out)
{
    lang_value gv = grads[0];
    if (g->tuple) {
        lang_tuple *t = lang_tuple_new(vm, (size_t)g->nargnums);
        if (!t) return LANG_ERR_MEMORY;
        for (int i = 0; i < g->nargnums; i++) t->items[i] = lang_incref(grads[i]);
        gv = lang_obj_val(t);
    } else {
        lang_incref(gv);
    }
    if (!g->with_value) { *out = gv; return LANG_OK; }
    lang_tuple *t = lang_tuple_new(vm, 2);
    if (!t) { lang_decref(vm, gv); return LANG_ERR_MEMORY; }
    t->items[0] = lang_incref(value);
    t->items[1] = gv;
    *out = lang_obj_val(t);
    return LANG_OK;
}

/* f's value for value_and_grad: a number for a 0-d result, else a detached tensor. */
static lang_status plain_value(lang_vm *vm, lang_value v, lang_value *out)
{
    eng_error err;
    if (!LANG_IS_TENSOR(v)) { *out = lang_incref(v); return LANG_OK; }
    eng_tensor *t = LANG_AS_TENSOR(v);
    if (t->ndim == 0) { *out = lang_num(lang_tensor_f32_num(eng_tensor_item(t))); return LANG_OK; }
    return lang_tensor_result(vm, eng_tensor_detach(t, &err), &err, 0, out);
}

/* Runs f on the wrapped arguments, backpropagates, and fills each skeleton with gradients
 * (a number for a leaf that was a number, as JAX gives a scalar). */
static lang_status grad_run(lang_vm *vm, const grad_fn *g, lang_value *args, int nargs,
                            lang_ag_tree *tree, lang_value *skel, lang_value *out)
{
    lang_value res = lang_none(), value = lang_none();
    eng_tensor *loss;
    eng_error err;
    size_t next = 0;
    int was = eng_ag_set_enabled(&vm->ag, 1);
    lang_status st = lang_call_value(vm, g->f, nargs, args, &res);
    eng_ag_set_enabled(&vm->ag, was);
    if (st == LANG_OK) st = loss_of(vm, res, fname_of(g), &loss);
    if (st == LANG_OK && loss && loss->requires_grad && eng_backward(loss, NULL, &err) != ENG_OK)
        st = lang_raise_eng(vm, &err);
    if (st == LANG_OK && g->with_value) st = plain_value(vm, res, &value);
    for (int i = 0; st == LANG_OK && i < g->nargnums; i++)
        st = lang_ag_tree_grad(vm, tree, &skel[i], &next);
    if (st == LANG_OK) st = pack_result(vm, g, value, skel, out);
    lang_decref(vm, value);
    lang_decref(vm, res);
    return st;
}

/* Calling grad(f): self is a[0]; f's arguments are va[0..nva-1]. */
static lang_status grad_call(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    const grad_fn *g = LANG_AS_NATIVE(a[0])->ptr;
    lang_ag_tree tree = { .fname = fname_of(g) };
    lang_value wrapped[MAX_ARGNUMS], skel[MAX_ARGNUMS];
    int made = 0;
    lang_value *args = malloc(((size_t)nva + 1) * sizeof *args);
    if (!args) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    memcpy(args, va, (size_t)nva * sizeof *args);
    lang_status st = wrap_args(vm, g, args, nva, &tree, wrapped, skel, &made);
    if (st == LANG_OK) st = grad_run(vm, g, args, nva, &tree, skel, out);
    for (int i = 0; i < made; i++) {
        lang_decref(vm, wrapped[i]);
        lang_decref(vm, skel[i]);
    }
    lang_ag_tree_free(&tree);
    free(args);
    return st;
}

static const lang_native_class grad_class = {
    .name = "function",
    .free = grad_fn_free,
    .repr = grad_fn_repr,
    .traverse = grad_fn_traverse,
    .call = grad_call,
    .call_params = "self, *args",
};

/* argnums: a whole number or a tuple/list of them (each >= 0, distinct). */
static lang_status parse_argnums(lang_vm *vm, lang_value v, const char *fname, grad_fn *g)
{
    g->nargnums = 1;
    g->argnums[0] = 0;
    if (!given(v)) return LANG_OK;
    const lang_value *items = &v;
    lang_value from_tensor[MAX_ARGNUMS];
    size_t n = 1;
    if (LANG_IS_TENSOR(v) && LANG_AS_TENSOR(v)->ndim == 1) {   /* argnums=[0, 1] is a tensor */
        const eng_tensor *t = LANG_AS_TENSOR(v);
        g->tuple = 1;
        n = (size_t)t->shape[0];
        if (n == 0 || n > MAX_ARGNUMS)
            return lang_raise(vm, LANG_ERR_VALUE, "%s argnums must name 1 to %d arguments", fname,
                              MAX_ARGNUMS);
        for (int64_t i = 0; i < t->shape[0]; i++)
            from_tensor[i] = lang_num(eng_tensor_get(t, &i));
        items = from_tensor;
    } else if (LANG_IS_TUPLE(v) || LANG_IS_LIST(v)) {
        g->tuple = 1;
        items = LANG_IS_TUPLE(v) ? LANG_AS_TUPLE(v)->items : LANG_AS_LIST(v)->items;
        n = LANG_IS_TUPLE(v) ? LANG_AS_TUPLE(v)->len : LANG_AS_LIST(v)->len;
        if (n == 0 || n > MAX_ARGNUMS)
            return lang_raise(vm, LANG_ERR_VALUE, "%s argnums must name 1 to %d arguments", fname,
                              MAX_ARGNUMS);
    }
    for (size_t i = 0; i < n; i++) {
        int64_t k;
        char what[64];
        snprintf(what, sizeof what, "%s argnums", fname);
        lang_status st = lang_tensor_arg_int(vm, items[i], what, &k);
        if (st != LANG_OK) return st;
        if (k < 0 || k > 255)
            return lang_raise(vm, LANG_ERR_VALUE, "%s argnums must be argument positions (0, 1, "
                              "...), got %lld", fname, (long long)k);
        for (size_t j = 0; j < i; j++)
            if (g->argnums[j] == k)
                return lang_raise(vm, LANG_ERR_VALUE, "%s argnums repeats %lld", fname, (long long)k);
        g->argnums[i] = (int)k;
    }
    g->nargnums = (int)n;
    return LANG_OK;
}

static lang_status make_grad(lang_vm *vm, lang_value *a, int with_value, lang_value *out)
{
    const char *fname = with_value ? "value_and_grad()" : "grad()";
    lang_value f = a[0];
    if (!LANG_IS_TYPE(f, LANG_OBJ_FUNC) && !LANG_IS_TYPE(f, LANG_OBJ_BUILTIN) &&
        !LANG_IS_TYPE(f, LANG_OBJ_METHOD) &&
        !(LANG_IS_TYPE(f, LANG_OBJ_NATIVE) && LANG_AS_NATIVE(f)->cls->call))
        return lang_raise(vm, LANG_ERR_TYPE, "%s needs a function, got %s", fname, lang_type_name(f));
    grad_fn *g = calloc(1, sizeof *g);
    if (!g) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    g->vm = vm;
    g->f = lang_none();
    g->with_value = with_value;
    lang_status st = parse_argnums(vm, a[1], fname, g);
    if (st != LANG_OK) { free(g); return st; }
    g->f = lang_incref(f);
    lang_native *n = lang_native_new(vm, &grad_class, g);
    if (!n) return LANG_ERR_MEMORY;
    *out = lang_obj_val(n);
    return LANG_OK;
}

static lang_status bi_grad(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return make_grad(vm, a, 0, out);
}

static lang_status bi_value_and_grad(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                     lang_value *out)
{
    return make_grad(vm, a, 1, out);
}

/* ---- tables ------------------------------------------------------------------------------ */

static const lang_builtin_def autograd_builtins[] = {
    { "param", bi_param, "t",
      "param(t)\nA parameter: a float32 copy of t that records the operations done with it, so "
      "that loss.backward() can fill in its gradient p.grad.\nExample: w = param(randn(3, 1) * "
      "0.1)" },
    { "no_grad", bi_no_grad, "",
      "no_grad()\nUse as `with no_grad():` -- inside the block no operation records gradients "
      "(for evaluation, or to update parameters by hand).\nExample: with no_grad(): pred = x @ w" },
    { "grad", bi_grad, "f, argnums=",
      "grad(f, argnums=0)\nJAX style: a function taking the same arguments as f and returning "
      "the gradient of f (a scalar) with respect to argument argnums (a tuple of positions gives "
      "a tuple of gradients). The argument may be a tensor, a number, or a list, tuple or dict "
      "of them (nested): the gradient then has the same structure. The arguments are copied, "
      "never changed.\nExample: dw = grad(loss)(w, x, y);  g = grad(loss)({'w': w, 'b': b}, x, y)" },
    { "value_and_grad", bi_value_and_grad, "f, argnums=",
      "value_and_grad(f, argnums=0)\nLike grad(f), but the function returns (f's value, the "
      "gradient), the gradient shaped like the argument (a dict for a dict ...).\n"
      "Example: l, dw = value_and_grad(loss)(w, x, y)" },
    { "gradcheck", lang_gradcheck, "f, inputs, eps=, atol=, rtol=, raise_exception=",
      "gradcheck(f, inputs, eps=1e-3, atol=1e-2, rtol=1e-2, raise_exception=True)\nCompares the "
      "gradients backward() computes for f at inputs (a tensor, or a tuple of f's arguments) with "
      "finite differences: True when they agree, else a ValueError naming the worst element "
      "(False with raise_exception=False). An argument may be a list, tuple or dict of tensors "
      "(nested), as grad() takes: every tensor in it is checked, and the error names its place, "
      "e.g. input 0['w']. A dict is one argument; a list of parameters needs a tuple around it: "
      "(params,).\nExample: gradcheck(lambda x: sum(tanh(x) ** 2), randn(3));  "
      "gradcheck(loss, {'w': w, 'b': b})" },
    { NULL, NULL, NULL, NULL },
};

static const lang_builtin_def autograd_methods[] = {
    { "backward", m_backward, "self, gradient=",
      "t.backward(gradient=None)\nComputes the gradient of t (a scalar, e.g. a loss) with respect "
      "to every param it was computed from, adding it into their .grad; the recorded graph is "
      "freed. A non-scalar t needs gradient, dL/dt.\nExample: loss.backward()" },
    { "zero_grad", m_zero_grad, "self",
      "t.zero_grad()\nSets t.grad to zeros (gradients add up across backward() calls until "
      "zeroed).\nExample: w.zero_grad()" },
    { "detach", m_detach, "self",
      "t.detach()\nThe same values (sharing memory) without gradient tracking.\n"
      "Example: plot(loss_curve.detach())" },
    { "graph", m_graph, "self",
      "t.graph()\nThe operations recorded to compute t, one per line from t back to the params "
      "(marked *): op, output shape <- input shapes.\nExample: print(loss.graph())" },
    { NULL, NULL, NULL, NULL },
};

lang_status lang_lib_autograd_open(lang_vm *vm)
{
    eng_ag_init(&vm->ag);
    lang_status st = lang_register(vm, autograd_builtins);
    if (st != LANG_OK) return st;
    return lang_register_methods(vm, LANG_METHODS_TENSOR, autograd_methods);
}
