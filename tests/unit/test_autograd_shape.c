/* test_autograd_shape.c -- engine/autograd_shape.c: gradients of reshape, flatten,
 * expand_dims, transpose, concat, stack and indexing (ints, slices with steps, newaxis, masks,
 * integer arrays with repeats: scatter-add), against finite differences and exact values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_engine.h"
#include "tests/unit/test_autograd_check.h"

/* Every check applies tanh after the op so the output gradient is not uniform. */
static eng_tensor *then_tanh(eng_ag *ag, eng_tensor *t, eng_error *err)
{
    eng_tensor *y = t ? eng_ag_unary(ag, ENG_UN_TANH, t, err) : NULL;
    eng_tensor_release(t);
    return y;
}

static eng_tensor *f_reshape(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    switch (*(const int *)ctx) {
    case 0: return then_tanh(ag, eng_ag_reshape(ag, x[0], 2, SHAPE(4, -1), err), err);
    case 1: return then_tanh(ag, eng_ag_flatten(ag, x[0], err), err);
    case 2: return then_tanh(ag, eng_ag_expand_dims(ag, x[0], 1, err), err);
    case 3: return then_tanh(ag, eng_ag_transpose(ag, x[0], (int[]){ 2, 0, 1 }, err), err);
    case 4: return then_tanh(ag, eng_ag_transpose(ag, x[0], (int[]){ -1, -3, -2 }, err), err);
    default: return then_tanh(ag, eng_ag_transpose(ag, x[0], NULL, err), err);
    }
}

static void test_autograd_reshape_transpose(void **state)
{
    eng_rng rng;
    eng_rng_seed(&rng, 31);
    for (int which = 0; which <= 5; which++) {
        eng_tensor *x = gc_rand_param(&rng, 3, SHAPE(2, 3, 2), -1, 1);
        gc_check(f_reshape, 1, &x, &which, 1e-3, 1e-2);
        eng_tensor_release(x);
    }
}

/* Reshape of a non-contiguous result (a transpose) copies; the gradient still flows. */
static eng_tensor *f_reshape_strided(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    eng_tensor *t = eng_ag_transpose(ag, x[0], NULL, err);
    eng_tensor *r = eng_ag_reshape(ag, t, 1, SHAPE(6), err);
    eng_tensor_release(t);
    return then_tanh(ag, r, err);
}

static void test_autograd_reshape_strided(void **state)
{
    eng_tensor *x = gc_param(2, SHAPE(2, 3), DATA(0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f));
    gc_check(f_reshape_strided, 1, &x, NULL, 1e-3, 1e-2);
    eng_tensor_release(x);
}

typedef struct join_case { int stacked, axis; } join_case;

static eng_tensor *f_join(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    const join_case *c = ctx;
    return then_tanh(ag, c->stacked ? eng_ag_stack(ag, 3, x, c->axis, err)
                                    : eng_ag_concat(ag, 3, x, c->axis, err), err);
}

static void test_autograd_concat(void **state)
{
    eng_rng rng;
    eng_rng_seed(&rng, 37);
    for (int axis = -2; axis <= 1; axis++) {
        join_case c = { 0, axis };
        int ax = axis < 0 ? axis + 2 : axis;
        int64_t s0[2] = { 2, 3 }, s1[2] = { 2, 3 }, s2[2] = { 2, 3 };
        s1[ax] = 1;
        s2[ax] = 4;
        eng_tensor *x[3] = { gc_rand_param(&rng, 2, s0, -1, 1), tmake(2, s1, DATA(1, 2, 3)),
                             gc_rand_param(&rng, 2, s2, -1, 1) };
        eng_binary_inplace_scalar(ENG_BIN_MUL, x[1], 0.1f, NULL);   /* a constant piece */
        gc_check(f_join, 3, x, &c, 1e-3, 1e-2);
        assert_null(x[1]->grad);
        for (int i = 0; i < 3; i++)
            eng_tensor_release(x[i]);
    }
}

static void test_autograd_stack(void **state)
{
    eng_rng rng;
    eng_rng_seed(&rng, 41);
    for (int axis = -3; axis <= 2; axis++) {
        join_case c = { 1, axis };
        eng_tensor *x[3];
        for (int i = 0; i < 3; i++)
            x[i] = gc_rand_param(&rng, 2, SHAPE(2, 3), -1, 1);
        gc_check(f_join, 3, x, &c, 1e-3, 1e-2);
        for (int i = 0; i < 3; i++)
            eng_tensor_release(x[i]);
    }
}

/* ---- indexing ---------------------------------------------------------------------------- */

typedef struct index_case { int n; eng_index idx[3]; } index_case;

static eng_tensor *f_index(eng_ag *ag, eng_tensor **x, const void *ctx, eng_error *err)
{
    const index_case *c = ctx;
    return then_tanh(ag, eng_ag_index_get(ag, x[0], c->n, c->idx, err), err);
}

#define I_INT(v) { .kind = ENG_IDX_INT, .i = (v) }
#define I_ALL { .kind = ENG_IDX_SLICE }
#define I_NEW { .kind = ENG_IDX_NEWAXIS }
#define I_SLICE(a, b, s) { .kind = ENG_IDX_SLICE, .start = (a), .stop = (b), .step = (s), \
                           .has_start = 1, .has_stop = 1, .has_step = 1 }
