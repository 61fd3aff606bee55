/* test_elementwise.c -- engine/elementwise.c: binary ops and broadcasting, in-place ops,
 * unary ops, clip, where, allclose. Expected values are NumPy 1.24's (float32). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_engine.h"

static eng_tensor *bin(eng_binop op, eng_tensor *a, eng_tensor *b)
{
    eng_error err;
    eng_tensor *r = eng_binary(op, a, b, &err);
    if (!r)
        fail_msg("eng_binary: %s", err.msg);
    return r;
}

/* ---- binary ops -------------------------------------------------------------------------- */

static void test_elementwise_same_shape_arithmetic(void **state)
{
    eng_tensor *a = tmake(2, SHAPE(2, 2), DATA(1, 2, 3, 4));
    eng_tensor *b = tmake(2, SHAPE(2, 2), DATA(4, -1, 0.5f, 8));
    check_release(bin(ENG_BIN_ADD, a, b), 2, SHAPE(2, 2), DATA(5, 1, 3.5f, 12), 0);
    check_release(bin(ENG_BIN_SUB, a, b), 2, SHAPE(2, 2), DATA(-3, 3, 2.5f, -4), 0);
    check_release(bin(ENG_BIN_MUL, a, b), 2, SHAPE(2, 2), DATA(4, -2, 1.5f, 32), 0);
    check_release(bin(ENG_BIN_DIV, a, b), 2, SHAPE(2, 2), DATA(0.25f, -2, 6, 0.5f), 0);
    check_release(bin(ENG_BIN_ADD, a, a), 2, SHAPE(2, 2), DATA(2, 4, 6, 8), 0);
    eng_tensor_release(a);
    eng_tensor_release(b);
}

static void test_elementwise_scalar_both_sides(void **state)
{
    eng_error err;
    eng_tensor *t = tmake(1, SHAPE(3), DATA(1, 2, 4));
    check_release(eng_binary_scalar(ENG_BIN_MUL, t, 2, 0, &err), 1, SHAPE(3), DATA(2, 4, 8), 0);
    check_release(eng_binary_scalar(ENG_BIN_SUB, t, 2, 1, &err), 1, SHAPE(3), DATA(1, 0, -2), 0);
    check_release(eng_binary_scalar(ENG_BIN_SUB, t, 2, 0, &err), 1, SHAPE(3), DATA(-1, 0, 2), 0);
    check_release(eng_binary_scalar(ENG_BIN_DIV, t, 8, 1, &err), 1, SHAPE(3), DATA(8, 4, 2), 0);
    check_release(eng_binary_scalar(ENG_BIN_POW, t, 2, 1, &err), 1, SHAPE(3), DATA(2, 4, 16), 0);
    check_release(eng_binary_scalar(ENG_BIN_POW, t, 2, 0, &err), 1, SHAPE(3), DATA(1, 4, 16), 0);
    check_release(eng_binary_scalar(ENG_BIN_GT, t, 1.5f, 0, &err), 1, SHAPE(3), DATA(0, 1, 1), 0);
    /* Non-contiguous input takes the strided path. */
    eng_tensor *m = trange(2, SHAPE(2, 3));
    eng_tensor *mt = eng_transpose(m, NULL, &err);
    check_release(eng_binary_scalar(ENG_BIN_ADD, mt, 10, 0, &err), 2, SHAPE(3, 2),
                  DATA(10, 13, 11, 14, 12, 15), 0);
    check_release(eng_binary_scalar(ENG_BIN_SUB, mt, 10, 1, &err), 2, SHAPE(3, 2),
                  DATA(10, 7, 9, 6, 8, 5), 0);
    /* 0-d tensors are scalars too. */
    eng_tensor *s = eng_tensor_scalar(3, &err);
    check_release(bin(ENG_BIN_MUL, s, s), 0, NULL, DATA(9), 0);
    check_release(bin(ENG_BIN_SUB, s, t), 1, SHAPE(3), DATA(2, 1, -1), 0);
    check_release(bin(ENG_BIN_SUB, t, s), 1, SHAPE(3), DATA(-2, -1, 1), 0);
    eng_tensor_release(s);
    eng_tensor_release(mt);
    eng_tensor_release(m);
    eng_tensor_release(t);
}

