/* test_index.c -- engine/index.c: t[...] reads (views for ints/slices, copies for masks and
 * index arrays) and writes, with Python/NumPy semantics. Expected values are NumPy's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_engine.h"

/* Index builders. */
static eng_index I(int64_t i) { return (eng_index){ .kind = ENG_IDX_INT, .i = i }; }
static eng_index ALL(void) { return (eng_index){ .kind = ENG_IDX_SLICE }; }
static eng_index NEW(void) { return (eng_index){ .kind = ENG_IDX_NEWAXIS }; }
static eng_index ELL(void) { return (eng_index){ .kind = ENG_IDX_ELLIPSIS }; }
static eng_index TI(const eng_tensor *t) { return (eng_index){ .kind = ENG_IDX_TENSOR, .t = t }; }

/* start:stop:step; INT64_MIN leaves a part out (as in x[::2]). */
#define NONE INT64_MIN
static eng_index S(int64_t start, int64_t stop, int64_t step)
{
    return (eng_index){ .kind = ENG_IDX_SLICE, .start = start, .stop = stop, .step = step,
                        .has_start = start != NONE, .has_stop = stop != NONE,
                        .has_step = step != NONE };
}

#define IDX(...) ((const eng_index[]){ __VA_ARGS__ })
#define NIDX(...) (int)(sizeof((eng_index[]){ __VA_ARGS__ }) / sizeof(eng_index))
#define GET(t, ...) get_ok((t), NIDX(__VA_ARGS__), IDX(__VA_ARGS__))

static eng_tensor *get_ok(eng_tensor *t, int n, const eng_index *idx)
{
    eng_error err;
    eng_tensor *r = eng_index_get(t, n, idx, &err);
    if (!r)
        fail_msg("eng_index_get: %s", err.msg);
    return r;
}

/* ---- basic indexing: views --------------------------------------------------------------- */

static void test_index_ints_and_slices(void **state)
{
    eng_tensor *x = trange(3, SHAPE(2, 3, 4));
    check_release(GET(x, I(-1), I(2)), 1, SHAPE(4), DATA(20, 21, 22, 23), 0);
    check_release(GET(x, I(0), ALL(), I(1)), 1, SHAPE(3), DATA(1, 5, 9), 0);
    check_release(GET(x, I(1), I(2), I(3)), 0, NULL, DATA(23), 0);
    check_release(GET(x, ELL(), I(1)), 2, SHAPE(2, 3), DATA(1, 5, 9, 13, 17, 21), 0);
    check_release(GET(x, I(1), ELL()), 2, SHAPE(3, 4),
                  DATA(12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23), 0);
    check_release(GET(x, I(0), S(1, 10, 2)), 2, SHAPE(1, 4), DATA(4, 5, 6, 7), 0);
    check_release(GET(x, I(0), S(-5, 2, NONE), I(0)), 1, SHAPE(2), DATA(0, 4), 0);
    check_release(GET(x, I(0), S(5, NONE, NONE)), 2, SHAPE(0, 4), DATA(0), 0);
    check_release(GET(x, I(0), S(NONE, NONE, -2), I(3)), 1, SHAPE(2), DATA(11, 3), 0);
    check_release(GET(x, I(0), S(2, -5, -1), I(0)), 1, SHAPE(3), DATA(8, 4, 0), 0);
    check_release(GET(x, I(1), I(1), S(3, 0, -1)), 1, SHAPE(3), DATA(19, 18, 17), 0);
    check_release(GET(x, I(1), I(1), S(-1, NONE, -3)), 1, SHAPE(2), DATA(19, 16), 0);
    check_release(GET(x, I(1), I(1), S(0, 4, -1)), 1, SHAPE(0), DATA(0), 0);
    /* extreme bounds and steps clamp without overflow */
    check_release(GET(x, I(1), I(1), S(INT64_MIN + 1, INT64_MAX, INT64_MAX)), 1, SHAPE(1),
                  DATA(16), 0);
    eng_index minstep = { .kind = ENG_IDX_SLICE, .has_step = 1, .step = INT64_MIN };
    check_release(GET(x, I(1), I(1), minstep), 1, SHAPE(1), DATA(19), 0);
    eng_tensor_release(x);
}

