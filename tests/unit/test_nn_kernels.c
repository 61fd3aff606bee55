/* test_nn_kernels.c -- engine/nn_kernels.c: Dense on sgemm against the naive kernel, every
 * backward kernel against finite differences of sum(out * G), the accumulate (+=) contract,
 * activations' values, dropout masks, batch normalization (train and inference). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_nn.h"

/* ---- Dense --------------------------------------------------------------------------------- */

static void test_nn_dense_fwd_blas_matches_naive(void **state)
{
    (void)state;
    eng_rng rng;
    eng_rng_seed(&rng, 1);
    int64_t R = 13, C = 37, F = 11;
    float *x = nn_rand(&rng, R * C, -1, 1), *w = nn_rand(&rng, C * F, -1, 1);
    float *b = nn_rand(&rng, F, -1, 1), *y1 = nn_zeros(R * F), *y2 = nn_zeros(R * F);
    eng_k_dense_fwd(y1, x, w, b, R, C, F);
    eng_k_dense_fwd_naive(y2, x, w, b, R, C, F);
    nn_assert_close("dense out", y1, y2, R * F, 1e-5, 1e-5);
    eng_k_dense_fwd(y1, x, w, NULL, R, C, F);           /* no bias */
    eng_k_dense_fwd_naive(y2, x, w, NULL, R, C, F);
    nn_assert_close("dense out, no bias", y1, y2, R * F, 1e-5, 1e-5);
    /* a hand-checked 1x2 @ 2x2 + b */
    const float x2[2] = { 1, 2 }, w22[4] = { 1, 2, 3, 4 }, b2[2] = { 10, 20 };
    float o[2];
    eng_k_dense_fwd(o, x2, w22, b2, 1, 2, 2);
    assert_float_equal(o[0], 1 * 1 + 2 * 3 + 10, 0);
    assert_float_equal(o[1], 1 * 2 + 2 * 4 + 20, 0);
    free(x); free(w); free(b); free(y1); free(y2);
}

typedef struct dense_ctx {
    const float *x, *w, *b, *G;
    int64_t R, C, F;
    int which;          /* 0: d/dx, 1: d/dw, 2: d/db */
} dense_ctx;

/* sum(dense(x, w, b) * G) as a function of x, w or b. */
static double dense_loss(const float *v, void *p)
{
    dense_ctx *c = p;
    float *out = nn_zeros(c->R * c->F);
    eng_k_dense_fwd_naive(out, c->which == 0 ? v : c->x, c->which == 1 ? v : c->w,
                          c->which == 2 ? v : c->b, c->R, c->C, c->F);
    double s = nn_dot(out, c->G, c->R * c->F);
    free(out);
    return s;
}

