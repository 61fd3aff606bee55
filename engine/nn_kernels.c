/*
 * nn_kernels.c -- the layer kernels other than convolution: Dense (on cblas_sgemm, with its
 * naive twin), the activations, dropout and batch normalization. Raw float buffers, no
 * allocation, no error paths: the layer code (nn_layer.c) checks shapes before calling.
 * Conventions in nn_internal.h (outputs first, shapes stated, backward accumulates).
 */
/* GCC 12 at -O2 vectorizes only loops that need no remainder; the kernels' loops do. And it
 * turns short copy loops back into memcpy calls, which cost more than the copies here. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic", "no-tree-loop-distribute-patterns")
#endif

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "engine/nn_internal.h"

/* ---- Dense --------------------------------------------------------------------------------- */

/* Every row of x (R, F) set to b (F). */
static void fill_rows(float *x, const float *b, int64_t R, int64_t F)
{
    for (int64_t r = 0; r < R; r++)
        for (int64_t f = 0; f < F; f++) x[r * F + f] = b[f];
}

/* db (F) (+)= column sums of dz (R, F). */
static void sum_rows(float *db, const float *dz, int64_t R, int64_t F, int accumulate)
{
    if (!accumulate) memset(db, 0, (size_t)F * sizeof *db);
    for (int64_t r = 0; r < R; r++) {
        const float *row = dz + r * F;
        for (int64_t f = 0; f < F; f++) db[f] += row[f];
    }
}

/* https://keras.io/api/layers/core_layers/dense/ : output = dot(input, kernel) + bias.
 * inp (R, C), w (C, F), b (F), out (R, F). */
void eng_k_dense_fwd(float *out, const float *inp, const float *w, const float *b,
                     int64_t R, int64_t C, int64_t F)
{
    if (R == 0 || F == 0) return;
    /* the bias first, then sgemm adds to it (beta 1): one pass over out instead of three */
    if (b) fill_rows(out, b, R, F);
    else if (C == 0) memset(out, 0, (size_t)(R * F) * sizeof *out);
    if (C > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)R, (int)F, (int)C, 1.0f, inp,
                    (int)C, w, (int)F, b ? 1.0f : 0.0f, out, (int)F);
}

void eng_k_dense_fwd_naive(float *out, const float *inp, const float *w, const float *b,
                           int64_t R, int64_t C, int64_t F)
{
    for (int64_t r = 0; r < R; r++)
        for (int64_t f = 0; f < F; f++) {
            double s = b ? b[f] : 0.0;
            for (int64_t c = 0; c < C; c++) s += (double)inp[r * C + c] * w[c * F + f];
            out[r * F + f] = (float)s;
        }
}

/* dz (R, F); dw (C, F) += inp^T dz; db (F) += sum_r dz; dinp (R, C) += dz w^T. With
 * accumulate 0 the three are written instead (sgemm's beta 0): the fit loop's buffers hold
 * stale values, and overwriting them spares a zeroing pass. */
void eng_k_dense_bwd(float *dinp, float *dw, float *db, const float *dz, const float *inp,
                     const float *w, int64_t R, int64_t C, int64_t F, int accumulate)
{
    float beta = accumulate ? 1.0f : 0.0f;
    if (F == 0) return;
    if (R == 0 || C == 0) {
        if (!accumulate) {
            memset(dw, 0, (size_t)(C * F) * sizeof *dw);
            if (db) memset(db, 0, (size_t)F * sizeof *db);
            if (dinp) memset(dinp, 0, (size_t)(R * C) * sizeof *dinp);
        }
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)C, (int)F, (int)R, 1.0f, inp,
                (int)C, dz, (int)F, beta, dw, (int)F);
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)R, (int)C, (int)F, 1.0f, dz,
                    (int)F, w, (int)F, beta, dinp, (int)C);
    if (db) sum_rows(db, dz, R, F, accumulate);
}

void eng_k_dense_bwd_naive(float *dinp, float *dw, float *db, const float *dz, const float *inp,
                           const float *w, int64_t R, int64_t C, int64_t F)
{
    for (int64_t c = 0; c < C; c++)
        for (int64_t f = 0; f < F; f++) {
            double s = 0;
            for (int64_t r = 0; r < R; r++) s += (double)inp[r * C + c] * dz[r * F + f];
            dw[c * F + f] += (float)s;
        }
    if (db)
        for (int64_t f = 0; f < F; f++) {
            double s = 0;
            for (int64_t r = 0; r < R; r++) s += dz[r * F + f];
            db[f] += (float)s;
        }
    if (dinp)
        for (int64_t r = 0; r < R; r++)
            for (int64_t c = 0; c < C; c++) {
                double s = 0;
                for (int64_t f = 0; f < F; f++) s += (double)dz[r * F + f] * w[c * F + f];
                dinp[r * C + c] += (float)s;
            }
}

