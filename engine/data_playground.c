/*
 * data_playground.c -- TensorFlow Playground's classification sets and scikit-learn's moons.
 *
 * The Playground generators are ports of tensorflow/playground src/dataset.ts
 * (classifyCircleData, classifyXORData, classifyTwoGaussData, classifySpiralData, normalRandom,
 * shuffle), keeping the order of the random draws, with eng_rng_uniform in place of
 * Math.random. Points are computed in double as in JavaScript and stored as float32; labels +1
 * and -1 become 1 and 0. moons follows sklearn.datasets.make_moons.
 */
#include <math.h>
#include <stdlib.h>

#include "engine/engine_internal.h"

#define PI 3.141592653589793

/* One generated example before it goes into the tensors. */
typedef struct pg_point { double x, y; int label; } pg_point;

/* ORDER eng_playground_set */
static const char *const set_names[ENG_PLAYGROUND_COUNT] = { "circle", "xor", "gauss", "spiral" };

const char *eng_playground_name(eng_playground_set set)
{
    return set >= 0 && set < ENG_PLAYGROUND_COUNT ? set_names[set] : "?";
}

/* dataset.ts randUniform(a, b) = Math.random() * (b - a) + a */
static double rand_uniform(eng_rng *rng, double a, double b)
{
    return eng_rng_uniform(rng) * (b - a) + a;
}

/* dataset.ts normalRandom: the Marsaglia polar method. s == 0 is redrawn as well (JavaScript
 * would return NaN there; it has probability 2^-106). */
static double normal_random(eng_rng *rng, double mean, double variance)
{
    double v1, v2, s;
    do {
        v1 = 2 * eng_rng_uniform(rng) - 1;
        v2 = 2 * eng_rng_uniform(rng) - 1;
        s = v1 * v1 + v2 * v2;
    } while (s > 1 || s == 0);
    double result = sqrt(-2 * log(s) / s) * v1;
    return mean + sqrt(variance) * result;
}

/* Class sizes for n points: the positive class (generated first) gets the odd one. */
static int64_t first_half(int64_t n) { return n - n / 2; }

/* dataset.ts dist(p, (0, 0)), computed the same way (not hypot) so labels on the border agree. */
static double dist0(double x, double y) { return sqrt(x * x + y * y); }

static void gen_circle(pg_point *p, int64_t n, double noise, eng_rng *rng)
{
    const double radius = 5;
    for (int64_t i = 0; i < n; i++) {
        int inside = i < first_half(n);
        double r = inside ? rand_uniform(rng, 0, radius * 0.5)
                          : rand_uniform(rng, radius * 0.7, radius);
        double angle = rand_uniform(rng, 0, 2 * PI);
        double x = r * sin(angle), y = r * cos(angle);
        double nx = rand_uniform(rng, -radius, radius) * noise;
        double ny = rand_uniform(rng, -radius, radius) * noise;
        p[i] = (pg_point){ x, y, dist0(x + nx, y + ny) < radius * 0.5 };
    }
}

static void gen_xor(pg_point *p, int64_t n, double noise, eng_rng *rng)
{
    const double padding = 0.3;
    for (int64_t i = 0; i < n; i++) {
        double x = rand_uniform(rng, -5, 5);
        x += x > 0 ? padding : -padding;
        double y = rand_uniform(rng, -5, 5);
        y += y > 0 ? padding : -padding;
        double nx = rand_uniform(rng, -5, 5) * noise;
        double ny = rand_uniform(rng, -5, 5) * noise;
        p[i] = (pg_point){ x, y, (x + nx) * (y + ny) >= 0 };
    }
}

static void gen_gauss(pg_point *p, int64_t n, double noise, eng_rng *rng)
{
    double t = noise / 0.5;                   /* d3.scaleLinear().domain([0, .5]).range([.5, 4]) */
    double variance = 0.5 * (1 - t) + 4 * t;
    for (int64_t i = 0; i < n; i++) {
        int pos = i < first_half(n);
        double c = pos ? 2 : -2;
        double x = normal_random(rng, c, variance);
        double y = normal_random(rng, c, variance);
        p[i] = (pg_point){ x, y, pos };
    }
}

/* Two arms of n/2 points each (n/2 a fraction for odd n, as in dataset.ts). */
static void gen_spiral(pg_point *p, int64_t n, double noise, eng_rng *rng)
{
    double half = (double)n / 2;
    for (int64_t k = 0; k < n; k++) {
        int pos = k < first_half(n);
        int64_t i = pos ? k : k - first_half(n);
        double delta_t = pos ? 0 : PI;
        double r = (double)i / half * 5;
        double t = 1.75 * (double)i / half * 2 * PI + delta_t;
        double x = r * sin(t) + rand_uniform(rng, -1, 1) * noise;
        double y = r * cos(t) + rand_uniform(rng, -1, 1) * noise;
        p[k] = (pg_point){ x, y, pos };
    }
}

/* dataset.ts shuffle: Fisher-Yates from the end. */
static void shuffle_points(pg_point *p, int64_t n, eng_rng *rng)
{
    for (int64_t counter = n; counter > 0;) {
        int64_t index = (int64_t)floor(eng_rng_uniform(rng) * (double)counter);
        counter--;
        pg_point tmp = p[counter];
        p[counter] = p[index];
        p[index] = tmp;
    }
}

