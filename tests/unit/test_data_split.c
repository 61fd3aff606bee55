/*
 * test_data_split.c -- engine/data_split.c: eng_permutation (and as a tensor),
 * eng_train_test_split (the sizes scikit-learn computes, rows kept together across arrays, the
 * order without shuffling, errors).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_engine.h"

static void test_permutation(void **state)
{
    eng_rng rng;
    int64_t perm[1000];
    int seen[1000];
    eng_rng_seed(&rng, 1);
    eng_permutation(&rng, 1000, perm);
    memset(seen, 0, sizeof seen);
    int fixed = 0;
    for (int i = 0; i < 1000; i++) {
        assert_in_range(perm[i], 0, 999);
        seen[perm[i]]++;
        fixed += perm[i] == i;
    }
    for (int i = 0; i < 1000; i++) assert_int_equal(seen[i], 1);
    assert_in_range(fixed, 0, 10);            /* about 1 expected for a random permutation */
    eng_permutation(&rng, 1, perm);
    assert_int_equal(perm[0], 0);
    eng_permutation(&rng, 0, perm);            /* nothing to do */
    /* every position is uniform: position 0 of 3 over many draws */
    int first[3] = { 0 };
    for (int k = 0; k < 3000; k++) {
        eng_permutation(&rng, 3, perm);
        first[perm[0]]++;
    }
    for (int i = 0; i < 3; i++) assert_in_range(first[i], 850, 1150);
}

/* The tensor form: the same draw as eng_permutation from the same state, as float32. */
static void test_permutation_tensor(void **state)
{
    eng_rng a, b;
    eng_error err;
    int64_t perm[50];
    eng_rng_seed(&a, 9);
    eng_rng_seed(&b, 9);
    eng_permutation(&a, 50, perm);
    eng_tensor *t = eng_tensor_permutation(&b, 50, &err);
    assert_non_null(t);
    assert_int_equal(t->ndim, 1);
    assert_int_equal(t->shape[0], 50);
    for (int i = 0; i < 50; i++) assert_float_equal(eng_tensor_data(t)[i], (double)perm[i], 0);
    eng_tensor_release(t);
    t = eng_tensor_permutation(&b, 0, &err);
    assert_int_equal(t->size, 0);
    eng_tensor_release(t);
    assert_null(eng_tensor_permutation(&b, -1, &err));
    assert_int_equal(err.code, ENG_ERR_VALUE);
    assert_null(eng_tensor_permutation(&b, ((int64_t)1 << 24) + 1, &err));
}

/* Splits x (10, 2) = [[0, 0], [1, 10], ...] and y (10,) = 0..9 and checks sizes and pairing. */
static void split10(double test_size, int shuffle, int64_t want_test, eng_tensor *out[4])
{
    eng_rng rng;
    eng_error err;
    float xs[20];
    for (int i = 0; i < 10; i++) { xs[2 * i] = (float)i; xs[2 * i + 1] = 10.0f * i; }
    eng_tensor *x = tmake(2, SHAPE(10, 2), xs), *y = eng_tensor_arange(0, 10, 1, &err);
    eng_tensor *in[2] = { x, y };
    eng_rng_seed(&rng, 3);
    if (eng_train_test_split(2, in, test_size, shuffle, &rng, out, &err) != ENG_OK)
        fail_msg("%s", err.msg);
    assert_shape(out[0], 2, SHAPE(10 - want_test, 2));
    assert_shape(out[1], 2, SHAPE(want_test, 2));
    assert_shape(out[2], 1, SHAPE(10 - want_test));
    assert_shape(out[3], 1, SHAPE(want_test));
    int seen[10] = { 0 };
    for (int part = 0; part < 2; part++) {
        eng_tensor *xp = out[part], *yp = out[2 + part];
        for (int64_t i = 0; i < yp->size; i++) {
            float v = yp->storage->data[i];
            assert_true(xp->storage->data[2 * i] == v && xp->storage->data[2 * i + 1] == 10 * v);
            seen[(int)v]++;
        }
    }
    for (int i = 0; i < 10; i++) assert_int_equal(seen[i], 1);
    eng_tensor_release(x);
    eng_tensor_release(y);
}

static void release4(eng_tensor *out[4])
{
    for (int i = 0; i < 4; i++) eng_tensor_release(out[i]);
}

static void test_split_sizes(void **state)
{
    eng_tensor *out[4];
    split10(0.25, 1, 3, out);        /* ceil(2.5) */
    release4(out);
    split10(0.2, 1, 2, out);
    release4(out);
    split10(0.01, 1, 1, out);        /* ceil(0.1) */
    release4(out);
    split10(0.9, 1, 9, out);
    release4(out);
    split10(4, 1, 4, out);           /* a whole number is a count */
    release4(out);
    split10(1, 1, 1, out);
    release4(out);
}