static void test_index_newaxis(void **state)
{
    eng_tensor *x = trange(2, SHAPE(2, 3));
    eng_tensor *r = GET(x, NEW(), I(0));
    assert_tensor(r, 2, SHAPE(1, 3), DATA(0, 1, 2), 0);
    eng_tensor_release(r);
    check_release(GET(x, ALL(), NEW()), 3, SHAPE(2, 1, 3), DATA(0, 1, 2, 3, 4, 5), 0);
    check_release(GET(x, ELL(), NEW()), 3, SHAPE(2, 3, 1), DATA(0, 1, 2, 3, 4, 5), 0);
    eng_tensor_release(x);
}

/* Basic indexing returns views: writes through them show in the base. */
static void test_index_views_write_through(void **state)
{
    eng_error err;
    eng_tensor *x = trange(2, SHAPE(3, 4));
    eng_tensor *col = GET(x, ALL(), S(1, NONE, 2));                /* x[:, 1::2] */
    assert_ptr_equal(col->storage, x->storage);
    assert_int_equal(eng_binary_inplace_scalar(ENG_BIN_MUL, col, -1, &err), ENG_OK);
    assert_tensor(x, 2, SHAPE(3, 4), DATA(0, -1, 2, -3, 4, -5, 6, -7, 8, -9, 10, -11), 0);
    eng_tensor *row = GET(x, I(1));
    eng_tensor_data(row)[0] = 100;
    assert_true(eng_tensor_data(x)[4] == 100);
    eng_tensor_release(row);
    eng_tensor_release(col);
    eng_tensor_release(x);
}

static void test_index_errors(void **state)
{
    eng_error err;
    eng_tensor *x = trange(2, SHAPE(2, 3));
    assert_error(eng_index_get(x, 1, IDX(I(2)), &err), &err, ENG_ERR_INDEX,
                 "index 2 is out of bounds for axis 0 with size 2");
    assert_error(eng_index_get(x, 2, IDX(I(0), I(-4)), &err), &err, ENG_ERR_INDEX,
                 "index -4 is out of bounds for axis 1 with size 3");
    assert_error(eng_index_get(x, 3, IDX(I(0), I(0), I(0)), &err), &err, ENG_ERR_INDEX,
                 "too many indices for a tensor of 2 dimensions: 3 were given");
    assert_error(eng_index_get(x, 1, IDX(S(NONE, NONE, 0)), &err), &err, ENG_ERR_VALUE,
                 "slice step cannot be zero");
    assert_error(eng_index_get(x, 2, IDX(ELL(), ELL()), &err), &err, ENG_ERR_INDEX,
                 "an index can only have a single ellipsis ('...')");
    eng_tensor *t = tmake(1, SHAPE(1), DATA(0));
    assert_error(eng_index_get(x, 2, IDX(TI(t), TI(t)), &err), &err, ENG_ERR_INDEX,
                 "only one tensor index is supported per indexing operation");
    eng_tensor *y = trange(1, SHAPE(3));
    assert_error(eng_index_get(y, 9, IDX(NEW(), NEW(), NEW(), NEW(), NEW(), NEW(), NEW(), NEW(),
                                         ALL()), &err), &err, ENG_ERR_INDEX,
                 "indexing would give more than 8 dimensions");
    eng_tensor_release(y);
    eng_tensor_release(t);
    eng_tensor_release(x);
}

/* ---- tensor indices: masks and integer arrays -------------------------------------------- */

