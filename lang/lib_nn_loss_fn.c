/*
 * lib_nn_loss_fn.c -- compile(loss=my_loss): a loss written in the language, as Keras takes a
 * function loss(y_true, y_pred).
 *
 *     def my_loss(y_true, y_pred):
 *         return mean((y_true - y_pred) ** 2, axis=-1)      # one loss per sample
 *     model.compile(optimizer="adam", loss=my_loss)
 *
 * fit and evaluate call it on every batch with fresh tensors: y_pred is a parameter, so the
 * function's operations are recorded and backward() gives the gradient fit feeds to the
 * layers. The function may return one loss per sample (Keras's convention: shape (batch,) or
 * (batch, ...)), reduced as Keras reduces it (weighted by sample_weight, then the mean over
 * every element), or a single number (then sample weights cannot apply).
 *
 * Ownership: the engine object (eng_loss_fn) holds one reference to the function; the model
 * that was compiled with it holds the engine object, and reports the function to the cycle
 * collector through lang_nn_loss_fn_traverse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/chunk.h"
#include "lang/lib_nn.h"
#include "lang/lib_tensor.h"
#include "lang/vm.h"

typedef struct lang_loss_fn {
    eng_loss_fn base;
    lang_vm *vm;
    lang_value f;               /* one reference */
    lang_status st;             /* the error the function raised in the last call */
} lang_loss_fn;

static void loss_fn_free(eng_loss_fn *fn)
{
    lang_loss_fn *l = (lang_loss_fn *)fn;
    lang_decref(l->vm, l->f);
    free(l);
}

/* A tensor of w's nb weights shaped (nb, 1, ...) to broadcast against r (ndim dims). */
static eng_tensor *weights_for(const float *w, int64_t nb, int ndim, eng_error *err)
{
    int64_t shape[ENG_MAX_DIMS];
    shape[0] = nb;
    for (int d = 1; d < ndim; d++) shape[d] = 1;
    eng_tensor *t = eng_tensor_empty(ndim, shape, err);
    if (t) memcpy(eng_tensor_data(t), w, (size_t)nb * sizeof *w);
    return t;
}

/* The batch loss from what the function returned: a number (*t stays NULL), a one-element
 * tensor, or per-sample losses (first axis nb) weighted and averaged. New reference in *t. */
static lang_status reduce_result(lang_loss_fn *l, lang_value r, int64_t nb, const float *w,
                                 double *loss, eng_tensor **t)
{
    lang_vm *vm = l->vm;
    eng_error err;
    char sh[200];
    *t = NULL;
    int number = LANG_IS_NUM(r) || LANG_IS_BOOL(r);
    eng_tensor *rt = LANG_IS_TENSOR(r) ? LANG_AS_TENSOR(r) : NULL;
    int per_sample = rt && rt->ndim >= 1 && rt->shape[0] == nb;
    if (!number && (!rt || (rt->size != 1 && !per_sample)))
        return lang_raise(vm, LANG_ERR_TYPE, "the loss function '%s' must return a number or one "
                          "loss per sample (shape (%lld,)), got %s", l->base.name, (long long)nb,
                          rt ? eng_shape_format(rt->ndim, rt->shape, sh, sizeof sh)
                             : lang_type_name(r));
    if (number && !w) {         /* a constant: the gradient stays zero */
        *loss = LANG_IS_NUM(r) ? r.as.num : r.as.boolean;
        return LANG_OK;
    }
    if (w && !per_sample) {
        lang_raise(vm, LANG_ERR_VALUE, "sample_weight and class_weight need the loss function "
                   "'%s' to return one loss per sample, not their mean", l->base.name);
        lang_hint(vm, "return e.g. mean(..., axis=-1) rather than mean(...)");
        return LANG_ERR_VALUE;
    }
    eng_tensor *wt = w ? weights_for(w, nb, rt->ndim, &err) : NULL;
    eng_tensor *weighted = wt ? eng_ag_binary(&vm->ag, ENG_BIN_MUL, rt, wt, &err)
                              : eng_tensor_retain(rt);
    *t = weighted ? eng_ag_reduce(&vm->ag, ENG_RED_MEAN, weighted, 0, NULL, 0, &err) : NULL;
    eng_tensor_release(weighted);
    eng_tensor_release(wt);
    if (!*t) return lang_raise_eng(vm, &err);
    *loss = eng_tensor_item(*t);
    return LANG_OK;
}

