/* test_autograd.c -- engine/autograd.c: the graph. Backward's errors, accumulation, shared
 * subexpressions, leaves, zero_grad, preset gradient buffers, freeing (after backward, without
 * backward, a million-op chain without recursion), param, detach, the graph dump, and the
 * version counters that catch in-place changes to what a graph keeps. */
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

/* ---- version counters: in-place changes to what a graph keeps --------------------------- */

static const char *const modified_hint =
    "call backward() before changing what it uses (x += 1, x[i] = v, opt.step(), set_weights), "
    "or make a new tensor: x = x + 1";

/* Every in-place write bumps the storage's counter (shared by views); a failed one does not;
 * a fresh tensor and a copy start at 0. */
static void test_autograd_version_counter(void **state)
{
    eng_error err;
    eng_tensor *x = tmake(2, SHAPE(2, 2), DATA(1, 2, 3, 4));
    eng_tensor *row = eng_index_get(x, 1, (eng_index[]){ { .kind = ENG_IDX_INT, .i = 1 } }, &err);
    assert_int_equal(eng_tensor_version(x), 0);
    assert_int_equal(eng_binary_inplace_scalar(ENG_BIN_ADD, x, 1, &err), ENG_OK);
    assert_int_equal(eng_tensor_version(row), 1);              /* a view shares the counter */
    eng_tensor *y = tmake(1, SHAPE(2), DATA(1, 1));
    assert_int_equal(eng_binary_inplace(ENG_BIN_MUL, row, y, &err), ENG_OK);
    assert_int_equal(eng_tensor_version(x), 2);
    assert_int_equal(eng_tensor_version(y), 0);                /* the source is only read */
    eng_tensor *bad = tmake(1, SHAPE(3), DATA(1, 2, 3));
    assert_int_equal(eng_binary_inplace(ENG_BIN_ADD, x, bad, &err), ENG_ERR_SHAPE);
    assert_int_equal(eng_tensor_version(x), 2);
    assert_int_equal(eng_index_set_scalar(x, 1, (eng_index[]){ { .kind = ENG_IDX_INT, .i = 0 } },
                                          9, &err), ENG_OK);
    assert_int_equal(eng_tensor_version(x), 3);
    eng_tensor *c = eng_tensor_copy(x, &err);
    assert_int_equal(eng_tensor_version(c), 0);
    eng_tensor *ts[] = { x, row, y, bad, c };
    for (int i = 0; i < NELEMS(ts); i++)
        eng_tensor_release(ts[i]);
}

/* Backward accumulating into .grad does not bump it; zero_grad does (PyTorch's zero_()). */
static void test_autograd_version_grad_buffers(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *w = param(1, SHAPE(2), DATA(1, 2));
    for (int step = 0; step < 2; step++) {
        eng_tensor *sq = mul(&ag, w, w), *s = sum(&ag, sq);
        assert_int_equal(eng_backward(s, NULL, &err), ENG_OK);
        eng_tensor_release(sq);
        eng_tensor_release(s);
    }
    assert_tensor(w->grad, 1, SHAPE(2), DATA(4, 8), 0);
    assert_int_equal(eng_tensor_version(w->grad), 0);
    assert_int_equal(eng_tensor_version(w), 0);
    eng_tensor_zero_grad(w);
    assert_int_equal(eng_tensor_version(w->grad), 1);
    eng_tensor_release(w);
}

/* PyTorch's example: b = a * 2; c = b * b; b += 1 (under no_grad); backward fails instead of
 * giving 2 * (b + 1) * 2; the graph is freed all the same (no leak, a second try is "spent"). */
