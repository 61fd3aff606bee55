/* test_reduce.c -- engine/reduce.c: reductions over axes, sum_to, softmax, log_softmax.
 * Expected values are NumPy 1.24's on float32 input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_engine.h"

static eng_tensor *red(eng_redop op, eng_tensor *t, int naxes, const int *axes, int keepdims)
{
    eng_error err;
    eng_tensor *r = eng_reduce(op, t, naxes, axes, keepdims, &err);
    if (!r)
        fail_msg("eng_reduce: %s", err.msg);
    return r;
}

#define AXES(...) ((const int[]){ __VA_ARGS__ })

static void test_reduce_sum_axes(void **state)
{
    eng_tensor *x = trange(3, SHAPE(2, 3, 4));
    check_release(red(ENG_RED_SUM, x, 0, NULL, 0), 0, NULL, DATA(276), 0);
    check_release(red(ENG_RED_SUM, x, 0, NULL, 1), 3, SHAPE(1, 1, 1), DATA(276), 0);
    check_release(red(ENG_RED_SUM, x, 1, AXES(0), 0), 2, SHAPE(3, 4),
                  DATA(12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34), 0);
    check_release(red(ENG_RED_SUM, x, 2, AXES(0, 2), 0), 1, SHAPE(3), DATA(60, 92, 124), 0);
    check_release(red(ENG_RED_SUM, x, 2, AXES(-1, 0), 1), 3, SHAPE(1, 3, 1), DATA(60, 92, 124), 0);
    check_release(red(ENG_RED_SUM, x, 1, AXES(-1), 1), 3, SHAPE(2, 3, 1),
                  DATA(6, 22, 38, 54, 70, 86), 0);
    check_release(red(ENG_RED_MEAN, x, 1, AXES(1), 0), 2, SHAPE(2, 4),
                  DATA(4, 5, 6, 7, 16, 17, 18, 19), 0);
    eng_tensor_release(x);
}

/* Strided input (a transpose) reduces like its contiguous copy. */
static void test_reduce_strided_input(void **state)
{
    eng_error err;
    eng_tensor *x = trange(3, SHAPE(2, 3, 4));
    eng_tensor *xt = eng_transpose(x, AXES(2, 0, 1), &err);          /* (4, 2, 3) */
    check_release(red(ENG_RED_SUM, xt, 2, AXES(1, 2), 0), 1, SHAPE(4), DATA(60, 66, 72, 78), 0);
    check_release(red(ENG_RED_MAX, xt, 1, AXES(0), 0), 2, SHAPE(2, 3),
                  DATA(3, 7, 11, 15, 19, 23), 0);
    eng_tensor_release(xt);
    eng_tensor_release(x);
}

static void test_reduce_max_min_prod_std_var(void **state)
{
    eng_tensor *y = tmake(2, SHAPE(3, 4), DATA(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8));
    check_release(red(ENG_RED_MAX, y, 1, AXES(0), 0), 1, SHAPE(4), DATA(5, 9, 5, 8), 0);
    check_release(red(ENG_RED_MIN, y, 1, AXES(1), 0), 1, SHAPE(3), DATA(1, 2, 3), 0);
    check_release(red(ENG_RED_PROD, y, 1, AXES(1), 0), 1, SHAPE(3), DATA(12, 540, 600), 0);
    check_release(red(ENG_RED_MAX, y, 0, NULL, 0), 0, NULL, DATA(9), 0);
    check_release(red(ENG_RED_MIN, y, 0, NULL, 0), 0, NULL, DATA(1), 0);
    eng_tensor_release(y);
    eng_tensor *x = trange(3, SHAPE(2, 3, 4));
    /* NumPy accumulates float32 here (6.9221869); double gives the correctly rounded value. */
    check_release(red(ENG_RED_STD, x, 0, NULL, 0), 0, NULL, DATA(6.922186851501465f), 5e-7);
    check_release(red(ENG_RED_VAR, x, 0, NULL, 0), 0, NULL, DATA(47.91666793823242f), 0);
    check_release(red(ENG_RED_STD, x, 1, AXES(2), 0), 2, SHAPE(2, 3),
                  DATA(1.1180340051651f, 1.1180340051651f, 1.1180340051651f, 1.1180340051651f,
                       1.1180340051651f, 1.1180340051651f), 0);
    float v36[12];
    for (int i = 0; i < 12; i++)
        v36[i] = 36;
    check_release(red(ENG_RED_VAR, x, 1, AXES(0), 0), 2, SHAPE(3, 4), v36, 0);
    eng_tensor_release(x);
}

