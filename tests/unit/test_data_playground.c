/*
 * test_data_playground.c -- engine/data_playground.c: the Playground sets and moons.
 *
 * Exact points for a seed were checked against an independent Python transliteration of
 * tensorflow/playground src/dataset.ts driven by the same xoshiro256** generator (all four sets,
 * noise 0, 0.25 and 0.5, 500 points each: identical). The other tests check the geometry each
 * generator promises, the class balance, the noise semantics and the errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_engine.h"

typedef struct xy { eng_tensor *x, *y; } xy;

static xy make(eng_playground_set set, int64_t n, double noise, uint64_t seed)
{
    eng_rng rng;
    eng_error err;
    xy d;
    eng_rng_seed(&rng, seed);
    if (eng_playground_make(set, n, noise, &rng, &d.x, &d.y, &err) != ENG_OK)
        fail_msg("%s: %s", eng_playground_name(set), err.msg);
    assert_shape(d.x, 2, SHAPE(n, 2));
    assert_shape(d.y, 1, SHAPE(n));
    return d;
}

static xy moons(int64_t n, double noise, uint64_t seed)
{
    eng_rng rng;
    eng_error err;
    xy d;
    eng_rng_seed(&rng, seed);
    if (eng_make_moons(n, noise, &rng, &d.x, &d.y, &err) != ENG_OK) fail_msg("moons: %s", err.msg);
    assert_shape(d.x, 2, SHAPE(n, 2));
    return d;
}

static void drop(xy d)
{
    eng_tensor_release(d.x);
    eng_tensor_release(d.y);
}

static double px(xy d, int64_t i) { return d.x->storage->data[2 * i]; }
static double py(xy d, int64_t i) { return d.x->storage->data[2 * i + 1]; }
static int label(xy d, int64_t i) { return (int)d.y->storage->data[i]; }

static int64_t count_ones(xy d)
{
    int64_t k = 0;
    for (int64_t i = 0; i < d.y->size; i++) {
        float v = d.y->storage->data[i];
        assert_true(v == 0.0f || v == 1.0f);
        k += v == 1.0f;
    }
    return k;
}

static void test_names_and_seeds(void **state)
{
    assert_string_equal(eng_playground_name(ENG_PLAYGROUND_CIRCLE), "circle");
    assert_string_equal(eng_playground_name(ENG_PLAYGROUND_XOR), "xor");
    assert_string_equal(eng_playground_name(ENG_PLAYGROUND_GAUSS), "gauss");
    assert_string_equal(eng_playground_name(ENG_PLAYGROUND_SPIRAL), "spiral");
    assert_string_equal(eng_playground_name(ENG_PLAYGROUND_COUNT), "?");
    for (int s = 0; s < ENG_PLAYGROUND_COUNT; s++) {
        xy a = make(s, 100, 0.2, 7), b = make(s, 100, 0.2, 7), c = make(s, 100, 0.2, 8);
        assert_memory_equal(a.x->storage->data, b.x->storage->data, 200 * sizeof(float));
        assert_memory_equal(a.y->storage->data, b.y->storage->data, 100 * sizeof(float));
        assert_memory_not_equal(a.x->storage->data, c.x->storage->data, 200 * sizeof(float));
        drop(a); drop(b); drop(c);
    }
}

/* The first two points of each set for seed 42, n 500 (the same from the Python
 * transliteration of dataset.ts). */
static void check_first(eng_playground_set set, double noise, const float want[4], int l0, int l1)
{
    xy d = make(set, 500, noise, 42);
    for (int i = 0; i < 4; i++)
        if (d.x->storage->data[i] != want[i])
            fail_msg("%s noise %g: element %d is %.9g, want %.9g", eng_playground_name(set), noise,
                     i, (double)d.x->storage->data[i], (double)want[i]);
    assert_true(label(d, 0) == l0 && label(d, 1) == l1);
    drop(d);
}

static void test_exact_points(void **state)
{
    check_first(ENG_PLAYGROUND_CIRCLE, 0, DATA(2.35233521f, 4.04323387f, 1.72582865f, 4.50859499f), 0, 0);
    check_first(ENG_PLAYGROUND_XOR, 0.25, DATA(3.15157771f, -4.46137094f, 4.15079784f, -4.71816206f), 0, 0);
    check_first(ENG_PLAYGROUND_GAUSS, 0, DATA(3.10685134f, 2.72928405f, 2.05579782f, 2.75618649f), 1, 1);
    check_first(ENG_PLAYGROUND_GAUSS, 0.5, DATA(5.13064861f, 4.0627265f, 2.15782046f, 4.13881826f), 1, 1);
    check_first(ENG_PLAYGROUND_SPIRAL, 0.25, DATA(2.15260267f, -0.440342247f, -0.780148864f, 0.080200322f), 0, 0);
}