/* Results as numpy: np.arange(6).reshape(2,3) + np.arange(3) etc. */
static void test_elementwise_broadcasting(void **state)
{
    eng_tensor *m = trange(2, SHAPE(2, 3)), *row = trange(1, SHAPE(3));
    eng_tensor *col = trange(2, SHAPE(2, 1)), *r13 = trange(2, SHAPE(1, 3));
    check_release(bin(ENG_BIN_ADD, m, row), 2, SHAPE(2, 3), DATA(0, 2, 4, 3, 5, 7), 0);
    check_release(bin(ENG_BIN_SUB, row, m), 2, SHAPE(2, 3), DATA(0, 0, 0, -3, -3, -3), 0);
    check_release(bin(ENG_BIN_MUL, col, r13), 2, SHAPE(2, 3), DATA(0, 0, 0, 0, 1, 2), 0);
    check_release(bin(ENG_BIN_ADD, m, col), 2, SHAPE(2, 3), DATA(0, 1, 2, 4, 5, 6), 0);
    /* (3,1,2) * (4,1) -> (3,4,2) */
    eng_tensor *a = trange(3, SHAPE(3, 1, 2)), *b = trange(2, SHAPE(4, 1));
    float want[24];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 2; k++)
                want[(i * 4 + j) * 2 + k] = (float)((i * 2 + k) * j);
    check_release(bin(ENG_BIN_MUL, a, b), 3, SHAPE(3, 4, 2), want, 0);
    /* empty dims broadcast too */
    eng_tensor *e = eng_tensor_new(2, SHAPE(0, 3), NULL);
    check_release(bin(ENG_BIN_ADD, e, row), 2, SHAPE(0, 3), DATA(0), 0);
    eng_tensor *one = trange(1, SHAPE(1));
    check_release(bin(ENG_BIN_ADD, m, one), 2, SHAPE(2, 3), DATA(0, 1, 2, 3, 4, 5), 0);
    eng_tensor_release(one);
    eng_tensor_release(e);
    eng_tensor_release(a);
    eng_tensor_release(b);
    eng_tensor_release(m);
    eng_tensor_release(row);
    eng_tensor_release(col);
    eng_tensor_release(r13);
}

static void test_elementwise_broadcast_errors(void **state)
{
    eng_error err;
    eng_tensor *m = trange(2, SHAPE(2, 3)), *v = trange(1, SHAPE(4));
    eng_tensor *z = trange(2, SHAPE(3, 2)), *e = eng_tensor_new(1, SHAPE(0), NULL);
    assert_error(eng_binary(ENG_BIN_ADD, m, v, &err), &err, ENG_ERR_SHAPE,
                 "cannot broadcast shapes (2, 3) and (4,)");
    assert_string_equal(err.hint, "");
    assert_error(eng_binary(ENG_BIN_MUL, m, z, &err), &err, ENG_ERR_SHAPE,
                 "cannot broadcast shapes (2, 3) and (3, 2)");
    assert_error(eng_binary(ENG_BIN_MUL, e, m, &err), &err, ENG_ERR_SHAPE,
                 "cannot broadcast shapes (0,) and (2, 3)");
    assert_error(eng_binary((eng_binop)99, m, m, &err), &err, ENG_ERR_VALUE,
                 "unknown binary op 99");
    eng_tensor_release(m);
    eng_tensor_release(v);
    eng_tensor_release(z);
    eng_tensor_release(e);
}

static void test_elementwise_strided_operands(void **state)
{
    eng_error err;
    eng_tensor *m = trange(2, SHAPE(3, 4));
    eng_tensor *mt = eng_transpose(m, NULL, &err);                      /* (4, 3) view */
    eng_index ix = { .kind = ENG_IDX_SLICE, .has_step = 1, .step = -2 };
    eng_tensor *rev = eng_index_get(m, 1, &ix, &err);                   /* rows 2, 0 */
    eng_tensor *r = bin(ENG_BIN_ADD, mt, mt);
    check_release(r, 2, SHAPE(4, 3), DATA(0, 8, 16, 2, 10, 18, 4, 12, 20, 6, 14, 22), 0);
    eng_tensor *row = trange(1, SHAPE(4));
    check_release(bin(ENG_BIN_SUB, rev, row), 2, SHAPE(2, 4), DATA(8, 8, 8, 8, 0, 0, 0, 0), 0);
    eng_tensor_release(row);
    eng_tensor_release(rev);
    eng_tensor_release(mt);
    eng_tensor_release(m);
}