/* float32 accumulation would lose every 1 next to 1e8; the engine sums in double. */
static void test_reduce_sum_accumulates_in_double(void **state)
{
    eng_error err;
    eng_tensor *t = eng_tensor_full(1, SHAPE(1001), 1, &err);
    eng_tensor_data(t)[0] = 1e8f;
    check_release(red(ENG_RED_SUM, t, 0, NULL, 0), 0, NULL, DATA(100001000), 0);
    eng_tensor *t2 = eng_reshape(t, 2, SHAPE(1, 1001), &err);
    check_release(red(ENG_RED_SUM, t2, 1, AXES(0), 0), 1, SHAPE(1001), eng_tensor_data(t), 0);
    eng_tensor_release(t2);
    eng_tensor_release(t);
}

static void test_reduce_argmax_argmin(void **state)
{
    eng_error err;
    eng_tensor *y = tmake(2, SHAPE(3, 4), DATA(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8));
    check_release(red(ENG_RED_ARGMAX, y, 1, AXES(0), 0), 1, SHAPE(4), DATA(1, 1, 2, 2), 0);
    check_release(red(ENG_RED_ARGMIN, y, 1, AXES(1), 0), 1, SHAPE(3), DATA(1, 2, 1), 0);
    check_release(red(ENG_RED_ARGMIN, y, 1, AXES(-1), 1), 2, SHAPE(3, 1), DATA(1, 2, 1), 0);
    check_release(red(ENG_RED_ARGMAX, y, 0, NULL, 0), 0, NULL, DATA(5), 0);
    eng_tensor *yt = eng_transpose(y, NULL, &err);
    check_release(red(ENG_RED_ARGMAX, yt, 0, NULL, 0), 0, NULL, DATA(4), 0);  /* logical order */
    eng_tensor_release(yt);
    eng_tensor_release(y);
    /* NaN: max propagates it, argmax points at the first one */
    eng_tensor *n = tmake(1, SHAPE(5), DATA(1, NAN, 7, NAN, 2));
    check_release(red(ENG_RED_MAX, n, 0, NULL, 0), 0, NULL, DATA(NAN), 0);
    check_release(red(ENG_RED_MIN, n, 0, NULL, 0), 0, NULL, DATA(NAN), 0);
    check_release(red(ENG_RED_ARGMAX, n, 0, NULL, 0), 0, NULL, DATA(1), 0);
    check_release(red(ENG_RED_ARGMIN, n, 1, AXES(0), 0), 0, NULL, DATA(1), 0);
    eng_tensor_release(n);
}

static void test_reduce_empty(void **state)
{
    eng_error err;
    eng_tensor *e = eng_tensor_new(2, SHAPE(0, 3), &err);
    check_release(red(ENG_RED_SUM, e, 0, NULL, 0), 0, NULL, DATA(0), 0);
    check_release(red(ENG_RED_PROD, e, 0, NULL, 0), 0, NULL, DATA(1), 0);
    check_release(red(ENG_RED_MEAN, e, 0, NULL, 0), 0, NULL, DATA(NAN), 0);
    check_release(red(ENG_RED_SUM, e, 1, AXES(0), 0), 1, SHAPE(3), DATA(0, 0, 0), 0);
    check_release(red(ENG_RED_MAX, e, 1, AXES(1), 0), 1, SHAPE(0), DATA(0), 0);
    assert_error(eng_reduce(ENG_RED_MAX, e, 0, NULL, 0, &err), &err, ENG_ERR_VALUE,
                 "cannot take max of an empty tensor");
    assert_error(eng_reduce(ENG_RED_ARGMIN, e, 1, AXES(0), 0, &err), &err, ENG_ERR_VALUE,
                 "cannot take argmin of an empty tensor");
    eng_tensor_release(e);
}

