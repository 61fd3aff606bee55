/*
 * nn_loss.c -- Keras's losses: one kernel over raw rows for the fit loop (eng_k_loss, with
 * Keras's per-sample weights), and the differentiable loss call for explicit training loops.
 *
 * Reduction: Keras's "sum_over_batch_size": a per-row loss (mean over the last axis for mse
 * and binary cross-entropy, sum over classes for the categorical ones), averaged over the
 * rows. Probabilities are clipped to [1e-7, 1 - 1e-7] (keras.backend.epsilon()).
 *
 * Fusing: when the model's last layer applies softmax (sigmoid) and the loss is categorical
 * (binary) cross-entropy on probabilities, Keras computes the loss from the logits behind the
 * activation; so do we for the gradient, which is simply p - t with respect to the logits. It
 * is exact, and avoids dividing by tiny probabilities.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/nn_internal.h"

#define NN_EPS 1e-7

static const char *const loss_names[ENG_LOSS_KIND_COUNT] = {
    [ENG_LOSS_MSE] = "mean_squared_error", [ENG_LOSS_BCE] = "binary_crossentropy",
    [ENG_LOSS_CCE] = "categorical_crossentropy",
    [ENG_LOSS_SPARSE_CCE] = "sparse_categorical_crossentropy",
};

const char *eng_loss_name(eng_loss_kind k)
{
    return (unsigned)k < ENG_LOSS_KIND_COUNT ? loss_names[k] : "?";
}

int eng_loss_from_name(const char *name, eng_loss *out, eng_error *err)
{
    out->from_logits = 0;
    out->fn = NULL;
    if (strcmp(name, "mse") == 0 || strcmp(name, "MSE") == 0) {
        out->kind = ENG_LOSS_MSE;
        return ENG_OK;
    }
    for (int k = 0; k < ENG_LOSS_KIND_COUNT; k++)
        if (strcmp(name, loss_names[k]) == 0) {
            out->kind = (eng_loss_kind)k;
            return ENG_OK;
        }
    eng_err(err, ENG_ERR_VALUE, "unknown loss '%s'", name);
    eng_err_hint(err, "losses: \"mse\", \"binary_crossentropy\", \"categorical_crossentropy\", "
                 "\"sparse_categorical_crossentropy\"");
    return ENG_ERR_VALUE;
}

int eng_loss_fusable(const eng_loss *loss, eng_act a)
{
    if (loss->from_logits || loss->fn) return 0;
    if (a == ENG_ACT_SOFTMAX) return loss->kind == ENG_LOSS_CCE || loss->kind == ENG_LOSS_SPARSE_CCE;
    if (a == ENG_ACT_SIGMOID) return loss->kind == ENG_LOSS_BCE;
    return 0;
}

/* ---- per-row pieces ------------------------------------------------------------------------ */

static double clampd(double p, double lo, double hi)
{
    return p < lo ? lo : p > hi ? hi : p;
}

/* log(sum(exp(z))) of one row; when e is not NULL it receives softmax(z). */
static double logsumexp_row(float *e, const float *z, int64_t K)
{
    float mx = -INFINITY;
    for (int64_t k = 0; k < K; k++) mx = z[k] > mx ? z[k] : mx;
    double s = 0;
    for (int64_t k = 0; k < K; k++) {
        double v = exp((double)z[k] - mx);
        s += v;
        if (e) e[k] = (float)v;
    }
    if (e)
        for (int64_t k = 0; k < K; k++) e[k] = (float)(e[k] / s);
    return mx + log(s);
}

static double mse_row(float *dz, const float *y, const float *t, int64_t K, double scale)
{
    double s = 0;
    for (int64_t k = 0; k < K; k++) {
        double d = (double)y[k] - t[k];
        s += d * d;
        if (dz) dz[k] = (float)(scale * 2.0 * d / (double)K);
    }
    return s / (double)K;
}

/* Binary cross-entropy on probabilities (clipped; Keras adds epsilon inside the logs too) or,
 * from_logits, on logits z: max(z, 0) - z t + log(1 + exp(-|z|)). fused: dz = p - t. */
static double bce_row(float *dz, const float *y, const float *t, int64_t K, double scale,
                      int logits, int fused)
{
    double s = 0, sk = scale / (double)K;
    for (int64_t k = 0; k < K; k++) {
        double tk = t[k], g;
        if (logits) {
            double z = y[k];
            s += (z > 0 ? z : 0) - z * tk + log1p(exp(-fabs(z)));
            g = 1.0 / (1.0 + exp(-z)) - tk;
        } else {
            double p = clampd(y[k], NN_EPS, 1 - NN_EPS);
            s -= tk * log(p + NN_EPS) + (1 - tk) * log(1 - p + NN_EPS);
            if (fused) g = (double)y[k] - tk;
            else if (y[k] < NN_EPS || y[k] > 1 - NN_EPS) g = 0;
            else g = -tk / (p + NN_EPS) + (1 - tk) / (1 - p + NN_EPS);
        }
        if (dz) dz[k] = (float)(sk * g);
    }
    return s / (double)K;
}

