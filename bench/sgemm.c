/*
 * sgemm.c -- OpenBLAS's single-precision matrix product rate on this machine: the best of
 * five 1024 x 1024 x 1024 products, in GFLOPS (2 n^3 flops each), printed as one number.
 * bench/train.sh uses it for the "sgemm share of an MLP epoch" row (DESIGN.md 8). Threads:
 * OPENBLAS_NUM_THREADS, as for everything else in the bench. Not part of nabla.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    enum { N = 1024 };
    float *a = malloc(sizeof(float) * N * N), *b = malloc(sizeof(float) * N * N);
    float *c = malloc(sizeof(float) * N * N);
    if (!a || !b || !c) return 1;
    for (int i = 0; i < N * N; i++) {
        a[i] = (float)(i % 7) * 0.1f;
        b[i] = (float)(i % 5) * 0.1f;
    }
    double best = 1e30;
    for (int r = 0; r < 6; r++) {
        double t = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a, N, b, N, 0.0f, c,
                    N);
        t = now() - t;
        if (r > 0 && t < best) best = t;     /* the first run warms caches and threads */
    }
    printf("%.1f\n", 2.0 * N * N * N / best / 1e9);
    free(a);
    free(b);
    free(c);
    return 0;
}
