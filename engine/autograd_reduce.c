/*
 * autograd_reduce.c -- differentiable reductions and softmax: eng_ag_reduce (sum, mean, max,
 * min, prod, std, var), eng_ag_softmax, eng_ag_log_softmax.
 *
 * A reduction's gradient is the output gradient broadcast back over the reduced axes: viewed
 * with keepdims' shape (the reduced axes as size 1), g broadcasts against x. Then per op:
 *   sum   dx = g                     mean  dx = g / count
 *   var   dx = g * 2 (x - mean) / count
 *   std   dx = g * (x - mean) / (count * std)
 *   max   dx = g at the first maximum of each lane (the argmax), 0 elsewhere; min alike
 *   prod  dx = g * (product of the other elements)  (computed without dividing by x, so
 *         zeros are handled: see prod_backward)
 * argmax/argmin give indices: they record nothing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/autograd_internal.h"

/* node layout for reductions */
#define RED_OP     0            /* iarg: the eng_redop */
#define RED_COUNT  1            /* iarg: elements folded into each output element */
#define RED_FLAGS  2            /* iarg[2 + d]: 1 when input dim d is reduced */

/* x's shape with the reduced dims set to 1 (keepdims). */
static void keep_shape(const eng_node *n, int64_t *shape)
{
    const eng_tensor *x = n->in[0];
    for (int d = 0; d < x->ndim; d++)
        shape[d] = n->iarg[RED_FLAGS + d] ? 1 : x->shape[d];
}

/* t (contiguous, out-sized) viewed with keepdims' shape, so it broadcasts against x. */
static eng_tensor *as_keepdims(const eng_node *n, const eng_tensor *t, eng_error *err)
{
    int64_t shape[ENG_MAX_DIMS];
    keep_shape(n, shape);
    return eng_reshape((eng_tensor *)t, n->in[0]->ndim, shape, err);
}

/* gx += gk * s, gk broadcast over the reduced dims. */
static int add_broadcast(eng_node *n, const eng_tensor *g, float s, eng_error *err)
{
    eng_tensor *gx = eng_node_grad(n, 0, err);
    if (!gx)
        return err ? err->code : ENG_OK;
    eng_tensor *gk = as_keepdims(n, g, err);
    eng_tensor *scaled = gk && s != 1.0f ? eng_binary_scalar(ENG_BIN_MUL, gk, s, 0, err) : NULL;
    int rc = !gk || (s != 1.0f && !scaled) ? ag_fail(err)
           : eng_binary_inplace_raw(ENG_BIN_ADD, gx, scaled ? scaled : gk, err);
    eng_tensor_release(gk);
    eng_tensor_release(scaled);
    return rc;
}

/* ---- var and std ------------------------------------------------------------------------- */

/* var: gx += gk * 2 (x - m) / count;  std: gx += gk * (x - m) / (count * std). */
static int moment_backward(eng_node *n, const eng_tensor *g, int is_std, eng_error *err)
{
    eng_tensor *x = n->in[0];
    int axes[ENG_MAX_DIMS], naxes = 0, rc = ENG_ERR_MEMORY;
    for (int d = 0; d < x->ndim; d++)
        if (n->iarg[RED_FLAGS + d])
            axes[naxes++] = d;
    double count = (double)n->iarg[RED_COUNT];
    eng_tensor *m = eng_reduce(ENG_RED_MEAN, x, naxes, axes, 1, err);
    eng_tensor *dev = m ? eng_binary(ENG_BIN_SUB, x, m, err) : NULL;
    eng_tensor *gk = dev ? as_keepdims(n, g, err) : NULL;
    eng_tensor *sk = gk && is_std ? as_keepdims(n, n->saved[0], err) : NULL;
    eng_tensor *w = NULL, *r = NULL;
    if (gk && (!is_std || sk))                  /* w = gk * 2 / count or gk / (count * std) */
        w = is_std ? eng_binary(ENG_BIN_DIV, gk, sk, err)
                   : eng_binary_scalar(ENG_BIN_MUL, gk, (float)(2.0 / count), 0, err);
    if (w && is_std)
        eng_binary_inplace_scalar_raw(ENG_BIN_DIV, w, (float)count, err);
    if (w && (r = eng_binary(ENG_BIN_MUL, dev, w, err)))
        rc = eng_node_accum(n, 0, r, err);
    else
        rc = ag_fail(err);
    eng_tensor *tmp[] = { m, dev, gk, sk, w, r };
    for (int i = 0; i < AG_COUNT(tmp); i++)
        eng_tensor_release(tmp[i]);
    return rc;
}

/* ---- max, min, prod ---------------------------------------------------------------------- */