/* f(y_true, y_pred) with recording on; the loss and d loss / d y_pred into grad. */
static lang_status run_loss(lang_loss_fn *l, eng_tensor *yt, eng_tensor *yp, const float *w,
                            double *loss, eng_tensor *grad)
{
    lang_vm *vm = l->vm;
    eng_error err;
    lang_value args[2] = { lang_none(), lang_none() }, res = lang_none();
    yp->requires_grad = grad != NULL;       /* a fresh leaf: the gradient lands in yp->grad */
    lang_status st = lang_tensor_result(vm, eng_tensor_retain(yt), NULL, 0, &args[0]);
    if (st == LANG_OK) st = lang_tensor_result(vm, eng_tensor_retain(yp), NULL, 0, &args[1]);
    int was = eng_ag_set_enabled(&vm->ag, grad != NULL);
    if (st == LANG_OK) st = lang_call_value(vm, l->f, 2, args, &res);
    eng_ag_set_enabled(&vm->ag, was);
    eng_tensor *t = NULL;
    if (st == LANG_OK) st = reduce_result(l, res, yp->shape[0], w, loss, &t);
    if (st == LANG_OK && grad && t && t->requires_grad && eng_backward(t, NULL, &err) != ENG_OK)
        st = lang_raise_eng(vm, &err);
    if (st == LANG_OK && grad && yp->grad)
        memcpy(eng_tensor_data(grad), eng_tensor_data(yp->grad), (size_t)grad->size * sizeof(float));
    eng_tensor_release(t);
    lang_decref(vm, res);
    lang_decref(vm, args[0]);
    lang_decref(vm, args[1]);
    return st;
}

static int loss_fn_call(eng_loss_fn *fn, eng_tensor *yt, eng_tensor *yp, const float *w,
                        double *loss, eng_tensor *grad, eng_error *err)
{
    lang_loss_fn *l = (lang_loss_fn *)fn;
    l->st = run_loss(l, yt, yp, w, loss, grad);
    if (l->st == LANG_OK) return ENG_OK;
    snprintf(err->msg, sizeof err->msg, "the loss function '%s' raised an error", fn->name);
    err->code = ENG_ERR_VALUE;
    return ENG_ERR_VALUE;
}

/* The name of a function value ("my_loss"), for messages and model files. */
static void name_of(lang_value f, char *buf, size_t cap)
{
    const char *name = "loss";
    if (LANG_IS_TYPE(f, LANG_OBJ_FUNC)) name = ((lang_func *)f.as.obj)->proto->name->chars;
    else if (LANG_IS_TYPE(f, LANG_OBJ_BUILTIN)) name = ((lang_builtin *)f.as.obj)->def->name;
    snprintf(buf, cap, "%s", name);
}

lang_status lang_nn_loss_fn_new(lang_vm *vm, lang_value f, eng_loss_fn **out)
{
    lang_loss_fn *l = calloc(1, sizeof *l);
    if (!l) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    l->base.refcount = 1;
    l->base.call = loss_fn_call;
    l->base.free = loss_fn_free;
    name_of(f, l->base.name, sizeof l->base.name);
    l->vm = vm;
    l->f = lang_incref(f);
    *out = &l->base;
    return LANG_OK;
}

static lang_loss_fn *ours(eng_loss_fn *fn)
{
    return fn && fn->call == loss_fn_call ? (lang_loss_fn *)fn : NULL;
}

void lang_nn_loss_fn_traverse(eng_loss_fn *fn, void (*visit)(lang_value *v, void *arg), void *arg)
{
    lang_loss_fn *l = ours(fn);
    if (l) visit(&l->f, arg);
}

lang_status lang_nn_loss_fn_error(eng_loss_fn *fn)
{
    lang_loss_fn *l = ours(fn);
    if (!l) return LANG_OK;
    lang_status st = l->st;
    l->st = LANG_OK;
    return st;
}
