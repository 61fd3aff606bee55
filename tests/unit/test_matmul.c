/* test_matmul.c -- engine/matmul.c: NumPy matmul shape rules, the sgemm path against the naive
 * reference on random (batched, broadcast, transposed, 1-d) operands, and the error messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_engine.h"

static eng_tensor *mm(eng_tensor *a, eng_tensor *b)
{
    eng_error err;
    eng_tensor *r = eng_matmul(a, b, &err);
    if (!r)
        fail_msg("eng_matmul: %s", err.msg);
    return r;
}

/* BLAS and naive results have the same shape and agree to float rounding. */
static void assert_agree(eng_tensor *a, eng_tensor *b)
{
    eng_error err;
    eng_tensor *fast = mm(a, b), *ref = eng_matmul_naive(a, b, &err);
    assert_non_null(ref);
    assert_true(eng_shape_equal(fast, ref));
    float *f = tvalues(fast), *g = tvalues(ref);
    int64_t k = a->shape[a->ndim - 1];
    for (int64_t i = 0; i < fast->size; i++)
        if (!(fabsf(f[i] - g[i]) <= 1e-5f * (float)(k + 1) * (1 + fabsf(g[i])))) {
            double x = f[i], y = g[i];
            free(f);
            free(g);
            fail_msg("element %lld: blas %.9g, naive %.9g", (long long)i, x, y);
        }
    free(f);
    free(g);
    eng_tensor_release(fast);
    eng_tensor_release(ref);
}

static void test_matmul_2d_values(void **state)
{
    eng_error err;
    eng_tensor *a = trange(2, SHAPE(2, 3)), *b = trange(2, SHAPE(3, 2));
    check_release(mm(a, b), 2, SHAPE(2, 2), DATA(10, 13, 28, 40), 0);
    check_release(eng_matmul_naive(a, b, &err), 2, SHAPE(2, 2), DATA(10, 13, 28, 40), 0);
    check_release(mm(b, a), 2, SHAPE(3, 3), DATA(3, 4, 5, 9, 14, 19, 15, 24, 33), 0);
    eng_tensor *at = eng_transpose(a, NULL, &err);                  /* (3, 2) view, no copy */
    check_release(mm(at, a), 2, SHAPE(3, 3), DATA(9, 12, 15, 12, 17, 22, 15, 22, 29), 0);
    eng_tensor_release(at);
    eng_tensor_release(a);
    eng_tensor_release(b);
}

/* numpy.matmul's 1-d promotion: the added dim is dropped again. */
static void test_matmul_1d_promotion(void **state)
{
    eng_tensor *v = tmake(1, SHAPE(3), DATA(1, 2, 3)), *m = trange(2, SHAPE(3, 2));
    eng_tensor *m23 = trange(2, SHAPE(2, 3)), *b = trange(3, SHAPE(2, 3, 2));
    check_release(mm(v, v), 0, NULL, DATA(14), 0);
    check_release(mm(v, m), 1, SHAPE(2), DATA(16, 22), 0);
    check_release(mm(m23, v), 1, SHAPE(2), DATA(8, 26), 0);
    check_release(mm(v, b), 2, SHAPE(2, 2), DATA(16, 22, 52, 58), 0);
    eng_tensor *b232 = trange(3, SHAPE(2, 2, 3));
    check_release(mm(b232, v), 2, SHAPE(2, 2), DATA(8, 26, 44, 62), 0);
    eng_tensor_release(b232);
    eng_tensor_release(v);
    eng_tensor_release(m);
    eng_tensor_release(m23);
    eng_tensor_release(b);
}

static void test_matmul_batched_and_broadcast(void **state)
{
    eng_tensor *a = trange(3, SHAPE(2, 2, 3)), *b = trange(2, SHAPE(3, 2));
    /* (2,2,3) @ (3,2): contiguous a folds into one sgemm */
    check_release(mm(a, b), 3, SHAPE(2, 2, 2), DATA(10, 13, 28, 40, 46, 67, 64, 94), 0);
    eng_tensor *c = trange(4, SHAPE(2, 1, 2, 3)), *d = trange(3, SHAPE(3, 3, 1));
    eng_tensor *r = mm(c, d);                                  /* -> (2, 3, 2, 1) */
    assert_shape(r, 4, SHAPE(2, 3, 2, 1));
    eng_tensor_release(r);
    assert_agree(c, d);
    assert_agree(a, b);
    eng_tensor_release(c);
    eng_tensor_release(d);
    eng_tensor_release(a);
    eng_tensor_release(b);
}

