/*
 * test_nn.h -- helpers shared by the drivers of engine/nn*.c (tests/unit/test_nn_*.c): random
 * buffers, closeness checks with a useful message, and a finite-difference gradient of a
 * scalar function of one buffer. Include after <cmocka.h>.
 */
#ifndef NABLA_TEST_NN_H
#define NABLA_TEST_NN_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nn_internal.h"

#ifndef SHAPE
#define SHAPE(...) ((const int64_t[]){ __VA_ARGS__ })
#endif

/* n floats uniform in [lo, hi) from rng (malloc'd; the test frees). */
static inline float *nn_rand(eng_rng *rng, int64_t n, double lo, double hi)
{
    float *v = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!v)
        fail_msg("out of memory");
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)(lo + (hi - lo) * eng_rng_uniform(rng));
    return v;
}

static inline float *nn_zeros(int64_t n)
{
    float *v = calloc((size_t)(n > 0 ? n : 1), sizeof(float));
    if (!v)
        fail_msg("out of memory");
    return v;
}

static inline float *nn_dup(const float *src, int64_t n)
{
    float *v = nn_zeros(n);
    memcpy(v, src, sizeof(float) * (size_t)n);
    return v;
}

/* |got - want| <= atol + rtol * |want| everywhere, else fail naming the element. */
static inline void nn_assert_close(const char *what, const float *got, const float *want,
                                   int64_t n, double rtol, double atol)
{
    for (int64_t i = 0; i < n; i++) {
        double g = got[i], w = want[i];
        if (!(fabs(g - w) <= atol + rtol * fabs(w)))
            fail_msg("%s[%lld]: got %.9g, want %.9g", what, (long long)i, g, w);
    }
}

/* A scalar function of a buffer x (n floats), with its context. */
typedef double (*nn_scalar_fn)(const float *x, void *ctx);

/* Central differences of f at x into grad (n doubles as floats); x is restored. */
static inline void nn_numeric_grad(float *grad, nn_scalar_fn f, float *x, int64_t n, void *ctx,
                                   double h)
{
    for (int64_t i = 0; i < n; i++) {
        float keep = x[i];
        x[i] = (float)(keep + h);
        double up = f(x, ctx);
        x[i] = (float)(keep - h);
        double down = f(x, ctx);
        x[i] = keep;
        grad[i] = (float)((up - down) / (2 * h));
    }
}

/* sum(a * b) in double. */
static inline double nn_dot(const float *a, const float *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* ---- building models in tests ------------------------------------------------------------ */

static inline eng_layer_config nn_cfg(eng_layer_kind kind, const char *name)
{
    eng_layer_config c;
    eng_layer_config_init(&c, kind);
    if (name)
        snprintf(c.name, sizeof c.name, "%s", name);
    return c;
}

static inline eng_layer_config nn_dense(int64_t units, eng_act a, const char *name)
{
    eng_layer_config c = nn_cfg(ENG_LAYER_DENSE, name);
    c.units = units;
    c.activation = a;
    return c;
}

static inline eng_layer_config nn_conv(int64_t filters, int64_t k, eng_act a, const char *name)
{
    eng_layer_config c = nn_cfg(ENG_LAYER_CONV2D, name);
    c.filters = filters;
    c.kernel[0] = c.kernel[1] = k;
    c.activation = a;
    return c;
}

/* Appends a layer made from c to m (fails the test on error). */
static inline void nn_add(eng_model *m, const eng_layer_config *c, eng_rng *rng)
{
    eng_error err;
    eng_layer *l = eng_layer_new(c, &err);
    if (!l)
        fail_msg("eng_layer_new: %s", err.msg);
    if (eng_model_add(m, l, rng, &err) != ENG_OK)
        fail_msg("eng_model_add: %s", err.msg);
    eng_layer_release(l);
}

/* Compiles m with a fresh optimizer of the kind (default hyperparameters but lr > 0), with
 * metrics=["accuracy"] when accuracy is nonzero. */
static inline void nn_compile(eng_model *m, eng_opt_kind kind, double lr, eng_loss_kind loss,
                              int from_logits, int accuracy)
{
    eng_metrics metrics = { accuracy ? 1 : 0, { ENG_METRIC_ACCURACY } };
    eng_error err;
    eng_opt_config oc;
    eng_opt_config_init(&oc, kind);
    if (lr > 0)
        oc.learning_rate = lr;
    eng_optimizer *o = eng_optimizer_new(&oc, &err);
    eng_loss l = { loss, from_logits, NULL };
    if (!o || eng_model_compile(m, o, &l, &metrics, &err) != ENG_OK)
        fail_msg("compile: %s", err.msg);
    eng_optimizer_release(o);
}

static inline eng_tensor *nn_tensor(eng_rng *rng, int ndim, const int64_t *shape, double lo,
                                    double hi)
{
    eng_error err;
    eng_tensor *t = eng_tensor_rand(rng, ndim, shape, &err);
    if (!t)
        fail_msg("eng_tensor_rand: %s", err.msg);
    float *v = eng_tensor_data(t);
    for (int64_t i = 0; i < t->size; i++)
        v[i] = (float)(lo + (hi - lo) * v[i]);
    return t;
}

#endif