static void test_reduce_errors(void **state)
{
    eng_error err;
    eng_tensor *m = trange(2, SHAPE(2, 3)), *v = trange(1, SHAPE(3));
    assert_error(eng_reduce(ENG_RED_SUM, m, 1, AXES(2), 0, &err), &err, ENG_ERR_INDEX,
                 "axis 2 is out of bounds for a tensor of 2 dimensions");
    assert_error(eng_reduce(ENG_RED_SUM, v, 1, AXES(-2), 0, &err), &err, ENG_ERR_INDEX,
                 "axis -2 is out of bounds for a tensor of 1 dimension");
    assert_error(eng_reduce(ENG_RED_SUM, m, 2, AXES(1, -1), 0, &err), &err, ENG_ERR_VALUE,
                 "duplicate axis -1 in reduction");
    assert_error(eng_reduce(ENG_RED_ARGMAX, m, 2, AXES(0, 1), 0, &err), &err, ENG_ERR_VALUE,
                 "argmax takes a single axis, got 2");
    assert_error(eng_reduce(ENG_RED_COUNT, m, 0, NULL, 0, &err), &err, ENG_ERR_VALUE,
                 "unknown reduction 9");
    eng_tensor_release(m);
    eng_tensor_release(v);
    assert_string_equal(eng_redop_name(ENG_RED_STD), "std");
    assert_string_equal(eng_redop_name(ENG_RED_COUNT), "?");
}

/* ---- sum_to ------------------------------------------------------------------------------ */

static void test_reduce_sum_to_undoes_broadcast(void **state)
{
    eng_error err;
    eng_tensor *x = trange(3, SHAPE(2, 3, 4));
    check_release(eng_sum_to(x, 2, SHAPE(3, 1), &err), 2, SHAPE(3, 1), DATA(60, 92, 124), 0);
    check_release(eng_sum_to(x, 1, SHAPE(4), &err), 1, SHAPE(4), DATA(60, 66, 72, 78), 0);
    check_release(eng_sum_to(x, 0, NULL, &err), 0, NULL, DATA(276), 0);
    check_release(eng_sum_to(x, 3, SHAPE(1, 1, 1), &err), 3, SHAPE(1, 1, 1), DATA(276), 0);
    eng_tensor *same = eng_sum_to(x, 3, SHAPE(2, 3, 4), &err);
    assert_ptr_equal(same, x);                               /* nothing to sum: retained */
    eng_tensor_release(same);
    assert_error(eng_sum_to(x, 2, SHAPE(2, 4), &err), &err, ENG_ERR_SHAPE,
                 "cannot sum (2, 3, 4) down to (2, 4): (2, 4) does not broadcast to (2, 3, 4)");
    assert_error(eng_sum_to(x, 4, SHAPE(1, 2, 3, 4), &err), &err, ENG_ERR_SHAPE,
                 "cannot sum (2, 3, 4) down to (1, 2, 3, 4): (1, 2, 3, 4) does not broadcast to "
                 "(2, 3, 4)");
    eng_tensor_release(x);
}

/* ---- softmax ----------------------------------------------------------------------------- */