static void test_circle(void **state)
{
    xy d = make(ENG_PLAYGROUND_CIRCLE, 500, 0, 1);
    assert_int_equal(count_ones(d), 250);
    int64_t sorted = 1;
    for (int64_t i = 0; i < 500; i++) {
        double r = sqrt(px(d, i) * px(d, i) + py(d, i) * py(d, i));
        if (label(d, i)) assert_true(r < 2.5);
        else assert_true(r >= 3.5 - 1e-6 && r <= 5 + 1e-6);
        if (i < 250 && !label(d, i)) sorted = 0;
    }
    assert_false(sorted);                      /* shuffled: not all positives first */
    drop(d);
    /* noise moves the point where the label is taken: some labels disagree with the radius */
    d = make(ENG_PLAYGROUND_CIRCLE, 500, 0.5, 1);
    int flipped = 0;
    for (int64_t i = 0; i < 500; i++) {
        double r = sqrt(px(d, i) * px(d, i) + py(d, i) * py(d, i));
        flipped += (r < 2.5) != label(d, i);
    }
    assert_in_range(flipped, 20, 250);
    drop(d);
}

static void test_xor(void **state)
{
    xy d = make(ENG_PLAYGROUND_XOR, 500, 0, 2);
    int64_t ones = count_ones(d);
    assert_in_range(ones, 200, 300);
    for (int64_t i = 0; i < 500; i++) {
        double x = px(d, i), y = py(d, i);
        assert_true(fabs(x) >= 0.3 - 1e-6 && fabs(x) <= 5.3 + 1e-6);
        assert_true(fabs(y) >= 0.3 - 1e-6 && fabs(y) <= 5.3 + 1e-6);
        assert_int_equal(label(d, i), x * y >= 0);
    }
    drop(d);
    d = make(ENG_PLAYGROUND_XOR, 500, 0.5, 2);
    int flipped = 0;
    for (int64_t i = 0; i < 500; i++) flipped += (px(d, i) * py(d, i) >= 0) != label(d, i);
    assert_in_range(flipped, 20, 250);
    drop(d);
}

/* Mean and variance of each coordinate per class. */
static void gauss_stats(xy d, int cls, double *mean, double *var)
{
    double s = 0, s2 = 0;
    int64_t n = 0;
    for (int64_t i = 0; i < d.y->size; i++) {
        if (label(d, i) != cls) continue;
        for (int c = 0; c < 2; c++) {
            double v = c ? py(d, i) : px(d, i);
            s += v; s2 += v * v; n++;
        }
    }
    *mean = s / (double)n;
    *var = s2 / (double)n - *mean * *mean;
}

static void test_gauss(void **state)
{
    double m, v;
    xy d = make(ENG_PLAYGROUND_GAUSS, 4000, 0, 3);
    assert_int_equal(count_ones(d), 2000);
    gauss_stats(d, 1, &m, &v);
    assert_true(fabs(m - 2) < 0.05 && fabs(v - 0.5) < 0.05);
    gauss_stats(d, 0, &m, &v);
    assert_true(fabs(m + 2) < 0.05 && fabs(v - 0.5) < 0.05);
    drop(d);
    d = make(ENG_PLAYGROUND_GAUSS, 4000, 0.5, 3);      /* variance 0.5 + 7 * 0.5 = 4 */
    gauss_stats(d, 1, &m, &v);
    assert_true(fabs(m - 2) < 0.1 && fabs(v - 4) < 0.3);
    drop(d);
    d = make(ENG_PLAYGROUND_GAUSS, 4000, 0.25, 3);     /* 2.25 */
    gauss_stats(d, 0, &m, &v);
    assert_true(fabs(m + 2) < 0.1 && fabs(v - 2.25) < 0.2);
    drop(d);
}

static void test_spiral(void **state)
{
    const double pi = 3.141592653589793;
    xy d = make(ENG_PLAYGROUND_SPIRAL, 500, 0, 4);
    assert_int_equal(count_ones(d), 250);
    int seen[2][250] = { { 0 } };
    for (int64_t k = 0; k < 500; k++) {
        double x = px(d, k), y = py(d, k), r = sqrt(x * x + y * y);
        int i = (int)lround(r / 5 * 250);                  /* r = i / 250 * 5 */
        assert_true(i >= 0 && i < 250 && fabs(r - i / 250.0 * 5) < 1e-5);
        double t = 1.75 * i / 250.0 * 2 * pi + (label(d, k) ? 0 : pi);
        assert_true(fabs(x - r * sin(t)) < 1e-5 && fabs(y - r * cos(t)) < 1e-5);
        seen[label(d, k)][i]++;
    }
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < 250; i++) assert_int_equal(seen[c][i], 1);
    drop(d);
    /* noise jitters each coordinate by at most noise */
    xy a = make(ENG_PLAYGROUND_SPIRAL, 500, 0.5, 4);
    for (int64_t k = 0; k < 500; k++) {
        double r = sqrt(px(a, k) * px(a, k) + py(a, k) * py(a, k));
        assert_true(r <= 5 + 0.5 * sqrt(2) + 1e-6);
    }
    drop(a);
}