static void test_elementwise_comparisons_and_logic(void **state)
{
    eng_tensor *a = tmake(1, SHAPE(5), DATA(1, 2, 3, NAN, 0));
    eng_tensor *b = tmake(1, SHAPE(5), DATA(2, 2, 1, NAN, -0.0f));
    check_release(bin(ENG_BIN_LT, a, b), 1, SHAPE(5), DATA(1, 0, 0, 0, 0), 0);
    check_release(bin(ENG_BIN_LE, a, b), 1, SHAPE(5), DATA(1, 1, 0, 0, 1), 0);
    check_release(bin(ENG_BIN_GT, a, b), 1, SHAPE(5), DATA(0, 0, 1, 0, 0), 0);
    check_release(bin(ENG_BIN_GE, a, b), 1, SHAPE(5), DATA(0, 1, 1, 0, 1), 0);
    check_release(bin(ENG_BIN_EQ, a, b), 1, SHAPE(5), DATA(0, 1, 0, 0, 1), 0);
    check_release(bin(ENG_BIN_NE, a, b), 1, SHAPE(5), DATA(1, 0, 1, 1, 0), 0);
    /* logical_and/or: NaN counts as true, as in NumPy */
    check_release(bin(ENG_BIN_AND, a, b), 1, SHAPE(5), DATA(1, 1, 1, 1, 0), 0);
    check_release(bin(ENG_BIN_OR, a, b), 1, SHAPE(5), DATA(1, 1, 1, 1, 0), 0);
    eng_tensor_release(a);
    eng_tensor_release(b);
}

static void test_elementwise_maximum_minimum_propagate_nan(void **state)
{
    eng_tensor *a = tmake(1, SHAPE(3), DATA(1, NAN, 3)), *b = tmake(1, SHAPE(3), DATA(NAN, 2, 1));
    check_release(bin(ENG_BIN_MAXIMUM, a, b), 1, SHAPE(3), DATA(NAN, NAN, 3), 0);
    check_release(bin(ENG_BIN_MINIMUM, a, b), 1, SHAPE(3), DATA(NAN, NAN, 1), 0);
    eng_tensor_release(a);
    eng_tensor_release(b);
}

static void test_elementwise_pow(void **state)
{
    eng_tensor *a = tmake(1, SHAPE(5), DATA(2, -8, 4, 0, -2));
    eng_tensor *b = tmake(1, SHAPE(5), DATA(0.5f, 1.0f / 3, -1, 0, 3));
    check_release(bin(ENG_BIN_POW, a, b), 1, SHAPE(5), DATA(1.4142135f, NAN, 0.25f, 1, -8), 0);
    eng_tensor_release(a);
    eng_tensor_release(b);
}

