/* test_autograd_ops.c -- engine/autograd_ops.c: gradients of the elementwise ops (binary with
 * broadcasting, scalar operands, unary, clip, where) and of matmul (2-d, transposed views,
 * batched, broadcast batches, 1-d operands), each against central finite differences. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_engine.h"
#include "tests/unit/test_autograd_check.h"

/* ---- binary ------------------------------------------------------------------------------ */

static eng_tensor *f_binary(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    return eng_ag_binary(ag, *(const eng_binop *)ctx, x[0], x[1], err);
}

/* Each differentiable binop on a pair of shapes (both positive values, away from ties). */
static void check_binop(eng_binop op, int na, const int64_t *sa, int nb, const int64_t *sb,
                        double tol)
{
    eng_rng rng;
    eng_rng_seed(&rng, 11 + op);
    eng_tensor *x[2] = { gc_rand_param(&rng, na, sa, 0.5f, 2.0f),
                         gc_rand_param(&rng, nb, sb, 0.5f, 2.0f) };
    if (op == ENG_BIN_MAXIMUM || op == ENG_BIN_MINIMUM)   /* keep |a - b| >> eps */
        eng_binary_inplace_scalar(ENG_BIN_ADD, x[1], 0.013f, NULL);
    gc_check(f_binary, 2, x, &op, 1e-3, tol);
    eng_tensor_release(x[0]);
    eng_tensor_release(x[1]);
}

static const eng_binop diff_binops[] = {
    ENG_BIN_ADD, ENG_BIN_SUB, ENG_BIN_MUL, ENG_BIN_DIV, ENG_BIN_POW, ENG_BIN_MAXIMUM,
    ENG_BIN_MINIMUM, ENG_BIN_MOD,
};

static void test_autograd_binary_same_shape(void **state)
{
    for (int i = 0; i < NELEMS(diff_binops); i++)
        check_binop(diff_binops[i], 2, SHAPE(2, 3), 2, SHAPE(2, 3), 2e-2);
}

/* Broadcasting: (2, 3) op (3,), (2, 1) op (1, 3), (4, 1, 3) op (2, 1), () op (2, 3). */
static void test_autograd_binary_broadcast(void **state)
{
    for (int i = 0; i < NELEMS(diff_binops); i++) {
        check_binop(diff_binops[i], 2, SHAPE(2, 3), 1, SHAPE(3), 2e-2);
        check_binop(diff_binops[i], 2, SHAPE(2, 1), 2, SHAPE(1, 3), 2e-2);
        check_binop(diff_binops[i], 3, SHAPE(4, 1, 3), 2, SHAPE(2, 1), 2e-2);
        check_binop(diff_binops[i], 0, NULL, 2, SHAPE(2, 3), 2e-2);
    }
}

/* Exact values: d(a*b)/da = b, ties of maximum split the gradient. */
static void test_autograd_binary_values(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *a = gc_param(1, SHAPE(3), DATA(1, 5, 3)), *b = gc_param(1, SHAPE(3), DATA(2, 2, 3));
    eng_tensor *m = eng_ag_binary(&ag, ENG_BIN_MAXIMUM, a, b, &err);
    assert_int_equal(eng_backward(m, NULL, &err), ENG_ERR_VALUE);   /* not a scalar */
    assert_string_equal(err.msg, "backward() without a gradient needs a scalar (one element), "
                        "got shape (3,)");
    eng_tensor *ones = eng_tensor_full(1, SHAPE(3), 1.0f, &err);
    assert_int_equal(eng_backward(m, ones, &err), ENG_OK);
    assert_tensor(a->grad, 1, SHAPE(3), DATA(0, 1, 0.5), 0);
    assert_tensor(b->grad, 1, SHAPE(3), DATA(1, 0, 0.5), 0);
    eng_tensor_release(m);
    /* accumulates: a second product adds b into a.grad */
    m = eng_ag_binary(&ag, ENG_BIN_MUL, a, b, &err);
    assert_int_equal(eng_backward(m, ones, &err), ENG_OK);
    assert_tensor(a->grad, 1, SHAPE(3), DATA(2, 3, 3.5), 0);
    assert_tensor(b->grad, 1, SHAPE(3), DATA(2, 5, 3.5), 0);
    eng_tensor_release(m);
    eng_tensor_release(ones);
    eng_tensor_release(a);
    eng_tensor_release(b);
}

/* Comparisons and floor division record nothing; gradients off records nothing. */
static void test_autograd_binary_constants(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *a = gc_param(1, SHAPE(2), DATA(1, 2));
    eng_tensor *c = eng_ag_binary_scalar(&ag, ENG_BIN_GT, a, 1.5f, 0, &err);
    eng_tensor *f = eng_ag_binary(&ag, ENG_BIN_FLOORDIV, a, a, &err);
    assert_int_equal(c->requires_grad, 0);
    assert_null(c->node);
    assert_int_equal(f->requires_grad, 0);
    assert_int_equal(eng_ag_set_enabled(&ag, 0), 1);
    eng_tensor *s = eng_ag_binary(&ag, ENG_BIN_ADD, a, a, &err);
    assert_int_equal(s->requires_grad, 0);
    assert_int_equal(eng_ag_set_enabled(&ag, 1), 0);
    eng_tensor *s2 = eng_ag_binary(NULL, ENG_BIN_ADD, a, a, &err);
    assert_null(s2->node);
    eng_tensor_release(c);
    eng_tensor_release(f);
    eng_tensor_release(s);
    eng_tensor_release(s2);
    eng_tensor_release(a);
}