static void test_nn_dense_bwd_matches_naive_and_numeric(void **state)
{
    (void)state;
    eng_rng rng;
    eng_rng_seed(&rng, 2);
    int64_t R = 6, C = 5, F = 4;
    float *x = nn_rand(&rng, R * C, -1, 1), *w = nn_rand(&rng, C * F, -1, 1);
    float *b = nn_rand(&rng, F, -1, 1), *G = nn_rand(&rng, R * F, -1, 1);
    /* start from nonzero buffers: the kernels must add, not overwrite */
    float *dx1 = nn_rand(&rng, R * C, -1, 1), *dw1 = nn_rand(&rng, C * F, -1, 1);
    float *db1 = nn_rand(&rng, F, -1, 1);
    float *dx2 = nn_dup(dx1, R * C), *dw2 = nn_dup(dw1, C * F), *db2 = nn_dup(db1, F);
    float *dx0 = nn_dup(dx1, R * C), *dw0 = nn_dup(dw1, C * F), *db0 = nn_dup(db1, F);
    eng_k_dense_bwd(dx1, dw1, db1, G, x, w, R, C, F, 1);
    eng_k_dense_bwd_naive(dx2, dw2, db2, G, x, w, R, C, F);
    nn_assert_close("dx", dx1, dx2, R * C, 1e-5, 1e-5);
    nn_assert_close("dw", dw1, dw2, C * F, 1e-5, 1e-5);
    nn_assert_close("db", db1, db2, F, 1e-5, 1e-5);
    /* the increments equal the numeric gradients */
    dense_ctx c = { x, w, b, G, R, C, F, 0 };
    float *num = nn_zeros(R * C);
    for (int64_t i = 0; i < R * C; i++) dx2[i] -= dx0[i];
    nn_numeric_grad(num, dense_loss, x, R * C, &c, 1e-2);
    nn_assert_close("dx numeric", dx2, num, R * C, 1e-3, 1e-3);
    c.which = 1;
    for (int64_t i = 0; i < C * F; i++) dw2[i] -= dw0[i];
    nn_numeric_grad(num, dense_loss, w, C * F, &c, 1e-2);
    nn_assert_close("dw numeric", dw2, num, C * F, 1e-3, 1e-3);
    c.which = 2;
    for (int64_t i = 0; i < F; i++) db2[i] -= db0[i];
    nn_numeric_grad(num, dense_loss, b, F, &c, 1e-2);
    nn_assert_close("db numeric", db2, num, F, 1e-3, 1e-3);
    /* write mode (the fit loop): stale buffers are overwritten with the plain gradients */
    float *sx = nn_rand(&rng, R * C, -9, 9), *sw = nn_rand(&rng, C * F, -9, 9), *sb = nn_rand(&rng, F, -9, 9);
    eng_k_dense_bwd(sx, sw, sb, G, x, w, R, C, F, 0);
    nn_assert_close("write dx", sx, dx2, R * C, 1e-5, 1e-5);
    nn_assert_close("write dw", sw, dw2, C * F, 1e-5, 1e-5);
    nn_assert_close("write db", sb, db2, F, 1e-5, 1e-5);
    free(sx); free(sw); free(sb);
    /* dinp and db may be NULL (a first layer without bias): dw still accumulates */
    memcpy(dw1, dw0, sizeof(float) * (size_t)(C * F));
    eng_k_dense_bwd(NULL, dw1, NULL, G, x, w, R, C, F, 1);
    for (int64_t i = 0; i < C * F; i++) dw1[i] -= dw0[i];
    c.which = 1;
    nn_numeric_grad(num, dense_loss, w, C * F, &c, 1e-2);
    nn_assert_close("dw without dinp", dw1, num, C * F, 1e-3, 1e-3);
    free(x); free(w); free(b); free(G); free(dx1); free(dw1); free(db1); free(dx2); free(dw2);
    free(db2); free(dx0); free(dw0); free(db0); free(num);
}

/* ---- activations --------------------------------------------------------------------------- */

static void test_nn_act_fwd_values(void **state)
{
    (void)state;
    const float x[4] = { -2, -0.5f, 0, 3 };
    float y[4];
    eng_k_act_fwd(ENG_ACT_RELU, y, x, 1, 4);
    nn_assert_close("relu", y, (const float[]){ 0, 0, 0, 3 }, 4, 0, 0);
    eng_k_act_fwd(ENG_ACT_SIGMOID, y, x, 1, 4);
    assert_float_equal(y[2], 0.5f, 0);
    assert_float_equal(y[3], 1 / (1 + exp(-3.0)), 1e-6);
    eng_k_act_fwd(ENG_ACT_TANH, y, x, 2, 2);
    assert_float_equal(y[0], tanh(-2.0), 1e-6);
    eng_k_act_fwd(ENG_ACT_LINEAR, y, x, 2, 2);
    nn_assert_close("linear", y, x, 4, 0, 0);
    /* softmax: per row, sums to 1, stable for huge inputs */
    const float big[4] = { 1000, 1001, -1000, -1000 };
    eng_k_act_fwd(ENG_ACT_SOFTMAX, y, big, 2, 2);
    assert_float_equal(y[0], 1 / (1 + exp(1.0)), 1e-6);
    assert_float_equal(y[0] + y[1], 1, 1e-6);
    assert_float_equal(y[2], 0.5f, 1e-6);
    /* sigmoid of large negative inputs neither overflows nor gives NaN */
    const float neg[1] = { -1000 };
    eng_k_act_fwd(ENG_ACT_SIGMOID, y, neg, 1, 1);
    assert_float_equal(y[0], 0, 0);
    assert_int_equal(eng_act_from_name("relu"), ENG_ACT_RELU);
    assert_int_equal(eng_act_from_name(""), ENG_ACT_LINEAR);
    assert_int_equal(eng_act_from_name("swish"), -1);
    assert_string_equal(eng_act_name(ENG_ACT_SOFTMAX), "softmax");
}

