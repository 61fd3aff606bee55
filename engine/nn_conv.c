/*
 * nn_conv.c -- 2-D convolution and max pooling on channels-last images (Keras's default
 * data_format), with the naive convolution the im2col + cblas_sgemm path is tested against.
 *
 * Why im2col: a convolution is a matrix product once every output position's receptive field
 * is laid out as one row. With channels last, a field row is KH runs of KW*C floats, each run
 * contiguous in the input, and the Keras kernel (KH, KW, C, F) is already the (KH*KW*C, F)
 * matrix. So forward is one sgemm of (B*OH*OW, KH*KW*C) by (KH*KW*C, F), and backward two:
 * the kernel's gradient col^T dz and the columns' gradient dz k^T, scattered back by col2im.
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

/* TensorFlow's conv output size rules (tf.nn.convolution, "SAME" / "VALID" padding). */
int64_t eng_conv_out_size(int64_t n, int64_t k, int64_t s, int same, int64_t *pad_before)
{
    *pad_before = 0;
    if (!same) return n < k ? 0 : (n - k) / s + 1;
    int64_t out = (n + s - 1) / s;
    int64_t total = (out - 1) * s + k - n;
    if (total > 0) *pad_before = total / 2;
    return out;
}

/* A run of n floats; short runs (KW * C floats: 3 for one channel, 48 for 16) go without a
 * memcpy call, which costs more than the copy at these sizes. */
static inline void copy_run(float *restrict dst, const float *restrict src, int64_t n)
{
    if (n > 64) {
        memcpy(dst, src, (size_t)n * sizeof *dst);
        return;
    }
    for (int64_t i = 0; i < n; i++) dst[i] = src[i];
}

/* col (B*OH*OW, KH*KW*C) from inp (B, H, W, C). */
void eng_k_im2col(float *col, const float *inp, const eng_conv_dims *d)
{
    int64_t C = d->C, run = d->KW * C, K = d->KH * run;
    for (int64_t b = 0; b < d->B; b++)
        for (int64_t oh = 0; oh < d->OH; oh++)
            for (int64_t ow = 0; ow < d->OW; ow++) {
                float *row = col + ((b * d->OH + oh) * d->OW + ow) * K;
                int64_t w0 = ow * d->SW - d->PL;
                for (int64_t kh = 0; kh < d->KH; kh++) {
                    float *dst = row + kh * run;
                    int64_t ih = oh * d->SH - d->PT + kh;
                    if (ih < 0 || ih >= d->H) {
                        memset(dst, 0, (size_t)run * sizeof *dst);
                        continue;
                    }
                    const float *src = inp + ((b * d->H + ih) * d->W) * C;
                    if (w0 >= 0 && w0 + d->KW <= d->W) {      /* the whole run is inside */
                        copy_run(dst, src + w0 * C, run);
                        continue;
                    }
                    for (int64_t kw = 0; kw < d->KW; kw++) {
                        int64_t iw = w0 + kw;
                        if (iw < 0 || iw >= d->W) memset(dst + kw * C, 0, (size_t)C * sizeof *dst);
                        else memcpy(dst + kw * C, src + iw * C, (size_t)C * sizeof *dst);
                    }
                }
            }
}

/* dinp (B, H, W, C) += scatter of dcol (B*OH*OW, KH*KW*C): the adjoint of eng_k_im2col. */
void eng_k_col2im(float *dinp, const float *dcol, const eng_conv_dims *d)
{
    int64_t C = d->C, run = d->KW * C, K = d->KH * run;
    for (int64_t b = 0; b < d->B; b++)
        for (int64_t oh = 0; oh < d->OH; oh++)
            for (int64_t ow = 0; ow < d->OW; ow++) {
                const float *row = dcol + ((b * d->OH + oh) * d->OW + ow) * K;
                for (int64_t kh = 0; kh < d->KH; kh++) {
                    int64_t ih = oh * d->SH - d->PT + kh;
                    if (ih < 0 || ih >= d->H) continue;
                    float *dst = dinp + ((b * d->H + ih) * d->W) * C;
                    for (int64_t kw = 0; kw < d->KW; kw++) {
                        int64_t iw = ow * d->SW - d->PL + kw;
                        if (iw < 0 || iw >= d->W) continue;
                        const float *src = row + kh * run + kw * C;
                        float *o = dst + iw * C;
                        for (int64_t c = 0; c < C; c++) o[c] += src[c];
                    }
                }
            }
}

