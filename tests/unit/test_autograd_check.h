/*
 * test_autograd_check.h -- the finite-difference gradient check shared by the autograd drivers
 * (test_autograd*.c). Include after <cmocka.h> and test_engine.h.
 *
 * gc_check(f, n, xs, ctx, eps, tol): xs are parameters (requires_grad). The op under test is
 * out = f(ag, xs); with fixed random weights R shaped like out, backward(out, R) gives the
 * analytic gradient of L = sum(out * R) in each xs[k]->grad. The numeric one is the central
 * difference (L(x + eps) - L(x - eps)) / 2 eps, with L summed in double, per element. They must
 * agree within tol * max(1, |numeric|). Inputs without requires_grad are constants (not checked).
 */
#ifndef NABLA_TEST_AUTOGRAD_CHECK_H
#define NABLA_TEST_AUTOGRAD_CHECK_H

typedef eng_tensor *(*gc_fn)(eng_ag *ag, eng_tensor **xs, const void *ctx, eng_error *err);

/* L = sum(out * R) in double. */
static inline double gc_loss(const eng_tensor *out, const eng_tensor *r)
{
    float *o = tvalues(out), *w = tvalues(r);
    double s = 0;
    for (int64_t i = 0; i < out->size; i++)
        s += (double)o[i] * w[i];
    free(o);
    free(w);
    return s;
}

static inline double gc_eval(gc_fn f, eng_tensor **xs, const void *ctx, const eng_tensor *r)
{
    eng_error err;
    eng_tensor *out = f(NULL, xs, ctx, &err);
    if (!out)
        fail_msg("forward: %s", err.msg);
    double l = gc_loss(out, r);
    eng_tensor_release(out);
    return l;
}

/* Element j (row-major) of a contiguous tensor. */
static inline float *gc_at(eng_tensor *t, int64_t j)
{
    return eng_tensor_data(t) + j;
}

/* Returns the largest error seen (relative to max(1, |numeric|)). */
static inline double gc_check(gc_fn f, int n, eng_tensor **xs, const void *ctx, double eps,
                              double tol)
{
    eng_error err;
    eng_ag ag;
    eng_rng rng;
    eng_ag_init(&ag);
    eng_rng_seed(&rng, 7);
    for (int k = 0; k < n; k++)
        eng_tensor_zero_grad(xs[k]);
    eng_tensor *out = f(&ag, xs, ctx, &err);
    if (!out)
        fail_msg("forward: %s", err.msg);
    assert_int_equal(out->requires_grad, 1);
    eng_tensor *r = eng_tensor_rand(&rng, out->ndim, out->shape, &err);
    eng_binary_inplace_scalar(ENG_BIN_ADD, r, 0.5f, NULL);    /* weights in [0.5, 1.5) */
    if (eng_backward(out, r, &err) != ENG_OK)
        fail_msg("backward: %s", err.msg);
    eng_tensor_release(out);
    double worst = 0;
    for (int k = 0; k < n; k++) {
        eng_tensor *x = xs[k];
        if (!x->requires_grad)                  /* a constant operand */
            continue;
        assert_true(eng_tensor_is_contiguous(x));
        float *an = x->grad ? tvalues(x->grad) : NULL;
        for (int64_t j = 0; j < x->size; j++) {
            float keep = *gc_at(x, j);
            *gc_at(x, j) = keep + (float)eps;
            double hi = gc_eval(f, xs, ctx, r);
            *gc_at(x, j) = keep - (float)eps;
            double lo = gc_eval(f, xs, ctx, r);
            *gc_at(x, j) = keep;
            double h = ((double)(keep + (float)eps) - (double)(keep - (float)eps));
            double num = (hi - lo) / h, a = an ? an[j] : 0.0;
            double e = fabs(a - num) / fmax(1.0, fabs(num));
            if (e > worst)
                worst = e;
            if (e > tol) {
                free(an);
                eng_tensor_release(r);
                fail_msg("input %d element %lld: backward %.7g, finite differences %.7g", k,
                         (long long)j, a, num);
            }
        }
        free(an);
    }
    eng_tensor_release(r);
    return worst;
}

/* A parameter from literal data. */
static inline eng_tensor *gc_param(int ndim, const int64_t *shape, const float *data)
{
    eng_tensor *t = tmake(ndim, shape, data);
    t->requires_grad = 1;
    return t;
}

/* A parameter of uniform random values in [lo, hi). */
static inline eng_tensor *gc_rand_param(eng_rng *rng, int ndim, const int64_t *shape, float lo,
                                        float hi)
{
    eng_error err;
    eng_tensor *t = eng_tensor_rand(rng, ndim, shape, &err);
    if (!t)
        fail_msg("rand: %s", err.msg);
    eng_binary_inplace_scalar(ENG_BIN_MUL, t, hi - lo, NULL);
    eng_binary_inplace_scalar(ENG_BIN_ADD, t, lo, NULL);
    t->requires_grad = 1;
    return t;
}

#endif