static void test_autograd_inplace_saved_input(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *a = param(1, SHAPE(3), DATA(1, 1, 1));
    eng_tensor *b = eng_ag_binary_scalar(&ag, ENG_BIN_MUL, a, 2, 0, &err);
    eng_tensor *c = mul(&ag, b, b);
    eng_tensor *s = sum(&ag, c);
    assert_int_equal(eng_binary_inplace_scalar(ENG_BIN_ADD, b, 1, &err), ENG_OK);
    assert_int_equal(eng_backward(s, NULL, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "a tensor of shape (3,) needed for the gradient of multiply "
                        "was modified in place after it was used (version 1, expected 0)");
    assert_string_equal(err.hint, modified_hint);
    assert_null(a->grad);                       /* nothing reached the parameter */
    assert_int_equal(eng_backward(s, NULL, &err), ENG_ERR_VALUE);
    assert_non_null(strstr(err.msg, "a second time"));
    eng_tensor *ts[] = { a, b, c, s };
    for (int i = 0; i < NELEMS(ts); i++)
        eng_tensor_release(ts[i]);
}

/* exp keeps its output: changing the result in place is caught too. */
static void test_autograd_inplace_saved_output(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *w = param(1, SHAPE(2), DATA(0, 1));
    eng_tensor *e = eng_ag_unary(&ag, ENG_UN_EXP, w, &err);
    eng_tensor *s = sum(&ag, e);
    eng_tensor *d = eng_tensor_detach(e, &err);             /* as `with no_grad(): e *= 2` */
    assert_int_equal(eng_binary_inplace_scalar(ENG_BIN_MUL, d, 2, &err), ENG_OK);
    assert_int_equal(eng_backward(s, NULL, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "a tensor of shape (2,) needed for the gradient of exp was "
                        "modified in place after it was used (version 1, expected 0)");
    eng_tensor *ts[] = { w, e, s, d };
    for (int i = 0; i < NELEMS(ts); i++)
        eng_tensor_release(ts[i]);
}

/* A saved view of x (its row) is stale when x is written through another view or itself. */
static void test_autograd_inplace_view(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *w = param(1, SHAPE(3), DATA(1, 1, 1));
    eng_tensor *x = tmake(2, SHAPE(2, 3), DATA(1, 2, 3, 4, 5, 6));
    eng_tensor *row = eng_index_get(x, 1, (eng_index[]){ { .kind = ENG_IDX_INT, .i = 1 } }, &err);
    eng_tensor *y = mul(&ag, w, row), *s = sum(&ag, y);
    eng_index idx[2] = { { .kind = ENG_IDX_INT, .i = 1 }, { .kind = ENG_IDX_INT, .i = 0 } };
    assert_int_equal(eng_index_set_scalar(x, 2, idx, 7, &err), ENG_OK);   /* x[1, 0] = 7 */
    assert_int_equal(eng_backward(s, NULL, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "a tensor of shape (3,) needed for the gradient of multiply "
                        "was modified in place after it was used (version 1, expected 0)");
    eng_tensor *ts[] = { w, x, row, y, s };
    for (int i = 0; i < NELEMS(ts); i++)
        eng_tensor_release(ts[i]);
}

/* What the backward does not read may change: an unrelated tensor, an addend, the factor
 * whose partial is not wanted (w in w * x reads only x), a reshape's source. */
static void test_autograd_inplace_unread_ok(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *w = param(1, SHAPE(2), DATA(1, 2));
    eng_tensor *x = tmake(1, SHAPE(2), DATA(3, 4)), *z = tmake(1, SHAPE(2), DATA(0, 0));
    eng_tensor *wx = mul(&ag, w, x);
    eng_tensor *sum1 = eng_ag_binary(&ag, ENG_BIN_ADD, wx, z, &err);
    eng_tensor *r = eng_ag_reshape(&ag, sum1, 2, SHAPE(1, 2), &err);
    eng_tensor *s = sum(&ag, r);
    eng_tensor *other = tmake(1, SHAPE(1), DATA(5));
    eng_binary_inplace_scalar(ENG_BIN_ADD, other, 1, &err);
    eng_binary_inplace_scalar(ENG_BIN_ADD, z, 1, &err);
    eng_binary_inplace_scalar(ENG_BIN_SUB, w, 1, &err);      /* an update before backward */
    assert_int_equal(eng_backward(s, NULL, &err), ENG_OK);
    assert_tensor(w->grad, 1, SHAPE(2), DATA(3, 4), 0);
    eng_tensor *ts[] = { w, x, z, wx, sum1, r, s, other };
    for (int i = 0; i < NELEMS(ts); i++)
        eng_tensor_release(ts[i]);
}

/* The usual loop: forward, backward, update in place, forward again: every step is fine. */
static void test_autograd_inplace_training_loop(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *w = param(1, SHAPE(2), DATA(1, -1));
    for (int step = 0; step < 3; step++) {
        eng_tensor *sq = mul(&ag, w, w), *s = sum(&ag, sq);     /* w is read: checked */
        eng_tensor_zero_grad(w);
        assert_int_equal(eng_backward(s, NULL, &err), ENG_OK);
        eng_tensor *step_ = eng_binary_scalar(ENG_BIN_MUL, w->grad, 0.25f, 0, &err);
        assert_int_equal(eng_binary_inplace(ENG_BIN_SUB, w, step_, &err), ENG_OK);
        eng_tensor *ts[] = { sq, s, step_ };
        for (int i = 0; i < NELEMS(ts); i++)
            eng_tensor_release(ts[i]);
    }
    assert_tensor(w, 1, SHAPE(2), DATA(0.125f, -0.125f), 0);  /* w halves each step */
    assert_int_equal(eng_tensor_version(w), 3);
    eng_tensor_release(w);
}

/* A node written by hand (as engine/nn*.c do): inputs are checked unless skipped, and
 * eng_node_save'd tensors are checked; the check runs only for nodes that get a gradient. */
static int copy_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    return eng_node_accum(n, 0, g, err);
}

static void test_autograd_inplace_custom_node(void **state)
{
    eng_error err;
    eng_tensor *w = param(1, SHAPE(2), DATA(1, 2));
    eng_tensor *k = tmake(1, SHAPE(2), DATA(7, 7)), *g = tmake(1, SHAPE(2), DATA(1, 1));
    for (int variant = 0; variant < 3; variant++) {
        eng_tensor *y = eng_tensor_copy(w, &err);
        eng_tensor *in[2] = { w, k };
        eng_node *n = eng_node_new(y, "custom", copy_backward, 2, in, &err);
        assert_non_null(n);
        eng_node_skip_check(n, 0);
        if (variant == 1)
            eng_node_skip_check(n, 1);
        if (variant == 2) {
            eng_node_skip_check(n, 1);
            assert_int_equal(eng_node_save(n, 0, k, &err), ENG_OK);
        }
        eng_binary_inplace_scalar(ENG_BIN_ADD, w, 1, &err);     /* skipped: never checked */
        eng_binary_inplace_scalar(ENG_BIN_ADD, k, 1, &err);
        int rc = eng_backward(y, g, &err);
        assert_int_equal(rc, variant == 1 ? ENG_OK : ENG_ERR_VALUE);
        if (rc != ENG_OK)
            assert_non_null(strstr(err.msg, "gradient of custom was modified in place"));
        eng_tensor_release(y);
    }
    eng_tensor_release(w);
    eng_tensor_release(k);
    eng_tensor_release(g);
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
        cmocka_unit_test(test_autograd_version_counter),
        cmocka_unit_test(test_autograd_version_grad_buffers),
        cmocka_unit_test(test_autograd_inplace_saved_input),
        cmocka_unit_test(test_autograd_inplace_saved_output),
        cmocka_unit_test(test_autograd_inplace_view),
        cmocka_unit_test(test_autograd_inplace_unread_ok),
        cmocka_unit_test(test_autograd_inplace_training_loop),
        cmocka_unit_test(test_autograd_inplace_custom_node),
    };
    return cmocka_run_group_tests_name("autograd", tests, NULL, NULL);
}