static void test_index_boolean_mask(void **state)
{
    eng_error err;
    eng_tensor *x = trange(3, SHAPE(2, 3, 4));
    eng_tensor *m = eng_binary_scalar(ENG_BIN_GT, x, 20, 0, &err);
    eng_tensor *r = GET(x, TI(m));                                  /* x[x > 20] */
    assert_tensor(r, 1, SHAPE(3), DATA(21, 22, 23), 0);
    assert_ptr_not_equal(r->storage, x->storage);                  /* a copy */
    eng_tensor_release(r);
    /* a mask over the leading dims keeps the rest: y[rows] */
    eng_tensor *y = trange(2, SHAPE(2, 3));
    eng_tensor *rows = tmake(1, SHAPE(2), DATA(1, 0));
    rows->is_bool = 1;   /* truth values, as a comparison makes them */
    check_release(GET(y, TI(rows)), 2, SHAPE(1, 3), DATA(0, 1, 2), 0);
    eng_tensor *cols = tmake(1, SHAPE(3), DATA(1, 0, 1));
    cols->is_bool = 1;
    check_release(GET(y, ALL(), TI(cols)), 2, SHAPE(2, 2), DATA(0, 2, 3, 5), 0);
    check_release(GET(x, ALL(), TI(cols)), 3, SHAPE(2, 2, 4),
                  DATA(0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23), 0);
    /* x[1, m[1]] with a strided mask of x % 5 == 0 -> [15, 20] */
    eng_tensor *five = eng_binary_scalar(ENG_BIN_MOD, x, 5, 0, &err);
    eng_tensor *mk = eng_binary_scalar(ENG_BIN_EQ, five, 0, 0, &err);
    eng_tensor *mk1 = GET(mk, I(1));
    check_release(GET(x, I(1), TI(mk1)), 1, SHAPE(2), DATA(15, 20), 0);
    eng_tensor *none = eng_tensor_new(3, SHAPE(2, 3, 4), &err);
    none->is_bool = 1;
    check_release(GET(x, TI(none)), 1, SHAPE(0), DATA(0), 0);
    eng_tensor *tensors[] = { none, mk1, mk, five, cols, rows, y, m, x };
    for (int i = 0; i < NELEMS(tensors); i++)
        eng_tensor_release(tensors[i]);
}

static void test_index_integer_arrays(void **state)
{
    eng_error err;
    eng_tensor *y = trange(2, SHAPE(2, 3));
    eng_tensor *i101 = tmake(1, SHAPE(3), DATA(1, 0, 1));   /* 0/1 but not y's dim-0 shape */
    check_release(GET(y, TI(i101)), 2, SHAPE(3, 3), DATA(3, 4, 5, 0, 1, 2, 3, 4, 5), 0);
    eng_tensor *i20 = tmake(1, SHAPE(2), DATA(2, 0));
    check_release(GET(y, ALL(), TI(i20)), 2, SHAPE(2, 2), DATA(2, 0, 5, 3), 0);
    eng_tensor *neg = tmake(1, SHAPE(1), DATA(-1));
    check_release(GET(y, TI(neg)), 2, SHAPE(1, 3), DATA(3, 4, 5), 0);
    eng_tensor *zero_d = eng_tensor_scalar(1, &err);
    check_release(GET(y, TI(zero_d)), 1, SHAPE(3), DATA(3, 4, 5), 0);
    eng_tensor *two_d = tmake(2, SHAPE(2, 2), DATA(2, 2, 0, 1));
    check_release(GET(y, I(1), TI(two_d)), 2, SHAPE(2, 2), DATA(5, 5, 3, 4), 0);
    /* 0/1 values shaped like the indexed dims: integer indices unless they are truth values
     * (is_bool), so y[[0, 1]] picks both rows as in NumPy. */
    eng_tensor *i01 = tmake(1, SHAPE(2), DATA(0, 1));
    check_release(GET(y, TI(i01)), 2, SHAPE(2, 3), DATA(0, 1, 2, 3, 4, 5), 0);
    i01->is_bool = 1;
    check_release(GET(y, TI(i01)), 2, SHAPE(1, 3), DATA(3, 4, 5), 0);
    eng_tensor *bad = tmake(1, SHAPE(2), DATA(0, 5)), *frac = tmake(1, SHAPE(1), DATA(0.5f));
    assert_error(eng_index_get(y, 1, IDX(TI(bad)), &err), &err, ENG_ERR_INDEX,
                 "index 5 is out of bounds for axis 0 with size 2");
    assert_error(eng_index_get(y, 2, IDX(ALL(), TI(bad)), &err), &err, ENG_ERR_INDEX,
                 "index 5 is out of bounds for axis 1 with size 3");
    assert_error(eng_index_get(y, 1, IDX(TI(frac)), &err), &err, ENG_ERR_TYPE,
                 "tensors used as indices must hold integers (or be 0/1 masks), got 0.5");
    eng_tensor *tensors[] = { bad, frac, i01, two_d, zero_d, neg, i20, i101, y };
    for (int i = 0; i < NELEMS(tensors); i++)
        eng_tensor_release(tensors[i]);
}

