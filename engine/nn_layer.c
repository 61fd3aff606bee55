/*
 * nn_layer.c -- the layers: Keras arguments and checks, shape inference (Keras `build`),
 * weights as views into flat buffers, and each kind's forward and backward on raw batches.
 *
 * A layer's life: eng_layer_new (arguments only) -> nn_layer_infer (input shape known: output
 * shape, weight shapes) -> nn_layer_bind (weights placed in a flat buffer: the model's, or the
 * layer's own when it is called on its own) -> nn_layer_fwd / nn_layer_bwd on batches whose
 * scratch the caller provides (nn_ws_need says how much).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nn_internal.h"

/* ---- kinds --------------------------------------------------------------------------------- */

static const char *const kind_names[ENG_LAYER_KIND_COUNT] = {
    [ENG_LAYER_DENSE] = "Dense", [ENG_LAYER_CONV2D] = "Conv2D",
    [ENG_LAYER_MAXPOOL2D] = "MaxPooling2D", [ENG_LAYER_FLATTEN] = "Flatten",
    [ENG_LAYER_DROPOUT] = "Dropout", [ENG_LAYER_BATCHNORM] = "BatchNormalization",
    [ENG_LAYER_ACTIVATION] = "Activation", [ENG_LAYER_SOFTMAX] = "Softmax",
};

static const char *const kind_stems[ENG_LAYER_KIND_COUNT] = {
    [ENG_LAYER_DENSE] = "dense", [ENG_LAYER_CONV2D] = "conv2d",
    [ENG_LAYER_MAXPOOL2D] = "max_pooling2d", [ENG_LAYER_FLATTEN] = "flatten",
    [ENG_LAYER_DROPOUT] = "dropout", [ENG_LAYER_BATCHNORM] = "batch_normalization",
    [ENG_LAYER_ACTIVATION] = "activation", [ENG_LAYER_SOFTMAX] = "softmax",
};

const char *eng_layer_kind_name(eng_layer_kind k)
{
    return (unsigned)k < ENG_LAYER_KIND_COUNT ? kind_names[k] : "?";
}

const char *eng_layer_kind_stem(eng_layer_kind k)
{
    return (unsigned)k < ENG_LAYER_KIND_COUNT ? kind_stems[k] : "?";
}

void eng_layer_config_init(eng_layer_config *c, eng_layer_kind kind)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->kernel[0] = c->kernel[1] = kind == ENG_LAYER_MAXPOOL2D ? 2 : 1;
    c->strides[0] = c->strides[1] = kind == ENG_LAYER_MAXPOOL2D ? 0 : 1;
    c->activation = kind == ENG_LAYER_SOFTMAX ? ENG_ACT_SOFTMAX : ENG_ACT_LINEAR;
    c->use_bias = 1;
    c->momentum = 0.99;
    c->epsilon = 0.001;
    c->input_ndim = -1;
}

/* ---- construction -------------------------------------------------------------------------- */

static int check_window(const eng_layer_config *c, const char *kind, const char *what,
                        eng_error *err)
{
    for (int i = 0; i < 2; i++) {
        if (c->kernel[i] < 1)
            return eng_err(err, ENG_ERR_VALUE, "%s %s must be positive whole numbers, got %lld",
                           kind, what, (long long)c->kernel[i]);
        if (c->strides[i] < 0 || (c->strides[i] == 0 && c->kind != ENG_LAYER_MAXPOOL2D))
            return eng_err(err, ENG_ERR_VALUE, "%s strides must be positive whole numbers, got "
                           "%lld", kind, (long long)c->strides[i]);
    }
    return ENG_OK;
}

