/* test_autograd.c -- engine/autograd.c: the graph. Backward's errors, accumulation, shared
 * subexpressions, leaves, zero_grad, preset gradient buffers, freeing (after backward, without
 * backward, a million-op chain without recursion), param, detach and the graph dump. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_engine.h"

static eng_tensor *mul(eng_ag *ag, eng_tensor *a, eng_tensor *b)
{
    eng_error err;
    eng_tensor *r = eng_ag_binary(ag, ENG_BIN_MUL, a, b, &err);
    if (!r)
        fail_msg("mul: %s", err.msg);
    return r;
}

static eng_tensor *sum(eng_ag *ag, eng_tensor *a)
{
    eng_error err;
    eng_tensor *r = eng_ag_reduce(ag, ENG_RED_SUM, a, 0, NULL, 0, &err);
    if (!r)
        fail_msg("sum: %s", err.msg);
    return r;
}

static eng_tensor *param(int ndim, const int64_t *shape, const float *data)
{
    eng_error err;
    eng_tensor *t = tmake(ndim, shape, data);
    eng_tensor *p = eng_param(t, &err);
    eng_tensor_release(t);
    return p;
}

static void test_autograd_param_and_detach(void **state)
{
    eng_error err;
    eng_tensor *t = tmake(1, SHAPE(2), DATA(1, 2));
    t->is_bool = 1;
    eng_tensor *p = eng_param(t, &err);
    assert_int_equal(p->requires_grad, 1);
    assert_int_equal(p->is_bool, 0);
    assert_null(p->grad);
    assert_null(p->node);
    eng_tensor_data(p)[0] = 5;                  /* a copy */
    assert_float_equal(eng_tensor_data(t)[0], 1, 0);
    eng_tensor *d = eng_tensor_detach(p, &err);
    assert_int_equal(d->requires_grad, 0);
    eng_tensor_data(d)[1] = 7;                  /* shares p's storage */
    assert_float_equal(eng_tensor_data(p)[1], 7, 0);
    eng_tensor_release(d);
    eng_tensor_release(p);
    eng_tensor_release(t);
}