/* ---- scalar operands --------------------------------------------------------------------- */

typedef struct scalar_case { eng_binop op; float s; int left; } scalar_case;

static eng_tensor *f_scalar(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    const scalar_case *c = ctx;
    return eng_ag_binary_scalar(ag, c->op, x[0], c->s, c->left, err);
}

static void test_autograd_binary_scalar(void **state)
{
    eng_rng rng;
    eng_rng_seed(&rng, 3);
    for (int i = 0; i < NELEMS(diff_binops); i++)
        for (int left = 0; left <= 1; left++) {
            scalar_case c = { diff_binops[i], 1.37f, left };
            eng_tensor *x = gc_rand_param(&rng, 2, SHAPE(3, 2), 0.5f, 2.0f);
            gc_check(f_scalar, 1, &x, &c, 1e-3, 2e-2);
            eng_tensor_release(x);
        }
}

/* ---- unary ------------------------------------------------------------------------------- */

static eng_tensor *f_unary(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    return eng_ag_unary(ag, *(const eng_unop *)ctx, x[0], err);
}

static void test_autograd_unary(void **state)
{
    static const eng_unop ops[] = {
        ENG_UN_NEG, ENG_UN_ABS, ENG_UN_EXP, ENG_UN_LOG, ENG_UN_SQRT, ENG_UN_TANH,
        ENG_UN_SIGMOID, ENG_UN_RELU, ENG_UN_SIN, ENG_UN_COS, ENG_UN_SQUARE,
    };
    /* Values away from 0 (the kinks of abs and relu); log and sqrt get |x|. */
    const float v[] = { -1.3f, 0.7f, 2.1f, -0.4f, 0.25f, 1.6f };
    const float pos[] = { 1.3f, 0.7f, 2.1f, 0.4f, 0.25f, 1.6f };
    for (int i = 0; i < NELEMS(ops); i++) {
        int need_pos = ops[i] == ENG_UN_LOG || ops[i] == ENG_UN_SQRT;
        eng_tensor *x = gc_param(2, SHAPE(2, 3), need_pos ? pos : v);
        gc_check(f_unary, 1, &x, &ops[i], 1e-3, 2e-2);
        eng_tensor_release(x);
    }
}

/* A strided input (a transposed view of a parameter) differentiates through the view. */
static eng_tensor *f_unary_of_transpose(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    eng_tensor *t = eng_ag_transpose(ag, x[0], NULL, err);
    eng_tensor *y = t ? eng_ag_unary(ag, ENG_UN_TANH, t, err) : NULL;
    eng_tensor_release(t);
    return y;
}

static void test_autograd_unary_strided(void **state)
{
    eng_tensor *x = gc_param(2, SHAPE(2, 3), DATA(-1.3f, 0.7f, 2.1f, -0.4f, 0.25f, 1.6f));
    gc_check(f_unary_of_transpose, 1, &x, NULL, 1e-3, 2e-2);
    eng_tensor_release(x);
}

/* floor/round have zero gradient but still record (the gradient exists, all zeros). */
static void test_autograd_unary_flat(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *x = gc_param(1, SHAPE(2), DATA(1.5, 2.5));
    eng_tensor *y = eng_ag_unary(&ag, ENG_UN_FLOOR, x, &err);
    eng_tensor *g = eng_tensor_full(1, SHAPE(2), 1.0f, &err);
    assert_int_equal(eng_backward(y, g, &err), ENG_OK);
    assert_tensor(x->grad, 1, SHAPE(2), DATA(0, 0), 0);
    eng_tensor *z = eng_ag_unary(&ag, ENG_UN_NOT, x, &err);
    assert_int_equal(z->requires_grad, 0);
    eng_tensor_release(z);
    eng_tensor_release(g);
    eng_tensor_release(y);
    eng_tensor_release(x);
}

/* ---- clip and where ---------------------------------------------------------------------- */

static eng_tensor *f_clip(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    return eng_ag_clip(ag, x[0], -0.5f, 1.0f, err);
}

static void test_autograd_clip(void **state)
{
    eng_tensor *x = gc_param(1, SHAPE(5), DATA(-1.3f, -0.2f, 0.7f, 1.6f, 0.1f));
    gc_check(f_clip, 1, &x, NULL, 1e-3, 1e-2);
    eng_tensor_release(x);
}

static eng_tensor *f_where(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    return eng_ag_where(ag, (eng_tensor *)ctx, x[0], x[1], err);
}