/* Categorical cross-entropy of one row against a target distribution t, or (t NULL) against
 * the one-hot of `label`. Probabilities are normalised to sum 1 and clipped (Keras). */
static double cce_row(float *dz, const float *y, const float *t, int64_t label, int64_t K,
                      double scale, int logits, int fused)
{
    double tsum = 0, loss = 0;
    for (int64_t k = 0; k < K; k++) tsum += t ? t[k] : (k == label);
    if (logits) {
        double lse = logsumexp_row(dz, y, K);
        for (int64_t k = 0; k < K; k++) {
            double tk = t ? t[k] : (k == label);
            loss += tk * (lse - y[k]);
            if (dz) dz[k] = (float)(scale * (dz[k] * tsum - tk));
        }
        return loss;
    }
    double ps = 0;
    for (int64_t k = 0; k < K; k++) ps += y[k];
    if (!(ps > 0)) ps = NN_EPS;
    double dq_dot_q = 0;      /* sum_k dL/dq_k q_k, for the non-fused gradient */
    for (int64_t k = 0; k < K; k++) {
        double tk = t ? t[k] : (k == label), q = y[k] / ps, qc = clampd(q, NN_EPS, 1 - NN_EPS);
        loss -= tk * log(qc);
        double dq = (q < NN_EPS || q > 1 - NN_EPS) ? 0.0 : -tk / q;
        if (dz && !fused) dz[k] = (float)dq;
        dq_dot_q += dq * q;
    }
    if (dz)
        for (int64_t k = 0; k < K; k++) {
            double tk = t ? t[k] : (k == label);
            dz[k] = fused ? (float)(scale * ((double)y[k] * tsum - tk))
                          : (float)(scale * (dz[k] - dq_dot_q) / ps);
        }
    return loss;
}

/* y, dz (R, K); t (R, K), or (R) labels for the sparse loss. */
double eng_k_loss(const eng_loss *loss, int fused, float *dz, const float *y, const float *t,
                  const float *w, int64_t w_rows, int64_t R, int64_t K, double scale)
{
    double total = 0;
    int logits = loss->from_logits;
    int sparse = loss->kind == ENG_LOSS_SPARSE_CCE;
    for (int64_t r = 0; r < R; r++) {
        const float *yr = y + r * K, *tr = sparse ? t + r : t + r * K;
        float *dr = dz ? dz + r * K : NULL;
        double wr = w ? w[r / w_rows] : 1.0, sr = scale * wr, row = 0;
        switch (loss->kind) {
        case ENG_LOSS_MSE: row = mse_row(dr, yr, tr, K, sr); break;
        case ENG_LOSS_BCE: row = bce_row(dr, yr, tr, K, sr, logits, fused); break;
        case ENG_LOSS_CCE: row = cce_row(dr, yr, tr, -1, K, sr, logits, fused); break;
        case ENG_LOSS_SPARSE_CCE:
            row = cce_row(dr, yr, NULL, (int64_t)tr[0], K, sr, logits, fused);
            break;
        case ENG_LOSS_KIND_COUNT: break;
        }
        total += wr * row;
    }
    return total;
}

/* ---- target checks ------------------------------------------------------------------------- */

static int targets_mismatch(const eng_loss *loss, const eng_tensor *t, int p_ndim,
                            const int64_t *p_shape, eng_error *err)
{
    char bt[ENG_SHAPE_BUF], bp[ENG_SHAPE_BUF];
    eng_err(err, ENG_ERR_SHAPE, "labels of shape %s do not fit the model's output %s for %s",
            eng_shape_format(t->ndim, t->shape, bt, sizeof bt),
            eng_shape_format(p_ndim, p_shape, bp, sizeof bp), eng_loss_name(loss->kind));
    int64_t K = p_ndim > 0 ? p_shape[p_ndim - 1] : 1;
    if (loss->kind == ENG_LOSS_CCE && t->ndim == p_ndim - 1)
        eng_err_hint(err, "categorical_crossentropy wants one-hot labels (last axis %lld); for "
                     "integer labels use sparse_categorical_crossentropy", (long long)K);
    else if (loss->kind == ENG_LOSS_SPARSE_CCE && t->ndim == p_ndim)
        eng_err_hint(err, "sparse_categorical_crossentropy wants integer labels (one per "
                     "sample); for one-hot labels use categorical_crossentropy");
    else if (K > 1 && t->ndim == p_ndim - 1 && loss->kind != ENG_LOSS_SPARSE_CCE)
        eng_err_hint(err, "the last layer has %lld outputs; for class labels use "
                     "sparse_categorical_crossentropy", (long long)K);
    return ENG_ERR_SHAPE;
}

