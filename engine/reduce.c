/*
 * reduce.c -- reductions over axes (sum, mean, max, min, prod, std, var, argmax, argmin),
 * sum_to (the reduction autograd needs to undo broadcasting), softmax and log_softmax.
 *
 * Accumulating reductions walk the input once in memory order and add each element into a
 * double accumulator chosen by the output position: the accumulator is addressed through
 * strides that are 0 on the reduced axes. So `sum(x, axis=0)` of an (N, C) tensor streams over
 * x row by row, adding rows into C accumulators, instead of striding down columns.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

/* ORDER eng_redop */
static const char *const redop_names[ENG_RED_COUNT] = {
    [ENG_RED_SUM] = "sum", [ENG_RED_MEAN] = "mean", [ENG_RED_MAX] = "max",
    [ENG_RED_MIN] = "min", [ENG_RED_PROD] = "prod", [ENG_RED_STD] = "std",
    [ENG_RED_VAR] = "var", [ENG_RED_ARGMAX] = "argmax", [ENG_RED_ARGMIN] = "argmin",
};

const char *eng_redop_name(eng_redop op)
{
    return (unsigned)op < ENG_RED_COUNT ? redop_names[op] : "?";
}

/* What a reduction needs to know about its axes. */
typedef struct red_plan {
    int     reduced[ENG_MAX_DIMS];   /* 1 for each reduced axis of the input */
    int     nreduced;
    int64_t count;                   /* elements folded into each output element */
    int     out_ndim;
    int64_t out_shape[ENG_MAX_DIMS];
    int64_t out_size;
    int64_t acc_strides[ENG_MAX_DIMS];  /* input dims -> accumulator index (0 when reduced) */
} red_plan;

static int plan_reduce(const eng_tensor *t, int naxes, const int *axes, int keepdims,
                       red_plan *p, eng_error *err)
{
    memset(p, 0, sizeof *p);
    if (naxes < 0 || naxes > ENG_MAX_DIMS)
        return eng_err(err, ENG_ERR_VALUE, "bad number of axes %d", naxes);
    for (int i = 0; i < naxes; i++) {
        int ax;
        if (eng_axis_normalize(axes[i], t->ndim, &ax, err) != ENG_OK)
            return ENG_ERR_INDEX;
        if (p->reduced[ax]++)
            return eng_err(err, ENG_ERR_VALUE, "duplicate axis %d in reduction", axes[i]);
    }
    p->count = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (naxes == 0)
            p->reduced[d] = 1;
        p->nreduced += p->reduced[d];
        if (p->reduced[d])
            p->count *= t->shape[d];
        if (!p->reduced[d] || keepdims)
            p->out_shape[p->out_ndim++] = p->reduced[d] ? 1 : t->shape[d];
    }
    p->out_size = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        p->acc_strides[d] = p->reduced[d] ? 0 : p->out_size;
        p->out_size *= p->reduced[d] ? 1 : t->shape[d];
    }
    return ENG_OK;
}

/* ---- accumulating reductions ------------------------------------------------------------- */

typedef enum acc_kind { ACC_SUM, ACC_PROD, ACC_MAX, ACC_MIN, ACC_SQDEV } acc_kind;

/* One input row into the accumulators. ACC_SQDEV adds (x - mean)^2 with mean[] per output. */
static void acc_row(acc_kind k, int64_t n, double *acc, int64_t sa, const float *x, int64_t sx,
                    const double *mean)
{
    for (int64_t i = 0; i < n; i++) {
        double v = x[i * sx], *a = &acc[i * sa];
        switch (k) {
        case ACC_SUM:   *a += v; break;
        case ACC_PROD:  *a *= v; break;
        case ACC_MAX:   if (v > *a || v != v) *a = *a != *a ? *a : v; break;
        case ACC_MIN:   if (v < *a || v != v) *a = *a != *a ? *a : v; break;
        case ACC_SQDEV: { double dv = v - mean[i * sa]; *a += dv * dv; } break;
        }
    }
}

/* Row sum into one accumulator (the reduced axis is innermost): a tight loop. */
static double sum_row(int64_t n, const float *x, int64_t sx)
{
    double s = 0.0;
    if (sx == 1)
        for (int64_t i = 0; i < n; i++)
            s += x[i];
    else
        for (int64_t i = 0; i < n; i++)
            s += x[i * sx];
    return s;
}

static void accumulate(acc_kind k, const eng_tensor *t, const red_plan *p, double *acc,
                       const double *mean)
{
    const float *x = eng_tensor_data(t);
    eng_iter it;
    eng_iter_init(&it, 2, t->ndim, t->shape, (const int64_t *const[]){ t->strides, p->acc_strides });
    while (eng_iter_next(&it)) {
        if (k == ACC_SUM && it.stride[1] == 0)
            acc[it.off[1]] += sum_row(it.n, x + it.off[0], it.stride[0]);
        else
            acc_row(k, it.n, acc + it.off[1], it.stride[1], x + it.off[0], it.stride[0],
                    mean ? mean + it.off[1] : NULL);
    }
}