typedef struct act_ctx {
    eng_act a;
    const float *G;
    int64_t R, C;
} act_ctx;

static double act_loss(const float *x, void *p)
{
    act_ctx *c = p;
    float *y = nn_zeros(c->R * c->C);
    eng_k_act_fwd(c->a, y, x, c->R, c->C);
    double s = nn_dot(y, c->G, c->R * c->C);
    free(y);
    return s;
}

static void test_nn_act_bwd_numeric(void **state)
{
    (void)state;
    eng_rng rng;
    eng_rng_seed(&rng, 3);
    int64_t R = 3, C = 5, n = R * C;
    for (int a = 0; a < ENG_ACT_COUNT; a++) {
        float *x = nn_rand(&rng, n, 0.2, 2), *G = nn_rand(&rng, n, -1, 1), *y = nn_zeros(n);
        for (int64_t i = 0; i < n; i += 2) x[i] = -x[i];      /* both signs, away from 0 */
        eng_k_act_fwd((eng_act)a, y, x, R, C);
        float *d = nn_rand(&rng, n, -1, 1), *d0 = nn_dup(d, n), *num = nn_zeros(n);
        eng_k_act_bwd((eng_act)a, d, G, y, R, C, 1);          /* accumulate */
        for (int64_t i = 0; i < n; i++) d[i] -= d0[i];
        act_ctx c = { (eng_act)a, G, R, C };
        nn_numeric_grad(num, act_loss, x, n, &c, 1e-3);
        nn_assert_close(eng_act_name((eng_act)a), d, num, n, 2e-3, 2e-3);
        eng_k_act_bwd((eng_act)a, d0, G, y, R, C, 0);         /* write */
        nn_assert_close("write mode", d0, d, n, 1e-6, 1e-6);
        free(x); free(G); free(y); free(d); free(d0); free(num);
    }
}

/* ---- dropout ------------------------------------------------------------------------------- */

static void test_nn_dropout_mask(void **state)
{
    (void)state;
    eng_rng rng;
    eng_rng_seed(&rng, 4);
    int64_t n = 20000, zeros = 0;
    float *m = nn_zeros(n);
    eng_k_dropout_mask(m, n, 0.25, &rng);
    for (int64_t i = 0; i < n; i++) {
        if (m[i] == 0) zeros++;
        else assert_float_equal(m[i], 1 / 0.75, 1e-6);
    }
    assert_in_range(zeros, 4700, 5300);             /* 25% +- ~4 sigma */
    float x[3] = { 1, 2, 3 }, mk[3] = { 0, 2, 2 }, out[3], d[3] = { 1, 1, 1 };
    eng_k_mul(out, x, mk, 3);
    nn_assert_close("masked", out, (const float[]){ 0, 4, 6 }, 3, 0, 0);
    eng_k_mul_acc(d, x, mk, 3);
    nn_assert_close("masked grad", d, (const float[]){ 1, 5, 7 }, 3, 0, 0);
    free(m);
}

/* ---- batch normalization ------------------------------------------------------------------- */

static void test_nn_batchnorm_fwd(void **state)
{
    (void)state;
    /* two features over three rows: means 2 and 20, biased variances 2/3 and 200/3 */
    const float x[6] = { 1, 10, 2, 20, 3, 30 };
    float gamma[2] = { 1, 2 }, beta[2] = { 0, 1 }, mm[2] = { 0, 0 }, mv[2] = { 1, 1 };
    float out[6], mean[2], rstd[2];
    eng_k_batchnorm_fwd_train(out, mean, rstd, mm, mv, x, gamma, beta, 3, 2, 0.99, 0.001);
    assert_float_equal(mean[0], 2, 1e-6);
    assert_float_equal(mean[1], 20, 1e-5);
    assert_float_equal(rstd[0], 1 / sqrt(2.0 / 3 + 0.001), 1e-5);
    assert_float_equal(out[0], -1 / sqrt(2.0 / 3 + 0.001), 1e-5);
    assert_float_equal(out[5], 2 * 10 / sqrt(200.0 / 3 + 0.001) + 1, 1e-5);
    assert_float_equal(mm[0], 0.01 * 2, 1e-6);              /* 0.99 * 0 + 0.01 * 2 */
    assert_float_equal(mv[1], 0.99 + 0.01 * 200.0 / 3, 1e-5);
    eng_k_batchnorm_fwd_infer(out, x, gamma, beta, mm, mv, 3, 2, 0.001);
    assert_float_equal(out[2], (2 - mm[0]) / sqrt(mv[0] + 0.001), 1e-5);
}