/* numpy.floor_divide / numpy.remainder on a grid of awkward values, signs of zeros included. */
static void test_elementwise_floordiv_mod_match_numpy(void **state)
{
    static const float A[10] = { -7, -3.5f, -0.0f, 0, 2.5f, 7, 5.25f, INFINITY, -INFINITY, NAN };
    static const float B[7] = { -2, -0.5f, 0, 3, 1.5f, INFINITY, -INFINITY };
    static const float FD[70] = {
        3, 14, -INFINITY, -3, -5, -1, 0, 1, 7, -INFINITY, -2, -3, -1, 0,
        0, 0, NAN, -0.0f, -0.0f, -0.0f, 0, -0.0f, -0.0f, NAN, 0, 0, 0, -0.0f,
        -2, -5, INFINITY, 0, 1, 0, -1, -4, -14, INFINITY, 2, 4, 0, -1,
        -3, -11, INFINITY, 1, 3, 0, -1, NAN, NAN, INFINITY, NAN, NAN, NAN, NAN,
        NAN, NAN, -INFINITY, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN };
    static const float MOD[70] = {
        -1, -0.0f, NAN, 2, 0.5f, INFINITY, -7, -1.5f, -0.0f, NAN, 2.5f, 1, INFINITY, -3.5f,
        -0.0f, -0.0f, NAN, 0, 0, 0, -0.0f, -0.0f, -0.0f, NAN, 0, 0, 0, -0.0f,
        -1.5f, -0.0f, NAN, 2.5f, 1, 2.5f, -INFINITY, -1, -0.0f, NAN, 1, 1, 7, -INFINITY,
        -0.75f, -0.25f, NAN, 2.25f, 0.75f, 5.25f, -INFINITY, NAN, NAN, NAN, NAN, NAN, NAN, NAN,
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN };
    eng_tensor *a = tmake(2, SHAPE(10, 1), A), *b = tmake(1, SHAPE(7), B);
    eng_tensor *fd = bin(ENG_BIN_FLOORDIV, a, b), *md = bin(ENG_BIN_MOD, a, b);
    assert_tensor(fd, 2, SHAPE(10, 7), FD, 0);
    assert_tensor(md, 2, SHAPE(10, 7), MOD, 0);
    for (int i = 0; i < 70; i++) {
        if (!isnan(FD[i]))
            assert_int_equal(!!signbit(eng_tensor_data(fd)[i]), !!signbit(FD[i]));
        if (!isnan(MOD[i]))
            assert_int_equal(!!signbit(eng_tensor_data(md)[i]), !!signbit(MOD[i]));
    }
    eng_tensor_release(fd);
    eng_tensor_release(md);
    eng_tensor_release(a);
    eng_tensor_release(b);
}

/* Every op: the contiguous fast path, the scalar path and the strided path agree. */
static void test_elementwise_paths_agree(void **state)
{
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 5);
    eng_tensor *x = eng_tensor_randn(&rng, 2, SHAPE(7, 9), &err);
    eng_tensor *y = eng_tensor_randn(&rng, 2, SHAPE(7, 9), &err);
    eng_tensor *xt = eng_transpose(x, NULL, &err), *yt = eng_transpose(y, NULL, &err);
    eng_tensor *s = eng_tensor_full(2, SHAPE(1, 1), 0.75f, &err);
    for (int op = 0; op < ENG_BIN_COUNT; op++) {
        eng_tensor *fast = bin((eng_binop)op, x, y);
        eng_tensor *slow_t = bin((eng_binop)op, xt, yt);
        eng_tensor *slow = eng_transpose(slow_t, NULL, &err);
        float *f = tvalues(fast), *g = tvalues(slow);
        assert_memory_equal(f, g, 63 * sizeof(float));
        free(f);
        free(g);
        eng_tensor *bs = bin((eng_binop)op, x, s);                      /* size-1 operand */
        eng_tensor *sc = eng_binary_scalar((eng_binop)op, x, 0.75f, 0, &err);
        eng_tensor *gen = eng_binary((eng_binop)op, xt, s, &err);      /* broadcast, strided */
        eng_tensor *gent = eng_transpose(gen, NULL, &err);
        f = tvalues(bs);
        g = tvalues(sc);
        float *h = tvalues(gent);
        assert_memory_equal(f, g, 63 * sizeof(float));
        assert_memory_equal(f, h, 63 * sizeof(float));
        free(f);
        free(g);
        free(h);
        eng_tensor_release(gent);
        eng_tensor_release(gen);
        eng_tensor_release(sc);
        eng_tensor_release(bs);
        eng_tensor_release(slow);
        eng_tensor_release(slow_t);
        eng_tensor_release(fast);
    }
    eng_tensor_release(s);
    eng_tensor_release(xt);
    eng_tensor_release(yt);
    eng_tensor_release(x);
    eng_tensor_release(y);
}

static void test_elementwise_names(void **state)
{
    assert_string_equal(eng_binop_name(ENG_BIN_FLOORDIV), "floor_divide");
    assert_string_equal(eng_binop_symbol(ENG_BIN_FLOORDIV), "//");
    assert_string_equal(eng_binop_symbol(ENG_BIN_POW), "**");
    assert_string_equal(eng_binop_name(ENG_BIN_COUNT), "?");
    assert_string_equal(eng_unop_name(ENG_UN_SIGMOID), "sigmoid");
    assert_string_equal(eng_unop_name(ENG_UN_COUNT), "?");
    for (int op = 0; op < ENG_BIN_COUNT; op++)
        assert_non_null(eng_binop_name((eng_binop)op));
    for (int op = 0; op < ENG_UN_COUNT; op++)
        assert_non_null(eng_unop_name((eng_unop)op));
}