static int check_config(const eng_layer_config *c, eng_error *err)
{
    const char *kind = eng_layer_kind_name(c->kind);
    if ((unsigned)c->kind >= ENG_LAYER_KIND_COUNT)
        return eng_err(err, ENG_ERR_VALUE, "unknown layer kind %d", (int)c->kind);
    if ((unsigned)c->activation >= ENG_ACT_COUNT)
        return eng_err(err, ENG_ERR_VALUE, "%s: unknown activation", kind);
    if (c->input_ndim > ENG_MAX_DIMS - 1)
        return eng_err(err, ENG_ERR_VALUE, "%s input_shape has more than %d dimensions", kind,
                       ENG_MAX_DIMS - 1);
    for (int i = 0; i < c->input_ndim; i++)
        if (c->input_shape[i] < 1)
            return eng_err(err, ENG_ERR_VALUE, "%s input_shape sizes must be positive, got %lld",
                           kind, (long long)c->input_shape[i]);
    switch (c->kind) {
    case ENG_LAYER_DENSE:
        if (c->units < 1)
            return eng_err(err, ENG_ERR_VALUE, "Dense units must be a positive whole number, "
                           "got %lld", (long long)c->units);
        return ENG_OK;
    case ENG_LAYER_CONV2D:
        if (c->filters < 1)
            return eng_err(err, ENG_ERR_VALUE, "Conv2D filters must be a positive whole number, "
                           "got %lld", (long long)c->filters);
        return check_window(c, kind, "kernel_size", err);
    case ENG_LAYER_MAXPOOL2D: return check_window(c, kind, "pool_size", err);
    case ENG_LAYER_DROPOUT:
        if (!(c->rate >= 0 && c->rate < 1))
            return eng_err(err, ENG_ERR_VALUE, "Dropout rate must be in [0, 1), got %g", c->rate);
        return ENG_OK;
    case ENG_LAYER_BATCHNORM:
        if (!(c->momentum >= 0 && c->momentum <= 1) || !(c->epsilon > 0))
            return eng_err(err, ENG_ERR_VALUE, "BatchNormalization needs momentum in [0, 1] and "
                           "epsilon > 0, got %g and %g", c->momentum, c->epsilon);
        return ENG_OK;
    default: return ENG_OK;
    }
}

eng_layer *eng_layer_new(const eng_layer_config *c, eng_error *err)
{
    if (check_config(c, err) != ENG_OK) return NULL;
    eng_layer *l = calloc(1, sizeof *l);
    if (!l) return eng_err(err, ENG_ERR_MEMORY, "out of memory making a layer"), NULL;
    l->refcount = 1;
    l->cfg = *c;
    if (l->cfg.kind == ENG_LAYER_MAXPOOL2D)
        for (int i = 0; i < 2; i++)
            if (l->cfg.strides[i] == 0) l->cfg.strides[i] = l->cfg.kernel[i];
    if (!l->cfg.name[0]) strcpy(l->cfg.name, eng_layer_kind_stem(c->kind));
    l->cfg.name[sizeof l->cfg.name - 1] = '\0';
    l->in_ndim = l->out_ndim = -1;
    return l;
}

eng_layer *eng_layer_retain(eng_layer *l)
{
    l->refcount++;
    return l;
}

static void drop_weights(eng_layer *l)
{
    for (int i = 0; i < NN_MAX_WEIGHTS; i++) {
        eng_tensor_release(l->w[i]);
        eng_tensor_release(l->g[i]);
        l->w[i] = l->g[i] = NULL;
    }
}

void eng_layer_release(eng_layer *l)
{
    if (!l || --l->refcount > 0) return;
    drop_weights(l);
    free(l);
}

/* ---- accessors ----------------------------------------------------------------------------- */

const eng_layer_config *eng_layer_get_config(const eng_layer *l) { return &l->cfg; }
int eng_layer_is_built(const eng_layer *l) { return l->built; }
int eng_layer_weight_count(const eng_layer *l) { return l->built ? l->nweights : 0; }

eng_tensor *eng_layer_weight(const eng_layer *l, int i)
{
    return l->built && i >= 0 && i < l->nweights ? l->w[i] : NULL;
}

