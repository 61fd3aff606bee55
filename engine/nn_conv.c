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
/* GCC 12 at -O2 vectorizes only loops that need no remainder; the kernels' loops do. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
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
                        memcpy(dst, src + w0 * C, (size_t)run * sizeof *dst);
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
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)F, (int)K, 1.0f, col,
                (int)K, k, (int)F, 0.0f, out, (int)F);
    if (b)
        for (int64_t r = 0; r < M; r++)
            for (int64_t f = 0; f < F; f++) out[r * F + f] += b[f];
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

/* dz (B, OH, OW, F), col (B*OH*OW, KH*KW*C); dk (KH, KW, C, F), db (F), dinp (B, H, W, C). */
void eng_k_conv2d_bwd(float *dinp, float *dk, float *db, float *dcol, const float *dz,
                      const float *col, const float *k, const eng_conv_dims *d)
{
    int64_t M = d->B * d->OH * d->OW, K = d->KH * d->KW * d->C, F = d->F;
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

/* https://keras.io/api/layers/pooling_layers/max_pooling2d/ . inp (B, H, W, C),
 * out (B, OH, OW, C), arg (B, OH, OW, C). Scanning the window row by row keeps the first of
 * equal maxima, as TensorFlow does. */
void eng_k_maxpool_fwd(float *out, int32_t *arg, const float *inp, const eng_conv_dims *d)
{
    int64_t C = d->C, sample = d->H * d->W * C;
    for (int64_t b = 0; b < d->B; b++)
        for (int64_t oh = 0; oh < d->OH; oh++)
            for (int64_t ow = 0; ow < d->OW; ow++) {
                int64_t o = ((b * d->OH + oh) * d->OW + ow) * C;
                float *y = out + o;
                int32_t *a = arg + o;
                for (int64_t c = 0; c < C; c++) { y[c] = -INFINITY; a[c] = -1; }
                for (int64_t kh = 0; kh < d->KH; kh++) {
                    int64_t ih = oh * d->SH - d->PT + kh;
                    if (ih < 0 || ih >= d->H) continue;
                    for (int64_t kw = 0; kw < d->KW; kw++) {
                        int64_t iw = ow * d->SW - d->PL + kw;
                        if (iw < 0 || iw >= d->W) continue;
                        int64_t off = (ih * d->W + iw) * C;
                        const float *x = inp + b * sample + off;
                        for (int64_t c = 0; c < C; c++)
                            if (x[c] > y[c] || a[c] < 0) { y[c] = x[c]; a[c] = (int32_t)(off + c); }
                    }
                }
            }
}

void eng_k_maxpool_bwd(float *dinp, const float *dout, const int32_t *arg, const eng_conv_dims *d)
{
    int64_t per = d->OH * d->OW * d->C, sample = d->H * d->W * d->C;
    for (int64_t b = 0; b < d->B; b++)
        for (int64_t i = 0; i < per; i++) {
            int32_t a = arg[b * per + i];
            if (a >= 0) dinp[b * sample + a] += dout[b * per + i];
        }
}