/* Layouts sgemm cannot read (negative or zero strides) are copied first. */
static void test_matmul_odd_strides(void **state)
{
    eng_error err;
    eng_tensor *a = trange(2, SHAPE(4, 3));
    eng_index rev = { .kind = ENG_IDX_SLICE, .has_step = 1, .step = -1 };
    eng_tensor *ar = eng_index_get(a, 1, &rev, &err);                 /* rows reversed */
    eng_tensor *bc = eng_tensor_view(a, 2, SHAPE(3, 2), SHAPE(1, 0), 0, &err);  /* stride 0 */
    check_release(mm(ar, bc), 2, SHAPE(4, 2), DATA(32, 32, 23, 23, 14, 14, 5, 5), 0);
    assert_agree(ar, bc);
    eng_index every2[2] = { { .kind = ENG_IDX_SLICE, .has_step = 1, .step = 2 },
                            { .kind = ENG_IDX_SLICE } };
    eng_tensor *a2 = eng_index_get(a, 2, every2, &err);               /* row stride 6 */
    eng_tensor *at = eng_transpose(a, NULL, &err);
    assert_agree(a2, at);
    eng_tensor_release(a2);
    eng_tensor_release(at);
    eng_tensor_release(bc);
    eng_tensor_release(ar);
    eng_tensor_release(a);
}

static void test_matmul_empty(void **state)
{
    eng_error err;
    eng_tensor *a = eng_tensor_new(2, SHAPE(2, 0), &err), *b = eng_tensor_new(2, SHAPE(0, 3), &err);
    check_release(mm(a, b), 2, SHAPE(2, 3), DATA(0, 0, 0, 0, 0, 0), 0);
    check_release(eng_matmul_naive(a, b, &err), 2, SHAPE(2, 3), DATA(0, 0, 0, 0, 0, 0), 0);
    eng_tensor *c = eng_tensor_new(2, SHAPE(0, 3), &err), *d = trange(2, SHAPE(3, 2));
    check_release(mm(c, d), 2, SHAPE(0, 2), DATA(0), 0);
    eng_tensor_release(a);
    eng_tensor_release(b);
    eng_tensor_release(c);
    eng_tensor_release(d);
}

static void test_matmul_errors(void **state)
{
    eng_error err;
    eng_tensor *x = eng_tensor_new(2, SHAPE(64, 784), &err), *w = eng_tensor_new(2, SHAPE(10, 784), &err);
    assert_error(eng_matmul(x, w, &err), &err, ENG_ERR_SHAPE,
                 "cannot matmul (64, 784) @ (10, 784): inner sizes 784 and 10 differ");
    assert_string_equal(err.hint, "the right operand transposed has shape (784, 10)");
    assert_error(eng_matmul_naive(x, w, &err), &err, ENG_ERR_SHAPE,
                 "cannot matmul (64, 784) @ (10, 784): inner sizes 784 and 10 differ");
    eng_tensor *a = eng_tensor_new(2, SHAPE(2, 3), &err), *b = eng_tensor_new(2, SHAPE(4, 5), &err);
    assert_error(eng_matmul(a, b, &err), &err, ENG_ERR_SHAPE,
                 "cannot matmul (2, 3) @ (4, 5): inner sizes 3 and 4 differ");
    assert_string_equal(err.hint, "");
    eng_tensor *c = eng_tensor_new(2, SHAPE(3, 2), &err), *d = eng_tensor_new(2, SHAPE(3, 4), &err);
    assert_error(eng_matmul(c, d, &err), &err, ENG_ERR_SHAPE,
                 "cannot matmul (3, 2) @ (3, 4): inner sizes 2 and 3 differ");
    assert_string_equal(err.hint, "the left operand transposed has shape (2, 3)");
    eng_tensor *v = eng_tensor_new(1, SHAPE(4), &err);
    assert_error(eng_matmul(v, a, &err), &err, ENG_ERR_SHAPE,
                 "cannot matmul (4,) @ (2, 3): inner sizes 4 and 2 differ");
    eng_tensor *s = eng_tensor_scalar(2, &err);
    assert_error(eng_matmul(s, a, &err), &err, ENG_ERR_SHAPE,
                 "cannot matmul () @ (2, 3): matmul needs tensors with at least 1 dimension "
                 "(use * for scalars)");
    eng_tensor *p = eng_tensor_new(3, SHAPE(2, 3, 4), &err), *q = eng_tensor_new(3, SHAPE(5, 4, 2), &err);
    assert_error(eng_matmul(p, q, &err), &err, ENG_ERR_SHAPE,
                 "cannot matmul (2, 3, 4) @ (5, 4, 2): batch shapes (2,) and (5,) do not "
                 "broadcast");
    eng_tensor *tensors[] = { x, w, a, b, c, d, v, s, p, q };
    for (int i = 0; i < NELEMS(tensors); i++)
        eng_tensor_release(tensors[i]);
}