const char *eng_layer_weight_name(const eng_layer *l, int i)
{
    return i >= 0 && i < l->nweights ? l->wname[i] : "?";
}

int eng_layer_weight_trainable(const eng_layer *l, int i)
{
    return i >= 0 && i < l->nweights && l->trainable[i];
}

static int copy_shape(int ndim, const int64_t *src, int64_t *dst)
{
    if (ndim > 0) memcpy(dst, src, (size_t)ndim * sizeof *dst);
    return ndim;
}

int eng_layer_output_shape(const eng_layer *l, int64_t *shape)
{
    return l->out_ndim < 0 ? -1 : copy_shape(l->out_ndim, l->out_shape, shape);
}

int eng_layer_input_shape(const eng_layer *l, int64_t *shape)
{
    return l->in_ndim < 0 ? -1 : copy_shape(l->in_ndim, l->in_shape, shape);
}

int64_t eng_layer_param_count(const eng_layer *l, int trainable_only)
{
    int64_t n = 0;
    if (l->out_ndim < 0) return 0;
    for (int i = 0; i < l->nweights; i++)
        if (!trainable_only || l->trainable[i]) n += l->wsize[i];
    return n;
}

/* ---- shape inference ----------------------------------------------------------------------- */

int nn_layer_shape_error(const eng_layer *l, int ndim, const int64_t *in, eng_error *err)
{
    int64_t full[ENG_MAX_DIMS];
    char got[ENG_SHAPE_BUF];
    full[0] = -1;
    copy_shape(ndim < ENG_MAX_DIMS ? ndim : ENG_MAX_DIMS - 1, in, full + 1);
    eng_shape_format(ndim + 1, full, got, sizeof got);
    /* "(-1, 28, 28)" reads as Keras's "(None, 28, 28)" */
    char shown[ENG_SHAPE_BUF + 8];
    snprintf(shown, sizeof shown, "(None%s", got + 3);
    const char *name = l->cfg.name;
    if (l->cfg.kind == ENG_LAYER_CONV2D || l->cfg.kind == ENG_LAYER_MAXPOOL2D) {
        eng_err(err, ENG_ERR_SHAPE, "Input 0 of layer \"%s\" is incompatible with the layer: "
                "expected ndim=4, found ndim=%d. Full shape received: %s", name, ndim + 1, shown);
        if (ndim == 2)
            eng_err_hint(err, "%s wants images (N, height, width, channels): reshape x to "
                         "(-1, %lld, %lld, 1)", eng_layer_kind_name(l->cfg.kind),
                         (long long)in[0], (long long)in[1]);
        return ENG_ERR_SHAPE;
    }
    if (l->in_ndim >= 1 && ndim >= 1)
        return eng_err(err, ENG_ERR_SHAPE, "Input 0 of layer \"%s\" is incompatible with the "
                       "layer: expected axis -1 of input shape to have value %lld, but received "
                       "input with shape %s", name, (long long)l->in_shape[l->in_ndim - 1], shown);
    return eng_err(err, ENG_ERR_SHAPE, "Input 0 of layer \"%s\" is incompatible with the layer: "
                   "expected min_ndim=2, found ndim=%d. Full shape received: %s", name, ndim + 1,
                   shown);
}

static void set_weight(eng_layer *l, const char *name, int trainable, int ndim, const int64_t *s)
{
    int i = l->nweights++;
    l->wname[i] = name;
    l->trainable[i] = trainable;
    l->wndim[i] = ndim;
    l->wsize[i] = 1;
    for (int d = 0; d < ndim; d++) {
        l->wshape[i][d] = s[d];
        l->wsize[i] *= s[d];
    }
}

