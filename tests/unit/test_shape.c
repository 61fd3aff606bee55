/* test_shape.c -- engine/shape.c: reshape, transpose, flatten, expand_dims, concat, stack,
 * one_hot. View results must share storage with their input (writes show through). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_engine.h"

#define AXES(...) ((const int[]){ __VA_ARGS__ })

static void test_shape_reshape_is_a_view(void **state)
{
    eng_error err;
    eng_tensor *a = trange(1, SHAPE(6));
    eng_tensor *r = eng_reshape(a, 2, SHAPE(2, -1), &err);
    assert_tensor(r, 2, SHAPE(2, 3), DATA(0, 1, 2, 3, 4, 5), 0);
    assert_ptr_equal(r->storage, a->storage);
    eng_tensor_data(r)[4] = 40;                          /* r[1, 1] */
    assert_true(eng_tensor_data(a)[4] == 40);
    check_release(eng_reshape(a, 3, SHAPE(-1, 1, 2), &err), 3, SHAPE(3, 1, 2),
                  DATA(0, 1, 2, 3, 40, 5), 0);
    eng_tensor *one = eng_tensor_full(2, SHAPE(1, 1), 7, &err);
    check_release(eng_reshape(one, 0, NULL, &err), 0, NULL, DATA(7), 0);
    eng_tensor *s = eng_reshape(one, 1, SHAPE(-1), &err);
    assert_shape(s, 1, SHAPE(1));
    eng_tensor_release(s);
    eng_tensor_release(one);
    eng_tensor_release(r);
    eng_tensor_release(a);
}

static void test_shape_reshape_copies_non_contiguous(void **state)
{
    eng_error err;
    eng_tensor *m = trange(2, SHAPE(2, 3));
    eng_tensor *t = eng_transpose(m, NULL, &err);
    eng_tensor *r = eng_reshape(t, 1, SHAPE(6), &err);
    assert_tensor(r, 1, SHAPE(6), DATA(0, 3, 1, 4, 2, 5), 0);
    assert_ptr_not_equal(r->storage, m->storage);
    eng_tensor_release(r);
    eng_tensor *f = eng_flatten(t, &err);
    assert_tensor(f, 1, SHAPE(6), DATA(0, 3, 1, 4, 2, 5), 0);
    eng_tensor_release(f);
    f = eng_flatten(m, &err);
    assert_ptr_equal(f->storage, m->storage);
    eng_tensor_release(f);
    eng_tensor_release(t);
    eng_tensor_release(m);
}

static void test_shape_reshape_errors(void **state)
{
    eng_error err;
    eng_tensor *a = trange(1, SHAPE(6));
    assert_error(eng_reshape(a, 2, SHAPE(4, 2), &err), &err, ENG_ERR_SHAPE,
                 "cannot reshape a tensor of 6 elements into shape (4, 2)");
    assert_error(eng_reshape(a, 2, SHAPE(4, -1), &err), &err, ENG_ERR_SHAPE,
                 "cannot reshape a tensor of 6 elements into shape (4, -1)");
    assert_error(eng_reshape(a, 2, SHAPE(-1, -1), &err), &err, ENG_ERR_VALUE,
                 "can only specify one unknown dimension (-1) in reshape (-1, -1)");
    assert_error(eng_reshape(a, 2, SHAPE(-2, -3), &err), &err, ENG_ERR_VALUE,
                 "negative dimensions are not allowed: (-2, -3)");
    assert_error(eng_reshape(a, 2, SHAPE(INT64_MAX, INT64_MAX), &err), &err, ENG_ERR_SHAPE,
                 "cannot reshape a tensor of 6 elements into shape (9223372036854775807, "
                 "9223372036854775807)");
    assert_error(eng_reshape(a, 9, SHAPE(1, 1, 1, 1, 1, 1, 1, 1, 6), &err), &err, ENG_ERR_VALUE,
                 "a tensor can have 0 to 8 dimensions, not 9");
    eng_tensor *e = eng_tensor_new(1, SHAPE(0), &err);
    assert_error(eng_reshape(e, 2, SHAPE(-1, 0), &err), &err, ENG_ERR_SHAPE,
                 "cannot reshape a tensor of 0 elements into shape (-1, 0)");
    check_release(eng_reshape(e, 3, SHAPE(2, 0, 5), &err), 3, SHAPE(2, 0, 5), DATA(0), 0);
    eng_tensor *one = eng_tensor_scalar(1, &err);
    assert_error(eng_reshape(one, 1, SHAPE(2), &err), &err, ENG_ERR_SHAPE,
                 "cannot reshape a tensor of 1 element into shape (2,)");
    eng_tensor_release(one);
    eng_tensor_release(e);
    eng_tensor_release(a);
}