/* NumPy moves the indexed dims to the front when ints and the array are not adjacent. */
static void test_index_advanced_placement(void **state)
{
    eng_tensor *x = trange(3, SHAPE(2, 3, 4));
    eng_tensor *i12 = tmake(1, SHAPE(2), DATA(1, 2)), *i02 = tmake(1, SHAPE(2), DATA(0, 2));
    eng_tensor *i13 = tmake(1, SHAPE(2), DATA(1, 3));
    check_release(GET(x, I(0), ALL(), TI(i12)), 2, SHAPE(2, 3), DATA(1, 5, 9, 2, 6, 10), 0);
    check_release(GET(x, ALL(), I(0), TI(i12)), 2, SHAPE(2, 2), DATA(1, 2, 13, 14), 0);
    eng_tensor *r = GET(x, I(1), NEW(), TI(i02), S(NONE, NONE, 2));
    assert_tensor(r, 3, SHAPE(2, 1, 2), DATA(12, 14, 20, 22), 0);
    eng_tensor_release(r);
    r = GET(x, NEW(), ELL(), TI(i13));
    assert_shape(r, 4, SHAPE(1, 2, 3, 2));
    assert_true(eng_tensor_get(r, SHAPE(0, 1, 2, 1)) == 23);
    eng_tensor_release(r);
    eng_tensor_release(i12);
    eng_tensor_release(i02);
    eng_tensor_release(i13);
    eng_tensor_release(x);
}

/* ---- writes ------------------------------------------------------------------------------ */