/* ---- activations --------------------------------------------------------------------------- */

static const char *const act_names[ENG_ACT_COUNT] = {
    [ENG_ACT_LINEAR] = "linear", [ENG_ACT_RELU] = "relu", [ENG_ACT_SIGMOID] = "sigmoid",
    [ENG_ACT_TANH] = "tanh", [ENG_ACT_SOFTMAX] = "softmax",
};

const char *eng_act_name(eng_act a)
{
    return (unsigned)a < ENG_ACT_COUNT ? act_names[a] : "?";
}

int eng_act_from_name(const char *name)
{
    if (!name || !*name) return ENG_ACT_LINEAR;
    for (int a = 0; a < ENG_ACT_COUNT; a++)
        if (strcmp(name, act_names[a]) == 0) return a;
    return -1;
}

/* Softmax of one row x (C) into y (C), stable: exp(x - max) / sum. y may equal x. */
static void softmax_row(float *y, const float *x, int64_t C)
{
    float mx = -INFINITY;
    for (int64_t c = 0; c < C; c++) mx = x[c] > mx ? x[c] : mx;
    double s = 0;
    for (int64_t c = 0; c < C; c++) {
        y[c] = expf(x[c] - mx);
        s += y[c];
    }
    float inv = (float)(1.0 / s);
    for (int64_t c = 0; c < C; c++) y[c] *= inv;
}

static float sigmoidf(float x)
{
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

/* inp, out (R, C); softmax runs along C. */
void eng_k_act_fwd(eng_act a, float *out, const float *inp, int64_t R, int64_t C)
{
    int64_t n = R * C;
    switch (a) {
    case ENG_ACT_LINEAR:
        if (out != inp) memcpy(out, inp, (size_t)n * sizeof *out);
        break;
    case ENG_ACT_RELU:
        for (int64_t i = 0; i < n; i++) out[i] = inp[i] > 0 ? inp[i] : 0.0f;
        break;
    case ENG_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++) out[i] = sigmoidf(inp[i]);
        break;
    case ENG_ACT_TANH:
        for (int64_t i = 0; i < n; i++) out[i] = tanhf(inp[i]);
        break;
    case ENG_ACT_SOFTMAX:
        for (int64_t r = 0; r < R; r++) softmax_row(out + r * C, inp + r * C, C);
        break;
    case ENG_ACT_COUNT: break;
    }
}

/* dinp (+)= J^T dout, for softmax row by row: y * (dout - sum(dout * y)). */
static void softmax_bwd(float *dinp, const float *dout, const float *out, int64_t R, int64_t C,
                        int acc)
{
    for (int64_t r = 0; r < R; r++) {
        const float *y = out + r * C, *g = dout + r * C;
        float *d = dinp + r * C;
        double s = 0;
        for (int64_t c = 0; c < C; c++) s += (double)g[c] * y[c];
        for (int64_t c = 0; c < C; c++) {
            float v = y[c] * (g[c] - (float)s);
            d[c] = acc ? d[c] + v : v;
        }
    }
}

/* The elementwise activations' backward, written rather than added (no zeroing pass). */
static void act_bwd_write(eng_act a, float *dinp, const float *dout, const float *out, int64_t n)
{
    switch (a) {
    case ENG_ACT_LINEAR: memcpy(dinp, dout, (size_t)n * sizeof *dinp); break;
    case ENG_ACT_RELU:      /* both loads unconditional: the select vectorizes */
        for (int64_t i = 0; i < n; i++) {
            float d = dout[i];
            dinp[i] = out[i] > 0 ? d : 0.0f;
        }
        break;
    case ENG_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++) dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
        break;
    case ENG_ACT_TANH:
        for (int64_t i = 0; i < n; i++) dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
        break;
    case ENG_ACT_SOFTMAX: case ENG_ACT_COUNT: break;
    }
}

/* dout, out, dinp (R, C). */
void eng_k_act_bwd(eng_act a, float *dinp, const float *dout, const float *out, int64_t R,
                   int64_t C, int accumulate)
{
    int64_t n = R * C;
    if (a == ENG_ACT_SOFTMAX) {
        softmax_bwd(dinp, dout, out, R, C, accumulate);
        return;
    }
    if (!accumulate) {
        act_bwd_write(a, dinp, dout, out, n);
        return;
    }
    switch (a) {
    case ENG_ACT_LINEAR:
        for (int64_t i = 0; i < n; i++) dinp[i] += dout[i];
        break;
    case ENG_ACT_RELU:
        for (int64_t i = 0; i < n; i++) {
            float d = dout[i];
            dinp[i] += out[i] > 0 ? d : 0.0f;
        }
        break;
    case ENG_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * out[i] * (1.0f - out[i]);
        break;
    case ENG_ACT_TANH:
        for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
        break;
    case ENG_ACT_SOFTMAX: case ENG_ACT_COUNT: break;
    }
}