static void test_shape_transpose(void **state)
{
    eng_error err;
    eng_tensor *x = trange(3, SHAPE(2, 3, 4));
    eng_tensor *t = eng_transpose(x, NULL, &err);
    assert_shape(t, 3, SHAPE(4, 3, 2));
    assert_ptr_equal(t->storage, x->storage);
    assert_true(eng_tensor_get(t, SHAPE(3, 2, 1)) == 23);
    assert_true(eng_tensor_get(t, SHAPE(1, 0, 1)) == 13);
    eng_tensor_release(t);
    t = eng_transpose(x, AXES(1, -1, 0), &err);
    assert_shape(t, 3, SHAPE(3, 4, 2));
    assert_true(eng_tensor_get(t, SHAPE(2, 1, 1)) == 21);
    /* writes through the view */
    eng_binary_inplace_scalar(ENG_BIN_MUL, t, -1, &err);
    assert_true(eng_tensor_data(x)[21] == -21);
    eng_tensor_release(t);
    assert_error(eng_transpose(x, AXES(0, 0, 1), &err), &err, ENG_ERR_VALUE,
                 "repeated axis 0 in transpose");
    assert_error(eng_transpose(x, AXES(0, 3, 1), &err), &err, ENG_ERR_INDEX,
                 "axis 3 is out of bounds for a tensor of 3 dimensions");
    eng_tensor *s = eng_tensor_scalar(2, &err);
    check_release(eng_transpose(s, NULL, &err), 0, NULL, DATA(2), 0);
    eng_tensor_release(s);
    eng_tensor_release(x);
}

static void test_shape_expand_dims(void **state)
{
    eng_error err;
    eng_tensor *x = trange(2, SHAPE(2, 3));
    check_release(eng_expand_dims(x, 0, &err), 3, SHAPE(1, 2, 3), DATA(0, 1, 2, 3, 4, 5), 0);
    check_release(eng_expand_dims(x, 1, &err), 3, SHAPE(2, 1, 3), DATA(0, 1, 2, 3, 4, 5), 0);
    check_release(eng_expand_dims(x, -1, &err), 3, SHAPE(2, 3, 1), DATA(0, 1, 2, 3, 4, 5), 0);
    eng_tensor *e = eng_expand_dims(x, 2, &err);
    assert_true(eng_tensor_is_contiguous(e));
    eng_tensor_release(e);
    assert_error(eng_expand_dims(x, 3, &err), &err, ENG_ERR_INDEX,
                 "axis 3 is out of bounds for a tensor of 3 dimensions");
    eng_tensor *big = eng_tensor_new(8, SHAPE(1, 1, 1, 1, 1, 1, 1, 1), &err);
    assert_error(eng_expand_dims(big, 0, &err), &err, ENG_ERR_VALUE,
                 "a tensor can have at most 8 dimensions");
    eng_tensor_release(big);
    eng_tensor_release(x);
}

static void test_shape_concat(void **state)
{
    eng_error err;
    eng_tensor *a = trange(2, SHAPE(2, 2)), *b = tmake(2, SHAPE(1, 2), DATA(9, 8));
    eng_tensor *c = tmake(2, SHAPE(2, 1), DATA(-1, -2));
    check_release(eng_concat(2, (eng_tensor *[]){ a, b }, 0, &err), 2, SHAPE(3, 2),
                  DATA(0, 1, 2, 3, 9, 8), 0);
    check_release(eng_concat(3, (eng_tensor *[]){ c, a, c }, -1, &err), 2, SHAPE(2, 4),
                  DATA(-1, 0, 1, -1, -2, 2, 3, -2), 0);
    eng_tensor *at = eng_transpose(a, NULL, &err);                     /* strided input */
    check_release(eng_concat(2, (eng_tensor *[]){ at, a }, 1, &err), 2, SHAPE(2, 4),
                  DATA(0, 2, 0, 1, 1, 3, 2, 3), 0);
    eng_tensor *e = eng_tensor_new(2, SHAPE(0, 2), &err);
    check_release(eng_concat(2, (eng_tensor *[]){ e, b }, 0, &err), 2, SHAPE(1, 2), DATA(9, 8), 0);
    check_release(eng_concat(1, (eng_tensor *[]){ a }, 0, &err), 2, SHAPE(2, 2),
                  DATA(0, 1, 2, 3), 0);
    eng_tensor *v = trange(1, SHAPE(3)), *s = eng_tensor_scalar(1, &err);
    assert_error(eng_concat(2, (eng_tensor *[]){ a, b }, 1, &err), &err, ENG_ERR_SHAPE,
                 "cannot concat (2, 2) and (1, 2) along axis 1: dimension 0 has sizes 2 and 1");
    assert_error(eng_concat(2, (eng_tensor *[]){ a, v }, 0, &err), &err, ENG_ERR_SHAPE,
                 "cannot concat (2, 2) and (3,): they have 2 and 1 dimensions");
    assert_error(eng_concat(2, (eng_tensor *[]){ s, s }, 0, &err), &err, ENG_ERR_SHAPE,
                 "cannot concat 0-d tensors (use stack)");
    assert_error(eng_concat(2, (eng_tensor *[]){ a, a }, 2, &err), &err, ENG_ERR_INDEX,
                 "axis 2 is out of bounds for a tensor of 2 dimensions");
    assert_error(eng_concat(0, NULL, 0, &err), &err, ENG_ERR_VALUE,
                 "concat needs at least one tensor");
    eng_tensor_release(s);
    eng_tensor_release(v);
    eng_tensor_release(e);
    eng_tensor_release(at);
    eng_tensor_release(a);
    eng_tensor_release(b);
    eng_tensor_release(c);
}