static void test_index_set_basic(void **state)
{
    eng_error err;
    eng_tensor *y = eng_tensor_new(2, SHAPE(2, 3), &err);
    assert_int_equal(eng_index_set_scalar(y, 2, IDX(I(0), I(1)), 7, &err), ENG_OK);
    eng_tensor *v = tmake(1, SHAPE(2), DATA(10, 20));
    assert_int_equal(eng_index_set(y, 2, IDX(ALL(), I(2)), v, &err), ENG_OK);
    assert_tensor(y, 2, SHAPE(2, 3), DATA(0, 7, 10, 0, 0, 20), 0);
    eng_tensor *row = tmake(1, SHAPE(3), DATA(1, 2, 3));
    assert_int_equal(eng_index_set(y, 1, IDX(S(NONE, NONE, -1)), row, &err), ENG_OK); /* bcast */
    assert_tensor(y, 2, SHAPE(2, 3), DATA(1, 2, 3, 1, 2, 3), 0);
    assert_int_equal(eng_index_set_scalar(y, 1, IDX(ELL()), -1, &err), ENG_OK);
    assert_tensor(y, 2, SHAPE(2, 3), DATA(-1, -1, -1, -1, -1, -1), 0);
    assert_int_equal(eng_index_set(y, 2, IDX(ALL(), I(0)), row, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "cannot assign a tensor of shape (3,) to a selection of shape "
                                 "(2,)");
    assert_int_equal(eng_index_set_scalar(y, 1, IDX(I(5)), 0, &err), ENG_ERR_INDEX);
    assert_string_equal(err.msg, "index 5 is out of bounds for axis 0 with size 2");
    eng_tensor_release(row);
    eng_tensor_release(v);
    eng_tensor_release(y);
}

/* NumPy: z = np.arange(5.); z[1:] = z[:-1] -> [0, 0, 1, 2, 3] (the source is read first). */
static void test_index_set_overlapping(void **state)
{
    eng_error err;
    eng_tensor *z = trange(1, SHAPE(5));
    eng_tensor *head = GET(z, S(NONE, -1, NONE));
    assert_int_equal(eng_index_set(z, 1, IDX(S(1, NONE, NONE)), head, &err), ENG_OK);
    assert_tensor(z, 1, SHAPE(5), DATA(0, 0, 1, 2, 3), 0);
    eng_tensor_release(head);
    eng_tensor_release(z);
}

static void test_index_set_mask_and_arrays(void **state)
{
    eng_error err;
    eng_tensor *y = trange(2, SHAPE(2, 3));
    eng_tensor *m = eng_binary_scalar(ENG_BIN_GT, y, 2, 0, &err);
    assert_int_equal(eng_index_set_scalar(y, 1, IDX(TI(m)), 0, &err), ENG_OK);  /* y[y>2]=0 */
    assert_tensor(y, 2, SHAPE(2, 3), DATA(0, 1, 2, 0, 0, 0), 0);
    eng_tensor *vals = tmake(1, SHAPE(3), DATA(7, 8, 9));
    assert_int_equal(eng_index_set(y, 1, IDX(TI(m)), vals, &err), ENG_OK);
    assert_tensor(y, 2, SHAPE(2, 3), DATA(0, 1, 2, 7, 8, 9), 0);
    eng_tensor *two = tmake(1, SHAPE(2), DATA(1, 2));
    assert_int_equal(eng_index_set(y, 1, IDX(TI(m)), two, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "cannot assign a tensor of shape (2,) to a selection of shape "
                                 "(3,)");
    eng_tensor *i20 = tmake(1, SHAPE(2), DATA(2, 0));
    eng_tensor *v22 = tmake(2, SHAPE(2, 2), DATA(-1, -2, -3, -4));
    assert_int_equal(eng_index_set(y, 2, IDX(ALL(), TI(i20)), v22, &err), ENG_OK);
    assert_tensor(y, 2, SHAPE(2, 3), DATA(-2, 1, -1, -4, 8, -3), 0);
    eng_tensor *x = trange(3, SHAPE(2, 3, 4));
    eng_tensor *i12 = tmake(1, SHAPE(2), DATA(1, 2));
    eng_tensor *col = tmake(2, SHAPE(2, 1), DATA(100, 200));       /* into shape (2, 3) */
    assert_int_equal(eng_index_set(x, 3, IDX(I(0), ALL(), TI(i12)), col, &err), ENG_OK);
    eng_tensor *r = GET(x, I(0));
    assert_tensor(r, 2, SHAPE(3, 4), DATA(0, 100, 200, 3, 4, 100, 200, 7, 8, 100, 200, 11), 0);
    eng_tensor *tensors[] = { r, col, i12, x, v22, i20, two, vals, m, y };
    for (int i = 0; i < NELEMS(tensors); i++)
        eng_tensor_release(tensors[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_ints_and_slices),
        cmocka_unit_test(test_index_newaxis),
        cmocka_unit_test(test_index_views_write_through),
        cmocka_unit_test(test_index_errors),
        cmocka_unit_test(test_index_boolean_mask),
        cmocka_unit_test(test_index_integer_arrays),
        cmocka_unit_test(test_index_advanced_placement),
        cmocka_unit_test(test_index_set_basic),
        cmocka_unit_test(test_index_set_overlapping),
        cmocka_unit_test(test_index_set_mask_and_arrays),
    };
    return cmocka_run_group_tests_name("index", tests, NULL, NULL);
}
