/* test_autograd_reduce.c -- engine/autograd_reduce.c: gradients of sum, mean, max, min, prod,
 * std, var (all axes, one axis, several, keepdims) and of softmax / log_softmax, against
 * finite differences; max's gradient goes to the first maximum. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_engine.h"
#include "tests/unit/test_autograd_check.h"

typedef struct red_case {
    eng_redop op;
    int naxes, axes[3], keepdims;
} red_case;

static eng_tensor *f_reduce(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    const red_case *c = ctx;
    return eng_ag_reduce(ag, c->op, x[0], c->naxes, c->axes, c->keepdims, err);
}

static void check_reduce(eng_redop op, double tol)
{
    static const red_case shapes[] = {
        { 0, 0, { 0 }, 0 }, { 0, 0, { 0 }, 1 }, { 0, 1, { 0 }, 0 }, { 0, 1, { -1 }, 1 },
        { 0, 2, { 0, 2 }, 0 }, { 0, 2, { 2, 1 }, 1 }, { 0, 1, { 1 }, 0 },
    };
    eng_rng rng;
    eng_rng_seed(&rng, 23 + op);
    for (int i = 0; i < NELEMS(shapes); i++) {
        red_case c = shapes[i];
        c.op = op;
        /* distinct values (no ties for max/min), away from 0 (prod) */
        eng_tensor *x = gc_rand_param(&rng, 3, SHAPE(2, 3, 4), 0.5f, 1.5f);
        gc_check(f_reduce, 1, &x, &c, 1e-3, tol);
        eng_tensor_release(x);
    }
}

static void test_autograd_sum(void **state) { check_reduce(ENG_RED_SUM, 1e-2); }
static void test_autograd_mean(void **state) { check_reduce(ENG_RED_MEAN, 1e-2); }
static void test_autograd_max(void **state) { check_reduce(ENG_RED_MAX, 1e-2); }
static void test_autograd_min(void **state) { check_reduce(ENG_RED_MIN, 1e-2); }
static void test_autograd_prod(void **state) { check_reduce(ENG_RED_PROD, 2e-2); }
static void test_autograd_var(void **state) { check_reduce(ENG_RED_VAR, 2e-2); }
static void test_autograd_std(void **state) { check_reduce(ENG_RED_STD, 2e-2); }

/* Ties: only the first maximum of each lane gets the gradient (the argmax). */
static void test_autograd_max_ties(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *x = gc_param(2, SHAPE(2, 3), DATA(1, 3, 3, 2, 2, 0));
    eng_tensor *m = eng_ag_reduce(&ag, ENG_RED_MAX, x, 1, (int[]){ 1 }, 0, &err);
    eng_tensor *g = tmake(1, SHAPE(2), DATA(10, 20));
    assert_int_equal(eng_backward(m, g, &err), ENG_OK);
    assert_tensor(x->grad, 2, SHAPE(2, 3), DATA(0, 10, 0, 20, 0, 0), 0);
    eng_tensor_release(m);
    eng_tensor_release(g);
    eng_tensor_release(x);
}

/* prod with zeros in a lane: one zero gets the product of the rest; two zeros give nothing. */
static void test_autograd_prod_zeros(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *x = gc_param(2, SHAPE(3, 3), DATA(2, 0, 5, 0, 0, 3, 2, 3, 4));
    eng_tensor *p = eng_ag_reduce(&ag, ENG_RED_PROD, x, 1, (int[]){ 1 }, 0, &err);
    eng_tensor *g = tmake(1, SHAPE(3), DATA(1, 1, 1));
    assert_int_equal(eng_backward(p, g, &err), ENG_OK);
    assert_tensor(x->grad, 2, SHAPE(3, 3), DATA(0, 10, 0, 0, 0, 0, 12, 8, 6), 1e-6);
    eng_tensor_release(p);
    eng_tensor_release(g);
    eng_tensor_release(x);
}