static void test_autograd_backward_errors(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *c = tmake(0, NULL, DATA(3));
    assert_int_equal(eng_backward(c, NULL, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "backward() needs a tensor that requires grad: this one was "
                        "not computed from any param()");
    eng_tensor *w = param(2, SHAPE(2, 3), DATA(1, 2, 3, 4, 5, 6));
    eng_tensor *y = mul(&ag, w, w);
    assert_int_equal(eng_backward(y, NULL, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "backward() without a gradient needs a scalar (one element), "
                        "got shape (2, 3)");
    eng_tensor *g = tmake(1, SHAPE(3), DATA(1, 1, 1));
    assert_int_equal(eng_backward(y, g, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "backward() gradient has shape (3,) but the tensor has shape "
                        "(2, 3)");
    eng_tensor *s = sum(&ag, y);
    assert_int_equal(eng_backward(s, NULL, &err), ENG_OK);
    assert_tensor(w->grad, 2, SHAPE(2, 3), DATA(2, 4, 6, 8, 10, 12), 0);
    /* the graph is freed: a second backward is an error, and w.grad is unchanged */
    assert_int_equal(eng_backward(s, NULL, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "trying to backward through the graph a second time: the "
                        "gradients of this sum were already computed and its graph freed");
    eng_tensor *s2 = sum(&ag, y);               /* y's node is spent too */
    assert_int_equal(eng_backward(s2, NULL, &err), ENG_ERR_VALUE);
    assert_tensor(w->grad, 2, SHAPE(2, 3), DATA(2, 4, 6, 8, 10, 12), 0);
    eng_tensor *ts[] = { c, w, y, g, s, s2 };
    for (int i = 0; i < NELEMS(ts); i++)
        eng_tensor_release(ts[i]);
}

/* x used twice (a diamond): both paths add into x.grad; backward twice accumulates. */
static void test_autograd_accumulates(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *x = param(1, SHAPE(2), DATA(3, -1));
    for (int step = 1; step <= 2; step++) {
        eng_tensor *a = mul(&ag, x, x);             /* x^2 */
        eng_tensor *b = mul(&ag, a, x);             /* x^3 */
        eng_tensor *c = eng_ag_binary(&ag, ENG_BIN_ADD, a, b, &err);
        eng_tensor *s = sum(&ag, c);                /* d/dx = 2x + 3x^2 */
        eng_tensor_release(a);                      /* the graph keeps what it needs */
        eng_tensor_release(b);
        eng_tensor_release(c);
        assert_int_equal(eng_backward(s, NULL, &err), ENG_OK);
        assert_tensor(x->grad, 1, SHAPE(2), DATA(33 * step, 1 * step), 0);
        eng_tensor_release(s);
    }
    eng_tensor_zero_grad(x);
    assert_tensor(x->grad, 1, SHAPE(2), DATA(0, 0), 0);
    eng_tensor_release(x);
}

/* A leaf: w.backward() adds ones (or the given gradient) into w.grad. */
static void test_autograd_leaf_backward(void **state)
{
    eng_error err;
    eng_tensor *w = param(0, NULL, DATA(4));
    assert_int_equal(eng_backward(w, NULL, &err), ENG_OK);
    assert_int_equal(eng_backward(w, NULL, &err), ENG_OK);
    assert_tensor(w->grad, 0, NULL, DATA(2), 0);
    eng_tensor_release(w);
}

/* A gradient buffer preset by the parameter's owner (a view into a flat buffer) is used. */
static void test_autograd_preset_grad(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *flat = eng_tensor_new(1, SHAPE(6), &err);
    eng_tensor *w = param(1, SHAPE(2), DATA(1, 2));
    w->grad = eng_tensor_view(flat, 1, SHAPE(2), SHAPE(1), 3, &err);
    eng_tensor *s = sum(&ag, w);
    assert_int_equal(eng_backward(s, NULL, &err), ENG_OK);
    assert_tensor(flat, 1, SHAPE(6), DATA(0, 0, 0, 1, 1, 0), 0);
    eng_tensor_zero_grad(w);
    eng_tensor_release(s);
    eng_tensor_release(w);
    eng_tensor_release(flat);
}

/* Gradients off: nothing is recorded, results are plain. */
static void test_autograd_no_grad(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *w = param(1, SHAPE(2), DATA(1, 2));
    int was = eng_ag_set_enabled(&ag, 0);
    eng_tensor *y = mul(&ag, w, w);
    eng_ag_set_enabled(&ag, was);
    assert_int_equal(y->requires_grad, 0);
    assert_null(y->node);
    assert_int_equal(eng_backward(y, NULL, &err), ENG_ERR_VALUE);
    eng_tensor_release(y);
    eng_tensor_release(w);
}

/* x = x * 1.0001 a million times: backward and freeing walk the chain without recursion. */
static void test_autograd_long_chain(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *w = param(0, NULL, DATA(1));
    eng_tensor *x = eng_tensor_retain(w);
    for (int i = 0; i < 1000000; i++) {
        eng_tensor *nx = eng_ag_binary_scalar(&ag, ENG_BIN_MUL, x, 1.000001f, 0, &err);
        assert_non_null(nx);
        eng_tensor_release(x);
        x = nx;
    }
    assert_int_equal(eng_backward(x, NULL, &err), ENG_OK);
    /* d x / d w is the product of the factors, which is x itself (both in float32) */
    assert_float_equal(eng_tensor_item(w->grad), eng_tensor_item(x), 1e-5);
    eng_tensor_release(x);
    /* and a chain dropped without backward */
    x = eng_tensor_retain(w);
    for (int i = 0; i < 1000000; i++) {
        eng_tensor *nx = eng_ag_unary(&ag, ENG_UN_NEG, x, &err);
        eng_tensor_release(x);
        x = nx;
    }
    eng_tensor_release(x);
    eng_tensor_release(w);
}

static void test_autograd_graph_format(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *x = tmake(2, SHAPE(4, 3), DATA(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    eng_tensor *w = param(2, SHAPE(3, 2), DATA(1, 2, 3, 4, 5, 6));
    eng_tensor *h = eng_ag_matmul(&ag, x, w, &err);
    eng_tensor *r = eng_ag_unary(&ag, ENG_UN_RELU, h, &err);
    eng_tensor *m = eng_ag_reduce(&ag, ENG_RED_MEAN, r, 0, NULL, 0, &err);
    char *s = eng_graph_format(m);
    assert_string_equal(s, "mean () <- (4, 2)\nrelu (4, 2) <- (4, 2)\n"
                           "matmul (4, 2) <- (4, 3) (3, 2)*\n");
    free(s);
    s = eng_graph_format(x);
    assert_string_equal(s, "");
    free(s);
    eng_tensor *ts[] = { x, w, h, r, m };
    for (int i = 0; i < NELEMS(ts); i++)
        eng_tensor_release(ts[i]);
}

/* Only the loss's graph is walked: an unrelated branch keeps its graph. */
static void test_autograd_two_losses(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *w = param(1, SHAPE(2), DATA(1, 2));
    eng_tensor *a = sum(&ag, w);
    eng_tensor *sq = mul(&ag, w, w);
    eng_tensor *b = sum(&ag, sq);
    assert_int_equal(eng_backward(a, NULL, &err), ENG_OK);
    assert_int_equal(eng_backward(b, NULL, &err), ENG_OK);
    assert_tensor(w->grad, 1, SHAPE(2), DATA(3, 5), 0);
    eng_tensor *ts[] = { w, a, sq, b };
    for (int i = 0; i < NELEMS(ts); i++)
        eng_tensor_release(ts[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_autograd_param_and_detach),
        cmocka_unit_test(test_autograd_backward_errors),
        cmocka_unit_test(test_autograd_accumulates),
        cmocka_unit_test(test_autograd_leaf_backward),
        cmocka_unit_test(test_autograd_preset_grad),
        cmocka_unit_test(test_autograd_no_grad),
        cmocka_unit_test(test_autograd_long_chain),
        cmocka_unit_test(test_autograd_graph_format),
        cmocka_unit_test(test_autograd_two_losses),
    };
    return cmocka_run_group_tests_name("autograd", tests, NULL, NULL);
}