static int same_dims(int n, const int64_t *a, const int64_t *b)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* Integers in [0, K) (t contiguous or not: walked through eng_tensor_get order). */
static int check_labels(const eng_tensor *t, int64_t K, eng_error *err)
{
    eng_tensor *c = eng_tensor_contiguous((eng_tensor *)t, err);
    if (!c) return err ? err->code : ENG_ERR_MEMORY;
    const float *v = eng_tensor_data(c);
    int st = ENG_OK;
    for (int64_t i = 0; i < c->size; i++)
        if (!(v[i] >= 0 && v[i] < (float)K && v[i] == floorf(v[i]))) {
            char num[64];
            snprintf(num, sizeof num, "%g", (double)v[i]);
            st = eng_err(err, ENG_ERR_VALUE, "labels must be whole numbers in [0, %lld) for "
                         "sparse_categorical_crossentropy: label %lld is %s", (long long)K,
                         (long long)i, num);
            if (v[i] >= (float)K && v[i] == floorf(v[i]))
                eng_err_hint(err, "the last layer has %lld units: give it one per class",
                             (long long)K);
            break;
        }
    eng_tensor_release(c);
    return st;
}

int eng_loss_check_targets(const eng_loss *loss, const eng_tensor *t, int p_ndim,
                           const int64_t *p_shape, eng_error *err)
{
    if (loss->fn) return ENG_OK;            /* the caller's function reads what it is given */
    if (p_ndim < 1) return targets_mismatch(loss, t, p_ndim, p_shape, err);
    int64_t K = p_shape[p_ndim - 1];
    int lead = p_ndim - 1;      /* the prediction's dims before the class axis */
    int fits;
    if (loss->kind == ENG_LOSS_SPARSE_CCE)
        fits = (t->ndim == lead && same_dims(lead, t->shape, p_shape)) ||
               (t->ndim == p_ndim && same_dims(lead, t->shape, p_shape) && t->shape[lead] == 1);
    else
        fits = (t->ndim == p_ndim && same_dims(p_ndim, t->shape, p_shape)) ||
               (K == 1 && t->ndim == lead && same_dims(lead, t->shape, p_shape));
    if (!fits) return targets_mismatch(loss, t, p_ndim, p_shape, err);
    if (loss->kind == ENG_LOSS_SPARSE_CCE) return check_labels(t, K, err);
    return ENG_OK;
}

/* ---- the differentiable loss call ---------------------------------------------------------- */

/* saved[0]: dL/dy_pred for a seed of 1 (computed with the value). */
static int loss_backward(eng_node *n, const eng_tensor *gout, eng_error *err)
{
    eng_tensor *gp = eng_node_grad(n, 1, err);
    if (!gp) return err && err->code ? err->code : ENG_OK;
    float g = eng_tensor_data(gout)[0], *dst = eng_tensor_data(gp);
    const float *d = eng_tensor_data(n->saved[0]);
    for (int64_t i = 0; i < gp->size; i++) dst[i] += g * d[i];
    return ENG_OK;
}

eng_tensor *eng_loss_call(const eng_loss *loss, eng_ag *ag, eng_tensor *y_true,
                          eng_tensor *y_pred, eng_error *err)
{
    if (eng_loss_check_targets(loss, y_true, y_pred->ndim, y_pred->shape, err) != ENG_OK)
        return NULL;
    int64_t K = y_pred->shape[y_pred->ndim - 1], R = K ? y_pred->size / K : 0;
    int wants = eng_ag_wants(ag, 1, &y_pred);
    eng_tensor *p = eng_tensor_contiguous(y_pred, err);
    eng_tensor *t = p ? eng_tensor_contiguous(y_true, err) : NULL;
    eng_tensor *dz = t && wants ? eng_tensor_empty(y_pred->ndim, y_pred->shape, err) : NULL;
    eng_tensor *out = NULL;
    if (t && (dz || !wants)) {
        double sum = eng_k_loss(loss, 0, dz ? eng_tensor_data(dz) : NULL, eng_tensor_data(p),
                                eng_tensor_data(t), NULL, 1, R, K, R ? 1.0 / (double)R : 0.0);
        out = eng_tensor_scalar(R ? (float)(sum / (double)R) : NAN, err);
    }
    if (out && wants) {
        eng_tensor *in[2] = { y_true, y_pred };
        eng_node *n = eng_node_new(out, eng_loss_name(loss->kind), loss_backward, 2, in, err);
        if (!n) {
            eng_tensor_release(out);
            out = NULL;
        } else {
            n->saved[0] = eng_tensor_retain(dz);
        }
    }
    eng_tensor_release(dz);
    eng_tensor_release(t);
    eng_tensor_release(p);
    return out;
}
