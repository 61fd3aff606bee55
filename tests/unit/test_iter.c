/* test_iter.c -- engine/iter.c: broadcasting rules, the strided row iterator (with dimension
 * coalescing), strided copies and axis normalisation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_engine.h"
#include "engine/engine_internal.h"

static void expect_broadcast(int na, const int64_t *sa, int nb, const int64_t *sb, int nwant,
                             const int64_t *want)
{
    int n;
    int64_t out[ENG_MAX_DIMS];
    assert_int_equal(eng_broadcast_shapes(na, sa, nb, sb, &n, out, NULL), ENG_OK);
    assert_int_equal(n, nwant);
    for (int d = 0; d < n; d++)
        assert_int_equal(out[d], want[d]);
}

/* The NumPy rules: align right, equal or 1. */
static void test_iter_broadcast_shapes(void **state)
{
    eng_error err;
    int n;
    int64_t out[ENG_MAX_DIMS];
    expect_broadcast(2, SHAPE(2, 3), 1, SHAPE(3), 2, SHAPE(2, 3));
    expect_broadcast(3, SHAPE(3, 1, 2), 2, SHAPE(4, 1), 3, SHAPE(3, 4, 2));
    expect_broadcast(0, NULL, 2, SHAPE(5, 1), 2, SHAPE(5, 1));
    expect_broadcast(1, SHAPE(1), 2, SHAPE(0, 3), 2, SHAPE(0, 3));
    expect_broadcast(2, SHAPE(1, 0), 2, SHAPE(7, 1), 2, SHAPE(7, 0));
    assert_int_equal(eng_broadcast_shapes(2, SHAPE(2, 3), 1, SHAPE(4), &n, out, &err),
                     ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "cannot broadcast shapes (2, 3) and (4,)");
    assert_int_equal(eng_broadcast_shapes(1, SHAPE(0), 1, SHAPE(2), &n, out, &err),
                     ENG_ERR_SHAPE);
}

static void test_iter_broadcast_strides(void **state)
{
    eng_error err;
    int64_t st[ENG_MAX_DIMS];
    eng_tensor *row = trange(2, SHAPE(1, 3));
    assert_int_equal(eng_broadcast_strides(row, 3, SHAPE(4, 2, 3), st, &err), ENG_OK);
    assert_int_equal(st[0], 0);
    assert_int_equal(st[1], 0);
    assert_int_equal(st[2], 1);
    assert_int_equal(eng_broadcast_strides(row, 1, SHAPE(3), st, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "cannot broadcast shapes (1, 3) and (3,)");
    assert_int_equal(eng_broadcast_strides(row, 2, SHAPE(2, 4), st, &err), ENG_ERR_SHAPE);
    eng_tensor_release(row);
}

/* A contiguous tensor of any shape is one row; size-1 dims vanish. */
static void test_iter_coalesces_contiguous(void **state)
{
    eng_iter it;
    const int64_t *strides[] = { SHAPE(60, 20, 5, 1) };
    eng_iter_init(&it, 1, 4, SHAPE(2, 3, 4, 5), strides);
    assert_true(eng_iter_next(&it));
    assert_int_equal(it.n, 120);
    assert_int_equal(it.stride[0], 1);
    assert_false(eng_iter_next(&it));
    const int64_t *s1[] = { SHAPE(99, 3, 77, 1) };
    eng_iter_init(&it, 1, 4, SHAPE(1, 4, 1, 3), s1);
    assert_true(eng_iter_next(&it));
    assert_int_equal(it.n, 12);
    assert_false(eng_iter_next(&it));
}

/* A transposed (3, 2) view of a (2, 3) tensor: 3 rows of 2 with stride 3. */
static void test_iter_rows_of_a_transpose(void **state)
{
    eng_iter it;
    int64_t offs[8];
    int rows = 0;
    const int64_t *strides[] = { SHAPE(1, 3), SHAPE(2, 1) };
    eng_iter_init(&it, 2, 2, SHAPE(3, 2), strides);
    while (eng_iter_next(&it)) {
        assert_int_equal(it.n, 2);
        assert_int_equal(it.stride[0], 3);
        assert_int_equal(it.stride[1], 1);
        offs[2 * rows] = it.off[0];
        offs[2 * rows + 1] = it.off[1];
        rows++;
    }
    assert_int_equal(rows, 3);
    int64_t want[] = { 0, 0, 1, 2, 2, 4 };
    assert_memory_equal(offs, want, sizeof want);
}

static void test_iter_empty_and_scalar(void **state)
{
    eng_iter it;
    const int64_t *strides[] = { SHAPE(3, 1) };
    eng_iter_init(&it, 1, 2, SHAPE(0, 3), strides);
    assert_false(eng_iter_next(&it));
    eng_iter_init(&it, 1, 2, SHAPE(4, 0), strides);
    assert_false(eng_iter_next(&it));
    eng_iter_init(&it, 1, 0, NULL, strides);
    assert_true(eng_iter_next(&it));
    assert_int_equal(it.n, 1);
    assert_false(eng_iter_next(&it));
}

/* Broadcast source (stride 0) into a strided destination. */
static void test_iter_copy_strided(void **state)
{
    float dst[12] = { 0 };
    const float src[3] = { 1, 2, 3 };
    eng_copy_strided(2, SHAPE(4, 3), dst, SHAPE(1, 4), src, SHAPE(0, 1));   /* dst.T = src */
    const float want[12] = { 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 };
    assert_memory_equal(dst, want, sizeof want);
    float d2[6] = { 0 };
    eng_copy_strided(1, SHAPE(3), d2, SHAPE(2), src + 2, SHAPE(-1));       /* reversed */
    const float w2[6] = { 3, 0, 2, 0, 1, 0 };
    assert_memory_equal(d2, w2, sizeof w2);
    (void)src;
}

static void test_iter_axis_normalize(void **state)
{
    eng_error err;
    int ax;
    assert_int_equal(eng_axis_normalize(-1, 3, &ax, &err), ENG_OK);
    assert_int_equal(ax, 2);
    assert_int_equal(eng_axis_normalize(0, 1, &ax, &err), ENG_OK);
    assert_int_equal(ax, 0);
    assert_int_equal(eng_axis_normalize(-4, 3, &ax, &err), ENG_ERR_INDEX);
    assert_string_equal(err.msg, "axis -4 is out of bounds for a tensor of 3 dimensions");
    assert_int_equal(eng_axis_normalize(0, 0, &ax, &err), ENG_ERR_INDEX);
    assert_string_equal(err.msg, "axis 0 is out of bounds for a tensor of 0 dimensions");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iter_broadcast_shapes),
        cmocka_unit_test(test_iter_broadcast_strides),
        cmocka_unit_test(test_iter_coalesces_contiguous),
        cmocka_unit_test(test_iter_rows_of_a_transpose),
        cmocka_unit_test(test_iter_empty_and_scalar),
        cmocka_unit_test(test_iter_copy_strided),
        cmocka_unit_test(test_iter_axis_normalize),
    };
    return cmocka_run_group_tests_name("iter", tests, NULL, NULL);
}