#define I_T(x) { .kind = ENG_IDX_TENSOR, .t = (x) }

static void check_index(const index_case *c)
{
    eng_rng rng;
    eng_rng_seed(&rng, 43);
    eng_tensor *x = gc_rand_param(&rng, 2, SHAPE(4, 5), -1, 1);
    gc_check(f_index, 1, &x, c, 1e-3, 1e-2);
    eng_tensor_release(x);
}

static void test_autograd_index_basic(void **state)
{
    const index_case cases[] = {
        { 1, { I_INT(2) } },                                 /* a row */
        { 2, { I_ALL, I_INT(-1) } },                         /* a column */
        { 2, { I_INT(1), I_INT(3) } },                       /* one element (0-d) */
        { 2, { I_SLICE(1, 4, 2), I_SLICE(4, 0, -2) } },      /* steps, reversed */
        { 3, { I_NEW, I_SLICE(0, 3, 1), I_INT(0) } },        /* newaxis */
    };
    for (int i = 0; i < NELEMS(cases); i++)
        check_index(&cases[i]);
}

static void test_autograd_index_advanced(void **state)
{
    eng_tensor *rows = tmake(1, SHAPE(4), DATA(3, 0, 3, -1));          /* repeats add up */
    eng_tensor *cols = tmake(2, SHAPE(2, 2), DATA(4, 1, 1, 0));
    eng_tensor *mask = tmake(2, SHAPE(4, 5), DATA(1, 0, 0, 1, 0, 0, 0, 1, 1, 1,
                                                   1, 1, 0, 0, 0, 0, 1, 0, 0, 1));
    eng_tensor *rmask = tmake(1, SHAPE(4), DATA(0, 1, 1, 0));
    mask->is_bool = rmask->is_bool = 1;
    const index_case cases[] = {
        { 1, { I_T(rows) } },
        { 2, { I_ALL, I_T(cols) } },
        { 2, { I_INT(2), I_T(cols) } },
        { 1, { I_T(mask) } },
        { 2, { I_T(rmask), I_SLICE(1, 5, 2) } },
    };
    for (int i = 0; i < NELEMS(cases); i++)
        check_index(&cases[i]);
    eng_tensor_release(rows);
    eng_tensor_release(cols);
    eng_tensor_release(mask);
    eng_tensor_release(rmask);
}

/* Exact scatter-add: x[[0, 0, 2]] summed gives gradient (2, 0, 1). The index tensor may change
 * after the forward pass: the node keeps its own copy. */
static void test_autograd_index_repeats(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *x = gc_param(1, SHAPE(3), DATA(5, 6, 7));
    eng_tensor *ix = tmake(1, SHAPE(3), DATA(0, 0, 2));
    eng_index idx = I_T(ix);
    eng_tensor *y = eng_ag_index_get(&ag, x, 1, &idx, &err);
    eng_tensor_data(ix)[2] = 1;
    eng_tensor *s = eng_ag_reduce(&ag, ENG_RED_SUM, y, 0, NULL, 0, &err);
    assert_int_equal(eng_backward(s, NULL, &err), ENG_OK);
    assert_tensor(x->grad, 1, SHAPE(3), DATA(2, 0, 1), 0);
    eng_tensor_release(s);
    eng_tensor_release(y);
    eng_tensor_release(ix);
    eng_tensor_release(x);
}

/* More than 2^24 elements: positions do not fit a float, the two-part path is used (the index
 * itself is a float32 tensor, so it uses even values there, which float32 holds exactly). */
static void test_autograd_index_large(void **state)
{
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    int64_t n = ((int64_t)1 << 24) + 5;
    eng_tensor *x = eng_tensor_new(1, &n, &err);
    x->requires_grad = 1;
    eng_tensor *ix = tmake(1, SHAPE(3), DATA(16777216 + 2, 7, 16777216 + 2));
    eng_index idx = I_T(ix);
    eng_tensor *y = eng_ag_index_get(&ag, x, 1, &idx, &err);
    assert_non_null(y);
    eng_tensor *g = tmake(1, SHAPE(3), DATA(1, 2, 4));
    assert_int_equal(eng_backward(y, g, &err), ENG_OK);
    const float *d = eng_tensor_data(x->grad);
    assert_float_equal(d[7], 2, 0);
    assert_float_equal(d[(1 << 24) + 2], 5, 0);
    assert_float_equal(d[(1 << 24) + 1], 0, 0);
    assert_float_equal(d[2], 0, 0);
    eng_tensor_release(g);
    eng_tensor_release(y);
    eng_tensor_release(ix);
    eng_tensor_release(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_autograd_reshape_transpose),
        cmocka_unit_test(test_autograd_reshape_strided),
        cmocka_unit_test(test_autograd_concat),
        cmocka_unit_test(test_autograd_stack),
        cmocka_unit_test(test_autograd_index_basic),
        cmocka_unit_test(test_autograd_index_advanced),
        cmocka_unit_test(test_autograd_index_repeats),
        cmocka_unit_test(test_autograd_index_large),
    };
    return cmocka_run_group_tests_name("autograd_shape", tests, NULL, NULL);
}