/* Exact: mean over all of (2, 2) gives 1/4 everywhere; a scalar loss needs no gradient. */
static void test_autograd_mean_scalar_loss(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *x = gc_param(2, SHAPE(2, 2), DATA(1, 2, 3, 4));
    eng_tensor *m = eng_ag_reduce(&ag, ENG_RED_MEAN, x, 0, NULL, 0, &err);
    assert_int_equal(m->ndim, 0);
    assert_int_equal(eng_backward(m, NULL, &err), ENG_OK);
    assert_tensor(x->grad, 2, SHAPE(2, 2), DATA(0.25, 0.25, 0.25, 0.25), 0);
    eng_tensor *a = eng_ag_reduce(&ag, ENG_RED_ARGMAX, x, 0, NULL, 0, &err);
    assert_int_equal(a->requires_grad, 0);
    eng_tensor_release(a);
    eng_tensor_release(m);
    eng_tensor_release(x);
}

/* ---- softmax ----------------------------------------------------------------------------- */

static eng_tensor *f_softmax(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    int axis = ((const int *)ctx)[0], log_form = ((const int *)ctx)[1];
    return log_form ? eng_ag_log_softmax(ag, x[0], axis, err) : eng_ag_softmax(ag, x[0], axis, err);
}

static void test_autograd_softmax(void **state)
{
    eng_rng rng;
    eng_rng_seed(&rng, 29);
    for (int log_form = 0; log_form <= 1; log_form++)
        for (int axis = -1; axis <= 1; axis++) {
            int ctx[2] = { axis, log_form };
            eng_tensor *x = gc_rand_param(&rng, 2, SHAPE(3, 4), -2, 2);
            gc_check(f_softmax, 1, &x, ctx, 1e-3, 1e-2);
            eng_tensor_release(x);
        }
}

/* Cross-entropy by hand: -mean(sum(onehot * log_softmax(z), 1)) has gradient
 * (softmax(z) - onehot) / N. */
static void test_autograd_softmax_cross_entropy(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *z = gc_param(2, SHAPE(2, 3), DATA(1, 2, 3, 1, 1, 1));
    eng_tensor *y = tmake(2, SHAPE(2, 3), DATA(0, 0, 1, 1, 0, 0));
    eng_tensor *ls = eng_ag_log_softmax(&ag, z, 1, &err);
    eng_tensor *p = eng_ag_binary(&ag, ENG_BIN_MUL, ls, y, &err);
    eng_tensor *s = eng_ag_reduce(&ag, ENG_RED_SUM, p, 1, (int[]){ 1 }, 0, &err);
    eng_tensor *m = eng_ag_reduce(&ag, ENG_RED_MEAN, s, 0, NULL, 0, &err);
    eng_tensor *l = eng_ag_binary_scalar(&ag, ENG_BIN_MUL, m, -1.0f, 0, &err);
    assert_int_equal(eng_backward(l, NULL, &err), ENG_OK);
    /* softmax(1, 2, 3) = (0.09003057, 0.24472847, 0.66524096) */
    assert_tensor(z->grad, 2, SHAPE(2, 3),
                  DATA(0.09003057f / 2, 0.24472847f / 2, (0.66524096f - 1) / 2,
                       (1.0f / 3 - 1) / 2, 1.0f / 6, 1.0f / 6), 1e-6);
    eng_tensor *ts[] = { ls, p, s, m, l, y, z };
    for (int i = 0; i < NELEMS(ts); i++)
        eng_tensor_release(ts[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_autograd_sum),
        cmocka_unit_test(test_autograd_mean),
        cmocka_unit_test(test_autograd_max),
        cmocka_unit_test(test_autograd_min),
        cmocka_unit_test(test_autograd_prod),
        cmocka_unit_test(test_autograd_var),
        cmocka_unit_test(test_autograd_std),
        cmocka_unit_test(test_autograd_max_ties),
        cmocka_unit_test(test_autograd_prod_zeros),
        cmocka_unit_test(test_autograd_mean_scalar_loss),
        cmocka_unit_test(test_autograd_softmax),
        cmocka_unit_test(test_autograd_softmax_cross_entropy),
    };
    return cmocka_run_group_tests_name("autograd_reduce", tests, NULL, NULL);
}