typedef struct bn_ctx {
    const float *x, *gamma, *beta, *G;
    int64_t R, C;
    int which;          /* 0: d/dx, 1: d/dgamma, 2: d/dbeta */
} bn_ctx;

static double bn_loss(const float *v, void *p)
{
    bn_ctx *c = p;
    float *out = nn_zeros(c->R * c->C), mean[8], rstd[8], mm[8] = { 0 }, mv[8] = { 0 };
    eng_k_batchnorm_fwd_train(out, mean, rstd, mm, mv, c->which == 0 ? v : c->x,
                              c->which == 1 ? v : c->gamma, c->which == 2 ? v : c->beta, c->R,
                              c->C, 0.99, 0.001);
    double s = nn_dot(out, c->G, c->R * c->C);
    free(out);
    return s;
}

static void test_nn_batchnorm_bwd_numeric(void **state)
{
    (void)state;
    eng_rng rng;
    eng_rng_seed(&rng, 5);
    int64_t R = 7, C = 3, n = R * C;
    float *x = nn_rand(&rng, n, -2, 2), *G = nn_rand(&rng, n, -1, 1);
    float *gamma = nn_rand(&rng, C, 0.5, 1.5), *beta = nn_rand(&rng, C, -1, 1);
    float out[21], mean[3], rstd[3], mm[3] = { 0 }, mv[3] = { 1, 1, 1 };
    eng_k_batchnorm_fwd_train(out, mean, rstd, mm, mv, x, gamma, beta, R, C, 0.99, 0.001);
    float *dx = nn_zeros(n), dg[3] = { 0 }, db[3] = { 0 }, *num = nn_zeros(n);
    eng_k_batchnorm_bwd(dx, dg, db, G, x, mean, rstd, gamma, R, C, 1);
    /* write mode on stale buffers gives the same */
    float *dx2 = nn_rand(&rng, n, -5, 5), dg2[3] = { 9, 9, 9 }, db2[3] = { 9, 9, 9 };
    eng_k_batchnorm_bwd(dx2, dg2, db2, G, x, mean, rstd, gamma, R, C, 0);
    nn_assert_close("write dx", dx2, dx, n, 1e-6, 1e-6);
    nn_assert_close("write dgamma", dg2, dg, C, 1e-6, 1e-6);
    nn_assert_close("write dbeta", db2, db, C, 1e-6, 1e-6);
    free(dx2);
    bn_ctx c = { x, gamma, beta, G, R, C, 0 };
    nn_numeric_grad(num, bn_loss, x, n, &c, 1e-2);
    nn_assert_close("dx", dx, num, n, 1e-2, 2e-3);
    c.which = 1;
    nn_numeric_grad(num, bn_loss, gamma, C, &c, 1e-2);
    nn_assert_close("dgamma", dg, num, C, 1e-3, 1e-3);
    c.which = 2;
    nn_numeric_grad(num, bn_loss, beta, C, &c, 1e-2);
    nn_assert_close("dbeta", db, num, C, 1e-3, 1e-3);
    free(x); free(G); free(gamma); free(beta); free(dx); free(num);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_dense_fwd_blas_matches_naive),
        cmocka_unit_test(test_nn_dense_bwd_matches_naive_and_numeric),
        cmocka_unit_test(test_nn_act_fwd_values),
        cmocka_unit_test(test_nn_act_bwd_numeric),
        cmocka_unit_test(test_nn_dropout_mask),
        cmocka_unit_test(test_nn_batchnorm_fwd),
        cmocka_unit_test(test_nn_batchnorm_bwd_numeric),
    };
    return cmocka_run_group_tests_name("nn_kernels", tests, NULL, NULL);
}