/* Conv2D and MaxPooling2D: (H, W, C) in, (OH, OW, F) out. */
static int infer_window(eng_layer *l, const int64_t *in, eng_error *err)
{
    const eng_layer_config *c = &l->cfg;
    eng_conv_dims *d = &l->cd;
    memset(d, 0, sizeof *d);
    d->H = in[0]; d->W = in[1]; d->C = in[2];
    d->KH = c->kernel[0]; d->KW = c->kernel[1];
    d->SH = c->strides[0]; d->SW = c->strides[1];
    d->F = c->kind == ENG_LAYER_CONV2D ? c->filters : d->C;
    d->OH = eng_conv_out_size(d->H, d->KH, d->SH, c->padding_same, &d->PT);
    d->OW = eng_conv_out_size(d->W, d->KW, d->SW, c->padding_same, &d->PL);
    if (d->OH <= 0 || d->OW <= 0)
        return eng_err(err, ENG_ERR_VALUE, "%s \"%s\": a %lldx%lld window does not fit an input "
                       "of %lldx%lld", eng_layer_kind_name(c->kind), c->name, (long long)d->KH,
                       (long long)d->KW, (long long)d->H, (long long)d->W);
    l->out_ndim = 3;
    l->out_shape[0] = d->OH; l->out_shape[1] = d->OW; l->out_shape[2] = d->F;
    if (c->kind == ENG_LAYER_CONV2D) {
        set_weight(l, "kernel", 1, 4, (int64_t[]){ d->KH, d->KW, d->C, d->F });
        if (c->use_bias) set_weight(l, "bias", 1, 1, &d->F);
    }
    return ENG_OK;
}

static int infer_kind(eng_layer *l, int ndim, const int64_t *in, eng_error *err)
{
    const eng_layer_config *c = &l->cfg;
    l->out_ndim = ndim;
    copy_shape(ndim, in, l->out_shape);
    switch (c->kind) {
    case ENG_LAYER_DENSE:
        if (ndim < 1) return nn_layer_shape_error(l, ndim, in, err);
        l->out_shape[ndim - 1] = c->units;
        set_weight(l, "kernel", 1, 2, (int64_t[]){ in[ndim - 1], c->units });
        if (c->use_bias) set_weight(l, "bias", 1, 1, &c->units);
        return ENG_OK;
    case ENG_LAYER_CONV2D: case ENG_LAYER_MAXPOOL2D:
        if (ndim != 3) return nn_layer_shape_error(l, ndim, in, err);
        return infer_window(l, in, err);
    case ENG_LAYER_FLATTEN: {
        int64_t n = 1;
        for (int d = 0; d < ndim; d++) n *= in[d];
        l->out_ndim = 1;
        l->out_shape[0] = n;
        return ENG_OK;
    }
    case ENG_LAYER_BATCHNORM: {
        if (ndim < 1) return nn_layer_shape_error(l, ndim, in, err);
        const int64_t *C = &in[ndim - 1];
        set_weight(l, "gamma", 1, 1, C);
        set_weight(l, "beta", 1, 1, C);
        set_weight(l, "moving_mean", 0, 1, C);
        set_weight(l, "moving_variance", 0, 1, C);
        return ENG_OK;
    }
    default: return ENG_OK;
    }
}

int nn_layer_infer(eng_layer *l, int ndim, const int64_t *in, eng_error *err)
{
    if (l->in_ndim >= 0) {      /* inferred before: the shape must be the same */
        if (ndim != l->in_ndim || memcmp(in, l->in_shape, (size_t)ndim * sizeof *in) != 0)
            return nn_layer_shape_error(l, ndim, in, err);
        return ENG_OK;
    }
    if (ndim < 0 || ndim > ENG_MAX_DIMS - 1)
        return eng_err(err, ENG_ERR_SHAPE, "layer \"%s\" cannot take inputs of %d dimensions",
                       l->cfg.name, ndim + 1);
    l->nweights = 0;
    int st = infer_kind(l, ndim, in, err);
    if (st != ENG_OK) {
        l->out_ndim = -1;
        l->nweights = 0;
        return st;
    }
    l->in_ndim = ndim;
    copy_shape(ndim, in, l->in_shape);
    l->in_size = l->out_size = 1;
    for (int d = 0; d < ndim; d++) l->in_size *= in[d];
    for (int d = 0; d < l->out_ndim; d++) l->out_size *= l->out_shape[d];
    l->rows = 1;
    for (int d = 0; d + 1 < ndim; d++) l->rows *= in[d];
    return ENG_OK;
}