static void test_shape_stack(void **state)
{
    eng_error err;
    eng_tensor *a = tmake(1, SHAPE(3), DATA(1, 2, 3)), *b = tmake(1, SHAPE(3), DATA(4, 5, 6));
    check_release(eng_stack(2, (eng_tensor *[]){ a, b }, 0, &err), 2, SHAPE(2, 3),
                  DATA(1, 2, 3, 4, 5, 6), 0);
    check_release(eng_stack(2, (eng_tensor *[]){ a, b }, 1, &err), 2, SHAPE(3, 2),
                  DATA(1, 4, 2, 5, 3, 6), 0);
    check_release(eng_stack(2, (eng_tensor *[]){ a, b }, -1, &err), 2, SHAPE(3, 2),
                  DATA(1, 4, 2, 5, 3, 6), 0);
    eng_tensor *s = eng_tensor_scalar(7, &err), *t = eng_tensor_scalar(8, &err);
    check_release(eng_stack(2, (eng_tensor *[]){ s, t }, 0, &err), 1, SHAPE(2), DATA(7, 8), 0);
    eng_tensor *m = trange(2, SHAPE(2, 2)), *mt = eng_transpose(m, NULL, &err);
    check_release(eng_stack(2, (eng_tensor *[]){ m, mt }, 1, &err), 3, SHAPE(2, 2, 2),
                  DATA(0, 1, 0, 2, 2, 3, 1, 3), 0);
    eng_tensor *c = trange(1, SHAPE(4));
    assert_error(eng_stack(2, (eng_tensor *[]){ a, c }, 0, &err), &err, ENG_ERR_SHAPE,
                 "cannot stack (3,) and (4,): all shapes must be equal");
    assert_error(eng_stack(2, (eng_tensor *[]){ a, b }, 2, &err), &err, ENG_ERR_INDEX,
                 "axis 2 is out of bounds for a tensor of 2 dimensions");
    assert_error(eng_stack(0, NULL, 0, &err), &err, ENG_ERR_VALUE,
                 "stack needs at least one tensor");
    eng_tensor_release(c);
    eng_tensor_release(mt);
    eng_tensor_release(m);
    eng_tensor_release(s);
    eng_tensor_release(t);
    eng_tensor_release(a);
    eng_tensor_release(b);
}

static void test_shape_one_hot(void **state)
{
    eng_error err;
    eng_tensor *y = tmake(1, SHAPE(3), DATA(2, 0, 1));
    check_release(eng_one_hot(y, 3, &err), 2, SHAPE(3, 3), DATA(0, 0, 1, 1, 0, 0, 0, 1, 0), 0);
    eng_tensor *y2 = tmake(2, SHAPE(2, 2), DATA(1, 1, 0, 1));
    check_release(eng_one_hot(y2, 2, &err), 3, SHAPE(2, 2, 2), DATA(0, 1, 0, 1, 1, 0, 0, 1), 0);
    eng_tensor *s = eng_tensor_scalar(4, &err);
    check_release(eng_one_hot(s, 5, &err), 1, SHAPE(5), DATA(0, 0, 0, 0, 1), 0);
    eng_tensor *bad = tmake(1, SHAPE(2), DATA(1, 10));
    assert_error(eng_one_hot(bad, 10, &err), &err, ENG_ERR_VALUE,
                 "one_hot: label 10 is out of range for 10 classes");
    eng_tensor *neg = tmake(1, SHAPE(1), DATA(-1));
    assert_error(eng_one_hot(neg, 3, &err), &err, ENG_ERR_VALUE,
                 "one_hot: label -1 is out of range for 3 classes");
    eng_tensor *frac = tmake(1, SHAPE(1), DATA(1.5f));
    assert_error(eng_one_hot(frac, 3, &err), &err, ENG_ERR_VALUE,
                 "one_hot: label 1.5 is not an integer");
    assert_error(eng_one_hot(y, 0, &err), &err, ENG_ERR_VALUE,
                 "one_hot needs at least 1 class, got 0");
    eng_tensor_release(frac);
    eng_tensor_release(neg);
    eng_tensor_release(bad);
    eng_tensor_release(s);
    eng_tensor_release(y2);
    eng_tensor_release(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_reshape_is_a_view),
        cmocka_unit_test(test_shape_reshape_copies_non_contiguous),
        cmocka_unit_test(test_shape_reshape_errors),
        cmocka_unit_test(test_shape_transpose),
        cmocka_unit_test(test_shape_expand_dims),
        cmocka_unit_test(test_shape_concat),
        cmocka_unit_test(test_shape_stack),
        cmocka_unit_test(test_shape_one_hot),
    };
    return cmocka_run_group_tests_name("shape", tests, NULL, NULL);
}