/* Copies the points into x (n, 2) and y (n,); releases nothing on failure (caller frees p). */
static int points_to_tensors(const pg_point *p, int64_t n, eng_tensor **x, eng_tensor **y,
                             eng_error *err)
{
    *x = eng_tensor_empty(2, (const int64_t[]){ n, 2 }, err);
    *y = *x ? eng_tensor_empty(1, (const int64_t[]){ n }, err) : NULL;
    if (!*y) {
        eng_tensor_release(*x);
        *x = NULL;
        return err ? err->code : ENG_ERR_MEMORY;
    }
    float *xd = (*x)->storage->data, *yd = (*y)->storage->data;
    for (int64_t i = 0; i < n; i++) {
        xd[2 * i] = (float)p[i].x;
        xd[2 * i + 1] = (float)p[i].y;
        yd[i] = (float)p[i].label;
    }
    return ENG_OK;
}

/* Checks n and allocates the point buffer (at least one element, so n == 0 works). */
static pg_point *points_alloc(int64_t n, eng_error *err)
{
    if (n < 0) {
        eng_err(err, ENG_ERR_VALUE, "the number of points cannot be negative, got %lld",
                (long long)n);
        return NULL;
    }
    if (n > ENG_MAX_ELEMENTS / 2) {
        eng_err(err, ENG_ERR_MEMORY, "%lld points are too many", (long long)n);
        return NULL;
    }
    pg_point *p = malloc(sizeof *p * (size_t)(n ? n : 1));
    if (!p)
        eng_err(err, ENG_ERR_MEMORY, "out of memory making %lld points", (long long)n);
    return p;
}

int eng_playground_make(eng_playground_set set, int64_t n, double noise, eng_rng *rng,
                        eng_tensor **x, eng_tensor **y, eng_error *err)
{
    *x = *y = NULL;
    if (set < 0 || set >= ENG_PLAYGROUND_COUNT)
        return eng_err(err, ENG_ERR_VALUE, "unknown Playground data set %d", (int)set);
    if (!(noise >= 0 && noise <= 0.5)) {
        eng_err(err, ENG_ERR_VALUE, "%s noise must be between 0 and 0.5, got %g", set_names[set],
                noise);
        eng_err_hint(err, "Playground's noise slider 0..50 is noise=0..0.5");
        return ENG_ERR_VALUE;
    }
    pg_point *p = points_alloc(n, err);
    if (!p)
        return err ? err->code : ENG_ERR_MEMORY;
    static void (*const gens[ENG_PLAYGROUND_COUNT])(pg_point *, int64_t, double, eng_rng *) = {
        gen_circle, gen_xor, gen_gauss, gen_spiral,   /* ORDER eng_playground_set */
    };
    gens[set](p, n, noise, rng);
    shuffle_points(p, n, rng);
    int rc = points_to_tensors(p, n, x, y, err);
    free(p);
    return rc;
}

/* ---- moons (sklearn.datasets.make_moons) --------------------------------------------------- */

/* numpy.linspace(0, pi, m)[i] */
static double linspace_pi(int64_t i, int64_t m)
{
    if (m == 1)
        return 0;
    return i == m - 1 ? PI : (double)i * (PI / (double)(m - 1));
}

int eng_make_moons(int64_t n, double noise, eng_rng *rng, eng_tensor **x, eng_tensor **y,
                   eng_error *err)
{
    *x = *y = NULL;
    if (!(noise >= 0) || isinf(noise))
        return eng_err(err, ENG_ERR_VALUE, "moons noise must be a number >= 0, got %g", noise);
    pg_point *p = points_alloc(n, err);
    if (!p)
        return err ? err->code : ENG_ERR_MEMORY;
    int64_t n_out = n / 2, n_in = n - n_out;
    for (int64_t i = 0; i < n_out; i++) {
        double t = linspace_pi(i, n_out);
        p[i] = (pg_point){ cos(t), sin(t), 0 };
    }
    for (int64_t i = 0; i < n_in; i++) {
        double t = linspace_pi(i, n_in);
        p[n_out + i] = (pg_point){ 1 - cos(t), 1 - sin(t) - 0.5, 1 };
    }
    /* make_moons shuffles first, then adds noise to every coordinate. */
    int64_t *perm = malloc(sizeof *perm * (size_t)(n ? n : 1));
    pg_point *q = malloc(sizeof *q * (size_t)(n ? n : 1));
    if (!perm || !q) {
        free(perm); free(q); free(p);
        return eng_err(err, ENG_ERR_MEMORY, "out of memory making %lld points", (long long)n);
    }
    eng_permutation(rng, n, perm);
    for (int64_t i = 0; i < n; i++) {
        q[i] = p[perm[i]];
        if (noise > 0) {
            q[i].x += noise * eng_rng_normal(rng);
            q[i].y += noise * eng_rng_normal(rng);
        }
    }
    int rc = points_to_tensors(q, n, x, y, err);
    free(perm); free(q); free(p);
    return rc;
}
