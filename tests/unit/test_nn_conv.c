/* test_nn_conv.c -- engine/nn_conv.c: TensorFlow's output sizes and padding, the im2col +
 * sgemm convolution against the naive loops (forward and backward, valid and same padding,
 * strides, one and many channels), the naive backward against finite differences, col2im as
 * im2col's adjoint, and max pooling. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_nn.h"

static void test_nn_conv_out_size(void **state)
{
    (void)state;
    int64_t pad;
    assert_int_equal(eng_conv_out_size(28, 3, 1, 0, &pad), 26);
    assert_int_equal(pad, 0);
    assert_int_equal(eng_conv_out_size(28, 3, 1, 1, &pad), 28);
    assert_int_equal(pad, 1);
    assert_int_equal(eng_conv_out_size(28, 3, 2, 1, &pad), 14);     /* total 1: none before */
    assert_int_equal(pad, 0);
    assert_int_equal(eng_conv_out_size(5, 2, 2, 1, &pad), 3);
    assert_int_equal(eng_conv_out_size(5, 2, 2, 0, &pad), 2);
    assert_int_equal(eng_conv_out_size(26, 2, 2, 0, &pad), 13);
    assert_int_equal(eng_conv_out_size(11, 2, 2, 0, &pad), 5);
    assert_int_equal(eng_conv_out_size(2, 3, 1, 0, &pad), 0);       /* does not fit */
    assert_int_equal(eng_conv_out_size(7, 5, 1, 1, &pad), 7);
    assert_int_equal(pad, 2);
}

static eng_conv_dims dims(int64_t B, int64_t H, int64_t W, int64_t C, int64_t F, int64_t KH,
                          int64_t KW, int64_t SH, int64_t SW, int same)
{
    eng_conv_dims d = { B, H, W, C, F, KH, KW, SH, SW, 0, 0, 0, 0 };
    d.OH = eng_conv_out_size(H, KH, SH, same, &d.PT);
    d.OW = eng_conv_out_size(W, KW, SW, same, &d.PL);
    return d;
}

/* Forward and backward of one configuration, fast against naive; buffers start nonzero. */
static void check_conv(const eng_conv_dims *d, uint64_t seed)
{
    eng_rng rng;
    eng_rng_seed(&rng, seed);
    int64_t nx = d->B * d->H * d->W * d->C, nk = d->KH * d->KW * d->C * d->F;
    int64_t no = d->B * d->OH * d->OW * d->F, ncol = d->B * d->OH * d->OW * d->KH * d->KW * d->C;
    float *x = nn_rand(&rng, nx, -1, 1), *k = nn_rand(&rng, nk, -1, 1), *b = nn_rand(&rng, d->F, -1, 1);
    float *y1 = nn_zeros(no), *y2 = nn_zeros(no), *col = nn_zeros(ncol), *dcol = nn_zeros(ncol);
    eng_k_conv2d_fwd(y1, col, x, k, b, d);
    eng_k_conv2d_fwd_naive(y2, x, k, b, d);
    nn_assert_close("conv out", y1, y2, no, 1e-5, 1e-5);
    float *dz = nn_rand(&rng, no, -1, 1);
    float *dx1 = nn_rand(&rng, nx, -1, 1), *dk1 = nn_rand(&rng, nk, -1, 1), *db1 = nn_rand(&rng, d->F, -1, 1);
    float *dx2 = nn_dup(dx1, nx), *dk2 = nn_dup(dk1, nk), *db2 = nn_dup(db1, d->F);
    float *dx0 = nn_dup(dx1, nx), *dk0 = nn_dup(dk1, nk), *db0 = nn_dup(db1, d->F);
    eng_k_conv2d_bwd(dx1, dk1, db1, dcol, dz, col, k, d, 1);
    eng_k_conv2d_bwd_naive(dx2, dk2, db2, dz, x, k, d);
    nn_assert_close("conv dx", dx1, dx2, nx, 1e-4, 1e-4);
    nn_assert_close("conv dk", dk1, dk2, nk, 1e-4, 1e-4);
    nn_assert_close("conv db", db1, db2, d->F, 1e-4, 1e-4);
    /* write mode: the stale buffers are replaced by the increments */
    for (int64_t i = 0; i < nx; i++) dx2[i] -= dx0[i];
    for (int64_t i = 0; i < nk; i++) dk2[i] -= dk0[i];
    for (int64_t i = 0; i < d->F; i++) db2[i] -= db0[i];
    eng_k_conv2d_bwd(dx0, dk0, db0, dcol, dz, col, k, d, 0);
    nn_assert_close("conv write dx", dx0, dx2, nx, 1e-4, 1e-4);
    nn_assert_close("conv write dk", dk0, dk2, nk, 1e-4, 1e-4);
    nn_assert_close("conv write db", db0, db2, d->F, 1e-4, 1e-4);
    free(dx0); free(dk0); free(db0);
    free(x); free(k); free(b); free(y1); free(y2); free(col); free(dcol); free(dz);
    free(dx1); free(dk1); free(db1); free(dx2); free(dk2); free(db2);
}

