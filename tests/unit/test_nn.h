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

#endif