/* ---- weights ------------------------------------------------------------------------------- */

/* Glorot & Bengio (2010) uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)); a
 * conv kernel's fans are its receptive field times input / output channels (Keras). */
static void glorot_uniform(float *w, const eng_layer *l, int i, eng_rng *rng)
{
    const int64_t *s = l->wshape[i];
    int nd = l->wndim[i];
    double receptive = 1;
    for (int d = 0; d + 2 < nd; d++) receptive *= (double)s[d];
    double fan_in = receptive * (double)s[nd - 2], fan_out = receptive * (double)s[nd - 1];
    double limit = sqrt(6.0 / (fan_in + fan_out));
    for (int64_t k = 0; k < l->wsize[i]; k++)
        w[k] = (float)((2.0 * eng_rng_uniform(rng) - 1.0) * limit);
}

static void init_weight(float *w, const eng_layer *l, int i, eng_rng *rng)
{
    const char *name = l->wname[i];
    if (strcmp(name, "kernel") == 0) glorot_uniform(w, l, i, rng);
    else {
        float v = strcmp(name, "gamma") == 0 || strcmp(name, "moving_variance") == 0 ? 1.0f : 0.0f;
        for (int64_t k = 0; k < l->wsize[i]; k++) w[k] = v;
    }
}

static eng_tensor *weight_view(eng_tensor *buf, const eng_layer *l, int i, int64_t off,
                               eng_error *err)
{
    int64_t strides[4];
    eng_contiguous_strides(l->wndim[i], l->wshape[i], strides);
    return eng_tensor_view(buf, l->wndim[i], l->wshape[i], strides, off, err);
}

int nn_layer_bind(eng_layer *l, eng_tensor *wbuf, eng_tensor *gbuf, const int64_t *woff,
                  const int64_t *goff, int copy_old, eng_rng *rng, eng_error *err)
{
    eng_tensor *w[NN_MAX_WEIGHTS] = { 0 }, *g[NN_MAX_WEIGHTS] = { 0 };
    for (int i = 0; i < l->nweights; i++) {
        w[i] = weight_view(wbuf, l, i, woff[i], err);
        g[i] = w[i] ? weight_view(gbuf, l, i, goff[i], err) : NULL;
        if (!g[i]) {
            for (int k = 0; k <= i; k++) {
                eng_tensor_release(w[k]);
                eng_tensor_release(g[k]);
            }
            return err ? err->code : ENG_ERR_MEMORY;
        }
    }
    for (int i = 0; i < l->nweights; i++) {
        float *dst = eng_tensor_data(w[i]);
        if (copy_old && l->w[i]) memcpy(dst, eng_tensor_data(l->w[i]), (size_t)l->wsize[i] * 4);
        else init_weight(dst, l, i, rng);
        memset(eng_tensor_data(g[i]), 0, (size_t)l->wsize[i] * sizeof(float));
        if (l->trainable[i]) {
            w[i]->requires_grad = 1;
            w[i]->grad = eng_tensor_retain(g[i]);
        }
    }
    drop_weights(l);
    memcpy(l->w, w, sizeof w);
    memcpy(l->g, g, sizeof g);
    l->built = 1;
    return ENG_OK;
}