static void test_nn_conv_blas_matches_naive(void **state)
{
    (void)state;
    eng_conv_dims cases[] = {
        dims(2, 7, 6, 3, 4, 3, 2, 1, 1, 0),      /* valid, rectangular kernel */
        dims(2, 7, 6, 3, 4, 3, 2, 1, 1, 1),      /* same */
        dims(1, 9, 8, 2, 5, 3, 3, 2, 2, 0),      /* strides */
        dims(1, 9, 8, 2, 5, 3, 3, 2, 3, 1),      /* strides + same padding */
        dims(3, 5, 5, 1, 2, 3, 3, 1, 1, 0),      /* one input channel (the MNIST case) */
        dims(2, 4, 4, 6, 3, 1, 1, 1, 1, 0),      /* 1x1 */
        dims(1, 6, 6, 2, 2, 5, 5, 1, 1, 1),      /* window wider than the padding */
    };
    for (int i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) check_conv(&cases[i], 10 + (uint64_t)i);
}

typedef struct conv_ctx {
    eng_conv_dims d;
    const float *x, *k, *G;
    int which;          /* 0: d/dx, 1: d/dk */
} conv_ctx;

static double conv_loss(const float *v, void *p)
{
    conv_ctx *c = p;
    int64_t no = c->d.B * c->d.OH * c->d.OW * c->d.F;
    float *y = nn_zeros(no);
    eng_k_conv2d_fwd_naive(y, c->which == 0 ? v : c->x, c->which == 1 ? v : c->k, NULL, &c->d);
    double s = nn_dot(y, c->G, no);
    free(y);
    return s;
}

static void test_nn_conv_naive_bwd_numeric(void **state)
{
    (void)state;
    eng_rng rng;
    eng_rng_seed(&rng, 20);
    eng_conv_dims d = dims(2, 5, 4, 2, 3, 3, 2, 2, 1, 1);
    int64_t nx = d.B * d.H * d.W * d.C, nk = d.KH * d.KW * d.C * d.F, no = d.B * d.OH * d.OW * d.F;
    float *x = nn_rand(&rng, nx, -1, 1), *k = nn_rand(&rng, nk, -1, 1), *G = nn_rand(&rng, no, -1, 1);
    float *dx = nn_zeros(nx), *dk = nn_zeros(nk), *num = nn_zeros(nx > nk ? nx : nk);
    eng_k_conv2d_bwd_naive(dx, dk, NULL, G, x, k, &d);
    conv_ctx c = { d, x, k, G, 0 };
    nn_numeric_grad(num, conv_loss, x, nx, &c, 1e-2);
    nn_assert_close("dx numeric", dx, num, nx, 1e-3, 1e-3);
    c.which = 1;
    nn_numeric_grad(num, conv_loss, k, nk, &c, 1e-2);
    nn_assert_close("dk numeric", dk, num, nk, 1e-3, 1e-3);
    free(x); free(k); free(G); free(dx); free(dk); free(num);
}