/* ---- in place ---------------------------------------------------------------------------- */

static void test_elementwise_inplace(void **state)
{
    eng_error err;
    eng_tensor *m = trange(2, SHAPE(2, 3)), *row = tmake(1, SHAPE(3), DATA(10, 20, 30));
    assert_int_equal(eng_binary_inplace(ENG_BIN_ADD, m, row, &err), ENG_OK);
    assert_tensor(m, 2, SHAPE(2, 3), DATA(10, 21, 32, 13, 24, 35), 0);
    assert_int_equal(eng_binary_inplace_scalar(ENG_BIN_MUL, m, 0.5f, &err), ENG_OK);
    assert_tensor(m, 2, SHAPE(2, 3), DATA(5, 10.5f, 16, 6.5f, 12, 17.5f), 0);
    assert_int_equal(eng_binary_inplace(ENG_BIN_SUB, m, m, &err), ENG_OK);   /* x -= x */
    assert_tensor(m, 2, SHAPE(2, 3), DATA(0, 0, 0, 0, 0, 0), 0);
    /* dst's shape never changes: (3,) += (2, 3) is an error */
    assert_int_equal(eng_binary_inplace(ENG_BIN_ADD, row, m, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "cannot apply add in place: shape (2, 3) does not broadcast "
                                 "to (3,)");
    assert_int_equal(eng_binary_inplace((eng_binop)-1, m, row, &err), ENG_ERR_VALUE);
    assert_int_equal(eng_binary_inplace_scalar(ENG_BIN_COUNT, m, 1, &err), ENG_ERR_VALUE);
    eng_tensor_release(m);
    eng_tensor_release(row);
}

/* Writes through a view land in the base; an overlapping source reads the old values (NumPy:
 * a = np.arange(5.); a[1:] += a[:-1] -> [0, 1, 3, 5, 7]). */
static void test_elementwise_inplace_views_and_overlap(void **state)
{
    eng_error err;
    eng_tensor *a = trange(1, SHAPE(5));
    eng_index tail = { .kind = ENG_IDX_SLICE, .has_start = 1, .start = 1 };
    eng_index head = { .kind = ENG_IDX_SLICE, .has_stop = 1, .stop = -1 };
    eng_tensor *t = eng_index_get(a, 1, &tail, &err), *h = eng_index_get(a, 1, &head, &err);
    assert_int_equal(eng_binary_inplace(ENG_BIN_ADD, t, h, &err), ENG_OK);
    assert_tensor(a, 1, SHAPE(5), DATA(0, 1, 3, 5, 7), 0);
    eng_tensor *m = trange(2, SHAPE(2, 3));
    eng_tensor *mt = eng_transpose(m, NULL, &err);
    assert_int_equal(eng_binary_inplace_scalar(ENG_BIN_ADD, mt, 100, &err), ENG_OK);
    assert_tensor(m, 2, SHAPE(2, 3), DATA(100, 101, 102, 103, 104, 105), 0);
    eng_tensor_release(mt);
    eng_tensor_release(m);
    eng_tensor_release(t);
    eng_tensor_release(h);
    eng_tensor_release(a);
}

/* ---- unary ------------------------------------------------------------------------------- */

static eng_tensor *un(eng_unop op, eng_tensor *t)
{
    eng_error err;
    eng_tensor *r = eng_unary(op, t, &err);
    if (!r)
        fail_msg("eng_unary: %s", err.msg);
    return r;
}

static void test_elementwise_unary_exact(void **state)
{
    eng_tensor *x = tmake(1, SHAPE(10), DATA(-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, -0.0f, NAN,
                                              3.7f, -3.7f));
    check_release(un(ENG_UN_ROUND, x), 1, SHAPE(10),
                  DATA(-2, -2, -0.0f, 0, 2, 2, -0.0f, NAN, 4, -4), 0);
    check_release(un(ENG_UN_SIGN, x), 1, SHAPE(10), DATA(-1, -1, -1, 1, 1, 1, 0, NAN, 1, -1), 0);
    check_release(un(ENG_UN_FLOOR, x), 1, SHAPE(10),
                  DATA(-3, -2, -1, 0, 1, 2, -0.0f, NAN, 3, -4), 0);
    check_release(un(ENG_UN_CEIL, x), 1, SHAPE(10),
                  DATA(-2, -1, -0.0f, 1, 2, 3, -0.0f, NAN, 4, -3), 0);
    check_release(un(ENG_UN_NEG, x), 1, SHAPE(10),
                  DATA(2.5f, 1.5f, 0.5f, -0.5f, -1.5f, -2.5f, 0, NAN, -3.7f, 3.7f), 0);
    check_release(un(ENG_UN_ABS, x), 1, SHAPE(10),
                  DATA(2.5f, 1.5f, 0.5f, 0.5f, 1.5f, 2.5f, 0, NAN, 3.7f, 3.7f), 0);
    check_release(un(ENG_UN_RELU, x), 1, SHAPE(10), DATA(0, 0, 0, 0.5f, 1.5f, 2.5f, 0, 0, 3.7f, 0),
                  0);
    check_release(un(ENG_UN_SQUARE, x), 1, SHAPE(10),
                  DATA(6.25f, 2.25f, 0.25f, 0.25f, 2.25f, 6.25f, 0, NAN, 3.7f * 3.7f, 3.7f * 3.7f), 0);
    check_release(un(ENG_UN_NOT, x), 1, SHAPE(10), DATA(0, 0, 0, 0, 0, 0, 1, 0, 0, 0), 0);
    eng_tensor *s = un(ENG_UN_SIGN, x);
    assert_false(signbit(eng_tensor_data(s)[6]));       /* np.sign(-0.) is +0. */
    eng_tensor_release(s);
    eng_tensor_release(x);
}

static void test_elementwise_unary_math(void **state)
{
    eng_error err;
    eng_tensor *x = tmake(1, SHAPE(6), DATA(-3, -0.5f, 0, 0.25f, 1, 4));
    float want[6];
    static const eng_unop ops[] = { ENG_UN_EXP, ENG_UN_TANH, ENG_UN_SIN, ENG_UN_COS };
    for (int k = 0; k < NELEMS(ops); k++) {
        for (int i = 0; i < 6; i++) {
            double v = eng_tensor_data(x)[i];
            want[i] = (float)(k == 0 ? exp(v) : k == 1 ? tanh(v) : k == 2 ? sin(v) : cos(v));
        }
        check_release(un(ops[k], x), 1, SHAPE(6), want, 1e-6 * 30);
    }
    eng_tensor *p = tmake(1, SHAPE(4), DATA(0, 1, 4, -1));
    check_release(un(ENG_UN_SQRT, p), 1, SHAPE(4), DATA(0, 1, 2, NAN), 0);
    check_release(un(ENG_UN_LOG, p), 1, SHAPE(4), DATA(-INFINITY, 0, 1.3862944f, NAN), 1e-6);
    eng_tensor_release(p);
    /* sigmoid stays finite and accurate at both ends (values from float64 1/(1+exp(-x))) */
    eng_tensor *s = tmake(1, SHAPE(7), DATA(-100, -20, -1, 0, 1, 20, 100));
    check_release(un(ENG_UN_SIGMOID, s), 1, SHAPE(7),
                  DATA(3.783505853677006e-44f, 2.06115369216775e-09f, 0.2689414322376251f, 0.5f,
                       0.7310585975646973f, 1, 1), 1e-7);
    eng_tensor *st = eng_tensor_view(s, 1, SHAPE(4), SHAPE(2), 0, &err);   /* strided input */
    check_release(un(ENG_UN_NEG, st), 1, SHAPE(4), DATA(100, 1, -1, -100), 0);
    eng_tensor_release(st);
    eng_tensor_release(s);
    assert_error(eng_unary(ENG_UN_COUNT, x, &err), &err, ENG_ERR_VALUE, "unknown unary op 16");
    eng_tensor_release(x);
}

/* ---- clip, where, allclose --------------------------------------------------------------- */

static void test_elementwise_clip(void **state)
{
    eng_error err;
    eng_tensor *x = tmake(1, SHAPE(5), DATA(-5, 0.5f, 2, NAN, 9));
    check_release(eng_clip(x, 0, 1, &err), 1, SHAPE(5), DATA(0, 0.5f, 1, NAN, 1), 0);
    check_release(eng_clip(x, 3, 1, &err), 1, SHAPE(5), DATA(1, 1, 1, NAN, 1), 0);  /* lo > hi */
    eng_tensor_release(x);
}

static void test_elementwise_where_broadcasts(void **state)
{
    eng_error err;
    eng_tensor *c = tmake(2, SHAPE(2, 1), DATA(1, 0));
    eng_tensor *a = tmake(1, SHAPE(3), DATA(1, 2, 3));
    eng_tensor *b = eng_tensor_scalar(-1, &err);
    check_release(eng_where(c, a, b, &err), 2, SHAPE(2, 3), DATA(1, 2, 3, -1, -1, -1), 0);
    eng_tensor *bad = trange(1, SHAPE(2));
    assert_error(eng_where(c, a, bad, &err), &err, ENG_ERR_SHAPE,
                 "cannot broadcast shapes (2, 3) and (2,)");
    eng_tensor_release(bad);
    eng_tensor_release(c);
    eng_tensor_release(a);
    eng_tensor_release(b);
}

static void test_elementwise_allclose(void **state)
{
    eng_error err;
    int r = -1;
    eng_tensor *a = tmake(1, SHAPE(3), DATA(1, 2, INFINITY));
    eng_tensor *b = tmake(1, SHAPE(3), DATA(1.000001f, 2, INFINITY));
    eng_tensor *c = tmake(1, SHAPE(3), DATA(1.1f, 2, INFINITY));
    eng_tensor *n = tmake(1, SHAPE(3), DATA(1, 2, NAN));
    assert_int_equal(eng_allclose(a, b, 1e-5, 1e-8, &r, &err), ENG_OK);
    assert_int_equal(r, 1);
    assert_int_equal(eng_allclose(a, c, 1e-5, 1e-8, &r, &err), ENG_OK);
    assert_int_equal(r, 0);
    assert_int_equal(eng_allclose(n, n, 1e-5, 1e-8, &r, &err), ENG_OK);
    assert_int_equal(r, 0);                                       /* NaN is never close */
    eng_tensor *s = eng_tensor_full(2, SHAPE(2, 1), 2, &err), *t = tmake(1, SHAPE(2), DATA(2, 2));
    assert_int_equal(eng_allclose(s, t, 0, 0, &r, &err), ENG_OK);    /* broadcast */
    assert_int_equal(r, 1);
    eng_tensor *m = trange(2, SHAPE(2, 2));
    assert_int_equal(eng_allclose(m, a, 0, 0, &r, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "cannot broadcast shapes (2, 2) and (3,)");
    eng_tensor_release(m);
    eng_tensor_release(s);
    eng_tensor_release(t);
    eng_tensor_release(a);
    eng_tensor_release(b);
    eng_tensor_release(c);
    eng_tensor_release(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elementwise_same_shape_arithmetic),
        cmocka_unit_test(test_elementwise_scalar_both_sides),
        cmocka_unit_test(test_elementwise_broadcasting),
        cmocka_unit_test(test_elementwise_broadcast_errors),
        cmocka_unit_test(test_elementwise_strided_operands),
        cmocka_unit_test(test_elementwise_comparisons_and_logic),
        cmocka_unit_test(test_elementwise_maximum_minimum_propagate_nan),
        cmocka_unit_test(test_elementwise_pow),
        cmocka_unit_test(test_elementwise_floordiv_mod_match_numpy),
        cmocka_unit_test(test_elementwise_paths_agree),
        cmocka_unit_test(test_elementwise_names),
        cmocka_unit_test(test_elementwise_inplace),
        cmocka_unit_test(test_elementwise_inplace_views_and_overlap),
        cmocka_unit_test(test_elementwise_unary_exact),
        cmocka_unit_test(test_elementwise_unary_math),
        cmocka_unit_test(test_elementwise_clip),
        cmocka_unit_test(test_elementwise_where_broadcasts),
        cmocka_unit_test(test_elementwise_allclose),
    };
    return cmocka_run_group_tests_name("elementwise", tests, NULL, NULL);
}