/* ---- dropout ------------------------------------------------------------------------------- */

/* https://keras.io/api/layers/regularization_layers/dropout/ : inputs not set to 0 are scaled
 * up by 1 / (1 - rate), so the expected sum is unchanged. mask (n). */
void eng_k_dropout_mask(float *mask, int64_t n, double rate, eng_rng *rng)
{
    float keep = (float)(1.0 / (1.0 - rate));
    for (int64_t i = 0; i < n; i++) mask[i] = eng_rng_uniform(rng) < rate ? 0.0f : keep;
}

void eng_k_mul(float *out, const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

void eng_k_mul_acc(float *dinp, const float *dout, const float *mask, int64_t n)
{
    for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * mask[i];
}

/* The fit loop's write-mode backward of a dropped-out batch: dinp = dout * mask. */

/* ---- batch normalization ------------------------------------------------------------------- */

/* https://arxiv.org/abs/1502.03167 (Ioffe & Szegedy), Keras BatchNormalization(axis=-1).
 * inp, out (R, C); gamma, beta, mean, rstd, mmean, mvar (C). */
void eng_k_batchnorm_fwd_train(float *out, float *mean, float *rstd, float *mmean, float *mvar,
                               const float *inp, const float *gamma, const float *beta,
                               int64_t R, int64_t C, double momentum, double eps)
{
    memset(mean, 0, (size_t)C * sizeof *mean);
    memset(rstd, 0, (size_t)C * sizeof *rstd);     /* first the sum of squared deviations */
    for (int64_t r = 0; r < R; r++)
        for (int64_t c = 0; c < C; c++) mean[c] += inp[r * C + c];
    float invR = R > 0 ? 1.0f / (float)R : 0.0f;
    for (int64_t c = 0; c < C; c++) mean[c] *= invR;
    for (int64_t r = 0; r < R; r++)
        for (int64_t c = 0; c < C; c++) {
            float d = inp[r * C + c] - mean[c];
            rstd[c] += d * d;
        }
    for (int64_t c = 0; c < C; c++) {
        float var = rstd[c] * invR;
        rstd[c] = (float)(1.0 / sqrt((double)var + eps));
        mmean[c] = (float)(mmean[c] * momentum + mean[c] * (1.0 - momentum));
        mvar[c] = (float)(mvar[c] * momentum + var * (1.0 - momentum));
    }
    for (int64_t r = 0; r < R; r++)
        for (int64_t c = 0; c < C; c++)
            out[r * C + c] = gamma[c] * (inp[r * C + c] - mean[c]) * rstd[c] + beta[c];
}

void eng_k_batchnorm_fwd_infer(float *out, const float *inp, const float *gamma,
                               const float *beta, const float *mmean, const float *mvar,
                               int64_t R, int64_t C, double eps)
{
    for (int64_t c = 0; c < C; c++) {
        float rs = (float)(1.0 / sqrt((double)mvar[c] + eps));
        for (int64_t r = 0; r < R; r++)
            out[r * C + c] = gamma[c] * (inp[r * C + c] - mmean[c]) * rs + beta[c];
    }
}

/* With xhat = (x - mean) * rstd and dxhat = dout * gamma, per feature over the R rows:
 *   dbeta += sum dout;  dgamma += sum dout * xhat;
 *   dx += rstd / R * (R * dxhat - sum dxhat - xhat * sum(dxhat * xhat)). */
void eng_k_batchnorm_bwd(float *dinp, float *dgamma, float *dbeta, const float *dout,
                         const float *inp, const float *mean, const float *rstd,
                         const float *gamma, int64_t R, int64_t C, int accumulate)
{
    if (!accumulate) {
        memset(dgamma, 0, (size_t)C * sizeof *dgamma);
        memset(dbeta, 0, (size_t)C * sizeof *dbeta);
        if (dinp) memset(dinp, 0, (size_t)(R * C) * sizeof *dinp);
    }
    for (int64_t c = 0; c < C; c++) {
        double sg = 0, sgx = 0;
        for (int64_t r = 0; r < R; r++) {
            float g = dout[r * C + c], xh = (inp[r * C + c] - mean[c]) * rstd[c];
            sg += g;
            sgx += (double)g * xh;
        }
        dbeta[c] += (float)sg;
        dgamma[c] += (float)sgx;
        if (!dinp || R == 0) continue;
        /* sums of dxhat are gamma times the sums of dout */
        float k = gamma[c] * rstd[c] / (float)R;
        float m1 = (float)sg, m2 = (float)sgx;
        for (int64_t r = 0; r < R; r++) {
            float xh = (inp[r * C + c] - mean[c]) * rstd[c];
            dinp[r * C + c] += k * ((float)R * dout[r * C + c] - m1 - xh * m2);
        }
    }
}