/* Walks x (contiguous, row-major) and gives, for each element, the index of its output
 * element: an odometer over x's dims, with output strides 0 on reduced dims. */
typedef struct lane_walk {
    int     ndim;
    int64_t shape[ENG_MAX_DIMS], ostride[ENG_MAX_DIMS], idx[ENG_MAX_DIMS];
    int64_t o;
} lane_walk;

static void walk_init(lane_walk *w, const eng_node *n)
{
    const eng_tensor *x = n->in[0];
    int64_t st = 1;
    memset(w, 0, sizeof *w);
    w->ndim = x->ndim;
    for (int d = x->ndim - 1; d >= 0; d--) {
        w->shape[d] = x->shape[d];
        w->ostride[d] = n->iarg[RED_FLAGS + d] ? 0 : st;
        st *= n->iarg[RED_FLAGS + d] ? 1 : x->shape[d];
    }
}

static void walk_next(lane_walk *w)
{
    for (int d = w->ndim - 1; d >= 0; d--) {
        w->o += w->ostride[d];
        if (++w->idx[d] < w->shape[d])
            return;
        w->o -= w->ostride[d] * w->shape[d];
        w->idx[d] = 0;
    }
}

/* gx[i] += g[o] at the first element of each lane equal to the result (NaN matches NaN). */
static int extreme_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    eng_tensor *gx = eng_node_grad(n, 0, err);
    if (!gx)
        return err ? err->code : ENG_OK;
    eng_tensor *x = eng_tensor_contiguous(n->in[0], err);
    char *taken = x ? calloc((size_t)g->size + 1, 1) : NULL;
    if (!taken) {
        eng_tensor_release(x);
        return x ? eng_err(err, ENG_ERR_MEMORY, "out of memory in max backward") : ag_fail(err);
    }
    const float *px = eng_tensor_data(x), *pg = eng_tensor_data(g);
    const float *py = eng_tensor_data(n->saved[0]);
    float *d = eng_tensor_data(gx);
    lane_walk w;
    walk_init(&w, n);
    for (int64_t i = 0; i < x->size; i++, walk_next(&w))
        if (!taken[w.o] && (px[i] == py[w.o] || (px[i] != px[i] && py[w.o] != py[w.o]))) {
            d[i] += pg[w.o];
            taken[w.o] = 1;
        }
    free(taken);
    eng_tensor_release(x);
    return ENG_OK;
}

/* d prod / d x_i is the product of the lane's other elements: with no zero in the lane that
 * is prod / x_i; with one zero, only the zero gets a gradient (the product of the rest); with
 * two or more, none. One pass counts zeros and multiplies the nonzeros (double). */
static int prod_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    eng_tensor *gx = eng_node_grad(n, 0, err);
    if (!gx)
        return err ? err->code : ENG_OK;
    eng_tensor *x = eng_tensor_contiguous(n->in[0], err);
    double *nz = x ? malloc(((size_t)g->size + 1) * sizeof *nz) : NULL;
    int64_t *zeros = nz ? calloc((size_t)g->size + 1, sizeof *zeros) : NULL;
    if (!zeros) {
        free(nz);
        eng_tensor_release(x);
        return x ? eng_err(err, ENG_ERR_MEMORY, "out of memory in prod backward") : ag_fail(err);
    }
    const float *px = eng_tensor_data(x), *pg = eng_tensor_data(g);
    float *d = eng_tensor_data(gx);
    lane_walk w;
    for (int64_t o = 0; o < g->size; o++)
        nz[o] = 1.0;
    walk_init(&w, n);
    for (int64_t i = 0; i < x->size; i++, walk_next(&w))
        px[i] == 0.0f ? zeros[w.o]++ : (void)(nz[w.o] *= px[i]);
    walk_init(&w, n);
    for (int64_t i = 0; i < x->size; i++, walk_next(&w)) {
        double others = zeros[w.o] == 0 ? nz[w.o] / px[i]
                      : zeros[w.o] == 1 && px[i] == 0.0f ? nz[w.o] : 0.0;
        d[i] += (float)(pg[w.o] * others);
    }
    free(nz);
    free(zeros);
    eng_tensor_release(x);
    return ENG_OK;
}

static int reduce_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    int64_t count = n->iarg[RED_COUNT];
    switch ((eng_redop)n->iarg[RED_OP]) {
    case ENG_RED_SUM:  return add_broadcast(n, g, 1.0f, err);
    case ENG_RED_MEAN: return count ? add_broadcast(n, g, (float)(1.0 / (double)count), err)
                                    : ENG_OK;
    case ENG_RED_VAR:  return moment_backward(n, g, 0, err);
    case ENG_RED_STD:  return moment_backward(n, g, 1, err);
    case ENG_RED_MAX:
    case ENG_RED_MIN:  return extreme_backward(n, g, err);
    case ENG_RED_PROD: return prod_backward(n, g, err);
    default:           return ENG_OK;
    }
}