/* A layer on its own: its own pair of flat buffers, trainable weights first. */
static int bind_own(eng_layer *l, int copy_old, eng_rng *rng, eng_error *err)
{
    int64_t n = eng_layer_param_count(l, 0), off[NN_MAX_WEIGHTS], pos = 0;
    for (int pass = 1; pass >= 0; pass--)
        for (int i = 0; i < l->nweights; i++)
            if (l->trainable[i] == pass) {
                off[i] = pos;
                pos += l->wsize[i];
            }
    eng_tensor *wb = eng_tensor_new(1, &n, err);
    eng_tensor *gb = wb ? eng_tensor_new(1, &n, err) : NULL;
    int st = gb ? nn_layer_bind(l, wb, gb, off, off, copy_old, rng, err)
                : (err ? err->code : ENG_ERR_MEMORY);
    eng_tensor_release(wb);
    eng_tensor_release(gb);
    return st;
}

int eng_layer_build(eng_layer *l, int ndim, const int64_t *in, eng_rng *rng, eng_error *err)
{
    int st = nn_layer_infer(l, ndim, in, err);
    if (st != ENG_OK || l->built) return st;
    return bind_own(l, 0, rng, err);
}

int eng_layer_set_weights(eng_layer *l, int n, eng_tensor *const *src, eng_error *err)
{
    if (!l->built)
        return eng_err(err, ENG_ERR_VALUE, "layer \"%s\" has no weights yet: it is built on its "
                       "first input", l->cfg.name);
    if (n != l->nweights)
        return eng_err(err, ENG_ERR_VALUE, "layer \"%s\" has %d weights, %d were given",
                       l->cfg.name, l->nweights, n);
    for (int i = 0; i < n; i++)
        if (!eng_shape_equal(src[i], l->w[i])) {
            char a[ENG_SHAPE_BUF], b[ENG_SHAPE_BUF];
            return eng_err(err, ENG_ERR_SHAPE, "layer \"%s\" weight %s has shape %s, got %s",
                           l->cfg.name, l->wname[i],
                           eng_shape_format(l->w[i]->ndim, l->w[i]->shape, a, sizeof a),
                           eng_shape_format(src[i]->ndim, src[i]->shape, b, sizeof b));
        }
    for (int i = 0; i < n; i++) {
        eng_tensor *c = eng_tensor_contiguous(src[i], err);
        if (!c) return err ? err->code : ENG_ERR_MEMORY;
        memmove(eng_tensor_data(l->w[i]), eng_tensor_data(c), (size_t)l->wsize[i] * sizeof(float));
        eng_tensor_release(c);
        eng_tensor_bump_version(l->w[i]);      /* graphs that read the old weights are stale */
    }
    return ENG_OK;
}

/* ---- forward and backward on batches ------------------------------------------------------- */

void nn_layer_ws_need(const eng_layer *l, int64_t B, nn_ws_need *need)
{
    memset(need, 0, sizeof *need);
    const eng_conv_dims *d = &l->cd;
    int act = l->cfg.activation != ENG_ACT_LINEAR;
    switch (l->cfg.kind) {
    case ENG_LAYER_DENSE:
        need->scratch = act ? B * l->out_size : 0;
        break;
    case ENG_LAYER_CONV2D:
        need->col = B * d->OH * d->OW * d->KH * d->KW * d->C;
        need->scratch = need->col + (act ? B * l->out_size : 0);
        break;
    case ENG_LAYER_MAXPOOL2D: need->arg = B * l->out_size; break;
    case ENG_LAYER_DROPOUT: need->mask = B * l->in_size; break;
    case ENG_LAYER_BATCHNORM: need->stats = 2 * l->in_shape[l->in_ndim - 1]; break;
    default: break;
    }
}

static eng_conv_dims batch_dims(const eng_layer *l, int64_t B)
{
    eng_conv_dims d = l->cd;
    d.B = B;
    return d;
}

static const float *wdata(const eng_layer *l, int i)
{
    return i < l->nweights ? eng_tensor_data(l->w[i]) : NULL;
}

static float *gdata(const eng_layer *l, int i)
{
    return i < l->nweights ? eng_tensor_data(l->g[i]) : NULL;
}