/* Random shapes: batch dims with broadcasting, 1-d operands, transposed views. */
static void test_matmul_blas_agrees_with_naive_random(void **state)
{
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 2024);
    for (int trial = 0; trial < 200; trial++) {
        int64_t n = 1 + (int64_t)(eng_rng_next_u64(&rng) % 9);
        int64_t k = 1 + (int64_t)(eng_rng_next_u64(&rng) % 17);
        int64_t m = 1 + (int64_t)(eng_rng_next_u64(&rng) % 9);
        int nbatch = (int)(eng_rng_next_u64(&rng) % 3);
        int64_t sa[6], sb[6];
        int na = 0, nb = 0;
        for (int d = 0; d < nbatch; d++) {
            int64_t bd = 1 + (int64_t)(eng_rng_next_u64(&rng) % 3);
            int which = (int)(eng_rng_next_u64(&rng) % 3);   /* a only, b only, or 1 vs bd */
            sa[na++] = which == 1 ? 1 : bd;
            sb[nb++] = which == 0 ? 1 : bd;
        }
        int a1d = eng_rng_next_u64(&rng) % 5 == 0, b1d = eng_rng_next_u64(&rng) % 5 == 0;
        int ta = (int)(eng_rng_next_u64(&rng) % 2), tb = (int)(eng_rng_next_u64(&rng) % 2);
        if (a1d) {
            na = 0;
            sa[na++] = k;
        } else {
            sa[na++] = ta ? k : n;
            sa[na++] = ta ? n : k;
        }
        if (b1d) {
            nb = 0;
            sb[nb++] = k;
        } else {
            sb[nb++] = tb ? m : k;
            sb[nb++] = tb ? k : m;
        }
        eng_tensor *a0 = eng_tensor_randn(&rng, na, sa, &err);
        eng_tensor *b0 = eng_tensor_randn(&rng, nb, sb, &err);
        int perm[6];
        for (int d = 0; d < 6; d++)
            perm[d] = d;
        perm[na - 1] = na - 2 >= 0 ? na - 2 : 0;
        if (na >= 2)
            perm[na - 2] = na - 1;
        eng_tensor *a = !a1d && ta ? eng_transpose(a0, perm, &err) : eng_tensor_retain(a0);
        for (int d = 0; d < 6; d++)
            perm[d] = d;
        if (nb >= 2) {
            perm[nb - 1] = nb - 2;
            perm[nb - 2] = nb - 1;
        }
        eng_tensor *b = !b1d && tb ? eng_transpose(b0, perm, &err) : eng_tensor_retain(b0);
        assert_agree(a, b);
        eng_tensor_release(a);
        eng_tensor_release(b);
        eng_tensor_release(a0);
        eng_tensor_release(b0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_2d_values),
        cmocka_unit_test(test_matmul_1d_promotion),
        cmocka_unit_test(test_matmul_batched_and_broadcast),
        cmocka_unit_test(test_matmul_odd_strides),
        cmocka_unit_test(test_matmul_empty),
        cmocka_unit_test(test_matmul_errors),
        cmocka_unit_test(test_matmul_blas_agrees_with_naive_random),
    };
    return cmocka_run_group_tests_name("matmul", tests, NULL, NULL);
}