static void test_split_order(void **state)
{
    eng_tensor *out[4];
    split10(0.3, 0, 3, out);         /* no shuffle: train rows first, in order */
    assert_tensor(out[2], 1, SHAPE(7), DATA(0, 1, 2, 3, 4, 5, 6), 0);
    assert_tensor(out[3], 1, SHAPE(3), DATA(7, 8, 9), 0);
    release4(out);
    split10(0.3, 1, 3, out);
    int in_order = 1;
    for (int i = 0; i < 7; i++) in_order &= out[2]->storage->data[i] == (float)i;
    assert_false(in_order);
    release4(out);
}

static void test_split_views_and_3d(void **state)
{
    eng_rng rng;
    eng_error err;
    eng_tensor *base = trange(3, SHAPE(4, 2, 3));
    eng_tensor *t = eng_transpose(base, (const int[]){ 0, 2, 1 }, &err);   /* (4, 3, 2), a view */
    eng_tensor *out[2];
    eng_rng_seed(&rng, 5);
    assert_int_equal(eng_train_test_split(1, &t, 1, 0, &rng, out, &err), ENG_OK);
    assert_shape(out[0], 3, SHAPE(3, 3, 2));
    assert_tensor(out[1], 3, SHAPE(1, 3, 2), DATA(18, 21, 19, 22, 20, 23), 0);
    eng_tensor_release(out[0]);
    eng_tensor_release(out[1]);
    /* truth values stay truth values */
    eng_tensor *m = eng_binary_scalar(ENG_BIN_GT, base, 5, 0, &err);
    assert_int_equal(eng_train_test_split(1, &m, 0.5, 1, &rng, out, &err), ENG_OK);
    assert_true(out[0]->is_bool && out[1]->is_bool);
    eng_tensor_release(out[0]);
    eng_tensor_release(out[1]);
    eng_tensor_release(m);
    eng_tensor_release(t);
    eng_tensor_release(base);
}

static void test_split_errors(void **state)
{
    eng_rng rng;
    eng_error err;
    eng_tensor *a = trange(2, SHAPE(10, 2)), *b = trange(1, SHAPE(9)), *s = eng_tensor_scalar(1, NULL);
    eng_tensor *out[4] = { (eng_tensor *)1, (eng_tensor *)1, (eng_tensor *)1, (eng_tensor *)1 };
    eng_rng_seed(&rng, 0);
    eng_tensor *ab[2] = { a, b };
    assert_int_equal(eng_train_test_split(2, ab, 0.25, 1, &rng, out, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "the tensors to split must have the same number of rows: (10, 2) "
                        "and (9,) differ in their first size");
    for (int i = 0; i < 4; i++) assert_null(out[i]);
    assert_int_equal(eng_train_test_split(1, &s, 0.25, 1, &rng, out, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "cannot split a 0-d tensor into rows");
    assert_int_equal(eng_train_test_split(1, &a, 0, 1, &rng, out, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "test_size must be a fraction between 0 and 1 or a whole number "
                        "of rows from 1 to 10, got 0");
    assert_int_equal(eng_train_test_split(1, &a, 2.5, 1, &rng, out, &err), ENG_ERR_VALUE);
    assert_int_equal(eng_train_test_split(1, &a, 11, 1, &rng, out, &err), ENG_ERR_VALUE);
    assert_int_equal(eng_train_test_split(1, &a, -0.5, 1, &rng, out, &err), ENG_ERR_VALUE);
    assert_int_equal(eng_train_test_split(1, &a, NAN, 1, &rng, out, &err), ENG_ERR_VALUE);
    assert_int_equal(eng_train_test_split(1, &a, 10, 1, &rng, out, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "with 10 rows and test_size=10 the train set would be empty");
    assert_int_equal(eng_train_test_split(1, &a, 0.99, 1, &rng, out, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "with 10 rows and test_size=0.99 the train set would be empty");
    assert_int_equal(eng_train_test_split(0, ab, 0.5, 1, &rng, out, &err), ENG_ERR_VALUE);
    eng_tensor_release(a);
    eng_tensor_release(b);
    eng_tensor_release(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_permutation),
        cmocka_unit_test(test_permutation_tensor),
        cmocka_unit_test(test_split_sizes),
        cmocka_unit_test(test_split_order),
        cmocka_unit_test(test_split_views_and_3d),
        cmocka_unit_test(test_split_errors),
    };
    return cmocka_run_group_tests_name("data_split", tests, NULL, NULL);
}