static void test_odd_and_empty(void **state)
{
    xy d = make(ENG_PLAYGROUND_GAUSS, 5, 0, 5);
    assert_int_equal(count_ones(d), 3);
    drop(d);
    d = make(ENG_PLAYGROUND_CIRCLE, 1, 0, 5);
    assert_int_equal(count_ones(d), 1);
    drop(d);
    d = make(ENG_PLAYGROUND_SPIRAL, 3, 0, 5);
    assert_int_equal(count_ones(d), 2);
    drop(d);
    for (int s = 0; s < ENG_PLAYGROUND_COUNT; s++) {
        d = make(s, 0, 0.1, 5);
        assert_int_equal(d.x->size, 0);
        drop(d);
    }
}

static void test_errors(void **state)
{
    eng_rng rng;
    eng_error err;
    eng_tensor *x = (eng_tensor *)1, *y = (eng_tensor *)1;
    eng_rng_seed(&rng, 0);
    assert_int_equal(eng_playground_make(ENG_PLAYGROUND_CIRCLE, 10, 0.6, &rng, &x, &y, &err),
                     ENG_ERR_VALUE);
    assert_null(x);
    assert_null(y);
    assert_string_equal(err.msg, "circle noise must be between 0 and 0.5, got 0.6");
    assert_string_equal(err.hint, "Playground's noise slider 0..50 is noise=0..0.5");
    assert_int_equal(eng_playground_make(ENG_PLAYGROUND_SPIRAL, 10, -0.1, &rng, &x, &y, &err),
                     ENG_ERR_VALUE);
    assert_string_equal(err.msg, "spiral noise must be between 0 and 0.5, got -0.1");
    assert_int_equal(eng_playground_make(ENG_PLAYGROUND_XOR, 10, NAN, &rng, &x, &y, &err),
                     ENG_ERR_VALUE);
    assert_int_equal(eng_playground_make(ENG_PLAYGROUND_XOR, -1, 0, &rng, &x, &y, &err),
                     ENG_ERR_VALUE);
    assert_string_equal(err.msg, "the number of points cannot be negative, got -1");
    assert_int_equal(eng_playground_make(ENG_PLAYGROUND_COUNT, 1, 0, &rng, &x, &y, &err),
                     ENG_ERR_VALUE);
    assert_int_equal(eng_playground_make(ENG_PLAYGROUND_GAUSS, ENG_MAX_ELEMENTS, 0, &rng, &x, &y,
                                         &err), ENG_ERR_MEMORY);
    assert_int_equal(eng_make_moons(10, -1, &rng, &x, &y, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "moons noise must be a number >= 0, got -1");
    assert_null(x);
    assert_int_equal(eng_make_moons(-3, 0, &rng, &x, &y, &err), ENG_ERR_VALUE);
}

static void test_moons(void **state)
{
    xy d = moons(100, 0, 9);
    assert_int_equal(count_ones(d), 50);
    int ends = 0;
    for (int64_t i = 0; i < 100; i++) {
        double x = px(d, i), y = py(d, i);
        if (label(d, i) == 0) {        /* outer: the upper unit half circle */
            assert_true(fabs(x * x + y * y - 1) < 1e-5 && y >= -1e-6);
            ends += (fabs(x - 1) < 1e-6 && fabs(y) < 1e-6) + (fabs(x + 1) < 1e-6 && fabs(y) < 1e-6);
        } else {                       /* inner: centred (1, 0.5), the lower half */
            assert_true(fabs((x - 1) * (x - 1) + (y - 0.5) * (y - 0.5) - 1) < 1e-5 && y <= 0.5 + 1e-6);
            ends += (fabs(x) < 1e-6 && fabs(y - 0.5) < 1e-6) + (fabs(x - 2) < 1e-6 && fabs(y - 0.5) < 1e-6);
        }
    }
    assert_int_equal(ends, 4);         /* linspace includes both ends of each half circle */
    drop(d);
    d = moons(7, 0, 9);                /* n_samples_out = 7 // 2 */
    assert_int_equal(count_ones(d), 4);
    drop(d);
    d = moons(1, 0, 9);
    assert_int_equal(count_ones(d), 1);
    assert_true(px(d, 0) == 0.0f && py(d, 0) == 0.5f);
    drop(d);
    /* the noise is added after shuffling: same seed, same order; std of the difference */
    xy clean = moons(2000, 0, 11), noisy = moons(2000, 0.1, 11);
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < 4000; i++) {
        double diff = (double)noisy.x->storage->data[i] - clean.x->storage->data[i];
        s += diff; s2 += diff * diff;
    }
    assert_memory_equal(clean.y->storage->data, noisy.y->storage->data, 2000 * sizeof(float));
    double mean = s / 4000, sd = sqrt(s2 / 4000 - mean * mean);
    assert_true(fabs(mean) < 0.01 && fabs(sd - 0.1) < 0.005);
    drop(clean);
    drop(noisy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_seeds),
        cmocka_unit_test(test_exact_points),
        cmocka_unit_test(test_circle),
        cmocka_unit_test(test_xor),
        cmocka_unit_test(test_gauss),
        cmocka_unit_test(test_spiral),
        cmocka_unit_test(test_odd_and_empty),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_moons),
    };
    return cmocka_run_group_tests_name("data_playground", tests, NULL, NULL);
}