static void test_reduce_softmax_values(void **state)
{
    eng_error err;
    eng_tensor *z = tmake(2, SHAPE(2, 3), DATA(1, 2, 3, 4, 5, 6));
    check_release(eng_softmax(z, 1, &err), 2, SHAPE(2, 3),
                  DATA(0.09003057330846786f, 0.2447284609079361f, 0.6652409434318542f,
                       0.09003057330846786f, 0.2447284609079361f, 0.6652409434318542f), 1e-7);
    check_release(eng_softmax(z, -1, &err), 2, SHAPE(2, 3),
                  DATA(0.09003057330846786f, 0.2447284609079361f, 0.6652409434318542f,
                       0.09003057330846786f, 0.2447284609079361f, 0.6652409434318542f), 1e-7);
    check_release(eng_softmax(z, 0, &err), 2, SHAPE(2, 3),
                  DATA(0.04742587357759476f, 0.04742587357759476f, 0.04742587357759476f,
                       0.9525741338729858f, 0.9525741338729858f, 0.9525741338729858f), 1e-7);
    check_release(eng_log_softmax(z, 1, &err), 2, SHAPE(2, 3),
                  DATA(-2.4076061248779297f, -1.4076060056686401f, -0.40760600566864014f,
                       -2.4076061248779297f, -1.4076060056686401f, -0.40760600566864014f), 1e-6);
    eng_tensor *zt = eng_transpose(z, NULL, &err);                    /* strided lanes */
    check_release(eng_softmax(zt, 0, &err), 2, SHAPE(3, 2),
                  DATA(0.09003057330846786f, 0.09003057330846786f, 0.2447284609079361f,
                       0.2447284609079361f, 0.6652409434318542f, 0.6652409434318542f), 1e-7);
    eng_tensor_release(zt);
    assert_error(eng_softmax(z, 2, &err), &err, ENG_ERR_INDEX,
                 "axis 2 is out of bounds for a tensor of 2 dimensions");
    eng_tensor_release(z);
}

/* Huge logits neither overflow nor give NaN; -inf logits get probability 0. */
static void test_reduce_softmax_is_stable(void **state)
{
    eng_error err;
    eng_tensor *big = tmake(1, SHAPE(3), DATA(1000, 1000, -INFINITY));
    check_release(eng_softmax(big, 0, &err), 1, SHAPE(3), DATA(0.5f, 0.5f, 0), 0);
    check_release(eng_log_softmax(big, 0, &err), 1, SHAPE(3),
                  DATA(-0.6931472f, -0.6931472f, -INFINITY), 1e-6);
    eng_tensor *small = tmake(1, SHAPE(2), DATA(-1000, 0));
    check_release(eng_log_softmax(small, 0, &err), 1, SHAPE(2), DATA(-1000, 0), 0);
    eng_tensor *s = eng_tensor_scalar(5, &err);
    check_release(eng_softmax(s, 0, &err), 0, NULL, DATA(1), 0);
    check_release(eng_log_softmax(s, 0, &err), 0, NULL, DATA(0), 0);
    eng_tensor *e = eng_tensor_new(2, SHAPE(0, 4), &err);
    check_release(eng_softmax(e, 1, &err), 2, SHAPE(0, 4), DATA(0), 0);
    eng_tensor_release(e);
    eng_tensor_release(s);
    eng_tensor_release(small);
    eng_tensor_release(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reduce_sum_axes),
        cmocka_unit_test(test_reduce_strided_input),
        cmocka_unit_test(test_reduce_max_min_prod_std_var),
        cmocka_unit_test(test_reduce_sum_accumulates_in_double),
        cmocka_unit_test(test_reduce_argmax_argmin),
        cmocka_unit_test(test_reduce_empty),
        cmocka_unit_test(test_reduce_errors),
        cmocka_unit_test(test_reduce_sum_to_undoes_broadcast),
        cmocka_unit_test(test_reduce_softmax_values),
        cmocka_unit_test(test_reduce_softmax_is_stable),
    };
    return cmocka_run_group_tests_name("reduce", tests, NULL, NULL);
}
