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
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lib_tensor.h"

#define MAX_INPUTS 16

typedef struct check {
    lang_vm *vm;
    lang_value f;
    int n;                          /* inputs */
    eng_tensor *x[MAX_INPUTS];      /* contiguous copies we own (perturbed in place) */
    int64_t n_out;
    double *out_val;                /* scratch: n_out values */
    double eps, atol, rtol;
} check;

static int given(lang_value v) { return !LANG_IS_UNDEF(v) && !LANG_IS_NONE(v); }

/* Calls f on the tensors (wrapped; params when `params` is given) and returns its value. */
static lang_status call_f(check *c, eng_tensor **ts, lang_value *res)
{
    lang_value args[MAX_INPUTS];
    int made = 0;
    lang_status st = LANG_OK;
    for (; made < c->n; made++) {
        args[made] = lang_tensor_wrap(c->vm, eng_tensor_retain(ts[made]));
        if (LANG_IS_UNDEF(args[made])) { st = LANG_ERR_MEMORY; break; }
    }
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

/* Row o of the Jacobian by backward: jac[k][j] for input k, element j (jac rows per input). */
static lang_status analytic_row(check *c, int64_t o, double **jac)
{
    eng_tensor *p[MAX_INPUTS] = { NULL };
    lang_value res = lang_none();
    eng_error err;
    lang_status st = LANG_OK;
    for (int k = 0; k < c->n && st == LANG_OK; k++)
        if (!(p[k] = eng_param(c->x[k], &err))) st = lang_raise_eng(c->vm, &err);
    if (st == LANG_OK) st = call_f(c, p, &res);
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
    for (int k = 0; k < c->n; k++) {
        for (int64_t j = 0; st == LANG_OK && j < c->x[k]->size; j++)
            jac[k][j * c->n_out + o] = p[k]->grad ? eng_tensor_data(p[k]->grad)[j] : 0.0;
        eng_tensor_release(p[k]);
    }
    lang_decref(c->vm, res);
    return st;
}

/* Column (k, j) of the Jacobian by central differences: num[o] for each output o. */
static lang_status numeric_column(check *c, int k, int64_t j, double *num)
{
    float *xj = eng_tensor_data(c->x[k]) + j, keep = *xj;
    float hi = keep + (float)c->eps, lo = keep - (float)c->eps;
    lang_value res;
    for (int side = 0; side < 2; side++) {
        *xj = side ? lo : hi;
        lang_status st = call_f(c, c->x, &res);
        if (st == LANG_OK) st = read_output(c, res, side ? c->out_val : num, &c->n_out);
        if (st == LANG_OK) lang_decref(c->vm, res);
        if (st != LANG_OK) { *xj = keep; return st; }
    }
    *xj = keep;
    for (int64_t o = 0; o < c->n_out; o++)
        num[o] = (num[o] - c->out_val[o]) / ((double)hi - (double)lo);
    return LANG_OK;
}

typedef struct worst {
    double err, an, num;
    int k;
    int64_t j, o;
    int failed;
} worst;

static void compare(const check *c, int k, int64_t j, const double *an, const double *num,
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

static lang_status run_check(check *c, int raise, lang_value *out)
{
    double *jac[MAX_INPUTS] = { NULL }, *num = NULL;
    worst w = { 0 };
    lang_status st = LANG_OK;
    num = malloc(((size_t)c->n_out + 1) * sizeof *num);
    c->out_val = malloc(((size_t)c->n_out + 1) * sizeof *c->out_val);
    for (int k = 0; k < c->n && num; k++)
        jac[k] = malloc(((size_t)(c->x[k]->size * c->n_out) + 1) * sizeof **jac);
    for (int k = 0; k < c->n; k++)
        if (!jac[k]) st = lang_raise(c->vm, LANG_ERR_MEMORY, "gradcheck(): out of memory");
    if (!num || !c->out_val) st = lang_raise(c->vm, LANG_ERR_MEMORY, "gradcheck(): out of memory");
    for (int64_t o = 0; st == LANG_OK && o < c->n_out; o++) st = analytic_row(c, o, jac);
    eng_ag *ag = lang_vm_ag(c->vm);
    int was = eng_ag_set_enabled(ag, 0);
    for (int k = 0; k < c->n && st == LANG_OK; k++)
        for (int64_t j = 0; j < c->x[k]->size && st == LANG_OK; j++)
            if ((st = numeric_column(c, k, j, num)) == LANG_OK)
                compare(c, k, j, jac[k] + j * c->n_out, num, &w);
    eng_ag_set_enabled(ag, was);
    for (int k = 0; k < c->n; k++) free(jac[k]);
    free(num);
    free(c->out_val);
    if (st != LANG_OK) return st;
    if (w.failed && raise)
        return lang_raise(c->vm, LANG_ERR_VALUE, "gradcheck failed: Jacobian mismatch for output "
                          "element %lld with respect to input %d element %lld: backward gives %.6g, "
                          "finite differences %.6g (error %.3g)", (long long)w.o, w.k,
                          (long long)w.j, w.an, w.num, w.err);
    *out = lang_bool(!w.failed);
    return LANG_OK;
}

/* inputs: one tensor (or number or list of numbers), or a tuple/list of them. */
static lang_status read_inputs(check *c, lang_value v)
{
    const lang_value *items = &v;
    size_t n = 1;
    eng_error err;
    if (LANG_IS_TUPLE(v) || (LANG_IS_LIST(v) && LANG_AS_LIST(v)->len &&
                             !LANG_IS_NUM(LANG_AS_LIST(v)->items[0]))) {
        items = LANG_IS_TUPLE(v) ? LANG_AS_TUPLE(v)->items : LANG_AS_LIST(v)->items;
        n = LANG_IS_TUPLE(v) ? LANG_AS_TUPLE(v)->len : LANG_AS_LIST(v)->len;
    }
    if (n == 0 || n > MAX_INPUTS)
        return lang_raise(c->vm, LANG_ERR_VALUE, "gradcheck() needs 1 to %d inputs", MAX_INPUTS);
    for (size_t i = 0; i < n; i++) {
        eng_tensor *t;
        lang_status st = lang_tensor_from_value(c->vm, items[i], "gradcheck() inputs", &t);
        if (st != LANG_OK) return st;
        c->x[c->n] = eng_tensor_copy(t, &err);
        eng_tensor_release(t);
        if (!c->x[c->n]) return lang_raise_eng(c->vm, &err);
        c->n++;
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
    check c = { .vm = vm, .f = a[0], .eps = 1e-3, .atol = 1e-2, .rtol = 1e-2, .n_out = -1 };
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
        int was = eng_ag_set_enabled(lang_vm_ag(vm), 0);
        st = call_f(&c, c.x, &res);
        eng_ag_set_enabled(lang_vm_ag(vm), was);
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
    for (int k = 0; k < c.n; k++) eng_tensor_release(c.x[k]);
    return st;
}
