/*
 * sgemm.c -- OpenBLAS's single-precision matrix product on this machine, printed as one
 * number. Used by bench/train.sh for the "sgemm share of an MLP epoch" rows (DESIGN.md 8).
 * Threads: OPENBLAS_NUM_THREADS, as for everything else in the bench. Not part of nabla.
 *
 *   sgemm          the rate of 1024 x 1024 x 1024 products, GFLOPS (best of five)
 *   sgemm mlp      the seconds of one MLP epoch's products alone: the eight cblas_sgemm calls
 *                  of a 784-256-128-10 training step on a batch of 64, with the shapes,
 *                  transposes and betas engine/nn_kernels.c uses, times the 937.5 steps of
 *                  60000 samples (best of five rounds). It is the floor of an epoch on these
 *                  kernels: what every framework calling them must spend at least.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static float *filled(size_t n)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; p && i < n; i++) p[i] = (float)(i % 7) * 0.01f;
    return p;
}

/* One product of the step: row-major C (M, N) = op(A) op(B) + beta C. */
typedef struct call { int ta, tb, M, N, K; float beta; } call;

static const call mlp_step[] = {
    { 0, 0, 64, 256, 784, 1 }, { 0, 0, 64, 128, 256, 1 }, { 0, 0, 64, 10, 128, 1 },   /* forward */
    { 1, 0, 128, 10, 64, 0 }, { 0, 1, 64, 128, 10, 0 },             /* layer 3: dW, dX */
    { 1, 0, 256, 128, 64, 0 }, { 0, 1, 64, 256, 128, 0 },           /* layer 2: dW, dX */
    { 1, 0, 784, 256, 64, 0 },                                      /* layer 1: dW only */
};

static void run_call(const call *c, const float *a, const float *b, float *out)
{
    cblas_sgemm(CblasRowMajor, c->ta ? CblasTrans : CblasNoTrans, c->tb ? CblasTrans : CblasNoTrans,
                c->M, c->N, c->K, 1.0f, a, c->ta ? c->M : c->K, b, c->tb ? c->K : c->N, c->beta,
                out, c->N);
}

static int mlp_epoch(void)
{
    enum { NCALLS = sizeof mlp_step / sizeof mlp_step[0], STEPS = 200 };
    float *a[NCALLS], *b[NCALLS], *c[NCALLS];
    for (int i = 0; i < NCALLS; i++) {
        const call *k = &mlp_step[i];
        a[i] = filled((size_t)k->M * k->K);
        b[i] = filled((size_t)k->K * k->N);
        c[i] = filled((size_t)k->M * k->N);
        if (!a[i] || !b[i] || !c[i]) return 1;
    }
    double best = 1e30;
    for (int r = 0; r < 6; r++) {
        double t = now();
        for (int s = 0; s < STEPS; s++)
            for (int i = 0; i < NCALLS; i++) run_call(&mlp_step[i], a[i], b[i], c[i]);
        t = (now() - t) / STEPS;
        if (r > 0 && t < best) best = t;     /* the first round warms caches and threads */
    }
    printf("%.3f\n", best * 60000.0 / 64.0);
    for (int i = 0; i < NCALLS; i++) {
        free(a[i]);
        free(b[i]);
        free(c[i]);
    }
    return 0;
}

static int square_rate(void)
{
    enum { N = 1024 };
    float *a = filled((size_t)N * N), *b = filled((size_t)N * N), *c = filled((size_t)N * N);
    if (!a || !b || !c) return 1;
    double best = 1e30;
    for (int r = 0; r < 6; r++) {
        double t = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a, N, b, N, 0.0f, c,
                    N);
        t = now() - t;
        if (r > 0 && t < best) best = t;
    }
    printf("%.1f\n", 2.0 * N * N * N / best / 1e9);
    free(a);
    free(b);
    free(c);
    return 0;
}

int main(int argc, char **argv)
{
    return argc > 1 && strcmp(argv[1], "mlp") == 0 ? mlp_epoch() : square_rate();
}