/* Fills the reduced-dim flags and count; axes were validated by eng_reduce. */
static void plan_axes(eng_node *n, const eng_tensor *t, int naxes, const int *axes)
{
    int64_t count = 1;
    for (int i = 0; i < naxes; i++)
        n->iarg[RED_FLAGS + (axes[i] < 0 ? axes[i] + t->ndim : axes[i])] = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (naxes == 0)
            n->iarg[RED_FLAGS + d] = 1;
        if (n->iarg[RED_FLAGS + d])
            count *= t->shape[d];
    }
    n->iarg[RED_COUNT] = count;
}

eng_tensor *eng_ag_reduce(eng_ag *ag, eng_redop op, eng_tensor *t, int naxes, const int *axes,
                          int keepdims, eng_error *err)
{
    eng_node *n;
    eng_tensor *out = eng_reduce(op, t, naxes, axes, keepdims, err);
    if (op == ENG_RED_ARGMAX || op == ENG_RED_ARGMIN)
        return out;
    out = ag_record(ag, out, eng_redop_name(op), reduce_backward, 1, &t, &n, err);
    if (!n)
        return out;
    n->iarg[RED_OP] = op;
    plan_axes(n, t, naxes, axes);
    if (op == ENG_RED_SUM || op == ENG_RED_MEAN)        /* only x's shape is needed */
        eng_node_skip_check(n, 0);
    int keeps_y = op == ENG_RED_STD || op == ENG_RED_MAX || op == ENG_RED_MIN;
    if (keeps_y && eng_node_save(n, 0, out, err) != ENG_OK) {
        eng_tensor_release(out);
        return NULL;
    }
    return out;
}

/* ---- softmax and log_softmax ------------------------------------------------------------- */

/* node: in[0] x; saved[0] y (the output); iarg[0] axis (normalised).
 * softmax:     dx = y * (g - sum(g * y, axis))
 * log_softmax: dx = g - exp(y) * sum(g, axis)                     (sums with keepdims) */
static int softmax_grad(eng_node *n, const eng_tensor *g, int log_form, eng_error *err)
{
    int axis = (int)n->iarg[0];
    eng_tensor *y = n->saved[0], *gc = (eng_tensor *)g;
    eng_tensor *gy = log_form ? eng_tensor_retain(gc) : eng_binary(ENG_BIN_MUL, gc, y, err);
    eng_tensor *s = gy ? eng_reduce(ENG_RED_SUM, gy, 1, &axis, 1, err) : NULL;
    eng_tensor *e = s && log_form ? eng_unary(ENG_UN_EXP, y, err) : NULL;
    eng_tensor *p = NULL, *r = NULL;
    if (s && log_form && e && (p = eng_binary(ENG_BIN_MUL, e, s, err)))
        r = eng_binary(ENG_BIN_SUB, gc, p, err);
    else if (s && !log_form && (p = eng_binary(ENG_BIN_SUB, gc, s, err)))
        r = eng_binary(ENG_BIN_MUL, y, p, err);
    int rc = r ? eng_node_accum(n, 0, r, err) : ag_fail(err);
    eng_tensor *tmp[] = { gy, s, e, p, r };
    for (int i = 0; i < AG_COUNT(tmp); i++)
        eng_tensor_release(tmp[i]);
    return rc;
}

static int softmax_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    return softmax_grad(n, g, 0, err);
}

static int log_softmax_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    return softmax_grad(n, g, 1, err);
}

static eng_tensor *record_softmax(eng_ag *ag, eng_tensor *t, eng_tensor *out, int axis,
                                  int log_form, eng_error *err)
{
    eng_node *n;
    out = ag_record(ag, out, log_form ? "log_softmax" : "softmax",
                    log_form ? log_softmax_backward : softmax_backward, 1, &t, &n, err);
    if (!n)
        return out;
    n->iarg[0] = axis < 0 ? axis + t->ndim : axis;
    eng_node_skip_check(n, 0);                  /* the backward reads y, not x */
    if (eng_node_save(n, 0, out, err) != ENG_OK) {
        eng_tensor_release(out);
        return NULL;
    }
    return out;
}

eng_tensor *eng_ag_softmax(eng_ag *ag, eng_tensor *t, int axis, eng_error *err)
{
    return record_softmax(ag, t, eng_softmax(t, axis, err), axis, 0, err);
}

eng_tensor *eng_ag_log_softmax(eng_ag *ag, eng_tensor *t, int axis, eng_error *err)
{
    return record_softmax(ag, t, eng_log_softmax(t, axis, err), axis, 1, err);
}