/* https://keras.io/api/layers/convolution_layers/convolution2d/ (cross-correlation, as every
 * framework's "convolution"). inp (B, H, W, C), k (KH, KW, C, F), b (F), out (B, OH, OW, F). */
void eng_k_conv2d_fwd(float *out, float *col, const float *inp, const float *k, const float *b,
                      const eng_conv_dims *d)
{
    int64_t M = d->B * d->OH * d->OW, K = d->KH * d->KW * d->C, F = d->F;
    if (M == 0 || F == 0) return;
    eng_k_im2col(col, inp, d);
    /* the bias first, then sgemm adds to it (beta 1): one pass over out instead of three */
    if (b)
        for (int64_t r = 0; r < M; r++)
            for (int64_t f = 0; f < F; f++) out[r * F + f] = b[f];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)F, (int)K, 1.0f, col,
                (int)K, k, (int)F, b ? 1.0f : 0.0f, out, (int)F);
}

void eng_k_conv2d_fwd_naive(float *out, const float *inp, const float *k, const float *b,
                            const eng_conv_dims *d)
{
    for (int64_t n = 0; n < d->B; n++)
        for (int64_t oh = 0; oh < d->OH; oh++)
            for (int64_t ow = 0; ow < d->OW; ow++)
                for (int64_t f = 0; f < d->F; f++) {
                    double s = b ? b[f] : 0.0;
                    for (int64_t kh = 0; kh < d->KH; kh++)
                        for (int64_t kw = 0; kw < d->KW; kw++) {
                            int64_t ih = oh * d->SH - d->PT + kh, iw = ow * d->SW - d->PL + kw;
                            if (ih < 0 || ih >= d->H || iw < 0 || iw >= d->W) continue;
                            for (int64_t c = 0; c < d->C; c++)
                                s += (double)inp[((n * d->H + ih) * d->W + iw) * d->C + c] *
                                     k[((kh * d->KW + kw) * d->C + c) * d->F + f];
                        }
                    out[((n * d->OH + oh) * d->OW + ow) * d->F + f] = (float)s;
                }
}

/* dz (B, OH, OW, F), col (B*OH*OW, KH*KW*C); dk (KH, KW, C, F), db (F), dinp (B, H, W, C).
 * accumulate 0 writes the three instead of adding (the fit loop's stale buffers). */
void eng_k_conv2d_bwd(float *dinp, float *dk, float *db, float *dcol, const float *dz,
                      const float *col, const float *k, const eng_conv_dims *d, int accumulate)
{
    int64_t M = d->B * d->OH * d->OW, K = d->KH * d->KW * d->C, F = d->F;
    if (!accumulate) {          /* zeroing dk ourselves is cheaper than sgemm's beta 0 */
        memset(dk, 0, (size_t)(K * F) * sizeof *dk);
        if (db) memset(db, 0, (size_t)F * sizeof *db);
        if (dinp) memset(dinp, 0, (size_t)(d->B * d->H * d->W * d->C) * sizeof *dinp);
    }
    if (M == 0 || F == 0) return;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)F, (int)M, 1.0f, col,
                (int)K, dz, (int)F, 1.0f, dk, (int)F);
    if (db)
        for (int64_t r = 0; r < M; r++)
            for (int64_t f = 0; f < F; f++) db[f] += dz[r * F + f];
    if (!dinp) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)K, (int)F, 1.0f, dz,
                (int)F, k, (int)F, 0.0f, dcol, (int)K);
    eng_k_col2im(dinp, dcol, d);
}