/* <im2col(x), Y> == <x, col2im(Y)> for every x, Y. */
static void test_nn_col2im_is_adjoint(void **state)
{
    (void)state;
    eng_rng rng;
    eng_rng_seed(&rng, 21);
    eng_conv_dims d = dims(2, 6, 5, 3, 1, 3, 3, 2, 1, 1);
    int64_t nx = d.B * d.H * d.W * d.C, ncol = d.B * d.OH * d.OW * d.KH * d.KW * d.C;
    float *x = nn_rand(&rng, nx, -1, 1), *Y = nn_rand(&rng, ncol, -1, 1);
    float *col = nn_zeros(ncol), *back = nn_zeros(nx);
    eng_k_im2col(col, x, &d);
    eng_k_col2im(back, Y, &d);
    assert_float_equal(nn_dot(col, Y, ncol), nn_dot(x, back, nx), 1e-4);
    free(x); free(Y); free(col); free(back);
}

static void test_nn_maxpool(void **state)
{
    (void)state;
    /* one 4x4 image, 1 channel, 2x2 windows */
    const float x[16] = { 1, 2, 5, 6,
                          3, 4, 8, 7,
                          -1, -2, 0, 0,
                          -3, -4, 0, 9 };
    eng_conv_dims d = dims(1, 4, 4, 1, 1, 2, 2, 2, 2, 0);
    float y[4];
    int32_t arg[4];
    eng_k_maxpool_fwd(y, arg, x, &d);
    nn_assert_close("pool", y, (const float[]){ 4, 8, -1, 9 }, 4, 0, 0);
    assert_int_equal(arg[0], 5);
    assert_int_equal(arg[1], 6);
    assert_int_equal(arg[2], 8);
    assert_int_equal(arg[3], 15);
    float dx[16] = { 0 };
    dx[5] = 1;      /* accumulates */
    eng_k_maxpool_bwd(dx, (const float[]){ 10, 20, 30, 40 }, arg, &d, 1);
    assert_float_equal(dx[5], 11, 0);
    assert_float_equal(dx[6], 20, 0);
    assert_float_equal(dx[8], 30, 0);
    assert_float_equal(dx[15], 40, 0);
    assert_float_equal(dx[0] + dx[1] + dx[4], 0, 0);
    for (int i = 0; i < 16; i++) dx[i] = 7;             /* write mode: stale values go */
    eng_k_maxpool_bwd(dx, (const float[]){ 10, 20, 30, 40 }, arg, &d, 0);
    assert_float_equal(dx[5], 10, 0);
    assert_float_equal(dx[0] + dx[1] + dx[4], 0, 0);
    /* ties: the first in reading order wins (TensorFlow); odd size with same padding; two
     * channels and two samples */
    const float t[2 * 3 * 3 * 2] = {
        1, 9, 1, 9, 1, 0,   1, 0, 1, 0, 1, 0,   1, 0, 1, 0, 2, 0,
        0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, -5 };
    eng_conv_dims e = dims(2, 3, 3, 2, 2, 2, 2, 2, 2, 1);
    assert_int_equal(e.OH, 2);
    float z[2 * 2 * 2 * 2];
    int32_t za[16];
    eng_k_maxpool_fwd(z, za, t, &e);
    assert_float_equal(z[0], 1, 0);          /* sample 0, window (0,0), channel 0: tie of 1s */
    assert_int_equal(za[0], 0);
    assert_float_equal(z[1], 9, 0);
    assert_float_equal(z[6], 2, 0);          /* window (1,1) covers only pixel (2,2) */
    assert_float_equal(z[15], -5, 0);        /* a lone negative value wins over padding */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_conv_out_size),
        cmocka_unit_test(test_nn_conv_blas_matches_naive),
        cmocka_unit_test(test_nn_conv_naive_bwd_numeric),
        cmocka_unit_test(test_nn_col2im_is_adjoint),
        cmocka_unit_test(test_nn_maxpool),
    };
    return cmocka_run_group_tests_name("nn_conv", tests, NULL, NULL);
}