static double acc_init(eng_redop op)
{
    switch (op) {
    case ENG_RED_PROD: return 1.0;
    case ENG_RED_MAX:  return -INFINITY;
    case ENG_RED_MIN:  return INFINITY;
    default:           return 0.0;
    }
}

/* Fills out (out_size floats) for every op except argmax/argmin. */
static int reduce_values(eng_redop op, const eng_tensor *t, const red_plan *p, float *out,
                         eng_error *err)
{
    int64_t n = p->out_size ? p->out_size : 1;
    double *acc = malloc((size_t)n * sizeof(double));
    double *acc2 = (op == ENG_RED_STD || op == ENG_RED_VAR) ? calloc((size_t)n, sizeof(double))
                                                            : NULL;
    if (!acc || ((op == ENG_RED_STD || op == ENG_RED_VAR) && !acc2)) {
        free(acc);
        free(acc2);
        return eng_err(err, ENG_ERR_MEMORY, "out of memory in %s", eng_redop_name(op));
    }
    for (int64_t i = 0; i < n; i++)
        acc[i] = acc_init(op);
    acc_kind k = op == ENG_RED_PROD ? ACC_PROD : op == ENG_RED_MAX ? ACC_MAX
               : op == ENG_RED_MIN ? ACC_MIN : ACC_SUM;
    accumulate(k, t, p, acc, NULL);
    double cnt = (double)p->count;
    if (op == ENG_RED_MEAN || acc2)
        for (int64_t i = 0; i < p->out_size; i++)
            acc[i] /= cnt;                              /* 0/0 = NaN for an empty mean */
    if (acc2) {
        accumulate(ACC_SQDEV, t, p, acc2, acc);         /* two-pass variance */
        for (int64_t i = 0; i < p->out_size; i++)
            acc[i] = op == ENG_RED_STD ? sqrt(acc2[i] / cnt) : acc2[i] / cnt;
    }
    for (int64_t i = 0; i < p->out_size; i++)
        out[i] = (float)acc[i];
    free(acc);
    free(acc2);
    return ENG_OK;
}

/* ---- lanes: 1-d runs along one axis, for argmax and softmax ------------------------------- */

/* Calls fn once per lane along `axis`: lane of t starting at t data + in_off (stride
 * t->strides[axis]) and the matching position out + out_off in an output with out_strides. */
typedef void lane_fn(void *ctx, const float *in, int64_t in_stride, int64_t n, int64_t out_off);