void eng_k_conv2d_bwd_naive(float *dinp, float *dk, float *db, const float *dz,
                            const float *inp, const float *k, const eng_conv_dims *d)
{
    for (int64_t n = 0; n < d->B; n++)
        for (int64_t oh = 0; oh < d->OH; oh++)
            for (int64_t ow = 0; ow < d->OW; ow++)
                for (int64_t f = 0; f < d->F; f++) {
                    float g = dz[((n * d->OH + oh) * d->OW + ow) * d->F + f];
                    if (db) db[f] += g;
                    for (int64_t kh = 0; kh < d->KH; kh++)
                        for (int64_t kw = 0; kw < d->KW; kw++) {
                            int64_t ih = oh * d->SH - d->PT + kh, iw = ow * d->SW - d->PL + kw;
                            if (ih < 0 || ih >= d->H || iw < 0 || iw >= d->W) continue;
                            for (int64_t c = 0; c < d->C; c++) {
                                int64_t xi = ((n * d->H + ih) * d->W + iw) * d->C + c;
                                int64_t ki = ((kh * d->KW + kw) * d->C + c) * d->F + f;
                                dk[ki] += inp[xi] * g;
                                if (dinp) dinp[xi] += k[ki] * g;
                            }
                        }
                }
}

/* One output pixel's C channels: the max over its window (rows ih0..ih1, columns iw0..iw1,
 * all inside the image), y (C) and arg (C) receiving the winners. The first element seeds
 * the maxima; later ones replace them only when strictly greater, so the first of equal
 * maxima wins, as in TensorFlow. */
static void pool_window(float *restrict y, int32_t *restrict arg, const float *restrict img,
                        int64_t W, int64_t C,
                        int64_t ih0, int64_t ih1, int64_t iw0, int64_t iw1)
{
    int32_t first = (int32_t)((ih0 * W + iw0) * C);
    for (int64_t c = 0; c < C; c++) {
        y[c] = img[first + c];
        arg[c] = first + (int32_t)c;
    }
    for (int64_t ih = ih0; ih <= ih1; ih++)
        for (int64_t iw = ih == ih0 ? iw0 + 1 : iw0; iw <= iw1; iw++) {
            int32_t off = (int32_t)((ih * W + iw) * C);
            const float *x = img + off;
            for (int32_t c = 0; c < (int32_t)C; c++) {   /* a mask, not a branch: vectorizes */
                float xv = x[c], yv = y[c];
                int32_t gt = -(int32_t)(xv > yv);
                y[c] = xv > yv ? xv : yv;
                arg[c] = ((off + c) & gt) | (arg[c] & ~gt);
            }
        }
}

/* https://keras.io/api/layers/pooling_layers/max_pooling2d/ . inp (B, H, W, C),
 * out (B, OH, OW, C), arg (B, OH, OW, C): the winner's offset inside its sample. Padding never
 * wins: each window is clipped to the image (a window always overlaps it). */
void eng_k_maxpool_fwd(float *out, int32_t *arg, const float *inp, const eng_conv_dims *d)
{
    int64_t C = d->C, sample = d->H * d->W * C;
    for (int64_t b = 0; b < d->B; b++)
        for (int64_t oh = 0; oh < d->OH; oh++) {
            int64_t ih0 = oh * d->SH - d->PT, ih1 = ih0 + d->KH - 1;
            ih0 = ih0 < 0 ? 0 : ih0;
            ih1 = ih1 >= d->H ? d->H - 1 : ih1;
            for (int64_t ow = 0; ow < d->OW; ow++) {
                int64_t iw0 = ow * d->SW - d->PL, iw1 = iw0 + d->KW - 1;
                iw0 = iw0 < 0 ? 0 : iw0;
                iw1 = iw1 >= d->W ? d->W - 1 : iw1;
                int64_t o = ((b * d->OH + oh) * d->OW + ow) * C;
                pool_window(out + o, arg + o, inp + b * sample, d->W, C, ih0, ih1, iw0, iw1);
            }
        }
}

void eng_k_maxpool_bwd(float *dinp, const float *dout, const int32_t *arg, const eng_conv_dims *d,
                       int accumulate)
{
    int64_t per = d->OH * d->OW * d->C, sample = d->H * d->W * d->C;
    if (!accumulate) memset(dinp, 0, (size_t)(d->B * sample) * sizeof *dinp);
    for (int64_t b = 0; b < d->B; b++) {
        float *di = dinp + b * sample;
        const float *go = dout + b * per;
        const int32_t *a = arg + b * per;
        for (int64_t i = 0; i < per; i++) di[a[i]] += go[i];     /* every window has a winner */
    }
}