static void test_autograd_where(void **state)
{
    eng_rng rng;
    eng_rng_seed(&rng, 5);
    eng_tensor *cond = tmake(2, SHAPE(2, 3), DATA(1, 0, 1, 0, 0, 1));
    eng_tensor *x[2] = { gc_rand_param(&rng, 2, SHAPE(2, 3), -1, 1),
                         gc_rand_param(&rng, 1, SHAPE(3), -1, 1) };
    gc_check(f_where, 2, x, cond, 1e-3, 1e-2);
    eng_tensor_release(x[0]);
    eng_tensor_release(x[1]);
    eng_tensor_release(cond);
}

/* ---- matmul ------------------------------------------------------------------------------ */

static eng_tensor *f_matmul(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    return eng_ag_matmul(ag, x[0], x[1], err);
}

static void check_matmul(int na, const int64_t *sa, int nb, const int64_t *sb)
{
    eng_rng rng;
    eng_rng_seed(&rng, 17);
    eng_tensor *x[2] = { gc_rand_param(&rng, na, sa, -1, 1), gc_rand_param(&rng, nb, sb, -1, 1) };
    gc_check(f_matmul, 2, x, NULL, 1e-2, 1e-2);
    eng_tensor_release(x[0]);
    eng_tensor_release(x[1]);
}

static void test_autograd_matmul(void **state)
{
    check_matmul(2, SHAPE(3, 4), 2, SHAPE(4, 2));          /* 2-d: the sgemm path */
    check_matmul(1, SHAPE(4), 2, SHAPE(4, 3));             /* 1-d left */
    check_matmul(2, SHAPE(3, 4), 1, SHAPE(4));             /* 1-d right */
    check_matmul(1, SHAPE(4), 1, SHAPE(4));                /* dot */
    check_matmul(3, SHAPE(2, 3, 4), 3, SHAPE(2, 4, 2));    /* batched */
    check_matmul(3, SHAPE(2, 3, 4), 2, SHAPE(4, 2));       /* broadcast batch (Dense on 3-d) */
    check_matmul(2, SHAPE(3, 4), 4, SHAPE(2, 2, 4, 2));    /* broadcast the other way */
    check_matmul(1, SHAPE(4), 3, SHAPE(2, 4, 3));          /* 1-d with a batch */
    check_matmul(3, SHAPE(2, 3, 4), 1, SHAPE(4));
}

/* Transposed views go to sgemm without copies: x @ w.T and x.T @ w. */
static eng_tensor *f_matmul_t(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    eng_tensor *wt = eng_ag_transpose(ag, x[1], NULL, err);
    eng_tensor *xt = eng_ag_transpose(ag, x[0], NULL, err);
    eng_tensor *y = *(const int *)ctx ? eng_ag_matmul(ag, xt, x[1], err)
                                      : eng_ag_matmul(ag, x[0], wt, err);
    eng_tensor_release(wt);
    eng_tensor_release(xt);
    return y;
}

static void test_autograd_matmul_transposed(void **state)
{
    eng_rng rng;
    eng_rng_seed(&rng, 19);
    eng_tensor *x[2] = { gc_rand_param(&rng, 2, SHAPE(3, 4), -1, 1),
                         gc_rand_param(&rng, 2, SHAPE(5, 4), -1, 1) };
    int which = 0;
    gc_check(f_matmul_t, 2, x, &which, 1e-2, 1e-2);
    eng_tensor_release(x[1]);
    x[1] = gc_rand_param(&rng, 2, SHAPE(3, 5), -1, 1);
    which = 1;
    gc_check(f_matmul_t, 2, x, &which, 1e-2, 1e-2);
    eng_tensor_release(x[0]);
    eng_tensor_release(x[1]);
}

/* Only the input that wants a gradient gets one. */
static void test_autograd_matmul_one_param(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *x = tmake(2, SHAPE(1, 2), DATA(1, 2));
    eng_tensor *w = gc_param(2, SHAPE(2, 1), DATA(3, 4));
    eng_tensor *y = eng_ag_matmul(&ag, x, w, &err);
    assert_int_equal(eng_backward(y, NULL, &err), ENG_OK);
    assert_null(x->grad);
    assert_tensor(w->grad, 2, SHAPE(2, 1), DATA(1, 2), 0);
    eng_tensor_release(y);
    eng_tensor_release(x);
    eng_tensor_release(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_autograd_binary_same_shape),
        cmocka_unit_test(test_autograd_binary_broadcast),
        cmocka_unit_test(test_autograd_binary_values),
        cmocka_unit_test(test_autograd_binary_constants),
        cmocka_unit_test(test_autograd_binary_scalar),
        cmocka_unit_test(test_autograd_unary),
        cmocka_unit_test(test_autograd_unary_strided),
        cmocka_unit_test(test_autograd_unary_flat),
        cmocka_unit_test(test_autograd_clip),
        cmocka_unit_test(test_autograd_where),
        cmocka_unit_test(test_autograd_matmul),
        cmocka_unit_test(test_autograd_matmul_transposed),
        cmocka_unit_test(test_autograd_matmul_one_param),
    };
    return cmocka_run_group_tests_name("autograd_ops", tests, NULL, NULL);
}