static void batchnorm_fwd(eng_layer *l, const nn_slot *s, float *out, const float *inp,
                          int64_t B, int training)
{
    int64_t C = l->in_shape[l->in_ndim - 1], R = B * l->in_size / C;
    float *mm = eng_tensor_data(l->w[2]), *mv = eng_tensor_data(l->w[3]);
    if (training) {
        eng_k_batchnorm_fwd_train(out, s->mean, s->rstd, mm, mv, inp, wdata(l, 0), wdata(l, 1),
                                  R, C, l->cfg.momentum, l->cfg.epsilon);
        return;
    }
    eng_k_batchnorm_fwd_infer(out, inp, wdata(l, 0), wdata(l, 1), mm, mv, R, C, l->cfg.epsilon);
    if (s->mean)    /* for a backward in inference mode: the moving statistics */
        for (int64_t c = 0; c < C; c++) {
            s->mean[c] = mm[c];
            s->rstd[c] = (float)(1.0 / sqrt((double)mv[c] + l->cfg.epsilon));
        }
}

void nn_layer_fwd(eng_layer *l, const nn_slot *s, float *out, const float *inp, int64_t B,
                  int training, eng_rng *rng)
{
    const eng_layer_config *c = &l->cfg;
    eng_conv_dims d = batch_dims(l, B);
    int64_t n_in = B * l->in_size;
    switch (c->kind) {
    case ENG_LAYER_DENSE: {
        int64_t R = B * l->rows;
        eng_k_dense_fwd(out, inp, wdata(l, 0), c->use_bias ? wdata(l, 1) : NULL, R,
                        l->in_shape[l->in_ndim - 1], c->units);
        eng_k_act_fwd(c->activation, out, out, R, c->units);
        break;
    }
    case ENG_LAYER_CONV2D:
        eng_k_conv2d_fwd(out, s->col, inp, wdata(l, 0), c->use_bias ? wdata(l, 1) : NULL, &d);
        eng_k_act_fwd(c->activation, out, out, B * d.OH * d.OW, d.F);
        break;
    case ENG_LAYER_MAXPOOL2D: eng_k_maxpool_fwd(out, s->arg, inp, &d); break;
    case ENG_LAYER_DROPOUT:
        if (training && c->rate > 0) {
            eng_k_dropout_mask(s->mask, n_in, c->rate, rng);
            eng_k_mul(out, inp, s->mask, n_in);
        } else if (out != inp) {
            memcpy(out, inp, (size_t)n_in * sizeof *out);
        }
        break;
    case ENG_LAYER_BATCHNORM: batchnorm_fwd(l, s, out, inp, B, training); break;
    case ENG_LAYER_ACTIVATION: case ENG_LAYER_SOFTMAX: {
        int64_t C = l->in_ndim > 0 ? l->in_shape[l->in_ndim - 1] : 1;
        eng_k_act_fwd(c->activation, out, inp, C ? n_in / C : 0, C);
        break;
    }
    case ENG_LAYER_FLATTEN: default:
        if (out != inp) memcpy(out, inp, (size_t)n_in * sizeof *out);
        break;
    }
}

/* dz: the gradient before the activation, in scratch (or dout itself when there is none). */
static const float *pre_act_grad(const eng_layer *l, const float *dout, const float *out,
                                 int64_t R, int64_t C, int skip_act, float *scratch)
{
    if (skip_act || l->cfg.activation == ENG_ACT_LINEAR) return dout;
    eng_k_act_bwd(l->cfg.activation, scratch, dout, out, R, C, 0);
    return scratch;
}