static void for_each_lane(const eng_tensor *t, int axis, const int64_t *out_strides, lane_fn *fn,
                          void *ctx)
{
    int64_t shape[ENG_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    shape[axis] = 1;                                    /* the iterator skips the lane axis */
    const float *x = eng_tensor_data(t);
    eng_iter it;
    eng_iter_init(&it, 2, t->ndim, shape, (const int64_t *const[]){ t->strides, out_strides });
    while (eng_iter_next(&it))
        for (int64_t j = 0; j < it.n; j++)
            fn(ctx, x + it.off[0] + j * it.stride[0], t->strides[axis], t->shape[axis],
               it.off[1] + j * it.stride[1]);
}

/* Index of the first max (or min); a NaN wins at its first position, as numpy.argmax. */
static int64_t arg_best(const float *x, int64_t sx, int64_t n, int want_max)
{
    int64_t bi = 0;
    float best = x[0];
    for (int64_t i = 1; i < n && best == best; i++) {
        float v = x[i * sx];
        if (v != v || (want_max ? v > best : v < best)) {
            best = v;
            bi = i;
        }
    }
    return bi;
}

typedef struct arg_ctx { float *out; int want_max; } arg_ctx;

static void arg_lane(void *ctx, const float *in, int64_t in_stride, int64_t n, int64_t out_off)
{
    arg_ctx *c = ctx;
    c->out[out_off] = (float)arg_best(in, in_stride, n, c->want_max);
}

static int reduce_arg(eng_redop op, eng_tensor *t, int naxes, const red_plan *p, float *out,
                      eng_error *err)
{
    int want_max = op == ENG_RED_ARGMAX;
    if (naxes == 0 || t->ndim == 0) {                   /* flat index over all elements */
        eng_tensor *c = eng_tensor_contiguous(t, err);
        if (!c)
            return ENG_ERR_MEMORY;
        out[0] = (float)arg_best(eng_tensor_data(c), 1, c->size, want_max);
        eng_tensor_release(c);
        return ENG_OK;
    }
    int axis = 0;
    while (!p->reduced[axis])
        axis++;
    arg_ctx ctx = { out, want_max };
    for_each_lane(t, axis, p->acc_strides, arg_lane, &ctx);
    return ENG_OK;
}

eng_tensor *eng_reduce(eng_redop op, eng_tensor *t, int naxes, const int *axes, int keepdims,
                       eng_error *err)
{
    red_plan p;
    if ((unsigned)op >= ENG_RED_COUNT)
        return eng_err(err, ENG_ERR_VALUE, "unknown reduction %d", (int)op), NULL;
    if (plan_reduce(t, naxes, axes, keepdims, &p, err) != ENG_OK)
        return NULL;
    int is_arg = op == ENG_RED_ARGMAX || op == ENG_RED_ARGMIN;
    if (is_arg && p.nreduced > 1 && naxes != 0)
        return eng_err(err, ENG_ERR_VALUE, "%s takes a single axis, got %d",
                       eng_redop_name(op), naxes), NULL;
    if ((is_arg || op == ENG_RED_MAX || op == ENG_RED_MIN) && p.count == 0 && p.out_size > 0)
        return eng_err(err, ENG_ERR_VALUE, "cannot take %s of an empty tensor",
                       eng_redop_name(op)), NULL;
    eng_tensor *out = eng_alloc_unchecked(p.out_ndim, p.out_shape, p.out_size, err);
    if (!out)
        return NULL;
    int rc = p.out_size == 0 ? ENG_OK
           : is_arg ? reduce_arg(op, t, naxes, &p, out->storage->data, err)
           : reduce_values(op, t, &p, out->storage->data, err);
    if (rc != ENG_OK) {
        eng_tensor_release(out);
        return NULL;
    }
    return out;
}

/* ---- sum_to ------------------------------------------------------------------------------ */

eng_tensor *eng_sum_to(eng_tensor *t, int ndim, const int64_t *shape, eng_error *err)
{
    int lead = t->ndim - ndim, ok = lead >= 0, naxes = 0, axes[ENG_MAX_DIMS];
    for (int d = 0; d < t->ndim && ok; d++) {
        if (d < lead || (shape[d - lead] == 1 && t->shape[d] != 1))
            axes[naxes++] = d;
        else
            ok = shape[d - lead] == t->shape[d];
    }
    if (!ok) {
        char bs[ENG_SHAPE_BUF], bt[ENG_SHAPE_BUF];
        return eng_err(err, ENG_ERR_SHAPE, "cannot sum %s down to %s: %s does not broadcast "
                       "to %s", eng_shape_format(t->ndim, t->shape, bt, sizeof bt),
                       eng_shape_format(ndim, shape, bs, sizeof bs), bs, bt), NULL;
    }
    if (naxes == 0)
        return eng_tensor_retain(t);
    eng_tensor *s = eng_reduce(ENG_RED_SUM, t, naxes, axes, 1, err);
    if (!s)
        return NULL;
    /* keepdims left the leading axes as 1s: drop them (s is fresh and contiguous). */
    s->ndim = ndim;
    memmove(s->shape, s->shape + lead, (size_t)ndim * sizeof(int64_t));
    eng_contiguous_strides(ndim, s->shape, s->strides);
    return s;
}

/* ---- softmax ----------------------------------------------------------------------------- */

typedef struct softmax_ctx { float *out; int64_t out_stride; int log; } softmax_ctx;

/* exp(x - max) / sum over one lane; the max shift keeps every exp in (0, 1]. */
static void softmax_lane(void *ctx, const float *x, int64_t sx, int64_t n, int64_t out_off)
{
    softmax_ctx *c = ctx;
    float *o = c->out + out_off;
    int64_t so = c->out_stride;
    float mx = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        mx = x[i * sx] > mx ? x[i * sx] : mx;
    if (mx == -INFINITY)
        mx = 0.0f;                                     /* all -inf: avoid inf - inf */
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        float e = expf(x[i * sx] - mx);
        sum += e;
        if (!c->log)
            o[i * so] = e;
    }
    float lse = (float)log(sum), inv = (float)(1.0 / sum);
    for (int64_t i = 0; i < n; i++)
        o[i * so] = c->log ? x[i * sx] - mx - lse : o[i * so] * inv;
}

static eng_tensor *softmax_impl(eng_tensor *t, int axis, int log_form, eng_error *err)
{
    int ax;
    if (t->ndim == 0) {                                 /* a scalar: one lane of length 1 */
        eng_tensor *s = eng_tensor_scalar(0.0f, err);
        if (s)
            s->storage->data[0] = log_form ? 0.0f : 1.0f;
        if (s && eng_tensor_item(t) != eng_tensor_item(t))
            s->storage->data[0] = NAN;
        return s;
    }
    if (eng_axis_normalize(axis, t->ndim, &ax, err) != ENG_OK)
        return NULL;
    eng_tensor *out = eng_alloc_unchecked(t->ndim, t->shape, t->size, err);
    if (!out || t->size == 0)
        return out;
    softmax_ctx ctx = { out->storage->data, out->strides[ax], log_form };
    for_each_lane(t, ax, out->strides, softmax_lane, &ctx);
    return out;
}

eng_tensor *eng_softmax(eng_tensor *t, int axis, eng_error *err)
{
    return softmax_impl(t, axis, 0, err);
}

eng_tensor *eng_log_softmax(eng_tensor *t, int axis, eng_error *err)
{
    return softmax_impl(t, axis, 1, err);
}
