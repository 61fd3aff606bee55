/*
 * test_engine.h -- helpers shared by the engine's cmocka drivers (tests/unit/test_<file>.c).
 * Include after <cmocka.h>. Every helper fails the current test through cmocka on mismatch.
 */
#ifndef NABLA_TEST_ENGINE_H
#define NABLA_TEST_ENGINE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

#define SHAPE(...) ((const int64_t[]){ __VA_ARGS__ })
#define DATA(...)  ((const float[]){ __VA_ARGS__ })
#define NELEMS(a)  ((int)(sizeof(a) / sizeof((a)[0])))

/* A tensor from literal data; never NULL (fails the test instead). */
static inline eng_tensor *tmake(int ndim, const int64_t *shape, const float *data)
{
    eng_error err;
    eng_tensor *t = eng_tensor_from_data(ndim, shape, data, &err);
    if (!t)
        fail_msg("eng_tensor_from_data: %s", err.msg);
    return t;
}

/* 0, 1, ..., n-1 reshaped to shape. */
static inline eng_tensor *trange(int ndim, const int64_t *shape)
{
    eng_error err;
    int64_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= shape[d];
    eng_tensor *a = eng_tensor_arange(0, (double)n, 1, &err);
    eng_tensor *t = a ? eng_reshape(a, ndim, shape, &err) : NULL;
    if (!t)
        fail_msg("trange: %s", err.msg);
    eng_tensor_release(a);
    return t;
}

/* Elements of t in row-major order into a fresh malloc'd array (caller frees). */
static inline float *tvalues(const eng_tensor *t)
{
    eng_error err;
    float *v = malloc(sizeof(float) * (size_t)(t->size ? t->size : 1));
    eng_tensor *c = eng_tensor_copy(t, &err);
    if (!v || !c)
        fail_msg("tvalues: out of memory");
    memcpy(v, eng_tensor_data(c), sizeof(float) * (size_t)t->size);
    eng_tensor_release(c);
    return v;
}

static inline void assert_shape(const eng_tensor *t, int ndim, const int64_t *shape)
{
    char a[200], b[200];
    assert_non_null(t);
    eng_shape_format(t->ndim, t->shape, a, sizeof a);
    eng_shape_format(ndim, shape, b, sizeof b);
    assert_string_equal(a, b);
}

/* Shape and values equal within tol (tol 0: exactly, NaN equal to NaN). */
static inline void assert_tensor(const eng_tensor *t, int ndim, const int64_t *shape,
                                 const float *want, double tol)
{
    assert_shape(t, ndim, shape);
    float *got = tvalues(t);
    for (int64_t i = 0; i < t->size; i++) {
        int ok = (isnan(got[i]) && isnan(want[i])) || got[i] == want[i]
                 || fabs((double)got[i] - want[i]) <= tol;
        if (!ok) {
            double g = got[i];
            free(got);
            fail_msg("element %lld: got %.9g, want %.9g", (long long)i, g, (double)want[i]);
        }
    }
    free(got);
}

/* Checks, then releases t. */
static inline void check_release(eng_tensor *t, int ndim, const int64_t *shape, const float *want,
                                 double tol)
{
    assert_tensor(t, ndim, shape, want, tol);
    eng_tensor_release(t);
}

static inline void assert_error(const eng_tensor *t, const eng_error *err, int code,
                                const char *msg)
{
    assert_null(t);
    assert_int_equal(err->code, code);
    assert_string_equal(err->msg, msg);
}

#endif