static void batchnorm_bwd(eng_layer *l, const nn_slot *s, float *dinp, const float *dout,
                          const float *inp, int64_t B, int training, int acc)
{
    int64_t C = l->in_shape[l->in_ndim - 1], R = B * l->in_size / C;
    const float *gamma = wdata(l, 0);
    if (training) {
        eng_k_batchnorm_bwd(dinp, gdata(l, 0), gdata(l, 1), dout, inp, s->mean, s->rstd, gamma,
                            R, C, acc);
        return;
    }
    /* inference mode: an affine map per feature */
    float *dg = gdata(l, 0), *db = gdata(l, 1);
    if (!acc) {
        memset(dg, 0, (size_t)C * sizeof *dg);
        memset(db, 0, (size_t)C * sizeof *db);
    }
    for (int64_t r = 0; r < R; r++)
        for (int64_t c = 0; c < C; c++) {
            float g = dout[r * C + c], xh = (inp[r * C + c] - s->mean[c]) * s->rstd[c];
            db[c] += g;
            dg[c] += g * xh;
            if (dinp) {
                float v = g * gamma[c] * s->rstd[c];
                dinp[r * C + c] = acc ? dinp[r * C + c] + v : v;
            }
        }
}

/* Dropout, Flatten and Activation pass the gradient through (times the mask, the
 * activation's derivative); dinp == dout is the fit loop's shared Flatten buffer. */
static void pass_bwd(eng_layer *l, const nn_slot *s, float *dinp, const float *dout,
                     const float *out, int64_t n_in, int skip_act, int training, int acc)
{
    const eng_layer_config *c = &l->cfg;
    if (c->kind == ENG_LAYER_DROPOUT && training && c->rate > 0) {
        if (acc) eng_k_mul_acc(dinp, dout, s->mask, n_in);
        else eng_k_mul(dinp, dout, s->mask, n_in);
    } else if (c->kind == ENG_LAYER_ACTIVATION || c->kind == ENG_LAYER_SOFTMAX) {
        int64_t C = l->in_ndim > 0 ? l->in_shape[l->in_ndim - 1] : 1;
        eng_k_act_bwd(skip_act ? ENG_ACT_LINEAR : c->activation, dinp, dout, out,
                      C ? n_in / C : 0, C, acc);
    } else if (dinp != dout) {
        if (acc) for (int64_t i = 0; i < n_in; i++) dinp[i] += dout[i];
        else memcpy(dinp, dout, (size_t)n_in * sizeof *dinp);
    }
}

void nn_layer_bwd(eng_layer *l, const nn_slot *s, float *dinp, const float *dout,
                  const float *out, const float *inp, int64_t B, int skip_act, int training,
                  int accumulate, float *scratch)
{
    const eng_layer_config *c = &l->cfg;
    eng_conv_dims d = batch_dims(l, B);
    switch (c->kind) {
    case ENG_LAYER_DENSE: {
        int64_t R = B * l->rows, C = l->in_shape[l->in_ndim - 1];
        const float *dz = pre_act_grad(l, dout, out, R, c->units, skip_act, scratch);
        eng_k_dense_bwd(dinp, gdata(l, 0), c->use_bias ? gdata(l, 1) : NULL, dz, inp,
                        wdata(l, 0), R, C, c->units, accumulate);
        break;
    }
    case ENG_LAYER_CONV2D: {
        int64_t M = B * d.OH * d.OW, colsize = M * d.KH * d.KW * d.C;
        const float *dz = pre_act_grad(l, dout, out, M, d.F, skip_act, scratch + colsize);
        eng_k_conv2d_bwd(dinp, gdata(l, 0), c->use_bias ? gdata(l, 1) : NULL, scratch, dz,
                         s->col, wdata(l, 0), &d, accumulate);
        break;
    }
    case ENG_LAYER_MAXPOOL2D:
        if (dinp) eng_k_maxpool_bwd(dinp, dout, s->arg, &d, accumulate);
        break;
    case ENG_LAYER_BATCHNORM: batchnorm_bwd(l, s, dinp, dout, inp, B, training, accumulate); break;
    default:
        if (dinp) pass_bwd(l, s, dinp, dout, out, B * l->in_size, skip_act, training, accumulate);
        break;
    }
}
